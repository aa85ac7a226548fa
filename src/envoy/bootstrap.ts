import { translationIssues } from './checks';
import { credentialsFor } from './credentials';
import { HIDE_SERVER, overloadManager, pathAndClientAddress } from './hardening';
import { httpFilters } from './http-filters';
import { jwksCluster } from './jwt';
import { localReplyConfig, upstreamFailureReplies } from './local-reply';
import { LUA_FILTER_NAMES } from './lua';
import type { LuaFeature } from './lua/script';
import { PUBLIC_LISTENER } from './names';
import { accessLogs, tracingCluster, tracingConfig } from './observability';
import { adminCluster, opsListener } from './ops-listener';
import { routesFor } from './routes';
import { clustersFor, internalListeners } from './topology';
import { INTERNAL_LISTENER_EXTENSION } from './fallback';
import { ENVOY_PORTS, type EnvoyConfig, type EnvoyOptions, type Json, type SecretFile, type Spec } from './types';
import { streamIdleTimeout } from './upstream-timing';
import { typed } from './util';
import { SpecValidationError } from '../spec';

const HCM = 'envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager';

/**
 * Features of the spec whose (Lua) filter the chain does not carry; reported, never dropped
 * silently. Read off the chain already built, so no script is generated twice.
 */
function untranslated(spec: Spec, chain: Json[]): string[] {
  const present = new Set(chain.map((f) => f.name));
  const missing = (feature: LuaFeature) => !present.has(LUA_FILTER_NAMES[feature]);
  const out: string[] = [];
  if (spec.modelRouting.strategy === 'RequestBody' && missing('bodyRouting')) {
    out.push('modelRouting.strategy RequestBody (reading the model from the body)');
  }
  if (spec.authentication.type === 'APIKey' && missing('apiKeyAuth')) out.push('authentication.type APIKey');
  if (spec.promptEngineering && missing('prompt')) out.push('promptEngineering');
  if (spec.cachingStrategy && missing('cache')) out.push('cachingStrategy');
  const wantsUsage = spec.observability.usageHeaders || spec.endpoints.some((e) => e.costPerToken);
  if (wantsUsage && missing('usage')) out.push('token usage and cost (endpoints[].costPerToken, observability.usageHeaders)');
  return out.map((f) => `${f} is not translated to Envoy configuration yet`);
}

/**
 * Settings for long-lived, streamed LLM responses: no overall request timeout (each route bounds
 * its upstream's silence per attempt), an idle timeout longer than those bounds, and
 * paths normalized before routing so "/openai/../x" or "//openai" cannot sidestep a Path rule.
 */
function httpConnectionManager(spec: Spec, options: EnvoyOptions, filters: Json[], localReply: Json): Json {
  const tracing = tracingConfig(spec, options);
  const logs = accessLogs(spec);
  return typed(HCM, {
    stat_prefix: PUBLIC_LISTENER,
    codec_type: 'AUTO',
    route_config: routesFor(spec, options),
    http_filters: filters,
    request_timeout: '0s',
    request_headers_timeout: '30s',
    stream_idle_timeout: streamIdleTimeout(spec.endpoints),
    max_request_headers_kb: 96,
    use_remote_address: true,
    normalize_path: true,
    merge_slashes: true,
    strip_any_host_port: true,
    generate_request_id: true,
    always_set_request_id_in_response: true,
    ...pathAndClientAddress(spec.ingress !== undefined),
    ...HIDE_SERVER,
    local_reply_config: localReply,
    ...(logs.length > 0 && { access_log: logs }),
    ...(tracing && { tracing }),
  });
}

function uniqueSecretFiles(files: SecretFile[]): SecretFile[] {
  const seen = new Map<string, SecretFile>();
  for (const f of files) seen.set(`${f.secretName}/${f.key}`, f);
  return [...seen.values()];
}

/**
 * Canonical spec -> Envoy bootstrap (static resources: the public and ops listeners, one cluster
 * per endpoint plus fallback, JWKS, tracing and admin clusters as needed). Throws
 * SpecValidationError for what Envoy cannot do as asked (translationIssues).
 */
export function envoyConfig(spec: Spec, options: EnvoyOptions): EnvoyConfig {
  const issues = translationIssues(spec, options);
  if (issues.length > 0) throw new SpecValidationError(issues);
  const chain = httpFilters(spec, options);
  const credentials = credentialsFor(spec);
  const localReply = localReplyConfig(spec);
  const internal = internalListeners(spec, options, upstreamFailureReplies(spec));
  const clusters = [...clustersFor(spec, options), jwksCluster(spec), tracingCluster(spec)].filter((c): c is Json => c !== undefined);
  const bootstrap: Json = {
    node: { id: options.gatewayName, cluster: options.gatewayName },
    ...(internal.length > 0 && { bootstrap_extensions: [INTERNAL_LISTENER_EXTENSION] }),
    admin: { address: { socket_address: { address: '127.0.0.1', port_value: ENVOY_PORTS.admin } } },
    overload_manager: overloadManager(options),
    static_resources: {
      listeners: [
        {
          name: PUBLIC_LISTENER,
          address: { socket_address: { address: '0.0.0.0', port_value: ENVOY_PORTS.http } },
          // How much of a request the filters may hold: Lua body() and the router's copy for retries.
          per_connection_buffer_limit_bytes: spec.limits.maxRequestBodyBytes,
          filter_chains: [
            {
              filters: [{ name: 'envoy.filters.network.http_connection_manager', typed_config: httpConnectionManager(spec, options, chain.filters, localReply) }],
            },
          ],
        },
        opsListener(spec),
        ...internal,
      ],
      clusters: [...clusters, adminCluster()],
    },
  };
  return {
    bootstrap,
    files: { ...credentials.files, ...chain.files },
    secretFiles: uniqueSecretFiles([...credentials.secretFiles, ...chain.secretFiles]),
    warnings: untranslated(spec, chain.filters),
  };
}
