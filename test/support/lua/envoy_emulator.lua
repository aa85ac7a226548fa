-- Envoy HTTP Lua filter (envoy.filters.http.lua) emulation for LuaJIT.
--
-- Test support for cdk8s-ai-gateway. Runs product Lua scripts the way Envoy's
-- Lua filter runs them, so their behaviour can be asserted without an Envoy:
--   * one global environment per simulated worker VM (plus a validation VM);
--     top-level code runs once per VM; globals persist across requests on a
--     worker and are never shared between workers;
--   * envoy_on_request / envoy_on_response run as coroutines per stream, driven
--     by header / data / trailer events, with Envoy's state machine
--     (Running, WaitForBody, WaitForBodyChunk, WaitForTrailers, HttpCall,
--     Responded) deciding what the filter manager does with each event;
--   * the stream handle API (headers, body, bodyChunks, trailers, respond,
--     httpCall, metadata, streamInfo, dynamicMetadata, logging, timestamps,
--     base64Escape, clearRouteCache, ...) with Envoy's error messages;
--   * fail-open script errors, wrapper death at yields, the unexpected-yield
--     check, buffer limits (413 / 500), route cache clearing, and gating of
--     methods by target Envoy version.
--
-- The behaviour follows /work/shared/envoy-lua-api.md and Envoy's
-- source/extensions/filters/{http,common}/lua (read, not copied).
--
-- Usage:
--   as a program:  luajit envoy_emulator.lua < scenario.json
--                  (prints the result JSON between framing markers)
--   as a module:   local emu = dofile(".../envoy_emulator.lua")
--                  local result = emu.run_scenario(scenario_table)

local M = {}

local EMU_SOURCE = debug.getinfo(1, "S").source
local HERE = EMU_SOURCE:match("^@(.*/)") or "./"
local json = dofile(HERE .. "json.lua")
M.json = json

local ffi = require("ffi")
local floor, format, concat, insert = math.floor, string.format, table.concat, table.insert
local host_coroutine = coroutine
local co_create, co_resume, co_yield, co_status =
  coroutine.create, coroutine.resume, coroutine.yield, coroutine.status

-- package.path as LuaJIT set it up, before anything here could change it.
local ORIGINAL_PACKAGE_PATH = package.path
local ORIGINAL_PACKAGE_CPATH = package.cpath

M.RESULT_BEGIN = "<<<ENVOY-LUA-EMULATOR-RESULT-BEGIN>>>"
M.RESULT_END = "<<<ENVOY-LUA-EMULATOR-RESULT-END>>>"

local DEFAULT_FILTER_NAME = "envoy.filters.http.lua"
local DEFAULT_BUFFER_LIMIT = 1024 * 1024 -- per_connection_buffer_limit_bytes default
local DEFAULT_ENVOY_VERSION = "1.34"

-- Timestamp::Resolution enum values as exposed through EnvoyTimestampResolution.
-- The exact integers are not verified against Envoy; scripts must use the names.
local RES_MILLISECOND, RES_MICROSECOND = 0, 1

---------------------------------------------------------------------------
-- Wall clock (real time when a scenario does not inject one)
---------------------------------------------------------------------------

ffi.cdef [[
  typedef struct { long tv_sec; long tv_nsec; } emu_timespec;
  int clock_gettime(int clk_id, emu_timespec *tp);
]]
local ts_buf = ffi.new("emu_timespec")
local function real_now()
  ffi.C.clock_gettime(0, ts_buf) -- CLOCK_REALTIME
  return tonumber(ts_buf.tv_sec) + tonumber(ts_buf.tv_nsec) / 1e9
end
local function monotonic_now()
  ffi.C.clock_gettime(1, ts_buf) -- CLOCK_MONOTONIC
  return tonumber(ts_buf.tv_sec) + tonumber(ts_buf.tv_nsec) / 1e9
end
M.monotonic_now = monotonic_now

---------------------------------------------------------------------------
-- Versions
---------------------------------------------------------------------------

local function parse_version(v)
  if v == nil then v = DEFAULT_ENVOY_VERSION end
  if v == "main" or v == "latest" then return 99999, "main" end
  local maj, min = tostring(v):match("^v?(%d+)%.(%d+)")
  if not maj then error("invalid envoyVersion '" .. tostring(v) .. "' (expected e.g. \"1.34\" or \"main\")", 0) end
  return tonumber(maj) * 1000 + tonumber(min), tostring(v)
end
M.parse_version = parse_version

local V = function(s) return (parse_version(s)) end
local V_MAIN = 99999

-- Minimum Envoy version per API. Where the release could not be pinned
-- (marked "assumed"), the API is treated as present from 1.34, the minimum
-- version this project targets. "main" = newest main branch only.
local SINCE = {
  handle = {
    headers = "1.5", body = "1.5", bodyChunks = "1.5", trailers = "1.5",
    logTrace = "1.5", logDebug = "1.5", logInfo = "1.5", logWarn = "1.5",
    logErr = "1.5", logCritical = "1.5", httpCall = "1.5", respond = "1.5",
    metadata = "1.6", streamInfo = "1.8", connection = "1.7",
    importPublicKey = "1.10", verifySignature = "1.10", -- assumed
    base64Escape = "1.17", timestamp = "1.18",
    timestampString = "1.34", setUpstreamOverrideHost = "1.34", -- assumed
    connectionStreamInfo = "1.34",                              -- assumed
    clearRouteCache = "1.34",
    filterContext = "1.35",
    base64Decode = "main", stats = "main", virtualHost = "main", route = "main",
    downstreamRequestHeaders = "main",
  },
  headers = {
    get = "1.5", add = "1.5", remove = "1.5", replace = "1.6",
    getAtIndex = "1.21", getNumValues = "1.21",
    setHttp1ReasonPhrase = "1.34", -- assumed
  },
  buffer = { length = "1.5", getBytes = "1.5", setBytes = "1.34" }, -- setBytes assumed
  streamInfo = {
    protocol = "1.8", dynamicMetadata = "1.8", downstreamSslConnection = "1.17",
    downstreamLocalAddress = "1.18", downstreamDirectRemoteAddress = "1.18",
    downstreamRemoteAddress = "1.18", requestedServerName = "1.18", -- assumed
    downstreamDirectLocalAddress = "1.34", routeName = "1.34", virtualClusterName = "1.34",
    dynamicTypedMetadata = "1.34", filterState = "1.34", -- assumed
  },
}
M.SINCE = SINCE

---------------------------------------------------------------------------
-- Error helpers (luaL_error / luaL_argerror look-alikes)
---------------------------------------------------------------------------

-- Position of the script code that called into the emulated API, like
-- luaL_where(L, 1): the first frame outside this file; "" for a C frame.
local function where()
  local level = 3
  while true do
    local info = debug.getinfo(level, "Sl")
    if not info then return "" end
    if info.source ~= EMU_SOURCE then
      if info.what == "C" or info.currentline == nil or info.currentline < 0 then return "" end
      return info.short_src .. ":" .. info.currentline .. ": "
    end
    level = level + 1
  end
end

local function api_error(msg)
  error(where() .. msg, 0)
end

local function lua_typename(v)
  if v == nil then return "nil" end
  return type(v)
end

-- narg counts from the first argument after self, as Lua reports it for a
-- method call.
local function arg_error(narg, fname, extramsg)
  api_error(format("bad argument #%d to '%s' (%s)", narg, fname, extramsg))
end

local function type_error(narg, fname, expected, v, present)
  local got = present == false and "no value" or lua_typename(v)
  arg_error(narg, fname, expected .. " expected, got " .. got)
end

-- luaL_checkstring: strings, and numbers converted to strings.
local function check_string(v, narg, fname, present)
  local t = type(v)
  if t == "string" then return v end
  if t == "number" then return tostring(v) end
  type_error(narg, fname, "string", v, present)
end

local function opt_string(v, narg, fname, default)
  if v == nil then return default end
  return check_string(v, narg, fname)
end

local function to_integer(n)
  if n >= 0 then return floor(n) end
  return -floor(-n)
end

-- luaL_checkint / luaL_checknumber
local function check_number(v, narg, fname, present)
  local n = tonumber(v)
  if type(v) == "number" then return v end
  if type(v) == "string" and n then return n end
  type_error(narg, fname, "number", v, present)
end
local function check_int(v, narg, fname, present)
  return to_integer(check_number(v, narg, fname, present))
end

local function error_to_string(e)
  if type(e) == "string" then return e end
  if type(e) == "number" then return tostring(e) end
  return "(error object is a " .. lua_typename(e) .. " value)"
end

---------------------------------------------------------------------------
-- Header maps (Envoy HeaderMapImpl semantics that scripts can observe)
---------------------------------------------------------------------------

-- O(1) "inline" headers per map type. Adding a second value for one of these
-- appends ",value" to the existing entry instead of creating a new entry
-- (HeaderMapImpl::insertByKey). Headers registered as custom inline headers
-- by extensions (authorization, accept-encoding, ...) are not modelled.
local INLINE = {}
do
  local req_resp = {
    "connection", "content-type", "x-envoy-decorator-operation", "keep-alive",
    "proxy-connection", "proxy-status", "x-request-id", "transfer-encoding",
    "upgrade", "via", "content-length", "x-envoy-attempt-count",
  }
  local req = {
    "x-client-trace-id", "x-envoy-downstream-service-cluster",
    "x-envoy-downstream-service-node", "x-envoy-external-address", "x-envoy-force-trace",
    "x-envoy-hedge-on-per-try-timeout", "x-envoy-internal", "x-envoy-ip-tags",
    "x-envoy-retry-on", "x-envoy-retry-grpc-on", "x-envoy-retriable-status-codes",
    "x-envoy-retriable-header-names", "x-envoy-original-path", "x-envoy-original-url",
    "x-envoy-upstream-alt-stat-name", "x-envoy-upstream-rq-timeout-alt-response", "expect",
    "x-forwarded-client-cert", "x-forwarded-for", "x-forwarded-host", "x-forwarded-proto",
    "grpc-timeout", ":authority", ":method", ":path", ":protocol", ":scheme", "te", "user-agent",
    "x-envoy-expected-rq-timeout-ms", "x-envoy-max-retries", "x-envoy-upstream-rq-timeout-ms",
    "x-envoy-upstream-rq-per-try-timeout-ms", "x-envoy-upstream-stream-duration-ms",
  }
  local resp = {
    "date", "x-envoy-degraded", "x-envoy-immediate-health-check-fail", "x-envoy-ratelimited",
    "x-envoy-upstream-canary", "x-envoy-upstream-healthchecked-cluster", "location", "server",
    "x-envoy-upstream-service-time", ":status", "grpc-status", "grpc-message",
  }
  local function set(...)
    local s = {}
    for _, list in ipairs({ ... }) do for _, k in ipairs(list) do s[k] = true end end
    return s
  end
  INLINE.request = set(req_resp, req)
  INLINE.response = set(req_resp, resp)
  INLINE.request_trailers = {}
  INLINE.response_trailers = set({ "grpc-status", "grpc-message" })
  INLINE.http_call = INLINE.request
  INLINE.local_reply = INLINE.response
end

