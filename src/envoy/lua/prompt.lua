-- Prompt engineering (promptEngineering) on OpenAI-style chat bodies: a JSON object with a
-- "messages" array. Other requests (GET, non-JSON, embeddings, ...) pass through untouched.
--
-- * systemPrompt: Prefix inserts a system message first, Suffix appends one last, Replace puts
--   it where the first system message was and drops the other system messages (others keep
--   their order); Transform adds it first (like Prefix) when it is set.
-- * templates: the request header CONFIG.templateHeader names one (with Transform and a single
--   template, that one applies when the header is absent). Its {{.name}} placeholders take
--   values from the body's top-level "variables" object (strings, numbers, booleans), and
--   {{.text}} defaults to the text of the last user message. The rendered text replaces that
--   message's text (a user message is appended when there is none). "variables" is removed from
--   every chat body before forwarding, and the template header from every request.
--
-- The work happens on the JSON text: message objects are located with the string-aware
-- scanner and spliced, never decoded and re-encoded. Template text was JSON-escaped at synth
-- time and variable values are copied in still escaped, so the result is valid JSON whatever
-- they contain.
local byte, sub, concat = string.byte, string.sub, table.concat

local function bad_request(h, message)
  C.reply(h, 400, 'invalid_request', message)
end

-- The role of a message element and its "content" member (nil for a non-object).
local function message_parts(s, el)
  if not el.members then return nil end
  local role, content
  for _, m in ipairs(el.members) do
    local k = J.key(s, m)
    if k == 'role' and byte(s, m.vs) == 34 then
      role = J.str(s, m.vs, m.ve)
    elseif k == 'content' then
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

-- Template variables from the body's "variables" object: name -> escaped JSON string text.
local function variables_of(s, member)
  local vars = {}
  if not member then return vars end
  if byte(s, member.vs) ~= 123 then return nil, '"variables" must be a JSON object of strings' end
  for _, m in ipairs(J.object_members(s, member.vs) or {}) do
    local name, b = J.key(s, m), byte(s, m.vs)
    if b == 34 then
      vars[name] = sub(s, m.vs + 1, m.ve - 1)
    elseif b == 123 or b == 91 then
      return nil, 'variable ' .. J.quote(J.printable(name or '?', 64)) .. ' must be a string, number or boolean'
    elseif sub(s, m.vs, m.ve) ~= 'null' then
      vars[name] = sub(s, m.vs, m.ve)
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

-- The new messages array as a list of strings (joined once, with the rest of the body), or nil
-- and an error message. Unchanged messages are copied as they are.
local function new_messages(s, elements, template, vars)
  local first_system, last_user, roles, contents = nil, nil, {}, {}
  for i, el in ipairs(elements) do
    local role, content = message_parts(s, el)
    roles[i], contents[i] = role, content
    if role == 'user' then last_user = i end
    if role == 'system' and not first_system then first_system = i end
  end
  local replaced, appended -- the last user message's new text, or a new user message
  if template then
    local name, parts = template[1], template[2]
    local content = last_user and contents[last_user]
    local text, others = nil, {}
    if content then text, others = content_text(s, content) end
    if vars.text == nil and text then vars.text = text end
    local rendered, err = render(name, parts, vars)
    if not rendered then return nil, err end
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
    if last_user then
      local el = elements[last_user]
      if content then
        table.insert(list, 1, sub(s, el.vs, content.vs - 1))
        list[#list + 1] = sub(s, content.ve + 1, el.ve)
      else
        table.insert(list, 1, sub(s, el.vs, el.ve - 1) .. ',"content":')
        list[#list + 1] = '}'
      end
      replaced = list
    else
      table.insert(list, 1, '{"role":"user","content":')
      list[#list + 1] = '}'
      appended = list
    end
  end
  local sys, mode = CONFIG.systemMessage, CONFIG.mode
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
  if sys and (mode == 'Prefix' or mode == 'Transform' or (mode == 'Replace' and not first_system)) then add(sys) end
  for i, el in ipairs(elements) do
    if mode == 'Replace' and sys and roles[i] == 'system' then
      if i == first_system then add(sys) end
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

local function on_request(h)
  local headers = h:headers()
  local template_name = headers:get(CONFIG.templateHeader)
  if template_name then headers:remove(CONFIG.templateHeader) end
  local s, buffer = C.request_body(h)
  local top = s and J.document_members(s)
  local messages, variables, variables_index
  for i, m in ipairs(top or {}) do
    local k = J.key(s, m)
    if k == 'messages' then
      if messages then return bad_request(h, 'the request body has more than one "messages" field') end
      messages = m
    elseif k == 'variables' and CONFIG.hasTemplates then
      if variables then return bad_request(h, 'the request body has more than one "variables" field') end
      variables, variables_index = m, i
    end
  end
  if not messages or byte(s, messages.vs) ~= 91 then
    if template_name then
      return bad_request(h, 'prompt templates apply to chat requests: a JSON body with a "messages" array')
    end
    return
  end
  local name, template, err = chosen_template(template_name)
  if err then return bad_request(h, err) end
  local vars
  vars, err = variables_of(s, variables)
  if not vars then return bad_request(h, err) end
  local edits = {}
  if variables then edits[1] = J.remove_member(top, variables_index) end
  local sys, mode = CONFIG.systemMessage, CONFIG.mode
  if not name and sys and (mode == 'Prefix' or mode == 'Suffix') then
    -- Fast path: splice the system message in without looking at the messages.
    local empty = byte(s, J.ws(s, messages.vs + 1)) == 93
    if mode == 'Prefix' then
      edits[#edits + 1] = { messages.vs + 1, messages.vs, empty and sys or sys .. ',' }
    else
      edits[#edits + 1] = { messages.ve, messages.ve - 1, empty and sys or ',' .. sys }
    end
  elseif name or sys then
    local elements = J.array_elements(s, messages.vs, true)
    if not elements then return bad_request(h, '"messages" is not a well-formed JSON array') end
    local text
    text, err = new_messages(s, elements, name and { name, template }, vars)
    if not text then return bad_request(h, err) end
    edits[#edits + 1] = { messages.vs, messages.ve, text }
  end
  if #edits > 0 then buffer:setBytes(J.splice(s, edits)) end
end

envoy_on_request = C.guard_request(on_request)
