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

const MISSING_CREDENTIAL = {
  error: { type: 'upstream_credentials_unavailable', message: 'the gateway has no credential for the endpoint that serves this request (its Secret key is missing or empty)' },
};

/** A gateway with API-key auth in front of one https provider endpoint that has credentialsRef. */
async function providerGateway(provider: 'OpenAI' | 'Anthropic', host: string, providerKey: string | undefined): Promise<{ gateway: RunningGateway; upstream: MockUpstream }> {
  const upstream = await startMock({ tls: ca.issue([host]), handler: provider === 'Anthropic' ? anthropicHandler() : openAiHandler({ name: 'gpt4' }) });
  const objects = gatewayObjects({
    gatewayClassName: 'envoy',
    endpoints: [{ name: 'provider', provider, url: `https://${host}`, credentialsRef: { name: 'provider-key', key: 'api-key' } }],
    authentication: { type: 'APIKey', apiKeyRef: { name: 'client-keys', key: 'keys' } },
  });
  const gateway = await startGateway(objects, {
    secrets: { 'client-keys': { keys: `${CLIENT_KEY}\n` }, ...(providerKey !== undefined && { 'provider-key': { 'api-key': providerKey } }) },
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

  it('fails closed when the rotated value is only a newline: 503, the provider is not called', async () => {
    gateway.files.rotateSecret('provider-key', { 'api-key': '\n' });
    const deadline = Date.now() + 5000;
    let res = await chat(gateway.url);
    while (res.status === 200 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 50));
      res = await chat(gateway.url);
    }
    expect(res.status).toBe(503);
    expect(((await res.json()) as any).error.type).toBe('upstream_credentials_unavailable');
    const reached = upstream.requests.length;
    expect((await chat(gateway.url)).status).toBe(503);
    expect(upstream.requests).toHaveLength(reached);
  });
});

describe('credentialsRef: the provider key Secret is missing', () => {
  let gateway: RunningGateway;
  let upstream: MockUpstream;
  beforeAll(async () => {
    ({ gateway, upstream } = await providerGateway('OpenAI', 'api.openai.com', undefined));
  });
  afterAll(async () => {
    await gateway?.stop();
    await upstream?.close();
  });

  it('fails closed with 503 and the JSON error body: the provider is never called without its key', async () => {
    const res = await chat(gateway.url);
    // Not 401: the client's own key was fine; the gateway lacks the provider's.
    expect(res.status).toBe(503);
    expect(res.headers.get('content-type')).toBe('application/json');
    expect(await res.json()).toEqual(MISSING_CREDENTIAL);
    expect(upstream.requests).toHaveLength(0);
  });
});

describe('credentialsRef: a missing provider key in a fallback group (internal listeners)', () => {
  let upstream: MockUpstream;
  let backup: MockUpstream;
  const gateways: RunningGateway[] = [];
  beforeAll(async () => {
    upstream = await startMock({ tls: ca.issue(['api.openai.com']), handler: openAiHandler() });
    backup = await startMock({ tls: ca.issue(['backup.example.com']), handler: openAiHandler({ name: 'backup' }) });
  });
  afterAll(async () => {
    for (const g of gateways) await g.stop();
    await upstream?.close();
    await backup?.close();
  });

  /** provider (key missing) falls back to backup, whose key is given or not. */
  async function fallbackGateway(backupKey: string | undefined): Promise<RunningGateway> {
    const objects = gatewayObjects({
      gatewayClassName: 'envoy',
      endpoints: [
        { name: 'provider', provider: 'OpenAI', url: 'https://api.openai.com', models: ['gpt-4o'], credentialsRef: { name: 'provider-key', key: 'api-key' }, fallbackEndpoints: ['backup'] },
        { name: 'backup', provider: 'OpenAI', url: 'https://backup.example.com', models: ['gpt-4o'], credentialsRef: { name: 'backup-key', key: 'api-key' } },
      ],
      modelRouting: { strategy: 'Header', rules: [{ match: 'X-AI-Model: backup', targetEndpoint: 'backup' }], defaultTargetEndpoint: 'provider' },
    });
    const gateway = await startGateway(objects, {
      secrets: backupKey === undefined ? {} : { 'backup-key': { 'api-key': backupKey } },
      upstreams: { 'endpoint-provider': upstream.port, 'endpoint-backup': backup.port },
      trustedCa: ca.caFile,
    });
    gateways.push(gateway);
    return gateway;
  }

  it('fails over: the member without its key answers 503, the route retries on the next one', async () => {
    const gateway = await fallbackGateway('sk-backup');
    const res = await chat(gateway.url);
    expect(res.status).toBe(200);
    expect(((await res.json()) as any).choices[0].message.content).toBe('hello from backup');
    expect(backup.requests.at(-1)?.headers.authorization).toBe('Bearer sk-backup');
    expect(upstream.requests).toHaveLength(0);
  });

  it('fails closed with the 503 JSON body when no member has its key', async () => {
    const gateway = await fallbackGateway(undefined);
    const before = backup.requests.length;
    const res = await chat(gateway.url);
    expect(res.status).toBe(503);
    expect(res.headers.get('content-type')).toBe('application/json');
    expect(await res.json()).toEqual(MISSING_CREDENTIAL);
    expect(upstream.requests).toHaveLength(0);
    expect(backup.requests).toHaveLength(before);
  });
});
