/**
 * Prompt changes (prompt.lua) through the real Envoy: what the upstream receives, compared as
 * parsed JSON with the expected object, and as raw bytes where the filter promises to leave the
 * rest of the body exactly as the client sent it.
 */
import type { AIGatewaySpecInput } from '../../src/spec';
import { resetMocks, send, startTraffic, type Traffic } from './traffic';

const CHAT = '/v1/chat/completions';
// Quotes, a newline and a non-ASCII letter: the system message must arrive escaped correctly.
const SYSTEM = 'You are "terse".\nAnswer in één line.';
const SYSTEM_MESSAGE = { role: 'system', content: SYSTEM };
/** The system message as the filter writes it (JSON.stringify of {role, content}). */
const SYSTEM_JSON = JSON.stringify(SYSTEM_MESSAGE);

const gatewayWith = (promptEngineering: AIGatewaySpecInput['promptEngineering']) =>
  startTraffic({ gatewayClassName: 'envoy', endpoints: [{ name: 'llm', serviceRef: { name: 'llm' } }], promptEngineering });

/** The body the mock received, raw and parsed; exactly one request expected. */
function received(traffic: Traffic) {
  expect(traffic.mocks.llm.requests).toHaveLength(1);
  return traffic.mocks.llm.requests[0];
}

describe('real Envoy: system prompt Prefix, Suffix and Replace', () => {
  let prefix: Traffic;
  let suffix: Traffic;
  let replace: Traffic;
  beforeAll(async () => {
    [prefix, suffix, replace] = await Promise.all([
      gatewayWith({ systemPrompt: SYSTEM, modificationType: 'Prefix' }),
      gatewayWith({ systemPrompt: SYSTEM, modificationType: 'Suffix' }),
      gatewayWith({ systemPrompt: SYSTEM, modificationType: 'Replace' }),
    ]);
  });
  afterAll(async () => {
    await Promise.all([prefix, suffix, replace].map((t) => t?.stop()));
  });
  beforeEach(() => [prefix, suffix, replace].forEach((t) => t && resetMocks(t)));

  // Odd spacing, escapes and key order: everything but the inserted message must stay byte for byte.
  const before = '{"model":"gpt-4",  "messages": [ {"role":"user","content":"caf\\u00e9 \\"x\\""} ] ,"temperature":0.2}';
  const user = { role: 'user', content: 'café "x"' };

  it('Prefix puts the system message first and leaves every other byte as sent', async () => {
    expect((await send(prefix.gateway.url + CHAT, before)).status).toBe(200);
    const r = received(prefix);
    expect(r.json).toEqual({ model: 'gpt-4', messages: [SYSTEM_MESSAGE, user], temperature: 0.2 });
    expect(r.body).toBe(before.replace('"messages": [', `"messages": [${SYSTEM_JSON},`));
    expect(r.headers['content-length']).toBe(String(Buffer.byteLength(r.body)));
  });

  it('Prefix into an empty messages array adds just the system message', async () => {
    expect((await send(prefix.gateway.url + CHAT, '{"model":"m","messages":[]}')).status).toBe(200);
    expect(received(prefix).body).toBe(`{"model":"m","messages":[${SYSTEM_JSON}]}`);
  });

  it('Suffix puts the system message last and leaves every other byte as sent', async () => {
    expect((await send(suffix.gateway.url + CHAT, before)).status).toBe(200);
    const r = received(suffix);
    expect(r.json).toEqual({ model: 'gpt-4', messages: [user, SYSTEM_MESSAGE], temperature: 0.2 });
    expect(r.body).toBe(before.replace('} ] ,', `} ,${SYSTEM_JSON}] ,`));
  });

  it('Replace puts it where the first system message was and drops the other system messages', async () => {
    const messages = ['{"role":"system","content":"old one"}', '{"role":"user", "content":"q1"}', '{"role":"system","content":"old two"}', '{"role":"assistant","content":"a1"}'];
    const body = `{"model":"gpt-4", "messages":[${messages.join(', ')}], "n":1}`;
    expect((await send(replace.gateway.url + CHAT, body)).status).toBe(200);
    const r = received(replace);
    expect(r.json).toEqual({
      model: 'gpt-4',
      messages: [SYSTEM_MESSAGE, { role: 'user', content: 'q1' }, { role: 'assistant', content: 'a1' }],
      n: 1,
    });
    // Kept messages are copied as they were; the array is rebuilt, the rest of the body is not.
    expect(r.body).toBe(`{"model":"gpt-4", "messages":[${[SYSTEM_JSON, messages[1], messages[3]].join(',')}], "n":1}`);
  });

  it('Replace adds the system message first when the request has none', async () => {
    expect((await send(replace.gateway.url + CHAT, { model: 'm', messages: [{ role: 'user', content: 'q' }] })).status).toBe(200);
    expect(received(replace).json.messages).toEqual([SYSTEM_MESSAGE, { role: 'user', content: 'q' }]);
  });

  it('a body without "messages" (embeddings) passes through untouched', async () => {
    const body = '{"model":"text-embedding-3-small", "input":"x"}';
    expect((await send(prefix.gateway.url + '/v1/embeddings', body)).status).toBe(200);
    expect(received(prefix).body).toBe(body);
  });
});

