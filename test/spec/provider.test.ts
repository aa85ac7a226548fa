/**
 * `provider` decides how the credential is sent and which API a fallback must speak, so it is a
 * closed set: case-insensitive on input, with did-you-mean, aliases for OpenAI-compatible servers,
 * and the canonical spelling in the custom resource (the CRD enum).
 */
import { readdirSync, readFileSync } from 'fs';
import { join } from 'path';
import { parseAllDocuments } from 'yaml';
import { AIGateway } from '../../src/constructs';
import { customResourceDefinition, parseSpec, validateSpec } from '../../src/spec';
import { PROVIDERS } from '../../src/spec/providers';
import { synthChart } from '../support/synth';

type Json = any;
const withProvider = (provider: unknown, extra: Json = {}) => ({
  gatewayClassName: 'envoy',
  endpoints: [{ name: 'llm', url: 'https://llm.example.com', provider, credentialsRef: { name: 'llm-key', key: 'key' }, ...extra }],
});
const problems = (provider: unknown) => {
  const result = validateSpec(withProvider(provider));
  return result.ok ? [] : result.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
};
const canonical = (provider: string) => parseSpec(withProvider(provider)).endpoints[0];
const ALLOWED = 'OpenAI, AzureOpenAI, Anthropic, Gemini, Bedrock, OpenAICompatible, HuggingFace, Other';

describe('provider', () => {
  test('is one of the providers the gateway knows', () => {
    expect([...PROVIDERS]).toEqual(ALLOWED.split(', '));
  });

  test.each([
    ['Azure', 'AzureOpenAI'],
    ['Antropic', 'Anthropic'],
    ['open-ai', 'OpenAI'],
    ['gemeni', 'Gemini'],
    ['OpenAiCompat', 'OpenAICompatible'],
  ])('fails for %s, suggesting %s', (written, meant) => {
    expect(problems(written)).toEqual([`spec.endpoints.0.provider: must be one of ${ALLOWED}; found "${written}"; did you mean "${meant}"?`]);
  });

  test('fails for an unknown provider without a near name, listing the allowed ones and the pass-through', () => {
    expect(problems('Acme')).toEqual([`spec.endpoints.0.provider: must be one of ${ALLOWED}; found "Acme" (use Other for a provider the gateway does not know)`]);
    expect(problems(42)).toEqual(['spec.endpoints.0.provider: must be a string, found 42']);
  });

  test.each([
    ['openai', 'OpenAI'],
    ['AZUREOPENAI', 'AzureOpenAI'],
    ['anthropic', 'Anthropic'],
    ['huggingface', 'HuggingFace'],
    ['vLLM', 'OpenAICompatible'],
    ['vllm', 'OpenAICompatible'],
    ['TGI', 'OpenAICompatible'],
    ['Ollama', 'OpenAICompatible'],
    ['LM Studio', 'OpenAICompatible'],
    ['LMStudio', 'OpenAICompatible'],
  ])('accepts %s, written as %s in the canonical spec', (written, spelled) => {
    expect(canonical(written).provider).toBe(spelled);
  });

  test.each([
    ['OpenAI', 'Authorization', 'Bearer '],
    ['azureopenai', 'api-key', ''],
    ['ANTHROPIC', 'x-api-key', ''],
    ['Gemini', 'x-goog-api-key', ''],
    ['Bedrock', 'Authorization', 'Bearer '],
    ['vLLM', 'Authorization', 'Bearer '],
    ['Other', 'Authorization', 'Bearer '],
  ])('%s sends the key as %s by default', (provider, header, prefix) => {
    expect(canonical(provider).credentialsRef).toEqual({ name: 'llm-key', key: 'key', header, prefix });
  });

  test('the CRD has the enum, and the custom resource carries the canonical spelling', () => {
    const schema = (customResourceDefinition() as Json).spec.versions[0].schema.openAPIV3Schema;
    expect(schema.properties.spec.properties.endpoints.items.properties.provider.enum).toEqual([...PROVIDERS]);
    const objects = synthChart((chart) => new AIGateway(chart, 'gw', { metadata: { name: 'gw' }, spec: withProvider('vllm') }));
    expect(objects.find((o) => o.kind === 'AIGatewayResource').spec.endpoints[0].provider).toBe('OpenAICompatible');
  });

  test('every example is valid and its custom resource uses the CRD spelling', () => {
    const dir = join(__dirname, '..', '..', 'examples');
    for (const file of readdirSync(dir).filter((f) => f.endsWith('.yaml'))) {
      for (const doc of parseAllDocuments(readFileSync(join(dir, file), 'utf8'))) {
        for (const e of parseSpec(doc.toJS().spec).endpoints) expect(e.provider === undefined || PROVIDERS.includes(e.provider)).toBe(true);
      }
    }
  });
});
