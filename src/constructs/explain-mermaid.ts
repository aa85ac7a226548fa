import type { CanonicalSpec } from '../spec';
import { costPer1k, type ExplainInput, reachableEndpoints, routeRows, routingBasis, untranslated, upstreamText } from './explain-model';

/**
 * The request path of a gateway as a Mermaid flowchart: the same steps and routing table as the
 * text explanation (both read explain-model.ts). Node ids are fixed words plus `ep_<endpoint>`;
 * every label is quoted, with the characters Mermaid would read as markup written as entities.
 */

/** Text safe inside a quoted Mermaid label. */
export function mermaidText(text: string): string {
  return text
    .replace(/#/g, '#35;')
    .replace(/"/g, '#quot;')
    .replace(/</g, '#lt;')
    .replace(/>/g, '#gt;')
    .replace(/\|/g, '#124;');
}

/** Endpoint names are DNS labels, so this is one-to-one and never a Mermaid keyword. */
export const endpointNode = (name: string) => `ep_${name.replace(/-/g, '_')}`;

class Flowchart {
  readonly lines: string[] = ['flowchart TD'];
  node(id: string, shape: 'round' | 'box' | 'decision' | 'stadium', ...label: string[]): string {
    const [open, close] = { round: ['(', ')'], box: ['[', ']'], decision: ['{', '}'], stadium: ['([', '])'] }[shape];
    this.lines.push(`  ${id}${open}"${label.map(mermaidText).join('<br/>')}"${close}`);
    return id;
  }
  edge(from: string, to: string, label?: string, dotted = false): void {
    const arrow = dotted ? '-.->' : '-->';
    this.lines.push(`  ${from} ${arrow}${label === undefined ? '' : `|"${mermaidText(label)}"|`} ${to}`);
  }
}

function authLabel(spec: CanonicalSpec): string[] | undefined {
  const auth = spec.authentication;
  if (auth.type === 'APIKey') return ['API key valid?', `Secret ${auth.apiKeyRef!.name}, key ${auth.apiKeyRef!.key}`];
  if (auth.type === 'JWT') return ['JWT valid?', `issuer ${auth.jwtSpec!.issuer}`];
  return undefined;
}

function promptLabel(spec: CanonicalSpec): string[] | undefined {
  const prompt = spec.promptEngineering;
  if (!prompt) return undefined;
  const label = ['Prompt changes'];
  if (prompt.systemPrompt !== undefined && prompt.modificationType !== 'Transform') label.push(`system message (${prompt.modificationType})`);
  const templates = Object.keys(prompt.templates);
  if (templates.length > 0) label.push(`templates ${templates.join(', ')} by header ${prompt.templateHeader}`);
  return label;
}

/** A Mermaid `flowchart` of what the gateway does with a request. */
export function explainMermaid(input: ExplainInput): string {
  const { spec } = input;
  const chart = new Flowchart();
  let previous = chart.node('request', 'stadium', 'Client request');
  let passLabel: string | undefined;
  const step = (id: string, shape: 'box' | 'decision', label: string[]) => {
    chart.node(id, shape, ...label);
    chart.edge(previous, id, passLabel);
    previous = id;
    passLabel = undefined;
  };

  const auth = authLabel(spec);
  if (auth) {
    step('auth', 'decision', auth);
    chart.node('unauthorized', 'round', '401 Unauthorized');
    chart.edge('auth', 'unauthorized', 'no');
    passLabel = 'yes';
  }
  const limit = spec.rateLimiting;
  if (limit) {
    step('ratelimit', 'decision', ['Within rate limit?', `${limit.requestsPerMinute}/min, burst ${limit.burst}`]);
    chart.node('limited', 'round', '429 Too Many Requests');
    chart.edge('ratelimit', 'limited', 'no');
    passLabel = 'yes';
  }
  const cache = spec.cachingStrategy;
  if (cache) {
    step('cache', 'decision', ['Cached response?', `exact match, ${cache.ttlSeconds}s`]);
    chart.node('cached', 'round', 'Cached response');
    chart.edge('cache', 'cached', 'hit');
    passLabel = 'miss';
  }
  const prompt = promptLabel(spec);
  if (prompt) step('prompt', 'box', prompt);
  step('route', 'decision', [`Route by ${routingBasis(spec)}`]);

  // An endpoint no rule, default or fallback leads to is left out: no request ever reaches it.
  const reached = reachableEndpoints(spec);
  const endpoints = spec.endpoints.filter((e) => reached.has(e.name));
  for (const endpoint of endpoints) {
    const cost = costPer1k(endpoint);
    chart.node(
      endpointNode(endpoint.name),
      'box',
      endpoint.name,
      upstreamText(endpoint, input),
      cost ? `$${cost.input} in / $${cost.output} out per 1k tokens` : 'cost not set',
    );
  }
  for (const row of routeRows(spec)) {
    if (row.target !== undefined) {
      chart.edge('route', endpointNode(row.target), row.label);
    } else {
      chart.node('notfound', 'round', '404 no_route (JSON)');
      chart.edge('route', 'notfound', row.label);
    }
  }
  for (const endpoint of endpoints) {
    endpoint.fallbackEndpoints.forEach((fallback, i) => {
      chart.edge(endpointNode(endpoint.name), endpointNode(fallback), `fallback ${i + 1}: no healthy upstream`, true);
    });
  }
  for (const warning of untranslated(input)) chart.lines.push(`%% ${warning}`);
  return `${chart.lines.join('\n')}\n`;
}
