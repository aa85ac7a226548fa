import { clusterName } from './names';
import type { EnvoyOptions, Json, Spec } from './types';
import { durationSeconds } from '../spec/primitives';

type Endpoint = Spec['endpoints'][number];

/** Where an endpoint is reached: host, port, and whether TLS is used. */
export interface UpstreamAddress {
  readonly host: string;
  readonly port: number;
  readonly tls: boolean;
  /** Path prefix of an external URL ("" when none). */
  readonly basePath: string;
}

export function upstreamAddress(endpoint: Endpoint, options: EnvoyOptions): UpstreamAddress {
  if (endpoint.url) {
    const url = new URL(endpoint.url);
    const tls = url.protocol === 'https:';
    return {
      host: url.hostname,
      port: url.port ? Number(url.port) : tls ? 443 : 80,
      tls,
      basePath: url.pathname === '/' ? '' : url.pathname.replace(/\/$/, ''),
    };
  }
  const ref = endpoint.serviceRef!;
  const namespace = ref.namespace ?? options.namespace ?? 'default';
  const domain = options.clusterDomain ?? 'cluster.local';
  return { host: `${ref.name}.${namespace}.svc.${domain}`, port: ref.port, tls: false, basePath: '' };
}

/** One cluster per endpoint, resolved by DNS (Service names and provider hosts). */
export function endpointCluster(endpoint: Endpoint, options: EnvoyOptions): Json {
  const address = upstreamAddress(endpoint, options);
  const name = clusterName(endpoint.name);
  return {
    name,
    type: endpoint.url ? 'LOGICAL_DNS' : 'STRICT_DNS',
    connect_timeout: `${Math.min(5, durationSeconds(endpoint.timeout))}s`,
    lb_policy: 'ROUND_ROBIN',
    dns_lookup_family: 'V4_PREFERRED',
    load_assignment: {
      cluster_name: name,
      endpoints: [
        { lb_endpoints: [{ endpoint: { address: { socket_address: { address: address.host, port_value: address.port } } } }] },
      ],
    },
    ...(address.tls && {
      transport_socket: {
        name: 'envoy.transport_sockets.tls',
        typed_config: {
          '@type': 'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext',
          sni: address.host,
          common_tls_context: {
            validation_context: {
              trusted_ca: { filename: '/etc/ssl/certs/ca-certificates.crt' },
            },
          },
        },
      },
    }),
  };
}

export function clustersFor(spec: Spec, options: EnvoyOptions): Json[] {
  return spec.endpoints.map((e) => endpointCluster(e, options));
}
