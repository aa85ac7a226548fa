/**
 * The ReconcileJob construct: valid objects, least-privilege RBAC, a restricted pod, a bundle that
 * fits its ConfigMap, and the packaged script really running (from the ConfigMap's files, with a
 * plain `node`) against the emulated API.
 */
import { execFile } from 'child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { Chart, Duration, Testing } from 'cdk8s';
import { parseAllDocuments } from 'yaml';
import { RECONCILE_JOB_IMAGE, ReconcileJob, renderReconcileJob, type ReconcileJobProps } from '../src/constructs';
import { shortestIntervalSeconds } from '../src/constructs/cron';
import { aigate } from './support/cli';
import { expectValidManifests } from './support/k8s-schema';
import { expectRestrictedPods, restrictedViolations } from './support/pod-security';
import { condition, healthy, jobHarness } from './support/reconcile-fixtures';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { assertFitsConfigMap, CONFIGMAP_LIMIT } = require('../scripts/bundle-reconcile-job');

function synth(props: ReconcileJobProps = {}, namespace: string | undefined = 'ai'): any[] {
  const chart = new Chart(Testing.app(), 'test', { ...(namespace && { namespace }) });
  new ReconcileJob(chart, 'reconcile', props);
  return Testing.synth(chart);
}

const one = (objects: any[], kind: string) => {
  const found = objects.filter((o) => o.kind === kind);
  expect(found).toHaveLength(1);
  return found[0];
};

