import type { ShapedSpec } from './public-types';

type ShapedEndpoint = ShapedSpec['endpoints'][number];
type RoutingStrategy = NonNullable<ShapedSpec['modelRouting']>['strategy'];

/**
 * The canonical spec: the design's shorthand expanded, every default filled in. It is what the
 * custom resource carries, what the spec hash covers and what the Envoy translation reads, so
 * no later layer has to know a default.
 */
export interface CanonicalRule {
  readonly targetEndpoint: string;
  readonly header?: { readonly name: string; readonly value: string };
  readonly pathPrefix?: string;
  /** Set (true or false) on every rule of strategy Path. */
  readonly stripPrefix?: boolean;
  readonly model?: string;
  readonly weight?: number;
}

export interface CanonicalEndpoint {
  readonly name: string;
  readonly serviceRef?: { readonly name: string; readonly namespace?: string; readonly port: number };
  readonly url?: string;
  readonly modelType: NonNullable<ShapedEndpoint['modelType']>;
  /** Canonical spelling (aliases such as vLLM resolved): the PROVIDERS of providers.ts. */
  readonly provider?: 'OpenAI' | 'AzureOpenAI' | 'Anthropic' | 'Gemini' | 'Bedrock' | 'OpenAICompatible' | 'HuggingFace' | 'Other';
  readonly models: string[];
  readonly costPerToken?: { readonly inputTokens: string; readonly outputTokens: string };
  readonly credentialsRef?: { readonly name: string; readonly key: string; readonly header: string; readonly prefix: string };
  readonly timeout: string;
  readonly retries: { readonly attempts: number; readonly perTryTimeout?: string };
  readonly fallbackEndpoints: string[];
}

export interface CanonicalSpec {
  readonly gatewayClassName: string;
  readonly endpoints: CanonicalEndpoint[];
  readonly modelRouting: {
    readonly strategy: RoutingStrategy;
    readonly rules: CanonicalRule[];
    readonly defaultTargetEndpoint?: string;
  };
  readonly authentication: NonNullable<ShapedSpec['authentication']>;
  readonly rateLimiting?: { readonly requestsPerMinute: number; readonly burst: number };
  readonly cachingStrategy?: { readonly type: 'Exact'; readonly ttlSeconds: number; readonly maxEntries: number; readonly scope: 'Caller' | 'Gateway' };
  readonly promptEngineering?: {
    readonly systemPrompt?: string;
    readonly templates: Record<string, string>;
    readonly modificationType: NonNullable<NonNullable<ShapedSpec['promptEngineering']>['modificationType']>;
    readonly templateHeader: string;
  };
  readonly observability: {
    readonly accessLog: boolean;
    readonly metrics: boolean;
    readonly usageHeaders: boolean;
    readonly tracing?: { readonly endpoint: string; readonly samplingPercent: number };
  };
  readonly ingress?: ShapedSpec['ingress'];
  readonly limits: { readonly maxRequestBodyBytes: number };
}

/** The validated, canonical spec (what `validateSpec` returns and `AIGateway.spec` holds). */
export type AIGatewaySpec = CanonicalSpec;
