import { z } from 'zod';
import { ENDPOINTS_RULES, SPEC_RULES, validations } from './cel-rules';
import { endpointSchema } from './endpoint';
import {
  authenticationSchema,
  cachingStrategySchema,
  ingressSchema,
  limitsSchema,
  observabilitySchema,
  promptEngineeringSchema,
  rateLimitingSchema,
} from './policies';
import { modelRoutingSchema } from './routing';

/**
 * The shape of `spec` as users write it (shorthand allowed, defaults omitted). Cross-field rules
 * and normalization are layered on top in `spec.ts`; the CRD schema is generated from this shape.
 */
export const baseSpecSchema = z
  .strictObject({
    gatewayClassName: z
      .string()
      .min(1, { message: 'must not be empty' })
      .max(253)
      .describe(
        'Name of the gateway implementation, e.g. "envoy". Informational: the data plane is always the generated Envoy; the value stays on the resource for tools that group gateways by class.',
      ),
    endpoints: z
      .array(endpointSchema)
      .min(1, { message: 'needs at least one endpoint' })
      .max(64, { message: 'at most 64 endpoints' })
      .describe('Upstream AI/LLM services the gateway sends requests to, each an in-cluster Service or an external URL. Names must be unique.')
      .meta({ ...validations(ENDPOINTS_RULES), 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': ['name'] }),
    modelRouting: modelRoutingSchema.optional(),
    authentication: authenticationSchema.optional(),
    rateLimiting: rateLimitingSchema.optional(),
    cachingStrategy: cachingStrategySchema.optional(),
    promptEngineering: promptEngineeringSchema.optional(),
    observability: observabilitySchema.optional(),
    ingress: ingressSchema.optional(),
    limits: limitsSchema.optional(),
  })
  .describe('Desired state of an AI gateway: endpoints, routing and policies.')
  .meta(validations(SPEC_RULES));