describe('ReconcileJob objects', () => {
  test('a CronJob, ServiceAccount, Role, RoleBinding and ConfigMap, valid against the official schemas', () => {
    const objects = synth();
    expect(objects.map((o) => o.kind).sort()).toEqual(['ConfigMap', 'CronJob', 'Role', 'RoleBinding', 'ServiceAccount']);
    expectValidManifests(objects);
    for (const o of objects) {
      expect(o.metadata).toMatchObject({ name: 'aigate-reconcile', namespace: 'ai' });
      expect(o.metadata.labels['app.kubernetes.io/managed-by']).toBe('cdk8s-ai-gateway');
      expect(o.metadata.labels['gateway.example.com/gateway']).toBeUndefined(); // not a gateway's object
    }
  });

  test('the Role grants exactly get/list/watch on what the job reads and patch on aigates/status, nothing else', () => {
    const role = one(synth(), 'Role');
    expect(role.rules).toEqual([
      { apiGroups: ['gateway.example.com'], resources: ['aigates'], verbs: ['get', 'list', 'watch'] },
      { apiGroups: ['gateway.example.com'], resources: ['aigates/status'], verbs: ['patch'] },
      { apiGroups: ['apps'], resources: ['deployments'], verbs: ['get', 'list', 'watch'] },
      { apiGroups: [''], resources: ['services'], verbs: ['get', 'list', 'watch'] },
      { apiGroups: ['networking.k8s.io'], resources: ['ingresses'], verbs: ['get', 'list', 'watch'] },
      { apiGroups: ['discovery.k8s.io'], resources: ['endpointslices'], verbs: ['get', 'list', 'watch'] },
    ]);
    const text = JSON.stringify(role.rules);
    for (const forbidden of ['secrets', '*', 'update', 'create', 'delete', 'configmaps']) expect(text).not.toContain(`"${forbidden}"`);
  });

  test('the RoleBinding binds the Role to the job ServiceAccount only', () => {
    const objects = synth();
    expect(one(objects, 'RoleBinding')).toMatchObject({
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'aigate-reconcile' },
      subjects: [{ kind: 'ServiceAccount', name: 'aigate-reconcile', namespace: 'ai' }],
    });
    expect(one(objects, 'CronJob').spec.jobTemplate.spec.template.spec.serviceAccountName).toBe('aigate-reconcile');
  });

  test('upstreamNamespaces adds read access to Services and EndpointSlices there, and nothing more', () => {
    const objects = synth({ upstreamNamespaces: ['models'] });
    const remote = objects.filter((o) => o.metadata.namespace === 'models');
    expect(remote.map((o) => `${o.kind}/${o.metadata.name}`)).toEqual(['Role/aigate-reconcile-upstreams', 'RoleBinding/aigate-reconcile-upstreams']);
    expect(remote[0].rules).toEqual([
      { apiGroups: [''], resources: ['services'], verbs: ['get', 'list', 'watch'] },
      { apiGroups: ['discovery.k8s.io'], resources: ['endpointslices'], verbs: ['get', 'list', 'watch'] },
    ]);
    expect(remote[1].subjects).toEqual([{ kind: 'ServiceAccount', name: 'aigate-reconcile', namespace: 'ai' }]);
    expectValidManifests(objects);
  });

  test('the pod meets the restricted Pod Security Standard, runs as uid 1000 and mounts its service account token', () => {
    const objects = synth();
    expectRestrictedPods(objects);
    const pod = one(objects, 'CronJob').spec.jobTemplate.spec.template.spec;
    expect(pod.automountServiceAccountToken).toBe(true);
    const [container] = pod.containers;
    expect(container.securityContext).toMatchObject({ runAsUser: 1000, runAsGroup: 1000, runAsNonRoot: true, readOnlyRootFilesystem: true });
    expect(container.image).toBe(RECONCILE_JOB_IMAGE);
    expect(container.image).toMatch(/^node:20\.\d+\.\d+-bookworm-slim@sha256:[0-9a-f]{64}$/);
  });

  test('fails the restricted check for a pod that drops nothing or may escalate (the check can fail)', () => {
    const template = JSON.parse(JSON.stringify(one(synth(), 'CronJob').spec.jobTemplate.spec.template));
    const sc = template.spec.containers[0].securityContext;
    sc.capabilities = { add: ['NET_ADMIN'] };
    delete sc.allowPrivilegeEscalation;
    template.spec.volumes.push({ name: 'host', hostPath: { path: '/' } });
    const controls = restrictedViolations(template).map((v) => v.control);
    expect(controls).toEqual(expect.arrayContaining(['Capabilities', 'Privilege Escalation', 'Volume Types']));
  });

  test('the CronJob: every minute, no overlapping runs, a run ends before the next starts, bounded history', () => {
    const { spec } = one(synth(), 'CronJob');
    expect(spec).toMatchObject({ schedule: '* * * * *', concurrencyPolicy: 'Forbid', startingDeadlineSeconds: 30, successfulJobsHistoryLimit: 1, failedJobsHistoryLimit: 3 });
    expect(spec.jobTemplate.spec).toMatchObject({ backoffLimit: 0, activeDeadlineSeconds: 50 });
    const [container] = spec.jobTemplate.spec.template.spec.containers;
    expect(container.command).toEqual(['node', '--max-old-space-size=160', '/opt/aigate/run.js']);
    expect(container.args).toEqual(['--namespace', '$(POD_NAMESPACE)', '--deadline', '45s']);
    expect(container.env).toEqual([{ name: 'POD_NAMESPACE', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } }]);
  });

  test('a custom schedule bounds the run: activeDeadlineSeconds below its shortest interval', () => {
    expect(one(synth({ schedule: '*/5 * * * *' }), 'CronJob').spec.jobTemplate.spec.activeDeadlineSeconds).toBe(290);
    expect(one(synth({ schedule: '@hourly' }), 'CronJob').spec.jobTemplate.spec.activeDeadlineSeconds).toBe(300);
    expect(one(synth({ schedule: '0,10 * * * *', activeDeadline: Duration.seconds(500) }), 'CronJob').spec.jobTemplate.spec.activeDeadlineSeconds).toBe(500);
  });

  test('fails when activeDeadline is not shorter than the time between runs, or startingDeadline is under 10 s', () => {
    expect(() => synth({ schedule: '*/2 * * * *', activeDeadline: Duration.minutes(2) })).toThrow('activeDeadline must be at least 10 s and shorter than the 120 s between runs of "*/2 * * * *", got 120 s');
    expect(() => synth({ startingDeadline: Duration.seconds(5) })).toThrow('startingDeadline must be at least 10 s');
  });

  test('fails on an invalid schedule, naming the field and what it allows', () => {
    expect(() => synth({ schedule: '61 * * * *' })).toThrow('schedule "61 * * * *": minute "61" must be a number from 0 to 59');
    expect(() => synth({ schedule: '* * *' })).toThrow('must have 5 fields (minute hour day-of-month month day-of-week), found 3');
    expect(() => synth({ schedule: '@every 5m' })).toThrow('unknown macro');
    expect(() => synth({ schedule: '* * * FOO *' })).toThrow('month "FOO" must be a number from 1 to 12 or a name');
  });

  test('the ConfigMap carries the loader and the gzipped bundle, small enough for kubectl apply to record it', () => {
    const cm = one(synth(), 'ConfigMap');
    expect(Object.keys(cm.data)).toEqual(['run.js']);
    expect(Object.keys(cm.binaryData)).toEqual(['aigate-reconcile.js.gz']);
    const size = [...Object.entries(cm.data), ...Object.entries(cm.binaryData)].reduce((n, [k, v]) => n + k.length + (v as string).length, 0);
    expect(size).toBeLessThan(CONFIGMAP_LIMIT);
    // client-side apply writes the whole object into one annotation: 262,144 bytes at most, for all of them.
    expect(Buffer.byteLength(JSON.stringify(cm))).toBeLessThan(200 * 1024);
    expect(Buffer.from(cm.binaryData['aigate-reconcile.js.gz'], 'base64').subarray(0, 2)).toEqual(Buffer.from([0x1f, 0x8b]));
  });
});

