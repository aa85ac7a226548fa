import { upstreamAddress } from './clusters';
import { fallbackGroup, hasFallbacks } from './fallback';
import { luaReadsEndpointHeader } from './lua';
import { ENDPOINT_HEADER, MODEL_HEADER, ROUTE_CONFIG, USAGE_HEADERS, VIRTUAL_HOST } from './names';
import { routeCluster, weightedPlan } from './topology';
import type { Endpoint, EnvoyOptions, Json, Spec } from './types';
import { NO_ROUTE_TIMEOUT, retryPolicy } from './upstream-timing';
import { setHeader } from './util';

type Rule = Spec['modelRouting']['rules'][number];

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

/** Envoy route match for a rule (first match wins, as in the spec). */
export function ruleMatch(rule: Rule): Json {
  if (rule.header) {
    return { prefix: '/', headers: [{ name: rule.header.name.toLowerCase(), string_match: { exact: rule.header.value } }] };
  }
  if (rule.pathPrefix !== undefined) {
    const prefix = rule.pathPrefix;
    // "/v1/openai" must not match "/v1/openaix": match whole path segments.
    return prefix === '/' || prefix.endsWith('/') ? { prefix } : { path_separated_prefix: prefix };
  }
  if (rule.model !== undefined) return modelMatch(rule.model);
  throw new Error(`rule for ${rule.targetEndpoint} has no header, path or model matcher`);
}

function modelMatch(model: string): Json {
  return { prefix: '/', headers: [{ name: MODEL_HEADER, string_match: { exact: model } }] };
}

function endpointRoute(name: string, match: Json, endpoint: Endpoint, spec: Spec, options: EnvoyOptions, matchedPrefix?: string): Json {
  return { name, match, route: routeToEndpoint(endpoint, spec, options, matchedPrefix), ...nonEmpty('response_headers_to_add', endpointHeader(spec, endpoint)) };
}

/**
 * RequestBody: after the rules, each endpoint's `models` route to it (first endpoint listing a
 * model wins; a model a rule names is the rule's), so an endpoint serves what it declares.
 */
function endpointModelRoutes(spec: Spec, options: EnvoyOptions): Json[] {
  const taken = new Set(spec.modelRouting.rules.map((r) => r.model));
  const routes: Json[] = [];
  for (const endpoint of spec.endpoints) {
    endpoint.models.forEach((model, i) => {
      if (taken.has(model)) return;
      taken.add(model);
      routes.push(endpointRoute(`model-${endpoint.name}-${i}`, modelMatch(model), endpoint, spec, options));
    });
  }
  return routes;
}

/**
 * The route table: one route per rule in order, then (RequestBody) the endpoints' models, then the
 * default endpoint. With no default nothing matches the rest, and Envoy's "no route" 404 gets
 * the JSON body of localReplyConfig() naming what was asked for.
 */
export function routesFor(spec: Spec, options: EnvoyOptions): Json {
  const byName = new Map(spec.endpoints.map((e) => [e.name, e]));
  const routing = spec.modelRouting;
  const routes: Json[] = [];
  if (routing.strategy === 'Weighted') {
    routes.push({ name: 'weighted', match: { prefix: '/' }, route: weightedRoute(spec, options) });
  } else {
    routing.rules.forEach((rule, i) => {
      routes.push(endpointRoute(`rule-${i}`, ruleMatch(rule), byName.get(rule.targetEndpoint)!, spec, options, rule.stripPrefix ? rule.pathPrefix : undefined));
    });
    if (routing.strategy === 'RequestBody') routes.push(...endpointModelRoutes(spec, options));
    if (routing.defaultTargetEndpoint !== undefined) {
      routes.push(endpointRoute('default', { prefix: '/' }, byName.get(routing.defaultTargetEndpoint)!, spec, options));
    }
  }
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
