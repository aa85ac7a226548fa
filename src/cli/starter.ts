/**
 * The commented starter gateway.yaml of `aigate init`, one per provider. It names Secrets and
 * says how to create them; it never holds a credential.
 */
export const STARTER_PROVIDERS = ['openai', 'anthropic', 'azureopenai', 'vllm'] as const;
export type StarterProvider = (typeof STARTER_PROVIDERS)[number];

export interface StarterOptions {
  readonly provider: StarterProvider;
  /** metadata.name. */
  readonly name: string;
  /** metadata.namespace. */
  readonly namespace: string;
}

interface ProviderTemplate {
  readonly endpoint: string;
  readonly provider: string;
  /** Endpoint fields after name/provider, as YAML lines (two-space indented below the list item). */
  readonly upstream: string[];
  readonly models: string[];
  /** Upstream key: Secret name, environment variable the kubectl line reads, how it is sent. */
  readonly credentials?: { readonly secret: string; readonly env: string; readonly sentAs: string };
  readonly cost?: { readonly input: string; readonly output: string; readonly note: string };
  readonly notes: string[];
}

const TEMPLATES: Record<StarterProvider, ProviderTemplate> = {
  openai: {
    endpoint: 'openai',
    provider: 'OpenAI',
    upstream: ['url: https://api.openai.com # external provider; TLS is set up for you'],
    models: ['gpt-4o', 'gpt-4o-mini'],
    credentials: { secret: 'openai-credentials', env: 'OPENAI_API_KEY', sentAs: 'Authorization: Bearer <key>' },
    cost: { input: '0.0000025', output: '0.00001', note: '$2.50 / $10 per 1M tokens (gpt-4o); check current prices' },
    notes: [],
  },
  anthropic: {
    endpoint: 'anthropic',
    provider: 'Anthropic',
    upstream: ['url: https://api.anthropic.com # external provider; TLS is set up for you'],
    models: ['claude-3-5-sonnet-latest'],
    credentials: { secret: 'anthropic-credentials', env: 'ANTHROPIC_API_KEY', sentAs: 'x-api-key: <key>' },
    cost: { input: '0.000003', output: '0.000015', note: '$3 / $15 per 1M tokens; check current prices' },
    notes: [],
  },
  azureopenai: {
    endpoint: 'azure-openai',
    provider: 'AzureOpenAI',
    upstream: ['url: https://my-resource.openai.azure.com # replace my-resource with your Azure OpenAI resource name'],
    models: ['gpt-4o'],
    credentials: { secret: 'azure-openai-credentials', env: 'AZURE_OPENAI_API_KEY', sentAs: 'api-key: <key>' },
    cost: { input: '0.0000025', output: '0.00001', note: 'use the prices of your Azure deployment' },
    notes: ['Azure OpenAI paths name the deployment and an api-version, e.g. /openai/deployments/gpt-4o/chat/completions?api-version=2024-06-01.'],
  },
  vllm: {
    endpoint: 'vllm',
    provider: 'vLLM',
    upstream: ['serviceRef: # an in-cluster Service running vLLM\'s OpenAI-compatible server', '  name: vllm', '  port: 8000'],
    models: ['meta-llama/Llama-3.1-8B-Instruct'],
    notes: ['Self-hosted: no upstream key and no per-token price; add costPerToken to track an internal price.'],
  },
};

/** The starter gateway.yaml text. */
export function starterGateway(options: StarterOptions): string {
  const t = TEMPLATES[options.provider];
  const ns = options.namespace;
  const clientKeys = `${options.name}-client-keys`;
  const out: string[] = [
    `# A starter AI gateway, written by \`aigate init --provider ${options.provider}\`. It holds no secret`,
    '# values: the keys live in Kubernetes Secrets that it names. Next steps:',
    '#',
    '#   1. Create the namespace and the Secrets:',
    `#        kubectl create namespace ${ns}`,
  ];
  if (t.credentials) {
    out.push(`#        kubectl -n ${ns} create secret generic ${t.credentials.secret} --from-literal=api-key="$${t.credentials.env}"`);
  }
  out.push(
    `#        kubectl -n ${ns} create secret generic ${clientKeys} --from-file=keys=./client-keys.txt`,
    '#      (client-keys.txt: the API keys your clients may use, one per line)',
    '#   2. See what the gateway will do with a request:   aigate explain gateway.yaml',
    '#   3. Write the Kubernetes manifests:                 aigate synth gateway.yaml -o manifests/',
    '#   4. Install the CRD once, then apply:               aigate crd | kubectl apply -f - && kubectl apply -f manifests/',
    '#',
    '# Every field is described in docs/reference.md of cdk8s-ai-gateway.',
  );
  for (const note of t.notes) out.push(`# ${note}`);
  out.push(
    'apiVersion: gateway.example.com/v1',
    'kind: AIGatewayResource',
    'metadata:',
    `  name: ${options.name} # also the name of the gateway's Service`,
    `  namespace: ${ns}`,
    'spec:',
    '  gatewayClassName: envoy',
    '  endpoints:',
    `    - name: ${t.endpoint} # routing rules refer to endpoints by name`,
    `      provider: ${t.provider}${t.credentials ? ` # decides how the key is sent upstream: ${t.credentials.sentAs}` : ''}`,
    ...t.upstream.map((line) => `      ${line}`),
    `      models: [${t.models.join(', ')}]`,
  );
  if (t.credentials) {
    out.push(
      '      credentialsRef: # the upstream API key, read from the Secret at runtime',
      `        name: ${t.credentials.secret}`,
      '        key: api-key',
    );
  }
  if (t.cost) {
    out.push(
      `      costPerToken: # USD per token: ${t.cost.note}`,
      `        inputTokens: "${t.cost.input}"`,
      `        outputTokens: "${t.cost.output}"`,
    );
  }
  out.push(
    '      timeout: 60s',
    '      retries:',
    '        attempts: 2 # on 5xx, reset or connect failure',
    '  modelRouting:',
    '    strategy: Header # Header, Path, RequestBody (the body\'s "model" field) or Weighted',
    '    # rules: # evaluated in order, the first match wins; add endpoints above, then route to them:',
    '    #   - match: "X-AI-Model: my-model"',
    `    #     targetEndpoint: ${t.endpoint}`,
    `    defaultTargetEndpoint: ${t.endpoint} # requests no rule matches (without it: a JSON 404)`,
    '  authentication:',
    '    type: APIKey # clients must send a key; JWT for tokens from an identity provider, None for no check',
    '    apiKeyRef:',
    `      name: ${clientKeys}`,
    '      key: keys',
    '  rateLimiting:',
    '    requestsPerMinute: 600 # for the whole gateway, shared by its replicas; over it: 429',
    '    burst: 20',
    '  observability:',
    '    accessLog: true # a JSON line per request on stdout',
    '    metrics: true # Prometheus metrics',
    '    usageHeaders: true # x-ai-usage-* response headers with tokens and cost',
    '  # promptEngineering:',
    '  #   systemPrompt: "You are a helpful assistant."',
    '  # cachingStrategy:',
    '  #   type: Exact',
    '  #   ttlSeconds: 300',
    '  # ingress:',
    '  #   host: llm.example.com',
    '  #   className: nginx',
  );
  return `${out.join('\n')}\n`;
}
