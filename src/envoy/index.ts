export { envoyConfig } from './bootstrap';
export { translationIssues } from './checks';
export { DEFAULT_REPLICAS } from './rate-limit';
export { ENVOY_BOOTSTRAP_FILE, ENVOY_CONFIG_DIR, ENVOY_PORTS } from './types';
export type { EnvoyConfig, EnvoyOptions, SecretFile } from './types';
export { renderBootstrap } from './render';
export { ADMIN_CLUSTER, OPS_LISTENER, OPS_PATHS, adminCluster, opsListener, opsRoutes } from './ops-listener';
export { PUBLIC_LISTENER } from './names';
export { upstreamTargets, type UpstreamTarget } from './upstream-targets';
