-- Microbenchmark for Lua filter scripts under the Envoy emulation.
--
--   luajit test/support/lua/bench.lua <script.lua> [--path request|response|both]
--          [--n 2000] [--size 4096] [--sse] [--warmup 200] [--baseline other.lua] [--direct]
--
-- Sends an OpenAI-style chat completion request (and/or response; --sse for a
-- streamed response) of about --size bytes through the script --n times and
-- prints one JSON line:
--   {"n":..,"bodyBytes":..,"path":..,"usPerRequest":..,"baselineUsPerRequest":..,
--    "netUsPerRequest":..,"errors":..}
-- baseline = the same traffic through empty envoy_on_request/envoy_on_response
-- functions (the emulator's own cost, which Envoy's C++ does not have), or
-- through --baseline <script> (e.g. one that only calls body() or iterates
-- bodyChunks(), to isolate the script's own work).
-- --direct runs the script against a minimal handle instead of the emulator: plain tables, no
-- coroutines, no checks, so each API call costs about what a C++ call costs Envoy, and what is
-- measured is the script's own Lua work. (The emulator's wrappers are Lua and cost about a
-- microsecond per call, which Envoy does not pay.)
-- For `npm run bench`; not used by the tests.

local HERE = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
local emu = dofile(HERE .. "envoy_emulator.lua")
local json = emu.json

local args = { ... }
local opts = { path = "request", n = 2000, size = 4096, sse = false, warmup = 200 }
local baseline_path
local script_path
local i = 1
while i <= #args do
  local a = args[i]
  if a == "--path" then opts.path = args[i + 1]; i = i + 2
  elseif a == "--n" then opts.n = tonumber(args[i + 1]); i = i + 2
  elseif a == "--size" then opts.size = tonumber(args[i + 1]); i = i + 2
  elseif a == "--warmup" then opts.warmup = tonumber(args[i + 1]); i = i + 2
  elseif a == "--sse" then opts.sse = true; i = i + 1
  elseif a == "--direct" then opts.direct = true; i = i + 1
  elseif a == "--baseline" then baseline_path = args[i + 1]; i = i + 2
  elseif a:sub(1, 2) == "--" then error("unknown option " .. a)
  else script_path = a; i = i + 1 end
end
if not script_path then
  io.stderr:write("usage: luajit bench.lua <script.lua> [--path request|response|both] [--n N] [--size BYTES] [--sse]\n")
  os.exit(2)
end
if opts.path ~= "request" and opts.path ~= "response" and opts.path ~= "both" then
  error("--path must be request, response or both")
end

local function read_file(p)
  local f = assert(io.open(p, "rb"))
  local text = f:read("*a")
  f:close()
  return text
end
local source = read_file(script_path)
local baseline_source = baseline_path and read_file(baseline_path)
  or "function envoy_on_request(h) end\nfunction envoy_on_response(h) end\n"

