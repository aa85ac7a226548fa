-- JSON pieces shared by the gateway's Lua filters. The loader concatenates this file into each
-- script (Envoy's LuaJIT has no JSON library and scripts never `require`).
--
-- Nothing here builds a whole document. The scanners work on byte offsets into one string:
-- `string.find` with plain search jumps from quote to quote, and only the few bytes between
-- strings are looked at one by one. That keeps per-request work linear in the body and close to
-- memchr speed (a Lua pattern class tried at every byte is ~10x slower).
local byte, sub, find, gsub, char, concat = string.byte, string.sub, string.find, string.gsub, string.char, table.concat
local floor = math.floor

local J = {}

-- First index at or after i that is not JSON whitespace (#s + 1 at the end).
function J.ws(s, i)
  local b = byte(s, i)
  while b == 32 or b == 10 or b == 13 or b == 9 do
    i = i + 1
    b = byte(s, i)
  end
  return i
end

-- s[i] is the opening quote of a string: index of its closing quote, or nil if unterminated.
function J.string_end(s, i)
  local j = i + 1
  while true do
    local q = find(s, '"', j, true)
    if not q then return nil end
    -- The quote is escaped when an odd number of backslashes precede it (s[i] stops the walk).
    local k = q - 1
    while byte(s, k) == 92 do k = k - 1 end
    if (q - 1 - k) % 2 == 0 then return q end
    j = q + 1
  end
end

-- s[i] opens an object or array: index of the bracket that closes it, or nil.
function J.container_end(s, i)
  local depth, p, n = 0, i, #s
  while true do
    local q = find(s, '"', p, true) or n + 1
    for k = p, q - 1 do
      local b = byte(s, k)
      if b == 123 or b == 91 then
        depth = depth + 1
      elseif b == 125 or b == 93 then
        depth = depth - 1
        if depth == 0 then return k end
      end
    end
    if q > n then return nil end
    local e = J.string_end(s, q)
    if not e then return nil end
    p = e + 1
  end
end

-- s[i] starts a value: index of its last byte, or nil when malformed.
function J.value_end(s, i)
  local b = byte(s, i)
  if b == 34 then return J.string_end(s, i) end
  if b == 123 or b == 91 then return J.container_end(s, i) end
  if b == nil or b == 44 or b == 58 or b == 125 or b == 93 then return nil end
  local e = find(s, '[,:%]}%s"{%[]', i)
  if e and (byte(s, e) == 58 or byte(s, e) == 34 or byte(s, e) == 123 or byte(s, e) == 91) then return nil end
  return (e or #s + 1) - 1
end

-- Members of the object opening at s[i]: a list of {ks, ke, vs, ve} (key quotes, value span)
-- and the index of the closing brace; nil when it is not a well-formed object.
function J.object_members(s, i)
  if byte(s, i) ~= 123 then return nil end
  local out, n = {}, 0
  i = J.ws(s, i + 1)
  if byte(s, i) == 125 then return out, i end
  while true do
    if byte(s, i) ~= 34 then return nil end
    local ke = J.string_end(s, i)
    if not ke then return nil end
    local c = J.ws(s, ke + 1)
    if byte(s, c) ~= 58 then return nil end
    local vs = J.ws(s, c + 1)
    local ve = J.value_end(s, vs)
    if not ve then return nil end
    n = n + 1
    out[n] = { ks = i, ke = ke, vs = vs, ve = ve }
    local d = J.ws(s, ve + 1)
    local b = byte(s, d)
    if b == 125 then return out, d end
    if b ~= 44 then return nil end
    i = J.ws(s, d + 1)
  end
end

-- Elements of the array opening at s[i]: a list of {vs, ve} and the closing bracket's index.
-- With with_members, object elements also get their members (one scan instead of two).
function J.array_elements(s, i, with_members)
  if byte(s, i) ~= 91 then return nil end
  local out, n = {}, 0
  i = J.ws(s, i + 1)
  if byte(s, i) == 93 then return out, i end
  while true do
    local ve, members
    if with_members and byte(s, i) == 123 then
      members, ve = J.object_members(s, i)
    else
      ve = J.value_end(s, i)
    end
    if not ve then return nil end
    n = n + 1
    out[n] = { vs = i, ve = ve, members = members }
    local d = J.ws(s, ve + 1)
    local b = byte(s, d)
    if b == 93 then return out, d end
    if b ~= 44 then return nil end
    i = J.ws(s, d + 1)
  end
end

-- Members of the document's top-level object (nothing but whitespace may follow it).
function J.document_members(s)
  local i = J.ws(s, 1)
  local members, close = J.object_members(s, i)
  if not members or J.ws(s, close + 1) <= #s then return nil end
  return members, close
end

local function utf8(cp)
  if cp < 0x80 then return char(cp) end
  if cp < 0x800 then return char(0xC0 + floor(cp / 0x40), 0x80 + cp % 0x40) end
  if cp < 0x10000 then
    return char(0xE0 + floor(cp / 0x1000), 0x80 + floor(cp / 0x40) % 0x40, 0x80 + cp % 0x40)
  end
  return char(0xF0 + floor(cp / 0x40000), 0x80 + floor(cp / 0x1000) % 0x40, 0x80 + floor(cp / 0x40) % 0x40, 0x80 + cp % 0x40)
end

local UNESCAPE = { ['"'] = '"', ['\\'] = '\\', ['/'] = '/', b = '\b', f = '\f', n = '\n', r = '\r', t = '\t' }

local function hex4(s, i)
  local h = sub(s, i, i + 3)
  if not find(h, '^%x%x%x%x$') then return nil end
  return tonumber(h, 16)
end

-- The string whose quotes are at s[i] and s[e], decoded to UTF-8 (escapes, surrogate pairs; a
-- lone surrogate becomes U+FFFD); nil for a bad escape.
function J.str(s, i, e)
  local raw = sub(s, i + 1, e - 1)
  if not find(raw, '\\', 1, true) then return raw end
  local out, n, p = {}, 0, 1
  while true do
    local k = find(raw, '\\', p, true)
    if not k then
      n = n + 1
      out[n] = sub(raw, p)
      break
    end
    n = n + 1
    out[n] = sub(raw, p, k - 1)
    local c = sub(raw, k + 1, k + 1)
    if c == 'u' then
      local cp = hex4(raw, k + 2)
      if not cp then return nil end
      p = k + 6
      if cp >= 0xD800 and cp <= 0xDBFF then
        local lo = sub(raw, p, p + 1) == '\\u' and hex4(raw, p + 2)
        if lo and lo >= 0xDC00 and lo <= 0xDFFF then
          cp = 0x10000 + (cp - 0xD800) * 0x400 + (lo - 0xDC00)
          p = p + 6
        else
          cp = 0xFFFD
        end
      elseif cp >= 0xDC00 and cp <= 0xDFFF then
        cp = 0xFFFD
      end
      n = n + 1
      out[n] = utf8(cp)
    else
      local r = UNESCAPE[c]
      if not r then return nil end
      n = n + 1
      out[n] = r
      p = k + 2
    end
  end
  return concat(out)
end

-- Decoded name of a member returned by object_members.
function J.key(s, m)
  return J.str(s, m.ks, m.ke)
end

local ESCAPE = { ['"'] = '\\"', ['\\'] = '\\\\', ['\b'] = '\\b', ['\f'] = '\\f', ['\n'] = '\\n', ['\r'] = '\\r', ['\t'] = '\\t' }
for b = 0, 31 do
  ESCAPE[char(b)] = ESCAPE[char(b)] or string.format('\\u%04x', b)
end
ESCAPE[char(127)] = '\\u007f'

-- A JSON string literal for the UTF-8 text t.
function J.quote(t)
  return '"' .. gsub(t, '[%c"\\]', ESCAPE) .. '"'
end

-- t with invalid UTF-8 sequences replaced by U+FFFD, cut to at most max bytes on a character
-- boundary (for quoting client input back in error messages).
function J.printable(t, max)
  local out, n, i, len = {}, 0, 1, #t
  while i <= len and i <= max do
    local b = byte(t, i)
    local size = (b < 0x80 and 1) or (b >= 0xC2 and b <= 0xDF and 2) or (b >= 0xE0 and b <= 0xEF and 3) or (b >= 0xF0 and b <= 0xF4 and 4) or 0
    local ok = size > 0 and i + size - 1 <= len
    for k = i + 1, i + size - 1 do
      if not ok then break end
      local c = byte(t, k)
      if c < 0x80 or c > 0xBF then ok = false end
    end
    if ok and i + size - 1 > max then break end
    n = n + 1
    if ok then
      out[n] = sub(t, i, i + size - 1)
      i = i + size
    else
      out[n] = '\239\191\189'
      i = i + 1
    end
  end
  if i <= len then
    n = n + 1
    out[n] = '...'
  end
  return concat(out)
end

-- s with whitespace outside strings removed: two bodies that differ only in formatting compact
-- to the same text.
function J.compact(s)
  local out, n, p, len = {}, 0, 1, #s
  while p <= len do
    local q = find(s, '"', p, true) or len + 1
    local seg = sub(s, p, q - 1)
    if find(seg, '[ \t\r\n]') then seg = gsub(seg, '[ \t\r\n]+', '') end
    n = n + 1
    out[n] = seg
    if q > len then break end
    local e = J.string_end(s, q) or len
    n = n + 1
    out[n] = sub(s, q, e)
    p = e + 1
  end
  return concat(out)
end

-- s with edits applied: each edit {a, b, text} replaces s[a..b] (b = a - 1 inserts before a);
-- text is a string or a list of strings (written in order, never joined on its own).
-- Edits must not overlap; they are applied in position order in one pass.
function J.splice(s, edits)
  table.sort(edits, function(x, y) return x[1] < y[1] end)
  local out, n, p = {}, 0, 1
  for _, e in ipairs(edits) do
    n = n + 1
    out[n] = sub(s, p, e[1] - 1)
    if type(e[3]) == 'table' then
      for _, piece in ipairs(e[3]) do
        n = n + 1
        out[n] = piece
      end
    else
      n = n + 1
      out[n] = e[3]
    end
    p = e[2] + 1
  end
  n = n + 1
  out[n] = sub(s, p)
  return concat(out)
end

-- Edit that removes member k of members (list from object_members) with its separating comma.
function J.remove_member(members, k)
  local m = members[k]
  if k > 1 then return { members[k - 1].ve + 1, m.ve, '' } end
  if members[2] then return { m.ks, members[2].ks - 1, '' } end
  return { m.ks, m.ve, '' }
end

-- Non-negative integer value of s[vs..ve], or nil.
function J.count(s, vs, ve)
  local t = sub(s, vs, ve)
  if not find(t, '^%d+$') or #t > 12 then return nil end
  return tonumber(t)
end
