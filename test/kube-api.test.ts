/**
 * The kube-api emulator, driven over real HTTP by @kubernetes/client-node 1.4 (the reconcile job's client).
 */
import * as k8s from '@kubernetes/client-node';
import { customResourceDefinition as aigateTestCrd } from '../src/spec';
import { KubeApi, KubeObject, startKubeApi } from './support/kube-api/server';

const G = 'gateway.example.com';
const V = 'v1';
const P = 'aigates';
const MERGE = k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch);
const JSON_PATCH = k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.JsonPatch);

function aigate(name: string, namespace: string, labels: Record<string, string> = {}, spec: Record<string, unknown> = { endpoints: [] }): KubeObject {
  return { apiVersion: `${G}/${V}`, kind: 'AIGatewayResource', metadata: { name, namespace, labels }, spec };
}

function clients(api: KubeApi, token?: string) {
  const kc = new k8s.KubeConfig();
  kc.loadFromString(api.kubeconfig(token ? { token } : {}));
  return {
    kc,
    custom: kc.makeApiClient(k8s.CustomObjectsApi),
    core: kc.makeApiClient(k8s.CoreV1Api),
    apps: kc.makeApiClient(k8s.AppsV1Api),
    net: kc.makeApiClient(k8s.NetworkingV1Api),
    disc: kc.makeApiClient(k8s.DiscoveryV1Api),
  };
}

