import type { Endpoint, EnvoyOptions, Json } from './types';
import { typed } from './util';

const ROUTER = 'envoy.extensions.filters.http.router.v3.Router';
const DOWNSTREAM_CONNECTIONS = 'envoy.extensions.resource_monitors.downstream_connections.v3.DownstreamConnectionsConfig';
const FIXED_HEAP = 'envoy.extensions.resource_monitors.fixed_heap.v3.FixedHeapConfig';

/**
 * The router of every HTTP connection manager. `suppress_envoy_headers`: no x-envoy-* headers to
 * clients (x-envoy-upstream-service-time tells them about our upstreams) or to upstreams
 * (x-envoy-expected-rq-timeout-ms and friends tell providers about our settings).
 */
export const ROUTER_FILTER: Json = { name: 'envoy.filters.http.router', typed_config: typed(ROUTER, { suppress_envoy_headers: true }) };

/**
 * HCM settings every listener that answers clients shares: the upstream's `server` header passes
 * through (Envoy's own replies carry none) instead of "server: envoy" naming the proxy; an internal
 * listener's hop must do the same, or its "envoy" would pass through the public one.
 */
export const HIDE_SERVER: Json = { server_header_transformation: 'PASS_THROUGH' };

/**
 * Public HCM settings about paths and client addresses.
 * - `path_with_escaped_slashes_action: REJECT_REQUEST`: "/v1%2Fembeddings" would not match a Path
 *   rule "/v1/embeddings" but an upstream that decodes %2F would serve it as one, so a rule could be
 *   sidestepped. A 400 rather than UNESCAPE_AND_REDIRECT: API clients do not follow redirects of
 *   POSTs, and no OpenAI-style API needs an escaped slash in the path.
 * - `xff_num_trusted_hops: 1` behind the Ingress: the Envoy peer is the ingress controller pod;
 *   ingress-nginx appends the address it saw to X-Forwarded-For, so that last entry (one trusted
 *   hop) is the client, and anything a client wrote before it is ignored. Without an Ingress no
 *   proxy is trusted (0), so a client cannot choose its logged address.
 */
export function pathAndClientAddress(behindIngress: boolean): Json {
  return {
    path_with_escaped_slashes_action: 'REJECT_REQUEST',
    ...(behindIngress && { xff_num_trusted_hops: 1 }),
  };
}

/**
 * How long an idle upstream connection is kept: shorter than the upstream's own keep-alive, so
 * Envoy closes it first and never sends a request on a connection the upstream is closing (the
 * request would fail with a reset, a 503 "UC"). In-cluster model servers are often uvicorn
 * (vLLM: 5 s keep-alive by default), so 4 s; a reconnect inside the cluster is cheap. External
 * providers sit behind load balancers whose idle limit is typically 60 s or more (AWS ALB: 60 s),
 * so 50 s keeps their (TLS) connections warm between requests.
 */
export function upstreamIdleTimeout(endpoint: Endpoint): string {
  return endpoint.url ? '50s' : '4s';
}

/** Connections the public listener holds at most per pod (long streams each keep one open). */
export const MAX_DOWNSTREAM_CONNECTIONS = 10000;

/** Heap the overload manager allows when the construct does not say (80% of the default 512 MiB limit). */
export const DEFAULT_MAX_HEAP_BYTES = 429496729;

/**
 * Overload manager: at most MAX_DOWNSTREAM_CONNECTIONS connections (Envoy warns without a limit;
 * over it new connections are refused), and near the heap limit free memory (95%) then refuse new
 * requests with 503 (98%) instead of being OOM-killed with every stream on the pod.
 */
export function overloadManager(options: EnvoyOptions): Json {
  const heap = 'envoy.resource_monitors.fixed_heap';
  return {
    refresh_interval: '0.25s',
    resource_monitors: [
      {
        name: 'envoy.resource_monitors.global_downstream_max_connections',
        typed_config: typed(DOWNSTREAM_CONNECTIONS, { max_active_downstream_connections: MAX_DOWNSTREAM_CONNECTIONS }),
      },
      { name: heap, typed_config: typed(FIXED_HEAP, { max_heap_size_bytes: options.maxHeapBytes ?? DEFAULT_MAX_HEAP_BYTES }) },
    ],
    actions: [
      { name: 'envoy.overload_actions.shrink_heap', triggers: [{ name: heap, threshold: { value: 0.95 } }] },
      { name: 'envoy.overload_actions.stop_accepting_requests', triggers: [{ name: heap, threshold: { value: 0.98 } }] },
    ],
  };
}
