/**
 * The status computation as a pure function of (gateway, observed objects, now): no API, no
 * clock. Objects come from real synth output (renderGateway), so hashes and labels are real.
 */
import { readFileSync } from 'fs';
import { join } from 'path';
import { parseAllDocuments } from 'yaml';
import { renderGateway } from '../src/constructs';
import { clusterView, computeStatus, needsPatch, applied, type GatewayObject, type Snapshot, type StatusPatch } from '../src/reconcile';
import { hashOf, validateSpec } from '../src/spec';
import { statusSchema } from '../src/spec/status';
import { SPEC, synthesized, upstream, withRollout, type GatewayObjects } from './support/reconcile-fixtures';
import type { KubeObject } from './support/kube-api/server';

const NS = 'ai';
const T0 = new Date('2025-06-01T10:00:00Z');
const T1 = new Date('2025-06-01T10:01:00Z');

type Lists = { deployments?: KubeObject[]; services?: KubeObject[]; ingresses?: KubeObject[]; endpointSlices?: KubeObject[] };
type Failures = Partial<Record<keyof Lists, string>>;

/** A ClusterView over objects as one namespaced run would have listed them (or failed to). */
function view(lists: Lists, failed: Failures = {}) {
  const listing = (kind: keyof Lists) => [
    { namespace: NS, listing: failed[kind] ? { ok: false as const, error: failed[kind]! } : { ok: true as const, items: (lists[kind] ?? []) as never[] } },
  ];
  const snapshot: Snapshot = {
    deployments: listing('deployments'),
    services: listing('services'),
    ingresses: listing('ingresses'),
    endpointSlices: listing('endpointSlices'),
  };
  return clusterView(snapshot);
}

const upstreams = () => [...upstream('openai-proxy', NS), ...upstream('claude-proxy', NS, { port: 8080 })];
const split = (objects: KubeObject[]) => ({
  services: objects.filter((o) => o.kind === 'Service'),
  endpointSlices: objects.filter((o) => o.kind === 'EndpointSlice'),
});

/** Everything up: a rolled-out Deployment, the gateway Service, ready upstreams. */
function healthyLists(g: GatewayObjects, extra: KubeObject[] = []): Lists {
  const { services, endpointSlices } = split([...upstreams(), ...extra]);
  return { deployments: [withRollout(g.deployment)], services: [g.service, ...services], endpointSlices, ingresses: g.ingress ? [g.ingress] : [] };
}

/** The custom resource as the API server serves it: generation 1, and the status given. */
const gw = (g: GatewayObjects, status?: unknown): GatewayObject => {
  const cr = JSON.parse(JSON.stringify(g.cr));
  return { ...cr, metadata: { generation: 1, ...cr.metadata }, ...(status !== undefined && { status }) };
};
const cond = (s: StatusPatch, type: string) => s.conditions.find((c) => c.type === type)!;
const brief = (s: StatusPatch) => Object.fromEntries(s.conditions.map((c) => [c.type, `${c.status}/${c.reason}`]));

