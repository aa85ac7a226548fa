import { failingHandler, freePort, gatewayObjects, openAiHandler, startGateway, startMock, type MockUpstream, type RunningGateway } from '../support/real-envoy';
import type { AIGatewaySpecInput } from '../../src/spec';

/** A primary with one fallback; `primary` overrides the primary's fields. */
function fallbackSpec(primary: Record<string, unknown> = {}): AIGatewaySpecInput {
  return {
    gatewayClassName: 'envoy',
    endpoints: [
      { name: 'primary', serviceRef: { name: 'primary' }, fallbackEndpoints: ['backup'], ...primary },
      { name: 'backup', serviceRef: { name: 'backup' } },
    ],
    modelRouting: { strategy: 'Path', defaultTargetEndpoint: 'primary' },
  } as AIGatewaySpecInput;
}

const chat = (url: string) =>
  fetch(`${url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'gpt-4', messages: [{ role: 'user', content: 'hi' }] }),
  });

async function answeredBy(url: string): Promise<{ status: number; text: string }> {
  const res = await chat(url);
  const text = await res.text();
  return { status: res.status, text };
}

describe('real Envoy: fallback endpoints', () => {
  let primary: MockUpstream;
  let backup: MockUpstream;
  const gateways: RunningGateway[] = [];
  const start = async (spec: AIGatewaySpecInput, primaryPort: number) => {
    const gateway = await startGateway(gatewayObjects(spec), { upstreams: { 'endpoint-primary': primaryPort, 'endpoint-backup': backup.port } });
    gateways.push(gateway);
    return gateway;
  };
  beforeAll(async () => {
    primary = await startMock({ handler: failingHandler(503) });
    backup = await startMock({ handler: openAiHandler({ name: 'backup' }) });
  });
  afterEach(() => {
    primary.setHandler(failingHandler(503));
    primary.requests.length = 0;
    backup.requests.length = 0;
  });
  afterAll(async () => {
    for (const g of gateways) await g.stop();
    await primary?.close();
    await backup?.close();
  });

  it('fails over to the fallback when the primary answers 503', async () => {
    const gateway = await start(fallbackSpec(), primary.port);
    for (let i = 0; i < 5; i++) {
      const { status, text } = await answeredBy(gateway.url);
      expect({ status, text: JSON.parse(text).choices?.[0]?.message?.content }).toEqual({ status: 200, text: 'hello from backup' });
    }
  });

  it('fails over to the fallback when the primary refuses connections', async () => {
    const gateway = await start(fallbackSpec(), await freePort());
    for (let i = 0; i < 5; i++) expect((await answeredBy(gateway.url)).status).toBe(200);
  });

  it('fails over 30 concurrent requests without circuit-breaker overflow', async () => {
    const gateway = await start(fallbackSpec(), primary.port);
    const results = await Promise.all(Array.from({ length: 30 }, () => answeredBy(gateway.url)));
    const failed = results.filter((r) => r.status !== 200);
    expect(failed).toEqual([]);
    // Overflow is timing-dependent: the counter shows it even when no request happened to fail.
    const stats = await (await fetch(`${gateway.adminUrl}/stats?filter=^cluster\\.fallback-primary\\.upstream_rq_retry_overflow$`)).text();
    expect(stats.trim()).toBe('cluster.fallback-primary.upstream_rq_retry_overflow: 0');
  });

  it('fails over with retries.attempts 0 once outlier detection ejects the primary', async () => {
    const gateway = await start(fallbackSpec({ retries: { attempts: 0 } }), primary.port);
    // No retry: the first consecutive failures reach the client; then the primary is ejected.
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) statuses.push((await answeredBy(gateway.url)).status);
    expect(statuses).toEqual([503, 503, 503, 200, 200, 200]);
    expect(primary.requests.length).toBe(3);
  });

  it('fails over on an upstream 429 to the next priority, without retrying the primary', async () => {
    const gateway = await start(fallbackSpec(), primary.port);
    primary.setHandler(failingHandler(429, { 'retry-after': '30' }));
    const { status, text } = await answeredBy(gateway.url);
    expect(status).toBe(200);
    expect(JSON.parse(text).choices[0].message.content).toBe('hello from backup');
    expect(primary.requests.length).toBe(1);
  });

  it('fails an endpoint without fallbacks on a 429 at once: no retry on the same host', async () => {
    const spec: AIGatewaySpecInput = { gatewayClassName: 'envoy', endpoints: [{ name: 'primary', serviceRef: { name: 'primary' } }] };
    const gateway = await startGateway(gatewayObjects(spec), { upstreams: { 'endpoint-primary': primary.port } });
    gateways.push(gateway);
    primary.setHandler(failingHandler(429, { 'retry-after': '30' }));
    const res = await chat(gateway.url);
    expect(res.status).toBe(429);
    expect(res.headers.get('retry-after')).toBe('30');
    expect(primary.requests.length).toBe(1);
  });
});
