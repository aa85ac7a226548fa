import { readdirSync, readFileSync } from 'fs';
import { join } from 'path';
import { parse } from 'yaml';
import { App, Chart } from 'cdk8s';
import { AIGateway, DEFAULT_REPLICAS, explainMermaid, explainText } from '../src/constructs';
import { percentages, quotient, timesThousand } from '../src/constructs/explain-model';
import { endpointNode, mermaidText } from '../src/constructs/explain-mermaid';
import { parseSpec, type AIGatewaySpecInput } from '../src/spec';
import { aigate } from './support/cli';
import { decodeEntities, type Flowchart, parseFlowchart, reachable } from './support/mermaid';

const EXAMPLES = join(__dirname, '..', 'examples');
const SEED = join('examples', 'basic-gateway.yaml');
const example = (file: string) => parse(readFileSync(join(EXAMPLES, file), 'utf8'));
const inputOf = (doc: { metadata: { name: string; namespace?: string }; spec: AIGatewaySpecInput }, replicas?: number) => ({
  name: doc.metadata.name,
  ...(doc.metadata.namespace && { namespace: doc.metadata.namespace }),
  spec: parseSpec(doc.spec),
  ...(replicas !== undefined && { replicas }),
});
const yamlExamples = readdirSync(EXAMPLES).filter((f) => f.endsWith('.yaml'));

describe('exact arithmetic', () => {
  test.each([
    ['0.00003', '0.03'],
    ['0.00006', '0.06'],
    ['0.0000025', '0.0025'],
    ['0.00000015', '0.00015'],
    ['0', '0'],
    ['1.5', '1500'],
    ['12', '12000'],
    ['0.1234567', '123.4567'],
    ['0.001', '1'],
  ])('USD %s per token is %s per 1k tokens', (perToken, per1k) => {
    expect(timesThousand(perToken)).toBe(per1k);
  });

  test('a price given as a number is explained without binary noise', () => {
    const doc = example('basic-gateway.yaml');
    doc.spec.endpoints[0].costPerToken = { inputTokens: 3e-5, outputTokens: 0.00006 };
    expect(explainText(inputOf(doc))).toContain('$0.03 per 1k input tokens, $0.06 per 1k output tokens');
  });

  test('weights become percentages; a rounded share says so', () => {
    expect(percentages([90, 10])).toEqual(['90%', '10%']);
    expect(percentages([1, 2])).toEqual(['~33.33%', '~66.67%']);
    expect(percentages([1, 1, 2])).toEqual(['25%', '25%', '50%']);
    expect(quotient(1001, 2)).toBe('500.5');
    expect(quotient(1000, 3)).toBe('~333.33');
  });
});

