import { upstreamAddress } from './clusters';
import { clusterName, ROUTE_CONFIG, VIRTUAL_HOST } from './names';
import type { EnvoyOptions, Json, Spec } from './types';
import { durationSeconds } from '../spec/primitives';

type Endpoint = Spec['endpoints'][number];
type Rule = Spec['modelRouting']['rules'][number];

/** Timeout and retries of an endpoint, as route action fields. */
function endpointPolicy(endpoint: Endpoint): Json {
  return {
    timeout: endpoint.timeout,
    ...(endpoint.retries.attempts > 0 && {
      retry_policy: {
        retry_on: '5xx,reset,connect-failure',
        num_retries: endpoint.retries.attempts,
        ...(endpoint.retries.perTryTimeout && { per_try_timeout: endpoint.retries.perTryTimeout }),
      },
    }),
  };
}

/** Route action that sends a request to one endpoint, with its timeout, retries and Host rewrite. */
export function routeToEndpoint(endpoint: Endpoint, options: EnvoyOptions): Json {
  const address = upstreamAddress(endpoint, options);
  return {
    cluster: clusterName(endpoint.name),
    ...endpointPolicy(endpoint),
    ...(endpoint.url && { host_rewrite_literal: address.host }),
    ...(address.basePath && { prefix_rewrite: `${address.basePath}/` }),
  };
}

/** Route action that splits requests by weight; each share keeps its endpoint's Host rewrite. */
function weightedRoute(endpoints: Endpoint[], weights: number[], options: EnvoyOptions): Json {
  const slowest = endpoints.reduce((a, b) => (durationSeconds(b.timeout) > durationSeconds(a.timeout) ? b : a));
  return {
    weighted_clusters: {
      clusters: endpoints.map((e, i) => ({
        name: clusterName(e.name),
        weight: weights[i],
        ...(e.url && { host_rewrite_literal: upstreamAddress(e, options).host }),
      })),
    },
    ...endpointPolicy(slowest),
  };
}

/** Envoy route match for a Header or Path rule (first match wins, as in the spec). */
export function ruleMatch(rule: Rule): Json {
  if (rule.header) {
    return { prefix: '/', headers: [{ name: rule.header.name.toLowerCase(), string_match: { exact: rule.header.value } }] };
  }
  if (rule.pathPrefix !== undefined) {
    const prefix = rule.pathPrefix;
    // "/v1/openai" must not match "/v1/openaix": match whole path segments where Envoy can.
    return prefix === '/' || prefix.endsWith('/') ? { prefix } : { path_separated_prefix: prefix };
  }
  throw new Error(`rule for ${rule.targetEndpoint} has no header or path matcher`);
}

const NO_ROUTE_BODY = JSON.stringify({
  error: { type: 'no_route', message: 'no endpoint matches this request and the gateway has no default endpoint' },
});

/** The route table: one route per rule in order, then the default (or a JSON 404). */
export function routesFor(spec: Spec, options: EnvoyOptions): Json {
  const byName = new Map(spec.endpoints.map((e) => [e.name, e]));
  const routing = spec.modelRouting;
  const routes: Json[] = [];
  if (routing.strategy === 'Weighted') {
    routes.push({
      name: 'weighted',
      match: { prefix: '/' },
      route: weightedRoute(
        routing.rules.map((r) => byName.get(r.targetEndpoint)!),
        routing.rules.map((r) => r.weight!),
        options,
      ),
    });
  } else if (routing.strategy === 'Header' || routing.strategy === 'Path') {
    routing.rules.forEach((rule, i) => {
      routes.push({ name: `rule-${i}`, match: ruleMatch(rule), route: routeToEndpoint(byName.get(rule.targetEndpoint)!, options) });
    });
  }
  if (routing.defaultTargetEndpoint !== undefined) {
    routes.push({ name: 'default', match: { prefix: '/' }, route: routeToEndpoint(byName.get(routing.defaultTargetEndpoint)!, options) });
  } else if (routing.strategy !== 'Weighted') {
    routes.push({
      name: 'no-route',
      match: { prefix: '/' },
      direct_response: { status: 404, body: { inline_string: NO_ROUTE_BODY } },
      response_headers_to_add: [{ header: { key: 'content-type', value: 'application/json' } }],
    });
  }
  return {
    name: ROUTE_CONFIG,
    virtual_hosts: [{ name: VIRTUAL_HOST, domains: ['*'], routes }],
  };
}
