export { envoyConfig } from './bootstrap';
export { ENVOY_PORTS } from './types';
export type { EnvoyConfig, EnvoyOptions, SecretFile } from './types';
export { renderBootstrap } from './render';
