-- Body-based routing (modelRouting.strategy RequestBody).
--
-- Reads the "model" field of the top-level JSON object (a string-aware scan: nested objects
-- that also have a "model" are skipped, escapes are decoded) and puts it in the internal model
-- header, which the routes match exactly, then clears the route cache so the router picks the
-- route again. Only model names the spec's rules name are ever put in the header; a
-- client-sent model header is always removed first.
--
-- Who answers what: a known model is routed by the route table. Without a default endpoint this
-- filter answers 404 for a model no rule names (it is the only place that knows the body's
-- model) and 400 for a body without a model; with a default those requests go to the default.
local function route_to_default_or(h, status, kind, message)
  if CONFIG.hasDefault then return end
  C.reply(h, status, kind, message)
end

local function known_models()
  return CONFIG.knownModels
end

local function on_request(h)
  local headers = h:headers()
  if headers:get(CONFIG.modelHeader) then
    headers:remove(CONFIG.modelHeader)
    h:clearRouteCache()
  end
  local s = C.request_body(h)
  local members = s and J.document_members(s)
  if not members then
    return route_to_default_or(h, 400, 'invalid_request', 'the request body must be a JSON object with a "model" field (models: ' .. known_models() .. ')')
  end
  local found
  for _, m in ipairs(members) do
    if J.key(s, m) == 'model' then
      if found then return C.reply(h, 400, 'invalid_request', 'the request body has more than one "model" field') end
      found = m
    end
  end
  if not found or string.byte(s, found.vs) ~= 34 then
    return route_to_default_or(h, 400, 'invalid_request', 'the request body needs a string "model" field (models: ' .. known_models() .. ')')
  end
  local model = J.str(s, found.vs, found.ve)
  if not model then return C.reply(h, 400, 'invalid_request', 'the "model" field is not a valid JSON string') end
  C.set_metadata(h, 'model', J.printable(model, 256))
  if not CONFIG.routed[model] then
    -- Only models the spec names ever reach the header; anything else goes to the default.
    if CONFIG.hasDefault then return end
    return C.reply(h, 404, 'model_not_found', 'model ' .. J.quote(J.printable(model, 256)) .. ' is not served by this gateway (models: ' .. known_models() .. ')')
  end
  headers = h:headers() -- body() yielded: fetch the header map again
  headers:replace(CONFIG.modelHeader, model)
  h:clearRouteCache()
end

envoy_on_request = C.guard_request(on_request)
