/**
 * Routing that needs no rule: a primary whose only peer is its standby, and RequestBody routing by
 * the endpoints' models. The error stays only where the choice is ambiguous, and says why.
 */
import { customResourceDefinition, parseSpec, validateSpec } from '../../src/spec';
import { routeRows } from '../../src/constructs/explain-model';
import { celViolations } from '../support/cel';

type Json = any;

const primary = { name: 'primary', serviceRef: { name: 'vllm' }, fallbackEndpoints: ['standby'] };
const standby = { name: 'standby', serviceRef: { name: 'vllm', namespace: 'standby' } };
const other = { name: 'other', serviceRef: { name: 'other' } };
const spec = (endpoints: Json[], modelRouting?: Json) => ({ gatewayClassName: 'envoy', endpoints, ...(modelRouting && { modelRouting }) });
const problems = (input: Json) => {
  const result = validateSpec(input);
  return result.ok ? [] : result.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
};
const crdSchema = (customResourceDefinition() as Json).spec.versions[0].schema.openAPIV3Schema;
const cel = (input: Json) =>
  celViolations(crdSchema, { apiVersion: 'gateway.example.com/v1', kind: 'AIGatewayResource', metadata: { name: 'gw' }, spec: input }).map((v) => v.message);

describe('a primary with a standby that is only its fallback', () => {
  test('needs no modelRouting: every request goes to the primary', () => {
    const input = spec([primary, standby]);
    expect(problems(input)).toEqual([]);
    expect(parseSpec(input).modelRouting).toEqual({ strategy: 'Header', rules: [], defaultTargetEndpoint: 'primary' });
    expect(routeRows(parseSpec(input))).toEqual([{ label: 'every request', when: 'every request', target: 'primary', kind: 'default' }]);
  });

  test('a chain of standbys (primary -> standby -> spare) still has one entry endpoint', () => {
    const input = spec([{ ...primary }, { ...standby, fallbackEndpoints: ['spare'] }, { name: 'spare', url: 'https://spare.example.com' }]);
    expect(parseSpec(input).modelRouting.defaultTargetEndpoint).toBe('primary');
  });

  test('a strategy without rules takes the primary as default too', () => {
    expect(parseSpec(spec([primary, standby], { strategy: 'Path' })).modelRouting).toEqual({ strategy: 'Path', rules: [], defaultTargetEndpoint: 'primary' });
  });

  test('the CRD accepts it as written (kubectl apply of the short form)', () => {
    expect(cel(spec([primary, standby]))).toEqual([]);
  });

  test('fails when two endpoints are not only fallbacks, naming them and why', () => {
    expect(problems(spec([primary, standby, other]))).toEqual([
      'spec.modelRouting: is required when more than one endpoint is not only a fallback ([primary, other]): which one should receive requests?',
    ]);
    expect(cel(spec([primary, standby, other]))).toContain('modelRouting is required unless exactly one endpoint is not a fallback of another');
  });

  test('fails when every endpoint is a fallback of another, saying so', () => {
    expect(problems(spec([primary, { ...standby, fallbackEndpoints: ['primary'] }]))).toEqual([
      'spec.modelRouting: is required: every endpoint ([primary, standby]) is a fallback of another, so none is the obvious one to receive requests',
    ]);
  });

  test('fails for a strategy without rules when the choice is ambiguous', () => {
    expect(problems(spec([primary, standby, other], { strategy: 'Header' }))).toEqual([
      'spec.modelRouting.rules: needs at least one rule or a defaultTargetEndpoint: more than one endpoint is not only a fallback ([primary, other]), so none is the obvious target',
    ]);
  });
});

describe('RequestBody routing by the endpoints\' models', () => {
  const llama = { name: 'llama', serviceRef: { name: 'vllm' }, models: ['llama-3'] };
  const claude = { name: 'claude', url: 'https://api.anthropic.com', provider: 'Anthropic', models: ['claude-sonnet'] };

  test('needs no rules: each model goes to the endpoint that lists it, the rest gets a 404', () => {
    const input = spec([llama, claude], { strategy: 'RequestBody' });
    expect(problems(input)).toEqual([]);
    expect(parseSpec(input).modelRouting).toEqual({ strategy: 'RequestBody', rules: [] });
    expect(routeRows(parseSpec(input)).map((r) => [r.label, r.target])).toEqual([
      ['model llama-3', 'llama'],
      ['model claude-sonnet', 'claude'],
      ['no match', undefined],
    ]);
  });
});
