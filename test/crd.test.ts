import { readFileSync } from 'fs';
import { join } from 'path';
import { parse } from 'yaml';
import { customResourceDefinition, renderCrdYaml } from '../src/spec';
import { celViolations } from './support/cel';
import { schemaProblems } from './support/k8s-schema';

const CRD_FILE = join(__dirname, '..', 'crds', 'aigates.gateway.example.com.yaml');
const crd = customResourceDefinition() as any;
const schema = crd.spec.versions[0].schema.openAPIV3Schema;

/** Walks every schema node with its path. */
function* nodes(node: any, path = '$'): Generator<[string, any]> {
  yield [path, node];
  for (const [k, v] of Object.entries<any>(node.properties ?? {})) yield* nodes(v, `${path}.${k}`);
  if (node.items) yield* nodes(node.items, `${path}[]`);
  if (node.additionalProperties && typeof node.additionalProperties === 'object') yield* nodes(node.additionalProperties, `${path}{}`);
}

const seed = () => parse(readFileSync(join(__dirname, '..', 'examples', 'basic-gateway.yaml'), 'utf8'));

describe('CustomResourceDefinition', () => {
  test('the committed CRD file is what the schema generates (run `npm run crd` when this fails)', () => {
    expect(readFileSync(CRD_FILE, 'utf8')).toBe(renderCrdYaml());
  });

  test('is a valid apiextensions.k8s.io/v1 CustomResourceDefinition', () => {
    expect(schemaProblems(crd)).toEqual([]);
    expect(crd.metadata.name).toBe('aigates.gateway.example.com');
    expect(crd.spec.names).toMatchObject({ kind: 'AIGatewayResource', plural: 'aigates', singular: 'aigate' });
    expect(crd.spec.scope).toBe('Namespaced');
    expect(crd.spec.versions[0].subresources).toEqual({ status: {} });
    expect(crd.spec.versions[0].additionalPrinterColumns.map((c: any) => c.name)).toEqual(['Ready', 'Address', 'Models', 'Strategy', 'Age']);
  });

  test('is structural: every node typed, no anyOf/oneOf/allOf/$ref, no additionalProperties beside properties', () => {
    const problems: string[] = [];
    for (const [path, node] of nodes(schema)) {
      if (path === '$.metadata') continue;
      if (!node.type && !node['x-kubernetes-int-or-string']) problems.push(`${path}: no type`);
      for (const key of ['anyOf', 'oneOf', 'allOf', '$ref', 'not', 'const', 'default']) if (key in node) problems.push(`${path}: ${key}`);
      if (node.properties && node.additionalProperties !== undefined) problems.push(`${path}: properties and additionalProperties`);
      if (node.maximum === Number.MAX_SAFE_INTEGER) problems.push(`${path}: zod's safe-integer maximum leaked`);
    }
    expect(problems).toEqual([]);
  });

  test('every list and string a CEL rule walks is bounded (the API server estimates rule cost from maxItems/maxLength)', () => {
    const unbounded: string[] = [];
    for (const [path, node] of nodes(schema)) {
      if (node.type === 'array' && node.maxItems === undefined && path.startsWith('$.spec')) unbounded.push(path);
      if (node.type === 'string' && node.maxLength === undefined && node.enum === undefined && path.startsWith('$.spec')) unbounded.push(path);
    }
    expect(unbounded).toEqual([]);
  });

  test('carries every field description from the zod schema', () => {
    const undocumented = [...nodes(schema.properties.spec, '$.spec')].filter(([, n]) => !n.description && n.type === 'object').map(([p]) => p);
    expect(undocumented).toEqual([]);
    expect(schema.properties.spec.properties.modelRouting.properties.strategy.description).toMatch(/selects the endpoint/);
  });

  test('accepts the seed example as written (shorthand included), schema and CEL rules', () => {
    expect(schemaProblems(seed())).toEqual([]);
  });
});

