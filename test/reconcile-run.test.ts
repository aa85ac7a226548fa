/**
 * Reconcile runs against the emulated Kubernetes API (test/support/kube-api), through the real
 * @kubernetes/client-node over HTTP, with the project's own CRD registered.
 */
import * as k8s from '@kubernetes/client-node';
import { schemaProblems } from './support/k8s-schema';
import { condition, harness, healthy, statusOf, synthesized, upstream, withRollout, type Harness } from './support/reconcile-fixtures';

const NS = 'ai';
const STATUS_PATH = `/apis/gateway.example.com/v1/namespaces/${NS}/aigates/*/status`;
let clock = new Date('2025-06-01T10:00:00Z');
let h: Harness;

beforeEach(async () => {
  clock = new Date('2025-06-01T10:00:00Z');
  h = await harness(() => clock);
});

afterEach(async () => {
  await h.close();
});

const brief = (name: string) =>
  Object.fromEntries((statusOf(h.api, NS, name).conditions ?? []).map((c: any) => [c.type, `${c.status}/${c.reason}`]));

describe('a run against the API', () => {
  test('a fresh gateway (custom resource applied, no Deployment yet) gets Ready False and Progressing True', async () => {
    h.api.put(synthesized('gw', NS).cr);
    const result = await h.run();
    expect(result.ok).toBe(true);
    expect(brief('gw')).toMatchObject({ Ready: 'False/DeploymentNotFound', Progressing: 'True/WaitingForDeployment', Synced: 'True/InSync' });
    expect(statusOf(h.api, NS, 'gw').observedGeneration).toBe(1);
  });

  test('a rollout in progress, then complete: Ready goes False -> True with a new lastTransitionTime', async () => {
    const g = synthesized('gw', NS);
    h.api.put(g.cr);
    h.api.put(withRollout(g.deployment, { updated: 1, total: 2, available: 1 }));
    h.api.put(g.service);
    for (const o of [...upstream('openai-proxy', NS), ...upstream('claude-proxy', NS, { port: 8080 })]) h.api.put(o);
    await h.run();
    expect(brief('gw')).toMatchObject({ Ready: 'False/RollingOut', Progressing: 'True/RollingOut' });
    expect(condition(h.api, NS, 'gw', 'Progressing')!.message).toBe('1 of 2 replicas updated to the current template');

    clock = new Date('2025-06-01T10:01:00Z');
    h.api.put(withRollout(g.deployment));
    await h.run();
    expect(brief('gw')).toEqual({ Ready: 'True/Available', Progressing: 'False/RolloutComplete', Degraded: 'False/UpstreamsAvailable', Synced: 'True/InSync' });
    expect(condition(h.api, NS, 'gw', 'Ready')!.lastTransitionTime).toBe('2025-06-01T10:01:00Z');
    expect(condition(h.api, NS, 'gw', 'Synced')!.lastTransitionTime).toBe('2025-06-01T10:00:00Z');
  });

  test('a ready gateway: every field set, and a second run with nothing changed patches nothing and keeps lastTransitionTime', async () => {
    healthy(h.api, 'gw', NS);
    const first = await h.run();
    expect(first.gateways.map((g) => g.outcome)).toEqual(['patched']);
    const status = statusOf(h.api, NS, 'gw');
    expect(status).toMatchObject({
      address: 'gw.ai.svc:80',
      deployedModels: ['gpt-4o', 'gpt-4o-mini', 'claude-3', 'mistral-large'],
      lastReconciledTime: '2025-06-01T10:00:00Z',
      observedGeneration: 1,
    });
    const rv = h.api.get(`aigate/${NS}/gw`)!.metadata!.resourceVersion;

    h.api.resetRequests();
    clock = new Date('2025-06-01T10:01:00Z');
    const second = await h.run();
    expect(second.gateways.map((g) => g.outcome)).toEqual(['unchanged']);
    expect(h.api.count({ method: 'PATCH' })).toBe(0);
    expect(h.api.get(`aigate/${NS}/gw`)!.metadata!.resourceVersion).toBe(rv);
    expect(statusOf(h.api, NS, 'gw')).toEqual(status);
  });

  test('patches only /status, with a JSON merge patch that carries the whole conditions list', async () => {
    healthy(h.api, 'gw', NS);
    const spec = JSON.stringify(h.api.get(`aigate/${NS}/gw`)!.spec);
    await h.run();
    const patches = h.api.requests.filter((r) => r.method === 'PATCH');
    expect(patches.map((p) => [p.path, p.contentType])).toEqual([[`/apis/gateway.example.com/v1/namespaces/${NS}/aigates/gw/status`, 'application/merge-patch+json']]);
    expect(Object.keys(patches[0].body as object)).toEqual(['status']);
    expect((patches[0].body as any).status.conditions.map((c: any) => c.type)).toEqual(['Ready', 'Progressing', 'Degraded', 'Synced']);
    expect(JSON.stringify(h.api.get(`aigate/${NS}/gw`)!.spec)).toBe(spec);
    expect(h.api.count((r) => r.method !== 'GET' && r.method !== 'PATCH')).toBe(0);
  });

  test('fails Degraded when an upstream Service is deleted, and recovers when it comes back', async () => {
    healthy(h.api, 'gw', NS);
    await h.run();
    h.api.delete(`service/${NS}/claude-proxy`);
    await h.run();
    expect(brief('gw').Degraded).toBe('True/UpstreamServiceNotFound');
    expect(statusOf(h.api, NS, 'gw').deployedModels).toEqual(['gpt-4o', 'gpt-4o-mini', 'mistral-large']);
    for (const o of upstream('claude-proxy', NS, { port: 8080 })) h.api.put(o);
    await h.run();
    expect(brief('gw').Degraded).toBe('False/UpstreamsAvailable');
  });

  test('fails Degraded when an upstream Service has no ready endpoints', async () => {
    healthy(h.api, 'gw', NS);
    for (const o of upstream('openai-proxy', NS, { ready: 0, notReady: 3 })) h.api.put(o);
    await h.run();
    expect(brief('gw').Degraded).toBe('True/NoReadyEndpoints');
    expect(condition(h.api, NS, 'gw', 'Degraded')!.message).toContain('Service ai/openai-proxy has no ready endpoints for port 80');
  });

  test('fails Synced (SpecDrift) after someone edits the spec in the cluster without re-running synth', async () => {
    healthy(h.api, 'gw', NS);
    await h.run();
    const kc = new k8s.KubeConfig();
    kc.loadFromString(h.api.kubeconfig());
    await kc.makeApiClient(k8s.CustomObjectsApi).patchNamespacedCustomObject(
      { group: 'gateway.example.com', version: 'v1', namespace: NS, plural: 'aigates', name: 'gw', body: { spec: { rateLimiting: { requestsPerMinute: 10 } } } },
      k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
    );
    await h.run();
    expect(brief('gw')).toMatchObject({ Synced: 'False/SpecDrift', Degraded: 'Unknown/SpecDrift', Ready: 'True/Available' });
    expect(statusOf(h.api, NS, 'gw').observedGeneration).toBe(2);
    expect(statusOf(h.api, NS, 'gw').deployedModels).toHaveLength(4); // the last value seen in sync
  });

  test('fails Synced (InvalidSpec) with the validation messages for an invalid spec in the cluster', async () => {
    const g = healthy(h.api, 'gw', NS);
    const cr = JSON.parse(JSON.stringify(g.cr));
    cr.spec.modelRouting.defaultTargetEndpoint = 'nowhere';
    h.api.put(cr);
    await h.run();
    expect(brief('gw').Synced).toBe('False/InvalidSpec');
    expect(condition(h.api, NS, 'gw', 'Synced')!.message).toContain('spec.modelRouting.defaultTargetEndpoint: "nowhere" is not one of the endpoints');
  });

  test('address: the Service DNS name, then the Ingress load balancer once it has one', async () => {
    const g = healthy(h.api, 'gw', NS, { ingressHost: 'llm.example.com' });
    await h.run();
    expect(statusOf(h.api, NS, 'gw').address).toBe('gw.ai.svc:80');
    h.api.put({ ...g.ingress!, status: { loadBalancer: { ingress: [{ hostname: 'a1b2.elb.example.com' }] } } });
    await h.run();
    expect(statusOf(h.api, NS, 'gw').address).toBe('a1b2.elb.example.com');
  });

  test('--all-namespaces: one LIST per kind across namespaces, each gateway against its own namespace', async () => {
    healthy(h.api, 'gw', 'team-a');
    const g = synthesized('gw', 'team-b');
    h.api.put(g.cr);
    const result = await h.run({ scope: { allNamespaces: true } });
    expect(result.gateways.map((r) => `${r.gateway} ${r.outcome}`)).toEqual(['team-a/gw patched', 'team-b/gw patched']);
    expect(condition(h.api, 'team-a', 'gw', 'Ready')!.status).toBe('True');
    expect(condition(h.api, 'team-b', 'gw', 'Ready')!.reason).toBe('DeploymentNotFound');
    expect(h.api.requests.filter((r) => r.method === 'GET').map((r) => r.path)).toEqual([
      '/apis/gateway.example.com/v1/aigates',
      '/apis/apps/v1/deployments',
      '/api/v1/services',
      '/apis/networking.k8s.io/v1/ingresses',
      '/apis/discovery.k8s.io/v1/endpointslices',
    ]);
  });

  test('a namespaced run also lists Services and EndpointSlices of the other namespaces a spec references', async () => {
    const spec = { gatewayClassName: 'envoy', endpoints: [{ name: 'remote', serviceRef: { name: 'llm', namespace: 'models' } }] };
    const g = synthesized('gw', NS, spec);
    h.api.put(g.cr);
    h.api.put(withRollout(g.deployment));
    h.api.put(g.service);
    for (const o of upstream('llm', 'models')) h.api.put(o);
    await h.run();
    expect(brief('gw').Degraded).toBe('False/UpstreamsAvailable');
    expect(h.api.count({ method: 'GET', path: '/api/v1/namespaces/models/services' })).toBe(1);
    expect(h.api.count({ method: 'GET', path: '/apis/discovery.k8s.io/v1/namespaces/models/endpointslices' })).toBe(1);
  });

  test('--dry-run computes every status and writes nothing', async () => {
    healthy(h.api, 'gw', NS);
    const result = await h.run({ dryRun: true });
    expect(result.gateways.map((g) => g.outcome)).toEqual(['would-patch']);
    expect(result.gateways[0].status!.conditions[0]).toMatchObject({ type: 'Ready', status: 'True' });
    expect(h.api.count({ path: STATUS_PATH })).toBe(0);
    expect(statusOf(h.api, NS, 'gw')).toEqual({});
  });

  test('no gateways: one LIST and nothing else', async () => {
    const result = await h.run();
    expect(result).toEqual({ ok: true, gateways: [], readFailures: [] });
    expect(h.api.requests.map((r) => r.path)).toEqual([`/apis/gateway.example.com/v1/namespaces/${NS}/aigates`]);
  });

  test('the gateway with its written status is valid against the generated CRD schema and CEL rules', async () => {
    healthy(h.api, 'gw', NS);
    await h.run();
    const cr = h.api.get(`aigate/${NS}/gw`)!;
    expect(Object.keys(cr.status as object).sort()).toEqual(['address', 'conditions', 'deployedModels', 'lastReconciledTime', 'observedGeneration']);
    expect(schemaProblems(cr)).toEqual([]);
  });
});
