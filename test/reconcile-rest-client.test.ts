/**
 * The reconcile job's own client (`restKubeClient` over node:https) against the emulated API over
 * HTTPS with a throw-away CA and a bearer token: what it sends, what it trusts, how it fails.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { describeFailure, inClusterConnection, reconcileOnce, restKubeClient, type LogFields } from '../src/reconcile';
import { condition, healthy, jobHarness, JOB_TOKEN, type JobHarness } from './support/reconcile-fixtures';
import { testCa } from './support/real-envoy/test-ca';

const NS = 'ai';
let j: JobHarness;

beforeEach(async () => {
  j = await jobHarness();
});

afterEach(async () => {
  await j.close();
});

const connection = () => inClusterConnection({ server: j.api.url, serviceAccountDir: j.serviceAccountDir });
const failureOf = async (p: Promise<unknown>) => describeFailure(await p.then(() => new Error('no error'), (e: unknown) => e));

describe('restKubeClient over HTTPS with the service account', () => {
  test('a run lists and patches through it exactly as through client-node', async () => {
    healthy(j.api, 'gw', NS);
    const logs: LogFields[] = [];
    const result = await reconcileOnce(restKubeClient(connection()), { scope: { namespace: NS }, log: (f) => logs.push(f) });
    expect(result.ok).toBe(true);
    expect(condition(j.api, NS, 'gw', 'Ready')).toMatchObject({ status: 'True', reason: 'Available' });
    const patch = j.api.requests.find((r) => r.method === 'PATCH')!;
    expect(patch).toMatchObject({ path: `/apis/gateway.example.com/v1/namespaces/${NS}/aigates/gw/status`, contentType: 'application/merge-patch+json', status: 200 });
    expect(Object.keys(patch.body as object)).toEqual(['status']);
    expect(j.api.requests.find((r) => r.path === `/apis/apps/v1/namespaces/${NS}/deployments`)!.query).toEqual({ labelSelector: 'gateway.example.com/gateway' });
    expect(j.api.count({ status: 401 })).toBe(0);
  });

  test('lists across all namespaces on the cluster-wide paths', async () => {
    healthy(j.api, 'a', 'team-a');
    healthy(j.api, 'b', 'team-b');
    const client = restKubeClient(connection());
    expect((await client.listGateways({ allNamespaces: true })).map((g) => `${g.metadata.namespace}/${g.metadata.name}`)).toEqual(['team-a/a', 'team-b/b']);
    expect(j.api.requests.map((r) => r.path)).toEqual(['/apis/gateway.example.com/v1/aigates']);
  });

  test('reads the token for each request (the kubelet rotates projected tokens in place)', async () => {
    const client = restKubeClient(connection());
    await client.listServices({ namespace: NS });
    writeFileSync(join(j.serviceAccountDir, 'token'), 'rotated');
    expect((await failureOf(client.listServices({ namespace: NS })))).toMatchObject({ code: 401, reason: 'Unauthorized', retryable: false });
    writeFileSync(join(j.serviceAccountDir, 'token'), JOB_TOKEN);
    await expect(client.listServices({ namespace: NS })).resolves.toEqual([]);
  });

  test('an API error keeps its Status reason, message and Retry-After', async () => {
    j.api.failNext({ method: 'GET', status: 429, retryAfter: 3, message: 'slow down' });
    expect(await failureOf(restKubeClient(connection()).listGateways({ namespace: NS }))).toMatchObject({ code: 429, reason: 'TooManyRequests', message: '429 TooManyRequests: slow down', retryable: true, retryAfterMs: 3000 });
  });

  test('fails naming the server when its certificate is not from the service account CA', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'aigate-sa-other-'));
    try {
      writeFileSync(join(dir, 'token'), JOB_TOKEN);
      writeFileSync(join(dir, 'ca.crt'), testCa().caPem);
      const failure = await failureOf(restKubeClient(inClusterConnection({ server: j.api.url, serviceAccountDir: dir })).listGateways({ namespace: NS }));
      expect(failure.message).toMatch(new RegExp(`^cannot talk to the Kubernetes API at ${j.api.url}: Error: .*(certificate|signature)`));
      expect(failure.retryable).toBe(false);
      expect(j.api.count()).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('fails naming the server when a request times out', async () => {
    j.api.failNext({ delayMs: 2000 });
    expect((await failureOf(restKubeClient(connection(), { requestTimeoutMs: 200 }).listGateways({ namespace: NS }))).message).toBe(`the request to the Kubernetes API at ${j.api.url} timed out`);
  });
});

describe('inClusterConnection', () => {
  test('takes the server from KUBERNETES_SERVICE_HOST/PORT (an IPv6 address in brackets)', () => {
    const dir = j.serviceAccountDir;
    expect(inClusterConnection({ serviceAccountDir: dir, env: { KUBERNETES_SERVICE_HOST: '10.0.0.1', KUBERNETES_SERVICE_PORT: '443' } }).server).toBe('https://10.0.0.1:443');
    expect(inClusterConnection({ serviceAccountDir: dir, env: { KUBERNETES_SERVICE_HOST: 'fd00::1', KUBERNETES_SERVICE_PORT: '6443' } }).server).toBe('https://[fd00::1]:6443');
    expect(connection().token()).toBe(JOB_TOKEN);
  });

  test('fails outside a pod, on a plain-http server and without the CA, saying what is missing', () => {
    const dir = j.serviceAccountDir;
    expect(() => inClusterConnection({ serviceAccountDir: dir, env: {} })).toThrow('KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT are not set: not running in a pod (pass --server)');
    expect(() => inClusterConnection({ serviceAccountDir: dir, server: 'http://127.0.0.1:8080' })).toThrow('the API server must be an https://host:port URL (a bearer token never goes over plain http), got "http://127.0.0.1:8080"');
    rmSync(join(dir, 'ca.crt'));
    expect(() => inClusterConnection({ serviceAccountDir: dir, server: j.api.url })).toThrow(`no service account CA at ${join(dir, 'ca.crt')}`);
  });
});
