/**
 * The kube-api emulator's building blocks (merge/JSON patch, selectors, JSONPath, ages) and the raw HTTP
 * answers a typed client does not show (Table, PartialObjectMetadata, discovery, 405/406).
 */
import { customResourceDefinition as aigateTestCrd } from '../src/spec';
import { jsonPatch, mergePatch } from './support/kube-api/patch';
import { matchesLabels, parseFieldSelector, parseLabelSelector } from './support/kube-api/selectors';
import { startKubeApi } from './support/kube-api/server';
import { evalJsonPath, humanDuration, parseJsonPath } from './support/kube-api/table';

describe('mergePatch (RFC 7386 appendix A)', () => {
  const vectors: [unknown, unknown, unknown][] = [
    [{ a: 'b' }, { a: 'c' }, { a: 'c' }],
    [{ a: 'b' }, { b: 'c' }, { a: 'b', b: 'c' }],
    [{ a: 'b' }, { a: null }, {}],
    [{ a: 'b', b: 'c' }, { a: null }, { b: 'c' }],
    [{ a: ['b'] }, { a: 'c' }, { a: 'c' }],
    [{ a: 'c' }, { a: ['b'] }, { a: ['b'] }],
    [{ a: { b: 'c' } }, { a: { b: 'd', c: null } }, { a: { b: 'd' } }],
    [{ a: [{ b: 'c' }] }, { a: [1] }, { a: [1] }],
    [['a', 'b'], ['c', 'd'], ['c', 'd']],
    [{ a: 'b' }, ['c'], ['c']],
    [{ a: 'foo' }, null, null],
    [{ a: 'foo' }, 'bar', 'bar'],
    [{ e: null }, { a: 1 }, { e: null, a: 1 }],
    [[1, 2], { a: 'b', c: null }, { a: 'b' }],
    [{}, { a: { bb: { ccc: null } } }, { a: { bb: {} } }],
  ];
  test.each(vectors)('%j + %j', (target, patch, want) => {
    expect(mergePatch(target, patch)).toEqual(want);
  });

  test('does not modify its inputs', () => {
    const target = { a: { b: 1 } };
    mergePatch(target, { a: { b: null } });
    expect(target).toEqual({ a: { b: 1 } });
  });
});

describe('jsonPatch (RFC 6902)', () => {
  test('add, remove, replace, move, copy and test, with ~0/~1 escapes', () => {
    const doc = { foo: ['bar', 'baz'], 'a/b': 1, 'm~n': 2, obj: { x: 1 } };
    const out = jsonPatch(doc, [
      { op: 'add', path: '/foo/1', value: 'qux' },
      { op: 'remove', path: '/a~1b' },
      { op: 'replace', path: '/m~0n', value: 3 },
      { op: 'move', from: '/obj/x', path: '/moved' },
      { op: 'copy', from: '/foo/0', path: '/copied' },
      { op: 'test', path: '/foo', value: ['bar', 'qux', 'baz'] },
    ]);
    expect(out).toEqual({ foo: ['bar', 'qux', 'baz'], 'm~n': 3, obj: {}, moved: 1, copied: 'bar' });
    expect(doc.foo).toEqual(['bar', 'baz']);
  });

  test.each([
    ['a failing test', [{ op: 'test', path: '/a', value: 2 }], 422],
    ['a missing parent', [{ op: 'add', path: '/x/y', value: 1 }], 422],
    ['replace of a missing key', [{ op: 'replace', path: '/nope', value: 1 }], 422],
    ['remove out of bounds', [{ op: 'remove', path: '/list/5' }], 422],
    ['an unknown op', [{ op: 'frobnicate', path: '/a' }], 400],
    ['a body that is not an array', { op: 'add' }, 400],
  ])('fails on %s', (_name, ops, code) => {
    expect(() => jsonPatch({ a: 1, list: [] }, ops)).toThrow(expect.objectContaining({ code }));
  });
});

describe('label selectors', () => {
  const labels = { app: 'gw', tier: 'prod', 'example.com/team': 'ai', n: '5' };
  test.each([
    ['app=gw', true],
    ['app==gw,tier=prod', true],
    ['app!=gw', false],
    ['missing!=x', true],
    ['tier in (dev, prod)', true],
    ['tier notin (prod)', false],
    ['missing notin (x)', true],
    ['example.com/team', true],
    ['!example.com/team', false],
    ['!missing', true],
    ['n>4,n<6', true],
    ['n>5', false],
    ['app=', false],
    ['', true],
  ])('%s → %s', (sel, want) => {
    expect(matchesLabels(parseLabelSelector(sel), labels)).toBe(want);
  });

  test.each(['app=gw,', 'app in prod', 'app in (a', '(app)', 'app=a=b', 'n>x', 'Bad_Prefix/x', `${'k'.repeat(64)}`, 'app=a b'])(
    'fails to parse %j',
    (sel) => {
      expect(() => parseLabelSelector(sel)).toThrow(/unable to parse requirement/);
    },
  );

  test('field selectors allow metadata.name and metadata.namespace only', () => {
    expect(parseFieldSelector('metadata.name=a\\,b,metadata.namespace!=x', true)).toEqual([
      { field: 'metadata.name', equal: true, value: 'a,b' },
      { field: 'metadata.namespace', equal: false, value: 'x' },
    ]);
    expect(() => parseFieldSelector('status.phase=Running', false)).toThrow('field label not supported: status.phase');
  });
});

