/**
 * Routing through the real Envoy: each target endpoint is its own mock, so every test asserts
 * which upstream got the request and which path it saw.
 */
import type { AIGatewaySpecInput } from '../../src/spec';
import { testCa } from '../support/real-envoy';
import { chatBody, hits, resetMocks, send, startTraffic, type Traffic } from './traffic';

const endpoints = (...names: string[]) => names.map((name) => ({ name, serviceRef: { name: `${name}-svc` } }));
const CHAT = '/v1/chat/completions';

describe('real Envoy: Header routing', () => {
  let withDefault: Traffic;
  let noDefault: Traffic;
  beforeAll(async () => {
    const spec = (rules: AIGatewaySpecInput['modelRouting']): AIGatewaySpecInput => ({ gatewayClassName: 'envoy', endpoints: endpoints('gpt4', 'claude', 'local'), modelRouting: rules });
    [withDefault, noDefault] = await Promise.all([
      // The design doc's shorthand, and its "default as the last rule" form.
      startTraffic(spec({ strategy: 'Header', rules: [{ match: 'X-AI-Model: gpt-4', targetEndpoint: 'gpt4' }, { header: { name: 'X-AI-Model', value: 'claude-3' }, targetEndpoint: 'claude' }, { defaultTargetEndpoint: 'local' }] })),
      startTraffic(spec({ strategy: 'Header', rules: [{ match: 'X-AI-Model: gpt-4', targetEndpoint: 'gpt4' }, { match: 'X-AI-Model: claude-3', targetEndpoint: 'claude' }] })),
    ]);
  });
  afterAll(async () => {
    await withDefault?.stop();
    await noDefault?.stop();
  });
  beforeEach(() => [withDefault, noDefault].forEach((t) => t && resetMocks(t)));

  it('the "X-AI-Model: gpt-4" shorthand and a structured header rule pick their endpoints; the path is kept', async () => {
    expect((await send(withDefault.gateway.url + CHAT, chatBody('gpt-4'), { 'x-ai-model': 'gpt-4' })).json.choices[0].message.content).toBe('hello from gpt4');
    expect((await send(withDefault.gateway.url + CHAT, chatBody('claude-3'), { 'X-AI-Model': 'claude-3' })).status).toBe(200);
    expect(hits(withDefault)).toEqual({ gpt4: 1, claude: 1 });
    expect(withDefault.mocks.gpt4.requests[0].path).toBe(CHAT);
    expect(withDefault.mocks.claude.requests[0].path).toBe(CHAT);
  });

  it('a header value no rule names, or no header, goes to the default endpoint', async () => {
    await send(withDefault.gateway.url + CHAT, chatBody('gpt-4o'), { 'x-ai-model': 'gpt-4o' });
    await send(withDefault.gateway.url + '/v1/embeddings', { model: 'e', input: 'x' });
    expect(hits(withDefault)).toEqual({ local: 2 });
    expect(withDefault.mocks.local.requests.map((r) => r.path)).toEqual([CHAT, '/v1/embeddings']);
  });

  it('fails with a JSON 404 naming the header and its value when there is no default', async () => {
    const res = await send(noDefault.gateway.url + CHAT, chatBody('gpt-5'), { 'x-ai-model': 'gpt-5' });
    expect(res.status).toBe(404);
    expect(res.headers.get('content-type')).toBe('application/json');
    expect(res.json).toEqual({ error: { type: 'model_not_found', message: 'no endpoint serves the model named in the X-AI-Model header', header: 'X-AI-Model', model: 'gpt-5' } });
    expect(hits(noDefault)).toEqual({});
  });

  it('fails with a JSON 404 that stays valid JSON whatever the header value holds, or with no header at all', async () => {
    const quoted = await send(noDefault.gateway.url + CHAT, chatBody('x'), { 'x-ai-model': 'gpt-"5"\\ {x}' });
    expect(quoted.status).toBe(404);
    expect(quoted.json.error.model).toBe('gpt-"5"\\ {x}');
    const missing = await send(noDefault.gateway.url + CHAT, chatBody('x'));
    expect(missing.status).toBe(404);
    expect(missing.json.error).toEqual({ type: 'model_not_found', message: 'no endpoint serves the model named in the X-AI-Model header', header: 'X-AI-Model', model: null });
    expect(hits(noDefault)).toEqual({});
  });
});

