-- Small JSON codec for the Envoy Lua emulation harness (test support only).
--
-- Product scripts must not depend on this module: real Envoy has no JSON
-- library, and the harness never puts this directory on the scripts'
-- package.path.
--
-- decode(): objects -> tables, arrays -> tables tagged as arrays (see
--   is_array), null -> json.null (a unique sentinel, so nulls survive inside
--   objects and arrays). \uXXXX escapes are converted to UTF-8; surrogate
--   pairs are combined; a lone surrogate becomes U+FFFD.
-- encode(): tables tagged with json.array() (or decoded arrays) are arrays;
--   tables tagged with json.object() are objects; untagged tables are arrays
--   when they are non-empty sequences, objects otherwise (an empty untagged
--   table encodes as {}). Object keys are sorted, so output is deterministic.
--   Strings must be UTF-8: invalid bytes are emitted as \u00XX (their Latin-1
--   reading) and counted in json.invalid_utf8_count.

local json = {}

local byte, char, sub, find, format, concat =
  string.byte, string.char, string.sub, string.find, string.format, table.concat
local floor, huge = math.floor, math.huge

json.null = setmetatable({}, { __tostring = function() return "json.null" end })

local ARRAY_MT = { __jsontype = "array" }
local OBJECT_MT = { __jsontype = "object" }

function json.array(t) return setmetatable(t or {}, ARRAY_MT) end
function json.object(t) return setmetatable(t or {}, OBJECT_MT) end
function json.is_array(t)
  return type(t) == "table" and getmetatable(t) == ARRAY_MT
end

---------------------------------------------------------------------------
-- decode
---------------------------------------------------------------------------

local function utf8_encode(cp)
  if cp < 0x80 then
    return char(cp)
  elseif cp < 0x800 then
    return char(0xC0 + floor(cp / 0x40), 0x80 + cp % 0x40)
  elseif cp < 0x10000 then
    return char(0xE0 + floor(cp / 0x1000), 0x80 + floor(cp / 0x40) % 0x40, 0x80 + cp % 0x40)
  else
    return char(0xF0 + floor(cp / 0x40000), 0x80 + floor(cp / 0x1000) % 0x40,
      0x80 + floor(cp / 0x40) % 0x40, 0x80 + cp % 0x40)
  end
end
json._utf8_encode = utf8_encode

local function decode_error(str, pos, msg)
  local line, col = 1, 1
  for i = 1, pos - 1 do
    if byte(str, i) == 10 then line = line + 1; col = 1 else col = col + 1 end
  end
  error(format("json decode error at line %d col %d: %s", line, col, msg), 0)
end

local escapes = {
  [34] = '"', [92] = "\\", [47] = "/", [98] = "\b", [102] = "\f",
  [110] = "\n", [114] = "\r", [116] = "\t",
}

local decode_value

local function skip_ws(str, pos)
  local _, e = find(str, "^[ \t\r\n]*", pos)
  return e + 1
end

local function parse_hex4(str, pos)
  local h = sub(str, pos, pos + 3)
  if not h:match("^%x%x%x%x$") then decode_error(str, pos, "invalid \\u escape") end
  return tonumber(h, 16)
end

local function decode_string(str, pos)
  -- pos points at the opening quote
  local parts, n = {}, 0
  local i = pos + 1
  while true do
    local s, e = find(str, '^[^"\\%c]+', i)
    if s then
      n = n + 1; parts[n] = sub(str, s, e); i = e + 1
    end
    local c = byte(str, i)
    if c == nil then decode_error(str, i, "unterminated string") end
    if c == 34 then
      return concat(parts), i + 1
    elseif c == 92 then
      local esc = byte(str, i + 1)
      if esc == 117 then
        local cp = parse_hex4(str, i + 2)
        i = i + 6
        if cp >= 0xD800 and cp <= 0xDBFF then
          -- high surrogate: needs a following \uDC00-\uDFFF
          if sub(str, i, i + 1) == "\\u" then
            local lo = parse_hex4(str, i + 2)
            if lo >= 0xDC00 and lo <= 0xDFFF then
              cp = 0x10000 + (cp - 0xD800) * 0x400 + (lo - 0xDC00)
              i = i + 6
            else
              cp = 0xFFFD
            end
          else
            cp = 0xFFFD
          end
        elseif cp >= 0xDC00 and cp <= 0xDFFF then
          cp = 0xFFFD
        end
        n = n + 1; parts[n] = utf8_encode(cp)
      elseif esc and escapes[esc] then
        n = n + 1; parts[n] = escapes[esc]; i = i + 2
      else
        decode_error(str, i, "invalid escape")
      end
    elseif c < 32 then
      decode_error(str, i, "control character in string")
    end
  end
