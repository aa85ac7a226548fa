export { envoyConfig } from './bootstrap';
export { translationIssues } from './checks';
export { ENVOY_CONFIG_DIR, ENVOY_PORTS } from './types';
export type { EnvoyConfig, EnvoyOptions, SecretFile } from './types';
export { renderBootstrap } from './render';
