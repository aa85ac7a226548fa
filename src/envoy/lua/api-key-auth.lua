-- API-key authentication (authentication.type APIKey).
--
-- Accepted keys live in a file mounted from a Kubernetes Secret: one key per line, surrounding
-- whitespace trimmed, blank lines and lines starting with "#" ignored. Lines may end in \n, \r\n
-- or a lone \r (an old Mac editor), and a UTF-8 byte order mark at the start is dropped; the last
-- two are logged as a warning (once per changed file), since other tools may read such a file
-- differently. Each worker re-reads the file at most every CONFIG.reloadSeconds, so a rotated
-- Secret takes effect without a restart. A missing or unreadable file fails closed (503), never
-- open. Keys are never logged.
local byte, find, sub, lower = string.byte, string.find, string.sub, string.lower
local bor, bxor = bit.bor, bit.bxor

local BOM = '\239\187\191'

-- Per worker (Envoy gives each worker its own Lua state and runs this chunk once in it): keys
-- grouped by length, when they were read, the text they came from, and whether the last read
-- found a problem.
local keys_by_length, keys_read_at, keys_text, keys_problem

-- What in the file's layout is unusual (for the warning), or nil. Never any of its content.
local function layout_quirks(text)
  local quirks = {}
  if sub(text, 1, 3) == BOM then quirks[#quirks + 1] = 'starts with a UTF-8 byte order mark (ignored)' end
  if find(text, '\r[^\n]') or byte(text, #text) == 13 then quirks[#quirks + 1] = 'has CR-only line ends (read as line breaks)' end
  return #quirks > 0 and table.concat(quirks, ' and ') or nil
end

local function parse_keys(text)
  if sub(text, 1, 3) == BOM then text = sub(text, 4) end
  local by_length, count = {}, 0
  for line in string.gmatch(text, '[^\r\n]+') do
    local key = string.match(line, '^%s*(.-)%s*$')
    if key ~= '' and byte(key, 1) ~= 35 then
      local list = by_length[#key]
      if not list then
        list = {}
        by_length[#key] = list
      end
      list[#list + 1] = key
      count = count + 1
    end
  end
  return by_length, count
end

local function load_keys(h, now)
  keys_read_at = now
  local file = io.open(CONFIG.keyFile, 'rb')
  local text = file and file:read('*a')
  if file then file:close() end
  if not text then
    keys_by_length, keys_problem = nil, 'missing'
    h:logErr(CONFIG.filterName .. ': cannot read the API key file ' .. CONFIG.keyFile .. ' (Secret ' .. CONFIG.secretName .. '); refusing requests with 503')
    return
  end
  -- An unchanged file (the usual case on a reload) keeps its parsed keys and says nothing again.
  if text == keys_text and keys_problem ~= 'missing' then return end
  keys_text = text
  local quirks = layout_quirks(text)
  if quirks then
    h:logWarn(CONFIG.filterName .. ': the API key file ' .. CONFIG.keyFile .. ' (Secret ' .. CONFIG.secretName .. ') ' .. quirks .. '; write one key per line with \\n line ends')
  end
  local by_length, count = parse_keys(text)
  if count == 0 and keys_problem ~= 'empty' then
    h:logWarn(CONFIG.filterName .. ': the API key file ' .. CONFIG.keyFile .. ' holds no keys; every request gets 401')
  end
  keys_by_length, keys_problem = by_length, count == 0 and 'empty' or nil
end

-- True when presented equals one of the keys. Every key of that length is compared in full,
-- without stopping at the first differing byte, so the time taken says nothing about how much
-- of a key was right (it depends only on the presented length and the number of keys).
local function is_accepted(presented)
  local candidates = keys_by_length[#presented]
  if not candidates then return false end
  local found = false
  for c = 1, #candidates do
    local key, diff = candidates[c], 0
    for i = 1, #key do
      diff = bor(diff, bxor(byte(key, i), byte(presented, i)))
    end
    if diff == 0 then found = true end
  end
  return found
end

-- The key the client presented: "Authorization: Bearer <key>", else "x-api-key".
local function presented_key(headers)
  local auth = headers:get('authorization')
  if auth and #auth > 7 and lower(sub(auth, 1, 7)) == 'bearer ' then
    local key = string.match(sub(auth, 8), '^%s*(.-)%s*$')
    if key ~= '' then return key end
  end
  local key = headers:get('x-api-key')
  if key then
    key = string.match(key, '^%s*(.-)%s*$')
    if key ~= '' then return key end
  end
  return nil
end

local function deny(h)
  C.set_metadata(h, 'auth', 'denied')
  C.reply(h, 401, 'unauthorized', 'a valid API key is required: send "Authorization: Bearer <key>" or "x-api-key: <key>"', {
    ['www-authenticate'] = 'Bearer realm="' .. CONFIG.realm .. '"',
  })
end

local function on_request(h)
  local now = os.time()
  if keys_read_at == nil or now - keys_read_at >= CONFIG.reloadSeconds or now < keys_read_at then
    load_keys(h, now)
  end
  if not keys_by_length then
    C.set_metadata(h, 'auth', 'unavailable')
    C.reply(h, 503, 'auth_unavailable', 'the gateway cannot check API keys right now')
  end
  local headers = h:headers()
  local key = presented_key(headers)
  if not key or #key > CONFIG.maxKeyLength or not is_accepted(key) then deny(h) end
  -- The client's key is for the gateway only: never forward it upstream.
  headers:remove('authorization')
  headers:remove('x-api-key')
  C.set_metadata(h, 'auth', 'ok')
  -- The caller's identity for the response cache (cachingStrategy.scope Caller): the key itself,
  -- in this filter's own metadata namespace, which no access log or header reads; the cache
  -- filter blanks it as soon as it has read it.
  if CONFIG.exposeCaller then h:streamInfo():dynamicMetadata():set(CONFIG.filterName, 'caller', key) end
end

envoy_on_request = C.guard_request(on_request)