describe('computeStatus: Ready and Progressing follow the Deployment rollout', () => {
  const g = synthesized('gw', NS);

  test('a fresh gateway (no Deployment yet) is not Ready and Progressing', () => {
    const s = computeStatus(gw(g), view({ services: split(upstreams()).services, endpointSlices: split(upstreams()).endpointSlices }), T0);
    expect(brief(s)).toMatchObject({ Ready: 'False/DeploymentNotFound', Progressing: 'True/WaitingForDeployment' });
    expect(cond(s, 'Ready').message).toContain('Deployment ai/gw');
    expect(s.address).toBeNull(); // no Service either
  });

  test.each([
    ['the controller has not seen the new generation', { observedGeneration: 0 }, /not yet observed generation 1/],
    ['1 of 2 replicas updated', { updated: 1, total: 2, available: 1 }, /1 of 2 replicas updated/],
    ['an old pod still terminating', { updated: 2, total: 3, available: 2 }, /1 old replica pending termination/],
    ['updated but not yet available', { updated: 2, total: 2, available: 1 }, /1 of 2 updated replicas available/],
  ])('a rollout in progress (%s) is Progressing and not Ready', (_name, rollout, message) => {
    const lists = healthyLists(g);
    lists.deployments = [withRollout(g.deployment, rollout)];
    const s = computeStatus(gw(g), view(lists), T0);
    expect(brief(s)).toMatchObject({ Ready: 'False/RollingOut', Progressing: 'True/RollingOut' });
    expect(cond(s, 'Progressing').message).toMatch(message);
  });

  test('a complete rollout on the synthesized config is Ready', () => {
    const s = computeStatus(gw(g), view(healthyLists(g)), T0);
    expect(brief(s)).toEqual({ Ready: 'True/Available', Progressing: 'False/RolloutComplete', Degraded: 'False/UpstreamsAvailable', Synced: 'True/InSync' });
    expect(cond(s, 'Ready').observedGeneration).toBe(1);
    expect(s.observedGeneration).toBe(1);
    expect(statusSchema.safeParse(applied(s)).success).toBe(true);
  });

  test('fails Ready (ConfigMismatch) when the Deployment runs another config than the gateway was synthesized with', () => {
    const lists = healthyLists(g);
    const d = withRollout(g.deployment) as any;
    d.spec.template.metadata.annotations['gateway.example.com/config-hash'] = '0000000000000000';
    lists.deployments = [d];
    const s = computeStatus(gw(g), view(lists), T0);
    expect(brief(s)).toMatchObject({ Ready: 'False/ConfigMismatch', Progressing: 'False/RolloutComplete' });
    expect(cond(s, 'Ready').message).toContain('0000000000000000');
  });

  test('fails Ready when the Deployment controller gave up (ProgressDeadlineExceeded)', () => {
    const lists = healthyLists(g);
    const d = withRollout(g.deployment, { updated: 1, total: 2, available: 1 }) as any;
    d.status.conditions = [{ type: 'Progressing', status: 'False', reason: 'ProgressDeadlineExceeded', message: 'ReplicaSet "gw-7d9" has timed out progressing.' }];
    lists.deployments = [d];
    expect(brief(computeStatus(gw(g), view(lists), T0))).toMatchObject({ Ready: 'False/ProgressDeadlineExceeded', Progressing: 'False/ProgressDeadlineExceeded' });
  });

  test('a Deployment scaled to zero is not Ready and not Progressing', () => {
    const lists = healthyLists(g);
    const d = withRollout(g.deployment) as any;
    d.spec.replicas = 0;
    d.status = { observedGeneration: 1 };
    lists.deployments = [d];
    expect(brief(computeStatus(gw(g), view(lists), T0))).toMatchObject({ Ready: 'False/ScaledToZero', Progressing: 'False/ScaledToZero' });
  });

  test('finds the Deployment by the gateway label, not by name alone', () => {
    const lists = healthyLists(g);
    const d = withRollout(g.deployment) as any;
    delete d.metadata.labels['gateway.example.com/gateway'];
    lists.deployments = [d];
    expect(cond(computeStatus(gw(g), view(lists), T0), 'Ready').reason).toBe('DeploymentNotFound');
  });
});

