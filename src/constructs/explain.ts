import type { CanonicalSpec } from '../spec';
import { ENVOY_PORTS } from '../envoy';
import { costPer1k, type ExplainInput, reachableEndpoints, replicaBucket, replicasOf, routeRows, routingBasis, untranslated, upstreamText } from './explain-model';

export type { ExplainInput } from './explain-model';
export { explainMermaid } from './explain-mermaid';

/**
 * The steps a request goes through, each as a title and plain sentences, in the order of the
 * generated Envoy filter chain (src/envoy/http-filters.ts): a cache hit skips prompt changes and
 * routing.
 */
export function explainSteps(input: ExplainInput): { title: string; lines: string[] }[] {
  const { spec } = input;
  return [
    { title: 'Authentication', lines: authentication(spec) },
    { title: 'Rate limit', lines: rateLimit(input) },
    { title: 'Caching', lines: caching(spec) },
    { title: 'Prompt changes', lines: promptChanges(spec) },
    { title: `Routing by ${routingBasis(spec)}`, lines: routing(spec) },
    { title: 'Endpoints (cost per 1k tokens from costPerToken)', lines: endpoints(input) },
    { title: 'Observability', lines: observability(spec) },
  ];
}

function authentication(spec: CanonicalSpec): string[] {
  const auth = spec.authentication;
  switch (auth.type) {
    case 'APIKey':
      return [
        `API key. A request must carry one of the keys listed in Secret ${auth.apiKeyRef!.name}, key ${auth.apiKeyRef!.key} (one key per line); otherwise the answer is 401.`,
      ];
    case 'JWT': {
      const jwt = auth.jwtSpec!;
      const audiences = jwt.audiences && jwt.audiences.length > 0 ? `, audience one of ${jwt.audiences.join(', ')}` : '';
      return [
        `JWT. A request must carry a bearer token signed by a key from ${jwt.jwksUri}, issuer ${jwt.issuer}${audiences}; otherwise the answer is 401.`,
      ];
    }
    default:
      return ['none; every request is accepted.'];
  }
}

function rateLimit(input: ExplainInput): string[] {
  const limit = input.spec.rateLimiting;
  if (!limit) return ['none; every request is admitted.'];
  const replicas = replicasOf(input);
  const bucket = replicaBucket(input)!;
  const each = replicas > 1 ? `Each of the ${replicas} replicas enforces its share` : 'The replica enforces it';
  const tokens = bucket.tokensPerFill === 1 ? '1 token' : `${bucket.tokensPerFill} tokens`;
  return [
    `${limit.requestsPerMinute} requests per minute sustained, bursts of up to ${limit.burst}, for the whole gateway; over the limit the answer is 429.`,
    `${each}: ${bucket.perMinute} requests per minute (${tokens} every ${bucket.fillInterval}), bursts of up to ${bucket.burst}.`,
  ];
}

const PLACEMENT: Record<string, string> = {
  Prefix: 'is added before the conversation',
  Suffix: 'is added after the conversation',
  Replace: 'replaces any system messages',
};

function promptChanges(spec: CanonicalSpec): string[] {
  const prompt = spec.promptEngineering;
  if (!prompt) return ['none; requests are forwarded as sent.'];
  const lines: string[] = [];
  if (prompt.systemPrompt !== undefined && prompt.modificationType !== 'Transform') {
    lines.push(`the system message ${JSON.stringify(prompt.systemPrompt)} ${PLACEMENT[prompt.modificationType]} of chat requests (${prompt.modificationType}).`);
  }
  const templates = Object.entries(prompt.templates);
  if (templates.length > 0) {
    const names = templates.map(([name, text]) => {
      const vars = [...new Set([...text.matchAll(/\{\{\s*\.([A-Za-z_]\w*)\s*\}\}/g)].map((m) => m[1]))];
      return vars.length > 0 ? `${name} (variables: ${vars.join(', ')})` : name;
    });
    lines.push(`A request whose header ${prompt.templateHeader} names a template gets it applied: ${names.join('; ')}.`);
  }
  return lines;
}

function routing(spec: CanonicalSpec): string[] {
  const rows = routeRows(spec);
  const lines = [spec.modelRouting.strategy === 'Weighted' ? 'requests are split at random by weight:' : 'first match wins:'];
  const width = Math.max(...rows.map((r) => r.when.length));
  for (const row of rows) {
    const target = row.target === undefined ? '404 with a JSON error body (no default endpoint)' : `${row.target}${row.kind === 'default' ? ' (default)' : ''}`;
    lines.push(`  ${row.when.padEnd(width)}  -> ${target}`);
  }
  for (const endpoint of spec.endpoints) {
    if (endpoint.fallbackEndpoints.length > 0) {
      lines.push(`While ${endpoint.name} has no healthy upstream, its requests go to ${endpoint.fallbackEndpoints.join(', then ')}.`);
    }
  }
  return lines;
}

