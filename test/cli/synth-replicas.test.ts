/**
 * The rate limit is split over the replicas (each pod enforces its share): `synth --replicas`
 * sizes it like `explain --replicas`, and a gateway whose replicas an autoscaler changes says that
 * its limit does not follow (the construct's warnings, printed by the CLI).
 */
import { Chart, Testing } from 'cdk8s';
import { AIGateway } from '../../src/constructs';
import { aigate } from '../support/cli';
import { objectsOf } from '../support/synth';
import { hcmOf } from '../support/envoy-config';

const SEED = 'examples/basic-gateway.yaml'; // rateLimiting: 1000 per minute, burst 200
const limited = {
  gatewayClassName: 'envoy',
  endpoints: [{ name: 'llm', serviceRef: { name: 'llm' } }],
  rateLimiting: { requestsPerMinute: 600, burst: 60 },
};
const bucketOf = (objects: any[]) => {
  const bootstrap = JSON.parse(objects.find((o) => o.kind === 'ConfigMap' && o.data?.['envoy.json']).data['envoy.json']);
  const filter = hcmOf(bootstrap).http_filters.find((f: any) => f.name.includes('local_ratelimit'));
  return filter.typed_config.token_bucket;
};

describe('aigate synth --replicas', () => {
  test('sizes the Deployment and each replica\'s share of the rate limit', async () => {
    const result = await aigate(['synth', SEED, '--replicas', '4']);
    expect(result.code).toBe(0);
    const objects = objectsOf(result.stdout);
    expect(objects.find((o) => o.kind === 'Deployment').spec.replicas).toBe(4);
    expect(bucketOf(objects).max_tokens).toBe(50); // burst 200 over 4 replicas
    const explained = await aigate(['explain', SEED, '--replicas', '4']);
    expect(explained.stdout).toContain('Each of the 4 replicas enforces its share: 250 requests per minute');
  });

  test('fails on a replica count that is not a whole number of at least 1', async () => {
    const result = await aigate(['synth', SEED, '--replicas', '0']);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain('must be a whole number of at least 1');
  });
});

describe('rate limit and autoscaling', () => {
  const gateway = (props: object) => new AIGateway(new Chart(Testing.app(), 'c'), 'gw', { metadata: { name: 'gw' }, spec: limited, ...props });

  test('the construct warns that the per-replica limit does not follow the autoscaler', () => {
    expect(gateway({ autoscaling: { maxReplicas: 6 } }).warnings).toEqual([
      'rateLimiting: each replica enforces 1/2 of 600 requests per minute (sized for replicas: 2), but autoscaling runs 2 to 6 replicas, so the gateway admits up to 1800 per minute at 6; set replicas to the count you expect or drop autoscaling until a fleet-wide limiter exists',
    ]);
  });

  test('no warning without autoscaling or without a rate limit', () => {
    expect(gateway({}).warnings).toEqual([]);
    expect(new AIGateway(new Chart(Testing.app(), 'c'), 'gw', { spec: { ...limited, rateLimiting: undefined }, autoscaling: { maxReplicas: 6 } }).warnings).toEqual([]);
  });
});
