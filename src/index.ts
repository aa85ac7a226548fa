export * from './constructs';
export * from './spec';
export { envoyConfig, renderBootstrap, ENVOY_PORTS, type EnvoyConfig, type EnvoyOptions, type SecretFile } from './envoy';
