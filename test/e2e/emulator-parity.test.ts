/**
 * The same requests through the real Envoy and through the Lua emulation
 * (test/support/lua/envoy_emulator.lua) that the test/lua-*.test.ts files rely on: what the
 * upstream receives, what the client gets back, and the metadata the access log shows must agree.
 * A difference here means the emulation is wrong (fix it there), or the product only works in it.
 */
import { request as httpRequest } from 'http';
import { bodyRoutingFilter, cacheFilter, promptFilter, usageFilter } from '../../src/envoy/lua';
import { ENDPOINT_HEADER } from '../../src/envoy/names';
import { parseSpec, type AIGatewaySpecInput } from '../../src/spec';
import { anthropicMessage, anthropicStream, openAiCompletion, openAiStream } from '../support/real-envoy';
import type { LuaRequestResult, LuaScenarioRequest } from '../support/lua/run-lua';
import { chat, OPTIONS, run, runOne, scriptOf } from '../lua-helpers';
import { logLine, send, startTraffic, type Reply, type Traffic } from './traffic';

type Json = any;
const CHAT = '/v1/chat/completions';
const LOGGED = ['model', 'endpoint', 'input_tokens', 'output_tokens', 'total_tokens', 'cost_usd', 'cache'] as const;

/** The access log fields that come from `ai.gateway` metadata, as the emulation recorded them (absent = null). */
function loggedMetadata(r: LuaRequestResult): Record<string, unknown> {
  const md = r.dynamicMetadata['ai.gateway'] ?? {};
  return Object.fromEntries(LOGGED.map((k) => [k, md[k] ?? null]));
}
const pick = (log: Json) => Object.fromEntries(LOGGED.map((k) => [k, log[k] ?? null]));

/** What the client got from the emulated filter: its own reply, or the upstream answer as passed on. */
function emulatedReply(r: LuaRequestResult): { status: number; body: string; headers: Record<string, string> } {
  if (r.localReply) return { status: r.localReply.status, body: r.localReply.body, headers: r.localReply.headers };
  return { status: Number(r.response.headers[':status']), body: r.response.body, headers: r.response.headers };
}

/** Headers a Lua filter decides (Envoy adds date, server, content-length... itself). */
function luaHeaders(headers: Headers | Record<string, string>, names: readonly string[]): Record<string, string | null> {
  const get = (n: string) => (headers instanceof Headers ? headers.get(n) : (headers[n] ?? null));
  return Object.fromEntries(names.map((n) => [n, get(n)]));
}

class Gateway {
  traffic!: Traffic;
  served = 0;
  constructor(readonly spec: AIGatewaySpecInput) {}
  async start(handlers: Parameters<typeof startTraffic>[1] = {}) {
    this.traffic = await startTraffic(this.spec, handlers);
  }
  async request(path: string, body: string, headers: Record<string, string> = {}): Promise<{ res: Reply; log: Json }> {
    const res = await send(this.traffic.gateway.url + path, body, headers);
    this.served += 1;
    return { res, log: await logLine(this.traffic.gateway, this.served) };
  }
}

function jsonAnswer(json: Json): { headers: Record<string, string>; body: string[] } {
  const text = JSON.stringify(json);
  return { headers: { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(text)) }, body: [text] };
}

const one = (name: string, extra: Partial<AIGatewaySpecInput>): AIGatewaySpecInput => ({ gatewayClassName: 'envoy', endpoints: [{ name, serviceRef: { name } }], ...extra });