describe('computeStatus: Degraded and deployedModels follow the upstream Services', () => {
  const g = synthesized('gw', NS);

  test('fails Degraded (UpstreamServiceNotFound) when a referenced Service does not exist; its models are not deployed', () => {
    const lists = healthyLists(g);
    lists.services = lists.services!.filter((s) => s.metadata!.name !== 'claude-proxy');
    const s = computeStatus(gw(g), view(lists), T0);
    expect(brief(s).Degraded).toBe('True/UpstreamServiceNotFound');
    expect(cond(s, 'Degraded').message).toContain('endpoint claude: Service ai/claude-proxy does not exist');
    expect(cond(s, 'Degraded').message).toContain('not checked from inside the cluster: mistral (external)');
    expect(s.deployedModels).toEqual(['gpt-4o', 'gpt-4o-mini', 'mistral-large']);
    expect(brief(s).Ready).toBe('True/Available'); // Ready is about Envoy itself
  });

  test('no models are deployed while no Envoy replica is available, however ready the upstreams are', () => {
    const lists = healthyLists(g);
    expect(computeStatus(gw(g), view(lists), T0).deployedModels).toHaveLength(4);
    lists.deployments = [withRollout(g.deployment, { updated: 2, available: 0 })];
    expect(computeStatus(gw(g), view(lists), T0).deployedModels).toEqual([]);
    lists.deployments = [];
    expect(computeStatus(gw(g, { deployedModels: ['gpt-4o'] }), view(lists), T0).deployedModels).toEqual([]);
  });

  test('fails Degraded (NoReadyEndpoints) when a Service has only unready endpoints', () => {
    const lists = healthyLists(g);
    const { services, endpointSlices } = split([...upstream('openai-proxy', NS, { ready: 0, notReady: 2 }), ...upstream('claude-proxy', NS, { port: 8080 })]);
    Object.assign(lists, { services: [g.service, ...services], endpointSlices });
    const s = computeStatus(gw(g), view(lists), T0);
    expect(brief(s).Degraded).toBe('True/NoReadyEndpoints');
    expect(cond(s, 'Degraded').message).toContain('Service ai/openai-proxy has no ready endpoints for port 80');
    expect(s.deployedModels).toEqual(['claude-3', 'mistral-large']);
  });

  test('fails Degraded (NoReadyEndpoints) when a Service has no EndpointSlice at all', () => {
    const lists = healthyLists(g);
    lists.endpointSlices = lists.endpointSlices!.filter((e) => e.metadata!.labels!['kubernetes.io/service-name'] !== 'claude-proxy');
    expect(brief(computeStatus(gw(g), view(lists), T0)).Degraded).toBe('True/NoReadyEndpoints');
  });

  test('fails Degraded (UpstreamPortNotFound) when the Service lacks the referenced port', () => {
    const lists = healthyLists(g);
    const { services, endpointSlices } = split([...upstream('openai-proxy', NS), ...upstream('claude-proxy', NS, { port: 9090 })]);
    Object.assign(lists, { services: [g.service, ...services], endpointSlices });
    const s = computeStatus(gw(g), view(lists), T0);
    expect(brief(s).Degraded).toBe('True/UpstreamPortNotFound');
    expect(cond(s, 'Degraded').message).toContain('has no port 8080 (it has: 9090)');
  });

  test('two kinds of problems at once are UpstreamsUnavailable, each named in the message', () => {
    const lists = healthyLists(g);
    const { services, endpointSlices } = split(upstream('openai-proxy', NS, { ready: 0 }));
    Object.assign(lists, { services: [g.service, ...services], endpointSlices });
    const s = computeStatus(gw(g), view(lists), T0);
    expect(brief(s).Degraded).toBe('True/UpstreamsUnavailable');
    expect(cond(s, 'Degraded').message).toMatch(/openai: .*no ready endpoints.*claude: .*does not exist/);
  });

  test('counts endpoints whose ready condition is unset as ready (discovery.k8s.io/v1 semantics)', () => {
    const lists = healthyLists(g);
    for (const slice of lists.endpointSlices as any[]) slice.endpoints = [{ addresses: ['10.0.0.9'], conditions: {} }];
    expect(brief(computeStatus(gw(g), view(lists), T0)).Degraded).toBe('False/UpstreamsAvailable');
  });

  test('an ExternalName Service is not checked (like an external URL)', () => {
    const lists = healthyLists(g);
    const claude = lists.services!.find((s) => s.metadata!.name === 'claude-proxy') as any;
    claude.spec = { type: 'ExternalName', externalName: 'claude.example.com' };
    lists.endpointSlices = lists.endpointSlices!.filter((e) => e.metadata!.labels!['kubernetes.io/service-name'] !== 'claude-proxy');
    const s = computeStatus(gw(g), view(lists), T0);
    expect(brief(s).Degraded).toBe('False/UpstreamsAvailable');
    expect(cond(s, 'Degraded').message).toContain('claude, mistral (external)');
    expect(s.deployedModels).toContain('claude-3');
  });

  test('a Service in another namespace is looked up there', () => {
    const spec = { ...SPEC, endpoints: [{ name: 'remote', serviceRef: { name: 'llm', namespace: 'models' } }], modelRouting: { strategy: 'RequestBody', defaultTargetEndpoint: 'remote' } };
    const g2 = synthesized('gw', NS, spec);
    const remote = upstream('llm', 'models');
    const snapshot: Snapshot = {
      deployments: [{ namespace: NS, listing: { ok: true, items: [withRollout(g2.deployment) as never] } }],
      services: [
        { namespace: NS, listing: { ok: true, items: [g2.service as never] } },
        { namespace: 'models', listing: { ok: true, items: [remote[0] as never] } },
      ],
      ingresses: [{ namespace: NS, listing: { ok: true, items: [] } }],
      endpointSlices: [
        { namespace: NS, listing: { ok: true, items: [] } },
        { namespace: 'models', listing: { ok: true, items: [remote[1] as never] } },
      ],
    };
    const s = computeStatus(gw(g2), clusterView(snapshot), T0);
    expect(brief(s).Degraded).toBe('False/UpstreamsAvailable');
    expect(s.deployedModels).toEqual(['remote']);
  });
});

