import { envoyConfig, type PlannedMatch, type PlannedRoute, routePlan } from '../envoy';
import { upstreamAddress } from '../envoy/clusters';
import { DEFAULT_REPLICAS, tokenBucket } from '../envoy/rate-limit';
import type { CanonicalEndpoint, CanonicalSpec } from '../spec';

/**
 * Facts about a gateway in plain words, shared by `explain`'s text and Mermaid renderers so the
 * two always agree. Pure: canonical spec (and the Envoy configuration generated from it) in,
 * sentences out.
 */
export interface ExplainInput {
  /** metadata.name of the gateway. */
  readonly name: string;
  /** metadata.namespace. @default none (the namespace applied to) */
  readonly namespace?: string;
  /** The validated, canonical spec. */
  readonly spec: CanonicalSpec;
  /** Envoy pods the rate limit is shared by. @default DEFAULT_REPLICAS */
  readonly replicas?: number;
}

/** One line of the routing table: what a request looks like, and where it goes. */
export interface RouteRow {
  /** Short matcher text, also the Mermaid edge label: `X-AI-Model: gpt-4`, `/v1/openai`, `model gpt-4`, `90%`, `default`. */
  readonly label: string;
  /** The same in words, for the text output. */
  readonly when: string;
  /** Endpoint name, or undefined for the JSON 404 of a gateway without default. */
  readonly target?: string;
  readonly kind: 'rule' | 'weight' | 'default' | 'not-found';
}

/** Multiplies a non-negative decimal string by 10^3 exactly ("0.00003" -> "0.03"). */
export function timesThousand(decimal: string): string {
  const [whole, fraction = ''] = decimal.split('.');
  const padded = fraction.padEnd(3, '0');
  const integer = `${whole}${padded.slice(0, 3)}`.replace(/^0+(?=\d)/, '');
  const rest = padded.slice(3).replace(/0+$/, '');
  return rest ? `${integer}.${rest}` : integer;
}

/** a / b with at most two decimals; "~" marks a rounded result. Integers only. */
export function quotient(a: number, b: number): string {
  const hundredths = a * 100;
  const exact = hundredths % b === 0;
  const value = (Math.round(hundredths / b) / 100).toString();
  return exact ? value : `~${value}`;
}

/** Share of each weight in percent: [90, 10] -> ["90%", "10%"], [1, 2] -> ["~33.33%", "~66.67%"]. */
export function percentages(weights: readonly number[]): string[] {
  const total = weights.reduce((a, b) => a + b, 0);
  return weights.map((w) => `${quotient(w * 100, total)}%`);
}

/** A planned matcher as the table's label and as words. */
function describeMatch(match: PlannedMatch, source: PlannedRoute['source'], onlyRoute: boolean): Pick<RouteRow, 'label' | 'when'> {
  switch (match.kind) {
    case 'header':
      return { label: `${match.name}: ${match.value}`, when: `header ${match.name} is "${match.value}"` };
    case 'path':
      // Removing the prefix changes what the upstream sees: say so next to the match.
      return { label: match.prefix, when: `path starts with ${match.prefix}${match.stripPrefix ? ', sent without it' : ''}` };
    case 'model':
      // A route from an endpoint's models, not from a rule: say where it comes from.
      return { label: `model ${match.model}`, when: `body "model" is "${match.model}"${source === 'model' ? ' (from the endpoint\'s models)' : ''}` };
    case 'any':
      return onlyRoute ? { label: 'every request', when: 'every request' } : { label: 'default', when: 'anything else' };
  }
}

/**
 * The routing table, read from the same route plan the Envoy route table is written from
 * (src/envoy/route-plan.ts): rules, then (RequestBody) the endpoints' models, then the default
 * or the JSON 404.
 */
export function routeRows(spec: CanonicalSpec): RouteRow[] {
  const plan = routePlan(spec);
  if (plan.kind === 'weighted') {
    const shares = percentages(plan.shares.map((s) => s.weight));
    return plan.shares.map((share, i) => ({ label: shares[i], when: `${shares[i]} of requests (weight ${share.weight})`, target: share.target, kind: 'weight' }));
  }
  const rows: RouteRow[] = plan.routes.map((route) => ({
    ...describeMatch(route.match, route.source, plan.routes.length === 1),
    target: route.target,
    kind: route.source === 'default' ? 'default' : 'rule',
  }));
  if (!plan.routes.some((r) => r.source === 'default')) rows.push({ label: 'no match', when: 'anything else', kind: 'not-found' });
  return rows;
}

/** How the routing step decides, as a heading. */
export function routingBasis(spec: CanonicalSpec): string {
  const routing = spec.modelRouting;
  switch (routing.strategy) {
    case 'Header': {
      const names = [...new Set(routing.rules.map((r) => r.header!.name))];
      return names.length === 0 ? 'one endpoint' : `header ${names.join(', ')}`;
    }
    case 'Path':
      return 'path prefix';
    case 'RequestBody':
      return 'the "model" field of the JSON body';
    case 'Weighted':
      return 'weight';
  }
}

/** "$0.03 per 1k input tokens, $0.06 per 1k output tokens", or undefined without costPerToken. */
export function costPer1k(endpoint: CanonicalEndpoint): { input: string; output: string } | undefined {
  const cost = endpoint.costPerToken;
  return cost && { input: timesThousand(cost.inputTokens), output: timesThousand(cost.outputTokens) };
}

/** Where Envoy sends an endpoint's requests, as the generated cluster has it. */
export function upstreamText(endpoint: CanonicalEndpoint, input: ExplainInput): string {
  const address = upstreamAddress(endpoint, { gatewayName: input.name, ...(input.namespace && { namespace: input.namespace }) });
  const where = `${address.host}:${address.port}${address.basePath}`;
  return endpoint.url ? `${endpoint.url} (${address.tls ? `TLS to ${where}` : `plain HTTP to ${where}`})` : `Service ${where}`;
}

export function replicasOf(input: ExplainInput): number {
  return input.replicas ?? DEFAULT_REPLICAS;
}

/** The token bucket each replica enforces, as the generated local rate limit filter has it. */
export function replicaBucket(input: ExplainInput): { perMinute: string; burst: number; tokensPerFill: number; fillInterval: string } | undefined {
  const limit = input.spec.rateLimiting;
  if (!limit) return undefined;
  const replicas = replicasOf(input);
  const bucket = tokenBucket(limit.requestsPerMinute, limit.burst, replicas);
  return { perMinute: quotient(limit.requestsPerMinute, replicas), burst: bucket.max_tokens, tokensPerFill: bucket.tokens_per_fill, fillInterval: bucket.fill_interval };
}

/** Spec features the generated Envoy configuration does not carry yet (what `synth` warns about). */
export function untranslated(input: ExplainInput): string[] {
  const options = { gatewayName: input.name, replicas: replicasOf(input), ...(input.namespace && { namespace: input.namespace }) };
  return envoyConfig(input.spec, options).warnings;
}

/** Endpoints some request can reach: rule targets, the default, and their fallbacks. */
export function reachableEndpoints(spec: CanonicalSpec): Set<string> {
  const reached = new Set(routeRows(spec).flatMap((row) => (row.target === undefined ? [] : [row.target])));
  const byName = new Map(spec.endpoints.map((e) => [e.name, e]));
  const queue = [...reached];
  while (queue.length > 0) {
    for (const fallback of byName.get(queue.shift()!)?.fallbackEndpoints ?? []) {
      if (!reached.has(fallback)) {
        reached.add(fallback);
        queue.push(fallback);
      }
    }
  }
  return reached;
}