function caching(spec: CanonicalSpec): string[] {
  const cache = spec.cachingStrategy;
  if (!cache) return ['off; every request goes to an endpoint.'];
  return [
    `exact. The response to an identical earlier (non-streaming) request is reused for ${cache.ttlSeconds}s; up to ${cache.maxEntries} entries per Envoy worker.`,
  ];
}

function endpoints(input: ExplainInput): string[] {
  const list = input.spec.endpoints;
  const width = Math.max(...list.map((e) => e.name.length));
  const lines: string[] = [];
  const reached = reachableEndpoints(input.spec);
  for (const e of list) {
    const about = [e.provider, e.modelType].filter(Boolean).join(' ');
    const cost = costPer1k(e);
    lines.push(`  ${e.name.padEnd(width)}  ${about ? `${about} at ` : ''}${upstreamText(e, input)}`);
    const details = [
      ...(e.models.length === 1 && e.models[0] === e.name ? [] : [`models ${e.models.join(', ')}`]),
      `timeout ${e.timeout}`,
      e.retries.attempts > 0 ? `${e.retries.attempts} retr${e.retries.attempts === 1 ? 'y' : 'ies'} on 5xx, reset or connect failure` : 'no retries',
      cost ? `$${cost.input} per 1k input tokens, $${cost.output} per 1k output tokens` : 'cost not set',
    ];
    if (!reached.has(e.name)) details.unshift('no rule, default or fallback sends requests here');
    if (e.credentialsRef) {
      const c = e.credentialsRef;
      details.push(`sends the key from Secret ${c.name}, key ${c.key} as ${c.header}: ${c.prefix}<key>`);
    }
    lines.push(`  ${' '.repeat(width)}  ${details.join('; ')}`);
  }
  return lines;
}

function observability(spec: CanonicalSpec): string[] {
  const o = spec.observability;
  return [
    [
      o.accessLog ? 'a JSON access log line per request on stdout' : 'no access log',
      o.metrics ? 'Prometheus metrics' : 'no metrics',
      o.tracing ? `OpenTelemetry traces to ${o.tracing.endpoint} (${o.tracing.samplingPercent}% of requests)` : 'no tracing',
      o.usageHeaders ? 'x-ai-usage-* response headers with tokens and cost' : 'no usage headers',
    ].join('; ') + '.',
  ];
}

/** What the gateway does with a request, in order, in plain words. */
export function explainText(input: ExplainInput): string {
  const { spec, name, namespace } = input;
  const out: string[] = [];
  out.push(`Gateway ${namespace ? `${namespace}/` : ''}${name} (gatewayClassName ${spec.gatewayClassName})`);
  const host = `${name}${namespace ? `.${namespace}` : ''}`;
  out.push(`Clients call Service ${host} on port 80 (Envoy listens on ${ENVOY_PORTS.http}, ${replicasOf(input)} replicas).`);
  // The default a reviewer would not guess: without ingressFrom, apps in the cluster cannot connect.
  out.push(
    "NetworkPolicy: with the construct's `networkPolicy: {}`, ONLY pods in namespace ingress-nginx may connect; in-cluster apps are BLOCKED until you list them in `networkPolicy.ingressFrom`.",
  );
  if (spec.ingress) {
    out.push(`Ingress: http${spec.ingress.tlsSecretName ? 's' : ''}://${spec.ingress.host}/${spec.ingress.className ? ` (class ${spec.ingress.className})` : ''}.`);
  }
  out.push('', 'What the gateway does with a request, in order:', '');
  explainSteps(input).forEach((step, i) => {
    const number = `${i + 1}. `;
    const indent = ' '.repeat(number.length);
    // A step whose first line is a table row starts the table on the next line.
    const [first, ...rest] = step.lines[0].startsWith('  ') ? ['', ...step.lines] : step.lines;
    out.push(`${number}${step.title}:${first ? ` ${first}` : ''}`);
    for (const line of rest) out.push(`${indent}${line}`);
  });
  const missing = untranslated(input);
  if (missing.length > 0) {
    out.push('', 'Not in the generated Envoy configuration yet (aigate synth warns about these):');
    for (const warning of missing) out.push(`  - ${warning}`);
  }
  return `${out.join('\n')}\n`;
}
