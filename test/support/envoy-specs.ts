/**
 * Small specs covering every native Envoy feature, shared by the test/envoy-*.test.ts files.
 * Each is written as a user would (shorthand allowed) and parsed into the canonical spec.
 */
import type { EnvoyOptions } from '../../src/envoy';
import { parseSpec, type AIGatewaySpec, type AIGatewaySpecInput } from '../../src/spec';

export const OPTIONS: EnvoyOptions = { gatewayName: 'gw', namespace: 'ai', replicas: 2 };

const svc = (name: string, extra: Record<string, unknown> = {}) => ({ name, serviceRef: { name: `${name}-svc` }, ...extra });

export const SPECS = {
  single: { gatewayClassName: 'envoy', endpoints: [svc('llm')] },
  header: {
    gatewayClassName: 'envoy',
    endpoints: [svc('openai-gpt4'), svc('anthropic-claude3', { serviceRef: { name: 'claude', namespace: 'models', port: 8080 } })],
    modelRouting: {
      strategy: 'Header',
      rules: [
        { match: 'X-AI-Model: gpt-4', targetEndpoint: 'openai-gpt4' },
        { match: 'X-AI-Model: claude-3', targetEndpoint: 'anthropic-claude3' },
        { defaultTargetEndpoint: 'openai-gpt4' },
      ],
    },
  },
  headerNoDefault: {
    gatewayClassName: 'envoy',
    endpoints: [svc('a'), svc('b')],
    modelRouting: {
      strategy: 'Header',
      rules: [
        { header: { name: 'X-AI-Model', value: 'gpt-4' }, targetEndpoint: 'a' },
        { header: { name: 'X-AI-Model', value: 'claude-3' }, targetEndpoint: 'b' },
      ],
    },
  },
  path: {
    gatewayClassName: 'envoy',
    endpoints: [svc('openai', { url: 'https://api.openai.com/v1', serviceRef: undefined }), svc('local'), svc('embed')],
    modelRouting: {
      strategy: 'Path',
      rules: [
        { match: '/openai', targetEndpoint: 'openai', stripPrefix: true },
        { pathPrefix: '/local/', targetEndpoint: 'local', stripPrefix: true },
        { pathPrefix: '/v1/embeddings', targetEndpoint: 'embed' },
      ],
    },
  },
  weighted: {
    gatewayClassName: 'envoy',
    endpoints: [svc('stable', { timeout: '30s' }), svc('canary', { timeout: '2m', retries: { attempts: 0 } })],
    modelRouting: {
      strategy: 'Weighted',
      rules: [
        { weight: 90, targetEndpoint: 'stable' },
        { weight: 10, targetEndpoint: 'canary' },
      ],
    },
  },
  requestBody: {
    gatewayClassName: 'envoy',
    endpoints: [svc('openai', { models: ['gpt-4o', 'gpt-4o-mini'] }), svc('claude', { models: ['claude-3-5-sonnet'] }), svc('llama')],
    modelRouting: {
      strategy: 'RequestBody',
      rules: [{ model: 'gpt-4', targetEndpoint: 'openai' }, { match: 'claude-3', targetEndpoint: 'claude' }],
    },
  },
  external: {
    gatewayClassName: 'envoy',
    endpoints: [
      { name: 'openai', url: 'https://api.openai.com', provider: 'OpenAI', credentialsRef: { name: 'openai-key', key: 'api-key' } },
      { name: 'anthropic', url: 'https://api.anthropic.com:443/', provider: 'Anthropic', credentialsRef: { name: 'anthropic-key', key: 'key' } },
      { name: 'azure', url: 'https://my.openai.azure.com:8443/openai/deployments/gpt4', provider: 'AzureOpenAI', credentialsRef: { name: 'azure', key: 'k' } },
      { name: 'plain', url: 'http://legacy.example.com:8080' },
    ],
    modelRouting: {
      strategy: 'Header',
      rules: [
        { match: 'X-AI-Model: gpt-4', targetEndpoint: 'openai' },
        { match: 'X-AI-Model: claude-3', targetEndpoint: 'anthropic' },
        { match: 'X-AI-Model: azure', targetEndpoint: 'azure' },
        { match: 'X-AI-Model: legacy', targetEndpoint: 'plain' },
      ],
    },
  },
  fallback: {
    gatewayClassName: 'envoy',
    endpoints: [
      {
        name: 'openai',
        url: 'https://api.openai.com/v1',
        provider: 'OpenAI',
        credentialsRef: { name: 'openai-key', key: 'api-key' },
        models: ['gpt-4o'],
        fallbackEndpoints: ['proxy', 'local'],
        retries: { attempts: 2, perTryTimeout: '20s' },
      },
      {
        // An OpenAI-compatible proxy (e.g. LiteLLM) with its own key header and a deeper API path.
        name: 'proxy',
        url: 'https://llm-proxy.example.com/openai/v1',
        provider: 'OpenAI',
        models: ['gpt-4o'],
        credentialsRef: { name: 'proxy-key', key: 'key', header: 'x-proxy-key' },
        timeout: '90s',
      },
      svc('local', { models: ['gpt-4o'] }),
      svc('vllm-a', { models: ['llama'], fallbackEndpoints: ['vllm-b'] }),
      svc('vllm-b', { models: ['llama'] }),
    ],
    modelRouting: {
      strategy: 'Header',
      rules: [{ match: 'X-AI-Model: gpt-4o', targetEndpoint: 'openai' }, { match: 'X-AI-Model: llama', targetEndpoint: 'vllm-a' }],
      defaultTargetEndpoint: 'vllm-b',
    },
  },
  pathFallback: {
    gatewayClassName: 'envoy',
    endpoints: [
      { name: 'openai', url: 'https://api.openai.com/v1', credentialsRef: { name: 'openai-key', key: 'api-key' }, models: ['gpt-4o'], fallbackEndpoints: ['local'] },
      svc('local', { models: ['gpt-4o'] }),
    ],
    modelRouting: { strategy: 'Path', rules: [{ pathPrefix: '/openai', targetEndpoint: 'openai', stripPrefix: true }, { pathPrefix: '/local', targetEndpoint: 'local', stripPrefix: true }] },
  },
  weightedMixed: {
    gatewayClassName: 'envoy',
    endpoints: [
      { name: 'openai', url: 'https://api.openai.com/v1', credentialsRef: { name: 'openai-key', key: 'api-key' } },
      { name: 'azure', url: 'https://my.openai.azure.com/openai/deployments/gpt-4o', provider: 'AzureOpenAI', credentialsRef: { name: 'azure-key', key: 'key' } },
      svc('local', { models: ['llama'], fallbackEndpoints: ['spare'] }),
      svc('spare', { models: ['llama'] }),
    ],
    modelRouting: {
      strategy: 'Weighted',
      rules: [
        { weight: 50, targetEndpoint: 'openai' },
        { weight: 30, targetEndpoint: 'azure' },
        { weight: 20, targetEndpoint: 'local' },
      ],
    },
  },
  jwt: {
    gatewayClassName: 'envoy',
    endpoints: [svc('llm')],
    authentication: {
      type: 'JWT',
      jwtSpec: { issuer: 'https://auth.example.com/', jwksUri: 'https://auth.example.com/.well-known/jwks.json', audiences: ['llm-gateway'] },
    },
  },
  rateLimited: {
    gatewayClassName: 'envoy',
    endpoints: [svc('llm')],
    rateLimiting: { requestsPerMinute: 1000, burst: 200 },
  },
  tracing: {
    gatewayClassName: 'envoy',
    endpoints: [svc('llm')],
    observability: { tracing: { endpoint: 'otel-collector.observability:4317', samplingPercent: 12.5 } },
  },
  quiet: {
    gatewayClassName: 'envoy',
    endpoints: [svc('llm')],
    observability: { accessLog: false, metrics: false },
  },
  everything: {
    gatewayClassName: 'envoy',
    endpoints: [
      { name: 'openai', url: 'https://api.openai.com/v1', credentialsRef: { name: 'openai-key', key: 'api-key' }, models: ['gpt-4o'], fallbackEndpoints: ['openai-backup'] },
      { name: 'openai-backup', url: 'https://backup.example.com/v1', credentialsRef: { name: 'openai-key', key: 'api-key' }, models: ['gpt-4o'] },
      svc('llama', { models: ['llama-3'] }),
    ],
    modelRouting: { strategy: 'RequestBody', rules: [{ model: 'gpt-4o', targetEndpoint: 'openai' }] },
    authentication: { type: 'JWT', jwtSpec: { issuer: 'https://auth.example.com/', jwksUri: 'https://auth.example.com:8443/jwks' } },
    rateLimiting: { requestsPerMinute: 60000 },
    observability: { tracing: { endpoint: 'otel.example.com:4317' } },
  },
} satisfies Record<string, AIGatewaySpecInput>;

export type SpecName = keyof typeof SPECS;
export const SPEC_NAMES = Object.keys(SPECS) as SpecName[];

/** The canonical spec of a catalogue entry (or of any spec input). */
export function canonical(spec: SpecName | AIGatewaySpecInput): AIGatewaySpec {
  return parseSpec(typeof spec === 'string' ? SPECS[spec] : spec);
}
