import { z } from 'zod';
import { ROUTING_RULES, RULE_RULES, validations } from './cel-rules';
import { dnsLabel, headerName } from './primitives';

export const ROUTING_STRATEGIES = ['Header', 'Path', 'RequestBody', 'Weighted'] as const;
export type RoutingStrategy = (typeof ROUTING_STRATEGIES)[number];

/** Printable header value: no control characters (CR/LF would split the header). */
const HEADER_VALUE = /^[^\x00-\x1f\x7f]*$/;
/** Absolute path prefix without query, fragment or whitespace. */
const PATH_PREFIX = /^\/[^\s?#]*$/;

export const headerMatchSchema = z
  .strictObject({
    name: headerName.describe('Request header to match (case-insensitive name).'),
    value: z
      .string()
      .max(1024)
      .regex(HEADER_VALUE, { message: 'must not contain control characters' })
      .describe('Exact header value that selects the target endpoint.'),
  })
  .describe('Match requests whose header has exactly this value (strategy Header).');

export const routingRuleSchema = z
  .strictObject({
    match: z
      .string()
      .max(1024)
      .optional()
      .describe(
        'Shorthand matcher read according to the strategy: "Header-Name: value" (Header), "/path/prefix" (Path) or a model name (RequestBody).',
      ),
    header: headerMatchSchema.optional(),
    pathPrefix: z
      .string()
      .max(1024)
      .regex(PATH_PREFIX, { message: 'must start with "/" and contain no whitespace, "?" or "#"' })
      .optional()
      .describe('Path prefix that selects the target endpoint (strategy Path). The request keeps its path unless stripPrefix is true.'),
    stripPrefix: z
      .boolean()
      .optional()
      .describe(
        'Strategy Path: remove the matched prefix (pathPrefix or match) before forwarding, e.g. rule "/openai" sends "/openai/v1/chat/completions" upstream as "/v1/chat/completions". Only for prefixes that are not part of the upstream API. @default false: the path is forwarded as sent',
      ),
    model: z
      .string()
      .min(1)
      .max(256)
      .optional()
      .describe('Value of the "model" field of the JSON request body that selects the target endpoint (strategy RequestBody).'),
    weight: z
      .number()
      .int({ message: 'must be a whole number' })
      .min(1, { message: 'must be a positive whole number' })
      .max(1000000, { message: 'must be at most 1000000' })
      .optional()
      .describe('Relative share of requests sent to the target endpoint (strategy Weighted).'),
    targetEndpoint: dnsLabel()
      .optional()
      .describe('Name of the endpoint (from spec.endpoints) that receives matching requests. Required except in a defaultTargetEndpoint rule.'),
    defaultTargetEndpoint: dnsLabel()
      .optional()
      .describe('Shorthand for modelRouting.defaultTargetEndpoint, written as the last rule.'),
  })
  .describe('One routing rule: a matcher for the strategy and the endpoint it selects.')
  .meta(validations(RULE_RULES));

export const modelRoutingSchema = z
  .strictObject({
    strategy: z
      .enum(ROUTING_STRATEGIES)
      .describe(
        'What selects the endpoint: Header (exact value of a request header), Path (path prefix), RequestBody (the "model" field of the JSON body) or Weighted (random split by weight). Every rule uses the matcher of this strategy.',
      ),
    rules: z
      .array(routingRuleSchema)
      .max(256)
      .optional()
      .describe("Rules, evaluated in order; the first match wins. A last rule holding only defaultTargetEndpoint is the design's shorthand for the default."),
    defaultTargetEndpoint: dnsLabel()
      .optional()
      .describe(
        'Endpoint for requests no rule matches. @default none: unmatched requests get a JSON 404; with no rules (strategies Header and Path), the only endpoint that is not a fallback of another',
      ),
  })
  .describe(
    'How each request chooses its endpoint. Required only when more than one endpoint is not a fallback of another: without it (or without rules and default), every request goes to the one endpoint that is not only a fallback, e.g. a primary whose standby is in its fallbackEndpoints. Strategy RequestBody needs no rules: each model of an endpoint\'s models routes to it.',
  )
  .meta(validations(ROUTING_RULES));

export type RoutingRuleInput = z.input<typeof routingRuleSchema>;
export type ModelRoutingInput = z.input<typeof modelRoutingSchema>;
