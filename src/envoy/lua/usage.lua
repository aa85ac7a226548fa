-- Token usage and cost accounting on responses.
--
-- Reads the provider's usage report: OpenAI "usage" {prompt_tokens, completion_tokens,
-- total_tokens}, Anthropic "usage" {input_tokens, output_tokens}. In a JSON body it is near the
-- end; in an SSE stream it comes in late events (OpenAI's last chunk with
-- stream_options.include_usage, Anthropic's message_start and message_delta). Providers report
-- running totals, so the last value of each field wins.
--
-- Streaming responses stay streaming: chunks pass on as they come (bodyChunks), SSE is scanned
-- line by line with only an unfinished line carried over, a JSON body keeps only its last
-- CONFIG.tailBytes. Only for usage headers on a non-streaming response is the body held until
-- it is complete (body()), and only when its content-length is at most CONFIG.maxBufferBytes,
-- so that a large response can never hit Envoy's buffer limit (which would turn it into a 500).
--
-- Cost = input_tokens * inputTokens + output_tokens * outputTokens of the endpoint that answered,
-- computed on decimal digits (prices are scaled to integers at synth time), so "0.1" + "0.2"
-- is "0.3", never 0.30000000000000004.
local byte, sub, find, lower, concat, format = string.byte, string.sub, string.find, string.lower, table.concat, string.format
local max, min = math.max, math.min

-- digits (a decimal integer string) times n: little-endian digit list. n < 10^12 keeps every
-- intermediate below 2^53, where doubles are exact integers.
local function times(digits, n)
  local out, carry = {}, 0
  for i = #digits, 1, -1 do
    local v = (byte(digits, i) - 48) * n + carry
    local d = v % 10
    out[#out + 1] = d
    carry = (v - d) / 10
  end
  while carry > 0 do
    local d = carry % 10
    out[#out + 1] = d
    carry = (carry - d) / 10
  end
  return out
end

local function plus(a, b)
  local out, carry = {}, 0
  for i = 1, max(#a, #b) do
    local v = (a[i] or 0) + (b[i] or 0) + carry
    carry = v >= 10 and 1 or 0
    out[i] = v - carry * 10
  end
  if carry > 0 then out[#out + 1] = carry end
  return out
end

-- Little-endian digits d divided by 10^scale, as a plain decimal string ("0.03816", "12", "0").
local function decimal(d, scale)
  local int, frac = {}, {}
  for i = #d, scale + 1, -1 do int[#int + 1] = d[i] end
  for i = scale, 1, -1 do frac[#frac + 1] = d[i] or 0 end
  local whole = (string.gsub(concat(int), '^0+', ''))
  local part = (string.gsub(concat(frac), '0+$', ''))
  if whole == '' then whole = '0' end
  return part == '' and whole or whole .. '.' .. part
end

local function cost_of(price, input, output)
  return decimal(plus(times(price.input, input), times(price.output, output)), price.scale)
end

local FIELDS = { prompt_tokens = 'input', input_tokens = 'input', completion_tokens = 'output', output_tokens = 'output', total_tokens = 'total' }

-- Token counts of the usage object opening at s[i], into acc.
local function read_usage(s, i, acc)
  local members = J.object_members(s, i)
  if not members then return end
  for _, m in ipairs(members) do
    local field = FIELDS[J.key(s, m)]
    if field then
      local n = J.count(s, m.vs, m.ve)
      if n then
        acc[field] = n
        acc.found = true
      end
    end
  end
end

-- Every "usage": {...} in text, in order. A key "usage" can only be a real key: inside a JSON
-- string its quotes would be escaped.
local function scan(text, acc)
  local p = 1
  while true do
    local k = find(text, '"usage"', p, true)
    if not k then return end
    p = k + 7
    if byte(text, k - 1) ~= 92 then
      local c = J.ws(text, p)
      if byte(text, c) == 58 then
        local v = J.ws(text, c + 1)
        if byte(text, v) == 123 then read_usage(text, v, acc) end
      end
    end
  end
end

-- The first "model": "..." in text (the answering model, for the log), or nil.
local function model_in(text)
  local k = find(text, '"model"', 1, true)
  if not k then return nil end
  local c = J.ws(text, k + 7)
  if byte(text, c) ~= 58 then return nil end
  local v = J.ws(text, c + 1)
  if byte(text, v) ~= 34 then return nil end
  local e = J.string_end(text, v)
  local model = e and J.str(text, v, e)
  return model and J.printable(model, 256)
end

-- SSE: scan complete lines as they arrive; an unfinished line waits for the next chunk.
local function stream_sse(h, acc)
  local carry, carry_len = {}, 0
  for chunk in h:bodyChunks() do
    local n = chunk:length()
    if n > 0 then
      local c = chunk:getBytes(0, n)
      local last = nil
      for i = n, 1, -1 do
        if byte(c, i) == 10 then
          last = i
          break
        end
      end
      if last then
        local text
        if carry_len > 0 then
          carry[#carry + 1] = sub(c, 1, last)
          text = concat(carry)
          carry, carry_len = {}, 0
        else
          text = last == n and c or sub(c, 1, last)
        end
        scan(text, acc)
        if acc.want_model then acc.model = model_in(text); acc.want_model = not acc.model end
        if last < n then carry[1], carry_len = sub(c, last + 1), n - last end
      else
        carry[#carry + 1] = c
        carry_len = carry_len + n
        if carry_len > CONFIG.tailBytes then carry, carry_len = {}, 0 end -- a line that long holds no usage we can read
      end
    end
  end
  if carry_len > 0 then scan(concat(carry), acc) end
end

-- JSON streamed through: keep only the chunks that make up the last CONFIG.tailBytes.
local function stream_json(h, acc, length)
  local queue, first, last, kept, seen = {}, 1, 0, 0, 0
  for chunk in h:bodyChunks() do
    local n = chunk:length()
    if n > 0 then
      -- With a known length, chunks that end before the tail are not even copied.
      if not length or seen + n > length - CONFIG.tailBytes or acc.want_model then
        local c = chunk:getBytes(0, n)
        if acc.want_model then acc.model = model_in(c); acc.want_model = false end
        last = last + 1
        queue[last] = c
        kept = kept + n
        while kept - #queue[first] >= CONFIG.tailBytes do
          kept = kept - #queue[first]
          queue[first] = nil
          first = first + 1
        end
      end
      seen = seen + n
    end
  end
  if last >= first then scan(concat(queue, '', first, last), acc) end
end

-- Writes the counts (and cost) into metadata; returns input, output, cost (nil when unpriced).
local function record(h, acc, endpoint)
  if not acc.model and not acc.found then return nil end
  local dm = h:streamInfo():dynamicMetadata()
  if acc.model then dm:set(NS, 'model', acc.model) end
  if not acc.found then return nil end
  local input, output = acc.input or 0, acc.output or 0
  dm:set(NS, 'input_tokens', input)
  dm:set(NS, 'output_tokens', output)
  dm:set(NS, 'total_tokens', acc.total or input + output)
  local price = endpoint and CONFIG.prices[endpoint]
  local cost = price and cost_of(price, input, output)
  if cost then dm:set(NS, 'cost_usd', cost) end
  return input, output, cost
end

-- The gateway owns the x-ai-usage-* response headers: whatever the upstream sent under such a
-- name is removed (streams and unaccounted answers too), so a client never takes an upstream's
-- figures for the gateway's. (The route table also removes the names the gateway sets, for
-- gateways without this filter.) Names are collected first: the map cannot change mid-iteration.
local USAGE_PREFIX = 'x-ai-usage-'
local function strip_usage_headers(headers)
  local owned = {}
  for name in pairs(headers) do
    if sub(lower(name), 1, #USAGE_PREFIX) == USAGE_PREFIX then owned[#owned + 1] = name end
  end
  for i = 1, #owned do headers:remove(owned[i]) end
end

local function on_request(h)
  -- Usage can only be read from an uncompressed answer: do not offer compression upstream.
  h:headers():remove('accept-encoding')
end

local function on_response(h)
  local headers, dm = h:headers(), h:streamInfo():dynamicMetadata()
  local endpoint = C.take_endpoint(headers, dm)
  strip_usage_headers(headers)
  local md = dm:get(NS) or {}
  if md.cache == 'hit' then return end -- answered from the cache: nothing was used
  local content_type = lower(headers:get('content-type') or '')
  local sse = find(content_type, 'text/event-stream', 1, true) ~= nil
  if not sse and not find(content_type, 'json', 1, true) then return end
  local encoding = headers:get('content-encoding')
  if encoding and lower(encoding) ~= 'identity' then return end
  local acc = { want_model = md.model == nil }
  local length = tonumber((headers:get('content-length')))
  if sse then
    stream_sse(h, acc)
  elseif CONFIG.usageHeaders and length and length <= CONFIG.maxBufferBytes then
    local body = h:body()
    local n = body and body:length() or 0
    if n > 0 then
      if acc.want_model then acc.model = model_in(body:getBytes(0, min(n, 4096))) end
      local from = max(0, n - CONFIG.tailBytes)
      scan(body:getBytes(from, n - from), acc)
    end
    local input, output, cost = record(h, acc, endpoint)
    if input then
      headers = h:headers() -- body() yielded: fetch the header map again
      headers:replace(CONFIG.usageHeaderNames.inputTokens, format('%d', input))
      headers:replace(CONFIG.usageHeaderNames.outputTokens, format('%d', output))
      if cost then headers:replace(CONFIG.usageHeaderNames.costUsd, cost) end
    end
    return
  else
    stream_json(h, acc, length)
  end
  record(h, acc, endpoint)
end

envoy_on_request = C.guard_request(on_request)
envoy_on_response = C.guard_response(on_response)
