import { upstreamAddress } from './clusters';
import { HIDE_SERVER, ROUTER_FILTER } from './hardening';
import { clusterName, ENDPOINT_HEADER, fallbackClusterName, internalListenerName, viaClusterName } from './names';
import type { Endpoint, EnvoyOptions, Json, Spec } from './types';
import { attemptBounds, NO_ROUTE_TIMEOUT, streamIdleTimeout } from './upstream-timing';
import { setHeader, typed } from './util';

/**
 * Fallback endpoints (priority failover) with each endpoint keeping its own upstream settings.
 *
 * Why not an aggregate cluster: Envoy runs the upstream HTTP filters of the cluster the *route*
 * names (envoyproxy/envoy#29318), so behind an aggregate every member would get the first
 * member's credentials, and one route cannot rewrite Host and path per member. Instead, every
 * member endpoint gets an internal listener (in-process, no socket) whose route sends to the
 * endpoint's own cluster with its own TLS, credentials, Host and path; the route of an endpoint
 * with fallbacks targets a priority cluster whose hosts are those listeners: priority 0 is the
 * endpoint, 1 its first fallback, and so on.
 *
 * "Down" is decided by passive health checking (OUTLIER_DETECTION) on that cluster: a member
 * whose requests fail 3 times in a row (5xx answers, or 502/503/504 from failing to connect,
 * resets, timeouts) is ejected for 30 s (longer each time again), and its priority's traffic moves
 * to the next member; that happens with retries.attempts 0 too (the failing requests themselves
 * then reach the client). A failing request (connect failure, 500/502/503, and a provider's 429
 * rate limit; never a timeout, see upstream-timing.ts) is retried when retries.attempts > 0 on the
 * next priority at once (previous_priorities), never on the host that just failed.
 */
export const OUTLIER_DETECTION: Json = {
  consecutive_5xx: 3,
  consecutive_gateway_failure: 3,
  enforcing_consecutive_gateway_failure: 100,
  interval: '5s',
  base_ejection_time: '30s',
  // One host per priority: it must be ejectable, or failover never happens.
  max_ejection_percent: 100,
};

/**
 * Retries of a priority cluster are failovers, and must not overflow. Envoy's default allows 3
 * concurrent retries per cluster (max_retries), so while the primary is down and not yet ejected,
 * 30 concurrent requests see most of their failovers refused (the primary's 503, flag UO). A
 * retry budget does not help: it is a share of the requests active *upstream*, and a request
 * waiting for its retry's backoff is not, so a burst of failures sees the budget's floor. So
 * max_retries equals max_requests (Envoy's default, 1024): every request the cluster admits may be
 * failing over at once, and no more. That cannot amplify load on the failing member: a retry goes
 * to another priority (previous_priorities), never back to the host that failed.
 */
export const MAX_CONCURRENT_REQUESTS = 1024;
export const FAILOVER_CIRCUIT_BREAKERS: Json = {
  thresholds: [{ priority: 'DEFAULT', max_requests: MAX_CONCURRENT_REQUESTS, max_retries: MAX_CONCURRENT_REQUESTS }],
};

const HCM = 'envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager';
const INTERNAL_LISTENER = 'envoy.extensions.bootstrap.internal_listener.v3.InternalListener';

export const hasFallbacks = (endpoint: Endpoint) => endpoint.fallbackEndpoints.length > 0;

const internalAddress = (name: string) => ({ envoy_internal_address: { server_listener_name: internalListenerName(name) } });

/** The endpoints a request for `endpoint` may reach, in priority order. */
export function fallbackGroup(endpoint: Endpoint, spec: Spec): Endpoint[] {
  const byName = new Map(spec.endpoints.map((e) => [e.name, e]));
  return [endpoint, ...endpoint.fallbackEndpoints.map((f) => byName.get(f)!)];
}

/**
 * Route action of the internal hop: the endpoint's own cluster, Host, path and silence bound (its
 * own timeout, which may be shorter than the group's on the outer route; upstream-timing.ts). No
 * retries here: the outer route retries, on the next priority.
 */
export function endpointHop(endpoint: Endpoint, options: EnvoyOptions): Json {
  const address = upstreamAddress(endpoint, options);
  return {
    cluster: clusterName(endpoint.name),
    timeout: NO_ROUTE_TIMEOUT,
    retry_policy: { num_retries: 0, ...attemptBounds([endpoint]) },
    ...(address.authority && { host_rewrite_literal: address.authority }),
    ...(address.basePath && { prefix_rewrite: `${address.basePath}/` }),
  };
}

/** An endpoint's internal listener: everything it receives goes to the endpoint as configured. */
export function internalListener(endpoint: Endpoint, options: EnvoyOptions, localReplyConfig: Json, namesEndpoint: boolean): Json {
  const name = internalListenerName(endpoint.name);
  return {
    // Envoy >= 1.37 refuses an address next to internal_listener: the name is the address.
    name,
    internal_listener: {},
    filter_chains: [
      {
        filters: [
          {
            name: 'envoy.filters.network.http_connection_manager',
            typed_config: typed(HCM, {
              stat_prefix: name,
              codec_type: 'AUTO',
              route_config: {
                name,
                virtual_hosts: [
                  {
                    name,
                    domains: ['*'],
                    routes: [
                      {
                        name,
                        match: { prefix: '/' },
                        route: endpointHop(endpoint, options),
                        // The member that really answered (the outer route only adds it if absent).
                        ...(namesEndpoint && { response_headers_to_add: [setHeader(ENDPOINT_HEADER, endpoint.name)] }),
                      },
                    ],
                  },
                ],
              },
              http_filters: [ROUTER_FILTER],
              ...HIDE_SERVER,
              request_timeout: '0s',
              // Longer than the hop's router bound, as on the public listener (upstream-timing.ts).
              stream_idle_timeout: streamIdleTimeout([endpoint]),
              // Request ids and forwarding headers were set by the public listener.
              generate_request_id: false,
              local_reply_config: localReplyConfig,
            }),
          },
        ],
      },
    ],
  };
}

/** A static cluster whose hosts are endpoints' internal listeners, one priority per endpoint, in order. */
function internalListenersCluster(name: string, members: Endpoint[]): Json {
  return {
    name,
    type: 'STATIC',
    connect_timeout: '1s',
    lb_policy: 'ROUND_ROBIN',
    load_assignment: {
      cluster_name: name,
      endpoints: members.map((member, priority) => ({
        ...(priority > 0 && { priority }),
        lb_endpoints: [{ endpoint: { address: internalAddress(member.name) } }],
      })),
    },
  };
}

/** The priority cluster of an endpoint with fallbacks: its members' internal listeners. */
export function fallbackCluster(endpoint: Endpoint, spec: Spec): Json {
  return {
    ...internalListenersCluster(fallbackClusterName(endpoint.name), fallbackGroup(endpoint, spec)),
    outlier_detection: OUTLIER_DETECTION,
    circuit_breakers: FAILOVER_CIRCUIT_BREAKERS,
  };
}

/** A single-host cluster to an endpoint's internal listener (a Weighted share that needs its own path). */
export function viaCluster(endpoint: Endpoint): Json {
  return internalListenersCluster(viaClusterName(endpoint.name), [endpoint]);
}

/** The bootstrap extension that internal listeners need. */
export const INTERNAL_LISTENER_EXTENSION: Json = {
  name: 'envoy.bootstrap.internal_listener',
  typed_config: typed(INTERNAL_LISTENER),
};