describe('printer-column JSONPath and ages', () => {
  const obj = { status: { conditions: [{ type: 'Synced', status: 'True' }, { type: 'Ready', status: 'False' }], models: ['a', 'b'] }, metadata: { labels: { 'app.kubernetes.io/name': 'gw' } } };
  test.each([
    ['.status.conditions[?(@.type=="Ready")].status', ['False']],
    ['.status.conditions[?(@.type!="Ready")].type', ['Synced']],
    ['.status.conditions[0].type', ['Synced']],
    ['.status.conditions[-1].type', ['Ready']],
    ['.status.conditions[*].type', ['Synced', 'Ready']],
    ['.status.models', [['a', 'b']]],
    ['.metadata.labels.app\\.kubernetes\\.io/name', ['gw']],
    ["{.metadata.labels['app.kubernetes.io/name']}", ['gw']],
    ['.status.missing.deeper', []],
  ])('%s', (path, want) => {
    expect(evalJsonPath(parseJsonPath(path), obj)).toEqual(want);
  });

  test('fails on JSONPath the emulator does not implement (registerCrd rejects it)', async () => {
    expect(() => parseJsonPath('.items[?(@.a > 1)]')).toThrow(/unsupported JSONPath/);
    const api = await startKubeApi();
    try {
      const crd = aigateTestCrd() as any;
      crd.spec.versions[0].additionalPrinterColumns = [{ name: 'X', type: 'string', jsonPath: '.a..b' }];
      expect(() => api.registerCrd(crd)).toThrow(/unsupported JSONPath/);
    } finally {
      await api.close();
    }
  });

  test.each([
    [0, '0s'], [-1500, '0s'], [-3000, '<invalid>'], [119e3, '119s'], [125e3, '2m5s'], [600e3, '10m'],
    [179 * 60e3, '179m'], [3 * 3600e3, '3h'], [(3 * 60 + 5) * 60e3, '3h5m'], [8 * 3600e3, '8h'],
    [49 * 3600e3, '2d1h'], [8 * 86400e3, '8d'], [800 * 86400e3, '2y70d'], [3000 * 86400e3, '8y'],
  ])('humanDuration(%d ms) = %s', (ms, want) => {
    expect(humanDuration(ms)).toBe(want);
  });
});

