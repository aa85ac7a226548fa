/** Signed tokens and a JWKS server for the JWT e2e tests (node crypto only, RS256). */
import { sign, type KeyObject } from 'crypto';
import { startMock, type MockUpstream } from './mocks';
import type { TestCa } from './test-ca';

const b64url = (data: Buffer | string) => Buffer.from(data).toString('base64url');

/** A compact JWS (RS256) of these claims, with `kid` in its header. */
export function signJwt(claims: Record<string, unknown>, key: KeyObject, kid: string): string {
  const signingInput = `${b64url(JSON.stringify({ alg: 'RS256', typ: 'JWT', kid }))}.${b64url(JSON.stringify(claims))}`;
  return `${signingInput}.${b64url(sign('sha256', Buffer.from(signingInput), key))}`;
}

/** A JWKS document with this one public key, served over TLS for `host` (a cert of the test CA). */
export function startJwks(ca: TestCa, host: string, publicKey: KeyObject, kid: string): Promise<MockUpstream> {
  const jwk = { ...publicKey.export({ format: 'jwk' }), kid, alg: 'RS256', use: 'sig' };
  return startMock({
    tls: ca.issue([host]),
    handler: (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ keys: [jwk] }));
    },
  });
}
