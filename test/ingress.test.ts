import { AIGateway } from '../src';
import { validateResource } from '../src/spec';
import { byKind, synthChart, TWO_ENDPOINTS_SPEC } from './support/synth';

const SPEC = TWO_ENDPOINTS_SPEC;
const ingressOf = (spec: Record<string, unknown>, add?: Parameters<AIGateway['addIngress']>[0]) => {
  const [ingress] = byKind(
    synthChart((chart) => {
      const gateway = new AIGateway(chart, 'llm', { metadata: { name: 'gw' }, spec: { ...SPEC, ...spec } as any });
      if (add) gateway.addIngress(add);
    }),
    'Ingress',
  );
  return ingress;
};
const messages = (spec: Record<string, unknown>) => {
  const result = validateResource({ apiVersion: 'gateway.example.com/v1', kind: 'AIGatewayResource', metadata: { name: 'gw' }, spec: { ...SPEC, ...spec } });
  return result.ok ? [] : result.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
};

/** What ingress-nginx needs for long, streamed LLM responses. */
const STREAMING = {
  'nginx.ingress.kubernetes.io/proxy-read-timeout': '120',
  'nginx.ingress.kubernetes.io/proxy-send-timeout': '120',
  'nginx.ingress.kubernetes.io/proxy-body-size': '8192k',
  'nginx.ingress.kubernetes.io/proxy-buffering': 'off',
  'nginx.ingress.kubernetes.io/proxy-request-buffering': 'off',
};

describe('the Ingress in front of the gateway streams (ingress-nginx)', () => {
  const slow = { endpoints: [{ ...SPEC.endpoints[0], timeout: '2m' }, SPEC.endpoints[1]] };

  test('class nginx gets timeouts of the longest endpoint timeout, no buffering and the body size limit', () => {
    expect(ingressOf({ ...slow, ingress: { host: 'llm.example.com', className: 'nginx' } }).metadata.annotations).toMatchObject(STREAMING);
  });

  test('no class (the cluster default, often ingress-nginx) gets them too; timeouts are never below nginx\'s 60 s', () => {
    const annotations = ingressOf({ ingress: { host: 'llm.example.com' } }).metadata.annotations;
    expect(annotations).toMatchObject({ ...STREAMING, 'nginx.ingress.kubernetes.io/proxy-read-timeout': '60', 'nginx.ingress.kubernetes.io/proxy-send-timeout': '60' });
  });

  test('the body size follows limits.maxRequestBodyBytes, so the gateway\'s JSON 413 is what clients see', () => {
    const annotations = ingressOf({ ingress: { host: 'llm.example.com' }, limits: { maxRequestBodyBytes: 20 * 1024 * 1024 + 1 } }).metadata.annotations;
    expect(annotations['nginx.ingress.kubernetes.io/proxy-body-size']).toBe('20481k');
  });

  test('another class gets no nginx annotations', () => {
    const annotations = ingressOf({ ingress: { host: 'llm.example.com', className: 'traefik' } }).metadata.annotations ?? {};
    expect(Object.keys(annotations).filter((k) => k.startsWith('nginx.ingress.kubernetes.io/'))).toEqual([]);
  });

  test('user annotations win, in the spec and in addIngress', () => {
    const mine = { 'nginx.ingress.kubernetes.io/proxy-body-size': '32m', 'cert-manager.io/cluster-issuer': 'letsencrypt' };
    const fromSpec = ingressOf({ ...slow, ingress: { host: 'llm.example.com', annotations: mine } }).metadata.annotations;
    expect(fromSpec).toMatchObject({ ...STREAMING, ...mine });
    const fromCode = ingressOf({}, { host: 'llm.example.com', className: 'nginx', annotations: mine }).metadata.annotations;
    expect(fromCode).toMatchObject({ ...mine, 'nginx.ingress.kubernetes.io/proxy-buffering': 'off' });
  });

  test('fails on an annotation key that Kubernetes would refuse, with the field path', () => {
    expect(messages({ ingress: { host: 'llm.example.com', annotations: { 'bad key': 'x', 'Example.com/x': 'y' } } })).toEqual([
      'spec.ingress.annotations.bad key: name must be a Kubernetes annotation key: an optional DNS subdomain and "/", then a name of at most 63 letters, digits, \'-\', \'_\' or \'.\' that starts and ends with a letter or digit, found "bad key"',
      'spec.ingress.annotations.Example.com/x: name must be a Kubernetes annotation key: an optional DNS subdomain and "/", then a name of at most 63 letters, digits, \'-\', \'_\' or \'.\' that starts and ends with a letter or digit, found "Example.com/x"',
    ]);
    expect(() => ingressOf({}, { host: 'llm.example.com', annotations: { 'a/b/c': 'x' } })).toThrow(
      'ingress annotations: "a/b/c" must be a Kubernetes annotation key',
    );
  });
});
