/**
 * Exact-match response cache (cachingStrategy.type Exact) under LuaJIT through the Envoy Lua
 * emulation: hit/miss/bypass, expiry, LRU eviction, per-worker isolation, streaming copy.
 */
import { cacheFilter, LUA_FILTER_NAMES } from '../src/envoy/lua';
import { jwtFilter } from '../src/envoy/jwt';
import { cacheKeyHeaders, CACHE_MAX_BYTES, CACHE_MAX_ENTRY_BYTES } from '../src/envoy/lua/cache';
import { ENDPOINT_HEADER } from '../src/envoy/names';
import type { AIGatewaySpecInput } from '../src/spec';
import type { LuaScenarioRequest } from './support/lua/run-lua';
import { chat, errorOf, OPTIONS, run, runOne, scriptOf, specWith } from './lua-helpers';

const T0 = 1_700_000_000;
const ANSWER = JSON.stringify({ id: 'chatcmpl-1', choices: [{ message: { role: 'assistant', content: 'Bonjour 🎉 "é"' } }], usage: { prompt_tokens: 5, completion_tokens: 7, total_tokens: 12 } });

const scriptWith = (cachingStrategy: AIGatewaySpecInput['cachingStrategy'] = { type: 'Exact' }, extra: Partial<AIGatewaySpecInput> = {}) =>
  scriptOf(cacheFilter(specWith({ cachingStrategy, ...extra }), OPTIONS));
const script = scriptWith({ type: 'Exact', ttlSeconds: 60, maxEntries: 3 });

interface Req {
  body?: unknown;
  headers?: Record<string, string>;
  status?: string;
  responseHeaders?: Record<string, string>;
  answer?: string | string[];
  now?: number;
  worker?: number;
  /** Dynamic metadata the filters before the cache left (the caller's identity). */
  metadata?: Record<string, Record<string, unknown>>;
}
function req({ body = { model: 'gpt-4', messages: [{ role: 'user', content: 'hi' }], temperature: 0 }, headers = {}, status = '200', responseHeaders = {}, answer = ANSWER, now = T0, worker, metadata }: Req = {}): LuaScenarioRequest {
  return {
    ...(metadata && { streamInfo: { dynamicMetadata: metadata } }),
    request: chat(body, headers),
    response: { headers: { ':status': status, 'content-type': 'application/json', [ENDPOINT_HEADER]: 'openai', ...responseHeaders }, body: answer },
    now,
    ...(worker !== undefined && { worker }),
  };
}
const outcome = (r: ReturnType<typeof run>['requests'][number]) => (r.localReply ? 'hit' : r.response.headers['x-ai-cache']);

describe('converter', () => {
  test('emits nothing without cachingStrategy Exact', () => {
    expect(cacheFilter(specWith(), OPTIONS)).toBeUndefined();
    expect(cacheFilter(specWith({ cachingStrategy: { type: 'None' } }), OPTIONS)).toBeUndefined();
  });

  test('keys on the headers that pick the endpoint and the prompt template', () => {
    const spec = specWith({ promptEngineering: { templates: { t: '{{.text}}' }, templateHeader: 'X-Template' } });
    expect(cacheKeyHeaders(spec)).toEqual(['x-ai-model', 'x-template']);
    expect(cacheKeyHeaders(specWith({ modelRouting: { strategy: 'Path', rules: [{ pathPrefix: '/a', targetEndpoint: 'claude' }], defaultTargetEndpoint: 'openai' } }))).toEqual([]);
  });

  test('writes the spec\'s TTL and size and the fixed byte limits into the script', () => {
    const source = scriptWith({ type: 'Exact', ttlSeconds: 42, maxEntries: 7 });
    expect(source).toContain('["ttlSeconds"] = 42,');
    expect(source).toContain('["maxEntries"] = 7,');
    expect(source).toContain(`["maxEntryBytes"] = ${CACHE_MAX_ENTRY_BYTES},`);
    expect(source).toContain(`["maxBytes"] = ${CACHE_MAX_BYTES},`);
  });
});