describe('real Envoy: Path routing', () => {
  let traffic: Traffic;
  beforeAll(async () => {
    const ca = testCa();
    traffic = await startTraffic(
      {
        gatewayClassName: 'envoy',
        endpoints: [...endpoints('openai', 'anthropic'), { name: 'external', url: 'https://llm.example.com/api/base' }],
        modelRouting: {
          strategy: 'Path',
          rules: [
            { match: '/openai', targetEndpoint: 'openai', stripPrefix: true },
            { pathPrefix: '/anthropic/', targetEndpoint: 'anthropic', stripPrefix: true },
            { match: '/ext', targetEndpoint: 'external', stripPrefix: true },
            { pathPrefix: '/keep', targetEndpoint: 'external' },
          ],
        },
      },
      { external: { tls: ca.issue(['llm.example.com']) } },
      { trustedCa: ca.caFile },
    );
  });
  afterAll(async () => traffic?.stop());
  beforeEach(() => traffic && resetMocks(traffic));

  it('each prefix picks its endpoint, which sees the path without the prefix (query kept)', async () => {
    expect((await send(`${traffic.gateway.url}/openai/v1/chat/completions?trace=1`, chatBody('gpt-4'))).status).toBe(200);
    expect((await send(`${traffic.gateway.url}/anthropic/v1/messages`, chatBody('claude'))).status).toBe(200);
    expect(hits(traffic)).toEqual({ openai: 1, anthropic: 1 });
    expect(traffic.mocks.openai.requests[0].path).toBe('/v1/chat/completions?trace=1');
    expect(traffic.mocks.anthropic.requests[0].path).toBe('/v1/messages');
  });

  it('an https url endpoint gets its base path in front, its own Host, over TLS verified against its name', async () => {
    expect((await send(`${traffic.gateway.url}/ext/v1/chat/completions`, chatBody('m'))).status).toBe(200);
    expect(hits(traffic)).toEqual({ external: 1 });
    const seen = traffic.mocks.external.requests[0];
    expect(seen.path).toBe('/api/base/v1/chat/completions');
    expect(seen.headers.host).toBe('llm.example.com');
  });

  it('a rule without stripPrefix keeps its prefix, after the base path (no doubled slash)', async () => {
    expect((await send(`${traffic.gateway.url}/keep/v1/chat/completions`, chatBody('m'))).status).toBe(200);
    expect(traffic.mocks.external.requests[0].path).toBe('/api/base/keep/v1/chat/completions');
  });

  it('fails with a JSON 404 naming the path without its query for an unknown path (and a prefix matches whole segments only)', async () => {
    const unknown = await send(`${traffic.gateway.url}/gemini/v1/chat?key=secret`, chatBody('g'));
    expect(unknown.status).toBe(404);
    expect(unknown.headers.get('content-type')).toBe('application/json');
    expect(unknown.json).toEqual({ error: { type: 'model_not_found', message: 'no endpoint serves this path', path: '/gemini/v1/chat' } });
    expect(unknown.text).not.toContain('secret');
    const lookalike = await send(`${traffic.gateway.url}/openaix/v1/chat`, chatBody('g'));
    expect(lookalike.status).toBe(404);
    expect(lookalike.json.error.path).toBe('/openaix/v1/chat');
    expect(hits(traffic)).toEqual({});
  });
});

