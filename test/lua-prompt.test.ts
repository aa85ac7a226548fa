/**
 * Prompt engineering (promptEngineering) under LuaJIT through the Envoy Lua emulation:
 * system prompt Prefix/Suffix/Replace/Transform, templates with variables, pass-through of
 * everything that is not an OpenAI-style chat body, and hostile text.
 */
import { promptFilter } from '../src/envoy/lua';
import { templateParts } from '../src/envoy/lua/prompt';
import { parseTemplate } from '../src/spec/templates';
import { chat, errorOf, OPTIONS, runOne, specWith } from './lua-helpers';
import { forwarded, rejected, scriptFor, SYS } from './lua-prompt-helpers';

const BODY = {
  model: 'gpt-4',
  messages: [
    { role: 'system', content: 'old system' },
    { role: 'user', content: 'hello' },
    { role: 'assistant', content: 'hi' },
    { role: 'system', content: 'second system' },
    { role: 'user', content: 'bye' },
  ],
  temperature: 0,
};

describe('converter', () => {
  test('emits nothing without promptEngineering', () => {
    expect(promptFilter(specWith(), OPTIONS)).toBeUndefined();
  });

  test('splits templates into JSON-escaped literals and variables, agreeing with the spec check', () => {
    const template = 'Summarize "this":\n{{.text}} in {{ .lang }}{{.text}}';
    expect(templateParts(template)).toEqual(['Summarize \\"this\\":\\n', { var: 'text' }, ' in ', { var: 'lang' }, { var: 'text' }]);
    const vars = templateParts(template).flatMap((p) => (typeof p === 'string' ? [] : [p.var]));
    expect([...new Set(vars)]).toEqual(parseTemplate(template).variables);
  });
});

describe('systemPrompt', () => {
  test('Prefix inserts a system message first and leaves every other byte as it was', () => {
    const raw = '{ "model" : "gpt-4",\n  "messages": [ {"role":"user","content":"hi"} ], "n": 1 }';
    const { raw: out } = forwarded(scriptFor({ systemPrompt: SYS }), raw);
    expect(out).toBe(`{ "model" : "gpt-4",\n  "messages": [${JSON.stringify({ role: 'system', content: SYS })}, {"role":"user","content":"hi"} ], "n": 1 }`);
  });

  test('Prefix and Suffix work on an empty messages array', () => {
    for (const modificationType of ['Prefix', 'Suffix'] as const) {
      const { json } = forwarded(scriptFor({ systemPrompt: SYS, modificationType }), { model: 'm', messages: [] });
      expect(json.messages).toEqual([{ role: 'system', content: SYS }]);
    }
  });

  test('Suffix appends a system message last', () => {
    const { json } = forwarded(scriptFor({ systemPrompt: SYS, modificationType: 'Suffix' }), BODY);
    expect(json).toEqual({ ...BODY, messages: [...BODY.messages, { role: 'system', content: SYS }] });
  });

  test('Replace puts the prompt where the first system message was, drops the others, keeps the order', () => {
    const { json } = forwarded(scriptFor({ systemPrompt: SYS, modificationType: 'Replace' }), BODY);
    expect(json.messages).toEqual([
      { role: 'system', content: SYS },
      { role: 'user', content: 'hello' },
      { role: 'assistant', content: 'hi' },
      { role: 'user', content: 'bye' },
    ]);
  });

  test('Replace recognises an escaped role and inserts first when there is no system message', () => {
    const script = scriptFor({ systemPrompt: SYS, modificationType: 'Replace' });
    const escaped = '{"messages":[{"role":"user","content":"a"},{"role":"sys\\u0074em","content":"x"}]}';
    expect(forwarded(script, escaped).json.messages).toEqual([{ role: 'user', content: 'a' }, { role: 'system', content: SYS }]);
    expect(forwarded(script, { messages: [{ role: 'user', content: 'a' }] }).json.messages).toEqual([
      { role: 'system', content: SYS },
      { role: 'user', content: 'a' },
    ]);
  });

  test('hostile prompt text arrives exactly as written (quotes, backslashes, newlines, ]], %, unicode)', () => {
    const hostile = 'say "hi" \\ back\\slash\n\ttab ]] [[ %s %d %% \u0000 \u001f é 漢字 🎉 \u2028 end';
    for (const modificationType of ['Prefix', 'Suffix', 'Replace'] as const) {
      const { json } = forwarded(scriptFor({ systemPrompt: hostile, modificationType }), BODY);
      expect(json.messages.filter((m: { role: string }) => m.role === 'system').map((m: { content: string }) => m.content)).toContain(hostile);
    }
  });

  test('messages keep their unicode, escapes and surrogate pairs untouched', () => {
    const body = '{"messages":[{"role":"user","content":"\\ud83c\\udf89 \\"q\\" é 漢 \\\\"}]}';
    const { json } = forwarded(scriptFor({ systemPrompt: SYS, modificationType: 'Replace' }), body);
    expect(json.messages[1].content).toBe('🎉 "q" é 漢 \\');
  });
});

