import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { parse } from 'yaml';
import { formatIssue, validateResource, validateSpec } from '../src/spec';
import { closest, editDistance } from '../src/spec/suggest';
import { aigate } from './support/cli';

const SEED_TEXT = readFileSync(join(__dirname, '..', 'examples', 'basic-gateway.yaml'), 'utf8');
const seed = () => parse(SEED_TEXT);
const messages = (input: unknown) => {
  const result = validateResource(input);
  return result.ok ? [] : result.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
};

describe('did-you-mean', () => {
  test('a swap of two letters is one edit', () => {
    expect(editDistance('gtp', 'gpt')).toBe(1);
    expect(editDistance('strategi', 'strategy')).toBe(1);
    expect(editDistance('', 'abc')).toBe(3);
  });

  test('suggests the nearest candidate, a different case first, and nothing for a different word', () => {
    expect(closest('openai-gtp4', ['anthropic-claude3', 'openai-gpt4'])).toBe('openai-gpt4');
    expect(closest('llm', ['LLM', 'Vision'])).toBe('LLM');
    expect(closest('claude', ['openai-gpt4', 'anthropic-claude3'])).toBeUndefined();
    expect(closest('Random', ['Header', 'Path', 'RequestBody', 'Weighted'])).toBeUndefined();
  });

  test('fails on a misspelled field anywhere with the field it was meant to be, and drops that field\'s "is required"', () => {
    const doc = seed();
    doc.spec.rateLimiting.requestsPerMinut = doc.spec.rateLimiting.requestsPerMinute;
    delete doc.spec.rateLimiting.requestsPerMinute;
    doc.spec.endpoints[1].serviceRef.nmae = 'x';
    expect(messages(doc)).toEqual([
      'spec.endpoints.1.serviceRef.nmae: unknown field "nmae"; did you mean "name"?',
      'spec.rateLimiting.requestsPerMinut: unknown field "requestsPerMinut"; did you mean "requestsPerMinute"?',
    ]);
  });

  test('fails on an unknown field that resembles nothing by listing the allowed fields', () => {
    const doc = seed();
    doc.spec.rateLimiting.window = '1m';
    expect(messages(doc)).toEqual(['spec.rateLimiting.window: unknown field "window"; expected one of requestsPerMinute, burst']);
  });

  test('fails on a misspelled fallback endpoint, never suggesting the endpoint itself', () => {
    const doc = seed();
    doc.spec.endpoints[1].fallbackEndpoints = ['openai-gtp4'];
    doc.spec.endpoints[0].fallbackEndpoints = ['openai-gtp4'];
    expect(messages(doc)).toEqual([
      'spec.endpoints.0.fallbackEndpoints.0: "openai-gtp4" is not one of the endpoints [openai-gpt4, anthropic-claude3]',
      'spec.endpoints.1.fallbackEndpoints.0: "openai-gtp4" is not one of the endpoints [openai-gpt4, anthropic-claude3]; did you mean "openai-gpt4"?',
    ]);
  });

  test('fails on an unknown field whose name is a credential without repeating it', () => {
    const doc = seed();
    const key = 'sk-proj-abcdefghijklmnopqrstuvwxyz0123';
    doc.spec.endpoints[0][key] = 'x';
    const result = validateResource(doc);
    const out = result.ok ? '' : result.issues.map(formatIssue).join('\n');
    expect(out).toContain('unknown field <redacted>');
    expect(out).not.toContain(key);
  });
});

