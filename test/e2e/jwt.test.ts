import { generateKeyPairSync, type KeyObject } from 'crypto';
import { gatewayObjects, openAiHandler, signJwt as signWith, startGateway, startJwks, startMock, testCa, type MockUpstream, type RunningGateway } from '../support/real-envoy';

/**
 * authentication.type JWT through real Envoy (jwt_authn): the JWKS is served over TLS by a mock
 * holding a test-CA certificate for the jwksUri host; tokens are RS256, signed here by hand.
 */
const ISSUER = 'https://auth.example.com/';
const AUDIENCE = 'ai-gateway';
const KID = 'test-key-1';

const signJwt = (claims: Record<string, unknown>, key: KeyObject, kid = KID) => signWith(claims, key, kid);

const now = () => Math.floor(Date.now() / 1000);
const validClaims = () => ({ iss: ISSUER, aud: AUDIENCE, sub: 'user-1', iat: now(), exp: now() + 600 });

const chat = (url: string, token?: string) =>
  fetch(`${url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token !== undefined && { authorization: `Bearer ${token}` }) },
    body: JSON.stringify({ model: 'gpt-4', messages: [{ role: 'user', content: 'hi' }] }),
  });

describe('JWT authentication', () => {
  const signer = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const stranger = generateKeyPairSync('rsa', { modulusLength: 2048 });
  let jwks: MockUpstream;
  let upstream: MockUpstream;
  let gateway: RunningGateway;

  beforeAll(async () => {
    const ca = testCa();
    jwks = await startJwks(ca, 'auth.example.com', signer.publicKey, KID);
    upstream = await startMock({ handler: openAiHandler() });
    const objects = gatewayObjects({
      gatewayClassName: 'envoy',
      endpoints: [{ name: 'llm', serviceRef: { name: 'llm' } }],
      authentication: { type: 'JWT', jwtSpec: { issuer: ISSUER, jwksUri: 'https://auth.example.com/.well-known/jwks.json', audiences: [AUDIENCE] } },
    });
    gateway = await startGateway(objects, { upstreams: { 'endpoint-llm': upstream.port, 'jwt-jwks': jwks.port }, trustedCa: ca.caFile });
  });
  afterAll(async () => {
    await gateway?.stop();
    await upstream?.close();
    await jwks?.close();
  });

  it('fetches the JWKS from the jwksUri host over TLS', () => {
    expect(jwks.requests.map((r) => [r.path, r.headers.host])).toContainEqual(['/.well-known/jwks.json', 'auth.example.com']);
  });

  it('a token signed by a JWKS key, with the issuer, audience and a future exp, reaches the upstream without the token', async () => {
    const token = signJwt(validClaims(), signer.privateKey);
    const res = await chat(gateway.url, token);
    expect(res.status).toBe(200);
    const seen = upstream.requests.at(-1)!;
    expect(seen.headers.authorization).toBeUndefined();
    expect(JSON.stringify(seen.headers)).not.toContain(token.split('.')[2]);
  });

  it.each([
    ['no token', () => undefined, 401, 'Jwt is missing'],
    ['a token signed by another key', () => signJwt(validClaims(), stranger.privateKey), 401, 'Jwt verification fails'],
    ['a tampered token (claims changed after signing)', () => tamper(signJwt(validClaims(), signer.privateKey)), 401, 'Jwt verification fails'],
    ['an expired token', () => signJwt({ ...validClaims(), iat: now() - 1200, exp: now() - 600 }, signer.privateKey), 401, 'Jwt is expired'],
    ['a token of another issuer', () => signJwt({ ...validClaims(), iss: 'https://evil.example.com/' }, signer.privateKey), 401, 'Jwt issuer is not configured'],
    ['a token for another audience', () => signJwt({ ...validClaims(), aud: 'someone-else' }, signer.privateKey), 403, 'Audiences in Jwt are not allowed'],
    ['a token that is not a JWT', () => 'not-a-jwt', 401, 'Jwt is not in the form of Header.Payload.Signature with two dots and 3 sections'],
  ])('fails for %s: the status, the JSON error body, nothing upstream', async (_what, token, status, message) => {
    const before = upstream.requests.length;
    const res = await chat(gateway.url, token());
    expect(res.status).toBe(status);
    expect(res.headers.get('content-type')).toBe('application/json');
    // jwt_authn's own challenge (RFC 6750) on 401s.
    if (status === 401) expect(res.headers.get('www-authenticate')).toMatch(token() === undefined ? /^Bearer realm="[^"]+"$/ : /^Bearer realm="[^"]+", error="invalid_token"$/);
    expect(await res.json()).toEqual({ error: { type: 'authentication_error', message } });
    expect(upstream.requests).toHaveLength(before);
  });
});

/** The token with its payload replaced (sub changed), signature kept. */
function tamper(token: string): string {
  const [header, payload, signature] = token.split('.');
  const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
  return [header, Buffer.from(JSON.stringify({ ...claims, sub: 'admin' })).toString('base64url'), signature].join('.');
}
