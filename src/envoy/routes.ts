import { upstreamAddress } from './clusters';
import { fallbackGroup, hasFallbacks } from './fallback';
import { luaReadsEndpointHeader } from './lua';
import { ENDPOINT_HEADER, MODEL_HEADER, ROUTE_CONFIG, USAGE_HEADERS, VIRTUAL_HOST } from './names';
import { routeCluster, weightedPlan } from './topology';
import type { Endpoint, EnvoyOptions, Json, Spec } from './types';
import { type PlannedMatch, type PlannedRoute, routePlan } from './route-plan';
import { NO_ROUTE_TIMEOUT, retryPolicy } from './upstream-timing';
import { setHeader } from './util';

/**
 * Timeouts and retries of a route to `endpoint` that may reach `reachable` (upstream-timing.ts):
 * no bound on the whole exchange, per-attempt bounds on silence, no retry of a timed-out attempt.
 */
function upstreamTiming(endpoint: Endpoint, reachable: Endpoint[]): Json {
  return { timeout: NO_ROUTE_TIMEOUT, retry_policy: retryPolicy(endpoint, reachable, hasFallbacks(endpoint)) };
}

/**
 * Path rewrite: the prefix of a Path rule with stripPrefix is removed (never by default: rule
 * "/v1/chat" must reach vLLM as "/v1/chat/completions"), and an external URL's path is put in
 * front (`basePath`; "" when an internal listener adds it, or there is none). "/openai/v1/chat"
 * with a stripPrefix rule "/openai" and url "https://host/api" becomes "/api/v1/chat".
 */
function pathRewrite(basePath: string, matchedPrefix?: string): Json {
  const prefix = matchedPrefix?.replace(/\/+$/, '') ?? '';
  if (prefix !== '') return { regex_rewrite: { pattern: { regex: `^${re2Escape(prefix)}/*` }, substitution: `${basePath}/` } };
  // Prepend, whatever the route matched: prefix_rewrite would replace a Path rule's prefix
  // ("/ext/v1/chat" with rule "/ext" became "/api//v1/chat").
  return basePath ? { regex_rewrite: { pattern: { regex: '^/' }, substitution: `${basePath}/` } } : {};
}

function re2Escape(text: string): string {
  return text.replace(/[\\^$.|?*+()[\]{}]/g, '\\$&');
}

/**
 * Route action to one endpoint. Without fallbacks: its cluster, timeout, retries, Host and path.
 * With fallbacks: its priority cluster; each member's internal listener sets Host and path.
 */
export function routeToEndpoint(endpoint: Endpoint, spec: Spec, options: EnvoyOptions, matchedPrefix?: string): Json {
  if (hasFallbacks(endpoint)) {
    return {
      cluster: routeCluster(endpoint),
      ...upstreamTiming(endpoint, fallbackGroup(endpoint, spec)),
      ...pathRewrite('', matchedPrefix),
    };
  }
  const address = upstreamAddress(endpoint, options);
  return {
    cluster: routeCluster(endpoint),
    ...upstreamTiming(endpoint, [endpoint]),
    ...(address.authority && { host_rewrite_literal: address.authority }),
    ...pathRewrite(address.basePath, matchedPrefix),
  };
}

/**
 * The response header naming the endpoint that answered, for the Lua filters that read and remove
 * it (cache, usage); without them it is not added, so it never reaches a client. With fallbacks
 * the member's internal listener sets it, so the route only adds the primary's name when none is there.
 */
function endpointHeader(spec: Spec, endpoint: Endpoint): Json[] {
  if (!luaReadsEndpointHeader(spec)) return [];
  const header = setHeader(ENDPOINT_HEADER, endpoint.name);
  return [hasFallbacks(endpoint) ? { ...header, append_action: 'ADD_IF_ABSENT' } : header];
}

const nonEmpty = (key: string, list: Json[]): Json => (list.length > 0 ? { [key]: list } : {});

/** Route action that splits requests by weight; each share names its endpoint in ENDPOINT_HEADER. */
function weightedRoute(spec: Spec, options: EnvoyOptions): Json {
  const plan = weightedPlan(spec, options)!;
  const endpoints = plan.shares.map((s) => s.endpoint);
  // One retry policy per route: the longest timeout of any endpoint a share may reach, so none is
  // cut short, and the retries of the share that asks for the most.
  const mostRetries = endpoints.reduce((a, b) => (b.retries.attempts > a.retries.attempts ? b : a));
  return {
    weighted_clusters: {
      clusters: plan.shares.map((share) => {
        const authority = upstreamAddress(share.endpoint, options).authority;
        return {
          name: routeCluster(share.endpoint, share.internal),
          weight: share.weight,
          ...(!share.internal && authority && { host_rewrite_literal: authority }),
          ...nonEmpty('response_headers_to_add', endpointHeader(spec, share.endpoint)),
        };
      }),
    },
    ...upstreamTiming(mostRetries, endpoints.flatMap((e) => fallbackGroup(e, spec))),
    ...pathRewrite(plan.basePath),
  };
}

/** Envoy route match for a planned matcher (first match wins, as in the spec). */
export function envoyMatch(match: PlannedMatch): Json {
  switch (match.kind) {
    case 'header':
      return { prefix: '/', headers: [{ name: match.name.toLowerCase(), string_match: { exact: match.value } }] };
    case 'path':
      // "/v1/openai" must not match "/v1/openaix": match whole path segments.
      return match.prefix === '/' || match.prefix.endsWith('/') ? { prefix: match.prefix } : { path_separated_prefix: match.prefix };
    case 'model':
      return { prefix: '/', headers: [{ name: MODEL_HEADER, string_match: { exact: match.model } }] };
    case 'any':
      return { prefix: '/' };
  }
}

function endpointRoute(planned: PlannedRoute, endpoint: Endpoint, spec: Spec, options: EnvoyOptions): Json {
  const stripped = planned.match.kind === 'path' && planned.match.stripPrefix ? planned.match.prefix : undefined;
  return {
    name: planned.name,
    match: envoyMatch(planned.match),
    route: routeToEndpoint(endpoint, spec, options, stripped),
    ...nonEmpty('response_headers_to_add', endpointHeader(spec, endpoint)),
  };
}

/**
 * The route table of routePlan(): one route per rule in order, then (RequestBody) the endpoints'
 * models, then the default endpoint. With no default nothing matches the rest, and Envoy's "no route" 404 gets
 * the JSON body of localReplyConfig() naming what was asked for.
 */
export function routesFor(spec: Spec, options: EnvoyOptions): Json {
  const byName = new Map(spec.endpoints.map((e) => [e.name, e]));
  const plan = routePlan(spec);
  const routes: Json[] =
    plan.kind === 'weighted'
      ? [{ name: 'weighted', match: { prefix: '/' }, route: weightedRoute(spec, options) }]
      : plan.routes.map((planned) => endpointRoute(planned, byName.get(planned.target)!, spec, options));
  return {
    name: ROUTE_CONFIG,
    virtual_hosts: [{ name: VIRTUAL_HOST, domains: ['*'], routes }],
    // Internal header: routing reads it, upstreams never see it (whoever set it).
    request_headers_to_remove: [MODEL_HEADER],
    // The gateway's own usage headers: an upstream's never reach the client. The router applies
    // this before the encoder filters run, so the usage filter's values (set later) stay.
    response_headers_to_remove: Object.values(USAGE_HEADERS),
  };
}