local function filler(n)
  local words = { "lorem", "ipsum", "dolor", "sit", "amet", "consectetur", "adipiscing", "elit" }
  local out, len, k = {}, 0, 0
  while len < n do
    k = k + 1
    local w = words[(k - 1) % #words + 1]
    out[#out + 1] = w
    len = len + #w + 1
  end
  return table.concat(out, " "):sub(1, math.max(n, 0))
end

local function chat_request(size)
  local skeleton = '{"model":"gpt-4o-mini","messages":[{"role":"user","content":""}],"stream":%s}'
  local base = #skeleton:format("false")
  return (skeleton:gsub('"content":""', '"content":"' .. filler(size - base) .. '"', 1)):format(opts.sse and "true" or "false")
end

local function chat_response(size)
  local skeleton = '{"id":"chatcmpl-1","object":"chat.completion","created":1700000000,"model":"gpt-4o-mini",'
    .. '"choices":[{"index":0,"message":{"role":"assistant","content":"%s"},"finish_reason":"stop"}],'
    .. '"usage":{"prompt_tokens":812,"completion_tokens":230,"total_tokens":1042}}'
  return skeleton:format(filler(size - #skeleton + 2))
end

local function sse_response(size)
  local frames, total = {}, 0
  local ev = 'data: {"id":"chatcmpl-1","object":"chat.completion.chunk","model":"gpt-4o-mini",'
    .. '"choices":[{"index":0,"delta":{"content":"%s"}}]}\n\n'
  while total < size do
    local fr = ev:format(filler(40))
    frames[#frames + 1] = fr
    total = total + #fr
  end
  frames[#frames + 1] = 'data: {"id":"chatcmpl-1","object":"chat.completion.chunk","model":"gpt-4o-mini",'
    .. '"choices":[],"usage":{"prompt_tokens":812,"completion_tokens":230,"total_tokens":1042}}\n\n'
  frames[#frames + 1] = "data: [DONE]\n\n"
  return frames
end

local function make_spec()
  local spec = { request = { headers = { [":method"] = "POST", [":path"] = "/v1/chat/completions",
    ["content-type"] = "application/json", authorization = "Bearer sk-test" } } }
  local body_bytes = 0
  if opts.path == "request" or opts.path == "both" then
    local b = chat_request(opts.size)
    spec.request.body = b
    spec.request.headers["content-length"] = tostring(#b)
    body_bytes = body_bytes + #b
  end
  if opts.path == "response" or opts.path == "both" then
    if opts.sse then
      local frames = sse_response(opts.size)
      spec.response = { headers = { [":status"] = "200", ["content-type"] = "text/event-stream" }, body = frames }
      for _, fr in ipairs(frames) do body_bytes = body_bytes + #fr end
    else
      local b = chat_response(opts.size)
      spec.response = { headers = { [":status"] = "200", ["content-type"] = "application/json",
        ["content-length"] = tostring(#b) }, body = b }
      body_bytes = body_bytes + #b
    end
  end
  return spec, body_bytes
end

local function measure(src)
  local F = emu.new_filter({ script = src, workers = 1, config = { bufferLimitBytes = 64 * 1024 * 1024 } })
  if F.load_error then error(F.load_error) end
  local spec = make_spec()
  local errors = 0
  for _ = 1, opts.warmup do emu.run_request(F, spec) end
  collectgarbage("collect")
  local t0 = emu.monotonic_now()
  for _ = 1, opts.n do
    local s = emu.run_request(F, spec)
    errors = errors + s.errors
  end
  local dt = emu.monotonic_now() - t0
  return dt / opts.n * 1e6, errors
end


-- A minimal stream handle for --direct: the API surface the filters use, as plain tables.
local function direct_handle(headers, frames)
  local h, dm, out = {}, {}, {}
  local hm = {}
  function hm:get(k) return headers[k] or headers[k:lower()] end
  function hm:add(k, v) headers[k:lower()] = tostring(v) end
  function hm:replace(k, v) headers[k:lower()] = tostring(v) end
  function hm:remove(k) headers[k:lower()] = nil end
  function hm:getNumValues(k) return headers[k:lower()] and 1 or 0 end
  local function buffer(str)
    local b = {}
    function b:length() return #str end
    function b:getBytes(i, n) return str:sub(i + 1, i + n) end
    function b:setBytes(x) str = x; out.body = x; return #x end
    return b
  end
  local metadata = {}
  function metadata:get(ns) return dm[ns] end
  function metadata:set(ns, k, v) local t = dm[ns] or {}; dm[ns] = t; t[k] = v end
  local info = {}
  function info:dynamicMetadata() return metadata end
  function info:protocol() return "HTTP/1.1" end
  local route = {}
  function route:get() return nil end
  function h:headers() return hm end
  function h:body() if #frames == 0 then return nil end return buffer(table.concat(frames)) end
  function h:bodyChunks()
    local k = 0
    return function() k = k + 1; if frames[k] then return buffer(frames[k]) end end
  end
  function h:trailers() return nil end
  function h:streamInfo() return info end
  function h:metadata() return route end
  function h:respond(hd, body) out.status = hd[":status"]; out.body = body end
  function h:clearRouteCache() end
  function h:timestamp() return 1700000000000 end
  function h:logTrace() end function h:logDebug() end function h:logInfo() end
  function h:logWarn() end function h:logErr() end function h:logCritical() end
  return h
end

local function copy(t) local c = {} for k, v in pairs(t) do c[k] = v end return c end
local function frames_of(body) if body == nil then return {} end if type(body) == "table" then return body end return { body } end

local function measure_direct(src)
  local env = setmetatable({}, { __index = _G })
  env._G = env
  assert(setfenv(assert(loadstring(src)), env))()
  local spec = make_spec()
  local function once()
    if env.envoy_on_request and spec.request then env.envoy_on_request(direct_handle(copy(spec.request.headers), frames_of(spec.request.body))) end
    if env.envoy_on_response and spec.response then env.envoy_on_response(direct_handle(copy(spec.response.headers), frames_of(spec.response.body))) end
  end
  for _ = 1, opts.warmup do once() end
  collectgarbage("collect")
  local t0 = emu.monotonic_now()
  for _ = 1, opts.n do once() end
  return (emu.monotonic_now() - t0) / opts.n * 1e6, 0
end

if opts.direct then measure = measure_direct end
local _, body_bytes = make_spec()
local us, errors = measure(source)
local base = measure(baseline_source)
print(json.encode({
  n = opts.n, bodyBytes = body_bytes, path = opts.path .. (opts.sse and "+sse" or "") .. (opts.direct and "+direct" or ""),
  usPerRequest = math.floor(us * 100 + 0.5) / 100,
  baselineUsPerRequest = math.floor(base * 100 + 0.5) / 100,
  netUsPerRequest = math.floor((us - base) * 100 + 0.5) / 100,
  errors = errors,
}))
