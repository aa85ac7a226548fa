/**
 * A pairwise covering set of gateway configurations: every value of every spec feature appears,
 * and every pair of values of two features appears together in at least one configuration. The
 * full cartesian product (thousands of gateways) is too slow to load in Envoy one by one; most
 * defects come from one feature or the interaction of two, which pairwise coverage reaches in a
 * few dozen configurations.
 */
import type { AIGatewayProps } from '../../src/constructs';
import type { AIGatewaySpecInput } from '../../src/spec';
import { SPECS } from './envoy-specs';
import { gatewayObjects } from './real-envoy';

/** One feature: its name and the values the matrix turns it to. */
export interface Factor {
  readonly name: string;
  readonly values: readonly string[];
}

/** A row of the matrix: feature name -> chosen value. */
export type FeatureRow = Readonly<Record<string, string>>;

export const FEATURES: readonly Factor[] = [
  { name: 'auth', values: ['None', 'APIKey', 'JWT'] },
  { name: 'routing', values: ['None', 'Header', 'Path', 'Weighted', 'RequestBody'] },
  { name: 'prompt', values: ['off', 'Prefix', 'Suffix', 'Replace', 'Transform'] },
  // minimal: 1 request a minute, split over the replicas (the smallest token bucket).
  { name: 'rateLimit', values: ['off', 'on', 'minimal'] },
  { name: 'cache', values: ['off', 'Exact'] },
  { name: 'usageHeaders', values: ['off', 'on'] },
  { name: 'tracing', values: ['off', 'sampled', 'always'] },
  // Failover to an in-cluster Service, or to an external TLS provider (a second TLS cluster).
  { name: 'fallback', values: ['off', 'in-cluster', 'external'] },
  // TLS providers with credentialsRef: none, every routed endpoint, or one beside a Service.
  { name: 'external', values: ['off', 'all', 'mixed'] },
  { name: 'metrics', values: ['on', 'off'] },
  { name: 'accessLog', values: ['on', 'off'] },
  { name: 'ingress', values: ['off', 'on'] },
  { name: 'networkPolicy', values: ['off', 'on'] },
  { name: 'autoscaling', values: ['off', 'on'] },
];

/**
 * Value pairs no valid spec has, as [feature, value, feature, value]. None today: without
 * modelRouting a primary and its standby (a fallback only) route everything to the primary.
 */
export const IMPOSSIBLE_PAIRS: readonly (readonly [string, string, string, string])[] = [];

const pairKey = (f: number, a: string, g: number, b: string) => `${f}=${a}|${g}=${b}`;

function impossibleKeys(factors: readonly Factor[]): Set<string> {
  const index = (name: string) => factors.findIndex((f) => f.name === name);
  return new Set(
    IMPOSSIBLE_PAIRS.map(([f, a, g, b]) => (index(f) < index(g) ? pairKey(index(f), a, index(g), b) : pairKey(index(g), b, index(f), a))),
  );
}

/** Every possible pair of values of two different factors, as keys (factor index order). */
export function allPairs(factors: readonly Factor[]): Set<string> {
  const impossible = impossibleKeys(factors);
  const pairs = new Set<string>();
  factors.forEach((f, i) =>
    factors.slice(i + 1).forEach((g, d) => f.values.forEach((a) => g.values.forEach((b) => pairs.add(pairKey(i, a, i + 1 + d, b))))),
  );
  for (const p of impossible) pairs.delete(p);
  return pairs;
}

/** The pairs one row covers. */
export function pairsOf(factors: readonly Factor[], row: FeatureRow): string[] {
  return factors.flatMap((f, i) => factors.slice(i + 1).map((g, d) => pairKey(i, row[f.name], i + 1 + d, row[g.name])));
}

/**
 * A deterministic greedy covering set (AETG-style): each new row starts from the first pair not
 * yet covered, then fills the other factors one by one with the value that covers the most new
 * pairs with the values already chosen (ties: the first value). Each row covers at least its seed
 * pair, so the loop ends; the first row is every factor's first value (the defaults). Values that
 * would form an impossible pair with the ones already chosen are never picked.
 */
