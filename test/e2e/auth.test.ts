import { gatewayObjects, openAiHandler, startGateway, startMock, type MockUpstream, type RunningGateway, type SecretValues } from '../support/real-envoy';
import { API_KEY_RELOAD_SECONDS } from '../../src/envoy/lua/api-key-auth';

/**
 * authentication.type APIKey through real Envoy: the Lua filter api-key-auth.lua checks the key
 * against the mounted Secret (one key per line), re-reads the file every API_KEY_RELOAD_SECONDS,
 * and fails closed when the file is gone.
 */
const SECRET = 'client-keys';
const objects = gatewayObjects({
  gatewayClassName: 'envoy',
  endpoints: [{ name: 'llm', serviceRef: { name: 'llm' } }],
  authentication: { type: 'APIKey', apiKeyRef: { name: SECRET, key: 'keys' } },
});
const chat = (url: string, headers: Record<string, string> = {}) =>
  fetch(`${url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ model: 'gpt-4', messages: [{ role: 'user', content: 'hi' }] }),
  });
const bearer = (key: string) => ({ authorization: `Bearer ${key}` });

async function gatewayWith(secrets: SecretValues): Promise<{ gateway: RunningGateway; upstream: MockUpstream }> {
  const upstream = await startMock({ handler: openAiHandler() });
  const gateway = await startGateway(objects, { secrets, upstreams: { 'endpoint-llm': upstream.port } });
  return { gateway, upstream };
}

/** Sends requests until `done(status)` or the key file must have been re-read (bounded), returning the last status. */
async function statusAfterReload(send: () => Promise<Response>, done: (status: number) => boolean): Promise<number> {
  const deadline = Date.now() + (API_KEY_RELOAD_SECONDS + 2) * 1000;
  let status = 0;
  while (Date.now() < deadline) {
    status = (await send()).status;
    if (done(status)) break;
    await new Promise((r) => setTimeout(r, 200));
  }
  return status;
}

async function expectUnauthorized(res: Response): Promise<void> {
  expect(res.status).toBe(401);
  expect(res.headers.get('content-type')).toBe('application/json');
  expect(res.headers.get('www-authenticate')).toBe('Bearer realm="gw"');
  expect(await res.json()).toEqual({
    error: { type: 'unauthorized', message: 'a valid API key is required: send "Authorization: Bearer <key>" or "x-api-key: <key>"' },
  });
}

describe('APIKey: checking the key', () => {
  let gateway: RunningGateway;
  let upstream: MockUpstream;
  beforeAll(async () => {
    ({ gateway, upstream } = await gatewayWith({ [SECRET]: { keys: '# team a\nkey-one\n\n  key-two  \n' } }));
  });
  afterAll(async () => {
    await gateway?.stop();
    await upstream?.close();
  });

  it('fails without a key: 401 with the JSON error body and www-authenticate', async () => {
    await expectUnauthorized(await chat(gateway.url));
  });

  it('fails with a wrong key (a prefix of a valid one, a comment line, another key)', async () => {
    for (const key of ['key-on', 'key-one2', '# team a', 'nope']) await expectUnauthorized(await chat(gateway.url, bearer(key)));
    await expectUnauthorized(await chat(gateway.url, { 'x-api-key': 'nope' }));
    expect(upstream.requests).toHaveLength(0);
  });

  it.each([
    ['Authorization: Bearer', bearer('key-one')],
    ['Authorization: bearer (any case), key trimmed', { authorization: 'bearer   key-two ' }],
    ['x-api-key', { 'x-api-key': 'key-two' }],
  ])('a valid key as %s reaches the upstream, which never sees it', async (_how, headers) => {
    const before = upstream.requests.length;
    const res = await chat(gateway.url, headers);
    expect(res.status).toBe(200);
    expect(upstream.requests).toHaveLength(before + 1);
    const seen = upstream.requests.at(-1)!.headers;
    expect(seen.authorization).toBeUndefined();
    expect(seen['x-api-key']).toBeUndefined();
    expect(JSON.stringify(seen)).not.toMatch(/key-(one|two)/);
  });
});

describe('APIKey: the key file changes while the gateway runs', () => {
  let gateway: RunningGateway;
  let upstream: MockUpstream;
  beforeEach(async () => {
    ({ gateway, upstream } = await gatewayWith({ [SECRET]: { keys: 'old-key\n' } }));
    expect((await chat(gateway.url, bearer('old-key'))).status).toBe(200);
  });
  afterEach(async () => {
    await gateway?.stop();
    await upstream?.close();
  });

  it(`a rotated Secret takes effect at the next re-read (every ${API_KEY_RELOAD_SECONDS} s), without a restart`, async () => {
    gateway.files.rotateSecret(SECRET, { keys: 'new-key\n' });
    const status = await statusAfterReload(() => chat(gateway.url, bearer('new-key')), (s) => s === 200);
    expect(status).toBe(200);
    await expectUnauthorized(await chat(gateway.url, bearer('old-key')));
  });

  it('reads a rotated file with a UTF-8 byte order mark and CR-only line ends (every key), and warns without the keys', async () => {
    gateway.files.rotateSecret(SECRET, { keys: '\ufeffbom-key\rsecond-key\r' });
    expect(await statusAfterReload(() => chat(gateway.url, bearer('bom-key')), (s) => s === 200)).toBe(200);
    expect((await chat(gateway.url, bearer('second-key'))).status).toBe(200);
    await expectUnauthorized(await chat(gateway.url, bearer('old-key')));
    expect(gateway.stderr()).toContain('starts with a UTF-8 byte order mark (ignored) and has CR-only line ends (read as line breaks)');
    for (const key of ['bom-key', 'second-key', 'old-key']) expect(gateway.stderr()).not.toContain(key);
  });

  it('fails closed when the key file disappears: 503, never passed upstream', async () => {
    gateway.files.removeSecretKeys(SECRET);
    const status = await statusAfterReload(() => chat(gateway.url, bearer('old-key')), (s) => s !== 200);
    expect(status).toBe(503);
    const reached = upstream.requests.length;
    for (const headers of [bearer('old-key'), {}]) {
      const res = await chat(gateway.url, headers);
      expect(res.status).toBe(503);
      expect(res.headers.get('content-type')).toBe('application/json');
      expect(await res.json()).toEqual({ error: { type: 'auth_unavailable', message: 'the gateway cannot check API keys right now' } });
    }
    expect(upstream.requests).toHaveLength(reached);
    expect(gateway.stderr()).toContain('cannot read the API key file');
    expect(gateway.stderr()).not.toContain('old-key');
  });
});

describe('APIKey: a gateway started without the Secret\'s values', () => {
  let gateway: RunningGateway;
  let upstream: MockUpstream;
  beforeAll(async () => {
    ({ gateway, upstream } = await gatewayWith({}));
  });
  afterAll(async () => {
    await gateway?.stop();
    await upstream?.close();
  });

  it('fails closed: every request gets 503 auth_unavailable, nothing reaches the upstream', async () => {
    for (const headers of [{}, bearer('anything')]) {
      const res = await chat(gateway.url, headers);
      expect(res.status).toBe(503);
      expect(((await res.json()) as any).error.type).toBe('auth_unavailable');
    }
    expect(upstream.requests).toHaveLength(0);
  });
});