describe('the bundle size check', () => {
  test('fails the build loudly when the gzipped bundle would not fit in a ConfigMap', () => {
    // The bundle with @kubernetes/client-node: 2134 KiB minified, 285 KiB gzipped.
    expect(() => assertFitsConfigMap(2_185_159, 291_477)).toThrow(/too big for its ConfigMap to be applied with kubectl apply: aigate-reconcile.js: 2134 KiB minified, 285 KiB gzipped; ConfigMap payload 384 KiB of 192 KiB/);
    expect(assertFitsConfigMap(520_000, 116_000).payload).toBeLessThan(CONFIGMAP_LIMIT);
  });
});

describe('cron intervals', () => {
  test.each([
    ['* * * * *', 60],
    ['*/15 * * * *', 900],
    ['0,50 * * * *', 600],
    ['0 9-17 * * MON-FRI', 3600],
    ['30 2 * * *', 86400],
    ['@daily', 86400],
    ['0 */6 * * ?', 21600],
  ])('%s: at least %i s between runs', (schedule, seconds) => {
    expect(shortestIntervalSeconds(schedule)).toBe(seconds);
  });
});

/** Runs `node run.js ...` in a folder holding the ConfigMap's files, as the pod would. */
function runPackagedScript(dir: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [join(dir, 'run.js'), ...args], { cwd: dir, env: { PATH: process.env.PATH ?? '' }, timeout: 30000 }, (err, stdout, stderr) => {
      resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

describe('the packaged script', () => {
  let dir: string;
  beforeAll(() => {
    // The ConfigMap's files, written like the kubelet mounts them, outside the project (no node_modules).
    dir = mkdtempSync(join(tmpdir(), 'aigate-job-'));
    const cm = one(synth(), 'ConfigMap');
    writeFileSync(join(dir, 'run.js'), cm.data['run.js']);
    writeFileSync(join(dir, 'aigate-reconcile.js.gz'), Buffer.from(cm.binaryData['aigate-reconcile.js.gz'], 'base64'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test('reconciles the namespace with a plain node over HTTPS with the service account, and exits 0', async () => {
    const h = await jobHarness();
    try {
      healthy(h.api, 'gw', 'ai');
      const r = await runPackagedScript(dir, [...h.connectionArgs, '--namespace', 'ai']);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
      expect(lines[lines.length - 1]).toMatchObject({ action: 'run', outcome: 'ok', patched: 1 });
      expect(condition(h.api, 'ai', 'gw', 'Ready')).toMatchObject({ status: 'True', reason: 'Available' });
    } finally {
      await h.close();
    }
  });

  test('exits 1 and names the gateway when its status cannot be written', async () => {
    const h = await jobHarness();
    try {
      healthy(h.api, 'good', 'ai');
      healthy(h.api, 'bad', 'ai');
      h.api.failNext({ method: 'PATCH', pathPattern: '/apis/**/aigates/bad/status', status: 403 });
      const r = await runPackagedScript(dir, [...h.connectionArgs, '--namespace', 'ai']);
      expect(r.code).toBe(1);
      const last = JSON.parse(r.stdout.trim().split('\n').pop()!);
      expect(last).toMatchObject({ action: 'run', outcome: 'failed', failed: ['ai/bad'], patched: 1 });
    } finally {
      await h.close();
    }
  });

  test('exits 2 with a JSON log line on bad arguments', async () => {
    const r = await runPackagedScript(dir, ['--namespace']);
    expect(r.code).toBe(2);
    expect(JSON.parse(r.stdout)).toMatchObject({ action: 'start', outcome: 'failed', message: '--namespace needs a value' });
  });
});

describe('aigate synth --reconcile-job', () => {
  test('writes one reconcile job per namespace next to the gateways, valid against the official schemas', async () => {
    const out = mkdtempSync(join(tmpdir(), 'aigate-synth-'));
    const input = join(out, 'in.yaml');
    const gateway = (name: string, ns: string) =>
      `apiVersion: gateway.example.com/v1\nkind: AIGatewayResource\nmetadata: {name: ${name}, namespace: ${ns}}\nspec:\n  gatewayClassName: envoy\n  endpoints: [{name: m, url: "https://api.example.com"}]\n`;
    writeFileSync(input, [gateway('a', 'team-a'), gateway('b', 'team-a'), gateway('c', 'team-b')].join('---\n'));
    try {
      const r = await aigate(['synth', input, '-o', join(out, 'manifests'), '--reconcile-job']);
      expect(r.code).toBe(0);
      expect(readdirSync(join(out, 'manifests')).sort()).toEqual([
        '.aigate-synth-files',
        'team-a.a.k8s.yaml',
        'team-a.aigate-reconcile.job.k8s.yaml',
        'team-a.b.k8s.yaml',
        'team-b.aigate-reconcile.job.k8s.yaml',
        'team-b.c.k8s.yaml',
      ]);
      const job = parseAllDocuments(readFileSync(join(out, 'manifests', 'team-b.aigate-reconcile.job.k8s.yaml'), 'utf8')).map((d) => d.toJS());
      expect(job.map((o) => `${o.kind}/${o.metadata.namespace}`).sort()).toEqual(['ConfigMap/team-b', 'CronJob/team-b', 'Role/team-b', 'RoleBinding/team-b', 'ServiceAccount/team-b']);
      expectValidManifests(job);

      const plain = await aigate(['synth', input]);
      expect(plain.stdout).not.toContain('kind: CronJob');
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });

  test('renderReconcileJob without a namespace leaves the namespace to kubectl apply -n', () => {
    const { fileName, objects } = renderReconcileJob(undefined);
    expect(fileName).toBe('aigate-reconcile.job.k8s.yaml');
    expect((objects as any[]).every((o) => o.metadata.namespace === undefined)).toBe(true);
    expect((objects as any[]).find((o) => o.kind === 'RoleBinding').subjects).toEqual([{ kind: 'ServiceAccount', name: 'aigate-reconcile' }]);
  });
});
