import { gatewayObjects, openAiHandler, startGateway, startMock, type MockUpstream, type RunningGateway } from '../support/real-envoy';

/** What a client behind the Ingress sees of the gateway, and what the access log says about it. */
describe('real Envoy: a gateway behind an Ingress', () => {
  let upstream: MockUpstream;
  let gateway: RunningGateway;
  beforeAll(async () => {
    upstream = await startMock({ handler: openAiHandler({ name: 'llm' }) });
    const objects = gatewayObjects({
      gatewayClassName: 'envoy',
      endpoints: [{ name: 'llm', serviceRef: { name: 'vllm' } }],
      ingress: { host: 'llm.example.com', className: 'nginx' },
    });
    gateway = await startGateway(objects, { upstreams: { 'endpoint-llm': upstream.port } });
  });
  afterAll(async () => {
    await gateway?.stop();
    await upstream?.close();
  });

  const post = (headers: Record<string, string> = {}) =>
    fetch(`${gateway.url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: '{"model":"m"}' });

  it('logs the client address ingress-nginx put last in X-Forwarded-For, not the ingress pod, and ignores what the client claimed before it', async () => {
    expect((await post({ 'x-forwarded-for': '203.0.113.7' })).status).toBe(200);
    // A client-sent X-Forwarded-For reaches Envoy with nginx's entry (the real peer) appended.
    expect((await post({ 'x-forwarded-for': '10.9.9.9, 198.51.100.20' })).status).toBe(200);
    const log = await gateway.accessLog(2);
    expect(log.map((l) => l.client_address)).toEqual(['203.0.113.7', '198.51.100.20']);
  });

  it('tells the client neither that it is Envoy nor how long the upstream took (no server: envoy, no x-envoy-* headers)', async () => {
    const res = await post();
    expect(res.status).toBe(200);
    expect(res.headers.get('server')).not.toBe('envoy');
    expect([...res.headers.keys()].filter((k) => k.startsWith('x-envoy-'))).toEqual([]);
    const notFound = await fetch(`${gateway.url}/nothing`, { method: 'GET' });
    expect(notFound.headers.get('server')).not.toBe('envoy');
  });

  it('still logs how long the upstream took and how many attempts it needed', async () => {
    const log = await gateway.accessLog(3);
    const last = log[log.length - 1];
    expect(typeof last.upstream_service_time_ms).toBe('number');
    expect(typeof last.response_duration_ms).toBe('number');
    expect(last.upstream_attempts).toBe(1);
  });
});
