import { dnsCluster } from './clusters';
import { METADATA_NAMESPACE, TRACING_CLUSTER } from './names';
import type { EnvoyOptions, Json, Spec } from './types';
import { hostAndPort, typed } from './util';

const STDOUT_LOG = 'envoy.extensions.access_loggers.stream.v3.StdoutAccessLog';
const OPENTELEMETRY = 'envoy.config.trace.v3.OpenTelemetryConfig';
const HTTP_PROTOCOL_OPTIONS = 'envoy.extensions.upstreams.http.v3.HttpProtocolOptions';

const meta = (key: string) => `%DYNAMIC_METADATA(${METADATA_NAMESPACE}:${key})%`;

/**
 * One JSON line per request. Only named fields are logged: never a request header other than the
 * request id and user agent (so no Authorization, API key or upstream credential), and the path
 * without its query string (which may carry a key).
 */
export const ACCESS_LOG_FORMAT: Json = {
  time: '%START_TIME%',
  request_id: '%REQ(X-REQUEST-ID)%',
  method: '%REQ(:METHOD)%',
  path: '%PATH(NQ)%',
  protocol: '%PROTOCOL%',
  status: '%RESPONSE_CODE%',
  response_flags: '%RESPONSE_FLAGS%',
  duration_ms: '%DURATION%',
  // Built-ins, not the x-envoy-upstream-service-time header: the router no longer adds it.
  upstream_service_time_ms: '%COMMON_DURATION(US_TX_BEG:US_RX_BEG:ms)%',
  response_duration_ms: '%RESPONSE_DURATION%',
  upstream_attempts: '%UPSTREAM_REQUEST_ATTEMPT_COUNT%',
  bytes_received: '%BYTES_RECEIVED%',
  bytes_sent: '%BYTES_SENT%',
  upstream_cluster: '%UPSTREAM_CLUSTER%',
  upstream_host: '%UPSTREAM_HOST%',
  client_address: '%DOWNSTREAM_REMOTE_ADDRESS_WITHOUT_PORT%',
  user_agent: '%REQ(USER-AGENT)%',
  model: meta('model'),
  endpoint: meta('endpoint'),
  input_tokens: meta('input_tokens'),
  output_tokens: meta('output_tokens'),
  total_tokens: meta('total_tokens'),
  cost_usd: meta('cost_usd'),
  cache: meta('cache'),
};

/** HCM `access_log` (stdout, JSON), or [] when observability.accessLog is false. */
export function accessLogs(spec: Spec): Json[] {
  if (!spec.observability.accessLog) return [];
  return [{ name: 'envoy.access_loggers.stdout', typed_config: typed(STDOUT_LOG, { log_format: { json_format: ACCESS_LOG_FORMAT } }) }];
}

/** HCM `tracing`: OpenTelemetry over gRPC to observability.tracing.endpoint, sampled as asked. */
export function tracingConfig(spec: Spec, options: EnvoyOptions): Json | undefined {
  const tracing = spec.observability.tracing;
  if (!tracing) return undefined;
  return {
    random_sampling: { value: tracing.samplingPercent },
    provider: {
      name: 'envoy.tracers.opentelemetry',
      typed_config: typed(OPENTELEMETRY, {
        grpc_service: { envoy_grpc: { cluster_name: TRACING_CLUSTER }, timeout: '1s' },
        service_name: options.gatewayName,
      }),
    },
  };
}

/** The collector's cluster (OTLP/gRPC needs HTTP/2). */
export function tracingCluster(spec: Spec): Json | undefined {
  const tracing = spec.observability.tracing;
  if (!tracing) return undefined;
  const { host, port } = hostAndPort(tracing.endpoint);
  return dnsCluster(TRACING_CLUSTER, host, port ?? 0, {
    typed_extension_protocol_options: {
      [HTTP_PROTOCOL_OPTIONS]: typed(HTTP_PROTOCOL_OPTIONS, { explicit_http_config: { http2_protocol_options: {} } }),
    },
  });
}
