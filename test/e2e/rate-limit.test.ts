import { failingHandler, gatewayObjects, openAiHandler, startGateway, startMock, type MockUpstream, type RunningGateway } from '../support/real-envoy';
import { tokenBucket } from '../../src/envoy/rate-limit';

/**
 * rateLimiting through real Envoy (local_ratelimit, one token bucket per replica): the gateway's
 * own 429 carries the JSON error body and retry-after; a provider's 429 passes through untouched.
 */
const REPLICAS = 2;
const chat = (url: string) =>
  fetch(`${url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'gpt-4', messages: [{ role: 'user', content: 'hi' }] }),
  });

async function limitedGateway(requestsPerMinute: number, burst: number, upstream: MockUpstream): Promise<RunningGateway> {
  const objects = gatewayObjects(
    { gatewayClassName: 'envoy', endpoints: [{ name: 'llm', serviceRef: { name: 'llm' } }], rateLimiting: { requestsPerMinute, burst } },
    { replicas: REPLICAS },
  );
  return startGateway(objects, { upstreams: { 'endpoint-llm': upstream.port } });
}

describe('rateLimiting: over the limit', () => {
  // 6 rpm over 2 replicas: one token per 20 s per replica, so no refill during the test.
  const RPM = 6;
  const BURST = 4;
  let upstream: MockUpstream;
  let gateway: RunningGateway;
  beforeAll(async () => {
    upstream = await startMock({ handler: openAiHandler() });
    gateway = await limitedGateway(RPM, BURST, upstream);
  });
  afterAll(async () => {
    await gateway?.stop();
    await upstream?.close();
  });

  it('admits exactly burst/replicas requests at once, then answers 429 with the JSON error body and retry-after', async () => {
    const perReplica = BURST / REPLICAS;
    for (let i = 0; i < perReplica; i++) {
      const admitted = await chat(gateway.url);
      expect(admitted.status).toBe(200);
      expect(admitted.headers.get('retry-after')).toBeNull();
    }
    const limited = await chat(gateway.url);
    expect(limited.status).toBe(429);
    expect(limited.headers.get('content-type')).toBe('application/json');
    const body = await limited.json();
    expect(body).toEqual({
      error: {
        type: 'rate_limit_exceeded',
        message: `the gateway admits ${RPM} requests per minute; retry after the number of seconds in the retry-after header`,
      },
    });
    // retry-after: whole seconds until the next token (the fill interval), never 0.
    const { fillIntervalSeconds } = tokenBucket(RPM, BURST, REPLICAS);
    expect(limited.headers.get('retry-after')).toBe(String(Math.ceil(fillIntervalSeconds)));
    expect(limited.headers.get('x-ratelimit-limit')).toBe(String(perReplica));
    expect(limited.headers.get('x-ratelimit-remaining')).toBe('0');
    expect(Number(limited.headers.get('x-ratelimit-reset'))).toBeGreaterThan(0);
    expect(upstream.requests).toHaveLength(perReplica);
  });
});

describe('rateLimiting: a provider 429 under the limit', () => {
  let upstream: MockUpstream;
  let gateway: RunningGateway;
  beforeAll(async () => {
    upstream = await startMock({ handler: failingHandler(429, { 'retry-after': '7' }) });
    gateway = await limitedGateway(6000, 100, upstream);
  });
  afterAll(async () => {
    await gateway?.stop();
    await upstream?.close();
  });

  it('passes through as the provider sent it (body and retry-after), not rewritten as the gateway limit', async () => {
    const res = await chat(gateway.url);
    expect(res.status).toBe(429);
    expect(res.headers.get('retry-after')).toBe('7');
    expect(await res.json()).toEqual({ error: { message: 'mock failure 429', type: 'server_error' } });
    expect(upstream.requests).toHaveLength(1);
  });
});