export function pairwiseRows(factors: readonly Factor[] = FEATURES): FeatureRow[] {
  const uncovered = allPairs(factors);
  const impossible = impossibleKeys(factors);
  const rows: FeatureRow[] = [];
  const take = (row: FeatureRow) => {
    for (const p of pairsOf(factors, row)) uncovered.delete(p);
    rows.push(row);
  };
  take(Object.fromEntries(factors.map((f) => [f.name, f.values[0]])));
  while (uncovered.size > 0) {
    const [seed] = uncovered;
    const [[fa, a], [fb, b]] = seed.split('|').map((s) => s.split('=')).map(([i, v]) => [Number(i), v] as const);
    const chosen: (string | undefined)[] = factors.map(() => undefined);
    chosen[fa] = a;
    chosen[fb] = b;
    factors.forEach((f, i) => {
      if (chosen[i] !== undefined) return;
      const keys = (v: string) => chosen.flatMap((c, j) => (c === undefined ? [] : [j < i ? pairKey(j, c, i, v) : pairKey(i, v, j, c)]));
      const possible = f.values.filter((v) => !keys(v).some((k) => impossible.has(k)));
      const gain = (v: string) => keys(v).filter((k) => uncovered.has(k)).length;
      chosen[i] = possible.reduce((best, v) => (gain(v) > gain(best) ? v : best));
    });
    take(Object.fromEntries(factors.map((f, i) => [f.name, chosen[i]!])));
  }
  return rows;
}

/** A short label naming the non-default features of a row, e.g. "auth=JWT routing=Path cache". */
export function rowLabel(row: FeatureRow, factors: readonly Factor[] = FEATURES): string {
  const on = factors.filter((f) => row[f.name] !== f.values[0]).map((f) => (f.values.length === 2 ? f.name : `${f.name}=${row[f.name]}`));
  return on.length === 0 ? 'defaults' : on.join(' ');
}

type Endpoint = AIGatewaySpecInput['endpoints'][number];

/** The routed endpoints: in-cluster Services, or external TLS providers with credentials. */
function endpointsOf(row: FeatureRow): Endpoint[] {
  const primary: Endpoint =
    row.external !== 'off'
      ? { name: 'primary', url: 'https://api.openai.com/v1', provider: 'OpenAI', credentialsRef: { name: 'openai-key', key: 'api-key' } }
      : { name: 'primary', serviceRef: { name: 'primary-svc' }, models: ['gpt-4o'] };
  const secondary: Endpoint =
    row.external === 'all'
      ? { name: 'secondary', url: 'https://api.anthropic.com', provider: 'Anthropic', credentialsRef: { name: 'anthropic-key', key: 'key' } }
      : { name: 'secondary', serviceRef: { name: 'secondary-svc', namespace: 'models', port: 8080 } };
  // Without modelRouting one endpoint takes the traffic (its fallback only when it fails).
  const routed = row.routing === 'None' ? [primary] : [primary, secondary];
  if (row.fallback === 'off') return routed;
  // A fallback must speak the primary's API and serve its models (an OpenAI-compatible spare).
  const models = primary.models ?? [primary.name];
  const spare: Endpoint =
    row.fallback === 'external'
      ? { name: 'spare', url: 'https://backup.example.com:8443/v1', models, credentialsRef: { name: 'backup-key', key: 'token', header: 'X-Backup-Key', prefix: 'Key ' }, timeout: '45s' }
      : { name: 'spare', serviceRef: { name: 'spare-svc' }, models, retries: { attempts: 1, perTryTimeout: '10s' } };
  return [{ ...routed[0], fallbackEndpoints: ['spare'] }, ...routed.slice(1), spare];
}

const ROUTING: Record<string, AIGatewaySpecInput['modelRouting']> = {
  Header: {
    strategy: 'Header',
    rules: [
      { match: 'X-AI-Model: gpt-4o', targetEndpoint: 'primary' },
      { match: 'X-AI-Model: claude', targetEndpoint: 'secondary' },
      { header: { name: 'x-odd_Name.v2', value: 'a "b" \\ c*?[.]' }, targetEndpoint: 'secondary' },
      { defaultTargetEndpoint: 'primary' },
    ],
  },
  Path: {
    strategy: 'Path',
    rules: [
      { pathPrefix: '/primary', targetEndpoint: 'primary' },
      { pathPrefix: '/secondary', targetEndpoint: 'secondary' },
      { pathPrefix: "/v1/(x)+.[a]%20~!$&'()", targetEndpoint: 'secondary' },
    ],
  },
  Weighted: { strategy: 'Weighted', rules: [{ weight: 70, targetEndpoint: 'primary' }, { weight: 30, targetEndpoint: 'secondary' }] },
  RequestBody: {
    strategy: 'RequestBody',
    rules: [
      { model: 'gpt-4o', targetEndpoint: 'primary' },
      { model: 'claude-3-5-sonnet', targetEndpoint: 'secondary' },
      { model: 'odd "model" \\ ]]%s', targetEndpoint: 'secondary' },
    ],
  },
};

