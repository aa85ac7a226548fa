import { endpointCluster, upstreamAddress } from './clusters';
import { fallbackCluster, hasFallbacks, internalListener, viaCluster } from './fallback';
import { luaReadsEndpointHeader } from './lua';
import { clusterName, fallbackClusterName, viaClusterName } from './names';
import type { Endpoint, EnvoyOptions, Json, Spec } from './types';

/**
 * How routes reach endpoints. Directly (the route names the endpoint's cluster and does its Host
 * and path rewrite), or through the endpoint's internal listener, which does them itself:
 * - an endpoint with fallbacks: its priority cluster over its group's internal listeners;
 * - a Weighted share whose path the route cannot rewrite for it, because shares need different
 *   URL paths or another share goes through an internal listener: its `via-` cluster.
 */
export interface WeightedShare {
  readonly endpoint: Endpoint;
  readonly weight: number;
  /** Reached through its internal listener (its own Host and path rewrite). */
  readonly internal: boolean;
}

export interface WeightedPlan {
  readonly shares: WeightedShare[];
  /** The URL path the route itself puts in front ("" for none), shared by every direct share. */
  readonly basePath: string;
}

export function weightedPlan(spec: Spec, options: EnvoyOptions): WeightedPlan | undefined {
  if (spec.modelRouting.strategy !== 'Weighted') return undefined;
  const byName = new Map(spec.endpoints.map((e) => [e.name, e]));
  const entries = spec.modelRouting.rules.map((r) => ({ endpoint: byName.get(r.targetEndpoint)!, weight: r.weight! }));
  const paths = entries.map((s) => upstreamAddress(s.endpoint, options).basePath);
  const anyPath = paths.some((p) => p !== '');
  const routeCannotRewrite = new Set(paths).size > 1 || (anyPath && entries.some((s) => hasFallbacks(s.endpoint)));
  return {
    shares: entries.map((s, i) => ({ ...s, internal: hasFallbacks(s.endpoint) || (routeCannotRewrite && paths[i] !== '') })),
    basePath: routeCannotRewrite ? '' : (paths[0] ?? ''),
  };
}

/** The cluster a route names for an endpoint. */
export function routeCluster(endpoint: Endpoint, internal = false): string {
  if (hasFallbacks(endpoint)) return fallbackClusterName(endpoint.name);
  return internal ? viaClusterName(endpoint.name) : clusterName(endpoint.name);
}

/** Endpoints reached through a `via-` cluster (internal, without fallbacks). */
function viaEndpoints(spec: Spec, options: EnvoyOptions): Endpoint[] {
  const plan = weightedPlan(spec, options);
  return plan ? plan.shares.filter((s) => s.internal && !hasFallbacks(s.endpoint)).map((s) => s.endpoint) : [];
}

/** Endpoints that need an internal listener: every member of a fallback group and every via share. */
export function internalEndpoints(spec: Spec, options: EnvoyOptions): Endpoint[] {
  const names = new Set<string>();
  for (const e of spec.endpoints) {
    if (hasFallbacks(e)) [e.name, ...e.fallbackEndpoints].forEach((n) => names.add(n));
  }
  viaEndpoints(spec, options).forEach((e) => names.add(e.name));
  return spec.endpoints.filter((e) => names.has(e.name));
}

/** Every cluster the routes use: one per endpoint, then the priority clusters, then via clusters. */
export function clustersFor(spec: Spec, options: EnvoyOptions): Json[] {
  return [
    ...spec.endpoints.map((e) => endpointCluster(e, options)),
    ...spec.endpoints.filter(hasFallbacks).map((e) => fallbackCluster(e, spec)),
    ...viaEndpoints(spec, options).map(viaCluster),
  ];
}

/** The internal listeners of internalEndpoints(). */
export function internalListeners(spec: Spec, options: EnvoyOptions, localReplyConfig: Json): Json[] {
  const namesEndpoint = luaReadsEndpointHeader(spec);
  return internalEndpoints(spec, options).map((e) => internalListener(e, options, localReplyConfig, namesEndpoint));
}
