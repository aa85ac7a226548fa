import { z } from 'zod';
import { ENDPOINT_RULES, validations } from './cel-rules';
import { DEFAULTS } from './defaults';
import { providerSchema } from './providers';
import { dnsLabel, duration, headerName, secretKeyRef, usdPerToken } from './primitives';

export const MODEL_TYPES = ['LLM', 'Vision', 'Embedding', 'Audio', 'Image', 'Multimodal'] as const;

/** An absolute http(s) URL without query or fragment, e.g. "https://api.openai.com". */
const EXTERNAL_URL = /^https?:\/\/[A-Za-z0-9.-]+(:[0-9]{1,5})?(\/[A-Za-z0-9._~!$&'()*+,;=:@%/-]*)?$/;

export const serviceRefSchema = z
  .strictObject({
    name: dnsLabel().describe('Name of the Kubernetes Service that serves the model.'),
    namespace: dnsLabel()
      .optional()
      .describe("Namespace of the Service. @default the gateway's own namespace"),
    port: z
      .number()
      .int({ message: 'must be a whole number' })
      .min(1, { message: 'must be between 1 and 65535' })
      .max(65535, { message: 'must be between 1 and 65535' })
      .optional()
      .describe(`Port of the Service. @default ${DEFAULTS.servicePort}`),
  })
  .describe('Reference to an in-cluster Service (reached as <name>.<namespace>.svc.cluster.local).');

export const credentialsRefSchema = secretKeyRef('upstream API key')
  .extend({
    header: headerName
      .optional()
      .describe(
        'Header that carries the key to the upstream. @default "x-api-key" for provider Anthropic, "api-key" for AzureOpenAI, "x-goog-api-key" for Gemini, otherwise "Authorization"',
      ),
    prefix: z
      .string()
      .max(32)
      .optional()
      .describe('Text put before the key in the header. @default "Bearer " when the header is Authorization, otherwise ""'),
  })
  .describe(
    'Secret key whose value the gateway sends upstream as the credential. The value is mounted into the Envoy pod, never copied into the configuration; a rotated Secret takes effect without a restart. Trailing CR/LF (as `kubectl create secret --from-file` keeps) is stripped; other whitespace is sent as it is.',
  );

export const costPerTokenSchema = z
  .strictObject({
    inputTokens: usdPerToken.describe('USD per input (prompt) token, e.g. "0.00003" for $0.03 per 1k tokens.'),
    outputTokens: usdPerToken.describe('USD per output (completion) token, e.g. "0.00006" for $0.06 per 1k tokens.'),
  })
  .describe('Price of the endpoint, used to compute the cost of each request from its token usage.');

export const retrySchema = z
  .strictObject({
    attempts: z
      .number()
      .int()
      .min(0, { message: 'must be between 0 and 10' })
      .max(10, { message: 'must be between 0 and 10' })
      .optional()
      .describe(
        `Retries after the first attempt (0 disables retries; with fallbackEndpoints traffic still moves to the next one after 3 consecutive failures). @default ${DEFAULTS.retryAttempts}`,
      ),
    perTryTimeout: duration
      .optional()
      .describe(
        'Longest wait for the response headers of each attempt, when it should be shorter than timeout; it never cuts a response that has started (a stream). An attempt that times out gets a 504 and is not retried. @default timeout',
      ),
  })
  .describe(
    'Retry policy. Retried: connection failures, resets before the request was sent, and answers 500, 502 and 503; with fallbackEndpoints also 429 (a provider rate limit), always on the next fallback, never on the endpoint that failed. Never retried: timeouts and 504, since the upstream may still be generating (and billing) the answer.',
  );

export const endpointSchema = z
  .strictObject({
    name: dnsLabel().describe('Unique name of the endpoint; routing rules refer to it.'),
    serviceRef: serviceRefSchema.optional(),
    url: z
      .string()
      .max(2048)
      .regex(EXTERNAL_URL, {
        message: 'must be an absolute http(s) URL without query or fragment, e.g. "https://api.openai.com"',
      })
      .optional()
      .describe(
        'Base URL of an external provider, e.g. "https://api.openai.com". For https the gateway uses TLS with SNI and rewrites the Host header. Give either url or serviceRef.',
      ),
    modelType: z
      .enum(MODEL_TYPES)
      .optional()
      .describe(`Kind of model the endpoint serves; informational (shown by explain), not used for routing. @default "${DEFAULTS.modelType}"`),
    provider: providerSchema
      .optional()
      .describe(
        'Who serves the model: OpenAI, AzureOpenAI, Anthropic, Gemini, Bedrock, OpenAICompatible (vLLM, TGI, Ollama, LM Studio; those names are accepted too), or HuggingFace and Other (passed through). Any letter case is accepted; the custom resource carries the spelling listed here. Decides how credentialsRef is sent by default (Anthropic: x-api-key, AzureOpenAI: api-key, Gemini: x-goog-api-key, others: Authorization: Bearer) and which API a fallback must speak.',
      ),
    models: z
      .array(z.string().min(1).max(256))
      .max(64)
      .optional()
      .describe('Model names this endpoint serves; reported in status.deployedModels while the endpoint is reachable. @default [the endpoint name]'),
    costPerToken: costPerTokenSchema.optional(),
    credentialsRef: credentialsRefSchema.optional(),
    timeout: duration
      .optional()
      .describe(
        `Longest silence of the endpoint, per attempt: the wait for the first byte of the response, and the longest gap between two bytes of a streamed response (a stalled stream is cut). A stream may last longer than this as long as it keeps sending; a non-streaming answer must arrive within it. A timeout gets a 504 with a JSON error and is not retried. @default "${DEFAULTS.endpointTimeout}"`,
      ),
    retries: retrySchema.optional(),
    fallbackEndpoints: z
      .array(dnsLabel())
      .max(8)
      .optional()
      .describe(
        "Names of other endpoints that take this endpoint's requests, in order (priority failover): a request that fails (connection failure, 500, 502, 503, or a 429 rate limit) is retried on the next one when retries.attempts > 0, and after 3 consecutive failures the endpoint is ejected for 30 s (longer each time) so its traffic goes to the next one directly. Timeouts are not failed over. A fallback gets the request as the client sent it (only Host, URL base path and credential change), so it must speak the same API (provider Anthropic: Anthropic Messages; AzureOpenAI: Azure OpenAI; Gemini: Gemini; Bedrock: Bedrock; any other or none: OpenAI-compatible) and, where both list models, serve every model this endpoint lists; give members URLs at the same API level (e.g. https://api.openai.com, not .../v1, next to an in-cluster server that serves /v1/...).",
      ),
  })
  .describe('An upstream AI/LLM service: an in-cluster Service (serviceRef) or an external provider (url).')
  .meta(validations(ENDPOINT_RULES));

export type EndpointInput = z.input<typeof endpointSchema>;
export type Endpoint = z.output<typeof endpointSchema>;
