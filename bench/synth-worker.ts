/**
 * One synth measurement in a fresh process (so peak RSS belongs to it):
 *   node synth-worker.js <gateways> <mode>
 * mode "time": builds the gateways with the three variants interleaved, several rounds, and
 * prints median milliseconds of each; mode "rss-<variant>": builds once with one variant and
 * prints the process's peak RSS.
 */
import { ApiObject, App, Chart } from 'cdk8s';
import { Construct } from 'constructs';
import * as kplus from 'cdk8s-plus-28';
import { k8s } from 'cdk8s-plus-28';
import { AIGateway, renderBootstrap } from '../src';
import { drainPlan } from '../src/constructs/drain';
import { EnvoyWorkload } from '../src/constructs/envoy-workload';
import { objectMetadata, selectorLabels } from '../src/constructs/labels';
import { ENVOY_BOOTSTRAP_FILE, ENVOY_PORTS } from '../src/envoy';
import { ANNOTATION_SPEC_HASH, hashOf, hashOfFiles } from '../src/spec';
import { benchSpec } from './fixtures';
import { median, timeMs } from './stats';

type Variant = 'ours' | 'cdk8s-plus' | 'raw';

/** What a hand-written app would start from: the config already computed, nothing to validate. */
interface Precomputed {
  readonly name: string;
  readonly gateway: AIGateway;
  readonly envoyYaml: string;
  readonly objects: Record<string, unknown>[];
}

function precompute(count: number): Precomputed[] {
  const chart = new Chart(new App({ outdir: '.unused' }), 'pre', { namespace: 'ai-apps' });
  return Array.from({ length: count }, (_, i) => {
    const name = `gw-${i}`;
    const gateway = new AIGateway(chart, name, { metadata: { name }, spec: benchSpec(i) });
    return { name, gateway, envoyYaml: renderBootstrap(gateway.envoy.bootstrap), objects: [] };
  }).map((p) => ({ ...p, objects: p.gateway.node.findAll().filter((c): c is ApiObject => c instanceof ApiObject).map((o) => o.toJson()) }));
}

/** Our construct: validation, translation, rendering, hashing and the objects. */
function buildOurs(chart: Chart, pre: Precomputed[]): void {
  pre.forEach((p, i) => new AIGateway(chart, p.name, { metadata: { name: p.name }, spec: benchSpec(i) }));
}

/** The same objects written by hand with cdk8s-plus-28 from the precomputed config. */
function buildCdk8sPlus(chart: Chart, pre: Precomputed[]): void {
  for (const p of pre) {
    const scope = new Construct(chart, p.name);
    const ctx = { gatewayName: p.name, namespace: 'ai-apps' };
    const meta = (component: string, name?: string) => objectMetadata(ctx, component, name);
    new ApiObject(scope, 'Resource', {
      apiVersion: 'gateway.example.com/v1',
      kind: 'AIGatewayResource',
      metadata: { ...meta('spec'), annotations: { [ANNOTATION_SPEC_HASH]: hashOf(p.gateway.spec) } },
      spec: p.gateway.spec,
    } as never);
    const configMap = new kplus.ConfigMap(scope, 'EnvoyConfig', {
      metadata: meta('envoy-config', `${p.name}-envoy`),
      data: { [ENVOY_BOOTSTRAP_FILE]: p.envoyYaml, ...p.gateway.envoy.files },
    });
    new EnvoyWorkload(scope, 'Envoy', {
      gatewayName: p.name,
      metadata: meta('envoy'),
      envoy: p.gateway.envoy,
      configMap,
      configHash: hashOfFiles({ [ENVOY_BOOTSTRAP_FILE]: p.envoyYaml, ...p.gateway.envoy.files }),
      drain: drainPlan(p.gateway.spec),
      metrics: true,
    });
    const service = new kplus.Service(scope, 'Service', {
      metadata: meta('envoy'),
      ports: [
        { name: 'http', port: 80, targetPort: ENVOY_PORTS.http },
        { name: 'metrics', port: ENVOY_PORTS.ops, targetPort: ENVOY_PORTS.ops },
      ],
    });
    for (const [k, v] of Object.entries(selectorLabels(p.name))) service.selectLabel(k, v);
    new k8s.KubePodDisruptionBudget(scope, 'Pdb', {
      metadata: meta('envoy'),
      spec: { maxUnavailable: k8s.IntOrString.fromNumber(1), selector: { matchLabels: selectorLabels(p.name) } },
    });
    new kplus.Ingress(scope, 'Ingress', {
      metadata: meta('ingress'),
      className: 'nginx',
      rules: [{ host: `gw.example.com`, backend: kplus.IngressBackend.fromService(service, { port: 80 }) }],
    });
  }
}

/** The floor: the final JSON objects as raw ApiObjects. */
function buildRaw(chart: Chart, pre: Precomputed[]): void {
  pre.forEach((p) => p.objects.forEach((o, j) => new ApiObject(chart, `${p.name}-${j}`, o as never)));
}

const BUILDERS: Record<Variant, (chart: Chart, pre: Precomputed[]) => void> = {
  ours: buildOurs,
  'cdk8s-plus': buildCdk8sPlus,
  raw: buildRaw,
};

function run(variant: Variant, pre: Precomputed[]): number {
  return timeMs(() => {
    const chart = new Chart(new App({ outdir: '.unused' }), 'bench', { namespace: 'ai-apps' });
    BUILDERS[variant](chart, pre);
    chart.toJson();
  });
}

function main(): void {
  const count = Number(process.argv[2]);
  const mode = process.argv[3] ?? 'time';
  const pre = precompute(count);
  if (mode.startsWith('rss-')) {
    const before = process.resourceUsage().maxRSS;
    run(mode.slice(4) as Variant, pre);
    process.stdout.write(JSON.stringify({ baselineRssKb: before, peakRssKb: process.resourceUsage().maxRSS }));
    return;
  }
  const rounds = count >= 1000 ? 3 : count >= 100 ? 5 : 15;
  const samples: Record<Variant, number[]> = { ours: [], 'cdk8s-plus': [], raw: [] };
  for (const variant of Object.keys(BUILDERS) as Variant[]) run(variant, pre); // warm-up
  for (let r = 0; r < rounds; r++) {
    for (const variant of Object.keys(BUILDERS) as Variant[]) samples[variant].push(run(variant, pre));
  }
  const out = Object.fromEntries(Object.entries(samples).map(([k, v]) => [k, median(v)]));
  process.stdout.write(JSON.stringify({ gateways: count, rounds, ms: out }));
}

main();
