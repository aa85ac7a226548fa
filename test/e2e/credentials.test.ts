import {
  anthropicHandler,
  gatewayObjects,
  openAiHandler,
  startGateway,
  startMock,
  testCa,
  type MockUpstream,
  type RunningGateway,
  type TestCa,
} from '../support/real-envoy';

/**
 * Upstream credentials (endpoints[].credentialsRef) through real Envoy: the native
 * credential_injector upstream filter reads the provider key from the mounted Secret (file-based
 * SDS) and sends it to an https provider, whose mock is served with a test-CA certificate for the
 * provider's host name.
 */
const CLIENT_KEY = 'client-gateway-key';
const chat = (url: string, headers: Record<string, string> = {}) =>
  fetch(`${url}/v1/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${CLIENT_KEY}`, 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ model: 'gpt-4', messages: [{ role: 'user', content: 'hi' }] }),
  });

let ca: TestCa;
beforeAll(() => {
  ca = testCa();
});

/** A gateway with API-key auth in front of one https provider endpoint that has credentialsRef. */
async function providerGateway(provider: 'OpenAI' | 'Anthropic', host: string, providerKey: string): Promise<{ gateway: RunningGateway; upstream: MockUpstream }> {
  const upstream = await startMock({ tls: ca.issue([host]), handler: provider === 'Anthropic' ? anthropicHandler() : openAiHandler({ name: 'gpt4' }) });
  const objects = gatewayObjects({
    gatewayClassName: 'envoy',
    endpoints: [{ name: 'provider', provider, url: `https://${host}`, credentialsRef: { name: 'provider-key', key: 'api-key' } }],
    authentication: { type: 'APIKey', apiKeyRef: { name: 'client-keys', key: 'keys' } },
  });
  const gateway = await startGateway(objects, {
    secrets: { 'client-keys': { keys: `${CLIENT_KEY}\n` }, 'provider-key': { 'api-key': providerKey } },
    upstreams: { 'endpoint-provider': upstream.port },
    trustedCa: ca.caFile,
  });
  return { gateway, upstream };
}

describe('credentialsRef: OpenAI over https', () => {
  let gateway: RunningGateway;
  let upstream: MockUpstream;
  beforeAll(async () => {
    ({ gateway, upstream } = await providerGateway('OpenAI', 'api.openai.com', 'sk-provider-secret'));
  });
  afterAll(async () => {
    await gateway?.stop();
    await upstream?.close();
  });

  it('sends Authorization: Bearer <secret> and the provider Host, never the client key', async () => {
    const res = await chat(gateway.url, { 'x-api-key': CLIENT_KEY });
    expect(res.status).toBe(200);
    const seen = upstream.requests.at(-1)!;
    expect(seen.headers.authorization).toBe('Bearer sk-provider-secret');
    expect(seen.headers.host).toBe('api.openai.com');
    expect(JSON.stringify(seen.headers)).not.toContain(CLIENT_KEY);
  });
});

describe('credentialsRef: Anthropic over https', () => {
  let gateway: RunningGateway;
  let upstream: MockUpstream;
  beforeAll(async () => {
    ({ gateway, upstream } = await providerGateway('Anthropic', 'api.anthropic.com', 'sk-ant-secret'));
  });
  afterAll(async () => {
    await gateway?.stop();
    await upstream?.close();
  });

  it('sends x-api-key: <secret> and the provider Host, never the client key', async () => {
    const res = await chat(gateway.url);
    expect(res.status).toBe(200);
    const seen = upstream.requests.at(-1)!;
    expect(seen.headers['x-api-key']).toBe('sk-ant-secret');
    expect(seen.headers.host).toBe('api.anthropic.com');
    expect(JSON.stringify(seen.headers)).not.toContain(CLIENT_KEY);
  });
});

describe('credentialsRef: a Secret value with a trailing newline (kubectl create secret --from-file)', () => {
  let gateway: RunningGateway;
  let upstream: MockUpstream;
  beforeAll(async () => {
    ({ gateway, upstream } = await providerGateway('OpenAI', 'api.openai.com', 'sk-from-file\n'));
  });
  afterAll(async () => {
    await gateway?.stop();
    await upstream?.close();
  });

  it('sends the key without the newline', async () => {
    const res = await chat(gateway.url);
    expect(res.status).toBe(200);
    expect(upstream.requests.at(-1)?.headers.authorization).toBe('Bearer sk-from-file');
  });

  it('a rotated Secret (CRLF-terminated) reaches Envoy without a restart, CR/LF stripped', async () => {
    gateway.files.rotateSecret('provider-key', { 'api-key': 'sk-rotated\r\n' });
    // Envoy watches the Secret directory for the ..data swap; bounded wait for the new value.
    const deadline = Date.now() + 5000;
    let seen: string | undefined;
    while (Date.now() < deadline) {
      expect((await chat(gateway.url)).status).toBe(200);
      seen = upstream.requests.at(-1)?.headers.authorization;
      if (seen !== 'Bearer sk-from-file') break;
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(seen).toBe('Bearer sk-rotated');
  });
});
