/**
 * The kube-api emulator seen by the real kubectl binary: printer columns from the CRD via Table output,
 * and `kubectl wait --for=condition=Ready` (LIST + WATCH) returning once a status patch sets Ready=True.
 */
import { execFile, ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import * as k8s from '@kubernetes/client-node';
import { customResourceDefinition as aigateTestCrd } from '../src/spec';
import { KubeApi, startKubeApi } from './support/kube-api/server';

const KUBECTL = '/usr/bin/kubectl';
const HAVE_KUBECTL = existsSync(KUBECTL);
const SKIP_NOTE = ` [SKIPPED: ${KUBECTL} is absent on this machine]`;
const kubectlTest = (name: string, fn: () => Promise<void>) => (HAVE_KUBECTL ? test(name, fn, 30000) : test.skip(name + SKIP_NOTE, fn));

if (!HAVE_KUBECTL) {
  // eslint-disable-next-line no-console
  console.warn(`kube-api kubectl tests skipped: ${KUBECTL} is absent`);
}

const G = 'gateway.example.com';

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs kubectl asynchronously: the emulator answers on this process's event loop, so a sync exec would deadlock. */
function kubectl(args: string[], onSpawn?: (p: ChildProcess) => void): Promise<Run> {
  return new Promise((resolve) => {
    const p = execFile(KUBECTL, args, { timeout: 20000, env: { ...process.env, KUBECONFIG: '' } }, (err, stdout, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
    onSpawn?.(p);
  });
}

const rows = (out: string) => out.trim().split('\n').map((l) => l.trim().split(/\s{2,}/));

/** Splits kubectl's table output by the header's column positions (empty cells stay empty). */
function table(out: string): Record<string, string>[] {
  const [header, ...lines] = out.replace(/\n$/, '').split('\n');
  const starts = [...header.matchAll(/\S+/g)].map((m) => ({ name: m[0], at: m.index! }));
  return lines.map((line) =>
    Object.fromEntries(starts.map((c, i) => [c.name, line.slice(c.at, i + 1 < starts.length ? starts[i + 1].at : undefined).trim()])),
  );
}

async function until(cond: () => boolean, ms = 10000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not reached in time');
    await new Promise((r) => setTimeout(r, 25));
  }
}

let api: KubeApi;
let kubeconfig: string;

beforeEach(async () => {
  api = await startKubeApi({ crds: [aigateTestCrd()] });
  kubeconfig = api.kubeconfigFile();
  api.put({ apiVersion: `${G}/v1`, kind: 'AIGatewayResource', metadata: { name: 'gw', namespace: 'ns' }, spec: { modelRouting: { strategy: 'cost' } } });
  api.put({
    apiVersion: `${G}/v1`,
    kind: 'AIGatewayResource',
    metadata: { name: 'gw2', namespace: 'ns' },
    spec: {},
    status: { address: 'gw2.ns.svc:8080', deployedModels: ['m1', 'm2'], conditions: [{ type: 'Ready', status: 'False', reason: 'Pending' }] },
  });
  api.put({ apiVersion: `${G}/v1`, kind: 'AIGatewayResource', metadata: { name: 'elsewhere', namespace: 'other' }, spec: {} });
});

afterEach(async () => {
  await api.close();
});

kubectlTest('kubectl get aigates -n ns prints the CRD printer columns from the Table answer', async () => {
  const r = await kubectl(['--kubeconfig', kubeconfig, 'get', 'aigates', '-n', 'ns']);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  expect(rows(r.stdout)[0]).toEqual(['NAME', 'READY', 'ADDRESS', 'MODELS', 'AGE']);
  const age = expect.stringMatching(/^\d+s$/);
  expect(table(r.stdout)).toEqual([
    { NAME: 'gw', READY: '', ADDRESS: '', MODELS: '', AGE: age }, // no status yet: empty cells
    { NAME: 'gw2', READY: 'False', ADDRESS: 'gw2.ns.svc:8080', MODELS: '["m1","m2"]', AGE: age },
  ]);
  expect(api.count({ method: 'GET', path: `/apis/${G}/v1/namespaces/ns/aigates`, status: 200 })).toBe(1);
  expect(api.requests.find((q) => q.path.endsWith('/aigates'))!.accept).toContain('as=Table');

  const wide = await kubectl(['--kubeconfig', kubeconfig, 'get', 'aigate', 'gw', '-n', 'ns', '-o', 'wide']);
  expect(table(wide.stdout)).toEqual([{ NAME: 'gw', READY: '', ADDRESS: '', MODELS: '', STRATEGY: 'cost', AGE: age }]);

  const all = await kubectl(['--kubeconfig', kubeconfig, 'get', 'ai', '-A', '-o', 'name']); // category "ai"
  expect(all.stdout.trim().split('\n')).toEqual([
    `aigatewayresource.${G}/gw`, // namespace "ns" sorts before "other", as etcd keys do
    `aigatewayresource.${G}/gw2`,
    `aigatewayresource.${G}/elsewhere`,
  ]);
});

kubectlTest('kubectl get shows NAME/AGE when no CRD was registered', async () => {
  const bare = await startKubeApi();
  try {
    bare.put({ apiVersion: `${G}/v1`, kind: 'AIGatewayResource', metadata: { name: 'gw', namespace: 'ns' }, spec: {} });
    const r = await kubectl(['--kubeconfig', bare.kubeconfigFile(), 'get', 'aigates', '-n', 'ns']);
    expect(r.code).toBe(0);
    expect(rows(r.stdout)[0]).toEqual(['NAME', 'AGE']);
  } finally {
    await bare.close();
  }
});

kubectlTest('kubectl wait --for=condition=Ready returns once a status merge patch sets Ready=True for the current generation', async () => {
  const kc = new k8s.KubeConfig();
  kc.loadFromString(api.kubeconfig());
  const custom = kc.makeApiClient(k8s.CustomObjectsApi);
  const merge = k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch);
  const setReady = (observedGeneration: number) =>
    custom.patchNamespacedCustomObjectStatus(
      { group: G, version: 'v1', namespace: 'ns', plural: 'aigates', name: 'gw', body: { status: { conditions: [{ type: 'Ready', status: 'True', reason: 'Reconciled', observedGeneration }] } } },
      merge,
    );

  let done = false;
  const waiting = kubectl(['--kubeconfig', kubeconfig, 'wait', '--for=condition=Ready', 'aigate/gw', '-n', 'ns', '--timeout=5s']).then((r) => {
    done = true;
    return r;
  });
  await until(() => api.count({ watch: true, path: `/apis/${G}/v1/namespaces/ns/aigates` }) > 0);

  await setReady(0); // observedGeneration older than generation 1: kubectl must keep waiting
  await new Promise((r) => setTimeout(r, 600));
  expect(done).toBe(false);

  const patchedAt = Date.now();
  await setReady(1);
  const r = await waiting;
  expect(r.code).toBe(0);
  expect(r.stdout.trim()).toBe(`aigatewayresource.${G}/gw condition met`);
  expect(Date.now() - patchedAt).toBeLessThan(3000);
});

kubectlTest('fails: kubectl wait times out while Ready stays False', async () => {
  const r = await kubectl(['--kubeconfig', kubeconfig, 'wait', '--for=condition=Ready', 'aigate/gw2', '-n', 'ns', '--timeout=1s']);
  expect(r.code).not.toBe(0);
  expect(r.stderr).toContain('timed out waiting for the condition');
});
