import { join, relative } from 'path';
import { aigate } from './support/cli';

const dir = relative(process.cwd(), join(__dirname, 'fixtures', 'invalid'));
const f = (name: string) => join(dir, `${name}.yaml`);

/**
 * Every invalid fixture with the exact lines the user sees: file, line, column, field path and
 * what is expected. Each differs from a valid gateway by one mistake.
 */
const CASES: [string, string[]][] = [
  ['dangling-target', ['20:25: spec.modelRouting.rules[1].targetEndpoint: "claude" is not one of the endpoints [openai-gpt4, anthropic-claude3]']],
  ['duplicate-endpoint', ['11:13: spec.endpoints[1].name: duplicate endpoint name "openai-gpt4" (also endpoints[0]); names must be unique']],
  ['negative-rate', ['23:24: spec.rateLimiting.requestsPerMinute: must be a positive whole number, found -5']],
  ['unknown-strategy', ['15:15: spec.modelRouting.strategy: must be one of Header, Path, RequestBody, Weighted; found "Random"']],
  ['wrong-type', ['24:12: spec.rateLimiting.burst: must be a number, found "lots"']],
  ['missing-endpoints', ['6:3: spec.endpoints: is required: a list']],
  ['empty-endpoints', ['7:14: spec.endpoints: needs at least one endpoint, found an empty list']],
  ['bad-header-name', ['17:16: spec.modelRouting.rules[0].match: header name "X AI Model" is not a legal HTTP header name (no spaces; letters, digits and !#$%&\'*+-.^_`|~)']],
  ['bad-header-name-structured', ['18:17: spec.modelRouting.rules[0].header.name: must be a legal HTTP header name (letters, digits and !#$%&\'*+-.^_`|~, no spaces or colons), found "X-AI:Model"']],
  ['shorthand-without-colon', ['19:16: spec.modelRouting.rules[1].match: must be "Header-Name: value" for strategy Header, e.g. "X-AI-Model: gpt-4"; found "X-AI-Model claude-3"']],
  ['apikey-without-secret', ['23:5: spec.authentication.apiKeyRef: is required for type APIKey: the Secret key that holds the accepted keys']],
  ['plaintext-secret', ['23:19: spec.promptEngineering.systemPrompt: looks like an OpenAI-style API key ("sk-…") in plain text; keep credentials in a Secret and reference it (credentialsRef, apiKeyRef)']],
  ['zero-weight', ['17:17: spec.modelRouting.rules[0].weight: must be a positive whole number, found 0']],
  ['misspelled-field', ['15:5: spec.modelRouting.strategi: unknown field "strategi"; did you mean "strategy"?']],
  ['wrong-api-version', ['1:13: apiVersion: must be "gateway.example.com/v1", found "gateway.example.com/v1beta1"']],
  ['wrong-kind', ['2:7: kind: must be "AIGatewayResource", found "Deployment"']],
  ['service-and-url', ['8:7: spec.endpoints[0]: set either serviceRef (in-cluster Service) or url (external provider), not both']],
  ['bad-cost', ['15:22: spec.endpoints[1].costPerToken.inputTokens: must be a non-negative decimal number such as "0.00003", found "$0.03"']],
  ['default-not-last', ['19:9: spec.modelRouting.rules[1]: the defaultTargetEndpoint rule must be the last rule (it applies when no other rule matches)']],
  ['yaml-syntax', ['16:5: YAML syntax: Flow sequence in block collection must be sufficiently indented and end with a ]']],
  ['transform-without-templates', ['23:5: spec.promptEngineering.templates: needs at least one template for modificationType Transform']],
  ['no-routing', ['6:3: spec.modelRouting: is required when more than one endpoint is not only a fallback ([openai-gpt4, anthropic-claude3]): which one should receive requests?']],
  ['bad-gateway-name', ['4:9: metadata.name: must be a DNS-1035 label: lower-case letters, digits and \'-\', starting with a letter (it names the gateway Service), found "Bad_Gateway"']],
  ['port-out-of-range', ['11:15: spec.endpoints[0].serviceRef.port: must be between 1 and 65535, found 70000']],
  ['jwt-over-http', ['26:16: spec.authentication.jwtSpec.jwksUri: must be an https:// URL of the JWKS document, found "http://issuer.example.com/jwks.json"']],
  ['misspelled-target', ['20:25: spec.modelRouting.rules[1].targetEndpoint: "anthropic-cluade3" is not one of the endpoints [openai-gpt4, anthropic-claude3]; did you mean "anthropic-claude3"?']],
  ['misspelled-default', ['21:32: spec.modelRouting.rules[2].defaultTargetEndpoint: "openai-gtp4" is not one of the endpoints [openai-gpt4, anthropic-claude3]; did you mean "openai-gpt4"?']],
  ['misspelled-enum', ['11:18: spec.endpoints[0].modelType: must be one of LLM, Vision, Embedding, Audio, Image, Multimodal; found "llm"; did you mean "LLM"?']],
  [
    'several-problems',
    [
      '12:9: spec.endpoints[0].serviceRef.prot: unknown field "prot"; did you mean "port"?',
      '22:25: spec.modelRouting.rules[1].targetEndpoint: "claude" is not one of the endpoints [openai-gpt4, anthropic-claude3]',
      '25:24: spec.rateLimiting.requestsPerMinute: must be a number, found "1000"',
    ],
  ],
  ['unknown-fallback', ['14:27: spec.endpoints[1].fallbackEndpoints[0]: "mistral" is not one of the endpoints [openai-gpt4, anthropic-claude3]']],
  [
    'open-relay',
    [
      '15:5: spec.ingress: would let anyone who can reach llm.example.com use the provider keys of [openai] (credentialsRef): authentication.type is None; set authentication.type APIKey or JWT, or authentication.allowUnauthenticatedUpstreamCredentials: true if something in front of the Ingress authenticates callers',
    ],
  ],
  [
    'fallback-other-provider',
    [
      '12:27: spec.endpoints[0].fallbackEndpoints[0]: "local-llama" (provider OpenAICompatible) cannot take requests of "openai" (provider OpenAI): it serves [llama-3.1-70b], not [gpt-4o], and the request\'s "model" is sent on unchanged; list every model of the endpoint in the fallback\'s models',
    ],
  ],
];