describe('computeStatus: Synced compares the in-cluster spec with the synthesized one', () => {
  const g = synthesized('gw', NS);

  test('every example, as synthesized, is InSync: the in-cluster spec normalizes and hashes to its spec-hash', () => {
    const text = readFileSync(join(__dirname, '..', 'examples', 'basic-gateway.yaml'), 'utf8');
    for (const doc of parseAllDocuments(text)) {
      const { metadata, spec } = doc.toJS();
      const cr = renderGateway({ metadata, spec }).objects.find((o: any) => o.kind === 'AIGatewayResource') as any;
      // Through JSON, as the API server stores and serves it.
      const served = JSON.parse(JSON.stringify(cr));
      const v = validateSpec(served.spec);
      expect(v.ok && hashOf(v.value)).toBe(served.metadata.annotations['gateway.example.com/spec-hash']);
    }
    expect(brief(computeStatus(gw(g), view(healthyLists(g)), T0)).Synced).toBe('True/InSync');
  });

  test('fails Synced (SpecDrift) when the spec was edited in the cluster; Degraded is Unknown and deployedModels keeps the last value', () => {
    const before = computeStatus(gw(g), view(healthyLists(g)), T0);
    const edited = gw(g, applied(before)) as any;
    edited.spec.endpoints[0].models = ['gpt-5'];
    edited.metadata.generation = 2;
    const s = computeStatus(edited, view(healthyLists(g)), T1);
    expect(brief(s)).toMatchObject({ Synced: 'False/SpecDrift', Degraded: 'Unknown/SpecDrift', Ready: 'True/Available' });
    expect(cond(s, 'Synced').message).toContain(g.cr.metadata!.annotations!['gateway.example.com/spec-hash']);
    expect(cond(s, 'Synced').message).toContain('without re-running aigate synth');
    expect(s.deployedModels).toEqual(before.deployedModels); // not gpt-5: that model is not deployed
    expect(s.observedGeneration).toBe(2);
  });

  test('fails Synced (InvalidSpec) with the validation messages when the in-cluster spec is invalid', () => {
    const broken = gw(g) as any;
    broken.spec.modelRouting.defaultTargetEndpoint = 'nowhere';
    broken.spec.endpoints[1].retries.attempts = 99;
    const s = computeStatus(broken, view(healthyLists(g)), T0);
    expect(brief(s)).toMatchObject({ Synced: 'False/InvalidSpec', Degraded: 'Unknown/InvalidSpec' });
    const message = cond(s, 'Synced').message;
    expect(message).toContain('2 problems');
    expect(message).toContain('spec.modelRouting.defaultTargetEndpoint');
    expect(message).toContain('spec.endpoints[1].retries.attempts');
    expect(statusSchema.safeParse(applied(s)).success).toBe(true);
  });

  test('a gateway without the spec-hash annotation is Synced Unknown', () => {
    const bare = gw(g) as any;
    delete bare.metadata.annotations['gateway.example.com/spec-hash'];
    expect(brief(computeStatus(bare, view(healthyLists(g)), T0)).Synced).toBe('Unknown/SpecHashMissing');
  });
});

describe('computeStatus: address', () => {
  test('is the Ingress load balancer hostname or IP when it has one', () => {
    const g = synthesized('gw', NS, SPEC, 'llm.example.com');
    const lists = healthyLists(g);
    expect(computeStatus(gw(g), view(lists), T0).address).toBe('gw.ai.svc:80'); // no load balancer yet
    lists.ingresses = [{ ...g.ingress!, status: { loadBalancer: { ingress: [{ hostname: 'lb-123.elb.example.com' }] } } }];
    expect(computeStatus(gw(g), view(lists), T0).address).toBe('lb-123.elb.example.com');
    lists.ingresses = [{ ...g.ingress!, status: { loadBalancer: { ingress: [{ ip: '203.0.113.7' }] } } }];
    expect(computeStatus(gw(g), view(lists), T0).address).toBe('203.0.113.7');
  });

  test('is the Service DNS name and port without an Ingress, and removed (null) when the Service is gone', () => {
    const g = synthesized('gw', NS);
    const lists = healthyLists(g);
    expect(computeStatus(gw(g), view(lists), T0).address).toBe('gw.ai.svc:80');
    lists.services = lists.services!.filter((s) => s !== g.service);
    expect(computeStatus(gw(g, { address: 'gw.ai.svc:80' }), view(lists), T0).address).toBeNull();
  });
});

