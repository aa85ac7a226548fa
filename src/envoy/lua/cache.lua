-- Exact-match response cache (cachingStrategy.type Exact).
--
-- What is cached: 200 JSON answers to POST requests with a JSON object body that is neither
-- streaming ("stream": true) nor sampled ("temperature" present and not 0), unless the client
-- sends Cache-Control no-cache/no-store or the upstream answers Cache-Control no-store/private.
-- The key is the caller's identity (cachingStrategy.scope Caller: the API key the caller
-- presented, or the verified JWT's issuer and subject; none with scope Gateway or without
-- authentication), the path, the headers that choose the endpoint or the prompt template, and
-- the body with the whitespace outside strings removed. A request whose caller cannot be told
-- (no key handed over, a token without a subject) is not cached rather than shared.
--
-- Where it lives: in this script's Lua globals, so one cache per Envoy worker thread per pod,
-- not shared, lost on restart. LRU with a TTL, at most CONFIG.maxEntries entries and
-- CONFIG.maxBytes bytes per worker; responses over CONFIG.maxEntryBytes are not stored.
-- Responses are copied as they stream to the client (bodyChunks), never held back.
local find, lower, concat = string.find, string.lower, table.concat

-- Per worker state: chunk-level locals live as long as the worker's Lua state (Envoy runs
-- this code once per worker), like globals but private to the script. Entries form a doubly
-- linked list between two sentinels, most recently used first.
local cache = { entries = {}, count = 0, bytes = 0, pending = {}, pending_count = 0, seq = 0 }
local head, tail = {}, {}
head.next, tail.prev = tail, head

local function unlink(e)
  e.prev.next, e.next.prev = e.next, e.prev
end

local function push_front(e)
  e.prev, e.next = head, head.next
  head.next.prev = e
  head.next = e
end

local function drop(e)
  unlink(e)
  cache.entries[e.key] = nil
  cache.count = cache.count - 1
  cache.bytes = cache.bytes - e.size
end

local function lookup(key, now)
  local e = cache.entries[key]
  if not e then return nil end
  if now >= e.expires then
    drop(e)
    return nil
  end
  unlink(e)
  push_front(e)
  return e
end

