/**
 * `aigate check`: the Secret keys each gateway mounts, and, against the emulated API, whether
 * they exist. Values are never printed.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { aigate } from './support/cli';
import { startKubeApi, type KubeApi } from './support/kube-api/server';

const VALUE = 'sk-live-do-not-print-0123456789abcdef';
const b64 = (s: string) => Buffer.from(s).toString('base64');

const GATEWAY = `apiVersion: gateway.example.com/v1
kind: AIGatewayResource
metadata: {name: gw, namespace: ai}
spec:
  gatewayClassName: envoy
  endpoints:
    - {name: openai, url: "https://api.openai.com", provider: OpenAI, credentialsRef: {name: openai-creds, key: api-key}}
    - {name: claude, url: "https://api.anthropic.com", provider: Anthropic, credentialsRef: {name: anthropic-creds, key: api-key}}
  modelRouting:
    strategy: Header
    rules: [{match: "X-AI-Model: claude", targetEndpoint: claude}]
    defaultTargetEndpoint: openai
  authentication: {type: APIKey, apiKeyRef: {name: client-keys, key: keys}}
`;
const OPEN = `apiVersion: gateway.example.com/v1
kind: AIGatewayResource
metadata: {name: plain}
spec:
  gatewayClassName: envoy
  endpoints: [{name: m, serviceRef: {name: m}}]
`;

let api: KubeApi;
let dir: string;
let file: string;

beforeEach(async () => {
  api = await startKubeApi({ namespace: 'ai' });
  dir = mkdtempSync(join(tmpdir(), 'aigate-check-'));
  file = join(dir, 'gw.yaml');
  writeFileSync(file, GATEWAY);
});

afterEach(async () => {
  await api.close();
  rmSync(dir, { recursive: true, force: true });
});

const secret = (name: string, data: Record<string, string>) =>
  api.put({ apiVersion: 'v1', kind: 'Secret', metadata: { name, namespace: 'ai' }, data: Object.fromEntries(Object.entries(data).map(([k, v]) => [k, b64(v)])) });

describe('aigate check', () => {
  test('--offline lists every Secret key each gateway mounts: upstream credentials and client API keys', async () => {
    const r = await aigate(['check', file, '--offline']);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(['ai/gw: Secret openai-creds, key api-key', 'ai/gw: Secret anthropic-creds, key api-key', 'ai/gw: Secret client-keys, key keys', ''].join('\n'));
    expect(api.count()).toBe(0);
  });

  test('exits 0 when every Secret and key exists, reading each Secret once and printing no value', async () => {
    secret('openai-creds', { 'api-key': VALUE });
    secret('anthropic-creds', { 'api-key': VALUE });
    secret('client-keys', { keys: `${VALUE}\n` });
    const r = await aigate(['check', file, '--kubeconfig', api.kubeconfigFile()]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(['ai/gw: Secret openai-creds, key api-key: present', 'ai/gw: Secret anthropic-creds, key api-key: present', 'ai/gw: Secret client-keys, key keys: present', ''].join('\n'));
    expect(r.stderr).toBe('all 3 Secret keys the gateways need exist\n');
    expect(api.requests.map((q) => `${q.method} ${q.path}`).sort()).toEqual(
      ['anthropic-creds', 'client-keys', 'openai-creds'].map((n) => `GET /api/v1/namespaces/ai/secrets/${n}`),
    );
  });

  test('fails with exit 1 naming each missing Secret and key, and never prints a value', async () => {
    secret('openai-creds', { 'api-key': VALUE });
    secret('client-keys', { 'old-keys': VALUE, other: VALUE });
    const r = await aigate(['check', file, '--kubeconfig', api.kubeconfigFile()]);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe(
      [
        'ai/gw: Secret openai-creds, key api-key: present',
        'ai/gw: Secret anthropic-creds, key api-key: MISSING: no Secret anthropic-creds in namespace ai',
        'ai/gw: Secret client-keys, key keys: MISSING: Secret client-keys has no key "keys" (its keys: "old-keys", "other")',
        '',
      ].join('\n'),
    );
    expect(r.stderr).toMatch(/^error: 2 of 3 Secret keys the gateways need are missing or could not be checked: the pods would not start/);
    for (const out of [r.stdout, r.stderr]) {
      expect(out).not.toContain(VALUE);
      expect(out).not.toContain(b64(VALUE));
    }
  });

  test('fails with exit 1 when a Secret cannot be read, naming the error', async () => {
    secret('openai-creds', { 'api-key': VALUE });
    secret('anthropic-creds', { 'api-key': VALUE });
    api.failNext({ method: 'GET', pathPattern: '/api/v1/namespaces/ai/secrets/client-keys', status: 403, message: 'secrets "client-keys" is forbidden' });
    const r = await aigate(['check', file, '--kubeconfig', api.kubeconfigFile()]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('ai/gw: Secret client-keys, key keys: UNKNOWN: 403 Forbidden: secrets "client-keys" is forbidden\n');
  });

  test('a gateway without a namespace is checked in the kubeconfig context namespace (or --namespace)', async () => {
    writeFileSync(file, `${GATEWAY.replace('metadata: {name: gw, namespace: ai}', 'metadata: {name: gw}')}---\n${OPEN}`);
    const r = await aigate(['check', file, '--kubeconfig', api.kubeconfigFile({ namespace: 'team' })]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('team/gw: Secret client-keys, key keys: MISSING: no Secret client-keys in namespace team\n');
    const other = await aigate(['check', file, '--offline', '-n', 'prod']);
    expect(other.stdout).toContain('prod/gw: Secret client-keys, key keys\n');
  });

  test('a gateway that mounts no Secret needs nothing', async () => {
    writeFileSync(file, OPEN);
    const r = await aigate(['check', file, '--kubeconfig', api.kubeconfigFile()]);
    expect([r.code, r.stdout]).toEqual([0, 'no gateway needs a Secret\n']);
  });

  test('fails with exit 1 naming the server when the API cannot be reached', async () => {
    const kubeconfig = join(dir, 'kubeconfig');
    writeFileSync(kubeconfig, api.kubeconfig());
    const url = api.url;
    await api.close();
    const r = await aigate(['check', file, '--kubeconfig', kubeconfig]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(`ai/gw: Secret client-keys, key keys: UNKNOWN: cannot reach the Kubernetes API at ${url}: ECONNREFUSED\n`);
    api = await startKubeApi(); // afterEach closes it
  });

  test('fails with exit 2 on --offline with cluster options, and 1 without a kubeconfig', async () => {
    expect((await aigate(['check', file, '--offline', '--context', 'x'])).code).toBe(2);
    const r = await aigate(['check', file, '--kubeconfig', join(dir, 'nope')]);
    expect([r.code, r.stderr]).toEqual([1, `error: cannot load the kubeconfig: kubeconfig ${join(dir, 'nope')} does not exist (or run with --offline to only list the Secret keys)\n`]);
  });
});