describe('every problem in one run', () => {
  test('fails with the cross-field checks even when another field has the wrong type', () => {
    const doc = seed();
    doc.spec.rateLimiting.burst = 'lots';
    doc.spec.modelRouting.rules[1].targetEndpoint = 'claude';
    doc.spec.authentication.apiKeyRef = undefined;
    expect(messages(doc)).toEqual([
      'spec.rateLimiting.burst: must be a number, found "lots"',
      'spec.modelRouting.rules.1.targetEndpoint: "claude" is not one of the endpoints [openai-gpt4, anthropic-claude3]',
      'spec.authentication.apiKeyRef: is required for type APIKey: the Secret key that holds the accepted keys',
    ]);
  });

  test('fails without a dangling-target message while an endpoint name is itself invalid (it may be the one meant)', () => {
    const doc = seed();
    doc.spec.endpoints[1].name = 'Anthropic_Claude3';
    doc.spec.modelRouting.rules[1].targetEndpoint = 'anthropic-claude';
    expect(messages(doc)).toEqual([expect.stringMatching(/^spec\.endpoints\.1\.name: must be a DNS-1123 label/)]);
  });

  test('fails once per problem: a value with a shape error gets no second, cross-field message', () => {
    const doc = seed();
    doc.spec.modelRouting.rules[0].targetEndpoint = 'Not_A_Name';
    doc.spec.modelRouting.rules[1].match = 42;
    expect(messages(doc)).toEqual([
      'spec.modelRouting.rules.0.targetEndpoint: must be a DNS-1123 label: lower-case letters, digits and \'-\', starting and ending with a letter or digit, found "Not_A_Name"',
      'spec.modelRouting.rules.1.match: must be a string, found 42',
    ]);
  });

  test('three errors in two files are all reported, each at its line, in file order', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'aigate-errors-'));
    try {
      const a = join(dir, 'a.yaml');
      const b = join(dir, 'b.yaml');
      writeFileSync(a, SEED_TEXT.replace('    strategy: Header', '    strategi: Header').replace('targetEndpoint: anthropic-claude3', 'targetEndpoint: anthropic-claude'));
      writeFileSync(b, SEED_TEXT.replace('name: my-llm-gateway', 'name: second').replace('burst: 200', 'burst: lots'));
      const result = await aigate(['validate', a, b]);
      expect(result.code).toBe(1);
      expect(result.stderr.trimEnd().split('\n')).toEqual([
        `error: ${a}:24:5: spec.modelRouting.strategi: unknown field "strategi"; did you mean "strategy"?`,
        `${a}:29:25: spec.modelRouting.rules[1].targetEndpoint: "anthropic-claude" is not one of the endpoints [openai-gpt4, anthropic-claude3]; did you mean "anthropic-claude3"?`,
        `${b}:38:12: spec.rateLimiting.burst: must be a number, found "lots"`,
        '3 problems in 2 files; nothing was written',
      ]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

/** Deterministic pseudo-random numbers (mulberry32), so a failure can be replayed. */
function random(seedValue: number): () => number {
  let a = seedValue;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function pathsOf(value: unknown, path: (string | number)[] = []): (string | number)[][] {
  const here = path.length > 0 ? [path] : [];
  if (Array.isArray(value)) return [...here, ...value.flatMap((v, i) => pathsOf(v, [...path, i]))];
  if (value && typeof value === 'object') return [...here, ...Object.entries(value).flatMap(([k, v]) => pathsOf(v, [...path, k]))];
  return here;
}

describe('partially invalid input', () => {
  const SECRET = 'sk-proj-abcdefghijklmnopqrstuvwxyz0123';
  const JUNK: unknown[] = [null, 0, -1, 1.5, '', 'x', 'Header', 'openai-gtp4', true, [], {}, ['a', 3], { name: 5 }, SECRET, undefined];

  test('fails with messages, never crashes, on 400 random corruptions of the seed', () => {
    const next = random(7);
    const pick = <T>(items: readonly T[]) => items[Math.floor(next() * items.length)];
    const original = seed();
    const problems: string[] = [];
    for (let round = 0; round < 400; round++) {
      const doc = structuredClone(original);
      const corruptions = 1 + Math.floor(next() * 3);
      for (let c = 0; c < corruptions; c++) {
        const path = pick(pathsOf(doc));
        if (!path) break;
        let parent = doc;
        for (const part of path.slice(0, -1)) parent = parent[part];
        parent[path[path.length - 1]] = pick(JUNK);
      }
      let result: ReturnType<typeof validateResource>;
      try {
        result = validateResource(doc);
      } catch (err) {
        problems.push(`round ${round} threw ${(err as Error).message}: ${JSON.stringify(doc)}`);
        continue;
      }
      if (result.ok) continue;
      for (const issue of result.issues) {
        const text = formatIssue(issue);
        if (!/\S/.test(issue.message) || text.includes(SECRET)) problems.push(`round ${round}: ${text}`);
      }
    }
    expect(problems).toEqual([]);
  });

  test('validateSpec reports cross-field problems next to shape problems too', () => {
    const spec = seed().spec;
    spec.gatewayClassName = 7;
    spec.endpoints.push({ name: 'openai-gpt4', url: 'https://api.openai.com' });
    const result = validateSpec(spec);
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.issues.map((i) => i.path.join('.'))).toEqual(['spec.gatewayClassName', 'spec.endpoints.2.name']);
    }
  });
});

describe('fallback endpoints take the request as sent', () => {
  const endpoint = (name: string, extra: Record<string, unknown>) => ({ name, serviceRef: { name: `${name}-svc` }, ...extra });
  const specWith = (endpoints: Record<string, unknown>[]) => ({
    apiVersion: 'gateway.example.com/v1',
    kind: 'AIGatewayResource',
    metadata: { name: 'gw' },
    spec: { gatewayClassName: 'envoy', endpoints, modelRouting: { strategy: 'Header', rules: [], defaultTargetEndpoint: endpoints[0].name } },
  });

  test('fails on a fallback of another provider API, naming both providers', () => {
    const doc = specWith([
      endpoint('openai', { provider: 'OpenAI', models: ['gpt-4o'], fallbackEndpoints: ['claude'] }),
      endpoint('claude', { provider: 'Anthropic', models: ['gpt-4o'] }),
    ]);
    expect(messages(doc)).toEqual([
      'spec.endpoints.0.fallbackEndpoints.0: "claude" (provider Anthropic) cannot take requests of "openai" (provider OpenAI): it speaks the Anthropic Messages API, not the OpenAI-compatible API, and the gateway sends a request\'s path and body on unchanged (no translation between provider APIs yet); use fallbacks that speak the same API',
    ]);
  });

  test('fails from OpenAI to Azure OpenAI (deployment paths), but not between two Azure OpenAI deployments', () => {
    const azure = (name: string, extra: Record<string, unknown> = {}) =>
      ({ name, url: `https://${name}.openai.azure.com/openai/deployments/gpt-4o`, provider: 'AzureOpenAI', models: ['gpt-4o'], ...extra });
    expect(messages(specWith([endpoint('openai', { provider: 'OpenAI', models: ['gpt-4o'], fallbackEndpoints: ['azure'] }), azure('azure')]))).toEqual([
      expect.stringMatching(/^spec\.endpoints\.0\.fallbackEndpoints\.0: "azure" \(provider AzureOpenAI\) cannot take requests of "openai" \(provider OpenAI\): it speaks the Azure OpenAI API/),
    ]);
    expect(messages(specWith([azure('eastus', { fallbackEndpoints: ['westeurope'] }), azure('westeurope')]))).toEqual([]);
  });

  test('fails on a fallback that does not serve every model of its endpoint (the model name is sent unchanged)', () => {
    const doc = specWith([
      endpoint('openai', { provider: 'OpenAI', models: ['gpt-4o', 'gpt-4o-mini'], fallbackEndpoints: ['local-llama'] }),
      endpoint('local-llama', { provider: 'vLLM', models: ['llama-3.1-70b', 'gpt-4o'] }),
    ]);
    expect(messages(doc)).toEqual([
      'spec.endpoints.0.fallbackEndpoints.0: "local-llama" (provider OpenAICompatible) cannot take requests of "openai" (provider OpenAI): it serves [llama-3.1-70b, gpt-4o], not [gpt-4o-mini], and the request\'s "model" is sent on unchanged; list every model of the endpoint in the fallback\'s models',
    ]);
  });

  test('accepts endpoints that list no models (a standby pool of the same server): the gateway cannot know, so the user decides', () => {
    const doc = specWith([endpoint('vllm-a', { fallbackEndpoints: ['vllm-b'] }), endpoint('vllm-b', {}), endpoint('vllm-c', { models: ['llama'], fallbackEndpoints: ['vllm-a'] })]);
    expect(messages(doc)).toEqual([]);
  });

  test('accepts OpenAI-compatible fallbacks of any provider (vLLM, OpenAI, none) that serve a superset of the models', () => {
    const doc = specWith([
      endpoint('primary', { provider: 'vLLM', models: ['llama'], fallbackEndpoints: ['proxy', 'plain'] }),
      endpoint('proxy', { provider: 'openai', models: ['llama', 'other'] }),
      endpoint('plain', { models: ['llama'] }),
    ]);
    expect(messages(doc)).toEqual([]);
  });
});