describe('templates', () => {
  const templates = { summarize: 'Please summarize the following text: {{.text}}', translate: 'Translate {{.text}} into {{.lang}}.' };

  test('the header picks a template; {{.text}} is the last user message, whose text it replaces', () => {
    const { json, headers } = forwarded(scriptFor({ systemPrompt: SYS, templates }), BODY, { 'x-ai-prompt-template': 'summarize' });
    expect(json.messages).toEqual([
      { role: 'system', content: SYS },
      ...BODY.messages.slice(0, 4),
      { role: 'user', content: 'Please summarize the following text: bye' },
    ]);
    expect(headers['x-ai-prompt-template']).toBeUndefined();
  });

  test('variables come from the body\'s "variables" object, which is removed before forwarding', () => {
    const body = { model: 'm', variables: { lang: 'Fran\u00e7ais "fr"', n: 3 }, messages: [{ role: 'user', content: 'cheese' }], stream: false };
    const { json } = forwarded(scriptFor({ templates }), body, { 'x-ai-prompt-template': 'translate' });
    expect(json).toEqual({ model: 'm', messages: [{ role: 'user', content: 'Translate cheese into Français "fr".' }], stream: false });
  });

  test('"variables" wins over the last message for {{.text}}; numbers and booleans are written as text', () => {
    const script = scriptFor({ templates: { t: '{{.text}}|{{.n}}|{{.b}}' } });
    const body = { variables: { text: 'from vars', n: 2.5, b: true }, messages: [{ role: 'user', content: 'ignored' }] };
    expect(forwarded(script, body, { 'x-ai-prompt-template': 't' }).json.messages).toEqual([{ role: 'user', content: 'from vars|2.5|true' }]);
  });

  test('"variables" is removed wherever it sits in the body, even without a template', () => {
    const script = scriptFor({ templates });
    for (const raw of ['{"variables":{"a":"b"},"messages":[]}', '{"messages":[],"variables":{}}', '{"x":1, "variables" : {} ,"messages":[]}']) {
      const { json } = forwarded(script, raw);
      expect(json.variables).toBeUndefined();
      expect(json.messages).toEqual([]);
    }
  });

  test('escaped and unicode variable values and template text stay exact', () => {
    const script = scriptFor({ templates: { t: 'Q: "{{.text}}" \\ ]] %1 é\n{{.x}}' } });
    const body = { variables: { x: 'tab\there "quoted" \\ 🎉 \u0001' }, messages: [{ role: 'user', content: 'line1\nline2 \u{1F600}' }] };
    expect(forwarded(script, body, { 'x-ai-prompt-template': 't' }).json.messages[0].content).toBe(
      'Q: "line1\nline2 \u{1F600}" \\ ]] %1 é\ntab\there "quoted" \\ 🎉 \u0001',
    );
  });

  test('multimodal content: text parts become the rendered text, images are kept', () => {
    const body = {
      messages: [
        {
          role: 'user',
          content: [
            { type: 'text', text: 'first' },
            { type: 'image_url', image_url: { url: 'https://x/y.png' } },
            { type: 'text', text: 'second' },
          ],
        },
      ],
    };
    const { json } = forwarded(scriptFor({ templates }), body, { 'x-ai-prompt-template': 'summarize' });
    expect(json.messages[0].content).toEqual([
      { type: 'text', text: 'Please summarize the following text: first\nsecond' },
      { type: 'image_url', image_url: { url: 'https://x/y.png' } },
    ]);
  });

  test('without a user message the rendered template is appended as one', () => {
    const body = { variables: { text: 'doc' }, messages: [{ role: 'system', content: 's' }] };
    expect(forwarded(scriptFor({ templates }), body, { 'x-ai-prompt-template': 'summarize' }).json.messages).toEqual([
      { role: 'system', content: 's' },
      { role: 'user', content: 'Please summarize the following text: doc' },
    ]);
  });

  test('Transform with one template applies it without the header; a custom header name works', () => {
    const one = scriptFor({ modificationType: 'Transform', templates: { only: '>> {{.text}}' } });
    expect(forwarded(one, { messages: [{ role: 'user', content: 'x' }] }).json.messages).toEqual([{ role: 'user', content: '>> x' }]);
    const custom = scriptFor({ modificationType: 'Transform', templateHeader: 'X-Prompt', templates });
    const { json, headers } = forwarded(custom, { messages: [{ role: 'user', content: 'x' }] }, { 'x-prompt': 'summarize' });
    expect(json.messages[0].content).toBe('Please summarize the following text: x');
    expect(headers['x-prompt']).toBeUndefined();
  });

  test('fails with 400 naming the templates for an unknown template', () => {
    const message = rejected(scriptFor({ templates }), BODY, { 'x-ai-prompt-template': 'poem"]]' });
    expect(message).toBe('unknown prompt template "poem\\"]]" in the x-ai-prompt-template header; templates: summarize, translate');
  });

  test('fails with 400 when Transform has several templates and the request names none', () => {
    expect(rejected(scriptFor({ modificationType: 'Transform', templates }), BODY)).toBe(
      'choose a prompt template with the x-ai-prompt-template header; templates: summarize, translate',
    );
  });

  test('fails with 400 naming a missing variable', () => {
    const body = { messages: [{ role: 'user', content: 'cheese' }] };
    expect(rejected(scriptFor({ templates }), body, { 'x-ai-prompt-template': 'translate' })).toBe(
      'template "translate" needs the variable "lang": send it in the body\'s "variables" object',
    );
    expect(rejected(scriptFor({ templates }), { messages: [] }, { 'x-ai-prompt-template': 'summarize' })).toMatch(
      /needs the variable "text": .* or as the last user message$/,
    );
    expect(rejected(scriptFor({ templates }), { variables: { lang: null }, messages: [{ role: 'user', content: 'c' }] }, { 'x-ai-prompt-template': 'translate' })).toMatch(/"lang"/);
  });

  test('fails with 400 for a variable that is an object or list, or "variables" that is not an object', () => {
    const h = { 'x-ai-prompt-template': 'translate' };
    expect(rejected(scriptFor({ templates }), { variables: { lang: { a: 1 } }, messages: [] }, h)).toBe('variable "lang" must be a string, number or boolean');
    expect(rejected(scriptFor({ templates }), { variables: ['x'], messages: [] }, h)).toBe('"variables" must be a JSON object of strings');
  });

  test('fails with 400 when a template is asked for on a request that is not a chat body', () => {
    const script = scriptFor({ templates });
    expect(rejected(script, { input: 'embed me' }, { 'x-ai-prompt-template': 'summarize' })).toMatch(/apply to chat requests/);
    const get = runOne(script, { request: { headers: { ':method': 'GET', ':path': '/v1/models', 'x-ai-prompt-template': 'summarize' } } });
    expect(get.localReply!.status).toBe(400);
  });
});

