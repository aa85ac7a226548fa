import { randomBytes } from 'crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { App, Chart } from 'cdk8s';
import { k8s } from 'cdk8s-plus-28';
import { stringify } from 'yaml';
import { AIGateway } from '../src';
import { aigate } from './support/cli';
import { objectsOf } from './support/synth';

/**
 * Secret values exist only in the cluster. The fixture values below are made fresh for each run,
 * stored in Secret objects of the same cdk8s app and in the environment, and referenced by the
 * gateway by name; no byte of any of them may appear in what the gateway synthesizes.
 */
const random = () => randomBytes(16).toString('hex');
const VALUES = {
  clientKeys: `client-key-one-${random()}\nclient-key-two-${random()}`,
  openai: `fixture-openai-${random()}`,
  anthropic: `fixture-anthropic-${random()}`,
  tlsKey: `-----BEGIN PRIVATE KEY-----\n${random()}${random()}\n-----END PRIVATE KEY-----\n`,
};

/** Every form a value could take in a manifest: as is, each line, base64 (Secret data), hex, JSON-escaped. */
function encodings(value: string): string[] {
  const lines = value.split('\n').filter((l) => l.length >= 16);
  return [value, ...lines, Buffer.from(value).toString('base64'), ...lines.map((l) => Buffer.from(l).toString('base64')), Buffer.from(value).toString('hex'), JSON.stringify(value).slice(1, -1)];
}

/** Which fixture values (by name) occur, in any encoding, anywhere in these bytes. */
function leakedIn(bytes: Buffer): string[] {
  return Object.entries(VALUES)
    .filter(([, value]) => encodings(value).some((form) => bytes.includes(Buffer.from(form))))
    .map(([name]) => name);
}

const SPEC = {
  gatewayClassName: 'envoy',
  endpoints: [
    { name: 'openai', url: 'https://api.openai.com', provider: 'OpenAI', credentialsRef: { name: 'provider-keys', key: 'openai' } },
    { name: 'anthropic', url: 'https://api.anthropic.com', provider: 'Anthropic', credentialsRef: { name: 'provider-keys', key: 'anthropic' } },
  ],
  modelRouting: { strategy: 'Path' as const, rules: [{ match: '/anthropic/', targetEndpoint: 'anthropic' }], defaultTargetEndpoint: 'openai' },
  authentication: { type: 'APIKey' as const, apiKeyRef: { name: 'client-keys', key: 'keys' } },
  ingress: { host: 'llm.example.com', tlsSecretName: 'gw-tls' },
};

function readAll(dir: string): Map<string, Buffer> {
  return new Map(readdirSync(dir).map((f) => [f, readFileSync(join(dir, f))]));
}

describe('no Secret value reaches the synthesized output', () => {
  let dir: string;
  const env = { OPENAI_API_KEY: VALUES.openai, ANTHROPIC_API_KEY: VALUES.anthropic, GATEWAY_CLIENT_KEYS: VALUES.clientKeys };
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'aigate-secrets-'));
    Object.assign(process.env, env);
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
    for (const key of Object.keys(env)) delete process.env[key];
  });

  test('the checker finds a value in every encoding it looks for', () => {
    for (const value of Object.values(VALUES)) {
      for (const form of encodings(value)) expect(leakedIn(Buffer.from(`prefix ${form} suffix`)).length).toBeGreaterThan(0);
    }
    expect(leakedIn(Buffer.from('nothing secret here'))).toEqual([]);
  });

  test('construct: the gateway chart holds references only, while the Secrets chart beside it holds the values', () => {
    const app = new App({ outdir: dir });
    const secrets = new Chart(app, 'cluster-secrets', { namespace: 'ai-apps' });
    const secret = (name: string, stringData: Record<string, string>) => new k8s.KubeSecret(secrets, name, { metadata: { name }, stringData });
    secret('provider-keys', { openai: VALUES.openai, anthropic: VALUES.anthropic });
    secret('client-keys', { keys: VALUES.clientKeys });
    secret('gw-tls', { 'tls.key': VALUES.tlsKey, 'tls.crt': 'certificate' });
    const chart = new Chart(app, 'gateway', { namespace: 'ai-apps' });
    const gateway = new AIGateway(chart, 'gw', { metadata: { name: 'gw' }, spec: SPEC });
    app.synth();

    const files = readAll(dir);
    const secretsFile = [...files.keys()].find((f) => f.includes('cluster-secrets'))!;
    const gatewayFile = [...files.keys()].find((f) => f.includes('gateway'))!;
    // Positive control: the values really were in the app.
    expect(leakedIn(files.get(secretsFile)!).sort()).toEqual(Object.keys(VALUES).sort());
    expect(leakedIn(files.get(gatewayFile)!)).toEqual([]);

    const objects = objectsOf(files.get(gatewayFile)!.toString('utf8'));
    expect(objects.filter((o) => o.kind === 'Secret')).toEqual([]);
    // References by name survive where they belong: the custom resource and the Ingress.
    const [cr] = objects.filter((o) => o.kind === 'AIGatewayResource');
    expect(cr.spec.endpoints.map((e: any) => e.credentialsRef.name)).toEqual(['provider-keys', 'provider-keys']);
    expect(cr.spec.authentication.apiKeyRef).toEqual({ name: 'client-keys', key: 'keys' });
    expect(objects.find((o) => o.kind === 'Ingress').spec.tls[0].secretName).toBe('gw-tls');
    // Whatever Secret keys the Envoy layer asks for are mounted by reference.
    const volumes = objects.find((o) => o.kind === 'Deployment').spec.template.spec.volumes;
    for (const file of gateway.envoy.secretFiles) {
      expect(volumes.some((v: any) => v.secret?.secretName === file.secretName && v.secret.items.some((i: any) => i.key === file.key))).toBe(true);
    }
  });

  test('CLI: stdout, stderr and the written files hold no value', async () => {
    const input = join(dir, 'gateway.yaml');
    writeFileSync(input, stringify({ apiVersion: 'gateway.example.com/v1', kind: 'AIGatewayResource', metadata: { name: 'gw', namespace: 'ai-apps' }, spec: SPEC }));
    const out = join(dir, 'out');
    const written = await aigate(['synth', input, '-o', out]);
    const printed = await aigate(['synth', input]);
    expect([written.code, printed.code]).toEqual([0, 0]);
    const everything = Buffer.concat([
      Buffer.from(written.stdout + written.stderr + printed.stdout + printed.stderr),
      ...readAll(out).values(),
    ]);
    expect(everything.length).toBeGreaterThan(1000);
    expect(leakedIn(everything)).toEqual([]);
    expect(objectsOf(printed.stdout).filter((o) => o.kind === 'Secret')).toEqual([]);
  });
});