/** Awaits a rejected client call and returns the ApiException's code, parsed Status body and headers. */
async function apiError(p: Promise<unknown>): Promise<{ code: number; status: Record<string, any>; headers: Record<string, string> }> {
  let err: unknown;
  try {
    await p;
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(k8s.ApiException);
  const e = err as k8s.ApiException<string>;
  expect(typeof e.body).toBe('string'); // client-node 1.4 hands back the raw response text
  return { code: e.code, status: JSON.parse(e.body), headers: e.headers };
}

const names = (list: { items: { metadata?: { name?: string; namespace?: string } }[] }) =>
  list.items.map((i) => `${i.metadata?.namespace}/${i.metadata?.name}`);

let api: KubeApi;
let c: ReturnType<typeof clients>;

beforeEach(async () => {
  api = await startKubeApi({ crds: [aigateTestCrd()] });
  c = clients(api);
});

afterEach(async () => {
  await api.close();
});

describe('LIST', () => {
  beforeEach(() => {
    api.put(aigate('b', 'team-a', { tier: 'prod', app: 'gw' }));
    api.put(aigate('a', 'team-a', { tier: 'dev', app: 'gw' }));
    api.put(aigate('c', 'team-b', { tier: 'prod' }));
  });

  test('lists aigates in one namespace, and across all namespaces via both cluster-wide calls', async () => {
    const inA = await c.custom.listNamespacedCustomObject({ group: G, version: V, namespace: 'team-a', plural: P });
    expect(inA.kind).toBe('AIGatewayResourceList');
    expect(inA.apiVersion).toBe(`${G}/${V}`);
    expect(inA.metadata.resourceVersion).toBe(api.resourceVersion);
    expect(names(inA)).toEqual(['team-a/a', 'team-a/b']);
    expect(inA.items[0].kind).toBe('AIGatewayResource');

    const all = await c.custom.listClusterCustomObject({ group: G, version: V, plural: P });
    expect(names(all)).toEqual(['team-a/a', 'team-a/b', 'team-b/c']);
    const all2 = await c.custom.listCustomObjectForAllNamespaces({ group: G, version: V, plural: P });
    expect(names(all2)).toEqual(names(all));
    expect(api.count({ method: 'GET', path: `/apis/${G}/${V}/${P}` })).toBe(2);
    expect(api.count({ method: 'GET', path: `/apis/${G}/${V}/namespaces/*/${P}` })).toBe(1);
  });

  test('label selectors: equality grammar (=, ==, !=) and comma as AND', async () => {
    const sel = async (labelSelector: string) =>
      names(await c.custom.listClusterCustomObject({ group: G, version: V, plural: P, labelSelector }));
    expect(await sel('tier=prod')).toEqual(['team-a/b', 'team-b/c']);
    expect(await sel('tier==dev')).toEqual(['team-a/a']);
    expect(await sel('app!=gw')).toEqual(['team-b/c']); // != also matches objects without the key
    expect(await sel('tier=prod,app=gw')).toEqual(['team-a/b']);
    expect(await sel('tier = prod , app == gw')).toEqual(['team-a/b']);
    expect(await sel('')).toHaveLength(3);
  });

  test('label selectors: set-based grammar (in, notin, exists, !key) on core, apps, networking and discovery kinds', async () => {
    const labels: Record<string, string>[] = [{ app: 'gw', role: 'router' }, { app: 'gw', role: 'model' }, { app: 'other' }];
    labels.forEach((l, i) => {
      const metadata = { name: `x${i}`, namespace: 'ns', labels: l };
      api.put({ apiVersion: 'v1', kind: 'Service', metadata, spec: { ports: [{ port: 80 }] } });
      api.put({ apiVersion: 'apps/v1', kind: 'Deployment', metadata, spec: { replicas: 1 } });
      api.put({ apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', metadata, spec: {} });
      api.put({ apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice', metadata, addressType: 'IPv4', endpoints: [] });
    });
    const cases: [string, string[]][] = [
      ['role in (router,model)', ['x0', 'x1']],
      ['role notin (router)', ['x1', 'x2']], // notin matches objects without the key
      ['role', ['x0', 'x1']],
      ['!role', ['x2']],
      ['app=gw,role notin (model)', ['x0']],
      ['app in (gw, other),!role', ['x2']],
    ];
    for (const [labelSelector, want] of cases) {
      const short = (l: { items: { metadata?: { name?: string } }[] }) => l.items.map((i) => i.metadata?.name);
      expect([labelSelector, short(await c.core.listNamespacedService({ namespace: 'ns', labelSelector }))]).toEqual([labelSelector, want]);
      expect(short(await c.apps.listNamespacedDeployment({ namespace: 'ns', labelSelector }))).toEqual(want);
      expect(short(await c.net.listNamespacedIngress({ namespace: 'ns', labelSelector }))).toEqual(want);
      expect(short(await c.disc.listNamespacedEndpointSlice({ namespace: 'ns', labelSelector }))).toEqual(want);
    }
    const deployments = await c.apps.listDeploymentForAllNamespaces({ labelSelector: 'app=gw' });
    expect(deployments.kind).toBe('DeploymentList');
    expect(deployments.items.map((d) => d.spec?.replicas)).toEqual([1, 1]);
  });

  test('field selectors on metadata.name and metadata.namespace', async () => {
    const f = async (fieldSelector: string) =>
      names(await c.custom.listClusterCustomObject({ group: G, version: V, plural: P, fieldSelector }));
    expect(await f('metadata.name=b')).toEqual(['team-a/b']);
    expect(await f('metadata.namespace!=team-a')).toEqual(['team-b/c']);
    expect(await f('metadata.namespace==team-a,metadata.name!=b')).toEqual(['team-a/a']);
  });

  test('fails with 400 BadRequest on an invalid label or field selector', async () => {
    for (const labelSelector of ['tier in (prod', 'tier notin ()', '=prod', 'tier=-bad-', 'a b', 'x/y/z=1']) {
      const { code, status } = await apiError(c.custom.listClusterCustomObject({ group: G, version: V, plural: P, labelSelector }));
      expect([labelSelector, code, status.kind, status.reason]).toEqual([labelSelector, 400, 'Status', 'BadRequest']);
      expect(status.message).toMatch(/unable to parse requirement/);
    }
    const { code, status } = await apiError(c.custom.listClusterCustomObject({ group: G, version: V, plural: P, fieldSelector: 'spec.foo=1' }));
    expect([code, status.reason]).toEqual([400, 'BadRequest']);
    expect(status.message).toContain('"spec.foo" is not a known field selector');
  });

  test('limit and continue page through a list', async () => {
    const first = await c.custom.listClusterCustomObject({ group: G, version: V, plural: P, limit: 2 });
    expect(names(first)).toEqual(['team-a/a', 'team-a/b']);
    expect(first.metadata.remainingItemCount).toBe(1);
    const rest = await c.custom.listClusterCustomObject({ group: G, version: V, plural: P, limit: 2, _continue: first.metadata.continue });
    expect(names(rest)).toEqual(['team-b/c']);
    expect(rest.metadata.continue).toBeUndefined();
  });
});

describe('writes', () => {
  test('create sets uid, creationTimestamp, generation 1 and a new resourceVersion, and ignores .status', async () => {
    const before = Number(api.resourceVersion);
    const created = await c.custom.createNamespacedCustomObject({
      group: G, version: V, namespace: 'ns', plural: P,
      body: { ...aigate('gw', 'ns'), status: { address: 'forged' } },
    });
    expect(created.metadata.uid).toMatch(/^[0-9a-f-]{36}$/);
    expect(created.metadata.creationTimestamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(created.metadata.generation).toBe(1);
    expect(created.metadata.resourceVersion).toBe(String(before + 1));
    expect(created.status).toBeUndefined();
    expect(api.count({ method: 'POST', status: 201 })).toBe(1);

    const dup = await apiError(c.custom.createNamespacedCustomObject({ group: G, version: V, namespace: 'ns', plural: P, body: aigate('gw', 'ns') }));
    expect([dup.code, dup.status.reason]).toEqual([409, 'AlreadyExists']);
  });

  test('merge patch: null deletes a key, lists are replaced whole, objects merge; generation follows spec changes', async () => {
    api.put(aigate('gw', 'ns', { a: '1' }, { models: ['m1', 'm2', 'm3'], routing: { strategy: 'cost', fallback: 'x' }, drop: true }));
    const start = api.get('aigate/ns/gw')!;
    const patched = await c.custom.patchNamespacedCustomObject(
      { group: G, version: V, namespace: 'ns', plural: P, name: 'gw', body: { metadata: { labels: { b: '2' } }, spec: { models: ['m9'], routing: { fallback: null }, drop: null } } },
      MERGE,
    );
    expect(patched.spec).toEqual({ models: ['m9'], routing: { strategy: 'cost' } });
    expect(patched.metadata.labels).toEqual({ a: '1', b: '2' });
    expect(patched.metadata.generation).toBe(2);
    expect(Number(patched.metadata.resourceVersion)).toBeGreaterThan(Number(start.metadata!.resourceVersion));
    expect(api.count({ method: 'PATCH', contentType: 'application/merge-patch+json' })).toBe(1);

    // A metadata-only change is a write (new resourceVersion) but not a spec change (same generation).
    const labelled = await c.custom.patchNamespacedCustomObject(
      { group: G, version: V, namespace: 'ns', plural: P, name: 'gw', body: { metadata: { labels: { a: null } } } },
      MERGE,
    );
    expect(labelled.metadata.labels).toEqual({ b: '2' });
    expect(labelled.metadata.generation).toBe(2);
    expect(labelled.metadata.resourceVersion).not.toBe(patched.metadata.resourceVersion);

    // A patch that changes nothing keeps the resourceVersion, as the real API server does.
    const noop = await c.custom.patchNamespacedCustomObject(
      { group: G, version: V, namespace: 'ns', plural: P, name: 'gw', body: { spec: { models: ['m9'] } } },
      MERGE,
    );
    expect(noop.metadata.resourceVersion).toBe(labelled.metadata.resourceVersion);
  });

  test('JSON patch: add, replace, remove and test operations', async () => {
    api.put(aigate('gw', 'ns', {}, { models: ['m1'], strategy: 'cost', old: 1 }));
    const out = await c.custom.patchNamespacedCustomObject(
      {
        group: G, version: V, namespace: 'ns', plural: P, name: 'gw',
        body: [
          { op: 'test', path: '/spec/strategy', value: 'cost' },
          { op: 'add', path: '/spec/models/-', value: 'm2' },
          { op: 'replace', path: '/spec/strategy', value: 'latency' },
          { op: 'remove', path: '/spec/old' },
          { op: 'add', path: '/metadata/labels/team~1name', value: 'x' },
        ],
      },
      JSON_PATCH,
    );
    expect(out.spec).toEqual({ models: ['m1', 'm2'], strategy: 'latency' });
    expect(out.metadata.labels).toEqual({ 'team/name': 'x' });
  });

  test('fails with 422 when a JSON patch test operation does not hold, and changes nothing', async () => {
    const put = api.put(aigate('gw', 'ns', {}, { strategy: 'cost' }));
    const { code, status } = await apiError(
      c.custom.patchNamespacedCustomObject(
        { group: G, version: V, namespace: 'ns', plural: P, name: 'gw', body: [{ op: 'test', path: '/spec/strategy', value: 'latency' }, { op: 'remove', path: '/spec' }] },
        JSON_PATCH,
      ),
    );
    expect([code, status.reason]).toEqual([422, 'Invalid']);
    expect(api.get('aigate/ns/gw')).toEqual(put);
  });

  test('fails with 422 when a custom resource is replaced without a resourceVersion', async () => {
    api.put(aigate('gw', 'ns'));
    const { code, status } = await apiError(
      c.custom.replaceNamespacedCustomObject({ group: G, version: V, namespace: 'ns', plural: P, name: 'gw', body: aigate('gw', 'ns', {}, { x: 1 }) }),
    );
    expect([code, status.reason]).toEqual([422, 'Invalid']);
    expect(status.details.causes[0].field).toBe('metadata.resourceVersion');
  });

  test('PUT with the current resourceVersion replaces the object; DELETE answers like the real API', async () => {
    const cur = api.put(aigate('gw', 'ns'));
    const replaced = await c.custom.replaceNamespacedCustomObject({
      group: G, version: V, namespace: 'ns', plural: P, name: 'gw',
      body: { ...aigate('gw', 'ns', {}, { x: 1 }), metadata: { ...cur.metadata, labels: { l: 'v' } } },
    });
    expect(replaced.spec).toEqual({ x: 1 });
    expect(replaced.metadata.generation).toBe(2);
    expect(replaced.metadata.uid).toBe(cur.metadata!.uid);

    const stale = await apiError(
      c.custom.deleteNamespacedCustomObject({ group: G, version: V, namespace: 'ns', plural: P, name: 'gw', body: { preconditions: { resourceVersion: cur.metadata!.resourceVersion } } }),
    );
    expect([stale.code, stale.status.reason]).toEqual([409, 'Conflict']);
    const dry = await apiError(c.custom.deleteNamespacedCustomObject({ group: G, version: V, namespace: 'ns', plural: P, name: 'gw', dryRun: 'All' }));
    expect(dry.code).toBe(400); // dry runs are refused, not silently persisted
    const deleted = await c.custom.deleteNamespacedCustomObject({ group: G, version: V, namespace: 'ns', plural: P, name: 'gw', body: { preconditions: { resourceVersion: replaced.metadata.resourceVersion } } });
    expect(deleted.metadata.name).toBe('gw'); // custom resources: the deleted object
    expect(api.get('aigate/ns/gw')).toBeUndefined();

    api.put({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'd', namespace: 'ns' }, spec: { replicas: 1 } });
    const st = await c.apps.deleteNamespacedDeployment({ name: 'd', namespace: 'ns' });
    expect([st.kind, st.status]).toEqual(['Status', 'Success']); // built-ins: a Success Status
    expect(api.delete('deployment/ns/d')).toBe(false);
  });
});

describe('status subresource', () => {
  test('a merge patch to /status changes only .status: spec and labels in the body are ignored, generation stays', async () => {
    const cur = api.put(aigate('gw', 'ns', { a: '1' }, { strategy: 'cost' }));
    const conditions = [{ type: 'Ready', status: 'True', reason: 'Reconciled', observedGeneration: 1 }];
    const out = await c.custom.patchNamespacedCustomObjectStatus(
      {
        group: G, version: V, namespace: 'ns', plural: P, name: 'gw',
        body: { metadata: { labels: { hijack: 'x' } }, spec: { strategy: 'hijacked' }, status: { conditions, address: 'gw.ns.svc:80' } },
      },
      MERGE,
    );
    expect(out.status).toEqual({ conditions, address: 'gw.ns.svc:80' });
    expect(out.spec).toEqual({ strategy: 'cost' });
    expect(out.metadata.labels).toEqual({ a: '1' });
    expect(out.metadata.generation).toBe(cur.metadata!.generation);
    expect(Number(out.metadata.resourceVersion)).toBe(Number(cur.metadata!.resourceVersion) + 1);
    expect(api.count({ method: 'PATCH', path: `/apis/${G}/${V}/namespaces/ns/${P}/gw/status`, contentType: 'application/merge-patch+json' })).toBe(1);

    // A merge patch replaces the conditions list whole.
    const next = await c.custom.patchNamespacedCustomObjectStatus(
      { group: G, version: V, namespace: 'ns', plural: P, name: 'gw', body: { status: { conditions: [{ type: 'Degraded', status: 'True' }], address: null } } },
      MERGE,
    );
    expect(next.status).toEqual({ conditions: [{ type: 'Degraded', status: 'True' }] });
  });

  test('writes to the main resource ignore .status; a spec change bumps generation', async () => {
    api.put({ ...aigate('gw', 'ns'), status: { address: 'kept' } });
    const out = await c.custom.patchNamespacedCustomObject(
      { group: G, version: V, namespace: 'ns', plural: P, name: 'gw', body: { spec: { strategy: 'new' }, status: { address: 'overwritten' } } },
      MERGE,
    );
    expect(out.status).toEqual({ address: 'kept' });
    expect(out.spec.strategy).toBe('new');
    expect(out.metadata.generation).toBe(2);
  });

  test('PUT to /status replaces only .status', async () => {
    const cur = api.put(aigate('gw', 'ns', {}, { strategy: 'cost' }));
    const out = await c.custom.replaceNamespacedCustomObjectStatus({
      group: G, version: V, namespace: 'ns', plural: P, name: 'gw',
      body: { ...cur, spec: { strategy: 'ignored' }, status: { address: 'a:1' } },
    });
    expect(out.status).toEqual({ address: 'a:1' });
    expect(out.spec).toEqual({ strategy: 'cost' });
    const read = await c.custom.getNamespacedCustomObjectStatus({ group: G, version: V, namespace: 'ns', plural: P, name: 'gw' });
    expect(read.status).toEqual({ address: 'a:1' });
  });

  test("fails with 400 when a status patch goes out with the client's default content type (JSON patch)", async () => {
    api.put(aigate('gw', 'ns'));
    const { code, status } = await apiError(
      c.custom.patchNamespacedCustomObjectStatus({ group: G, version: V, namespace: 'ns', plural: P, name: 'gw', body: { status: { address: 'x' } } }),
    );
    expect([code, status.reason]).toEqual([400, 'BadRequest']);
    expect(api.requests.at(-1)!.contentType).toBe('application/json-patch+json');
  });
});

describe('errors', () => {
  test('fails with 409 Conflict when a PATCH or PUT carries a stale resourceVersion', async () => {
    const v1 = api.put(aigate('gw', 'ns'));
    api.put({ ...aigate('gw', 'ns'), status: { address: 'moved on' } }); // someone else wrote
    const stale = v1.metadata!.resourceVersion;
    const patch = await apiError(
      c.custom.patchNamespacedCustomObjectStatus(
        { group: G, version: V, namespace: 'ns', plural: P, name: 'gw', body: { metadata: { resourceVersion: stale }, status: { address: 'mine' } } },
        MERGE,
      ),
    );
    expect([patch.code, patch.status.reason, patch.status.details.name]).toEqual([409, 'Conflict', 'gw']);
    expect(patch.status.message).toMatch(/Operation cannot be fulfilled on aigates.gateway.example.com "gw": the object has been modified/);
    const put = await apiError(
      c.custom.replaceNamespacedCustomObject({ group: G, version: V, namespace: 'ns', plural: P, name: 'gw', body: { ...v1, spec: { x: 1 } } }),
    );
    expect(put.code).toBe(409);
    expect(api.get('aigate/ns/gw')!.status).toEqual({ address: 'moved on' });

    const fresh = api.get('aigate/ns/gw')!.metadata!.resourceVersion;
    const ok = await c.custom.patchNamespacedCustomObjectStatus(
      { group: G, version: V, namespace: 'ns', plural: P, name: 'gw', body: { metadata: { resourceVersion: fresh }, status: { address: 'mine' } } },
      MERGE,
    );
    expect(ok.status.address).toBe('mine');
  });

  test('fails with 404 NotFound for a missing object, an unknown resource and an unknown group', async () => {
    const get = await apiError(c.custom.getNamespacedCustomObject({ group: G, version: V, namespace: 'ns', plural: P, name: 'nope' }));
    expect([get.code, get.status.reason, get.status.message]).toEqual([404, 'NotFound', 'aigates.gateway.example.com "nope" not found']);
    expect(get.status.details).toEqual({ name: 'nope', group: G, kind: P });
    const patch = await apiError(
      c.custom.patchNamespacedCustomObjectStatus({ group: G, version: V, namespace: 'ns', plural: P, name: 'nope', body: { status: {} } }, MERGE),
    );
    expect(patch.code).toBe(404);
    const dep = await apiError(c.apps.readNamespacedDeployment({ name: 'nope', namespace: 'ns' }));
    expect(dep.status.message).toBe('deployments.apps "nope" not found');
    const plural = await apiError(c.custom.listNamespacedCustomObject({ group: G, version: V, namespace: 'ns', plural: 'widgets' }));
    expect([plural.code, plural.status.message]).toEqual([404, 'the server could not find the requested resource']);
    const group = await apiError(c.custom.listClusterCustomObject({ group: 'nope.example.com', version: V, plural: P }));
    expect(group.code).toBe(404);
  });

  test('fails with 415 UnsupportedMediaType for strategic-merge and apply patches', async () => {
    api.put(aigate('gw', 'ns'));
    for (const type of [k8s.PatchStrategy.StrategicMergePatch, k8s.PatchStrategy.ServerSideApply]) {
      const { code, status } = await apiError(
        c.custom.patchNamespacedCustomObjectStatus(
          { group: G, version: V, namespace: 'ns', plural: P, name: 'gw', body: { status: { address: 'x' } } },
          k8s.setHeaderOptions('Content-Type', type),
        ),
      );
      expect([code, status.reason]).toEqual([415, 'UnsupportedMediaType']);
      expect(status.message).toContain('application/merge-patch+json');
    }
  });

  test('fails with 401 Unauthorized without the bearer token when requireToken is set', async () => {
    const secured = await startKubeApi({ requireToken: 's3cret' });
    try {
      const anon = clients(secured, 'wrong');
      const e = await anon.custom.listClusterCustomObject({ group: G, version: V, plural: P }).catch((x) => x);
      expect(e).toBeInstanceOf(k8s.ApiException);
      expect([e.code, e.body]).toEqual([401, undefined]); // client-node drops the 401 body
      const withToken = clients(secured); // kubeconfig() carries requireToken by default
      const list = await withToken.custom.listClusterCustomObject({ group: G, version: V, plural: P });
      expect(list.items).toEqual([]);
      expect(secured.count({ status: 401 })).toBe(1);
    } finally {
      await secured.close();
    }
  });
});

describe('fault injection', () => {
  test('fails with injected 429 TooManyRequests carrying Retry-After, then recovers', async () => {
    api.put(aigate('gw', 'ns'));
    api.failNext({ method: 'GET', pathPattern: `/apis/${G}/${V}/**`, status: 429, retryAfter: 3, times: 2 });
    for (let i = 0; i < 2; i++) {
      const { code, status, headers } = await apiError(c.custom.listClusterCustomObject({ group: G, version: V, plural: P }));
      expect([code, status.reason, status.details.retryAfterSeconds, headers['retry-after']]).toEqual([429, 'TooManyRequests', 3, '3']);
    }
    expect(api.pendingFaults()).toBe(0);
    const list = await c.custom.listClusterCustomObject({ group: G, version: V, plural: P });
    expect(list.items).toHaveLength(1);
    expect(api.count({ injected: true })).toBe(2);
    expect(api.count({ status: 200 })).toBe(1);
  });

  test('fails with injected 500 InternalError, 503 ServiceUnavailable and 403 Forbidden only where the fault matches', async () => {
    api.put(aigate('gw', 'ns'));
    api.failNext({ method: 'PATCH', pathPattern: /\/status$/, status: 500 });
    api.failNext({ method: 'GET', pathPattern: '/apis/apps/v1/namespaces/*/deployments', status: 503, retryAfter: 1 });
    api.failNext({ method: 'GET', pathPattern: '/api/v1/**', status: 403, message: 'services is forbidden: User "system:serviceaccount:ns:job" cannot list resource "services"' });

    // A GET of the aigate matches none of the faults.
    await c.custom.getNamespacedCustomObject({ group: G, version: V, namespace: 'ns', plural: P, name: 'gw' });
    const s500 = await apiError(c.custom.patchNamespacedCustomObjectStatus({ group: G, version: V, namespace: 'ns', plural: P, name: 'gw', body: { status: { address: 'x' } } }, MERGE));
    expect([s500.code, s500.status.reason]).toEqual([500, 'InternalError']);
    expect(api.get('aigate/ns/gw')!.status).toBeUndefined(); // the failed write did not land
    const s503 = await apiError(c.apps.listNamespacedDeployment({ namespace: 'ns' }));
    expect([s503.code, s503.status.reason, s503.headers['retry-after']]).toEqual([503, 'ServiceUnavailable', '1']);
    const s403 = await apiError(c.core.listNamespacedService({ namespace: 'ns' }));
    expect([s403.code, s403.status.reason]).toEqual([403, 'Forbidden']);
    expect(s403.status.message).toContain('cannot list resource "services"');
    expect(api.pendingFaults()).toBe(0);
  });

  test('fails with a client-side timeout when a response is delayed past it (the write still lands afterwards)', async () => {
    api.put(aigate('gw', 'ns'));
    api.failNext({ method: 'PATCH', delayMs: 600 });
    const timeout = (ms: number) => ({
      middleware: [
        {
          pre: (ctx: k8s.RequestContext) => {
            ctx.setSignal(AbortSignal.timeout(ms));
            return new k8s.Observable(Promise.resolve(ctx));
          },
          post: (rsp: k8s.ResponseContext) => new k8s.Observable(Promise.resolve(rsp)),
        },
      ],
      middlewareMergeStrategy: 'append' as const,
    });
    const opts = k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch, timeout(150));
    const started = Date.now();
    const err = await c.custom
      .patchNamespacedCustomObjectStatus({ group: G, version: V, namespace: 'ns', plural: P, name: 'gw', body: { status: { address: 'late' } } }, opts)
      .catch((e) => e);
    expect(Date.now() - started).toBeLessThan(550);
    expect(err).not.toBeInstanceOf(k8s.ApiException);
    expect(err.name).toBe('AbortError');
    expect(api.requests.at(-1)).toMatchObject({ method: 'PATCH', status: 0, injected: true });
    await new Promise((r) => setTimeout(r, 700));
    expect(api.requests.at(-1)!.status).toBe(200);
    expect(api.get('aigate/ns/gw')!.status).toEqual({ address: 'late' });
  });
});

describe('request log', () => {
  test('records method, path, query, content type, status and body; count filters; resetRequests clears', async () => {
    api.put(aigate('gw', 'ns', { app: 'gw' }));
    api.put({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'gw', namespace: 'ns', labels: { app: 'gw' } }, spec: {} });
    await c.custom.listClusterCustomObject({ group: G, version: V, plural: P });
    await c.core.listNamespacedService({ namespace: 'ns', labelSelector: 'app=gw' });
    await c.custom.patchNamespacedCustomObjectStatus({ group: G, version: V, namespace: 'ns', plural: P, name: 'gw', body: { status: { address: 'a' } } }, MERGE);
    await c.custom.patchNamespacedCustomObjectStatus({ group: G, version: V, namespace: 'ns', plural: P, name: 'gw', body: { status: { address: 'b' } } }, MERGE);

    expect(api.requests.map((r) => `${r.method} ${r.path} ${r.status}`)).toEqual([
      `GET /apis/${G}/${V}/${P} 200`,
      'GET /api/v1/namespaces/ns/services 200',
      `PATCH /apis/${G}/${V}/namespaces/ns/${P}/gw/status 200`,
      `PATCH /apis/${G}/${V}/namespaces/ns/${P}/gw/status 200`,
    ]);
    expect(api.requests[1].query).toEqual({ labelSelector: 'app=gw' });
    expect(api.requests[3].body).toEqual({ status: { address: 'b' } });
    expect(api.count({ method: 'patch' })).toBe(2);
    expect(api.count({ path: '/apis/**/status' })).toBe(2);
    expect(api.count({ method: 'GET', path: /services$/ })).toBe(1);
    expect(api.count((r) => r.query.labelSelector === 'app=gw')).toBe(1);
    api.resetRequests();
    expect(api.count()).toBe(0);
  });
});

describe('watch', () => {
  test('streams ADDED/MODIFIED/DELETED through client-node Watch, turning a change of selector match into ADDED/DELETED', async () => {
    api.put(aigate('pre', 'ns', { app: 'gw' }));
    const events: string[] = [];
    const watch = new k8s.Watch(c.kc);
    const req = await watch.watch(`/apis/${G}/${V}/namespaces/ns/${P}`, { labelSelector: 'app=gw' }, (type, obj) => {
      events.push(`${type} ${obj.metadata.name}`);
    }, () => undefined);
    const until = async (n: number) => {
      for (let i = 0; i < 100 && events.length < n; i++) await new Promise((r) => setTimeout(r, 20));
    };
    await until(1);
    api.put(aigate('new', 'ns', { app: 'gw' }));
    api.put(aigate('other', 'ns', { app: 'other' })); // never matches
    api.put({ ...aigate('new', 'ns', { app: 'gw' }), status: { address: 'x' } });
    api.put(aigate('pre', 'ns', { app: 'moved' })); // leaves the selector
    api.delete('aigate/ns/new');
    await until(5);
    req.abort();
    expect(events).toEqual(['ADDED pre', 'ADDED new', 'MODIFIED new', 'DELETED pre', 'DELETED new']);
    expect(api.count({ watch: true })).toBe(1);
  });

  test('a watch from the current resourceVersion answers its headers at once and then streams later writes', async () => {
    api.put(aigate('gw', 'ns'));
    const events: string[] = [];
    const watch = new k8s.Watch(c.kc);
    // watch() resolves once the response headers arrive: with nothing to replay, the server must still send them.
    let timer: NodeJS.Timeout | undefined;
    const req = await Promise.race([
      watch.watch(`/apis/${G}/${V}/${P}`, { resourceVersion: api.resourceVersion }, (type, obj) => events.push(`${type} ${obj.metadata.name} ${obj.status?.address}`), () => undefined),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error('watch headers not sent')), 2000);
      }),
    ]).finally(() => clearTimeout(timer));
    await c.custom.patchNamespacedCustomObjectStatus({ group: G, version: V, namespace: 'ns', plural: P, name: 'gw', body: { status: { address: 'a' } } }, MERGE);
    for (let i = 0; i < 100 && events.length < 1; i++) await new Promise((r) => setTimeout(r, 20));
    req.abort();
    expect(events).toEqual(['MODIFIED gw a']);
  });

  test('fails with a 410 Expired ERROR event when watching from a resourceVersion older than the kept history', async () => {
    const first = api.put(aigate('gw', 'ns'));
    for (let i = 0; i < 1001; i++) api.put({ ...aigate('gw', 'ns'), status: { n: i } });
    const events: { type: string; obj: any }[] = [];
    let ended = false;
    const watch = new k8s.Watch(c.kc);
    await watch.watch(`/apis/${G}/${V}/${P}`, { resourceVersion: first.metadata!.resourceVersion }, (type, obj) => events.push({ type, obj }), () => {
      ended = true;
    });
    for (let i = 0; i < 100 && !ended; i++) await new Promise((r) => setTimeout(r, 20));
    expect(events.map((e) => [e.type, e.obj.code, e.obj.reason])).toEqual([['ERROR', 410, 'Expired']]);
  });
});