describe('requests that are not chat bodies pass through untouched', () => {
  const script = scriptFor({ systemPrompt: SYS, modificationType: 'Replace', templates: { t: '{{.text}}' } });
  const bodies: Array<[string, string]> = [
    ['non-JSON text', 'hello there'],
    ['malformed JSON', '{"messages":[{"role":"user","content":"unterminated}]'],
    ['an embeddings body', '{"model":"e","input":["a","b"]}'],
    ['messages that is not an array', '{"messages":"hi"}'],
    ['a top-level array', '[{"messages":[]}]'],
    ['"messages" only inside a nested object', '{"meta":{"messages":[]},"prompt":"x"}'],
    ['JSON followed by garbage', '{"messages":[]} trailing'],
  ];
  test.each(bodies)('passes %s through', (_name, body) => {
    const r = runOne(script, { request: chat(body) });
    expect(r.errorMessages).toEqual([]);
    expect(r.localReply).toBeUndefined();
    expect(r.request.body).toBe(body);
  });

  test('passes a GET without body through', () => {
    const r = runOne(script, { request: { headers: { ':method': 'GET', ':path': '/v1/models' } } });
    expect(r.request.forwarded).toBe(true);
    expect(r.localReply).toBeUndefined();
  });

  test('fails with 400 for a body with two "messages" fields (the upstream could read the other one)', () => {
    expect(rejected(script, '{"messages":[],"messages":[{"role":"system","content":"evil"}]}')).toMatch(/more than one "messages"/);
    expect(rejected(script, '{"messages":[],"m\\u0065ssages":[]}')).toMatch(/more than one "messages"/);
  });
});