describe('computeStatus: conditions over time and failed reads', () => {
  const g = synthesized('gw', NS);

  test('lastTransitionTime changes only when a condition status changes', () => {
    const first = computeStatus(gw(g), view(healthyLists(g)), T0);
    const again = computeStatus(gw(g, applied(first)), view(healthyLists(g)), T1);
    expect(again.conditions.map((c) => c.lastTransitionTime)).toEqual(first.conditions.map(() => '2025-06-01T10:00:00Z'));
    expect(needsPatch(applied(first), again, T1, 600000)).toBe(false);

    const lists = healthyLists(g);
    lists.deployments = [withRollout(g.deployment, { updated: 1, total: 2, available: 1 })];
    const rolling = computeStatus(gw(g, applied(first)), view(lists), T1);
    expect(cond(rolling, 'Ready')).toMatchObject({ status: 'False', lastTransitionTime: '2025-06-01T10:01:00Z' });
    expect(cond(rolling, 'Synced').lastTransitionTime).toBe('2025-06-01T10:00:00Z');
    expect(needsPatch(applied(first), rolling, T1, 600000)).toBe(true);
  });

  test('a changed reason or message with the same status keeps lastTransitionTime', () => {
    const lists = healthyLists(g);
    lists.deployments = [withRollout(g.deployment, { updated: 0, total: 2, available: 2 })];
    const first = computeStatus(gw(g), view(lists), T0);
    lists.deployments = [withRollout(g.deployment, { updated: 1, total: 2, available: 1 })];
    const next = computeStatus(gw(g, applied(first)), view(lists), T1);
    expect(cond(next, 'Ready').message).not.toBe(cond(first, 'Ready').message);
    expect(cond(next, 'Ready').lastTransitionTime).toBe('2025-06-01T10:00:00Z');
  });

  test('a failed Deployment read keeps Ready as it was (ObservationFailed) instead of flipping it', () => {
    const first = computeStatus(gw(g), view(healthyLists(g)), T0);
    const s = computeStatus(gw(g, applied(first)), view(healthyLists(g), { deployments: 'list deployments failed: 403 Forbidden' }), T1);
    expect(cond(s, 'Ready')).toMatchObject({ status: 'True', reason: 'ObservationFailed', lastTransitionTime: '2025-06-01T10:00:00Z', observedGeneration: 1 });
    expect(cond(s, 'Ready').message).toContain('403 Forbidden');
    expect(cond(s, 'Progressing')).toMatchObject({ status: 'False', reason: 'ObservationFailed' });
    expect(cond(s, 'Degraded').reason).toBe('UpstreamsAvailable'); // other reads still count
  });

  test('a failed read with no previous condition is Unknown, and address and deployedModels keep their last values', () => {
    const failed = view(healthyLists(g), { deployments: 'boom', services: 'list services failed: 503 ServiceUnavailable', ingresses: 'x' });
    const s = computeStatus(gw(g, { address: 'old.example.com', deployedModels: ['m1'] }), failed, T0);
    expect(brief(s)).toMatchObject({ Ready: 'Unknown/ObservationFailed', Degraded: 'Unknown/ObservationFailed' });
    expect(s.address).toBe('old.example.com');
    expect(s.deployedModels).toEqual(['m1']);
  });

  test('conditions of other types, written by someone else, are kept', () => {
    const foreign = { type: 'example.com/Audited', status: 'True', lastTransitionTime: '2025-01-01T00:00:00Z', reason: 'Checked', message: '' };
    const s = computeStatus(gw(g, { conditions: [foreign] }), view(healthyLists(g)), T0);
    expect(s.conditions.map((c) => c.type)).toEqual(['Ready', 'Progressing', 'Degraded', 'Synced', 'example.com/Audited']);
  });

  test('needsPatch: an unchanged status is patched again once lastReconciledTime is older than the heartbeat', () => {
    const first = computeStatus(gw(g), view(healthyLists(g)), T0);
    const later = new Date(T0.getTime() + 600000);
    const again = computeStatus(gw(g, applied(first)), view(healthyLists(g)), later);
    expect(needsPatch(applied(first), again, new Date(T0.getTime() + 599000), 600000)).toBe(false);
    expect(needsPatch(applied(first), again, later, 600000)).toBe(true);
  });
});