local function store(key, body, content_type, endpoint, now)
  local old = cache.entries[key]
  if old then drop(old) end
  local e = { key = key, body = body, content_type = content_type, endpoint = endpoint, expires = now + CONFIG.ttlSeconds, size = #key + #body }
  cache.entries[key] = e
  cache.count = cache.count + 1
  cache.bytes = cache.bytes + e.size
  push_front(e)
  while (cache.count > CONFIG.maxEntries or cache.bytes > CONFIG.maxBytes) and tail.prev ~= head do drop(tail.prev) end
end

local function has_directive(value, a, b)
  if not value then return false end
  value = lower(value)
  return find(value, a, 1, true) ~= nil or (b ~= nil and find(value, b, 1, true) ~= nil)
end

local function bypass(h, why)
  C.set_metadata(h, 'cache', 'bypass')
  h:logDebug(CONFIG.filterName .. ': not cached: ' .. why)
end

-- The caller's identity as the first part of the key: "" when entries are shared, nil when
-- the caller cannot be told. The API-key filter hands the key over in its own metadata
-- namespace; it is blanked here once read, so nothing after this filter (the access log) sees
-- it. Length prefixes keep the parts from running into each other whatever bytes they hold.
local function caller_identity(h)
  if CONFIG.caller == 'None' then return '' end
  local dm = h:streamInfo():dynamicMetadata()
  if CONFIG.caller == 'APIKey' then
    local md = dm:get(CONFIG.apiKeyNamespace)
    local key = md and md.caller
    if type(key) ~= 'string' or key == '' then return nil end
    dm:set(CONFIG.apiKeyNamespace, 'caller', '')
    return #key .. ':' .. key
  end
  local md = dm:get(CONFIG.jwtNamespace)
  local payload = md and md[CONFIG.jwtPayloadKey]
  local iss, sub = payload and payload.iss, payload and payload.sub
  if type(iss) ~= 'string' or type(sub) ~= 'string' or sub == '' then return nil end
  return #iss .. ':' .. iss .. #sub .. ':' .. sub
end

-- Why a request body cannot be answered from the cache, or nil when it can.
local function not_cacheable(s)
  local members = J.document_members(s)
  if not members then return 'not a JSON object' end
  for _, m in ipairs(members) do
    local k = J.key(s, m)
    if k == 'stream' and string.sub(s, m.vs, m.ve) ~= 'false' then return 'streaming' end
    if k == 'temperature' and tonumber(string.sub(s, m.vs, m.ve)) ~= 0 then return 'temperature is not 0' end
  end
  return nil
end

local function on_request(h)
  local headers = h:headers()
  -- Upstream answers must be readable to be stored and replayed: ask for them uncompressed.
  headers:remove('accept-encoding')
  if headers:get(':method') ~= 'POST' then return bypass(h, 'not a POST') end
  if has_directive(headers:get('cache-control'), 'no-cache', 'no-store') then return bypass(h, 'client cache-control') end
  local caller = caller_identity(h)
  if not caller then return bypass(h, 'no caller identity') end
  local parts = { caller, headers:get(':path') or '' }
  for _, name in ipairs(CONFIG.keyHeaders) do parts[#parts + 1] = headers:get(name) or '' end
  local s = C.request_body(h)
  if not s then return bypass(h, 'no body') end
  local why = not_cacheable(s)
  if why then return bypass(h, why) end
  -- Header values cannot contain NUL (and the identity is length-prefixed), so the parts cannot
  -- run into each other.
  parts[#parts + 1] = J.compact(s)
  local key = concat(parts, '\0')
  local now = os.time()
  local e = lookup(key, now)
  if e then
    C.set_metadata(h, 'cache', 'hit')
    if e.endpoint then C.set_metadata(h, 'endpoint', e.endpoint) end
    if CONFIG.zeroUsageOnHit then
      C.set_metadata(h, 'input_tokens', 0)
      C.set_metadata(h, 'output_tokens', 0)
      C.set_metadata(h, 'total_tokens', 0)
      C.set_metadata(h, 'cost_usd', '0')
    end
    h:respond({ [':status'] = '200', ['content-type'] = e.content_type, ['x-ai-cache'] = 'hit' }, e.body)
  end
  -- A miss: the response path finds the key again through a per-stream token (a request and
  -- its response run on the same worker). Tokens of streams that never answer are dropped in bulk.
  if cache.pending_count >= CONFIG.maxPending then
    cache.pending, cache.pending_count = {}, 0
  end
  cache.seq = cache.seq + 1
  cache.pending[cache.seq] = key
  cache.pending_count = cache.pending_count + 1
  C.set_metadata(h, 'cache', 'miss')
  h:streamInfo():dynamicMetadata():set(CONFIG.filterName, 'token', cache.seq)
end

local function on_response(h)
  local headers, dm = h:headers(), h:streamInfo():dynamicMetadata()
  local endpoint = C.take_endpoint(headers, dm)
  local state = (dm:get(CONFIG.metadataNamespace) or {}).cache
  if state == 'bypass' then return headers:replace('x-ai-cache', 'bypass') end
  if state ~= 'miss' then return end -- a hit (our own reply) or a request this filter never saw
  local own = dm:get(CONFIG.filterName)
  local token = own and own.token
  local key = token and cache.pending[token]
  if key then
    cache.pending[token] = nil
    cache.pending_count = cache.pending_count - 1
  end
  headers:replace('x-ai-cache', 'miss')
  if not key or headers:get(':status') ~= '200' then return end
  local content_type = headers:get('content-type')
  if not content_type or not find(lower(content_type), 'json', 1, true) then return end
  local encoding = headers:get('content-encoding')
  if encoding and lower(encoding) ~= 'identity' then return end
  if has_directive(headers:get('cache-control'), 'no-store', 'private') then return end
  local length = tonumber((headers:get('content-length')))
  if length and length > CONFIG.maxEntryBytes then return end
  local chunks, size = {}, 0
  for chunk in h:bodyChunks() do
    if chunks then
      local n = chunk:length()
      size = size + n
      if size > CONFIG.maxEntryBytes then
        chunks = nil
      elseif n > 0 then
        chunks[#chunks + 1] = chunk:getBytes(0, n)
      end
    end
  end
  if chunks and size > 0 then store(key, concat(chunks), content_type, endpoint, os.time()) end
end

envoy_on_request = C.guard_request(on_request)
envoy_on_response = C.guard_response(on_response)