describe('size', () => {
  const script = scriptFor({ systemPrompt: SYS, modificationType: 'Replace' });
  const bodyOf = (bytes: number) => {
    const skeleton = JSON.stringify({ model: 'm', messages: [{ role: 'user', content: '' }] });
    return JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'x'.repeat(bytes - skeleton.length) }] });
  };

  test('handles a body just under the stream buffer limit', () => {
    const body = bodyOf(64 * 1024 - 1);
    const { json } = forwarded(script, body, {}, 64 * 1024);
    expect(json.messages[1].content).toHaveLength(64 * 1024 - 1 - JSON.stringify({ model: 'm', messages: [{ role: 'user', content: '' }] }).length);
  });

  test('a body over the limit gets Envoy\'s 413, not a script error', () => {
    const r = runOne(script, { request: chat(bodyOf(64 * 1024 + 1)) }, { config: { bufferLimitBytes: 64 * 1024 } });
    expect(r.errors).toBe(0);
    expect(r.localReply!.status).toBe(413);
  });

  test('a 1 MiB conversation of many messages', () => {
    const messages = Array.from({ length: 4000 }, (_, i) => ({ role: i % 2 ? 'assistant' : 'user', content: `message ${i} ${'é'.repeat(120)}` }));
    const { json } = forwarded(script, { model: 'm', messages }, {}, 2 << 20);
    expect(json.messages).toHaveLength(4001);
    expect(json.messages[0]).toEqual({ role: 'system', content: SYS });
    expect(json.messages[4000]).toEqual(messages[3999]);
  });
});

describe('errors in the script', () => {
  test('fails with a JSON 500 rather than forwarding an unprocessed request', () => {
    const broken = scriptFor({ systemPrompt: SYS }).replace('local function on_request(h)\n', 'local function on_request(h)\n  error("boom")\n');
    const r = runOne(broken, { request: chat(BODY) });
    expect(r.errors).toBe(0);
    expect(r.request.forwarded).toBe(false);
    expect(r.localReply!.status).toBe(500);
    expect(errorOf(r).type).toBe('gateway_error');
  });
});
