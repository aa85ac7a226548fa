import { ApiObject, App, Chart, JsonPatch, Testing } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { AIGateway, SpecValidationError } from '../src';
import { expectValidManifests } from './support/k8s-schema';
import { byKind, synthChart, TWO_ENDPOINTS_SPEC } from './support/synth';

const SPEC = TWO_ENDPOINTS_SPEC;
const synth = synthChart;

describe('AIGateway', () => {
  test('emits the custom resource, ConfigMap, Deployment, Service and PodDisruptionBudget, all valid Kubernetes objects', () => {
    const objects = synth((chart) => new AIGateway(chart, 'llm', { metadata: { name: 'my-llm-gateway' }, spec: SPEC }));
    expect(objects.map((o) => o.kind).sort()).toEqual(['AIGatewayResource', 'ConfigMap', 'Deployment', 'PodDisruptionBudget', 'Service', 'Service']);
    expectValidManifests(objects);
    for (const o of objects) {
      expect(o.metadata.namespace).toBe('ai-apps');
      expect(o.metadata.labels).toMatchObject({
        'app.kubernetes.io/name': 'aigateway',
        'app.kubernetes.io/instance': 'my-llm-gateway',
        'app.kubernetes.io/managed-by': 'cdk8s-ai-gateway',
        'gateway.example.com/gateway': 'my-llm-gateway',
      });
    }
  });

  test('the custom resource carries the canonical spec (shorthand expanded) and its hash', () => {
    const [cr] = byKind(synth((chart) => new AIGateway(chart, 'llm', { metadata: { name: 'gw' }, spec: SPEC })), 'AIGatewayResource');
    expect(cr.apiVersion).toBe('gateway.example.com/v1');
    expect(cr.spec.modelRouting).toEqual({
      strategy: 'Header',
      rules: [
        { header: { name: 'X-AI-Model', value: 'gpt-4' }, targetEndpoint: 'openai-gpt4' },
        { header: { name: 'X-AI-Model', value: 'claude-3' }, targetEndpoint: 'anthropic-claude3' },
      ],
      defaultTargetEndpoint: 'openai-gpt4',
    });
    expect(cr.metadata.annotations['gateway.example.com/spec-hash']).toMatch(/^[0-9a-f]{16}$/);
  });

  test('the Deployment mounts the ConfigMap, selects its pods with stable labels and the Service targets them', () => {
    const objects = synth((chart) => new AIGateway(chart, 'llm', { metadata: { name: 'gw' }, spec: SPEC }));
    const [deployment] = byKind(objects, 'Deployment');
    const [service] = byKind(objects, 'Service');
    const [configMap] = byKind(objects, 'ConfigMap');
    expect(deployment.spec.selector.matchLabels).toEqual({ 'app.kubernetes.io/name': 'aigateway', 'app.kubernetes.io/instance': 'gw' });
    expect(service.spec.selector).toEqual(deployment.spec.selector.matchLabels);
    expect(deployment.spec.template.metadata.labels).toMatchObject(deployment.spec.selector.matchLabels);
    const volume = deployment.spec.template.spec.volumes.find((v: any) => v.configMap);
    expect(volume.configMap.name).toBe(configMap.metadata.name);
    const container = deployment.spec.template.spec.containers[0];
    expect(container.image).toMatch(/^envoyproxy\/envoy:v1\.(3[4-9]|[4-9]\d)\.\d+$/);
    expect(container.args).toContain('/etc/envoy/envoy.json');
    expect(service.spec.ports).toEqual([{ name: 'http', port: 80, targetPort: 8080 }]);
    expect(configMap.data['envoy.json']).toContain('openai-proxy-service.ai-apps.svc.cluster.local');
    expect(configMap.data['envoy.json']).toContain('anthropic-proxy-service.models.svc.cluster.local');
  });

  test('a config change changes the pod template (rollout); a label change does not', () => {
    const template = (spec: any, labels?: Record<string, string>) =>
      byKind(synth((chart) => new AIGateway(chart, 'llm', { metadata: { name: 'gw', labels }, spec })), 'Deployment')[0].spec.template.metadata.annotations;
    const base = template(SPEC);
    const changed = template({ ...SPEC, endpoints: [SPEC.endpoints[0], { ...SPEC.endpoints[1], serviceRef: { name: 'other' } }] });
    expect(changed['gateway.example.com/config-hash']).not.toBe(base['gateway.example.com/config-hash']);
    expect(template(SPEC, { team: 'ml' })).toEqual(base);
  });

  test('the main object is the custom resource, so ApiObject.of and JSON patches work', () => {
    const chart = new Chart(Testing.app(), 'test');
    const gateway = new AIGateway(chart, 'llm', { metadata: { name: 'gw' }, spec: SPEC });
    ApiObject.of(gateway).addJsonPatch(JsonPatch.add('/metadata/annotations/owner', 'ml-platform'));
    const [cr] = byKind(Testing.synth(chart), 'AIGatewayResource');
    expect(cr.metadata.annotations.owner).toBe('ml-platform');
  });

  test('addIngress returns the Ingress that routes the host to the Service', () => {
    const objects = synth((chart) => {
      const gateway = new AIGateway(chart, 'llm', { metadata: { name: 'gw' }, spec: SPEC });
      const ingress = gateway.addIngress({ host: 'llm.example.com', className: 'nginx', tlsSecretName: 'llm-tls' });
      expect(ingress).toBe(gateway.ingress);
    });
    const [ingress] = byKind(objects, 'Ingress');
    expect(ingress.spec.ingressClassName).toBe('nginx');
    expect(ingress.spec.rules[0].host).toBe('llm.example.com');
    expect(ingress.spec.rules[0].http.paths[0].backend.service).toEqual({ name: 'gw', port: { number: 80 } });
    expect(ingress.spec.tls).toEqual([{ hosts: ['llm.example.com'], secretName: 'llm-tls' }]);
    expectValidManifests(objects);
  });

  test('spec.ingress creates the Ingress too', () => {
    const objects = synth((chart) => new AIGateway(chart, 'llm', { metadata: { name: 'gw' }, spec: { ...SPEC, ingress: { host: 'llm.example.com' } } }));
    expect(byKind(objects, 'Ingress')).toHaveLength(1);
  });

  test('kplus.IngressBackend.fromService(gateway.service) works: the Service has one port, metrics have their own Service', () => {
    const objects = synth((chart) => {
      const gw = new AIGateway(chart, 'llm', { metadata: { name: 'gw' }, spec: SPEC });
      new kplus.Ingress(chart, 'Own', { rules: [{ host: 'llm.example.com', backend: kplus.IngressBackend.fromService(gw.service) }] });
      expect(gw.metricsService?.name).toBe('gw-metrics');
    });
    expectValidManifests(objects);
    const ingress = byKind(objects, 'Ingress')[0];
    expect(ingress.spec.rules[0].http.paths[0].backend.service).toEqual({ name: 'gw', port: { number: 80 } });
    const services = byKind(objects, 'Service');
    expect(services.map((s: any) => [s.metadata.name, s.spec.ports.map((p: any) => p.name)])).toEqual([['gw', ['http']], ['gw-metrics', ['metrics']]]);
    expect(services[1].spec.selector).toEqual(services[0].spec.selector);
  });

  test('fails on two gateways of the same name and namespace in one chart', () => {
    expect(() =>
      synth((chart) => {
        new AIGateway(chart, 'a', { metadata: { name: 'gw' }, spec: SPEC });
        new AIGateway(chart, 'b', { metadata: { name: 'gw' }, spec: SPEC });
      }),
    ).toThrow('AIGateway b: a gateway named "gw" already exists in namespace "ai-apps" of this chart (construct a): its Service, Deployment and ConfigMap would collide; give each gateway its own metadata.name');
    // The same name in another namespace is another gateway.
    expect(() =>
      synth((chart) => {
        new AIGateway(chart, 'a', { metadata: { name: 'gw' }, spec: SPEC });
        new AIGateway(chart, 'b', { metadata: { name: 'gw', namespace: 'other' }, spec: SPEC });
      }),
    ).not.toThrow();
  });

  test('the gateway name defaults to a DNS label derived from the construct path', () => {
    const objects = synth((chart) => new AIGateway(chart, 'llm', { spec: SPEC }));
    const [cr] = byKind(objects, 'AIGatewayResource');
    expect(cr.metadata.name).toMatch(/^test-llm-[0-9a-f]{8}$/);
  });

  test('fails with every problem and its field path', () => {
    const chart = new Chart(new App(), 'test');
    const bad = { ...SPEC, endpoints: [SPEC.endpoints[0], { ...SPEC.endpoints[0] }], rateLimiting: { requestsPerMinute: 0 } };
    let error: unknown;
    try {
      new AIGateway(chart, 'llm', { metadata: { name: 'gw' }, spec: bad as any, source: 'gateways/prod.ts' });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(SpecValidationError);
    const message = (error as Error).message;
    expect(message).toContain('gateways/prod.ts: invalid AIGatewayResource spec');
    expect(message).toContain('spec.rateLimiting.requestsPerMinute: must be a positive whole number, found 0');
    expect(message).toContain('spec.endpoints[1].name: duplicate endpoint name "openai-gpt4" (also endpoints[0]); names must be unique');
    expect(message).toContain('spec.modelRouting.rules[1].targetEndpoint: "anthropic-claude3" is not one of the endpoints [openai-gpt4, openai-gpt4]');
  });

  test('fails on a name that cannot name a Service', () => {
    const chart = new Chart(new App(), 'test');
    expect(() => new AIGateway(chart, 'llm', { metadata: { name: '9gateway' }, spec: SPEC })).toThrow(/metadata\.name: must be a DNS-1035 label/);
  });
});
