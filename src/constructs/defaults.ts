/**
 * Number of Envoy pods of a gateway when AIGatewayProps.replicas is not given; `explain` divides
 * the rate limit by it. test/explain.test.ts checks that AIGateway really uses it.
 */
export const DEFAULT_REPLICAS = 2;
