/** Envoy object names derived from spec names, in one place so routes and clusters agree. */
export const clusterName = (endpointName: string) => `endpoint-${endpointName}`;
export const PUBLIC_LISTENER = 'public';
export const ROUTE_CONFIG = 'gateway';
export const VIRTUAL_HOST = 'gateway';

/**
 * Internal request header the body-routing Lua filter sets from the JSON body's "model" field;
 * RequestBody routes match on it. Any client-sent value is removed first.
 */
export const MODEL_HEADER = 'x-ai-gateway-model';
/**
 * Internal response header every route (and every weighted share) adds with the endpoint name,
 * so response-path filters know which endpoint answered; removed before the client sees it.
 */
export const ENDPOINT_HEADER = 'x-ai-gateway-endpoint';
/** Dynamic metadata namespace for per-request facts (model, endpoint, tokens, cost, cache) read by the access log. */
export const METADATA_NAMESPACE = 'ai.gateway';