describe('real Envoy: RequestBody routing', () => {
  let traffic: Traffic;
  beforeAll(async () => {
    traffic = await startTraffic({
      gatewayClassName: 'envoy',
      endpoints: [
        { name: 'gpt4', serviceRef: { name: 'gpt4-svc' } },
        { name: 'claude', serviceRef: { name: 'claude-svc' }, models: ['claude-3-opus', 'claude-3-haiku'] },
      ],
      modelRouting: { strategy: 'RequestBody', rules: [{ match: 'gpt-4', targetEndpoint: 'gpt4' }] },
    });
  });
  afterAll(async () => traffic?.stop());
  beforeEach(() => traffic && resetMocks(traffic));

  it('the body\'s "model" picks the endpoint: a rule\'s model, then the models an endpoint lists', async () => {
    // The model after a nested object that has its own "model": only the top-level one counts.
    const body = '{"metadata":{"model":"claude-3-opus"},"messages":[{"role":"user","content":"hi"}],"model":"gpt-4"}';
    expect((await send(traffic.gateway.url + CHAT, body)).status).toBe(200);
    expect((await send(traffic.gateway.url + CHAT, chatBody('claude-3-haiku'))).status).toBe(200);
    expect((await send(traffic.gateway.url + CHAT, chatBody('claude-3-opus'))).status).toBe(200);
    expect(hits(traffic)).toEqual({ gpt4: 1, claude: 2 });
    expect(traffic.mocks.gpt4.requests[0].body).toBe(body);
    expect(traffic.mocks.claude.requests.map((r) => [r.path, r.json.model])).toEqual([
      [CHAT, 'claude-3-haiku'],
      [CHAT, 'claude-3-opus'],
    ]);
    // The internal routing header never reaches an upstream.
    for (const mock of Object.values(traffic.mocks)) for (const r of mock.requests) expect(Object.keys(r.headers).filter((k) => k.startsWith('x-ai'))).toEqual([]);
  });

  it('a client cannot route by sending the internal model header itself', async () => {
    const res = await send(traffic.gateway.url + CHAT, chatBody('claude-3-opus'), { 'x-ai-gateway-model': 'gpt-4' });
    expect(res.status).toBe(200);
    expect(hits(traffic)).toEqual({ claude: 1 });
  });

  it('fails with a JSON 404 naming the unknown model and the models served (an endpoint without `models` serves its name)', async () => {
    const res = await send(traffic.gateway.url + CHAT, chatBody('llama-3'));
    expect(res.status).toBe(404);
    expect(res.headers.get('content-type')).toBe('application/json');
    expect(res.json).toEqual({
      error: { type: 'model_not_found', message: 'model "llama-3" is not served by this gateway (models: gpt-4, gpt4, claude-3-opus, claude-3-haiku)' },
    });
    expect(hits(traffic)).toEqual({});
  });
});

describe('real Envoy: RequestBody routing with a default endpoint', () => {
  let traffic: Traffic;
  beforeAll(async () => {
    traffic = await startTraffic({
      gatewayClassName: 'envoy',
      endpoints: endpoints('gpt4', 'local'),
      modelRouting: { strategy: 'RequestBody', rules: [{ model: 'gpt-4', targetEndpoint: 'gpt4' }], defaultTargetEndpoint: 'local' },
    });
  });
  afterAll(async () => traffic?.stop());

  it('an unknown model, a body without a model and a GET go to the default; a known model to its endpoint', async () => {
    for (const body of [chatBody('llama-3'), { messages: [] }, 'not json', chatBody('gpt-4')]) expect((await send(traffic.gateway.url + CHAT, body)).status).toBe(200);
    expect((await send(traffic.gateway.url + '/v1/models', undefined, {}, 'GET')).status).toBe(200);
    expect(hits(traffic)).toEqual({ local: 4, gpt4: 1 });
    expect(traffic.mocks.local.requests.map((r) => r.path)).toEqual([CHAT, CHAT, CHAT, '/v1/models']);
  });
});

describe('real Envoy: Weighted routing', () => {
  let traffic: Traffic;
  beforeAll(async () => {
    traffic = await startTraffic({
      gatewayClassName: 'envoy',
      endpoints: endpoints('stable', 'canary'),
      modelRouting: { strategy: 'Weighted', rules: [{ weight: 90, targetEndpoint: 'stable' }, { weight: 10, targetEndpoint: 'canary' }] },
    });
  });
  afterAll(async () => traffic?.stop());

  it('splits 90/10 over 400 requests, each upstream seeing the path as sent', async () => {
    const N = 400;
    // 10 clients in parallel, 40 requests each: fast, and still one request per connection turn.
    await Promise.all(
      Array.from({ length: 10 }, async () => {
        for (let i = 0; i < N / 10; i++) {
          const res = await send(traffic.gateway.url + CHAT, chatBody('any'));
          if (res.status !== 200) throw new Error(`status ${res.status}: ${res.text}`);
        }
      }),
    );
    const canary = traffic.mocks.canary.requests.length;
    expect(canary + traffic.mocks.stable.requests.length).toBe(N);
    // Each request picks canary with p = 0.1 independently, so the count is Binomial(400, 0.1):
    // mean 40, standard deviation sqrt(400 * 0.1 * 0.9) = 6. Five standard deviations either side
    // (10..70) fail a correct gateway about once in 1.7 million runs, and still fail a 50/50 split
    // (about 200) or an all-or-nothing one (0 or 400).
    expect(canary).toBeGreaterThanOrEqual(40 - 5 * 6);
    expect(canary).toBeLessThanOrEqual(40 + 5 * 6);
    for (const mock of Object.values(traffic.mocks)) expect(new Set(mock.requests.map((r) => r.path))).toEqual(new Set([CHAT]));
  });
});
