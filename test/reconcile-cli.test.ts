/**
 * `aigate reconcile` against the emulated API, and what users see afterwards with the real
 * kubectl: `kubectl get aigates` columns and `kubectl wait --for=condition=Ready`.
 */
import { execFile } from 'child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { parseAllDocuments } from 'yaml';
import { reconcileLoop } from '../src/cli/commands/reconcile';
import type { RunResult } from '../src/reconcile';
import { aigate } from './support/cli';
import { condition, harness, healthy, statusOf, synthesized, type Harness } from './support/reconcile-fixtures';

const NS = 'ai';
let h: Harness;

beforeEach(async () => {
  h = await harness();
});

afterEach(async () => {
  await h.close();
});

describe('aigate reconcile', () => {
  test('--once writes each gateway status and exits 0', async () => {
    healthy(h.api, 'gw', NS);
    const r = await aigate(['reconcile', '--kubeconfig', h.api.kubeconfigFile(), '--namespace', NS, '--once']);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('');
    const last = JSON.parse(r.stderr.trim().split('\n').pop()!);
    expect(last).toMatchObject({ action: 'run', outcome: 'ok', patched: 1 });
    expect(condition(h.api, NS, 'gw', 'Ready')!.status).toBe('True');
  });

  test('--dry-run prints the status each gateway would get as YAML and writes nothing', async () => {
    healthy(h.api, 'ready', NS);
    h.api.put(synthesized('fresh', NS).cr);
    const r = await aigate(['reconcile', '--kubeconfig', h.api.kubeconfigFile(), '-n', NS, '--dry-run']);
    expect(r.code).toBe(0);
    const docs = parseAllDocuments(r.stdout).map((d) => d.toJS());
    expect(docs.map((d) => [d.gateway, d.outcome, d.status.conditions[0].status])).toEqual([
      ['ai/fresh', 'would-patch', 'False'],
      ['ai/ready', 'would-patch', 'True'],
    ]);
    expect(docs[0].status.deployedModels).toEqual([]); // no Envoy running yet
    expect(docs[0].removes).toEqual(['address']);
    expect(docs[1].status.address).toBe('ready.ai.svc:80');
    expect(h.api.count({ method: 'PATCH' })).toBe(0);
    expect(statusOf(h.api, NS, 'ready')).toEqual({});
  });

  test('defaults to the namespace of the kubeconfig context', async () => {
    healthy(h.api, 'gw', NS);
    await aigate(['reconcile', '--kubeconfig', h.api.kubeconfigFile({ namespace: NS })]);
    expect(h.api.count({ method: 'GET', path: `/apis/gateway.example.com/v1/namespaces/${NS}/aigates` })).toBe(1);
  });

  test('--all-namespaces lists cluster-wide', async () => {
    healthy(h.api, 'gw', 'team-a');
    const r = await aigate(['reconcile', '--kubeconfig', h.api.kubeconfigFile(), '-A']);
    expect(r.code).toBe(0);
    expect(h.api.count({ method: 'GET', path: '/apis/gateway.example.com/v1/aigates' })).toBe(1);
    expect(condition(h.api, 'team-a', 'gw', 'Ready')!.status).toBe('True');
  });

  test('fails with exit code 1 and names the gateway when a status cannot be written', async () => {
    healthy(h.api, 'gw', NS);
    h.api.failNext({ method: 'PATCH', status: 403 });
    const r = await aigate(['reconcile', '--kubeconfig', h.api.kubeconfigFile(), '-n', NS]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('"failed":["ai/gw"]');
    expect(r.stderr).toContain('error: reconcile failed');
  });

  test('fails with exit code 2 on contradicting or malformed options', async () => {
    const file = h.api.kubeconfigFile();
    for (const [args, message] of [
      [['-n', 'a', '-A'], '--namespace and --all-namespaces exclude each other'],
      [['--once', '--interval', '30s'], '--once and --interval exclude each other'],
      [['--interval', 'soon'], '--interval: "soon" is not a duration such as "30s" or "2m"'],
      [['--interval', '100ms'], '--interval must be at least 1s, got "100ms"'],
    ] as const) {
      const r = await aigate(['reconcile', '--kubeconfig', file, ...args]);
      expect([args, r.code, r.stderr]).toEqual([args, 2, `error: ${message}\n`]);
    }
    expect(h.api.count()).toBe(0);
  });

  test('fails with exit code 1 and a clear message when the kubeconfig does not exist', async () => {
    const r = await aigate(['reconcile', '--kubeconfig', '/nonexistent/kubeconfig']);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('error: cannot load the kubeconfig: kubeconfig /nonexistent/kubeconfig does not exist\n');
  });

  test('fails with exit code 1 naming the server when the API cannot be reached', async () => {
    const kubeconfig = join(mkdtempSync(join(tmpdir(), 'aigate-kc-')), 'kubeconfig');
    writeFileSync(kubeconfig, h.api.kubeconfig());
    const url = h.api.url;
    await h.api.close();
    const r = await aigate(['reconcile', '--kubeconfig', kubeconfig, '-n', NS]);
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split('\n').pop()).toBe(`error: reconcile failed: could not list aigates in namespace ai: cannot reach the Kubernetes API at ${url}: ECONNREFUSED`);
    h = await harness(); // afterEach closes it
  }, 20000);

  test('fails with exit code 1 when --context names a context the kubeconfig lacks', async () => {
    const r = await aigate(['reconcile', '--kubeconfig', h.api.kubeconfigFile(), '--context', 'prod']);
    expect([r.code, r.stderr]).toEqual([1, 'error: cannot load the kubeconfig: context prod is not in the kubeconfig\n']);
  });

  test('--interval runs again after each pause until stopped', async () => {
    let runs = 0;
    const stop = new AbortController();
    const ok = await reconcileLoop(
      async (): Promise<RunResult> => {
        runs++;
        if (runs === 3) stop.abort();
        return { ok: runs !== 2, gateways: [], readFailures: [] };
      },
      10,
      stop.signal,
    );
    expect(runs).toBe(3);
    expect(ok).toBe(true); // the last run's result
  });
});

