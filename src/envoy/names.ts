/** Envoy object names derived from spec names, in one place so routes and clusters agree. */
export const clusterName = (endpointName: string) => `endpoint-${endpointName}`;
export const PUBLIC_LISTENER = 'public';
export const ROUTE_CONFIG = 'gateway';
export const VIRTUAL_HOST = 'gateway';
