import { ENVOY_PORTS, type Json, type Spec } from './types';

const HCM = 'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager';
const ROUTER = 'type.googleapis.com/envoy.extensions.filters.http.router.v3.Router';

/** Listener that the kubelet and Prometheus reach; the admin interface itself stays on 127.0.0.1. */
export const OPS_LISTENER = 'ops';
/** Static cluster pointing at the loopback admin address; only the ops routes use it. */
export const ADMIN_CLUSTER = 'envoy-admin';

/** The only paths the ops listener forwards to the admin interface. */
export const OPS_PATHS = {
  /** Admin `/ready`: 200 while the server is LIVE, 503 while initializing or after `/healthcheck/fail`. */
  ready: '/ready',
  /** Admin Prometheus exposition. */
  metrics: '/stats/prometheus',
  /**
   * Liveness: 200 from the ops listener itself (a worker serves HTTP), in every server state. Not
   * /ready: the pre-stop drain fails /ready on purpose, and a liveness probe on it would have the
   * kubelet kill the pod in the middle of its drain.
   */
  live: '/livez',
} as const;

/** Exact path, GET only: a query string cannot select another admin handler, and no method mutates. */
const getOnly = (path: string): Json => ({ path, headers: [{ name: ':method', string_match: { exact: 'GET' } }] });

function adminRoute(name: string, path: string, timeout: string): Json {
  return { name, match: getOnly(path), route: { cluster: ADMIN_CLUSTER, timeout } };
}

/** Routes of the ops listener: readiness, liveness, metrics when enabled, a 404 for everything else. */
export function opsRoutes(spec: Spec): Json {
  const routes: Json[] = [
    adminRoute('ready', OPS_PATHS.ready, '2s'),
    { name: 'live', match: getOnly(OPS_PATHS.live), direct_response: { status: 200 } },
  ];
  if (spec.observability.metrics) routes.push(adminRoute('metrics', OPS_PATHS.metrics, '10s'));
  routes.push({ name: 'not-found', match: { prefix: '/' }, direct_response: { status: 404 } });
  return { name: OPS_LISTENER, virtual_hosts: [{ name: OPS_LISTENER, domains: ['*'], routes }] };
}

/**
 * The ops listener on ENVOY_PORTS.ops: probes and metrics without exposing the admin interface.
 * Paths are normalized and slashes merged before matching, so "/ready/../config_dump" or
 * "//stats/prometheus" cannot reach another handler; the stat prefix keeps its requests out of
 * the public listener's counters (which the pre-stop drain reads).
 */
export function opsListener(spec: Spec): Json {
  return {
    name: OPS_LISTENER,
    address: { socket_address: { address: '0.0.0.0', port_value: ENVOY_PORTS.ops } },
    filter_chains: [
      {
        filters: [
          {
            name: 'envoy.filters.network.http_connection_manager',
            typed_config: {
              '@type': HCM,
              stat_prefix: OPS_LISTENER,
              codec_type: 'AUTO',
              normalize_path: true,
              merge_slashes: true,
              path_with_escaped_slashes_action: 'REJECT_REQUEST',
              route_config: opsRoutes(spec),
              http_filters: [{ name: 'envoy.filters.http.router', typed_config: { '@type': ROUTER } }],
            },
          },
        ],
      },
    ],
  };
}

/** STATIC cluster to the admin interface on 127.0.0.1 (never reachable from outside the pod). */
export function adminCluster(): Json {
  return {
    name: ADMIN_CLUSTER,
    type: 'STATIC',
    connect_timeout: '1s',
    load_assignment: {
      cluster_name: ADMIN_CLUSTER,
      endpoints: [{ lb_endpoints: [{ endpoint: { address: { socket_address: { address: '127.0.0.1', port_value: ENVOY_PORTS.admin } } } }] }],
    },
  };
}