const KUBECTL = '/usr/bin/kubectl';
const HAVE_KUBECTL = existsSync(KUBECTL);
const kubectlTest = (name: string, fn: () => Promise<void>) => (HAVE_KUBECTL ? test(name, fn, 30000) : test.skip(`${name} [SKIPPED: ${KUBECTL} is absent on this machine]`, fn));
if (!HAVE_KUBECTL) console.warn(`reconcile kubectl tests skipped: ${KUBECTL} is absent`);

/** kubectl asynchronously: the emulator answers on this process's event loop. */
function kubectl(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(KUBECTL, ['--kubeconfig', h.api.kubeconfigFile(), ...args], { timeout: 20000, env: { ...process.env, KUBECONFIG: '' } }, (err, stdout, stderr) =>
      resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

describe('what kubectl shows after a run', () => {
  kubectlTest('kubectl wait --for=condition=Ready aigate/NAME returns at once for a ready gateway', async () => {
    healthy(h.api, 'gw', NS);
    expect((await aigate(['reconcile', '--kubeconfig', h.api.kubeconfigFile(), '-n', NS])).code).toBe(0);
    const r = await kubectl(['wait', '--for=condition=Ready', 'aigate/gw', '-n', NS, '--timeout=10s']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toBe('aigatewayresource.gateway.example.com/gw condition met');
  });

  kubectlTest('fails: kubectl wait times out for a gateway whose Deployment is missing', async () => {
    h.api.put(synthesized('gw', NS).cr);
    await aigate(['reconcile', '--kubeconfig', h.api.kubeconfigFile(), '-n', NS]);
    const r = await kubectl(['wait', '--for=condition=Ready', 'aigate/gw', '-n', NS, '--timeout=1s']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('timed out waiting for the condition');
  });

  kubectlTest('kubectl get aigates shows READY, ADDRESS and MODELS from the written status', async () => {
    healthy(h.api, 'gw', NS);
    await aigate(['reconcile', '--kubeconfig', h.api.kubeconfigFile(), '-n', NS]);
    const r = await kubectl(['get', 'aigates', '-n', NS]);
    expect(r.code).toBe(0);
    const [header, row] = r.stdout.trim().split('\n').map((l) => l.trim().split(/\s{2,}/));
    expect(header).toEqual(['NAME', 'READY', 'ADDRESS', 'MODELS', 'AGE']);
    expect(row.slice(0, 4)).toEqual(['gw', 'True', 'gw.ai.svc:80', '["gpt-4o","gpt-4o-mini","claude-3","mistral-large"]']);
  });
});
