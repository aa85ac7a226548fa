/**
 * A throw-away certificate authority for TLS upstreams and JWKS in the e2e tests, made with the
 * openssl command (Debian's, present on every machine of this project's kind).
 */
import { execFileSync } from 'child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';

export interface TestCa {
  /** PEM file of the CA certificate (what Envoy is told to trust). */
  readonly caFile: string;
  readonly caPem: string;
  /** A server certificate for these DNS names (and 127.0.0.1), signed by the CA. */
  issue(names: readonly string[]): { cert: string; key: string };
}

const openssl = (args: string[], cwd: string) => execFileSync('openssl', args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });

export function testCa(): TestCa {
  const dir = mkdtempSync(join(tmpdir(), 'aigate-ca-'));
  openssl(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '2', '-subj', '/CN=aigate test CA', '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign'], dir);
  let serial = 0;
  return {
    caFile: join(dir, 'ca.pem'),
    caPem: readFileSync(join(dir, 'ca.pem'), 'utf8'),
    issue(names) {
      const n = serial++;
      const ext = join(dir, `leaf${n}.ext`);
      writeFileSync(ext, `subjectAltName=${[...names.map((d) => `DNS:${d}`), 'IP:127.0.0.1'].join(',')}\nextendedKeyUsage=serverAuth\n`);
      openssl(['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', `leaf${n}.key`, '-out', `leaf${n}.csr`, '-subj', `/CN=${names[0] ?? 'localhost'}`], dir);
      openssl(['x509', '-req', '-in', `leaf${n}.csr`, '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', `leaf${n}.pem`, '-days', '2', '-extfile', ext], dir);
      return { cert: readFileSync(join(dir, `leaf${n}.pem`), 'utf8'), key: readFileSync(join(dir, `leaf${n}.key`), 'utf8') };
    },
  };
}
