/**
 * Whose answers the Exact cache shares (cachingStrategy.scope), through the real Envoy: by default
 * an entry belongs to the caller that caused it (the API key it presented, or the verified JWT's
 * issuer and subject, read from jwt_authn's dynamic metadata); scope Gateway shares entries across
 * callers. --concurrency 1 (the harness default) makes "a repeat is a hit" deterministic.
 */
import { generateKeyPairSync, type KeyObject } from 'crypto';
import { signJwt as signWith, startJwks, testCa, type MockUpstream } from '../support/real-envoy';
import type { AIGatewaySpecInput } from '../../src/spec';
import { chatBody, send, startTraffic, type Traffic } from './traffic';

const CHAT = '/v1/chat/completions';
const KEYS = { k: 'key-tenant-a\nkey-tenant-b\n' };
const bearer = (key: string) => ({ authorization: `Bearer ${key}` });
const spec = (extra: Partial<AIGatewaySpecInput>): AIGatewaySpecInput => ({
  gatewayClassName: 'envoy',
  endpoints: [{ name: 'llm', serviceRef: { name: 'llm' } }],
  ...extra,
});
const apiKeyAuth = { type: 'APIKey', apiKeyRef: { name: 'keys', key: 'k' } } as const;

/** The x-ai-cache outcome of each request, sent one after the other with the same body. */
async function outcomes(traffic: Traffic, callers: Record<string, string>[], content: string): Promise<(string | null)[]> {
  const out: (string | null)[] = [];
  for (const headers of callers) {
    const res = await send(traffic.gateway.url + CHAT, chatBody('gpt-4', content), headers);
    expect(res.status).toBe(200);
    out.push(res.headers.get('x-ai-cache'));
  }
  return out;
}

describe('real Envoy: APIKey, default scope Caller', () => {
  let traffic: Traffic;
  beforeAll(async () => {
    traffic = await startTraffic(spec({ authentication: apiKeyAuth, cachingStrategy: { type: 'Exact' } }), {}, { secrets: { keys: KEYS } });
  });
  afterAll(async () => traffic?.stop());

  it('fails to share: tenant B with another key gets a miss for the request tenant A cached; each key then hits its own entry', async () => {
    const a = bearer('key-tenant-a');
    const b = { 'x-api-key': 'key-tenant-b' };
    expect(await outcomes(traffic, [a, b, a, b], 'what is our revenue?')).toEqual(['miss', 'miss', 'hit', 'hit']);
    expect(traffic.mocks.llm.requests).toHaveLength(2);
    // The key used as the cache identity is in memory only: not upstream, not in the access log.
    const seen = JSON.stringify(traffic.mocks.llm.requests.map((r) => r.headers)) + traffic.gateway.stdoutLines().join('\n') + traffic.gateway.stderr();
    expect(seen).not.toContain('key-tenant');
  });
});

describe('real Envoy: APIKey, scope Gateway (opt-in sharing)', () => {
  let traffic: Traffic;
  beforeAll(async () => {
    traffic = await startTraffic(spec({ authentication: apiKeyAuth, cachingStrategy: { type: 'Exact', scope: 'Gateway' } }), {}, { secrets: { keys: KEYS } });
  });
  afterAll(async () => traffic?.stop());

  it('another key gets the answer the first one cached', async () => {
    expect(await outcomes(traffic, [bearer('key-tenant-a'), bearer('key-tenant-b')], 'public fact')).toEqual(['miss', 'hit']);
    expect(traffic.mocks.llm.requests).toHaveLength(1);
  });
});

const ISSUER = 'https://auth.example.com/';
const KID = 'cache-scope-key';
const signJwt = (claims: Record<string, unknown>, key: KeyObject) => signWith(claims, key, KID);

describe('real Envoy: JWT, default scope Caller', () => {
  const signer = generateKeyPairSync('rsa', { modulusLength: 2048 });
  let jwks: MockUpstream;
  let traffic: Traffic;
  const token = (sub: string, iss = ISSUER) => bearer(signJwt({ iss, sub, iat: Math.floor(Date.now() / 1000), exp: Math.floor(Date.now() / 1000) + 600 }, signer.privateKey));
  beforeAll(async () => {
    const ca = testCa();
    jwks = await startJwks(ca, 'auth.example.com', signer.publicKey, KID);
    traffic = await startTraffic(
      spec({ authentication: { type: 'JWT', jwtSpec: { issuer: ISSUER, jwksUri: 'https://auth.example.com/.well-known/jwks.json' } }, cachingStrategy: { type: 'Exact' } }),
      {},
      { upstreams: { 'jwt-jwks': jwks.port }, trustedCa: ca.caFile },
    );
  });
  afterAll(async () => {
    await traffic?.stop();
    await jwks?.close();
  });

  it('fails to share across subjects: two subjects miss, a new token of the same subject hits', async () => {
    expect(await outcomes(traffic, [token('alice'), token('bob'), token('alice'), token('bob')], 'my calendar')).toEqual(['miss', 'miss', 'hit', 'hit']);
    expect(traffic.mocks.llm.requests).toHaveLength(2);
  });
});
