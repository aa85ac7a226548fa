import { clustersFor } from './clusters';
import { PUBLIC_LISTENER } from './names';
import { adminCluster, opsListener } from './ops-listener';
import { routesFor } from './routes';
import { ENVOY_PORTS, type EnvoyConfig, type EnvoyOptions, type Json, type Spec } from './types';

const HCM = 'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager';
const ROUTER = 'type.googleapis.com/envoy.extensions.filters.http.router.v3.Router';

/** Features of the spec that this version does not translate yet; reported, never dropped silently. */
function untranslated(spec: Spec): string[] {
  const out: string[] = [];
  if (spec.modelRouting.strategy === 'RequestBody') out.push('modelRouting.strategy RequestBody');
  if (spec.authentication.type !== 'None') out.push(`authentication.type ${spec.authentication.type}`);
  if (spec.rateLimiting) out.push('rateLimiting');
  if (spec.promptEngineering) out.push('promptEngineering');
  if (spec.cachingStrategy) out.push('cachingStrategy');
  if (spec.endpoints.some((e) => e.credentialsRef)) out.push('endpoints[].credentialsRef');
  if (spec.endpoints.some((e) => e.fallbackEndpoints.length > 0)) out.push('endpoints[].fallbackEndpoints');
  return out.map((f) => `${f} is not translated to Envoy configuration yet`);
}

function httpConnectionManager(spec: Spec, options: EnvoyOptions): Json {
  return {
    '@type': HCM,
    stat_prefix: PUBLIC_LISTENER,
    codec_type: 'AUTO',
    route_config: routesFor(spec, options),
    http_filters: [{ name: 'envoy.filters.http.router', typed_config: { '@type': ROUTER } }],
  };
}

/** Canonical spec -> Envoy bootstrap (static resources: the public and ops listeners, one cluster per endpoint, the admin cluster). */
export function envoyConfig(spec: Spec, options: EnvoyOptions): EnvoyConfig {
  const bootstrap: Json = {
    node: { id: options.gatewayName, cluster: options.gatewayName },
    admin: { address: { socket_address: { address: '127.0.0.1', port_value: ENVOY_PORTS.admin } } },
    static_resources: {
      listeners: [
        {
          name: PUBLIC_LISTENER,
          address: { socket_address: { address: '0.0.0.0', port_value: ENVOY_PORTS.http } },
          filter_chains: [
            {
              filters: [{ name: 'envoy.filters.network.http_connection_manager', typed_config: httpConnectionManager(spec, options) }],
            },
          ],
        },
        opsListener(spec),
      ],
      clusters: [...clustersFor(spec, options), adminCluster()],
    },
  };
  return { bootstrap, secretFiles: [], warnings: untranslated(spec) };
}
