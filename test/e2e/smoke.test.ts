import { gatewayObjects, openAiHandler, startGateway, startMock, type MockUpstream, type RunningGateway } from '../support/real-envoy';

describe('real Envoy: the seed-style gateway answers through a mock upstream', () => {
  let upstream: MockUpstream;
  let gateway: RunningGateway;
  beforeAll(async () => {
    upstream = await startMock({ handler: openAiHandler({ name: 'gpt4' }) });
    const objects = gatewayObjects({
      gatewayClassName: 'envoy',
      endpoints: [{ name: 'openai-gpt4', serviceRef: { name: 'openai-proxy-service' } }],
      authentication: { type: 'APIKey', apiKeyRef: { name: 'my-api-keys', key: 'openai-key' } },
    });
    gateway = await startGateway(objects, { secrets: { 'my-api-keys': { 'openai-key': 'k-one\nk-two\n' } }, upstreams: { 'endpoint-openai-gpt4': upstream.port } });
  });
  afterAll(async () => {
    await gateway?.stop();
    await upstream?.close();
  });

  it('a valid key reaches the upstream; a missing key gets 401', async () => {
    const ok = await fetch(`${gateway.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: 'Bearer k-two', 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'gpt-4', messages: [{ role: 'user', content: 'hi' }] }),
    });
    expect(ok.status).toBe(200);
    expect(((await ok.json()) as any).choices[0].message.content).toBe('hello from gpt4');
    const denied = await fetch(`${gateway.url}/v1/chat/completions`, { method: 'POST', body: '{}' });
    expect(denied.status).toBe(401);
    const log = await gateway.accessLog(2);
    expect(log.map((l) => l.status)).toEqual([200, 401]);
  });
});
