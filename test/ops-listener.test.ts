import { readFileSync } from 'fs';
import { join } from 'path';
import { ADMIN_CLUSTER, adminCluster, ENVOY_PORTS, envoyConfig, OPS_LISTENER, opsListener, PUBLIC_LISTENER } from '../src/envoy';
import { validateSpec } from '../src/spec';

const FIXTURES = join(__dirname, 'fixtures', 'envoy');
const golden = (name: string) => JSON.parse(readFileSync(join(FIXTURES, name), 'utf8'));

function specWith(observability: { metrics?: boolean } = {}) {
  const result = validateSpec({ gatewayClassName: 'envoy', endpoints: [{ name: 'local', serviceRef: { name: 'llama' } }], observability });
  if (!result.ok) throw new Error('fixture spec is invalid');
  return result.value;
}

/**
 * Which route of the ops listener a request takes, by the matchers this listener uses (exact
 * path after the query is removed, prefix, exact header). Any other matcher fails the test, so
 * the evaluation can never silently skip a condition.
 */
function routeFor(listener: any, method: string, pathAndQuery: string): any {
  const hcm = listener.filter_chains[0].filters[0].typed_config;
  const path = pathAndQuery.split('?')[0];
  for (const route of hcm.route_config.virtual_hosts[0].routes) {
    const { match } = route;
    const known = new Set(['path', 'prefix', 'headers']);
    for (const key of Object.keys(match)) if (!known.has(key)) throw new Error(`evaluator does not know matcher ${key}`);
    if (match.path !== undefined && path !== match.path) continue;
    if (match.prefix !== undefined && !path.startsWith(match.prefix)) continue;
    const headers: Record<string, string> = { ':method': method, ':path': pathAndQuery };
    const headersMatch = (match.headers ?? []).every((h: any) => {
      if (Object.keys(h).some((k) => !['name', 'string_match'].includes(k)) || Object.keys(h.string_match).join() !== 'exact') {
        throw new Error(`evaluator does not know header matcher ${JSON.stringify(h)}`);
      }
      return headers[h.name] === h.string_match.exact;
    });
    if (headersMatch) return route;
  }
  return undefined;
}

const reachesAdmin = (listener: any, method: string, path: string) => routeFor(listener, method, path)?.route?.cluster === ADMIN_CLUSTER;

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
    const route = routeFor(opsListener(specWith()), method, path);
    expect(route.direct_response).toEqual({ status: 404 });
    expect(route.route).toBeUndefined();
  });

  test('with metrics off, /stats/prometheus is a 404 as well', () => {
    const listener = opsListener(specWith({ metrics: false }));
    expect(reachesAdmin(listener, 'GET', '/ready')).toBe(true);
    expect(routeFor(listener, 'GET', '/stats/prometheus').direct_response).toEqual({ status: 404 });
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

  test('every route of the ops listener names a cluster that exists', () => {
    const names = new Set(bootstrap.static_resources.clusters.map((c: any) => c.name));
    const ops = listeners.find((l: any) => l.name === OPS_LISTENER);
    for (const route of ops.filter_chains[0].filters[0].typed_config.route_config.virtual_hosts[0].routes) {
      if (route.route) expect(names.has(route.route.cluster)).toBe(true);
    }
  });
});
