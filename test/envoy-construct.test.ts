import { App, Chart, Testing } from 'cdk8s';
import { parse } from 'yaml';
import { AIGateway, SpecValidationError } from '../src';
import { hashOfFiles } from '../src/spec';
import { expectValidManifests } from './support/k8s-schema';
import { SPECS } from './support/envoy-specs';

function synth(props: Partial<ConstructorParameters<typeof AIGateway>[2]> & { spec: any }) {
  const chart = new Chart(Testing.app(), 'test', { namespace: 'ai' });
  const gateway = new AIGateway(chart, 'gw', { metadata: { name: 'gw' }, ...props });
  const objects = Testing.synth(chart);
  return { gateway, objects, configMap: objects.find((o: any) => o.kind === 'ConfigMap'), deployment: objects.find((o: any) => o.kind === 'Deployment') };
}

const tokenBucketOf = (configMap: any) => {
  const envoy = parse(configMap.data['envoy.json']);
  const hcm = envoy.static_resources.listeners[0].filter_chains[0].filters[0].typed_config;
  return hcm.http_filters.find((f: any) => f.name === 'envoy.filters.http.local_ratelimit').typed_config.token_bucket;
};

describe('AIGateway and the Envoy configuration', () => {
  test('the rate limit is shared by the Deployment\'s replicas (default 2)', () => {
    const two = synth({ spec: SPECS.rateLimited });
    expect(two.deployment.spec.replicas).toBe(2);
    expect(tokenBucketOf(two.configMap)).toEqual({ max_tokens: 100, tokens_per_fill: 1, fill_interval: '0.12s' });
    const four = synth({ spec: SPECS.rateLimited, replicas: 4 });
    expect(four.deployment.spec.replicas).toBe(4);
    expect(tokenBucketOf(four.configMap)).toEqual({ max_tokens: 50, tokens_per_fill: 1, fill_interval: '0.24s' });
  });

  test('the ConfigMap carries envoy.json and the SDS files; the gateway reports the Secret keys to mount', () => {
    const { gateway, configMap, objects } = synth({ spec: SPECS.external });
    expect(Object.keys(configMap.data).sort()).toEqual(['envoy.json', 'sds-anthropic-key_key.yaml', 'sds-azure_k.yaml', 'sds-openai-key_api-key.yaml']);
    expect(gateway.envoy.secretFiles.map((f) => `${f.mountPath}/${f.key}`)).toEqual([
      '/etc/aigateway/secrets/openai-key/api-key',
      '/etc/aigateway/secrets/anthropic-key/key',
      '/etc/aigateway/secrets/azure/k',
    ]);
    expectValidManifests(objects);
  });

  test('the pods\' config hash covers every file of the ConfigMap, SDS files included', () => {
    const { configMap, deployment } = synth({ spec: SPECS.external });
    expect(deployment.spec.template.metadata.annotations['gateway.example.com/config-hash']).toBe(hashOfFiles(configMap.data));
  });

  test('fails with the source and field path when Envoy cannot do what the spec asks', () => {
    const chart = new Chart(new App(), 'test');
    const spec = { gatewayClassName: 'envoy', endpoints: [{ name: 'llm', url: 'https://api.example.com:70000' }] };
    let error: unknown;
    try {
      new AIGateway(chart, 'gw', { metadata: { name: 'gw' }, spec, source: 'gateways/prod.ts' });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(SpecValidationError);
    expect((error as Error).message).toBe(
      'gateways/prod.ts: invalid AIGatewayResource spec (1 problem):\n  spec.endpoints[0].url: port 70000 is out of range: a port is 1-65535',
    );
  });
});
