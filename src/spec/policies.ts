import { z } from 'zod';
import { AUTHENTICATION_RULES, INGRESS_RULES, PROMPT_RULES, validations } from './cel-rules';
import { DEFAULTS } from './defaults';
import { annotations, dnsLabel, dnsSubdomain, headerName, secretKeyRef } from './primitives';

export const AUTH_TYPES = ['APIKey', 'JWT', 'None'] as const;
export const MODIFICATION_TYPES = ['Prefix', 'Suffix', 'Replace', 'Transform'] as const;
export const CACHE_TYPES = ['None', 'Exact'] as const;
export const CACHE_SCOPES = ['Caller', 'Gateway'] as const;

const HTTPS_URL = /^https:\/\/[A-Za-z0-9.-]+(:[0-9]{1,5})?(\/[^\s?#]*)?(\?[^\s#]*)?$/;

export const jwtSpecSchema = z
  .strictObject({
    issuer: z.string().min(1).max(1024).describe('Value the token\'s "iss" claim must have, e.g. "https://auth.example.com/".'),
    jwksUri: z
      .string()
      .max(2048)
      .regex(HTTPS_URL, { message: 'must be an https:// URL of the JWKS document' })
      .describe('HTTPS URL of the JSON Web Key Set used to verify signatures.'),
    audiences: z.array(z.string().min(1).max(1024)).max(32).optional().describe('Values of the token\'s "aud" claim that are accepted; a token needs one of them. @default any audience'),
  })
  .describe('How bearer tokens are checked: signature (keys from jwksUri), issuer and audience. Required for type JWT.');

export const authenticationSchema = z
  .strictObject({
    type: z
      .enum(AUTH_TYPES)
      .describe('APIKey: clients send one of the keys of apiKeyRef. JWT: clients send a bearer token checked as jwtSpec says. None: no check.'),
    apiKeyRef: secretKeyRef('client API keys (one key per line)')
      .optional()
      .describe('Secret key whose value lists the API keys clients may use, one per line. Required for type APIKey.'),
    jwtSpec: jwtSpecSchema.optional(),
    allowUnauthenticatedUpstreamCredentials: z
      .boolean()
      .optional()
      .describe(
        'Type None only: allow an ingress in front of endpoints with credentialsRef, i.e. let every caller that reaches the Ingress use the organisation\'s provider keys. Set it only when something in front of the Ingress (an authenticating proxy, a private network) decides who may call. @default false: refused',
      ),
  })
  .describe('How clients authenticate to the gateway.')
  .meta(validations(AUTHENTICATION_RULES));

export const rateLimitingSchema = z
  .strictObject({
    requestsPerMinute: z
      .number()
      .int({ message: 'must be a whole number' })
      .min(1, { message: 'must be a positive whole number' })
      .max(10000000)
      .describe('Sustained request rate for the whole gateway (all replicas together).'),
    burst: z
      .number()
      .int({ message: 'must be a whole number' })
      .min(1, { message: 'must be a positive whole number' })
      .max(10000000)
      .optional()
      .describe('Requests admitted at once before the sustained rate applies. @default requestsPerMinute / 60, at least 1'),
  })
  .describe(
    'Token-bucket rate limit for the whole gateway; each Envoy replica enforces its share (rate and burst divided by the replica count). Requests over the limit get 429.',
  );

export const cachingStrategySchema = z
  .strictObject({
    type: z.enum(CACHE_TYPES).describe("None: no caching. Exact: an identical earlier request's response is served again while it is fresh."),
    ttlSeconds: z.number().int().min(1).max(86400).optional().describe(`How long an entry is served. @default ${DEFAULTS.cacheTtlSeconds}`),
    maxEntries: z.number().int().min(1).max(100000).optional().describe(`Entries kept per Envoy worker. @default ${DEFAULTS.cacheMaxEntries}`),
    scope: z
      .enum(CACHE_SCOPES)
      .optional()
      .describe(
        `Who shares a cached answer. Caller: only the caller that caused it (the same API key with authentication APIKey, the same token issuer and subject with JWT; a JWT without a subject is not cached). Gateway: every caller of the gateway (only for answers that are the same for everyone). With authentication None there is no caller identity, so the cache is gateway-wide either way. @default "${DEFAULTS.cacheScope}"`,
      ),
  })
  .describe('Response caching for non-streaming, deterministic requests.');

const TEMPLATE_NAME = /^[A-Za-z0-9][-_A-Za-z0-9]*$/;

export const promptEngineeringSchema = z
  .strictObject({
    systemPrompt: z.string().max(32768).optional().describe(
        'Text of the system prompt put into chat requests where modificationType says: a system message in OpenAI chat bodies, the top-level "system" field in Anthropic Messages bodies (request path ending in /v1/messages or /v1/messages/count_tokens).',
      ),
    templates: z
      .record(
        z.string().max(63).regex(TEMPLATE_NAME, { message: "must use letters, digits, '-' and '_'" }),
        z.string().max(32768),
      )
      .optional()
      .describe(
        'Named prompt templates with {{.variable}} placeholders, chosen by a request header. Values come from the body\'s top-level "variables" object (removed before forwarding): JSON strings, or numbers and booleans written as their JSON text (2.5, true); {{.text}} defaults to the last user message. A request whose variable is an object, a list, not JSON at all (a bare word) or a string with raw control characters or a bad escape gets a JSON 400 naming the variable, since splicing it would break the upstream body.',
      ),
    modificationType: z
      .enum(MODIFICATION_TYPES)
      .optional()
      .describe(`Where the system prompt goes: Prefix (before the client's), Suffix (after it), Replace (instead of every system and developer message, and of an Anthropic body's "system" field; an OpenAI body with a top-level "system" field is refused) or Transform (apply a template, and the prompt as with Prefix). @default "${DEFAULTS.modificationType}"`),
    templateHeader: headerName
      .optional()
      .describe(`Request header naming the template to apply. @default "${DEFAULTS.templateHeader}"`),
  })
  .describe(
    'Prompt changes applied to chat requests (a JSON body with a "messages" array): OpenAI chat completions, and Anthropic Messages when the request path ends in /v1/messages. A body with duplicate or case-variant names of the fields these changes read ("messages", "system", "variables"; "role" and "content" in messages the change reads) gets a JSON 400, since upstreams read such fields differently.',
  )
  .meta(validations(PROMPT_RULES));

export const observabilitySchema = z
  .strictObject({
    accessLog: z.boolean().optional().describe(`JSON access log line per request on stdout. @default ${DEFAULTS.accessLog}`),
    metrics: z.boolean().optional().describe(`Prometheus metrics on the ops port. @default ${DEFAULTS.metrics}`),
    tracing: z
      .strictObject({
        endpoint: z
          .string()
          .max(512)
          .regex(/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?:[0-9]{1,5}$/, {
            message: 'must be "host:port" of an OTLP/gRPC collector, e.g. "otel-collector.observability:4317"',
          })
          .describe('host:port of the OpenTelemetry (OTLP/gRPC) collector.'),
        samplingPercent: z.number().min(0).max(100).optional().describe(`Share of requests traced. @default ${DEFAULTS.tracingSamplingPercent}`),
      })
      .optional()
      .describe('Send OpenTelemetry traces of requests to an OTLP/gRPC collector. @default no tracing'),
    usageHeaders: z
      .boolean()
      .optional()
      .describe(`Add x-ai-usage-* response headers with tokens and cost (non-streaming responses). @default ${DEFAULTS.usageHeaders}`),
  })
  .describe('Access log, metrics, tracing and usage headers. @default access log and metrics on; no tracing; no usage headers');

export const ingressSchema = z
  .strictObject({
    host: dnsSubdomain().describe('Host name the Ingress serves.'),
    className: dnsLabel().optional().describe('IngressClass that serves the Ingress, e.g. "nginx". @default the cluster default'),
    tlsSecretName: dnsSubdomain().optional().describe('TLS Secret for the host. @default no TLS'),
    annotations: annotations
      .optional()
      .describe(
        'Annotations of the Ingress; they win over the ones the gateway sets. With className nginx or none (the cluster default, often ingress-nginx; other controllers ignore these keys) the gateway sets the nginx.ingress.kubernetes.io/ annotations streaming needs: proxy-read-timeout and proxy-send-timeout of the longest endpoint timeout (at least 60 s), proxy-body-size of limits.maxRequestBodyBytes, proxy-buffering and proxy-request-buffering off. @default those',
      ),
  })
  .describe(
    'Expose the gateway outside the cluster through an Ingress in front of its Service. Envoy then takes the client address from the last X-Forwarded-For entry (the one the ingress controller adds). @default no Ingress',
  )
  .meta(validations(INGRESS_RULES));

const MiB = 1024 * 1024;
/** Bounds of limits.maxRequestBodyBytes: a small chat request at least, and what 512 MiB of pod memory can hold a few of. */
export const REQUEST_BODY_BOUNDS = { min: 64 * 1024, max: 64 * MiB } as const;

export const limitsSchema = z
  .strictObject({
    maxRequestBodyBytes: z
      .number()
      .int({ message: 'must be a whole number of bytes' })
      .min(REQUEST_BODY_BOUNDS.min, { message: `must be between ${REQUEST_BODY_BOUNDS.min} and ${REQUEST_BODY_BOUNDS.max} bytes` })
      .max(REQUEST_BODY_BOUNDS.max, { message: `must be between ${REQUEST_BODY_BOUNDS.min} and ${REQUEST_BODY_BOUNDS.max} bytes` })
      .optional()
      .describe(
        `Largest request body, in bytes, the gateway holds in memory: body routing (RequestBody), promptEngineering and cachingStrategy read the whole body, and retries keep a copy to send again. A larger body gets a 413 with a JSON error when a policy needs the whole body; otherwise it streams to the upstream without retries. The default fits a few images in base64 (vision requests). Each request in flight may hold about three times this much (the body, the router's copy for retries, the policy's copy), so raise the container's memory limit with it. @default ${DEFAULTS.maxRequestBodyBytes} (8 MiB)`,
      ),
  })
  .describe('Resource limits of the gateway. @default the defaults of each field');
