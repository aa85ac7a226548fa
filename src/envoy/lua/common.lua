-- Helpers shared by the gateway's Lua filters (concatenated in after json.lua; CONFIG comes first).
--
-- Envoy's Lua filter fails open: a Lua error lets the request or response continue unchanged.
-- So every entry point runs under pcall. On the request path an error is answered with a JSON
-- 500 (never a bare error, never an unchecked request upstream); on the response path the
-- response passes on (nothing can be answered any more) and the error is logged.
local NS = CONFIG.metadataNamespace

local C = {}

-- Answers the request locally with a JSON error body {"error":{"type":..., "message":...}}.
-- respond() ends the script: nothing after it runs.
function C.reply(h, status, kind, message, extra)
  local headers = { [':status'] = tostring(status), ['content-type'] = 'application/json' }
  if extra then
    for k, v in pairs(extra) do headers[k] = v end
  end
  local body = '{"error":{"type":' .. J.quote(kind) .. ',"message":' .. J.quote(message) .. '}}'
  h:respond(headers, body)
end

function C.set_metadata(h, key, value)
  h:streamInfo():dynamicMetadata():set(NS, key, value)
end

-- Name of the endpoint that answered: the routes add it as a response header, which the first
-- Lua filter on the response path moves into metadata (later filters read it there) and removes
-- so that the client never sees it. `headers` and `dm` are this turn's header map and dynamic
-- metadata. The last value wins: a route appends its own after any value the upstream sent
-- (endpoint names are DNS labels, so a comma only ever separates values).
function C.take_endpoint(headers, dm)
  local value = headers:get(CONFIG.endpointHeader)
  if value then
    headers:remove(CONFIG.endpointHeader)
    local endpoint = string.match(value, '([^,%s]*)%s*$')
    dm:set(NS, 'endpoint', endpoint)
    return endpoint
  end
  local md = dm:get(NS)
  return md and md.endpoint
end

-- Entry point for envoy_on_request: errors become a JSON 500.
function C.guard_request(fn)
  return function(h)
    local ok, err = pcall(fn, h)
    if not ok then
      h:logErr(CONFIG.filterName .. ': request failed: ' .. tostring(err))
      C.reply(h, 500, 'gateway_error', 'the gateway could not process this request (' .. CONFIG.filterName .. ')')
    end
  end
end

-- Entry point for envoy_on_response: errors are logged, the response passes on.
function C.guard_response(fn)
  return function(h)
    local ok, err = pcall(fn, h)
    if not ok then h:logErr(CONFIG.filterName .. ': response processing failed: ' .. tostring(err)) end
  end
end

-- The whole request body as a string, or nil when there is none. Yields until the body is in.
function C.request_body(h)
  local body = h:body()
  if not body then return nil end
  local len = body:length()
  if len == 0 then return nil end
  return body:getBytes(0, len), body
end
