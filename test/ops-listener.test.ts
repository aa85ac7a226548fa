import { readFileSync } from 'fs';
import { join } from 'path';
import { ADMIN_CLUSTER, adminCluster, ENVOY_PORTS, envoyConfig, OPS_LISTENER, opsListener, PUBLIC_LISTENER } from '../src/envoy';
import { validateSpec } from '../src/spec';
import { assertValidEnvoyConfig, checkEnvoyMessage, selectRoute } from './support/envoy';

const FIXTURES = join(__dirname, 'fixtures', 'envoy');
const golden = (name: string) => JSON.parse(readFileSync(join(FIXTURES, name), 'utf8'));

function specWith(observability: { metrics?: boolean } = {}) {
  const result = validateSpec({ gatewayClassName: 'envoy', endpoints: [{ name: 'local', serviceRef: { name: 'llama' } }], observability });
  if (!result.ok) throw new Error('fixture spec is invalid');
  return result.value;
}

/** Which route of the ops listener a request takes (Envoy's matching, from the shared oracle). */
function routeFor(listener: any, method: string, path: string) {
  const hcm = listener.filter_chains[0].filters[0].typed_config;
  return selectRoute(hcm.route_config, { path, method, authority: 'pod-ip:19001' });
}

const reachesAdmin = (listener: any, method: string, path: string) => routeFor(listener, method, path)?.cluster === ADMIN_CLUSTER;

describe('ops listener', () => {
  test('matches its golden output (metrics on and off) and the admin cluster its golden', () => {
    expect(opsListener(specWith())).toEqual(golden('ops-listener.metrics-on.json'));
    expect(opsListener(specWith({ metrics: false }))).toEqual(golden('ops-listener.metrics-off.json'));
    expect(adminCluster()).toEqual(golden('admin-cluster.json'));
  });

  test('forwards only GET /ready and GET /stats/prometheus to the admin interface', () => {
    const listener = opsListener(specWith());
    expect(reachesAdmin(listener, 'GET', '/ready')).toBe(true);
    expect(reachesAdmin(listener, 'GET', '/stats/prometheus')).toBe(true);
    expect(reachesAdmin(listener, 'GET', '/stats/prometheus?usedonly')).toBe(true);
  });

  test.each([
    ['GET', '/'],
    ['GET', '/stats'],
    ['GET', '/stats?format=json'],
    ['GET', '/config_dump'],
    ['GET', '/clusters'],
    ['GET', '/certs'],
    ['GET', '/ready/'],
    ['GET', '/READY'],
    ['GET', '/stats/prometheus/extra'],
    ['POST', '/quitquitquit'],
    ['POST', '/healthcheck/fail'],
    ['POST', '/drain_listeners'],
    ['POST', '/logging?level=trace'],
    ['POST', '/ready'],
    ['HEAD', '/stats/prometheus'],
  ])('answers %s %s with 404 and never reaches the admin interface', (method, path) => {
    const selection = routeFor(opsListener(specWith()), method, path);
    expect(selection?.directResponse).toEqual({ status: 404 });
    expect(selection?.cluster).toBeUndefined();
  });

  test('GET /livez (liveness) is answered 200 by the ops listener itself, so the drain, which fails /ready, never fails it', () => {
    const selection = routeFor(opsListener(specWith()), 'GET', '/livez');
    expect(selection?.directResponse).toEqual({ status: 200 });
    expect(routeFor(opsListener(specWith()), 'POST', '/livez')?.directResponse).toEqual({ status: 404 });
  });

  test('with metrics off, /stats/prometheus is a 404 as well', () => {
    const listener = opsListener(specWith({ metrics: false }));
    expect(reachesAdmin(listener, 'GET', '/ready')).toBe(true);
    expect(routeFor(listener, 'GET', '/stats/prometheus')?.directResponse).toEqual({ status: 404 });
  });

  test('normalizes paths and rejects escaped slashes before matching, so /ready/../config_dump cannot pass', () => {
    const hcm = (opsListener(specWith()) as any).filter_chains[0].filters[0].typed_config;
    expect(hcm).toMatchObject({ normalize_path: true, merge_slashes: true, path_with_escaped_slashes_action: 'REJECT_REQUEST' });
  });
});

describe('bootstrap with the ops listener', () => {
  const { bootstrap } = envoyConfig(specWith(), { gatewayName: 'gw', namespace: 'ai-apps' }) as { bootstrap: any };
  const listeners = bootstrap.static_resources.listeners;

  test('keeps admin on 127.0.0.1 and adds the ops listener next to the public one, each on its own port', () => {
    expect(bootstrap.admin.address.socket_address).toEqual({ address: '127.0.0.1', port_value: ENVOY_PORTS.admin });
    expect(listeners.map((l: any) => [l.name, l.address.socket_address.port_value])).toEqual([
      [PUBLIC_LISTENER, ENVOY_PORTS.http],
      [OPS_LISTENER, ENVOY_PORTS.ops],
    ]);
    expect(new Set(Object.values(ENVOY_PORTS)).size).toBe(Object.values(ENVOY_PORTS).length);
  });

  test('the admin cluster is the only way to 127.0.0.1, and only the ops listener routes to it', () => {
    const clusters = bootstrap.static_resources.clusters;
    const loopback = clusters.filter((c: any) => JSON.stringify(c.load_assignment).includes('"127.0.0.1"'));
    expect(loopback.map((c: any) => c.name)).toEqual([ADMIN_CLUSTER]);
    const publicRoutes = JSON.stringify(listeners.find((l: any) => l.name === PUBLIC_LISTENER));
    expect(publicRoutes).not.toContain(ADMIN_CLUSTER);
  });

  test('passes the strict proto (v3 fields, no deprecated ones) and semantic checks, with metrics on and off', () => {
    assertValidEnvoyConfig(bootstrap);
    assertValidEnvoyConfig(envoyConfig(specWith({ metrics: false }), { gatewayName: 'gw' }).bootstrap);
    expect(checkEnvoyMessage('envoy.config.listener.v3.Listener', opsListener(specWith()))).toEqual([]);
  });

  test('every route of the ops listener names a cluster that exists', () => {
    const names = new Set(bootstrap.static_resources.clusters.map((c: any) => c.name));
    const ops = listeners.find((l: any) => l.name === OPS_LISTENER);
    for (const route of ops.filter_chains[0].filters[0].typed_config.route_config.virtual_hosts[0].routes) {
      if (route.route) expect(names.has(route.route.cluster)).toBe(true);
    }
  });
});