describe('emulation vs real Envoy: prompt.lua', () => {
  const gw = new Gateway(one('llm', { promptEngineering: { systemPrompt: 'Be "brief".', modificationType: 'Transform', templates: { t: 'Q ({{.lang}}): {{.text}}', u: '{{.text}}!' } } }));
  const script = scriptOf(promptFilter(parseSpec(gw.spec), OPTIONS));
  beforeAll(() => gw.start());
  afterAll(() => gw.traffic?.stop());

  it.each([
    ['a template applied, variables removed', CHAT, '{"model":"m", "variables":{"lang":"fr"},"messages":[{"role":"user","content":"hé \\u00e9"}] }', { 'X-AI-Prompt-Template': 't' }],
    ['an unknown template (400)', CHAT, '{"model":"m","messages":[{"role":"user","content":"x"}]}', { 'x-ai-prompt-template': 'nope' }],
    ['no template header with two templates (400)', CHAT, '{"model":"m","messages":[]}', {}],
    ['an Anthropic Messages body: the prompt joins "system"', '/v1/messages?beta=true', '{"model":"c","system":"mine","messages":[{"role":"user","content":"x"}]}', { 'x-ai-prompt-template': 'u' }],
    ['a case-variant "Role" (400)', CHAT, '{"model":"m","messages":[{"role":"user","Role":"system","content":"x"}]}', { 'x-ai-prompt-template': 'u' }],
    ['a variable that is not JSON (400)', CHAT, '{"model":"m","variables":{"lang":fr},"messages":[{"role":"user","content":"x"}]}', { 'x-ai-prompt-template': 't' }],
  ])('%s: same upstream body and client reply', async (_name, path, body, headers) => {
    const before = gw.traffic.mocks.llm.requests.length;
    const { res } = await gw.request(path, body, headers);
    const emulated = runOne(script, { request: chat(body, { ...headers, ':path': path }) });
    expect(emulated.errors).toBe(0);
    const upstream = gw.traffic.mocks.llm.requests.slice(before);
    expect(upstream.length).toBe(emulated.request.forwarded ? 1 : 0);
    if (emulated.request.forwarded) {
      expect(emulated.request.body).toBe(upstream[0].body);
      expect(emulated.request.headers['content-length']).toBe(upstream[0].headers['content-length']);
      expect(emulated.request.headers['x-ai-prompt-template']).toBe(upstream[0].headers['x-ai-prompt-template']);
    } else {
      const reply = emulatedReply(emulated);
      expect([reply.status, reply.body, reply.headers['content-type']]).toEqual([res.status, res.text, res.headers.get('content-type')]);
    }
  });
  it('a chunked request (no content-length): the body is rewritten and sent with a content-length, no transfer-encoding', async () => {
    const pieces = ['{"model":"m","variables":{"lang":"de"},', '"messages":[{"role":"user","content":"x"}]}'];
    const before = gw.traffic.mocks.llm.requests.length;
    await sendChunked(gw.traffic.gateway.url + CHAT, pieces, { 'content-type': 'application/json', 'x-ai-prompt-template': 't' });
    gw.served += 1;
    const upstream = gw.traffic.mocks.llm.requests[before];
    const emulated = runOne(script, { request: { headers: { ...chat('').headers, 'transfer-encoding': 'chunked', 'x-ai-prompt-template': 't' }, body: pieces } });
    expect(emulated.request.body).toBe(upstream.body);
    const framing = (h: Record<string, string>) => ({ 'content-length': h['content-length'], 'transfer-encoding': h['transfer-encoding'] });
    expect(framing(emulated.request.headers)).toEqual(framing(upstream.headers));
  });
});

/** A POST whose body goes out in HTTP/1.1 chunks (transfer-encoding: chunked), one per piece. */
function sendChunked(url: string, pieces: readonly string[], headers: Record<string, string>): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method: 'POST', headers }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    for (const piece of pieces) req.write(piece);
    req.end();
  });
}

describe('emulation vs real Envoy: body-routing.lua', () => {
  const gw = new Gateway(one('gpt4', { modelRouting: { strategy: 'RequestBody', rules: [{ model: 'gpt-4', targetEndpoint: 'gpt4' }] } }));
  const script = scriptOf(bodyRoutingFilter(parseSpec(gw.spec), OPTIONS));
  beforeAll(() => gw.start());
  afterAll(() => gw.traffic?.stop());

  it.each([
    ['an unknown model (404)', '{"model":"llama","messages":[]}'],
    ['no model (400)', '{"messages":[]}'],
    ['two models (400)', '{"model":"gpt-4","model":"x"}'],
    ['not JSON (400)', 'model=gpt-4'],
  ])('%s: same reply and logged model', async (_name, body) => {
    const { res, log } = await gw.request(CHAT, body);
    const emulated = runOne(script, { request: chat(body) });
    const reply = emulatedReply(emulated);
    expect([reply.status, reply.body, reply.headers['content-type']]).toEqual([res.status, res.text, res.headers.get('content-type')]);
    expect(loggedMetadata(emulated).model).toEqual(log.model);
  });
});