end

local function decode_number(str, pos)
  local s, e = find(str, "^-?%d+%.?%d*[eE]?[-+]?%d*", pos)
  if not s then decode_error(str, pos, "invalid number") end
  local text = sub(str, s, e)
  local v = tonumber(text)
  if v == nil then decode_error(str, pos, "invalid number '" .. text .. "'") end
  return v, e + 1
end

decode_value = function(str, pos, depth)
  if depth > 512 then decode_error(str, pos, "nesting too deep") end
  pos = skip_ws(str, pos)
  local c = byte(str, pos)
  if c == 123 then -- {
    local obj = json.object({})
    pos = skip_ws(str, pos + 1)
    if byte(str, pos) == 125 then return obj, pos + 1 end
    while true do
      pos = skip_ws(str, pos)
      if byte(str, pos) ~= 34 then decode_error(str, pos, "expected string key") end
      local key
      key, pos = decode_string(str, pos)
      pos = skip_ws(str, pos)
      if byte(str, pos) ~= 58 then decode_error(str, pos, "expected ':'") end
      local val
      val, pos = decode_value(str, pos + 1, depth + 1)
      obj[key] = val
      pos = skip_ws(str, pos)
      local d = byte(str, pos)
      if d == 44 then pos = pos + 1
      elseif d == 125 then return obj, pos + 1
      else decode_error(str, pos, "expected ',' or '}'") end
    end
  elseif c == 91 then -- [
    local arr = json.array({})
    local n = 0
    pos = skip_ws(str, pos + 1)
    if byte(str, pos) == 93 then return arr, pos + 1 end
    while true do
      local val
      val, pos = decode_value(str, pos, depth + 1)
      n = n + 1; arr[n] = val
      pos = skip_ws(str, pos)
      local d = byte(str, pos)
      if d == 44 then pos = pos + 1
      elseif d == 93 then return arr, pos + 1
      else decode_error(str, pos, "expected ',' or ']'") end
    end
  elseif c == 34 then
    return decode_string(str, pos)
  elseif c == 45 or (c and c >= 48 and c <= 57) then
    return decode_number(str, pos)
  elseif sub(str, pos, pos + 3) == "true" then
    return true, pos + 4
  elseif sub(str, pos, pos + 4) == "false" then
    return false, pos + 5
  elseif sub(str, pos, pos + 3) == "null" then
    return json.null, pos + 4
  end
  decode_error(str, pos, c and ("unexpected character '" .. char(c) .. "'") or "unexpected end of input")
end

function json.decode(str)
  if type(str) ~= "string" then error("json.decode expects a string", 2) end
  local v, pos = decode_value(str, 1, 0)
  pos = skip_ws(str, pos)
  if pos <= #str then decode_error(str, pos, "trailing garbage") end
  return v
end

---------------------------------------------------------------------------
-- encode
---------------------------------------------------------------------------

json.invalid_utf8_count = 0

local function is_valid_utf8(s)
  -- fast path: pure ASCII
  if not find(s, "[\128-\255]") then return true end
  local i, n = 1, #s
  while i <= n do
    local c = byte(s, i)
    if c < 0x80 then
      i = i + 1
    else
      local len, min
      if c >= 0xC2 and c <= 0xDF then len, min = 2, 0x80
      elseif c >= 0xE0 and c <= 0xEF then len, min = 3, 0x800
      elseif c >= 0xF0 and c <= 0xF4 then len, min = 4, 0x10000
      else return false end
      if i + len - 1 > n then return false end
      local cp = c % (2 ^ (7 - len))
      for k = 1, len - 1 do
        local cc = byte(s, i + k)
        if cc < 0x80 or cc > 0xBF then return false end
        cp = cp * 64 + (cc - 0x80)
      end
      if cp < min or cp > 0x10FFFF or (cp >= 0xD800 and cp <= 0xDFFF) then return false end
      i = i + len
    end
  end
  return true
end
json.is_valid_utf8 = is_valid_utf8

local esc_map = {
  ['"'] = '\\"', ["\\"] = "\\\\", ["\b"] = "\\b", ["\f"] = "\\f",
  ["\n"] = "\\n", ["\r"] = "\\r", ["\t"] = "\\t",
}
local function esc_char(c)
  return esc_map[c] or format("\\u%04x", byte(c))
end

local function encode_string(s)
  if not is_valid_utf8(s) then
    json.invalid_utf8_count = json.invalid_utf8_count + 1
    -- Escape every non-ASCII byte as its Latin-1 code point.
    return '"' .. s:gsub('[%c"\\\128-\255]', esc_char) .. '"'
  end
  return '"' .. s:gsub('[%c"\\]', esc_char) .. '"'
end

local function encode_number(v)
  if v ~= v or v == huge or v == -huge then return "null" end
  if floor(v) == v and v >= -2^53 and v <= 2^53 then return format("%d", v) end
  -- shortest of %.14g / %.17g that reads back as the same double
  local s = format("%.14g", v)
  if tonumber(s) == v then return s end
  return format("%.17g", v)
end

local encode_value

local function is_sequence(t)
  local n = 0
  for k in pairs(t) do
    if type(k) ~= "number" or k < 1 or floor(k) ~= k then return false end
    if k > n then n = k end
  end
  if n == 0 then return false end
  for i = 1, n do if t[i] == nil then return false end end
  return true, n
end

encode_value = function(v, out, depth)
  if depth > 256 then error("json.encode: nesting too deep (cycle?)", 0) end
  local tv = type(v)
  if v == nil or v == json.null then
    out[#out + 1] = "null"
  elseif tv == "boolean" then
    out[#out + 1] = v and "true" or "false"
  elseif tv == "number" then
    out[#out + 1] = encode_number(v)
  elseif tv == "string" then
    out[#out + 1] = encode_string(v)
  elseif tv == "table" then
    local mt = getmetatable(v)
    local kind = mt and mt.__jsontype
    local n
    if kind == nil then
      local seq, len = is_sequence(v)
      kind = seq and "array" or "object"
      n = len
    end
    if kind == "array" then
      n = n or #v
      -- honour explicit holes up to the highest index
      for k in pairs(v) do if type(k) == "number" and k > n then n = k end end
      out[#out + 1] = "["
      for i = 1, n do
        if i > 1 then out[#out + 1] = "," end
        encode_value(v[i], out, depth + 1)
      end
      out[#out + 1] = "]"
    else
      local keys = {}
      for k in pairs(v) do keys[#keys + 1] = tostring(k) end
      table.sort(keys)
      out[#out + 1] = "{"
      for i, k in ipairs(keys) do
        if i > 1 then out[#out + 1] = "," end
        out[#out + 1] = encode_string(k)
        out[#out + 1] = ":"
        local val = v[k]
        if val == nil then val = v[tonumber(k)] end
        encode_value(val, out, depth + 1)
      end
      out[#out + 1] = "}"
    end
  else
    error("json.encode: cannot encode a " .. tv, 0)
  end
end

function json.encode(v)
  local out = {}
  encode_value(v, out, 0)
  return concat(out)
end

return json
