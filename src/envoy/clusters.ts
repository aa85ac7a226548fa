import { credentialFilters, upstreamHttpOptions } from './credentials';
import { upstreamIdleTimeout } from './hardening';
import { clusterName } from './names';
import type { Endpoint, EnvoyOptions, Json } from './types';
import { parseUrl, secondsDuration, typed } from './util';
import { durationSeconds } from '../spec/primitives';

/** CA bundle of the envoyproxy/envoy image (Ubuntu with the ca-certificates package). */
export const SYSTEM_CA_BUNDLE = '/etc/ssl/certs/ca-certificates.crt';

const UPSTREAM_TLS = 'envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext';

/** Where an endpoint is reached: host, port, and whether TLS is used. */
export interface UpstreamAddress {
  readonly host: string;
  readonly port: number;
  readonly tls: boolean;
  /** Path prefix of an external URL ("" when none), put before every request path. */
  readonly basePath: string;
  /** Host header an external upstream expects ("api.openai.com", "host:8443"); undefined in-cluster (the client's Host is kept). */
  readonly authority?: string;
}

export function upstreamAddress(endpoint: Endpoint, options: EnvoyOptions): UpstreamAddress {
  if (endpoint.url) {
    const url = parseUrl(endpoint.url);
    // translationIssues() refuses an out-of-range port before anything is built.
    const port = url.port ?? 0;
    const defaultPort = url.tls ? 443 : 80;
    return { host: url.host, port, tls: url.tls, basePath: url.path, authority: port === defaultPort ? url.host : `${url.host}:${port}` };
  }
  const ref = endpoint.serviceRef!;
  const namespace = ref.namespace ?? options.namespace ?? 'default';
  const domain = options.clusterDomain ?? 'cluster.local';
  return { host: `${ref.name}.${namespace}.svc.${domain}`, port: ref.port, tls: false, basePath: '' };
}

/** TLS to a public host: SNI, certificate checked against the image's CA bundle and the host name. */
export function upstreamTls(host: string): Json {
  return {
    name: 'envoy.transport_sockets.tls',
    typed_config: typed(UPSTREAM_TLS, {
      sni: host,
      common_tls_context: {
        tls_params: { tls_minimum_protocol_version: 'TLSv1_2' },
        validation_context: {
          trusted_ca: { filename: SYSTEM_CA_BUNDLE },
          match_typed_subject_alt_names: [{ san_type: 'DNS', matcher: { exact: host } }],
        },
      },
    }),
  };
}

/**
 * A DNS-resolved cluster with one address (Service name or provider host). A ClusterIP Service
 * resolves to one host, its virtual IP, and that is deliberate: kube-proxy spreads connections
 * over the ready pods (per connection, and upstream idle timeouts keep connections short-lived
 * enough to rebalance). Per-pod endpoints would need a headless Service, which is the user's
 * Service, not ours to change.
 */
export function dnsCluster(name: string, host: string, port: number, extra: Json = {}): Json {
  return {
    name,
    type: 'STRICT_DNS',
    connect_timeout: '5s',
    lb_policy: 'ROUND_ROBIN',
    dns_lookup_family: 'V4_PREFERRED',
    load_assignment: {
      cluster_name: name,
      endpoints: [
        {
          lb_endpoints: [{ endpoint: { address: { socket_address: { address: host, port_value: port } } } }],
        },
      ],
    },
    ...extra,
  };
}

/** One cluster per endpoint: DNS, TLS for https URLs, its credentials as upstream filters. */
export function endpointCluster(endpoint: Endpoint, options: EnvoyOptions): Json {
  const address = upstreamAddress(endpoint, options);
  return dnsCluster(
    clusterName(endpoint.name),
    address.host,
    address.port,
    {
      // Provider hosts sit behind DNS load balancers: keep one address, as LOGICAL_DNS does.
      ...(endpoint.url && { type: 'LOGICAL_DNS' }),
      connect_timeout: secondsDuration(Math.min(5, durationSeconds(endpoint.timeout))),
      ...(address.tls && { transport_socket: upstreamTls(address.host) }),
      typed_extension_protocol_options: upstreamHttpOptions(
        endpoint.credentialsRef ? credentialFilters(endpoint.credentialsRef) : [],
        upstreamIdleTimeout(endpoint),
      ),
    },
  );
}