local HeaderMap = {}
HeaderMap.__index = HeaderMap

function HeaderMap.new(kind)
  return setmetatable({ kind = kind, e = {} }, HeaderMap)
end

local lower = string.lower

function HeaderMap:find_all(key)
  local out = {}
  for _, en in ipairs(self.e) do
    if en[1] == key then out[#out + 1] = en end
  end
  return out
end

function HeaderMap:values(key)
  local out = {}
  for _, en in ipairs(self.e) do
    if en[1] == key then out[#out + 1] = en[2] end
  end
  return out
end

-- key must already be lowercase
function HeaderMap:add(key, value)
  local inline = INLINE[self.kind] and INLINE[self.kind][key]
  if inline then
    for _, en in ipairs(self.e) do
      if en[1] == key then
        if value ~= "" then
          if en[2] ~= "" then en[2] = en[2] .. "," .. value else en[2] = value end
        end
        return
      end
    end
  end
  local entry = { key, value }
  if key:sub(1, 1) == ":" then
    -- pseudo-headers are kept in front of all regular headers
    local pos = 1
    while self.e[pos] and self.e[pos][1]:sub(1, 1) == ":" do pos = pos + 1 end
    insert(self.e, pos, entry)
  else
    self.e[#self.e + 1] = entry
  end
end

function HeaderMap:remove(key)
  local kept = {}
  for _, en in ipairs(self.e) do
    if en[1] ~= key then kept[#kept + 1] = en end
  end
  self.e = kept
end

function HeaderMap:set(key, value)
  self:remove(key)
  self:add(key, value)
end

function HeaderMap:get(key)
  local vals = self:values(key)
  if #vals == 0 then return nil end
  return concat(vals, ",")
end

function HeaderMap:snapshot()
  local list = {}
  for i, en in ipairs(self.e) do list[i] = { en[1], en[2] } end
  return list
end

-- Build from the scenario: {k: v | [v...]} or [[k, v], ...].
function HeaderMap.from_spec(kind, spec)
  local m = HeaderMap.new(kind)
  if spec == nil or spec == json.null then return m end
  if json.is_array(spec) then
    for _, kv in ipairs(spec) do
      m:add(lower(tostring(kv[1])), tostring(kv[2]))
    end
  else
    local keys = {}
    for k in pairs(spec) do keys[#keys + 1] = k end
    table.sort(keys, function(a, b)
      -- pseudo-headers first, otherwise alphabetical: deterministic order
      local pa, pb = a:sub(1, 1) == ":", b:sub(1, 1) == ":"
      if pa ~= pb then return pa end
      return a < b
    end)
    for _, k in ipairs(keys) do
      local v = spec[k]
      if type(v) == "table" then
        for _, vv in ipairs(v) do m:add(lower(k), tostring(vv)) end
      elseif v ~= json.null then
        m:add(lower(k), tostring(v))
      end
    end
  end
  return m
end

local function headers_to_json(list)
  -- list: snapshot {{k, v}, ...} -> { map = {k: "v1,v2"}, list = [[k, v], ...] }
  local map, arr = json.object({}), json.array({})
  for _, en in ipairs(list) do
    if map[en[1]] == nil then map[en[1]] = en[2] else map[en[1]] = map[en[1]] .. "," .. en[2] end
    arr[#arr + 1] = json.array({ en[1], en[2] })
  end
  return map, arr
end

---------------------------------------------------------------------------
-- Protobuf Struct / Value model (metadata) and its Lua conversions
---------------------------------------------------------------------------

-- Values: {t="null"} {t="number",v} {t="bool",v} {t="string",v}
--         {t="struct",f={k=Value}} {t="list",l={Value...},n}
local NULL_VALUE = { t = "null" }

local lua_to_value

local function table_length(t)
  -- MetadataMapHelper::tableLength: max positive integral key, or -1 when
  -- any key is not a positive integral number. 0 for an empty table.
  local max = 0
  for k in next, t do
    if type(k) == "number" and floor(k) == k and k >= 1 then
      if k > max then max = k end
    else
      return -1
    end
  end
  return max
end

local function c_string(s)
  -- lua_tostring + const char* semantics: cut at the first NUL byte
  local z = s:find("\0", 1, true)
  if z then return s:sub(1, z - 1) end
  return s
end

lua_to_value = function(v, depth)
  depth = depth or 0
  if depth > 200 then api_error("stack overflow converting table to metadata") end
  local t = type(v)
  if v == nil then
    return NULL_VALUE
  elseif t == "number" then
    return { t = "number", v = v }
  elseif t == "boolean" then
    return { t = "bool", v = v }
  elseif t == "string" then
    return { t = "string", v = c_string(v) }
  elseif t == "table" then
    local len = table_length(v)
    if len > 0 then
      local l = {}
      for i = 1, len do l[i] = lua_to_value(rawget(v, i), depth + 1) end
      return { t = "list", l = l, n = len }
    end
    local f = {}
    for k, val in next, v do
      if type(k) ~= "string" then
        api_error(format("unexpected type %s in table key (only string keys are supported)", lua_typename(k)))
      end
      f[c_string(k)] = lua_to_value(val, depth + 1)
    end
    return { t = "struct", f = f }
  end
  api_error(format("unexpected type '%s' in dynamicMetadata", t))
end

local value_to_lua
local function struct_to_lua(f)
  local out = {}
  for k, val in pairs(f) do out[k] = value_to_lua(val) end
  return out
end
value_to_lua = function(val)
  local t = val.t
  if t == "null" then return nil
  elseif t == "number" or t == "bool" or t == "string" then return val.v
  elseif t == "struct" then return struct_to_lua(val.f)
  elseif t == "list" then
    local out = {}
    for i = 1, val.n do out[i] = value_to_lua(val.l[i]) end
    return out
  end
end

local function json_to_value(j)
  local t = type(j)
  if j == nil or j == json.null then return NULL_VALUE
  elseif t == "number" then return { t = "number", v = j }
  elseif t == "boolean" then return { t = "bool", v = j }
  elseif t == "string" then return { t = "string", v = j }
  elseif t == "table" then
    if json.is_array(j) then
      local l, n = {}, #j
      for i = 1, n do l[i] = json_to_value(j[i]) end
      return { t = "list", l = l, n = n }
    end
    local f = {}
    for k, v in pairs(j) do f[k] = json_to_value(v) end
    return { t = "struct", f = f }
  end
  error("cannot convert " .. t .. " to a metadata value", 0)
end

local function json_to_struct(j)
  if j == nil or j == json.null then return { t = "struct", f = {} } end
  local v = json_to_value(j)
  if v.t ~= "struct" then error("metadata must be a JSON object", 0) end
  return v
end

local function value_to_json(val)
  local t = val.t
  if t == "null" then return json.null
  elseif t == "number" or t == "bool" or t == "string" then return val.v
  elseif t == "struct" then
    local o = json.object({})
    for k, v in pairs(val.f) do o[k] = value_to_json(v) end
    return o
  elseif t == "list" then
    local a = json.array({})
    for i = 1, val.n do a[i] = value_to_json(val.l[i]) end
    return a
  end
end

local function sorted_keys(t)
  local keys = {}
  for k in pairs(t) do keys[#keys + 1] = k end
  table.sort(keys)
  return keys
end

---------------------------------------------------------------------------
-- base64 (absl::Base64Escape / Base64Unescape)
---------------------------------------------------------------------------

local B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
local B64_INV = {}
for i = 1, 64 do B64_INV[B64:byte(i)] = i - 1 end

local function base64_encode(s)
  local out, n = {}, 0
  local byte = string.byte
  for i = 1, #s, 3 do
    local a, b, c = byte(s, i, i + 2)
    local v = a * 65536 + (b or 0) * 256 + (c or 0)
    local c1 = floor(v / 262144) % 64
    local c2 = floor(v / 4096) % 64
    local c3 = floor(v / 64) % 64
    local c4 = v % 64
    n = n + 1
    out[n] = B64:sub(c1 + 1, c1 + 1) .. B64:sub(c2 + 1, c2 + 1) ..
      (b and B64:sub(c3 + 1, c3 + 1) or "=") .. (c and B64:sub(c4 + 1, c4 + 1) or "=")
  end
  return concat(out)
end
M.base64_encode = base64_encode

local function base64_decode(s)
  -- Accepts padded or unpadded input; rejects anything else (returns nil).
  local stripped = s:gsub("=+$", "")
  if #s - #stripped > 2 then return nil end
  if #s % 4 ~= 0 and #s ~= #stripped then return nil end
  if #stripped % 4 == 1 then return nil end
  local out, n = {}, 0
  local acc, bits = 0, 0
  for i = 1, #stripped do
    local v = B64_INV[stripped:byte(i)]
    if v == nil then return nil end
    acc = acc * 64 + v
    bits = bits + 6
    if bits >= 8 then
      bits = bits - 8
      local byte = floor(acc / 2 ^ bits) % 256
      n = n + 1; out[n] = string.char(byte)
      acc = acc % 2 ^ bits
    end
  end
  return concat(out)
end
M.base64_decode = base64_decode

---------------------------------------------------------------------------
-- Userdata-backed wrapper objects
---------------------------------------------------------------------------

-- Wrappers are real userdata (newproxy), like Envoy's, so scripts cannot
-- index or assign fields on them. Each object has its own metatable, which
-- also carries the object's state (cheaper than a weak-keyed side table).
local STATE_KEY = "__emulator_state"

local function new_class(name, methods, extra)
  return { name = name, methods = methods, pairs = extra and extra.__pairs }
end

local function new_object(class, st)
  local u = newproxy(true)
  local mt = getmetatable(u)
  mt.__index = class.methods
  if class.pairs then mt.__pairs = class.pairs end
  mt[STATE_KEY] = st
  st.class = class
  return u
end

-- A wrapper is usable only while its stream direction is running its
-- coroutine, and (except the handle itself) only within the run ("live
-- period") in which it was created: Envoy marks child wrappers dead at every
-- yield (StreamHandleWrapper::onMarkDead).
local function alive(st)
  if st.dead then return false end
  local p = st.path
  if p == nil then return true end
  if p.reset or not p.live then return false end
  if st.is_handle then return true end
  return p.gen == st.gen
end

local function self_state(self, class, fname)
  local st = type(self) == "userdata" and debug.getmetatable(self)
  st = st and rawget(st, STATE_KEY)
  if not st or st.class ~= class then
    api_error(format("calling '%s' on bad self (%s expected, got %s)", fname, class.name, lua_typename(self)))
  end
  if not alive(st) then api_error("object used outside of proper scope") end
  return st
end

-- Per-live-period cache of child wrappers (headers_wrapper_, body_wrapper_...)
local function cached(p, slot, make)
  local c = p.cache[slot]
  if c and c.gen == p.gen then return c.obj end
  local obj = make()
  p.cache[slot] = { gen = p.gen, obj = obj }
  return obj
end

---------------------------------------------------------------------------
-- Classes (built per filter, so methods can be gated by Envoy version)
---------------------------------------------------------------------------

local make_handle_methods -- defined below

local function build_classes(F)
  local ver = F.version
  local function has(group, name)
    local since = SINCE[group][name]
    if since == "main" then return ver >= V_MAIN end
    return ver >= V(since)
  end
  local function gate(group, methods)
    for name in pairs(methods) do
      if SINCE[group][name] and not has(group, name) then methods[name] = nil end
    end
    return methods
  end
  local C = {}

  -- Buffer -----------------------------------------------------------------
  local BM = {}
  C.buffer = new_class("BufferWrapper", BM)
  function BM.length(self)
    local st = self_state(self, C.buffer, "length")
    return #st.buf.data
  end
  function BM.getBytes(self, ...)
    local st = self_state(self, C.buffer, "getBytes")
    local n = select("#", ...)
    local a, b = ...
    local index = check_int(a, 1, "getBytes", n >= 1)
    local length = check_int(b, 2, "getBytes", n >= 2)
    local data = st.buf.data
    if index < 0 or length < 0 or index + length > #data then
      api_error("index/length must be >= 0 and (index + length) must be <= buffer size")
    end
    return data:sub(index + 1, index + length)
  end
  function BM.setBytes(self, ...)
    local st = self_state(self, C.buffer, "setBytes")
    local bytes = check_string((...), 1, "setBytes", select("#", ...) >= 1)
    st.buf.data = bytes
    st.headers:set("content-length", tostring(#bytes))
    if st.on_set_bytes then st.on_set_bytes(st.path) end
    return #bytes
  end
  gate("buffer", BM)

  -- Headers / trailers -----------------------------------------------------
  local HM = {}
  local function header_pairs(self)
    local st = self_state(self, C.headers, "__pairs")
    if st.iterator then api_error("cannot create a second iterator before completing the first") end
    local entries = st.map:snapshot()
    local it = { i = 0 }
    st.iterator = it
    local function iter()
      if it.done or not alive(st) then api_error("object used outside of proper scope") end
      it.i = it.i + 1
      local en = entries[it.i]
      if en == nil then
        it.done = true
        st.iterator = nil
        return
      end
      return en[1], en[2]
    end
    return iter
  end
  C.headers = new_class("HeaderMapWrapper", HM, { __pairs = header_pairs })

  local function check_modifiable(st)
    if st.iterator then api_error("header map cannot be modified while iterating") end
    if not st.modifiable() then api_error("header map can no longer be modified") end
  end
  function HM.get(self, ...)
    local st = self_state(self, C.headers, "get")
    local key = check_string((...), 1, "get", select("#", ...) >= 1)
    local v = st.map:get(lower(key))
    if v == nil then return end
    return v
  end
  function HM.getAtIndex(self, ...)
    local st = self_state(self, C.headers, "getAtIndex")
    local n = select("#", ...)
    local k, i = ...
    local key = check_string(k, 1, "getAtIndex", n >= 1)
    local index = check_int(i, 2, "getAtIndex", n >= 2)
    local vals = st.map:values(lower(key))
    if index >= 0 and #vals > index then
      local v = vals[index + 1]
      if v ~= "" then return v end
    end
    return
  end
  function HM.getNumValues(self, ...)
    local st = self_state(self, C.headers, "getNumValues")
    local key = check_string((...), 1, "getNumValues", select("#", ...) >= 1)
    return #st.map:values(lower(key))
  end
  function HM.add(self, ...)
    local st = self_state(self, C.headers, "add")
    check_modifiable(st)
    local n = select("#", ...)
    local k, v = ...
    local key = check_string(k, 1, "add", n >= 1)
    local value = check_string(v, 2, "add", n >= 2)
    st.map:add(lower(key), value)
    if st.on_modified then st.on_modified() end
  end
  function HM.replace(self, ...)
    local st = self_state(self, C.headers, "replace")
    check_modifiable(st)
    local n = select("#", ...)
    local k, v = ...
    local key = check_string(k, 1, "replace", n >= 1)
    local value = check_string(v, 2, "replace", n >= 2)
    st.map:set(lower(key), value)
    if st.on_modified then st.on_modified() end
  end
  function HM.remove(self, ...)
    local st = self_state(self, C.headers, "remove")
    check_modifiable(st)
    local key = check_string((...), 1, "remove", select("#", ...) >= 1)
    st.map:remove(lower(key))
    if st.on_modified then st.on_modified() end
  end
  function HM.setHttp1ReasonPhrase(self, ...)
    local st = self_state(self, C.headers, "setHttp1ReasonPhrase")
    check_modifiable(st)
    local phrase = check_string((...), 1, "setHttp1ReasonPhrase", select("#", ...) >= 1)
    if st.on_reason_phrase then st.on_reason_phrase(phrase) end
  end
  gate("headers", HM)

  -- Metadata (route metadata, filter context) ------------------------------
  local MM = {}
  local function metadata_pairs(self)
    local st = self_state(self, C.metadata, "__pairs")
    if st.iterator then api_error("cannot create a second iterator before completing the first") end
    local keys = sorted_keys(st.struct.f)
    local it = { i = 0 }
    st.iterator = it
    return function()
      if it.done or not alive(st) then api_error("object used outside of proper scope") end
      it.i = it.i + 1
      local k = keys[it.i]
      if k == nil then it.done = true; st.iterator = nil; return end
      return k, value_to_lua(st.struct.f[k])
    end
  end
  C.metadata = new_class("MetadataMapWrapper", MM, { __pairs = metadata_pairs })
  function MM.get(self, ...)
    local st = self_state(self, C.metadata, "get")
    local key = check_string((...), 1, "get", select("#", ...) >= 1)
    local v = st.struct.f[key]
    if v == nil then return end
    return value_to_lua(v)
  end

  -- Dynamic metadata -------------------------------------------------------
  local DM = {}
  local function dynmeta_pairs(self)
    local st = self_state(self, C.dynmeta, "__pairs")
    if st.iterator then api_error("cannot create a second iterator before completing the first") end
    local store = st.store
    local it = { i = 0, keys = sorted_keys(store) }
    st.iterator = it
    return function()
      if it.done or not alive(st) then api_error("object used outside of proper scope") end
      it.i = it.i + 1
      local ns = it.keys[it.i]
      if ns == nil then it.done = true; st.iterator = nil; return end
      return ns, struct_to_lua(store[ns].f)
    end
  end
  C.dynmeta = new_class("DynamicMetadataMapWrapper", DM, { __pairs = dynmeta_pairs })
  function DM.get(self, ...)
    local st = self_state(self, C.dynmeta, "get")
    local ns = check_string((...), 1, "get", select("#", ...) >= 1)
    local s = st.store[ns]
    if s == nil then return end
    return struct_to_lua(s.f)
  end
  function DM.set(self, ...)
    local st = self_state(self, C.dynmeta, "set")
    if st.read_only then api_error("attempt to call method 'set' (a nil value)") end
    if st.iterator then api_error("dynamic metadata map cannot be modified while iterating") end
    local n = select("#", ...)
    local a, b, value = ...
    local ns = check_string(a, 1, "set", n >= 1)
    local key = check_string(b, 2, "set", n >= 2)
    local v = lua_to_value(value)
    -- setDynamicMetadata(ns, Struct{key: v}): Struct MergeFrom replaces the
    -- entry for `key`, keeps the namespace's other keys.
    local s = st.store[ns]
    if s == nil then s = { t = "struct", f = {} }; st.store[ns] = s end
    s.f[c_string(key)] = v
  end

  -- SSL connection ---------------------------------------------------------
  local SM = {}
  C.ssl = new_class("SslConnectionWrapper", SM)
  local ssl_fields = {
    peerCertificatePresented = false, peerCertificateValidated = false,
    uriSanLocalCertificate = {}, uriSanPeerCertificate = {}, dnsSansPeerCertificate = {},
    dnsSansLocalCertificate = {}, oidsPeerCertificate = {}, oidsLocalCertificate = {},
    sha256PeerCertificateDigest = "", serialNumberPeerCertificate = "",
    issuerPeerCertificate = "", subjectPeerCertificate = "", subjectLocalCertificate = "",
    urlEncodedPemEncodedPeerCertificate = "", urlEncodedPemEncodedPeerCertificateChain = "",
    validFromPeerCertificate = 0, expirationPeerCertificate = 0, sessionId = "",
    ciphersuiteId = "0xffff", ciphersuiteString = "", tlsVersion = "",
  }
  for name, default in pairs(ssl_fields) do
    SM[name] = function(self)
      local st = self_state(self, C.ssl, name)
      local v = st.spec[name]
      if v == nil or v == json.null then v = default end
      if type(v) == "table" then
        local copy = {}
        for i, x in ipairs(v) do copy[i] = x end
        return copy
      end
      return v
    end
  end
  local XM = {}
  C.x509 = new_class("ParsedX509NameWrapper", XM)
  function XM.commonName(self)
    local st = self_state(self, C.x509, "commonName")
    return st.spec.commonName or ""
  end
  function XM.organizationName(self)
    local st = self_state(self, C.x509, "organizationName")
    local copy = {}
    for i, x in ipairs(st.spec.organizationName or {}) do copy[i] = x end
    return copy
  end
  function SM.parsedSubjectPeerCertificate(self)
    local st = self_state(self, C.ssl, "parsedSubjectPeerCertificate")
    local p = st.spec.parsedSubjectPeerCertificate
    if p == nil or p == json.null then return nil end
    return new_object(C.x509, { path = st.path, gen = st.gen, spec = p })
  end

  -- Stream info --------------------------------------------------------------
  local SIM = {}
  C.streamInfo = new_class("StreamInfoWrapper", SIM)
  local function si_field(name, default)
    SIM[name] = function(self)
      local st = self_state(self, C.streamInfo, name)
      local v = st.stream.stream_info[name]
      if v == nil or v == json.null then v = default end
      return v
    end
  end
  si_field("protocol", "HTTP/1.1")
  si_field("downstreamLocalAddress", "10.0.0.2:8080")
  si_field("downstreamDirectLocalAddress", nil)
  si_field("downstreamRemoteAddress", "10.0.0.1:50000")
  si_field("downstreamDirectRemoteAddress", nil)
  si_field("requestedServerName", "")
  si_field("virtualClusterName", "")
  local direct_local, direct_remote = SIM.downstreamDirectLocalAddress, SIM.downstreamDirectRemoteAddress
  SIM.downstreamDirectLocalAddress = function(self)
    local v = direct_local(self)
    if v == nil then return SIM.downstreamLocalAddress(self) end
    return v
  end
  SIM.downstreamDirectRemoteAddress = function(self)
    local v = direct_remote(self)
    if v == nil then return SIM.downstreamRemoteAddress(self) end
    return v
  end
  function SIM.routeName(self)
    local st = self_state(self, C.streamInfo, "routeName")
    local r = st.stream:get_route()
    return r and r.name or ""
  end
  function SIM.dynamicMetadata(self)
    local st = self_state(self, C.streamInfo, "dynamicMetadata")
    st.dm = st.dm or new_object(C.dynmeta, { path = st.path, gen = st.gen, store = st.stream.dynamic_metadata })
    return st.dm
  end
  function SIM.downstreamSslConnection(self)
    local st = self_state(self, C.streamInfo, "downstreamSslConnection")
    local ssl = st.stream.stream_info.ssl
    if ssl == nil or ssl == json.null or ssl == false then return nil end
    st.ssl = st.ssl or new_object(C.ssl, { path = st.path, gen = st.gen, spec = ssl })
    return st.ssl
  end
  function SIM.dynamicTypedMetadata(self, ...)
    local st = self_state(self, C.streamInfo, "dynamicTypedMetadata")
    local name = check_string((...), 1, "dynamicTypedMetadata", select("#", ...) >= 1)
    local typed = st.stream.stream_info.dynamicTypedMetadata
    local v = typed and typed ~= json.null and typed[name]
    if v == nil or v == false or v == json.null then return nil end
    return value_to_lua(json_to_value(v))
  end
  local FSM = {}
  C.filterState = new_class("FilterStateWrapper", FSM)
  function FSM.get(self, ...)
    local st = self_state(self, C.filterState, "get")
    local n = select("#", ...)
    local a, b = ...
    local name = check_string(a, 1, "get", n >= 1)
    local fs = st.stream.stream_info.filterState
    local v = fs and fs ~= json.null and fs[name]
    if v == nil or v == false or v == json.null then return nil end
    if n >= 2 and b ~= nil then
      local field = check_string(b, 2, "get")
      if type(v) ~= "table" then return nil end
      v = v[field]
      if v == nil or v == json.null then return nil end
    end
    if type(v) == "table" then return value_to_lua(json_to_value(v)) end
    return tostring(v)
  end
  function SIM.filterState(self)
    local st = self_state(self, C.streamInfo, "filterState")
    st.fs = st.fs or new_object(C.filterState, { path = st.path, gen = st.gen, stream = st.stream })
    return st.fs
  end
  gate("streamInfo", SIM)

  -- Connection / connection stream info --------------------------------------
  local CM = {}
  C.connection = new_class("ConnectionWrapper", CM)
  function CM.ssl(self)
    local st = self_state(self, C.connection, "ssl")
    local ssl = st.stream.stream_info.ssl
    if ssl == nil or ssl == json.null or ssl == false then return nil end
    st.ssl = st.ssl or new_object(C.ssl, { path = st.path, gen = st.gen, spec = ssl })
    return st.ssl
  end
  local CSIM = {}
  C.connStreamInfo = new_class("ConnectionStreamInfoWrapper", CSIM)
  function CSIM.dynamicMetadata(self)
    local st = self_state(self, C.connStreamInfo, "dynamicMetadata")
    st.dm = st.dm or new_object(C.dynmeta, {
      path = st.path, gen = st.gen, store = st.stream.connection_metadata, read_only = true })
    return st.dm
  end
  function CSIM.dynamicTypedMetadata(self)
    self_state(self, C.connStreamInfo, "dynamicTypedMetadata")
    return nil
  end

  -- Stream handle ----------------------------------------------------------
  C.handle_request = new_class("StreamHandleWrapper", make_handle_methods(F, C, "request", has))
  C.handle_response = new_class("StreamHandleWrapper", make_handle_methods(F, C, "response", has))
  return C
end

---------------------------------------------------------------------------
-- Small parsers used by the handle
---------------------------------------------------------------------------

-- absl::SimpleAtoi for an unsigned value: optional surrounding whitespace,
-- optional '+', decimal digits only.
local function simple_atoi(s)
  local d = tostring(s):match("^%s*%+?(%d+)%s*$")
  return d and tonumber(d) or nil
end

local function is_ipv4(h)
  local a, b, c, d = h:match("^(%d+)%.(%d+)%.(%d+)%.(%d+)$")
  if not a then return false end
  for _, x in ipairs({ a, b, c, d }) do
    if #x > 3 or tonumber(x) > 255 then return false end
  end
  return true
end

local function is_ipv6(h)
  if not h:find(":", 1, true) or h:find("[^%x:%.]") then return false end
  if h:find(":::", 1, true) then return false end
  local _, dc = h:gsub("::", "")
  if dc > 1 then return false end
  local groups = 0
  for g in (h .. ":"):gmatch("([^:]*):") do
    if g ~= "" then
      if g:find("%.") then
        if not is_ipv4(g) then return false end
        groups = groups + 2
      elseif #g > 4 then
        return false
      else
        groups = groups + 1
      end
    end
  end
  if dc == 1 then return groups < 8 end
  return groups == 8
end

-- Http::Utility::parseAuthority(host).is_ip_address_
local function authority_is_ip(a)
  local v6 = a:match("^%[(.*)%]$") or a:match("^%[(.*)%]:%d+$")
  if v6 then return is_ipv6(v6) end
  if is_ipv6(a) then return true end
  local host = a:match("^(.*):%d+$") or a
  return is_ipv4(host)
end

-- buildHeadersFromTable: string keys (numbers coerced), string values or
-- tables of strings.
local function headers_from_lua_table(t, kind, fname)
  local m = HeaderMap.new(kind)
  for k, v in pairs(t) do
    local tk = type(k)
    if tk ~= "string" and tk ~= "number" then
      api_error(format("bad argument to '%s' (header key must be a string, got %s)", fname, tk))
    end
    local key = lower(tostring(k))
    if type(v) == "table" then
      for _, vv in pairs(v) do
        local tv = type(vv)
        if tv ~= "string" and tv ~= "number" then
          api_error(format("bad argument to '%s' (header value must be a string, got %s)", fname, tv))
        end
        m:add(key, tostring(vv))
      end
    else
      local tv = type(v)
      if tv ~= "string" and tv ~= "number" then
        api_error(format("bad argument to '%s' (header value must be a string, got %s)", fname, tv))
      end
      m:add(key, tostring(v))
    end
  end
  return m
end

local function route_filter_metadata(F, route)
  if route == nil or route.metadata == nil then return { t = "struct", f = {} } end
  return route.metadata[F.config.filter_name] or route.metadata[DEFAULT_FILTER_NAME]
    or { t = "struct", f = {} }
end

---------------------------------------------------------------------------
-- Stream handle methods
---------------------------------------------------------------------------

local new_buffer_wrapper -- (p, buf) -> userdata

make_handle_methods = function(F, C, kind, has)
  local H = {}
  local cname = "handle_" .. kind
  local function hp(self, fname)
    return self_state(self, C[cname], fname).path
  end

  function H.headers(self)
    local p = hp(self, "headers")
    return cached(p, "headers", function()
      return new_object(C.headers, {
        path = p, gen = p.gen, map = p.headers,
        -- Called before every modifying operation (checkModifiable).
        modifiable = function()
          if not p.headers_continued then p.stream:on_headers_modified(p) end
          return not p.headers_continued
        end,
        on_reason_phrase = function(ph) p.reason_phrase = ph end,
      })
    end)
  end

  local function lua_body(p, always_wrap)
    if p.end_stream then
      if not p.buffered_body and p.saw_body then
        api_error("cannot call body() after body has been streamed")
      end
      local c = p.cache.body
      if c and c.gen == p.gen then return c.obj end
      if p.buffer == nil then
        if not always_wrap then return end
        p.buffer = { data = "" }
      end
      local w = new_buffer_wrapper(p, p.buffer)
      p.cache.body = { gen = p.gen, obj = w }
      return w
    elseif p.saw_body then
      api_error("cannot call body() after body streaming has started")
    end
    p.state = "WaitForBody"
    p.buffered_body = true
    p.body_always_wrap = always_wrap
    co_yield()
    -- Resumed at end of stream (last data frame or trailers).
    return lua_body(p, p.body_always_wrap)
  end

  function H.body(self, ...)
    local p = hp(self, "body")
    local always_wrap = false
    if select("#", ...) >= 1 then
      local a = ...
      if type(a) ~= "boolean" then type_error(1, "body", "boolean", a) end
      always_wrap = a
    end
    return lua_body(p, always_wrap)
  end

  function H.bodyChunks(self)
    local p = hp(self, "bodyChunks")
    if p.saw_body then api_error("cannot call bodyChunks after body processing has begun") end
    local handle = self
    return function()
      hp(handle, "bodyChunks")
      if p.end_stream then return end
      p.state = "WaitForBodyChunk"
      local frame = co_yield()
      if frame == nil then return end -- trailers arrived
      return new_buffer_wrapper(p, frame)
    end
  end

  local function trailers_wrapper(p)
    return cached(p, "trailers", function()
      return new_object(C.headers, {
        path = p, gen = p.gen, map = p.trailers,
        modifiable = function() return true end,
      })
    end)
  end

  function H.trailers(self)
    local p = hp(self, "trailers")
    if p.end_stream and p.trailers == nil then return end
    if p.trailers ~= nil then return trailers_wrapper(p) end
    p.state = "WaitForTrailers"
    co_yield()
    if p.trailers ~= nil then return trailers_wrapper(p) end
    return
  end

  function H.metadata(self)
    local p = hp(self, "metadata")
    return cached(p, "metadata", function()
      local route = p.stream:get_route()
      return new_object(C.metadata, { path = p, gen = p.gen, struct = route_filter_metadata(F, route) })
    end)
  end

  function H.filterContext(self)
    local p = hp(self, "filterContext")
    return cached(p, "filterContext", function()
      local route = p.stream:get_route()
      local struct = route and route.filter_context or { t = "struct", f = {} }
      return new_object(C.metadata, { path = p, gen = p.gen, struct = struct })
    end)
  end

  function H.streamInfo(self)
    local p = hp(self, "streamInfo")
    return cached(p, "streamInfo", function()
      return new_object(C.streamInfo, { path = p, gen = p.gen, stream = p.stream })
    end)
  end

  function H.connection(self)
    local p = hp(self, "connection")
    return cached(p, "connection", function()
      return new_object(C.connection, { path = p, gen = p.gen, stream = p.stream })
    end)
  end

  function H.connectionStreamInfo(self)
    local p = hp(self, "connectionStreamInfo")
    return cached(p, "connectionStreamInfo", function()
      return new_object(C.connStreamInfo, { path = p, gen = p.gen, stream = p.stream })
    end)
  end

  local LEVELS = {
    logTrace = "trace", logDebug = "debug", logInfo = "info",
    logWarn = "warn", logErr = "error", logCritical = "critical",
  }
  for mname, level in pairs(LEVELS) do
    H[mname] = function(self, ...)
      local p = hp(self, mname)
      local msg = check_string((...), 1, mname, select("#", ...) >= 1)
      p.stream:log(level, msg, "script", p.kind)
    end
  end

  function H.base64Escape(self, ...)
    hp(self, "base64Escape")
    local s = check_string((...), 1, "base64Escape", select("#", ...) >= 1)
    return base64_encode(s)
  end

  function H.base64Decode(self, ...)
    hp(self, "base64Decode")
    local s = check_string((...), 1, "base64Decode", select("#", ...) >= 1)
    return base64_decode(s)
  end

  function H.timestamp(self, ...)
    hp(self, "timestamp")
    local unit = opt_string((...), 1, "timestamp", "")
    local ms = floor(F:now() * 1000)
    if unit == "" or simple_atoi(unit) == RES_MILLISECOND then return ms end
    api_error("timestamp format must be MILLISECOND.")
  end

  function H.timestampString(self, ...)
    hp(self, "timestampString")
    local unit = opt_string((...), 1, "timestampString", "")
    local now = F:now()
    if unit == "" or simple_atoi(unit) == RES_MILLISECOND then
      return format("%.0f", floor(now * 1000))
    elseif simple_atoi(unit) == RES_MICROSECOND then
      return format("%.0f", floor(now * 1000000))
    end
    api_error("timestamp format must be MILLISECOND or MICROSECOND.")
  end

  function H.clearRouteCache(self)
    local p = hp(self, "clearRouteCache")
    if p.kind == "request" then
      p.stream:clear_route_cache()
    else
      p.stream.response_clear_route_cache_calls = p.stream.response_clear_route_cache_calls + 1
    end
  end

  function H.setUpstreamOverrideHost(self, ...)
    local p = hp(self, "setUpstreamOverrideHost")
    local n = select("#", ...)
    local host, strict = ...
    host = check_string(host, 1, "setUpstreamOverrideHost", n >= 1)
    if not authority_is_ip(host) then api_error("host is not a valid IP address") end
    local s = false
    if n >= 2 then
      if type(strict) ~= "boolean" then type_error(2, "setUpstreamOverrideHost", "boolean", strict) end
      s = strict
    end
    p.stream.upstream_override_host = { host = host, strict = s }
  end

  function H.respond(self, ...)
    local p = hp(self, "respond")
    if p.headers_continued then api_error("respond() cannot be called if headers have been continued") end
    local n = select("#", ...)
    local hdrs, body = ...
    if type(hdrs) ~= "table" then type_error(1, "respond", "table", hdrs, n >= 1) end
    if body ~= nil then body = check_string(body, 2, "respond") end
    local m = headers_from_lua_table(hdrs, "local_reply", "respond")
    local status = simple_atoi(m:get(":status") or "")
    if status == nil or status < 200 or status >= 600 then api_error(":status must be between 200-599") end
    if body ~= nil then m:set("content-length", tostring(#body)) end
    if p.kind ~= "request" then api_error("respond not currently supported in the response path") end
    p.stream:respond_local_reply(status, m, body or "")
    p.state = "Responded"
    -- "Once we respond we treat that as the end of the script even if there
    -- is more code": the coroutine is never resumed.
    co_yield()
    error("HARNESS BUG: a responded coroutine was resumed", 0)
  end

  local HTTP_OPTIONS = {
    asynchronous = true, timeout_ms = true, trace_sampled = true,
    return_duplicate_headers = true, send_xff = true,
  }

  function H.httpCall(self, ...)
    local p = hp(self, "httpCall")
    local s = p.stream
    local n = select("#", ...)
    local cluster, hdrs, body, a4, a5 = ...
    local opts = { timeout_ms = nil, asynchronous = false, return_duplicate_headers = false, send_xff = true }
    local has_options = type(a4) == "table"
    if not has_options then
      if n >= 5 and type(a5) ~= "boolean" then
        api_error("http call asynchronous flag must be 'true', 'false', or empty")
      end
      local timeout = check_int(a4, 4, "httpCall", n >= 4)
      if timeout < 0 then api_error("http call timeout must be >= 0") end
      opts.timeout_ms = timeout
      opts.asynchronous = a5 == true
    else
      for k, v in pairs(a4) do
        if type(k) ~= "string" then api_error("httpCall() options keys must be strings") end
        if not HTTP_OPTIONS[k] then api_error('"' .. k .. '" is not valid key for httpCall() options') end
        if k == "timeout_ms" then
          if type(v) ~= "number" or floor(v) ~= v then api_error("'timeout_ms' option must be an integer") end
          if v < 0 then api_error("http call timeout must be >= 0") end
          opts.timeout_ms = v
        else
          opts[k] = (v ~= nil and v ~= false)
        end
      end
    end
    cluster = check_string(cluster, 1, "httpCall", n >= 1)
    if type(hdrs) ~= "table" then type_error(2, "httpCall", "table", hdrs, n >= 2) end
    if body ~= nil then body = check_string(body, 3, "httpCall") end
    local cspec = F.config.clusters[cluster]
    if cspec == nil then api_error("http call cluster invalid. Must be configured") end
    local m = headers_from_lua_table(hdrs, "http_call", "httpCall")
    if m:get(":path") == nil or m:get(":method") == nil or m:get(":authority") == nil then
      api_error("http call headers must include ':path', ':method', and ':authority'")
    end
    if body ~= nil then m:set("content-length", tostring(#body)) end
    local hl, hlist = headers_to_json(m:snapshot())
    local rec = json.object({
      cluster = cluster, headers = hl, headerList = hlist, body = body or json.null,
      asynchronous = opts.asynchronous, timeoutMs = opts.timeout_ms or json.null, phase = kind,
    })
    s.http_calls[#s.http_calls + 1] = rec
    local resp = F:next_cluster_response(cluster)
    if opts.asynchronous then return end
    if resp.failImmediately then
      -- send() failed inline: onFailure ran before the yield, so the values
      -- are returned without yielding.
      return { [":status"] = "503" }, "upstream failure"
    end
    p.state = "HttpCall"
    p.pending_http = { response = resp, duplicates = opts.return_duplicate_headers }
    return co_yield()
  end

  local function not_emulated(name)
    return function(self)
      hp(self, name)
      api_error(name .. "() is not emulated by the test harness")
    end
  end
  H.importPublicKey = not_emulated("importPublicKey")
  H.verifySignature = not_emulated("verifySignature")
  H.stats = not_emulated("stats")
  H.virtualHost = not_emulated("virtualHost")
  H.route = not_emulated("route")

  if kind == "response" then
    function H.downstreamRequestHeaders(self)
      local p = hp(self, "downstreamRequestHeaders")
      return cached(p, "downstreamRequestHeaders", function()
        return new_object(C.headers, {
          path = p, gen = p.gen, map = p.stream.req.headers,
          modifiable = function() return false end,
        })
      end)
    end
  end

  -- Version gating and request/response differences.
  for name in pairs(H) do
    local since = SINCE.handle[name]
    if since and not has("handle", name) then H[name] = nil end
  end
  if kind == "request" then H.downstreamRequestHeaders = nil end
  -- Newest main does not export respond() on the response handle at all;
  -- released versions export it and raise an error.
  if kind == "response" and F.version >= V_MAIN then H.respond = nil end
  return H
end

local function late_set_bytes_check(p)
  if p.fm.headers_forwarded and not p.warned_late_set_bytes then
    p.warned_late_set_bytes = true
    p.stream:warn(format("%s: setBytes() updated content-length after the %s headers were already "
      .. "forwarded (too late to reach the wire)", p.kind, p.kind))
  end
end

new_buffer_wrapper = function(p, buf)
  return new_object(p.filter.classes.buffer, {
    path = p, gen = p.gen, buf = buf, headers = p.headers, on_set_bytes = late_set_bytes_check,
  })
end

---------------------------------------------------------------------------
-- Per-direction state (Envoy's StreamHandleWrapper + the filter manager's
-- view of this filter), and the filter callbacks
---------------------------------------------------------------------------

local function new_path(s, kind, headers)
  return {
    kind = kind, stream = s, filter = s.filter, headers = headers,
    end_stream = false, saw_body = false, buffered_body = false,
    buffer = nil,      -- the filter manager's buffered body (bufferedBody())
    trailers = nil,    -- HeaderMap once trailers arrived
    state = "Running", headers_continued = false,
    co = nil, handle = nil, finished = false,
    gen = 0, live = false, reset = false, cache = {},
    -- filter manager: what has been passed on to the next filter
    fm = {
      stopped = false, headers_forwarded = false, headers = nil, chunks = {},
      trailers = nil, held_trailers = nil, dead = false, ended = false,
    },
  }
end

local function script_error(p, msg, tb)
  local s, F = p.stream, p.filter
  s.errors = s.errors + 1
  F.stats.errors = F.stats.errors + 1
  s.error_messages[#s.error_messages + 1] = msg
  s.error_tracebacks[#s.error_tracebacks + 1] = tb or msg
  -- Filter::scriptError: log at error level ("script log: <msg>"), then reset
  -- both stream wrappers. The stream then continues as if the filter were
  -- not there (fail-open).
  s:log("error", msg, "script-error", p.kind)
  for _, q in ipairs({ s.req, s.resp }) do
    if q then q.co = nil; q.reset = true; q.pending_http = nil end
  end
end

local WAITING = { WaitForBody = true, WaitForBodyChunk = true, WaitForTrailers = true, HttpCall = true, Responded = true }

-- Resume the direction's coroutine for one run ("live period").
local function resume(p, ...)
  local F = p.filter
  p.gen = p.gen + 1
  p.live = true
  local prev_stream, prev_phase = F.current_stream, F.current_phase
  F.current_stream, F.current_phase = p.stream, p.kind
  local co = p.co
  local ok, err = co_resume(co, ...)
  F.current_stream, F.current_phase = prev_stream, prev_phase
  p.live = false
  if not ok then
    script_error(p, error_to_string(err), debug.traceback(co, error_to_string(err)))
    return false
  end
  if co_status(co) == "dead" then
    p.finished = true
    p.state = "Running"
    return true
  end
  if not WAITING[p.state] then
    script_error(p, "script performed an unexpected yield")
    return false
  end
  return true
end

local function active(p)
  return p.co ~= nil and not p.reset
end

-- decodeHeaders / encodeHeaders
local function filter_headers(p, end_stream)
  local s, F = p.stream, p.filter
  p.end_stream = end_stream
  local fn
  if p.kind == "request" then fn = s.vm.on_request else fn = s.vm.on_response end
  if fn == nil then return "Continue" end
  p.handle = new_object(F.classes["handle_" .. p.kind], { path = p, is_handle = true })
  s.executions = s.executions + 1
  F.stats.executions = F.stats.executions + 1
  if type(fn) ~= "function" then
    script_error(p, "attempt to call a " .. type(fn) .. " value")
    return "Continue"
  end
  p.co = co_create(fn)
  debug.setfenv(p.co, s.vm.env)
  if not resume(p, p.handle) then return "Continue" end
  if p.state == "WaitForBody" or p.state == "HttpCall" or p.state == "Responded" then
    return "StopIteration"
  end
  p.headers_continued = true
  return "Continue"
end

local overflow -- (p) forward declaration

-- decodeData / encodeData. frame = { data = string }
local function filter_data(p, frame, end_stream)
  local F = p.filter
  if not active(p) then return "Continue" end
  p.end_stream = end_stream
  p.saw_body = true
  if p.state == "WaitForBodyChunk" then
    p.state = "Running"
    if not resume(p, frame) then return "Continue" end
  elseif p.state == "WaitForBody" and end_stream then
    -- callbacks_.addData(data): the last frame joins the buffered body
    if p.buffer then p.buffer.data = p.buffer.data .. frame.data else p.buffer = { data = frame.data } end
    frame.data, frame.moved = "", true
    if #p.buffer.data > F.config.buffer_limit then
      overflow(p)
      return "Overflow"
    end
    p.state = "Running"
    if not resume(p) then return "Continue" end
  elseif p.state == "WaitForTrailers" and end_stream then
    p.state = "Running"
    if not resume(p) then return "Continue" end
  end
  if p.state == "HttpCall" then
    if F.version >= V_MAIN then return "StopIterationAndWatermark" end
    return "StopIterationAndBuffer"
  elseif p.state == "WaitForBody" then
    return "StopIterationAndBuffer"
  elseif p.state == "Responded" then
    return "StopIterationNoBuffer"
  end
  p.headers_continued = true
  return "Continue"
end

-- decodeTrailers / encodeTrailers. tmap = HeaderMap
local function filter_trailers(p, tmap)
  if not active(p) then return "Continue" end
  p.end_stream = true
  p.trailers = tmap
  local ok = true
  if p.state == "WaitForBodyChunk" then
    p.state = "Running"
    ok = resume(p)
  elseif p.state == "WaitForBody" then
    p.state = "Running"
    ok = resume(p)
  end
  if ok and active(p) and p.state == "WaitForTrailers" then
    p.state = "Running"
    ok = resume(p)
  end
  if not ok then return "Continue" end
  if p.state == "HttpCall" or p.state == "Responded" then return "StopIteration" end
  p.headers_continued = true
  return "Continue"
end

---------------------------------------------------------------------------
-- Filter manager side: forwarding, buffering, buffer limits
---------------------------------------------------------------------------

local function fm_forward_headers(p)
  if p.fm.headers_forwarded or p.fm.dead then return end
  p.fm.headers_forwarded = true
  p.fm.headers = p.headers:snapshot()
  if p.kind == "request" then p.stream:router_decode_headers() end
end

local function fm_forward_chunk(p, data)
  if p.fm.dead then return end
  p.fm.chunks[#p.fm.chunks + 1] = data
end

-- continueDecoding()/continueEncoding() or a Continue after StopIteration:
-- headers, then the buffered body, then held trailers.
local function fm_continue(p)
  if p.fm.dead then return end
  p.fm.stopped = false
  fm_forward_headers(p)
  if p.fm.dead then return end
  if p.buffer and not p.buffer_forwarded then
    p.buffer_forwarded = true
    fm_forward_chunk(p, p.buffer.data)
  end
  if p.fm.held_trailers then
    p.fm.trailers = p.fm.held_trailers:snapshot()
    p.fm.held_trailers = nil
  end
  if p.input_ended then p.fm.ended = true end
end

overflow = function(p)
  local s = p.stream
  p.fm.dead = true
  -- The stream ends with a local reply: the waiting coroutine is never
  -- resumed and a pending httpCall is cancelled (onReset).
  p.co = nil
  p.pending_http = nil
  if p.kind == "request" then
    s:set_local_reply(413, nil, "Payload Too Large", "request_payload_too_large")
  else
    -- Response headers were held by this filter, so Envoy sends a 500 directly
    -- to the client, bypassing the encoder filters.
    local lr = s:make_local_reply(500, nil, "Internal Server Error", "response_payload_too_large")
    s.response_direct = lr
  end
  s:warn(format("%s body exceeded the buffer limit of %d bytes while this filter buffered it "
    .. "(body() or a pending httpCall())", p.kind, p.filter.config.buffer_limit))
end

local function buffer_append(p, data, enforce_limit)
  if p.buffer then p.buffer.data = p.buffer.data .. data else p.buffer = { data = data } end
  if enforce_limit and #p.buffer.data > p.filter.config.buffer_limit then overflow(p) end
end

local complete_http_call -- forward declaration

local function settle_http(p)
  while active(p) and p.state == "HttpCall" and p.pending_http and p.filter.config.http_call_timing == "immediate" do
    complete_http_call(p)
  end
end

local function fm_headers(p, end_stream)
  p.input_ended = end_stream
  local status = filter_headers(p, end_stream)
  if status == "Continue" then
    fm_forward_headers(p)
    if end_stream then p.fm.ended = true end
  else
    p.fm.stopped = true
  end
  settle_http(p)
end

local function fm_data(p, chunk, end_stream)
  if p.fm.dead then return end
  local frame = { data = chunk }
  p.input_ended = end_stream
  local status = filter_data(p, frame, end_stream)
  if status == "Continue" then
    if p.fm.stopped or not p.fm.headers_forwarded then fm_continue(p) end
    if not frame.moved then fm_forward_chunk(p, frame.data) end
    if end_stream then p.fm.ended = true end
  elseif status == "StopIterationAndBuffer" then
    p.fm.stopped = true
    if not frame.moved then buffer_append(p, frame.data, true) end
  elseif status == "StopIterationAndWatermark" then
    p.fm.stopped = true
    if not frame.moved then buffer_append(p, frame.data, false) end
  end
  settle_http(p)
end

local function fm_trailers(p, tmap)
  if p.fm.dead then return end
  p.input_ended = true
  local status = filter_trailers(p, tmap)
  if status == "Continue" then
    if p.fm.stopped or not p.fm.headers_forwarded then fm_continue(p) end
    if not p.fm.dead then
      p.fm.trailers = tmap:snapshot()
      p.fm.ended = true
    end
  elseif p.state ~= "Responded" then
    p.fm.stopped = true
    p.fm.held_trailers = tmap
  end
  settle_http(p)
end

-- The async client delivers the httpCall response (onSuccess / onFailure).
complete_http_call = function(p)
  local pending = p.pending_http
  p.pending_http = nil
  if pending == nil or not active(p) or p.state ~= "HttpCall" then return end
  local resp = pending.response
  local headers_tbl, body
  if resp.fail then
    headers_tbl, body = { [":status"] = "503" }, "upstream failure"
  else
    local m = HeaderMap.from_spec("local_reply", resp.headers)
    if m:get(":status") == nil then m:add(":status", "200") end
    headers_tbl = {}
    for _, en in ipairs(m.e) do
      local k, v = en[1], en[2]
      if pending.duplicates then
        local cur = headers_tbl[k]
        if cur == nil then headers_tbl[k] = v
        elseif type(cur) == "table" then cur[#cur + 1] = v
        else headers_tbl[k] = { cur, v } end
      else
        headers_tbl[k] = v -- last value wins
      end
    end
    body = resp.body
    if body == json.null or body == "" then body = nil end
  end
  p.state = "Running"
  resume(p, headers_tbl, body)
  if p.state == "Running" then
    -- Script finished (or failed): continueIteration()
    p.headers_continued = true
    fm_continue(p)
  end
end

---------------------------------------------------------------------------
-- Streams
---------------------------------------------------------------------------

local Stream = {}
Stream.__index = Stream

local function frames_of(body)
  if body == nil or body == json.null then return {} end
  if type(body) == "string" then
    if body == "" then return {} end
    return { body }
  end
  local out = {}
  for i, c in ipairs(body) do out[i] = tostring(c) end
  return out
end

function Stream.new(F, vm, spec, index, worker)
  local s = setmetatable({
    filter = F, vm = vm, spec = spec, index = index, worker = worker,
    logs = json.array({}), errors = 0, error_messages = json.array({}),
    error_tracebacks = json.array({}), executions = 0,
    dynamic_metadata = {}, connection_metadata = {},
    http_calls = json.array({}), warnings = json.array({}),
    route_cache_clears = 0, response_clear_route_cache_calls = 0,
    stream_info = (spec.streamInfo ~= nil and spec.streamInfo ~= json.null) and spec.streamInfo or {},
  }, Stream)
  local cdm = s.stream_info.connectionDynamicMetadata
  if cdm and cdm ~= json.null then
    for ns, v in pairs(cdm) do s.connection_metadata[ns] = json_to_struct(v) end
  end
  -- What earlier filters of the chain (jwt_authn, another Lua filter) left in the stream's
  -- dynamic metadata before this filter runs.
  local sdm = s.stream_info.dynamicMetadata
  if sdm and sdm ~= json.null then
    for ns, v in pairs(sdm) do s.dynamic_metadata[ns] = json_to_struct(v) end
  end
  return s
end

function Stream:log(level, message, kind, phase)
  self.logs[#self.logs + 1] = json.object({ level = level, message = message, kind = kind, phase = phase })
end

function Stream:warn(msg)
  self.warnings[#self.warnings + 1] = msg
end

function Stream:set_time(phase)
  local spec, F = self.spec, self.filter
  local t
  if phase == "response" then t = spec.responseNow end
  if t == nil or t == json.null then t = spec.now end
  if t ~= nil and t ~= json.null then F.clock_now = t end
end

-- Routing model -----------------------------------------------------------

local function header_matches(m, hm)
  local vals = m:values(lower(hm.name))
  local r
  if hm.present ~= nil and hm.present ~= json.null then
    r = (#vals > 0) == (hm.present ~= false)
  elseif #vals == 0 then
    r = false
  else
    local v = concat(vals, ",")
    if hm.exact ~= nil then r = v == hm.exact
    elseif hm.prefix ~= nil then r = v:sub(1, #hm.prefix) == hm.prefix
    elseif hm.suffix ~= nil then r = #v >= #hm.suffix and v:sub(-#hm.suffix) == hm.suffix
    elseif hm.contains ~= nil then r = v:find(hm.contains, 1, true) ~= nil
    else r = true end
  end
  if hm.invert then r = not r end
  return r
end

function Stream:match_route()
  local F = self.filter
  local routes = F.config.routes
  if routes == nil then
    return {
      name = "default",
      metadata = self.route_metadata,
      filter_context = self.filter_context,
    }
  end
  local m = self.req.headers
  local path = (m:get(":path") or "/"):gsub("[?#].*$", "")
  for _, r in ipairs(routes) do
    local mt = r.match or {}
    local ok = true
    if mt.path ~= nil and path ~= mt.path then ok = false end
    if ok and mt.prefix ~= nil and path:sub(1, #mt.prefix) ~= mt.prefix then ok = false end
    if ok and mt.headers then
      for _, hm in ipairs(mt.headers) do
        if not header_matches(m, hm) then ok = false; break end
      end
    end
    if ok then return r.compiled end
  end
  return nil
end

-- The connection manager resolves the route before running the filters.
function Stream:route_init()
  local spec = self.spec
  self.route_metadata = {}
  if spec.routeMetadata ~= nil and spec.routeMetadata ~= json.null then
    for ns, v in pairs(spec.routeMetadata) do self.route_metadata[ns] = json_to_struct(v) end
  end
  self.filter_context = json_to_struct(spec.filterContext)
  self.route = self:match_route()
  self.route_valid = true
end

function Stream:get_route()
  if not self.route_valid then
    self.route = self:match_route()
    self.route_valid = true
  end
  return self.route
end

function Stream:clear_route_cache()
  self.route_valid = false
  self.route_cache_clears = self.route_cache_clears + 1
end

-- Request-path header modification while the headers are still held.
function Stream:on_headers_modified(p)
  if p.kind ~= "request" then return end -- a NOP on the encoder path
  local F = self.filter
  if F.version < V("1.34") or F.config.clear_route_cache then self:clear_route_cache() end
end

-- The router filter sees the request headers.
function Stream:router_decode_headers()
  local route = self:get_route()
  self.router_route = route
  self.router_saw_headers = true
  if route == nil then
    self.route_not_found = true
    self:set_local_reply(404, nil, "", "route_not_found")
    self.req.fm.dead = true
  end
end

-- Local replies -------------------------------------------------------------

-- Utility::prepareLocalReply: :status, then the caller's headers, then
-- content-length / default content-type from the body.
function Stream:make_local_reply(code, extra, body, details)
  local m = HeaderMap.new("response")
  m:add(":status", tostring(code))
  if extra then
    for _, en in ipairs(extra.e) do
      -- [U] Envoy copies every respond() header (addCopy) into the reply,
      -- including :status; the harness keeps a single :status.
      if en[1] ~= ":status" then m:add(en[1], en[2]) end
    end
  end
  if body ~= "" then
    m:set("content-length", tostring(#body))
    if m:get("content-type") == nil then m:set("content-type", "text/plain") end
  else
    m:remove("content-length")
    m:remove("content-type")
  end
  return { status = code, headers = m, body = body, details = details }
end

function Stream:set_local_reply(code, extra, body, details)
  if self.local_reply then return end
  self.local_reply = self:make_local_reply(code, extra, body, details)
end

function Stream:respond_local_reply(code, m, body)
  self:set_local_reply(code, m, body, "lua_response")
end

-- Driving a stream ------------------------------------------------------------

local PAUSE = {}

function Stream:pause()
  if self.filter.interleaved then co_yield(PAUSE) end
end

function Stream:write_files()
  local files = self.spec.files
  if files == nil or files == json.null then return end
  for _, path in ipairs(sorted_keys(files)) do
    local content = files[path]
    if content == json.null or content == false then
      os.remove(path)
    else
      local f = assert(io.open(path, "wb"))
      f:write(content)
      f:close()
    end
  end
end

function Stream:run_direction(p, frames, trailers_map)
  local end_stream = #frames == 0 and trailers_map == nil
  fm_headers(p, end_stream)
  for i, chunk in ipairs(frames) do
    if p.fm.dead or (p.kind == "request" and self.local_reply) or self.response_direct then break end
    self:pause()
    self:set_time(p.kind)
    fm_data(p, chunk, i == #frames and trailers_map == nil)
  end
  if trailers_map and not p.fm.dead and not (p.kind == "request" and self.local_reply) and not self.response_direct then
    self:pause()
    self:set_time(p.kind)
    fm_trailers(p, trailers_map)
  end
  -- httpCall responses that arrive after the whole body ("afterBody" timing)
  while active(p) and p.state == "HttpCall" and p.pending_http do
    complete_http_call(p)
  end
end

function Stream:run()
  local spec, F = self.spec, self.filter
  self:write_files()
  self:set_time("request")
  local rspec = spec.request or {}
  local headers = HeaderMap.from_spec("request", rspec.headers)
  local protocol = self.stream_info.protocol or "HTTP/1.1"
  if protocol:match("^HTTP/1") and headers:get(":authority") == nil and headers:get("host") ~= nil then
    headers:add(":authority", headers:get("host"))
    headers:remove("host")
  end
  if headers:get(":method") == nil then headers:add(":method", "GET") end
  if headers:get(":path") == nil then headers:add(":path", "/") end
  if headers:get(":scheme") == nil then headers:add(":scheme", "http") end
  if headers:get(":authority") == nil then headers:add(":authority", "localhost") end
  -- The downstream HTTP/1 codec consumes "transfer-encoding: chunked" (HTTP/2 has none): filters
  -- never see it, and the upstream codec frames the body itself (content-length when the
  -- headers carry one, e.g. after setBytes(), else chunked). Checked against Envoy 1.40.
  headers:remove("transfer-encoding")
  self.original_request_headers = headers:snapshot()
  self.req = new_path(self, "request", headers)
  self:route_init()
  local rtrailers = nil
  if rspec.trailers ~= nil and rspec.trailers ~= json.null then
    rtrailers = HeaderMap.from_spec("request_trailers", rspec.trailers)
  end
  self:run_direction(self.req, frames_of(rspec.body), rtrailers)

  -- Response: a local reply (through this filter's encoder path), or the
  -- upstream response once the request was passed on.
  self:pause()
  self:set_time("response")
  local resp_headers, frames, trailers
  if self.local_reply then
    local lr = self.local_reply
    if F.config.response_on_local_reply == false then
      self.response_skipped_filter = true
      return
    end
    resp_headers = HeaderMap.new("response")
    for _, en in ipairs(lr.headers.e) do resp_headers:add(en[1], en[2]) end
    frames = frames_of(lr.body)
  elseif self.req.fm.headers_forwarded then
    if not self.req.fm.ended then
      self:warn("request end of stream was never passed upstream (the filter still holds part of it)")
    end
    local ospec = spec.response or {}
    resp_headers = HeaderMap.from_spec("response", ospec.headers)
    if resp_headers:get(":status") == nil then resp_headers:add(":status", "200") end
    frames = frames_of(ospec.body)
    if ospec.trailers ~= nil and ospec.trailers ~= json.null then
      trailers = HeaderMap.from_spec("response_trailers", ospec.trailers)
    end
  else
    self:warn("request headers were never passed upstream and no local reply was sent")
    return
  end
  self.resp = new_path(self, "response", resp_headers)
  self:run_direction(self.resp, frames, trailers)
end

-- Result ------------------------------------------------------------------------

local function content_length_check(s, what, headers_list, body)
  for _, en in ipairs(headers_list) do
    if en[1] == "content-length" then
      if tonumber(en[2]) ~= #body then
        s:warn(format("%s content-length is %s but %d body bytes were forwarded", what, en[2], #body))
      end
      return
    end
  end
end

function Stream:result()
  local out = json.object({ worker = self.worker, index = self.index - 1 })
  -- request
  local rq = self.req
  local rq_headers = rq.fm.headers_forwarded and rq.fm.headers or rq.headers:snapshot()
  local hmap, hlist = headers_to_json(rq_headers)
  local rq_body = concat(rq.fm.chunks)
  local forwarded = rq.fm.headers_forwarded and not self.route_not_found
  out.request = json.object({
    forwarded = forwarded,
    headers = hmap, headerList = hlist,
    body = rq_body, chunks = json.array(rq.fm.chunks),
    trailers = rq.fm.trailers and (headers_to_json(rq.fm.trailers)) or json.null,
    routeCacheClears = self.route_cache_clears,
    route = (self.router_route and self.router_route.name) or json.null,
    upstreamOverrideHost = self.upstream_override_host and json.object({
      host = self.upstream_override_host.host, strict = self.upstream_override_host.strict }) or json.null,
  })
  if forwarded and rq.fm.ended then content_length_check(self, "request", rq_headers, rq_body) end
  -- local reply
  if self.local_reply then
    local lr = self.local_reply
    local lm, ll = headers_to_json(lr.headers:snapshot())
    out.localReply = json.object({ status = lr.status, headers = lm, headerList = ll, body = lr.body, details = lr.details })
  else
    out.localReply = json.null
  end
  -- response
  local rs = self.resp
  if self.response_direct then
    local d = self.response_direct
    local dm, dl = headers_to_json(d.headers:snapshot())
    out.response = json.object({ headers = dm, headerList = dl, body = d.body, chunks = json.array({ d.body }),
      trailers = json.null, details = d.details, clearRouteCacheCalls = self.response_clear_route_cache_calls })
  elseif self.response_skipped_filter then
    local lr = self.local_reply
    local lm, ll = headers_to_json(lr.headers:snapshot())
    out.response = json.object({ headers = lm, headerList = ll, body = lr.body, chunks = json.array(frames_of(lr.body)),
      trailers = json.null, clearRouteCacheCalls = 0 })
  elseif rs then
    local rh = rs.fm.headers_forwarded and rs.fm.headers or rs.headers:snapshot()
    local m2, l2 = headers_to_json(rh)
    local body = concat(rs.fm.chunks)
    out.response = json.object({
      headers = m2, headerList = l2, body = body, chunks = json.array(rs.fm.chunks),
      trailers = rs.fm.trailers and (headers_to_json(rs.fm.trailers)) or json.null,
      reasonPhrase = rs.reason_phrase or json.null,
      clearRouteCacheCalls = self.response_clear_route_cache_calls,
    })
    if rs.fm.ended then content_length_check(self, "response", rh, body) end
  else
    out.response = json.null
  end
  local dm = json.object({})
  for ns, st in pairs(self.dynamic_metadata) do dm[ns] = value_to_json(st) end
  out.dynamicMetadata = dm
  out.logs = self.logs
  out.errors = self.errors
  out.errorMessages = self.error_messages
  out.errorTracebacks = self.error_tracebacks
  out.executions = self.executions
  out.httpCalls = self.http_calls
  out.warnings = self.warnings
  return out
end

---------------------------------------------------------------------------
-- Worker VMs: one global environment per simulated Lua state
---------------------------------------------------------------------------

local BASE_FUNCTIONS = {
  "assert", "collectgarbage", "error", "gcinfo", "getfenv", "getmetatable", "ipairs",
  "next", "newproxy", "pcall", "rawequal", "rawget", "rawset", "select", "setfenv",
  "setmetatable", "tonumber", "tostring", "type", "unpack", "xpcall",
}
local LIBRARIES = { "string", "table", "math", "io", "os", "coroutine", "debug", "bit", "jit" }
local SHARED_MODULES = { ffi = true, ["jit.util"] = true, ["jit.profile"] = true, ["table.new"] = true,
  ["table.clear"] = true, ["string.buffer"] = true }

local function shallow_copy(t)
  local c = {}
  for k, v in pairs(t) do c[k] = v end
  return c
end

local function make_env(F, label)
  local env = {}
  for _, name in ipairs(BASE_FUNCTIONS) do env[name] = _G[name] end
  env._G = env
  env._VERSION = _VERSION
  for _, name in ipairs(LIBRARIES) do env[name] = shallow_copy(_G[name]) end

  -- Envoy builds LuaJIT with LUAJIT_ENABLE_LUA52COMPAT (bazel/foreign_cc/
  -- luajit.patch); Debian's luajit is built without it. Emulate the parts a
  -- script can observe through library functions: __pairs/__ipairs,
  -- table.pack/unpack, rawlen, two results from coroutine.running(),
  -- package.searchers. (__len on tables cannot be emulated.)
  env.pairs = function(t)
    local mt = debug.getmetatable(t)
    local mm = mt and rawget(mt, "__pairs")
    if mm ~= nil then
      local a, b, c = mm(t)
      return a, b, c
    end
    return pairs(t)
  end
  env.ipairs = function(t)
    local mt = debug.getmetatable(t)
    local mm = mt and rawget(mt, "__ipairs")
    if mm ~= nil then
      local a, b, c = mm(t)
      return a, b, c
    end
    return ipairs(t)
  end
  env.rawlen = function(v)
    local t = type(v)
    if t ~= "table" and t ~= "string" then
      error("bad argument #1 to 'rawlen' (table or string expected)", 2)
    end
    return #v
  end
  env.table.pack = function(...) return { n = select("#", ...), ... } end
  env.table.unpack = unpack
  env.coroutine.running = function()
    local co = host_coroutine.running()
    if co == nil then return nil, true end
    return co, false
  end

  -- Chunks loaded by the script belong to this VM's globals.
  env.loadstring = function(s, name)
    local f, e = loadstring(s, name)
    if f then setfenv(f, env) end
    return f, e
  end
  env.load = function(chunk, name, mode, fenv)
    local f, e = load(chunk, name, mode)
    if f then setfenv(f, fenv or env) end
    return f, e
  end
  env.loadfile = function(path, mode, fenv)
    local f, e = loadfile(path, mode)
    if f then setfenv(f, fenv or env) end
    return f, e
  end
  env.dofile = function(path)
    local f = assert(env.loadfile(path))
    return f()
  end

  -- Per-VM package / require (package.path is LuaJIT's default; the harness'
  -- own modules are not reachable).
  local pkg = shallow_copy(package)
  pkg.path = ORIGINAL_PACKAGE_PATH
  pkg.cpath = ORIGINAL_PACKAGE_CPATH
  pkg.preload = {}
  pkg.loaded = { _G = env }
  for _, name in ipairs(LIBRARIES) do pkg.loaded[name] = env[name] end
  pkg.loaded.package = pkg
  pkg.searchers = pkg.loaders
  env.package = pkg
  env.require = function(name)
    name = tostring(name)
    local loaded = pkg.loaded[name]
    if loaded ~= nil then return loaded end
    if SHARED_MODULES[name] then
      local m = require(name)
      pkg.loaded[name] = m
      return m
    end
    local pre = pkg.preload[name]
    if pre then
      local r = pre(name)
      if r == nil then r = pkg.loaded[name] ~= nil and pkg.loaded[name] or true end
      pkg.loaded[name] = r
      return r
    end
    local path, err = package.searchpath(name, pkg.path)
    if not path then
      error("module '" .. name .. "' not found:\n\tno field package.preload['" .. name .. "']" .. err, 2)
    end
    local f = assert(loadfile(path))
    setfenv(f, env)
    local r = f(name)
    if r == nil then r = pkg.loaded[name] ~= nil and pkg.loaded[name] or true end
    pkg.loaded[name] = r
    return r
  end

  -- Clock injection: os.time()/os.date() follow the scenario clock.
  env.os.time = function(t)
    if t ~= nil then return os.time(t) end
    return floor(F:now())
  end
  env.os.date = function(fmt, t)
    if t == nil then t = floor(F:now()) end
    if fmt == nil then return os.date() end
    return os.date(fmt, t)
  end

  -- print() goes to Envoy's stdout; the harness records it in the logs.
  env.print = function(...)
    local parts = {}
    for i = 1, select("#", ...) do parts[i] = tostring((select(i, ...))) end
    F:log_print(concat(parts, "\t"))
  end
  return env
end

local function load_vm(F, label)
  local env = make_env(F, label)
  local vm = { env = env, label = label }
  -- luaL_dostring(code): the chunk name is the code itself.
  local fn, err = loadstring(F.source, F.source)
  if not fn then return nil, "script load error: " .. tostring(err) end
  setfenv(fn, env)
  F.loading_vm = label
  local ok, e = pcall(fn)
  F.loading_vm = nil
  if not ok then return nil, "script load error: " .. error_to_string(e) end
  -- Initializers run after the top-level code (registerGlobal).
  env.EnvoyTimestampResolution = { MILLISECOND = RES_MILLISECOND, MICROSECOND = RES_MICROSECOND }
  vm.on_request = env.envoy_on_request
  vm.on_response = env.envoy_on_response
  return vm
end

---------------------------------------------------------------------------
-- Filter (one configured Lua filter with one script)
---------------------------------------------------------------------------

local Filter = {}
Filter.__index = Filter

function Filter:now()
  return self.clock_now or real_now()
end

function Filter:log_print(msg)
  local s = self.current_stream
  if s then
    s:log("info", msg, "print", self.current_phase)
  else
    self.load_logs[#self.load_logs + 1] = json.object({ level = "info", message = msg, kind = "print",
      phase = "load", vm = self.loading_vm or json.null })
  end
end

function Filter:next_cluster_response(cluster)
  local spec = self.config.clusters[cluster]
  local list = spec
  if not json.is_array(spec) then list = { spec } end
  local i = (self.cluster_cursor[cluster] or 0) + 1
  if i > #list then i = #list end
  self.cluster_cursor[cluster] = i
  local r = list[i]
  if r == nil or r == json.null or r == true then r = {} end
  return r
end

local function bool_opt(v, default)
  if v == nil or v == json.null then return default end
  return v and true or false
end

local function compile_routes(routes)
  if routes == nil or routes == json.null then return nil end
  local out = {}
  for i, r in ipairs(routes) do
    local md = {}
    if r.metadata and r.metadata ~= json.null then
      for ns, v in pairs(r.metadata) do md[ns] = json_to_struct(v) end
    end
    out[i] = {
      match = r.match,
      compiled = { name = r.name or ("route" .. i), metadata = md, filter_context = json_to_struct(r.filterContext) },
    }
  end
  return out
end

function M.new_filter(scn)
  local cfg = scn.config or {}
  if cfg == json.null then cfg = {} end
  local version, label = parse_version(cfg.envoyVersion ~= json.null and cfg.envoyVersion or nil)
  local F = setmetatable({
    version = version, version_label = label,
    stats = { errors = 0, executions = 0 },
    load_logs = json.array({}),
    cluster_cursor = {},
    clock_now = (scn.now ~= nil and scn.now ~= json.null) and scn.now or nil,
    interleaved = cfg.order == "interleaved",
  }, Filter)
  local clusters = {}
  if cfg.clusters and cfg.clusters ~= json.null then
    for k, v in pairs(cfg.clusters) do clusters[k] = v end
  end
  local timing = cfg.httpCallTiming
  if timing == nil or timing == json.null then timing = "immediate" end
  if timing ~= "immediate" and timing ~= "afterBody" then
    error("config.httpCallTiming must be \"immediate\" or \"afterBody\"", 0)
  end
  F.config = {
    clear_route_cache = bool_opt(cfg.clear_route_cache, true),
    buffer_limit = (cfg.bufferLimitBytes ~= nil and cfg.bufferLimitBytes ~= json.null) and cfg.bufferLimitBytes
      or DEFAULT_BUFFER_LIMIT,
    filter_name = (cfg.filterName ~= nil and cfg.filterName ~= json.null) and cfg.filterName or DEFAULT_FILTER_NAME,
    response_on_local_reply = bool_opt(cfg.responseOnLocalReply, true),
    routes = compile_routes(cfg.routes),
    clusters = clusters,
    http_call_timing = timing,
  }
  F.classes = build_classes(F)
  local source = scn.script
  if (source == nil or source == json.null) and scn.scriptPath then
    local f = assert(io.open(scn.scriptPath, "rb"))
    source = f:read("*a")
    f:close()
  end
  if type(source) ~= "string" then error("scenario.script (Lua source) is required", 0) end
  F.source = source
  -- Validation VM first (Envoy's scratch state at config load), then workers.
  local nworkers = tonumber(scn.workers) or 1
  if nworkers < 1 then nworkers = 1 end
  local _, err = load_vm(F, "validation")
  if err then F.load_error = err; return F end
  F.workers = {}
  for w = 1, nworkers do
    local vm, e = load_vm(F, "worker" .. (w - 1))
    if not vm then F.load_error = e; return F end
    F.workers[w] = vm
  end
  F.vm_loads = 1 + nworkers
  local v = F.workers[1]
  if v.on_request == nil then
    F.load_logs[#F.load_logs + 1] = json.object({ level = "info", kind = "envoy", phase = "load",
      message = "envoy_on_request() function not found. Lua filter will not hook requests." })
  end
  if v.on_response == nil then
    F.load_logs[#F.load_logs + 1] = json.object({ level = "info", kind = "envoy", phase = "load",
      message = "envoy_on_response() function not found. Lua filter will not hook responses." })
  end
  return F
end

---------------------------------------------------------------------------
-- Scenario runner
---------------------------------------------------------------------------

function M.run_scenario(scn)
  local F = M.new_filter(scn)
  local base = json.object({
    envoyVersion = F.version_label,
    luajit = jit.version,
    loadLogs = F.load_logs,
  })
  if F.load_error then
    base.loadError = F.load_error
    base.requests = json.array({})
    base.stats = json.object({ errors = 0, executions = 0 })
    base.vmLoads = 0
    return base
  end
  local nworkers = #F.workers
  local streams = {}
  for i, spec in ipairs(scn.requests or {}) do
    local w = spec.worker
    if w == nil or w == json.null then w = (i - 1) % nworkers end
    if w < 0 or w >= nworkers then error(format("requests[%d].worker = %d is out of range (workers = %d)", i - 1, w, nworkers), 0) end
    streams[i] = Stream.new(F, F.workers[w + 1], spec, i, w)
  end
  local drivers = {}
  for i, s in ipairs(streams) do
    drivers[i] = co_create(function() s:run() end)
  end
  local function step(i)
    local ok, err = co_resume(drivers[i])
    if not ok then
      error("HARNESS BUG while running request " .. (i - 1) .. ": " .. debug.traceback(drivers[i], err), 0)
    end
  end
  if F.interleaved then
    local pending = true
    while pending do
      pending = false
      for i = 1, #drivers do
        if co_status(drivers[i]) ~= "dead" then
          step(i)
          if co_status(drivers[i]) ~= "dead" then pending = true end
        end
      end
    end
  else
    for i = 1, #drivers do
      while co_status(drivers[i]) ~= "dead" do step(i) end
    end
  end
  local results = json.array({})
  for i, s in ipairs(streams) do results[i] = s:result() end
  base.requests = results
  base.stats = json.object({ errors = F.stats.errors, executions = F.stats.executions })
  base.vmLoads = F.vm_loads
  return base
end

M.HeaderMap = HeaderMap

-- Run one request spec through a filter made by M.new_filter() and return the
-- stream; stream:result() gives the same shape as run_scenario's requests.
function M.run_request(F, spec, worker)
  worker = worker or 0
  local s = Stream.new(F, F.workers[worker + 1], spec, 1, worker)
  s:run()
  return s
end

---------------------------------------------------------------------------
-- Command line: scenario JSON on stdin, framed result JSON on stdout
---------------------------------------------------------------------------

local function main()
  local input = io.read("*a")
  local ok, out = pcall(function()
    local scn = json.decode(input)
    local res = M.run_scenario(scn)
    res.invalidUtf8Strings = 0
    local text = json.encode(res)
    if json.invalid_utf8_count > 0 then
      res.invalidUtf8Strings = json.invalid_utf8_count
      text = json.encode(res)
    end
    return text
  end)
  if not ok then
    io.stdout:write("\n", M.RESULT_BEGIN, "\n", json.encode({ harnessError = error_to_string(out) }), "\n", M.RESULT_END, "\n")
    io.stdout:flush()
    os.exit(2)
  end
  io.stdout:write("\n", M.RESULT_BEGIN, "\n", out, "\n", M.RESULT_END, "\n")
  io.stdout:flush()
end

-- Run main() only when executed as a program (not when loaded with dofile).
if arg and arg[0] and arg[0]:match("envoy_emulator%.lua$") then
  main()
end

return M