const TEMPLATES = { summarize: 'Summarize: {{.text}}', 'translate_to-fr': 'Translate into French: {{.text}} ("quoted" \\ backslash)' };

function promptOf(type: string): AIGatewaySpecInput['promptEngineering'] {
  if (type === 'Transform') return { modificationType: 'Transform', templates: TEMPLATES, templateHeader: 'X-Prompt-Template' };
  return { modificationType: type as 'Prefix' | 'Suffix' | 'Replace', systemPrompt: 'You are a "careful" assistant.\nAnswer briefly.', templates: TEMPLATES };
}

/** The gateway a row describes: the spec and the construct props (autoscaling, networkPolicy). */
export function configOf(row: FeatureRow): { spec: AIGatewaySpecInput; props: Partial<AIGatewayProps> } {
  const spec: AIGatewaySpecInput = {
    gatewayClassName: 'envoy',
    endpoints: endpointsOf(row),
    ...(row.routing !== 'None' && { modelRouting: ROUTING[row.routing] }),
    ...(row.auth === 'APIKey' && { authentication: { type: 'APIKey', apiKeyRef: { name: 'client-keys', key: 'keys' } } }),
    ...(row.auth === 'JWT' && {
      authentication: { type: 'JWT', jwtSpec: { issuer: 'https://auth.example.com/', jwksUri: 'https://auth.example.com/.well-known/jwks.json', audiences: ['gw'] } },
    }),
    ...(row.rateLimit === 'on' && { rateLimiting: { requestsPerMinute: 600, burst: 20 } }),
    ...(row.rateLimit === 'minimal' && { rateLimiting: { requestsPerMinute: 1 } }),
    ...(row.cache === 'Exact' && { cachingStrategy: { type: 'Exact', ttlSeconds: 120, maxEntries: 50 } }),
    ...(row.prompt !== 'off' && { promptEngineering: promptOf(row.prompt) }),
    observability: {
      metrics: row.metrics === 'on',
      accessLog: row.accessLog === 'on',
      usageHeaders: row.usageHeaders === 'on',
      ...(row.tracing !== 'off' && { tracing: { endpoint: 'otel-collector.observability:4317', samplingPercent: row.tracing === 'always' ? 100 : 12.5 } }),
    },
    ...(row.ingress === 'on' && { ingress: { host: 'ai.example.com', className: 'nginx', tlsSecretName: 'ai-tls' } }),
  };
  // Provider keys behind an Ingress without client authentication need the explicit opt-in.
  const usesCredentials = spec.endpoints.some((e) => e.credentialsRef);
  if (row.auth === 'None' && row.ingress === 'on' && usesCredentials) {
    spec.authentication = { type: 'None', allowUnauthenticatedUpstreamCredentials: true };
  }
  const props: Partial<AIGatewayProps> = {
    ...(row.networkPolicy === 'on' && { networkPolicy: {} }),
    ...(row.autoscaling === 'on' && { autoscaling: { maxReplicas: 6 } }),
  };
  return { spec, props };
}

/** A synthesized gateway with a label naming what it turns on. */
export interface LabelledGateway {
  readonly label: string;
  readonly objects: any[];
}

/** Every spec of test/support/envoy-specs.ts (the golden fixtures' inputs), synthesized. */
export const catalogueGateways = (): LabelledGateway[] => Object.entries(SPECS).map(([name, spec]) => ({ label: `SPECS.${name}`, objects: gatewayObjects(spec) }));

/** Every row of the pairwise matrix, synthesized. */
export const matrixGateways = (rows: readonly FeatureRow[] = pairwiseRows()): LabelledGateway[] =>
  rows.map((row, i) => {
    const { spec, props } = configOf(row);
    return { label: `matrix[${i}] ${rowLabel(row)}`, objects: gatewayObjects(spec, props) };
  });