describe('invalid gateway specs', () => {
  test.each(CASES)('fails on %s with exit code 1 and the field path', async (name, expected) => {
    const result = await aigate(['validate', f(name)]);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    const lines = result.stderr.trimEnd().split('\n');
    expect(lines[0].startsWith('error: ')).toBe(true);
    lines[0] = lines[0].slice('error: '.length);
    expect(lines.slice(0, -1)).toEqual(expected.map((e) => `${f(name)}:${e}`));
    expect(lines[lines.length - 1]).toBe(`${expected.length} problem${expected.length === 1 ? '' : 's'} in 1 file; nothing was written`);
    expect(result.stderr).not.toMatch(/\n\s+at /); // no stack trace
  });

  test('fails on synth too, and writes nothing', async () => {
    const result = await aigate(['synth', f('dangling-target'), '-o', join(dir, 'never-written')]);
    expect(result.code).toBe(1);
    expect(require('fs').existsSync(join(dir, 'never-written'))).toBe(false);
  });

  test('fails without repeating a plaintext secret', async () => {
    const result = await aigate(['validate', f('plaintext-secret')]);
    expect(result.code).toBe(1);
    expect(result.stderr).not.toContain('abcdefghijklmnopqrstuvwxyz0123456789');
  });

  test('fails on several files at once and reports every problem of each', async () => {
    const result = await aigate(['validate', f('misspelled-field'), f('negative-rate'), f('wrong-kind')]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`${f('misspelled-field')}:15:5: spec.modelRouting.strategi: unknown field "strategi"; did you mean "strategy"?`);
    expect(result.stderr).toContain(`${f('negative-rate')}:23:24:`);
    expect(result.stderr).toContain(`${f('wrong-kind')}:2:7:`);
    expect(result.stderr).toContain('3 problems in 3 files; nothing was written');
  });
});