describe('emulation vs real Envoy: usage.lua', () => {
  const gw = new Gateway({
    gatewayClassName: 'envoy',
    endpoints: [
      { name: 'openai', serviceRef: { name: 'openai' }, costPerToken: { inputTokens: '0.0000025', outputTokens: '0.00001' } },
      { name: 'claude', serviceRef: { name: 'claude' }, provider: 'Anthropic', costPerToken: { inputTokens: '0.000003', outputTokens: '0.000015' } },
    ],
    modelRouting: { strategy: 'Header', rules: [{ match: 'x-ai-model: claude', targetEndpoint: 'claude' }], defaultTargetEndpoint: 'openai' },
    observability: { usageHeaders: true },
  });
  const script = scriptOf(usageFilter(parseSpec(gw.spec), OPTIONS));
  const usage = { input: 321, output: 123 };
  // What each mock answers, given to the emulation as the upstream response (the route adds the endpoint header).
  // A JSON answer carries its content-length (the mock sends it, Envoy passes it on), a stream none.
  const answers: Record<string, (json: Json) => { headers: Record<string, string>; body: string[] }> = {
    openai: (json) =>
      json.stream
        ? { headers: { 'content-type': 'text/event-stream' }, body: openAiStream(json.model, ['hello ', 'from ', 'openai'], usage) }
        : jsonAnswer(openAiCompletion(json.model, 'hello from openai', usage)),
    claude: (json) =>
      json.stream
        ? { headers: { 'content-type': 'text/event-stream' }, body: anthropicStream(json.model, ['hello ', 'from ', 'claude'], usage) }
        : jsonAnswer(anthropicMessage(json.model, 'hello from claude', usage)),
  };
  beforeAll(() =>
    gw.start(
      Object.fromEntries(
        Object.entries(answers).map(([name, answer]) => [
          name,
          (req: Json, res: Json) => {
            const a = answer(req.json);
            res.writeHead(200, a.headers);
            for (const piece of a.body) res.write(piece);
            res.end();
          },
        ]),
      ),
    ),
  );
  afterAll(() => gw.traffic?.stop());

  it.each([
    ['OpenAI JSON', 'openai', { model: 'gpt-4o', messages: [] }],
    ['OpenAI SSE', 'openai', { model: 'gpt-4o', stream: true, stream_options: { include_usage: true }, messages: [] }],
    ['Anthropic JSON', 'claude', { model: 'claude-3', max_tokens: 9, messages: [] }],
    ['Anthropic SSE', 'claude', { model: 'claude-3', max_tokens: 9, stream: true, messages: [] }],
  ])('%s: same logged usage and cost, same usage headers', async (_name, endpoint, json) => {
    const headers: Record<string, string> = endpoint === 'claude' ? { 'x-ai-model': 'claude' } : {};
    const { res, log } = await gw.request(CHAT, JSON.stringify(json), headers);
    const answer = answers[endpoint](json);
    const request: LuaScenarioRequest = {
      request: chat(json, headers),
      response: { headers: { ':status': '200', ...answer.headers, [ENDPOINT_HEADER]: endpoint }, body: answer.body },
    };
    const emulated = runOne(script, request);
    expect(emulated.errors).toBe(0);
    expect(loggedMetadata(emulated)).toEqual(pick(log));
    const names = ['x-ai-usage-input-tokens', 'x-ai-usage-output-tokens', 'x-ai-usage-cost-usd', ENDPOINT_HEADER];
    expect(luaHeaders(emulated.response.headers, names)).toEqual(luaHeaders(res.headers, names));
    expect(emulated.response.body).toBe(res.text);
  });
});

describe('emulation vs real Envoy: cache.lua', () => {
  const gw = new Gateway(one('llm', { cachingStrategy: { type: 'Exact' } }));
  const script = scriptOf(cacheFilter(parseSpec(gw.spec), OPTIONS));
  beforeAll(() => gw.start());
  afterAll(() => gw.traffic?.stop());

  it('a miss then a hit, then a streaming bypass: same x-ai-cache, bodies, content types and logged state', async () => {
    const bodies = ['{"model":"m","messages":[{"role":"user","content":"q"}]}', '{ "model": "m", "messages": [ {"role": "user", "content": "q"} ] }', '{"model":"m","stream":true,"messages":[]}'];
    const real: { res: Reply; log: Json }[] = [];
    for (const body of bodies) real.push(await gw.request(CHAT, body));
    const upstream = gw.traffic.mocks.llm.requests;
    expect(upstream).toHaveLength(2);
    // The emulated upstream answers what the mock answered.
    const answerOf = (i: number) => ({ headers: { ':status': '200', 'content-type': real[i].res.headers.get('content-type')!, [ENDPOINT_HEADER]: 'llm' }, body: real[i].res.text });
    const emulated = run(script, [
      { request: chat(bodies[0]), response: answerOf(0) },
      { request: chat(bodies[1]) },
      { request: chat(bodies[2]), response: answerOf(2) },
    ]).requests;
    emulated.forEach((e, i) => {
      expect(e.errors).toBe(0);
      const reply = emulatedReply(e);
      expect(reply.body).toBe(real[i].res.text);
      expect(luaHeaders(reply.headers, ['x-ai-cache', 'content-type'])).toEqual(luaHeaders(real[i].res.headers, ['x-ai-cache', 'content-type']));
      expect(loggedMetadata(e).cache).toBe(real[i].log.cache);
      expect(e.request.forwarded).toBe(i !== 1);
    });
    // The cache asks upstreams for uncompressed answers: neither forwards accept-encoding.
    expect(upstream[0].headers['accept-encoding']).toBeUndefined();
  });
});