describe('CEL rules (what the API server enforces on kubectl apply)', () => {
  const violations = (mutate: (cr: any) => void) => {
    const cr = seed();
    mutate(cr);
    return celViolations(schema, cr).map((v) => `${v.path}: ${v.message}`);
  };

  test('pass on the seed example', () => {
    expect(violations(() => {})).toEqual([]);
  });

  const INVALID: [string, (cr: any) => void, string][] = [
    ['a dangling targetEndpoint', (cr) => (cr.spec.modelRouting.rules[1].targetEndpoint = 'claude'), '.spec: every modelRouting.rules[].targetEndpoint and defaultTargetEndpoint must name one of spec.endpoints'],
    ['a dangling default rule', (cr) => (cr.spec.modelRouting.rules[2].defaultTargetEndpoint = 'gone'), '.spec: every modelRouting.rules[].targetEndpoint and defaultTargetEndpoint must name one of spec.endpoints'],
    ['a dangling top-level default', (cr) => (cr.spec.modelRouting.defaultTargetEndpoint = 'gone'), '.spec: modelRouting.defaultTargetEndpoint must name one of spec.endpoints'],
    ['duplicate endpoint names', (cr) => cr.spec.endpoints.push({ ...cr.spec.endpoints[0] }), '.spec.endpoints: endpoint names must be unique'],
    ['an endpoint with serviceRef and url', (cr) => (cr.spec.endpoints[0].url = 'https://api.openai.com'), '.spec.endpoints[0]: set exactly one of serviceRef (in-cluster Service) or url (external provider)'],
    ['an endpoint with neither serviceRef nor url', (cr) => delete cr.spec.endpoints[0].serviceRef, '.spec.endpoints[0]: set exactly one of serviceRef (in-cluster Service) or url (external provider)'],
    ['a rule without targetEndpoint', (cr) => delete cr.spec.modelRouting.rules[0].targetEndpoint, '.spec.modelRouting.rules[0]: a rule needs targetEndpoint, or is a lone defaultTargetEndpoint'],
    ['a rule with two matchers', (cr) => (cr.spec.modelRouting.rules[0].pathPrefix = '/v1'), '.spec.modelRouting.rules[0]: a rule takes one matcher: match, header, pathPrefix, model or weight'],
    ['a Path matcher under strategy Header', (cr) => (cr.spec.modelRouting.rules[0] = { pathPrefix: '/v1', targetEndpoint: 'openai-gpt4' }), '.spec.modelRouting: each rule must use the matcher of the strategy: header or match (Header), pathPrefix or match (Path), model or match (RequestBody), weight (Weighted)'],
    ['Weighted with a default', (cr) => { cr.spec.modelRouting = { strategy: 'Weighted', rules: [{ weight: 1, targetEndpoint: 'openai-gpt4' }], defaultTargetEndpoint: 'openai-gpt4' }; }, '.spec.modelRouting: strategy Weighted needs weighted rules and takes no defaultTargetEndpoint'],
    ['APIKey without apiKeyRef', (cr) => delete cr.spec.authentication.apiKeyRef, '.spec.authentication: apiKeyRef is required for type APIKey'],
    ['JWT without jwtSpec', (cr) => { cr.spec.authentication = { type: 'JWT' }; }, '.spec.authentication: jwtSpec is required for type JWT'],
    ['None with an apiKeyRef', (cr) => (cr.spec.authentication.type = 'None'), '.spec.authentication: apiKeyRef is only used with type APIKey'],
    ['Transform without templates', (cr) => { cr.spec.promptEngineering = { modificationType: 'Transform' }; }, '.spec.promptEngineering: modificationType Transform needs at least one template'],
    ['Suffix without systemPrompt', (cr) => { cr.spec.promptEngineering = { modificationType: 'Suffix', templates: { a: 'b' } }; }, '.spec.promptEngineering: modificationType Prefix, Suffix and Replace need systemPrompt'],
    ['a badly named template', (cr) => (cr.spec.promptEngineering.templates = { 'sum marize': 'x' }), ".spec.promptEngineering: template names use letters, digits, '-' and '_'"],
    ['a fallback to itself', (cr) => (cr.spec.endpoints[0].fallbackEndpoints = ['openai-gpt4']), '.spec: every endpoints[].fallbackEndpoints entry must name another endpoint'],
    ['stripPrefix under strategy Header', (cr) => (cr.spec.modelRouting.rules[0].stripPrefix = true), '.spec.modelRouting: stripPrefix is only used by strategy Path'],
    [
      'an Ingress in front of upstream credentials without authentication',
      (cr) => {
        cr.spec.authentication = { type: 'None' };
        cr.spec.endpoints[0].credentialsRef = { name: 'openai-credentials', key: 'api-key' };
        cr.spec.ingress = { host: 'llm.example.com' };
      },
      '.spec: an Ingress in front of endpoints with credentialsRef needs authentication type APIKey or JWT, or authentication.allowUnauthenticatedUpstreamCredentials: true',
    ],
    ['allowUnauthenticatedUpstreamCredentials with type APIKey', (cr) => (cr.spec.authentication.allowUnauthenticatedUpstreamCredentials = true), '.spec.authentication: allowUnauthenticatedUpstreamCredentials is only used with type None'],
    ['two endpoints and no modelRouting', (cr) => delete cr.spec.modelRouting, '.spec: modelRouting is required unless exactly one endpoint is not a fallback of another'],
  ];

  test.each(INVALID)('fails on %s', (_name, mutate, expected) => {
    expect(violations(mutate)).toEqual([expected]);
  });

  test('an Ingress in front of upstream credentials passes with authentication, or None explicitly allowed', () => {
    const open = (auth: Record<string, unknown> | undefined) => (cr: any) => {
      if (auth) cr.spec.authentication = auth;
      else delete cr.spec.authentication;
      cr.spec.endpoints[0].credentialsRef = { name: 'openai-credentials', key: 'api-key' };
      cr.spec.ingress = { host: 'llm.example.com' };
    };
    expect(violations(open({ type: 'None', allowUnauthenticatedUpstreamCredentials: true }))).toEqual([]);
    expect(violations(open(undefined))).toHaveLength(1);
    expect(violations((cr) => (cr.spec.ingress = { host: 'llm.example.com' }))).toEqual([]);
  });
});
