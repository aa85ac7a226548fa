/**
 * The Exact response cache (cache.lua) through the real Envoy. The cache lives in the Lua state of
 * each Envoy worker thread, so it is per worker (and per pod): the harness runs Envoy with
 * --concurrency 1, one worker, which makes "the second identical request is a hit" deterministic.
 * With N workers a repeat is a hit only when it lands on the worker that stored the answer.
 */
import { anthropicHandler } from '../support/real-envoy';
import { chatBody, logLine, resetMocks, send, startTraffic, type Traffic } from './traffic';

const CHAT = '/v1/chat/completions';

describe('real Envoy: Exact cache', () => {
  let traffic: Traffic;
  let served = 0; // requests the gateway answered so far (access log lines)
  const request = async (body: unknown, headers: Record<string, string> = {}) => {
    const res = await send(traffic.gateway.url + CHAT, body, headers);
    served += 1;
    return { res, log: await logLine(traffic.gateway, served) };
  };
  beforeAll(async () => {
    traffic = await startTraffic({
      gatewayClassName: 'envoy',
      endpoints: [{ name: 'llm', serviceRef: { name: 'llm' }, costPerToken: { inputTokens: '0.00001', outputTokens: '0.00002' } }],
      cachingStrategy: { type: 'Exact', ttlSeconds: 60 },
    });
  });
  afterAll(async () => traffic?.stop());
  beforeEach(() => traffic && resetMocks(traffic));

  it('the second identical request is served from the cache (x-ai-cache: hit); the upstream is called once', async () => {
    const first = await request(chatBody('gpt-4', 'what is 2+2?'));
    expect(first.res.status).toBe(200);
    expect(first.res.headers.get('x-ai-cache')).toBe('miss');
    expect(first.log).toMatchObject({ cache: 'miss', upstream_cluster: 'endpoint-llm', input_tokens: 12, output_tokens: 5 });

    // Same request with other whitespace: the key ignores whitespace outside strings.
    const second = await request(JSON.stringify(chatBody('gpt-4', 'what is 2+2?'), null, 2));
    expect(second.res.status).toBe(200);
    expect(second.res.headers.get('x-ai-cache')).toBe('hit');
    expect(second.res.headers.get('content-type')).toBe('application/json');
    expect(second.res.text).toBe(first.res.text);
    expect(traffic.mocks.llm.requests).toHaveLength(1);
    // A hit used no tokens and cost nothing; no upstream host answered it (the cluster is the route's).
    expect(second.log).toMatchObject({ cache: 'hit', input_tokens: 0, output_tokens: 0, total_tokens: 0, cost_usd: '0', endpoint: 'llm', upstream_host: null });
  });

  it('a different prompt is a miss and reaches the upstream', async () => {
    const other = await request(chatBody('gpt-4', 'what is 3+3?'));
    expect(other.res.headers.get('x-ai-cache')).toBe('miss');
    expect(traffic.mocks.llm.requests).toHaveLength(1);
  });

  it('streaming requests are never cached: each reaches the upstream as a stream', async () => {
    const body = chatBody('gpt-4', 'stream me', { stream: true });
    for (let i = 0; i < 2; i++) {
      const { res, log } = await request(body);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('text/event-stream');
      expect(res.headers.get('x-ai-cache')).toBe('bypass');
      expect(res.text).toContain('data: [DONE]');
      expect(log.cache).toBe('bypass');
    }
    expect(traffic.mocks.llm.requests).toHaveLength(2);
  });

  it('sampled requests (temperature above 0) and Cache-Control: no-cache bypass the cache', async () => {
    const sampled = chatBody('gpt-4', 'a poem', { temperature: 0.7 });
    await request(sampled);
    await request(sampled);
    const fixed = chatBody('gpt-4', 'a fact', { temperature: 0 });
    await request(fixed);
    const noCache = await request(fixed, { 'cache-control': 'no-cache' });
    expect(noCache.res.headers.get('x-ai-cache')).toBe('bypass');
    expect(traffic.mocks.llm.requests).toHaveLength(4);
    expect((await request(fixed)).res.headers.get('x-ai-cache')).toBe('hit');
  });
});

describe('real Envoy: the cache in the whole Lua chain (auth, rate limit, cache, prompt, body routing, usage)', () => {
  let traffic: Traffic;
  const auth = { authorization: 'Bearer key-1' };
  beforeAll(async () => {
    traffic = await startTraffic(
      {
        gatewayClassName: 'envoy',
        endpoints: [
          { name: 'gpt4', serviceRef: { name: 'gpt4' }, costPerToken: { inputTokens: '0.00003', outputTokens: '0.00006' } },
          { name: 'claude', serviceRef: { name: 'claude' }, provider: 'Anthropic', models: ['claude-3'], costPerToken: { inputTokens: '0.000003', outputTokens: '0.000015' } },
        ],
        modelRouting: { strategy: 'RequestBody', rules: [{ model: 'gpt-4', targetEndpoint: 'gpt4' }] },
        authentication: { type: 'APIKey', apiKeyRef: { name: 'keys', key: 'k' } },
        rateLimiting: { requestsPerMinute: 6000 },
        cachingStrategy: { type: 'Exact' },
        promptEngineering: { systemPrompt: 'SYS', modificationType: 'Prefix' },
        observability: { usageHeaders: true },
      },
      { claude: anthropicHandler({ name: 'claude' }) },
      { secrets: { keys: { k: 'key-1\n' } } },
    );
  });
  afterAll(async () => traffic?.stop());

  it('a hit skips prompt, routing and upstream; a miss is priced at the endpoint the body chose', async () => {
    const body = chatBody('claude-3', 'q');
    const miss = await send(traffic.gateway.url + CHAT, body, auth);
    const hit = await send(traffic.gateway.url + CHAT, body, auth);
    expect([miss.status, miss.headers.get('x-ai-cache'), miss.headers.get('x-ai-usage-cost-usd')]).toEqual([200, 'miss', '0.000165']);
    expect([hit.status, hit.headers.get('x-ai-cache'), hit.text]).toEqual([200, 'hit', miss.text]);
    expect(traffic.mocks.claude.requests.map((r) => r.json)).toEqual([{ model: 'claude-3', messages: [{ role: 'system', content: 'SYS' }, { role: 'user', content: 'q' }] }]);
    expect(traffic.mocks.gpt4.requests).toHaveLength(0);
    const [first, second] = await traffic.gateway.accessLog(2);
    expect(first).toMatchObject({ cache: 'miss', endpoint: 'claude', model: 'claude-3', input_tokens: 20, output_tokens: 7, cost_usd: '0.000165' });
    expect(second).toMatchObject({ cache: 'hit', endpoint: 'claude', input_tokens: 0, cost_usd: '0' });
  });

  it('fails with 401 before the cache for a request without a key, even one whose answer is cached', async () => {
    const res = await send(traffic.gateway.url + CHAT, chatBody('claude-3', 'q'));
    expect(res.status).toBe(401);
    expect(res.headers.get('x-ai-cache')).toBeNull();
  });
});