describe('real Envoy: Transform with templates', () => {
  let traffic: Traffic;
  beforeAll(async () => {
    traffic = await gatewayWith({
      systemPrompt: SYSTEM,
      modificationType: 'Transform',
      templates: { summarize: 'Summarize in {{.lang}}: {{.text}}', translate: 'Translate to {{ .lang }} ({{.level}}): {{.text}}' },
    });
  });
  afterAll(async () => traffic?.stop());
  beforeEach(() => traffic && resetMocks(traffic));

  it('the x-ai-prompt-template header picks the template; variables and {{.text}} (the last user message) fill it', async () => {
    const res = await send(
      traffic.gateway.url + CHAT,
      { model: 'gpt-4', variables: { lang: 'French' }, messages: [{ role: 'user', content: 'first' }, { role: 'assistant', content: 'ok' }, { role: 'user', content: 'hello "world"' }] },
      { 'x-ai-prompt-template': 'summarize' },
    );
    expect(res.status).toBe(200);
    const r = received(traffic);
    expect(r.json).toEqual({
      model: 'gpt-4',
      messages: [SYSTEM_MESSAGE, { role: 'user', content: 'first' }, { role: 'assistant', content: 'ok' }, { role: 'user', content: 'Summarize in French: hello "world"' }],
    });
    expect(r.headers['x-ai-prompt-template']).toBeUndefined();
  });

  it('numbers and booleans fill placeholders; a content list keeps its non-text parts after the rendered text', async () => {
    const image = { type: 'image_url', image_url: { url: 'https://example.com/a.png' } };
    const res = await send(
      traffic.gateway.url + CHAT,
      { model: 'gpt-4o', messages: [{ role: 'user', content: [{ type: 'text', text: 'Bonjour' }, image] }], variables: { lang: 'English', level: 2 } },
      { 'X-AI-Prompt-Template': 'translate' },
    );
    expect(res.status).toBe(200);
    expect(received(traffic).json).toEqual({
      model: 'gpt-4o',
      messages: [SYSTEM_MESSAGE, { role: 'user', content: [{ type: 'text', text: 'Translate to English (2): Bonjour' }, image] }],
    });
  });

  it('fails with 400 naming the templates for an unknown template, and never calls the upstream', async () => {
    const res = await send(traffic.gateway.url + CHAT, { model: 'm', messages: [{ role: 'user', content: 'x' }] }, { 'x-ai-prompt-template': 'poem' });
    expect(res.status).toBe(400);
    expect(res.json).toEqual({ error: { type: 'invalid_request', message: 'unknown prompt template "poem" in the x-ai-prompt-template header; templates: summarize, translate' } });
    expect(traffic.mocks.llm.requests).toHaveLength(0);
  });

  it('fails with 400 naming the missing variable', async () => {
    const res = await send(traffic.gateway.url + CHAT, { model: 'm', messages: [{ role: 'user', content: 'x' }] }, { 'x-ai-prompt-template': 'summarize' });
    expect(res.status).toBe(400);
    expect(res.json.error.message).toBe('template "summarize" needs the variable "lang": send it in the body\'s "variables" object');
    expect(traffic.mocks.llm.requests).toHaveLength(0);
  });
});