describe('raw HTTP', () => {
  const j = async (res: Response | Promise<Response>): Promise<any> => (await res).json();
  const T0 = new Date('2030-01-01T00:00:00Z');
  let now = T0;

  async function withApi(fn: (url: string, api: Awaited<ReturnType<typeof startKubeApi>>) => Promise<void>, crd = true) {
    const api = await startKubeApi({ crds: crd ? [aigateTestCrd()] : [], now: () => now });
    try {
      await fn(api.url, api);
    } finally {
      await api.close();
    }
  }

  const TABLE = 'application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json';

  test('a Table LIST carries the CRD columns, typed cells, ages and PartialObjectMetadata rows', () =>
    withApi(async (url, api) => {
      now = T0;
      api.put({ apiVersion: 'gateway.example.com/v1', kind: 'AIGatewayResource', metadata: { name: 'gw', namespace: 'ns' }, spec: { modelRouting: { strategy: 'cost' } }, status: { conditions: [{ type: 'Ready', status: 'True' }], deployedModels: ['m'] } });
      now = new Date(T0.getTime() + 125e3);
      const res = await fetch(`${url}/apis/gateway.example.com/v1/namespaces/ns/aigates`, { headers: { accept: TABLE } });
      expect(res.headers.get('content-type')).toBe('application/json;as=Table;v=v1;g=meta.k8s.io');
      const table = await j(res);
      expect(table.kind).toBe('Table');
      expect(table.apiVersion).toBe('meta.k8s.io/v1');
      expect(table.metadata.resourceVersion).toBe(api.resourceVersion);
      expect(table.columnDefinitions.map((c: any) => [c.name, c.type, c.priority])).toEqual([
        ['Name', 'string', 0], ['Ready', 'string', 0], ['Address', 'string', 0], ['Models', 'string', 0], ['Strategy', 'string', 1], ['Age', 'date', 0],
      ]);
      expect(table.rows[0].cells).toEqual(['gw', 'True', null, '["m"]', 'cost', '2m5s']);
      expect(table.rows[0].object).toMatchObject({ kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: { name: 'gw', namespace: 'ns' } });
      expect(table.rows[0].object.spec).toBeUndefined();

      const full = await j(fetch(`${url}/apis/gateway.example.com/v1/namespaces/ns/aigates/gw?includeObject=Object`, { headers: { accept: TABLE } }));
      expect(full.rows[0].object.spec).toEqual({ modelRouting: { strategy: 'cost' } });
      const bad = await fetch(`${url}/apis/gateway.example.com/v1/namespaces/ns/aigates?includeObject=Everything`, { headers: { accept: TABLE } });
      expect(bad.status).toBe(400);
    }));

  test('without a registered CRD a Table has Name and Age only; built-in kinds too', () =>
    withApi(async (url, api) => {
      api.put({ apiVersion: 'gateway.example.com/v1', kind: 'AIGatewayResource', metadata: { name: 'gw', namespace: 'ns' }, spec: {} });
      api.put({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'svc', namespace: 'ns' }, spec: {} });
      for (const path of ['/apis/gateway.example.com/v1/aigates', '/api/v1/namespaces/ns/services']) {
        const table = await j(fetch(`${url}${path}`, { headers: { accept: TABLE } }));
        expect(table.columnDefinitions.map((c: any) => c.name)).toEqual(['Name', 'Age']);
      }
    }, false));

  test('PartialObjectMetadataList, and fails with 406 when only unsupported media types are acceptable', () =>
    withApi(async (url, api) => {
      api.put({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'd', namespace: 'ns' }, spec: { replicas: 1 } });
      const pom = await j(fetch(`${url}/apis/apps/v1/deployments`, { headers: { accept: 'application/json;as=PartialObjectMetadataList;v=v1;g=meta.k8s.io' } }));
      expect(pom.kind).toBe('PartialObjectMetadataList');
      expect(pom.items[0].metadata.name).toBe('d');
      const res = await fetch(`${url}/apis/apps/v1/deployments`, { headers: { accept: 'application/vnd.kubernetes.protobuf' } });
      expect(res.status).toBe(406);
      expect((await j(res)).reason).toBe('NotAcceptable');
    }));

  test('built-in list items carry no apiVersion/kind; custom resource items do', () =>
    withApi(async (url, api) => {
      api.put({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'd', namespace: 'ns' }, spec: {} });
      api.put({ apiVersion: 'gateway.example.com/v1', kind: 'AIGatewayResource', metadata: { name: 'gw', namespace: 'ns' }, spec: {} });
      const deps = await j(fetch(`${url}/apis/apps/v1/namespaces/ns/deployments`));
      expect([deps.kind, deps.apiVersion, deps.items[0].kind]).toEqual(['DeploymentList', 'apps/v1', undefined]);
      const gws = await j(fetch(`${url}/apis/gateway.example.com/v1/namespaces/ns/aigates`));
      expect(gws.items[0].kind).toBe('AIGatewayResource');
    }));

  test('discovery lists the served resources with shortNames, categories and status subresources', () =>
    withApi(async (url) => {
      const get = (p: string) => j(fetch(`${url}${p}`));
      expect((await get('/api')).versions).toEqual(['v1']);
      const groups = (await get('/apis')).groups.map((g: any) => g.name);
      expect(groups).toEqual(expect.arrayContaining(['apps', 'networking.k8s.io', 'discovery.k8s.io', 'gateway.example.com']));
      const core = await get('/api/v1');
      expect(core.resources.find((r: any) => r.name === 'services').shortNames).toEqual(['svc']);
      const gw = await get('/apis/gateway.example.com/v1');
      expect(gw.resources.map((r: any) => r.name)).toEqual(['aigates', 'aigates/status']);
      expect(gw.resources[0]).toMatchObject({ singularName: 'aigate', namespaced: true, kind: 'AIGatewayResource', categories: ['ai'] });
      expect((await get('/version')).minor).toBe('32');
      expect((await fetch(`${url}/apis/nope.example.com/v1`)).status).toBe(404);
    }));

  test('fails with 405 for a verb the path does not serve, and 404 for an unknown subresource', () =>
    withApi(async (url, api) => {
      api.put({ apiVersion: 'gateway.example.com/v1', kind: 'AIGatewayResource', metadata: { name: 'gw', namespace: 'ns' }, spec: {} });
      const post = await fetch(`${url}/apis/gateway.example.com/v1/aigates`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
      expect([post.status, (await j(post)).reason]).toEqual([405, 'MethodNotAllowed']);
      expect((await fetch(`${url}/apis/gateway.example.com/v1/namespaces/ns/aigates/gw/scale`)).status).toBe(404);
      expect((await fetch(`${url}/api/v1/namespaces/ns/services/x/status`, { method: 'DELETE' })).status).toBe(405); // status has get/patch/update only
      expect((await fetch(`${url}/apis/discovery.k8s.io/v1/namespaces/ns/endpointslices/x/status`)).status).toBe(404); // no status subresource
    }));
});