describe('aigate explain (text)', () => {
  test('states the seed example\'s header rules, in order, and its default', async () => {
    const result = await aigate(['explain', '-f', SEED]);
    expect(result.code).toBe(0);
    const lines = result.stdout.split('\n');
    const routing = lines.findIndex((l) => l.startsWith('5. Routing by header X-AI-Model: first match wins:'));
    expect(routing).toBeGreaterThan(0);
    expect(lines.slice(routing + 1, routing + 4).map((l) => l.trim().split(/\s+->\s+/))).toEqual([
      ['header X-AI-Model is "gpt-4"', 'openai-gpt4'],
      ['header X-AI-Model is "claude-3"', 'anthropic-claude3'],
      ['anything else', 'openai-gpt4 (default)'],
    ]);
  });

  test('lists the steps in the order a request meets them', async () => {
    const { stdout } = await aigate(['explain', SEED]);
    const titles = stdout.split('\n').filter((l) => /^\d\. /.test(l)).map((l) => l.replace(/^\d\. /, '').split(/[:(]/)[0].trim());
    // The order of the generated Envoy filter chain: a cache hit skips prompt changes and routing.
    expect(titles).toEqual(['Authentication', 'Rate limit', 'Caching', 'Prompt changes', 'Routing by header X-AI-Model', 'Endpoints', 'Observability']);
  });

  test('explains authentication, the rate limit per replica, prompt changes and cost per 1k tokens of the seed', async () => {
    const { stdout } = await aigate(['explain', SEED]);
    expect(stdout).toContain('Secret my-api-keys, key openai-key');
    expect(stdout).toContain('1000 requests per minute sustained, bursts of up to 200');
    expect(stdout).toContain('Each of the 2 replicas enforces its share: 500 requests per minute (1 token every 0.12s), bursts of up to 100.');
    expect(stdout).toContain('"You are a helpful AI assistant." is added before the conversation');
    expect(stdout).toContain('summarize (variables: text)');
    expect(stdout).toMatch(/openai-gpt4 +OpenAI LLM at Service openai-proxy-service\.ai-apps\.svc\.cluster\.local:80\n +.*\$0\.03 per 1k input tokens, \$0\.06 per 1k output tokens/);
    expect(stdout).toMatch(/anthropic-claude3 +Anthropic LLM at .*\n.*cost not set/);
    // Honest about what the generated Envoy configuration does not do yet.
    for (const warning of (await aigate(['synth', SEED])).stderr.split('\n').filter(Boolean)) {
      expect(stdout).toContain(warning.replace(/^warning: my-llm-gateway: /, '  - '));
    }
  });

  test('--replicas changes the share of each replica', async () => {
    const { stdout } = await aigate(['explain', SEED, '--replicas', '3']);
    expect(stdout).toContain('Each of the 3 replicas enforces its share: ~333.33 requests per minute (1 token every 0.18s), bursts of up to 67.');
  });

  test('fails with exit code 2 on --replicas that is not a positive whole number', async () => {
    for (const bad of ['two', '0', '1.5']) {
      const result = await aigate(['explain', SEED, '--replicas', bad]);
      expect(result.code).toBe(2);
      expect(result.stderr).toContain('must be a whole number of at least 1');
    }
  });

  test('the default replica count is the one AIGateway uses', () => {
    const chart = new Chart(new App(), 'c');
    const gateway = new AIGateway(chart, 'g', { spec: example('basic-gateway.yaml').spec });
    expect(chart.toJson().find((o: { kind: string }) => o.kind === 'Deployment').spec.replicas).toBe(DEFAULT_REPLICAS);
    expect(gateway.name).toBeDefined();
  });

  test('a gateway without default says unmatched requests get a JSON 404, and names fallbacks', () => {
    const text = explainText(inputOf(example('body-routing.yaml')));
    expect(text).toMatch(/anything else +-> 404 with a JSON error body \(no default endpoint\)/);
    expect(text).toContain('While llama-primary has no healthy upstream, its requests go to llama-standby.');
    expect(text).toContain('sends the key from Secret openai-credentials, key api-key as Authorization: Bearer <key>');
  });

  test('a Path rule says whether its prefix is removed before forwarding', () => {
    const text = explainText(inputOf(example('external-providers.yaml')));
    expect(text).toMatch(/path starts with \/openai\/, sent without it +-> openai/);
    const jwt = explainText(inputOf(example('jwt-gateway.yaml')));
    expect(jwt).toMatch(/path starts with \/v1\/chat +-> chat/);
    expect(jwt).not.toContain('sent without it');
  });

  test('weights are shown as percentages', () => {
    const text = explainText(inputOf(example('weighted-rollout.yaml')));
    expect(text).toMatch(/90% of requests \(weight 90\) +-> summarizer-v1/);
    expect(text).toMatch(/10% of requests \(weight 10\) +-> summarizer-v2/);
  });

  test('explains every gateway of the input', async () => {
    const all = await aigate(['explain', 'examples']);
    expect(all.code).toBe(0);
    expect(all.stdout.match(/^Gateway /gm)).toHaveLength(yamlExamples.length);
  });

  test('fails on invalid input with the messages of validate, and prints no explanation', async () => {
    const file = join('test', 'fixtures', 'invalid', 'dangling-target.yaml');
    const bad = await aigate(['explain', file]);
    expect(bad.code).toBe(1);
    expect(bad.stdout).toBe('');
    expect(bad.stderr).toBe((await aigate(['validate', file])).stderr);
  });
});

/** The endpoint node a route edge with this label leads to, checked against the rules of the spec. */
function expectStructure(chart: Flowchart, expectedRoutes: [string, string][]): void {
  expect(chart.direction).toBe('TD');
  const used = new Set(chart.edges.flatMap((e) => [e.from, e.to]));
  expect([...chart.nodes.keys()].filter((id) => !used.has(id))).toEqual([]); // every node is connected
  expect(chart.edges.filter((e) => !chart.nodes.has(e.from) || !chart.nodes.has(e.to))).toEqual([]); // every edge joins declared nodes
  const fromStart = reachable(chart, 'request');
  expect([...chart.nodes.keys()].filter((id) => !fromStart.has(id))).toEqual([]); // the start reaches everything
  expect(chart.edges.filter((e) => e.from === 'route').map((e) => [e.label, e.to])).toEqual(expectedRoutes);
}

describe('aigate explain --format mermaid', () => {
  test('the seed example is a flowchart whose route edges are its header rules and default', async () => {
    const result = await aigate(['explain', '-f', SEED, '--format', 'mermaid']);
    expect(result.code).toBe(0);
    const chart = parseFlowchart(result.stdout);
    expectStructure(chart, [
      ['X-AI-Model: gpt-4', 'ep_openai_gpt4'],
      ['X-AI-Model: claude-3', 'ep_anthropic_claude3'],
      ['default', 'ep_openai_gpt4'],
    ]);
    expect(chart.nodes.get('ep_openai_gpt4')!.label).toContain('$0.03 in / $0.06 out per 1k tokens');
    // Authentication, then the rate limit, then prompt changes, then routing.
    const path = ['request', 'auth', 'ratelimit', 'prompt', 'route'];
    for (let i = 1; i < path.length; i++) expect(chart.edges.some((e) => e.from === path[i - 1] && e.to === path[i])).toBe(true);
    expect(chart.edges).toContainEqual({ from: 'auth', to: 'unauthorized', label: 'no', dotted: false });
    expect(chart.edges).toContainEqual({ from: 'ratelimit', to: 'limited', label: 'no', dotted: false });
  });

  test.each(yamlExamples)('%s: every node connected, the start reaches every endpoint, route labels match the rules', (file) => {
    const doc = example(file);
    const input = inputOf(doc);
    const chart = parseFlowchart(explainMermaid(input));
    const routing = input.spec.modelRouting;
    const expected: [string, string][] = routing.rules.map((r) => {
      const label = r.header ? `${r.header.name}: ${r.header.value}` : r.pathPrefix ?? (r.model !== undefined ? `model ${r.model}` : '');
      return [label, endpointNode(r.targetEndpoint)];
    });
    if (routing.strategy === 'Weighted') {
      const total = routing.rules.reduce((a, r) => a + r.weight!, 0);
      routing.rules.forEach((r, i) => (expected[i][0] = `${(r.weight! * 100) / total}%`));
    } else if (routing.defaultTargetEndpoint) {
      expected.push(['default', endpointNode(routing.defaultTargetEndpoint)]);
    } else {
      expected.push(['no match', 'notfound']);
    }
    expectStructure(chart, expected);
    for (const e of input.spec.endpoints) expect(reachable(chart, 'request').has(endpointNode(e.name))).toBe(true);
  });

  test('a cache sits after the rate limit and before prompt changes, as in the Envoy filter chain; a hit ends there', () => {
    const doc = example('basic-gateway.yaml');
    doc.spec.cachingStrategy = { type: 'Exact', ttlSeconds: 60 };
    const chart = parseFlowchart(explainMermaid(inputOf(doc)));
    const path = ['request', 'auth', 'ratelimit', 'cache', 'prompt', 'route'];
    for (let i = 1; i < path.length; i++) expect(chart.edges.some((e) => e.from === path[i - 1] && e.to === path[i])).toBe(true);
    expect(chart.edges).toContainEqual({ from: 'cache', to: 'cached', label: 'hit', dotted: false });
    expect(explainText(inputOf(doc))).toContain('3. Caching: exact. The response to an identical earlier (non-streaming) request is reused for 60s');
  });

  test('fallbacks are dotted edges between endpoints, in order', () => {
    const chart = parseFlowchart(explainMermaid(inputOf(example('body-routing.yaml'))));
    expect(chart.edges.filter((e) => e.dotted)).toEqual([
      { from: 'ep_llama_primary', to: 'ep_llama_standby', label: 'fallback 1: no healthy upstream', dotted: true },
    ]);
  });

  test('labels survive characters Mermaid would read as markup', () => {
    expect(decodeEntities(mermaidText('a "b" <c> #d | e'))).toBe('a "b" <c> #d | e');
    const doc = example('basic-gateway.yaml');
    doc.spec.modelRouting.rules[0].match = 'X-AI-Model: "gpt|4" <b>#1';
    const chart = parseFlowchart(explainMermaid(inputOf(doc)));
    expect(chart.edges.find((e) => e.to === 'ep_openai_gpt4' && e.label !== 'default')!.label).toBe('X-AI-Model: "gpt|4" <b>#1');
  });

  test('an endpoint no request can reach is left out of the diagram and marked in the text', () => {
    const doc = example('basic-gateway.yaml');
    doc.spec.endpoints.push({ name: 'spare', serviceRef: { name: 'spare' } });
    const input = inputOf(doc);
    expect(parseFlowchart(explainMermaid(input)).nodes.has('ep_spare')).toBe(false);
    expect(explainText(input)).toMatch(/spare .*\n +no rule, default or fallback sends requests here/);
  });

  test('fails with exit code 2 on several gateways unless --gateway picks one', async () => {
    const many = await aigate(['explain', 'examples', '--format', 'mermaid']);
    expect(many.code).toBe(2);
    expect(many.stderr).toContain('choose one with --gateway');
    const one = await aigate(['explain', 'examples', '--format', 'mermaid', '--gateway', 'ai-apps/weighted-rollout']);
    expect(one.code).toBe(0);
    expect(parseFlowchart(one.stdout).edges.filter((e) => e.from === 'route').map((e) => e.label)).toEqual(['90%', '10%']);
  });

  test('fails on a --gateway that names no gateway of the input, listing those it has', async () => {
    const result = await aigate(['explain', 'examples', '--gateway', 'nope']);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('--gateway nope: no such gateway in the input (found my-llm-gateway, body-routing');
    const typo = await aigate(['explain', 'examples', '--gateway', 'my-llm-gatway']);
    expect(typo.code).toBe(1);
    expect(typo.stderr).toMatch(/--gateway my-llm-gatway: no such gateway in the input \(found .*\); did you mean "my-llm-gateway"\?/);
  });
});

describe('explain: who may connect', () => {
  test('says loudly that the NetworkPolicy default admits only the ingress-nginx namespace, and how to admit in-cluster apps', () => {
    const text = explainText(inputOf(example('basic-gateway.yaml')));
    expect(text).toContain(
      'NetworkPolicy: with the construct\'s `networkPolicy: {}`, ONLY pods in namespace ingress-nginx may connect; in-cluster apps are BLOCKED until you list them in `networkPolicy.ingressFrom`.',
    );
  });
});