describe('hits and misses', () => {
  test('answers a repeat of a request from the cache with the stored body and content type', () => {
    const res = run(script, [
      req({ responseHeaders: { 'content-type': 'application/json; charset=utf-8' } }),
      req({ body: '{ "model" : "gpt-4",\n "messages" : [ {"role":"user", "content":"hi"} ], "temperature": 0 }', now: T0 + 59 }),
    ]);
    const [miss, hit] = res.requests;
    expect(res.stats.errors).toBe(0);
    expect(miss.request.forwarded).toBe(true);
    expect(miss.request.headers['accept-encoding']).toBeUndefined();
    expect(miss.response.headers['x-ai-cache']).toBe('miss');
    expect(miss.response.headers[ENDPOINT_HEADER]).toBeUndefined();
    expect(miss.dynamicMetadata['ai.gateway']).toEqual({ cache: 'miss', endpoint: 'openai' });
    expect(hit.request.forwarded).toBe(false);
    expect(hit.localReply).toMatchObject({ status: 200, body: ANSWER });
    expect(hit.localReply!.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(hit.localReply!.headers['x-ai-cache']).toBe('hit');
    expect(hit.response.body).toBe(ANSWER);
    expect(hit.dynamicMetadata['ai.gateway']).toMatchObject({ cache: 'hit', endpoint: 'openai' });
  });

  test('records zero tokens and cost for a hit when usage is accounted, nothing when it is not', () => {
    const [, hit] = run(script, [req(), req()]).requests; // specWith prices the openai endpoint
    expect(hit.dynamicMetadata['ai.gateway']).toEqual({ cache: 'hit', endpoint: 'openai', input_tokens: 0, output_tokens: 0, total_tokens: 0, cost_usd: '0' });
    const unpriced = scriptWith({ type: 'Exact' }, { endpoints: [{ name: 'openai', serviceRef: { name: 'openai' } }], modelRouting: undefined });
    const [, plain] = run(unpriced, [req(), req()]).requests;
    expect(plain.dynamicMetadata['ai.gateway']).toEqual({ cache: 'hit', endpoint: 'openai' });
  });

  test('caches a request without temperature (the provider default is one valid sample)', () => {
    const body = { model: 'gpt-4', input: 'embed me' };
    expect(run(script, [req({ body }), req({ body })]).requests.map(outcome)).toEqual(['miss', 'hit']);
  });

  test('keys on path, routing header and body: any difference is a miss', () => {
    const keyed = scriptWith({ type: 'Exact' });
    const res = run(keyed, [
      req(),
      req({ headers: { ':path': '/v1/completions' } }),
      req({ headers: { 'x-ai-model': 'claude' } }),
      req({ body: { model: 'gpt-4', messages: [{ role: 'user', content: 'hi ' }], temperature: 0 } }),
      req({ body: { messages: [{ role: 'user', content: 'hi' }], model: 'gpt-4', temperature: 0 } }), // key order matters
      req({ headers: { 'x-unrelated': 'y', authorization: 'Bearer other-client' } }),
    ]);
    expect(res.requests.map(outcome)).toEqual(['miss', 'miss', 'miss', 'miss', 'miss', 'hit']);
  });

  test('a hit passes through the filter\'s own response path unchanged, whether Envoy runs it or not', () => {
    for (const responseOnLocalReply of [true, false]) {
      const [, hit] = run(script, [req(), req()], { config: { responseOnLocalReply } }).requests;
      expect(hit.response.headers['x-ai-cache']).toBe('hit');
      expect(hit.response.body).toBe(ANSWER);
      expect(hit.errors).toBe(0);
    }
  });
});

describe('whose answers are shared (cachingStrategy.scope)', () => {
  const KEY_NS = LUA_FILTER_NAMES.apiKeyAuth;
  const JWT_NS = 'envoy.filters.http.jwt_authn';
  const apiKey = { type: 'APIKey', apiKeyRef: { name: 'keys', key: 'k' } } as const;
  const jwt = { type: 'JWT', jwtSpec: { issuer: 'https://issuer.example/', jwksUri: 'https://issuer.example/jwks.json' } } as const;
  const byKey = (key: string): Req => ({ metadata: { [KEY_NS]: { caller: key } } });
  const byToken = (payload: Record<string, unknown>): Req => ({ metadata: { [JWT_NS]: { jwt_payload: payload } } });

  test('APIKey, by default: a caller never gets the answer cached for another key', () => {
    const keyed = scriptWith({ type: 'Exact' }, { authentication: apiKey });
    const res = run(keyed, [req(byKey('key-a')), req(byKey('key-b')), req(byKey('key-a')), req(byKey('key-b'))]);
    expect(res.requests.map(outcome)).toEqual(['miss', 'miss', 'hit', 'hit']);
    // The key is read once and blanked, so nothing after the cache (access log) can see it.
    for (const r of res.requests) expect(r.dynamicMetadata[KEY_NS]).toEqual({ caller: '' });
  });

  test('JWT, by default: entries are per issuer and subject', () => {
    const keyed = scriptWith({ type: 'Exact' }, { authentication: jwt });
    const res = run(keyed, [
      req(byToken({ iss: 'https://issuer.example/', sub: 'alice' })),
      req(byToken({ iss: 'https://issuer.example/', sub: 'bob' })),
      req(byToken({ iss: 'https://other.example/', sub: 'alice' })),
      req(byToken({ iss: 'https://issuer.example/', sub: 'alice', aud: 'x', iat: 1 })),
      // No splice: iss "a" + sub "\u0000b" is not iss "a\u0000" + sub "b".
      req(byToken({ iss: 'a', sub: '\u0000b' })),
      req(byToken({ iss: 'a\u0000', sub: 'b' })),
    ]);
    expect(res.requests.map(outcome)).toEqual(['miss', 'miss', 'miss', 'hit', 'miss', 'miss']);
  });

  test('fails safe: without an identity (no key handed over, a token without a subject) nothing is cached', () => {
    const keyed = scriptWith({ type: 'Exact' }, { authentication: apiKey });
    expect(run(keyed, [req(), req()]).requests.map(outcome)).toEqual(['bypass', 'bypass']);
    const byJwt = scriptWith({ type: 'Exact' }, { authentication: jwt });
    expect(run(byJwt, [req(byToken({ iss: 'https://issuer.example/' })), req(byToken({ iss: 'https://issuer.example/' }))]).requests.map(outcome)).toEqual(['bypass', 'bypass']);
  });

  test('jwt_authn puts the verified payload into metadata only when the cache keys on it', () => {
    const payloadKey = (extra: Partial<AIGatewaySpecInput>) => (jwtFilter(specWith({ authentication: jwt, ...extra })) as any).typed_config.providers.gateway.payload_in_metadata;
    expect(payloadKey({ cachingStrategy: { type: 'Exact' } })).toBe('jwt_payload');
    expect(payloadKey({ cachingStrategy: { type: 'Exact', scope: 'Gateway' } })).toBeUndefined();
    expect(payloadKey({})).toBeUndefined();
  });

  test('scope Gateway shares answers across callers, as does authentication None (no identity)', () => {
    const shared = scriptWith({ type: 'Exact', scope: 'Gateway' }, { authentication: apiKey });
    expect(run(shared, [req(byKey('key-a')), req(byKey('key-b'))]).requests.map(outcome)).toEqual(['miss', 'hit']);
    const open = scriptWith({ type: 'Exact' });
    expect(run(open, [req(), req()]).requests.map(outcome)).toEqual(['miss', 'hit']);
  });
});

describe('bypass: never answered from or stored in the cache', () => {
  const cases: Array<[string, Req]> = [
    ['a streaming request', { body: { model: 'gpt-4', messages: [], stream: true } }],
    ['a sampled request (temperature 0.7)', { body: { model: 'gpt-4', messages: [], temperature: 0.7 } }],
    ['a non-JSON body', { body: 'plain text' }],
    ['a client Cache-Control: no-cache', { headers: { 'cache-control': 'No-Cache' } }],
    ['a GET', { headers: { ':method': 'GET' } }],
  ];
  test.each(cases)('bypasses %s', (_name, r) => {
    const res = run(script, [req(r), req(r)]);
    for (const x of res.requests) {
      expect(x.request.forwarded).toBe(true);
      expect(x.response.headers['x-ai-cache']).toBe('bypass');
      expect(x.dynamicMetadata['ai.gateway']).toMatchObject({ cache: 'bypass' });
    }
  });
});

describe('responses that are not stored', () => {
  const cases: Array<[string, Req]> = [
    ['an error status', { status: '500' }],
    ['a non-JSON content type', { responseHeaders: { 'content-type': 'text/plain' } }],
    ['a compressed body', { responseHeaders: { 'content-encoding': 'gzip' } }],
    ['Cache-Control: no-store from the upstream', { responseHeaders: { 'cache-control': 'no-store' } }],
    ['Cache-Control: private from the upstream', { responseHeaders: { 'cache-control': 'max-age=0, private' } }],
    ['an empty body', { answer: '' }],
    ['a body over the entry limit announced by content-length', { responseHeaders: { 'content-length': String(CACHE_MAX_ENTRY_BYTES + 1) }, answer: 'x' }],
  ];
  test.each(cases)('does not store %s', (_name, r) => {
    const res = run(script, [req(r), req()]);
    expect(res.requests.map(outcome)).toEqual(['miss', 'miss']);
    expect(res.stats.errors).toBe(0);
  });

  test('streams a large chunked response through untouched and does not store it', () => {
    const chunks = Array.from({ length: 20 }, (_, i) => `${String(i).padStart(2, '0')}${'x'.repeat(64 * 1024)}`);
    const res = run(script, [req({ answer: chunks }), req()]);
    expect(res.requests[0].response.chunks).toEqual(chunks);
    expect(res.requests.map(outcome)).toEqual(['miss', 'miss']);
  });

  test('stores a chunked response under the limit as the concatenation of its chunks', () => {
    const chunks = ['{"a":"', 'é漢', '🎉', '"}'];
    const [, hit] = run(script, [req({ answer: chunks }), req()]).requests;
    expect(hit.localReply!.body).toBe(chunks.join(''));
  });
});

describe('lifetime and size', () => {
  test('an entry expires after ttlSeconds', () => {
    const res = run(script, [req(), req({ now: T0 + 59 }), req({ now: T0 + 60 }), req({ now: T0 + 61 })]);
    expect(res.requests.map(outcome)).toEqual(['miss', 'hit', 'miss', 'hit']);
  });

  test('evicts the least recently used entry beyond maxEntries', () => {
    const q = (content: string) => ({ body: { messages: [{ role: 'user', content }] } });
    // maxEntries 3: a, b, c stored; a used again; d evicts b (least recently used), not a.
    const res = run(script, [req(q('a')), req(q('b')), req(q('c')), req(q('a')), req(q('d')), req(q('a')), req(q('c')), req(q('b'))]);
    expect(res.requests.map(outcome)).toEqual(['miss', 'miss', 'miss', 'hit', 'miss', 'hit', 'hit', 'miss']);
  });

  test('evicts by bytes when the worker\'s budget is spent', () => {
    const small = scriptWith({ type: 'Exact', maxEntries: 100 }).replace(`["maxBytes"] = ${CACHE_MAX_BYTES},`, '["maxBytes"] = 5000,');
    const q = (content: string) => ({ body: { messages: [{ role: 'user', content }] }, answer: JSON.stringify({ text: content.repeat(3000) }) });
    // Each entry takes about 3 KB of the 5 KB budget: storing b evicts a.
    const res = run(small, [req(q('a')), req(q('b')), req(q('b')), req(q('a'))]);
    expect(res.requests.map(outcome)).toEqual(['miss', 'miss', 'hit', 'miss']);
  });

  test('each worker has its own cache', () => {
    const res = run(script, [req({ worker: 0 }), req({ worker: 1 }), req({ worker: 1 }), req({ worker: 0 })], { workers: 2 });
    expect(res.requests.map(outcome)).toEqual(['miss', 'miss', 'hit', 'hit']);
  });

  test('concurrent misses for the same request all complete and answer from the upstream', () => {
    const res = run(script, [req({ answer: '{"n":1}' }), req({ answer: '{"n":2}' }), req({ answer: '{"n":3}' })], { config: { order: 'interleaved' } });
    expect(res.stats.errors).toBe(0);
    expect(res.requests.map(outcome)).toEqual(['miss', 'miss', 'miss']);
    expect(res.requests.map((r) => r.response.body)).toEqual(['{"n":1}', '{"n":2}', '{"n":3}']);
  });
});

describe('errors in the script', () => {
  test('fails with a JSON 500 on the request path', () => {
    const broken = script.replace('local function on_request(h)\n', 'local function on_request(h)\n  error("boom")\n');
    const r = runOne(broken, req());
    expect(r.errors).toBe(0);
    expect(r.localReply!.status).toBe(500);
    expect(errorOf(r).type).toBe('gateway_error');
  });

  test('lets the response through intact when the response path breaks', () => {
    const broken = script.replace('local function store(', 'local function store_unused(').replace('local function has_directive', 'local store\nlocal function has_directive');
    const [r] = run(broken, [req({ answer: ['{"a":', '1}'] })]).requests;
    expect(r.errors).toBe(0);
    expect(r.response.headers[':status']).toBe('200');
    expect(r.response.body).toBe('{"a":1}');
    expect(r.logs).toContainEqual(expect.objectContaining({ level: 'error', message: expect.stringContaining('response processing failed') }));
  });
});
