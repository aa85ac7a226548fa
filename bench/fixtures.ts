import type { AIGatewaySpecInput } from '../src';

/**
 * The gateway every synth benchmark builds: 10 endpoints (in-cluster and external, with costs,
 * credentials and fallbacks) and every feature on, so the translation does all its work.
 */
export function benchSpec(index: number): AIGatewaySpecInput {
  const endpoints = Array.from({ length: 10 }, (_, e) => {
    const external = e % 2 === 1;
    return {
      name: `model-${e}`,
      ...(external
        ? { url: `https://provider-${e}.example.com/v1`, credentialsRef: { name: `provider-${e}-key`, key: 'api-key' } }
        : { serviceRef: { name: `model-${e}-svc`, namespace: 'models', port: 8000 } }),
      provider: e % 3 === 0 ? 'Anthropic' : 'OpenAI',
      models: [`model-${e}-large`, `model-${e}-small`],
      costPerToken: { inputTokens: '0.000003', outputTokens: '0.000015' },
      ...(e < 9 && { fallbackEndpoints: [`model-${e + 1}`] }),
    };
  });
  return {
    gatewayClassName: 'envoy',
    endpoints,
    modelRouting: {
      strategy: 'Header',
      rules: endpoints.map((e) => ({ match: `X-AI-Model: ${e.name}-${index}`, targetEndpoint: e.name })),
      defaultTargetEndpoint: 'model-0',
    },
    authentication: { type: 'APIKey', apiKeyRef: { name: 'client-keys', key: 'keys' } },
    rateLimiting: { requestsPerMinute: 1000, burst: 200 },
    cachingStrategy: { type: 'Exact', ttlSeconds: 300, maxEntries: 1000 },
    promptEngineering: {
      systemPrompt: 'You are a helpful assistant.',
      templates: { summarize: 'Summarize: {{.text}}' },
      modificationType: 'Prefix',
    },
    observability: { accessLog: true, metrics: true, usageHeaders: true, tracing: { endpoint: 'otel-collector.observability:4317', samplingPercent: 10 } },
    ingress: { host: `gw-${index}.example.com`, className: 'nginx' },
  };
}
