/** One address Envoy opens connections to, as its bootstrap says. */
export interface UpstreamTarget {
  /** The cluster (e.g. `endpoint-openai`, `jwt-jwks`, `opentelemetry-collector`). */
  readonly cluster: string;
  /** DNS name or IP literal. */
  readonly host: string;
  readonly port: number;
}

type Json = Record<string, any>;

/**
 * Every socket address of the bootstrap's static clusters, loopback (the admin interface) aside;
 * internal listeners (fallback chains) have no socket address. What the NetworkPolicy must let out
 * is read from here, so a new upstream (a JWKS host, a collector) cannot be forgotten in the policy.
 */
export function upstreamTargets(bootstrap: Record<string, unknown>): UpstreamTarget[] {
  const clusters = ((bootstrap.static_resources as Json | undefined)?.clusters ?? []) as Json[];
  return clusters.flatMap((cluster) =>
    ((cluster.load_assignment?.endpoints ?? []) as Json[]).flatMap((locality) =>
      ((locality.lb_endpoints ?? []) as Json[])
        .map((lb) => lb.endpoint?.address?.socket_address as Json | undefined)
        .filter((a): a is Json => a !== undefined && !/^127\./.test(a.address) && a.address !== '::1')
        .map((a) => ({ cluster: cluster.name as string, host: a.address as string, port: a.port_value as number })),
    ),
  );
}
