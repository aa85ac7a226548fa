/** Envoy object names derived from spec names, in one place so routes and clusters agree. */
export const clusterName = (endpointName: string) => `endpoint-${endpointName}`;
/** Priority cluster of an endpoint and its fallbackEndpoints (see fallback.ts). */
export const fallbackClusterName = (endpointName: string) => `fallback-${endpointName}`;
/** In-process listener that forwards to one endpoint with that endpoint's own settings. */
export const internalListenerName = (endpointName: string) => `internal-${endpointName}`;
/** Single-host cluster to an endpoint's internal listener. */
export const viaClusterName = (endpointName: string) => `via-${endpointName}`;
export const JWKS_CLUSTER = 'jwt-jwks';
export const TRACING_CLUSTER = 'opentelemetry-collector';
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
/**
 * Response headers with a request's usage (observability.usageHeaders), set by the usage Lua
 * filter. The gateway owns these names: the route table removes them from every upstream answer
 * (streams too, and when the filter is off), so a client never reads an upstream's value as the
 * gateway's; the filter also removes any other x-ai-usage-* name.
 */
export const USAGE_HEADERS = {
  inputTokens: 'x-ai-usage-input-tokens',
  outputTokens: 'x-ai-usage-output-tokens',
  costUsd: 'x-ai-usage-cost-usd',
} as const;
/** The jwt_authn filter's name, also the dynamic metadata namespace it writes the token's payload to. */
export const JWT_AUTHN_FILTER = 'envoy.filters.http.jwt_authn';
/** Key of the verified token's payload in JWT_AUTHN_FILTER's metadata (payload_in_metadata). */
export const JWT_PAYLOAD_KEY = 'jwt_payload';
/** Dynamic metadata namespace for per-request facts (model, endpoint, tokens, cost, cache) read by the access log. */
export const METADATA_NAMESPACE = 'ai.gateway';

/** Where a Secret is mounted in the Envoy container: `${SECRET_MOUNT_ROOT}/<secret-name>/<key>`. */
export const SECRET_MOUNT_ROOT = '/etc/aigateway/secrets';
export const secretMountPath = (secretName: string) => `${SECRET_MOUNT_ROOT}/${secretName}`;
