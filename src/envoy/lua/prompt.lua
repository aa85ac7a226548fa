-- Prompt engineering (promptEngineering) on chat bodies: a JSON object with a "messages" array.
-- Other requests (GET, non-JSON, embeddings, ...) pass through untouched.
--
-- The body's API is told by the request path, the path the client called (the route and its
-- endpoint are not known yet: body routing runs after this filter and picks them from the body):
-- a path ending in /v1/messages or /v1/messages/count_tokens is an Anthropic Messages body,
-- anything else an OpenAI chat completions body.
--
-- * systemPrompt, OpenAI: Prefix inserts a system message first, Suffix appends one last,
--   Replace puts it where the first system or developer message was (developer is the system
--   role of OpenAI's newer models) and drops the other system and developer messages (others
--   keep their order); Transform adds it first (like Prefix) when it is set. Under Replace a
--   top-level "system" field (Anthropic's, which some upstreams read) is refused.
-- * systemPrompt, Anthropic: the prompt goes into the top-level "system" field, never into a
--   message (Anthropic answers a system message with 400). Replace sets the field to the prompt
--   (and drops any system or developer messages); Prefix/Suffix put it before/after the client's
--   system text (a string: joined with a blank line; a list of text blocks: one more block).
-- * templates: the request header CONFIG.templateHeader names one (with Transform and a single
--   template, that one applies when the header is absent). Its {{.name}} placeholders take
--   values from the body's top-level "variables" object (JSON strings, or numbers and booleans
--   written as their JSON text), and {{.text}} defaults to the text of the last user message.
--   The rendered text replaces that message's text (a user message is appended when there is
--   none). A value that would not be valid inside a JSON string (raw control characters, a bad
--   escape, a bare word) is refused. "variables" is removed from every chat body before
--   forwarding, and the template header from every request.
-- * Duplicate or case-variant names of the fields this filter reads ("messages", "system",
--   "variables" at the top level; "role", "content" in the messages it reads) are refused: JSON
--   parsers disagree on which duplicate wins, and some (Go's encoding/json) match names
--   case-insensitively, so the upstream could read a field the gateway did not look at.
--
-- The work happens on the JSON text: message objects are located with the string-aware
-- scanner and spliced, never decoded and re-encoded. Template text was JSON-escaped at synth
-- time and variable values are copied in still escaped, so the result is valid JSON whatever
-- they contain.
local byte, sub, find, match, lower, gsub, concat = string.byte, string.sub, string.find, string.match, string.lower, string.gsub, table.concat

-- The system prompt (CONFIG.systemText, JSON string content) as an OpenAI system message and as
-- an Anthropic text block, built once per worker rather than shipped three times in the ConfigMap.
local SYSTEM_MESSAGE = CONFIG.systemText and '{"role":"system","content":"' .. CONFIG.systemText .. '"}'
local SYSTEM_BLOCK = CONFIG.systemText and '{"type":"text","text":"' .. CONFIG.systemText .. '"}'

local function bad_request(h, message)
  C.reply(h, 400, 'invalid_request', message)
end

local ANTHROPIC_PATHS = { '/v1/messages', '/v1/messages/count_tokens' }

local function is_anthropic(path)
  path = match(path or '', '^[^?]*')
  for _, suffix in ipairs(ANTHROPIC_PATHS) do
    if sub(path, -#suffix) == suffix then return true end
  end
  return false
end

-- A field name as a case-insensitive parser sees it: ASCII lower case, and the two non-ASCII
-- letters that Unicode case folding maps onto ASCII ones (U+017F long s, U+212A Kelvin sign).
local function fold(k)
  k = lower(k)
  if find(k, '[\128-\255]') then k = gsub(gsub(k, '\197\191', 's'), '\226\132\170', 'k') end
  return k
end

-- Checks one member name against the names the filter reads (known: folded name -> true):
-- returns the name it stands for (nil for another field), or nil and an error.
local function known_name(k, known, seen, where)
  if not k then return nil end
  local name = known[k] and k
  if not name then
    local f = fold(k)
    if not known[f] then return nil end
    return nil, where .. ' has a field ' .. J.quote(J.printable(k, 64)) .. ': field names are case-sensitive, write ' .. J.quote(f)
  end
  if seen[name] then return nil, where .. ' has more than one ' .. J.quote(name) .. ' field' end
  seen[name] = true
  return name
end

-- "variables" only counts when there are templates (otherwise it is just forwarded).
local TOP_KEYS = { messages = true, system = true, variables = CONFIG.hasTemplates or nil }
local MESSAGE_KEYS = { role = true, content = true }
local SYSTEM_ROLES = { system = true, developer = true }

-- The folded role of a message element and its "content" member, or nil, nil and an error.
local function message_parts(s, el, i)
  if not el.members then return nil end
  local role, content, seen, where = nil, nil, {}, 'messages[' .. (i - 1) .. ']'
  for _, m in ipairs(el.members) do
    local name, err = known_name(J.key(s, m), MESSAGE_KEYS, seen, where)
    if err then return nil, nil, err end
    if name == 'role' and byte(s, m.vs) == 34 then
      role = fold(J.str(s, m.vs, m.ve) or '')
    elseif name == 'content' then
      content = m
    end
  end
  return role, content
end

-- Escaped JSON text of a message's content (a string, or the text parts of a list joined by a
-- newline), and the non-text parts of a list to keep.
local function content_text(s, content)
  if not content then return nil end
  local b = byte(s, content.vs)
  if b == 34 then return sub(s, content.vs + 1, content.ve - 1), {} end
  if b ~= 91 then return nil end
  local parts = J.array_elements(s, content.vs)
  if not parts then return nil end
  local texts, others = {}, {}
  for _, part in ipairs(parts) do
    local is_text, text
    if byte(s, part.vs) == 123 then
      for _, m in ipairs(J.object_members(s, part.vs) or {}) do
        local k = J.key(s, m)
        if k == 'type' then
          is_text = byte(s, m.vs) == 34 and J.str(s, m.vs, m.ve) == 'text'
        elseif k == 'text' and byte(s, m.vs) == 34 then
          text = sub(s, m.vs + 1, m.ve - 1)
        end
      end
    end
    if is_text and text then
      texts[#texts + 1] = text
    else
      others[#others + 1] = sub(s, part.vs, part.ve)
    end
  end
  if #texts == 0 then return nil, others end
  return concat(texts, '\\n'), others
end

-- Why the JSON string content raw (between the quotes) cannot be spliced into another JSON
-- string, or nil when it can: raw control characters and bad escapes would break the body.
local function unsplicable(raw)
  local c = find(raw, '[%z\1-\31]')
  if c then return string.format('has a raw control character (byte 0x%02x): JSON strings must escape it', byte(raw, c)) end
  if find(raw, '\\', 1, true) and not J.str('"' .. raw .. '"', 1, #raw + 2) then return 'has an invalid escape sequence' end
  return nil
end

-- Whether t is a JSON number (RFC 8259 grammar).
local function json_number(t)
  local i = byte(t, 1) == 45 and 2 or 1
  local int = match(t, '^%d+', i)
  if not int or (#int > 1 and byte(int, 1) == 48) then return false end
  i = i + #int
  if byte(t, i) == 46 then
    local frac = match(t, '^%d+', i + 1)
    if not frac then return false end
    i = i + 1 + #frac
  end
  local b = byte(t, i)
  if b == 101 or b == 69 then
    i = i + 1
    b = byte(t, i)
    if b == 43 or b == 45 then i = i + 1 end
    local exp = match(t, '^%d+', i)
    if not exp then return false end
    i = i + #exp
  end
  return i == #t + 1
end

-- Template variables from the body's "variables" object: name -> escaped JSON string text.
local function variables_of(s, member)
  local vars = {}
  if not member then return vars end
  local members = byte(s, member.vs) == 123 and J.object_members(s, member.vs)
  if not members then return nil, '"variables" must be a JSON object of strings' end
  for _, m in ipairs(members) do
    local name, b = J.key(s, m), byte(s, m.vs)
    if not name then return nil, '"variables" has a field name with an invalid escape sequence' end
    local quoted = J.quote(J.printable(name, 64))
    local value = sub(s, m.vs, m.ve)
    if b == 34 then
      local why = unsplicable(sub(value, 2, -2))
      if why then return nil, 'variable ' .. quoted .. ' ' .. why end
      vars[name] = sub(value, 2, -2)
    elseif b == 123 or b == 91 then
      return nil, 'variable ' .. quoted .. ' must be a string, number or boolean'
    elseif value == 'true' or value == 'false' or json_number(value) then
      vars[name] = value
    elseif value ~= 'null' then
      return nil, 'variable ' .. quoted .. ' must be a string, number or boolean, not ' .. J.quote(J.printable(value, 32)) .. ' (not a JSON value)'
    end
  end
  return vars
end

local function render(name, template, vars)
  local out = {}
  for i, part in ipairs(template) do
    if type(part) == 'string' then
      out[i] = part
    else
      local value = vars[part.var]
      if not value then
        return nil, 'template ' .. J.quote(name) .. ' needs the variable ' .. J.quote(part.var) .. ': send it in the body\'s "variables" object'
          .. (part.var == 'text' and ' or as the last user message' or '')
      end
      out[i] = value
    end
  end
  return out
end

-- The template this request asks for: its name and parts, nothing when none applies, or
-- nil, nil and an error message.
local function chosen_template(template_name)
  if template_name then
    local template = CONFIG.templates[template_name]
    if not template then
      return nil, nil, 'unknown prompt template ' .. J.quote(J.printable(template_name, 64)) .. ' in the ' .. CONFIG.templateHeader .. ' header; templates: ' .. CONFIG.templateList
    end
    return template_name, template
  end
  if CONFIG.defaultTemplate then return CONFIG.defaultTemplate, CONFIG.templates[CONFIG.defaultTemplate] end
  if CONFIG.requireTemplate then
    return nil, nil, 'choose a prompt template with the ' .. CONFIG.templateHeader .. ' header; templates: ' .. CONFIG.templateList
  end
  return nil
end

-- The last user message with its template rendered in (a list of strings), or a new user
-- message to append (second result), or nil, nil and an error.
local function templated(s, elements, last_user, content, template, vars)
  local name, parts = template[1], template[2]
  local text, others = nil, {}
  if content then text, others = content_text(s, content) end
  if vars.text == nil and text then
    local why = unsplicable(text)
    if why then return nil, nil, 'the last user message\'s text ' .. why end
    vars.text = text
  end
  local rendered, err = render(name, parts, vars)
  if not rendered then return nil, nil, err end
  local list
  if content and byte(s, content.vs) == 91 then
    list = { '[{"type":"text","text":"' }
    for _, piece in ipairs(rendered) do list[#list + 1] = piece end
    list[#list + 1] = '"}'
    for _, other in ipairs(others or {}) do list[#list + 1] = ',' .. other end
    list[#list + 1] = ']'
  else
    list = { '"' }
    for _, piece in ipairs(rendered) do list[#list + 1] = piece end
    list[#list + 1] = '"'
  end
  if not last_user then
    table.insert(list, 1, '{"role":"user","content":')
    list[#list + 1] = '}'
    return nil, list
  end
  local el = elements[last_user]
  if content then
    table.insert(list, 1, sub(s, el.vs, content.vs - 1))
    list[#list + 1] = sub(s, content.ve + 1, el.ve)
  else
    table.insert(list, 1, sub(s, el.vs, el.ve - 1) .. ',"content":')
    list[#list + 1] = '}'
  end
  return list
end

-- The new messages array as a list of strings (joined once, with the rest of the body), or nil
-- and an error message. Unchanged messages are copied as they are. sys is the system message
-- to place (nil for Anthropic bodies, whose prompt goes into the "system" field); with replace,
-- system and developer messages are dropped (and sys takes the first one's place).
local function new_messages(s, elements, template, vars, sys, mode, replace)
  local first_system, last_user, roles, contents = nil, nil, {}, {}
  for i, el in ipairs(elements) do
    local role, content, err = message_parts(s, el, i)
    if err then return nil, err end
    roles[i], contents[i] = role, content
    if role == 'user' then last_user = i end
    if SYSTEM_ROLES[role] and not first_system then first_system = i end
  end
  local replaced, appended -- the last user message's new text, or a new user message
  if template then
    local err
    replaced, appended, err = templated(s, elements, last_user, last_user and contents[last_user], template, vars)
    if err then return nil, err end
  end
  local out, n = { '[' }, 1
  local function add(piece)
    if n > 1 then
      n = n + 1
      out[n] = ','
    end
    if type(piece) == 'table' then
      for _, p in ipairs(piece) do
        n = n + 1
        out[n] = p
      end
    else
      n = n + 1
      out[n] = piece
    end
  end
  if sys and (mode == 'Prefix' or mode == 'Transform' or (replace and not first_system)) then add(sys) end
  for i, el in ipairs(elements) do
    if replace and SYSTEM_ROLES[roles[i]] then
      if i == first_system and sys then add(sys) end
    elseif i == last_user and replaced then
      add(replaced)
    else
      add(sub(s, el.vs, el.ve))
    end
  end
  if appended then add(appended) end
  if sys and mode == 'Suffix' then add(sys) end
  n = n + 1
  out[n] = ']'
  return out
end

-- Edit that puts the gateway's prompt into an Anthropic body's top-level "system" field
-- (member `system`, or nil when absent; `close` is the body's closing brace), or nil and an error.
-- Edits are disjoint from the "messages" and "variables" edits, as J.splice needs.
local function anthropic_system_edit(s, system, close, mode)
  local text = CONFIG.systemText
  if not system then return { close, close - 1, ',"system":"' .. text .. '"' } end
  local value = sub(s, system.vs, system.ve)
  if mode == 'Replace' or value == 'null' or value == '""' then return { system.vs, system.ve, '"' .. text .. '"' } end
  local suffix, b = mode == 'Suffix', byte(s, system.vs)
  if b == 34 then
    local client = sub(value, 2, -2)
    return { system.vs, system.ve, suffix and { '"', client, '\\n\\n', text, '"' } or { '"', text, '\\n\\n', client, '"' } }
  end
  if b == 91 then
    local block = SYSTEM_BLOCK
    if byte(s, J.ws(s, system.vs + 1)) == 93 then return { system.vs, system.ve, '[' .. block .. ']' } end
    if suffix then return { system.ve, system.ve - 1, ',' .. block } end
    return { system.vs + 1, system.vs, block .. ',' }
  end
  return nil, 'the top-level "system" field must be a string or a list of text blocks'
end

local function on_request(h)
  local headers = h:headers()
  local template_name = headers:get(CONFIG.templateHeader)
  if template_name then headers:remove(CONFIG.templateHeader) end
  local anthropic = is_anthropic(headers:get(':path'))
  local s, buffer = C.request_body(h)
  local top, close
  if s then top, close = J.document_members(s) end
  local found, seen = {}, {}
  for i, m in ipairs(top or {}) do
    local name, err = known_name(J.key(s, m), TOP_KEYS, seen, 'the request body')
    if err then return bad_request(h, err) end
    if name then found[name] = i end
  end
  local messages = found.messages and top[found.messages]
  if not messages or byte(s, messages.vs) ~= 91 then
    if template_name then
      return bad_request(h, 'prompt templates apply to chat requests: a JSON body with a "messages" array')
    end
    return
  end
  local name, template, err = chosen_template(template_name)
  if err then return bad_request(h, err) end
  local variables = CONFIG.hasTemplates and found.variables
  local vars
  vars, err = variables_of(s, variables and top[variables])
  if not vars then return bad_request(h, err) end
  local edits = {}
  if variables then edits[1] = J.remove_member(top, variables) end
  local mode, has_sys = CONFIG.mode, CONFIG.systemText ~= nil
  local replace = has_sys and mode == 'Replace'
  local system = found.system and top[found.system]
  if has_sys and anthropic then
    local edit
    edit, err = anthropic_system_edit(s, system, close, mode)
    if not edit then return bad_request(h, err) end
    edits[#edits + 1] = edit
  elseif replace and system then
    return bad_request(h, 'the request body has a top-level "system" field, which chat completions bodies do not have: the gateway sets the system prompt')
  end
  local sys = has_sys and not anthropic and SYSTEM_MESSAGE
  if not name and sys and (mode == 'Prefix' or mode == 'Suffix') then
    -- Fast path: splice the system message in without looking at the messages.
    local empty = byte(s, J.ws(s, messages.vs + 1)) == 93
    if mode == 'Prefix' then
      edits[#edits + 1] = { messages.vs + 1, messages.vs, empty and sys or sys .. ',' }
    else
      edits[#edits + 1] = { messages.ve, messages.ve - 1, empty and sys or ',' .. sys }
    end
  elseif name or sys or replace then
    local elements = J.array_elements(s, messages.vs, true)
    if not elements then return bad_request(h, '"messages" is not a well-formed JSON array') end
    local text
    text, err = new_messages(s, elements, name and { name, template }, vars, sys or nil, mode, replace)
    if not text then return bad_request(h, err) end
    edits[#edits + 1] = { messages.vs, messages.ve, text }
  end
  if #edits > 0 then buffer:setBytes(J.splice(s, edits)) end
end

envoy_on_request = C.guard_request(on_request)
