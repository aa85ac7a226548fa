import { Duration, Size } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { AIGateway, type AIGatewayProps } from '../src';
import { ENVOY_PORTS } from '../src/envoy';
import { expectValidManifests } from './support/k8s-schema';
import { expectRestrictedPods } from './support/pod-security';
import { byKind, synthChart, TWO_ENDPOINTS_SPEC } from './support/synth';

const SPEC = TWO_ENDPOINTS_SPEC;

type Props = Partial<AIGatewayProps>;
const gateway = (props: Props = {}) =>
  synthChart((chart) => new AIGateway(chart, 'llm', { metadata: { name: 'gw' }, spec: SPEC, ...props } as AIGatewayProps));
const deploymentOf = (objects: any[]) => byKind(objects, 'Deployment')[0];
const podSpecOf = (objects: any[]) => deploymentOf(objects).spec.template.spec;
const envoyContainer = (objects: any[]) => podSpecOf(objects).containers[0];
const argValue = (args: string[], flag: string) => args[args.indexOf(flag) + 1];
const envoyBootstrap = (objects: any[]) => {
  const { parse } = require('yaml');
  return parse(byKind(objects, 'ConfigMap')[0].data['envoy.json']);
};

describe('admin is never public; probes and metrics use the ops listener', () => {
  const objects = gateway();

  test('the admin interface is bound to 127.0.0.1 and no container port, Service port or probe reaches it', () => {
    const bootstrap = envoyBootstrap(objects);
    expect(bootstrap.admin.address.socket_address).toEqual({ address: '127.0.0.1', port_value: ENVOY_PORTS.admin });
    const container = envoyContainer(objects);
    expect(container.ports).toEqual([
      { name: 'http', containerPort: ENVOY_PORTS.http },
      { name: 'ops', containerPort: ENVOY_PORTS.ops },
    ]);
    const [service] = byKind(objects, 'Service');
    expect(service.spec.ports.map((p: any) => p.targetPort)).not.toContain(ENVOY_PORTS.admin);
    const listenerPorts = bootstrap.static_resources.listeners.map((l: any) => l.address.socket_address.port_value);
    expect(listenerPorts).not.toContain(ENVOY_PORTS.admin);
  });

  test('startup and readiness probes GET /ready on the ops port, liveness /livez (which the drain does not fail)', () => {
    const container = envoyContainer(objects);
    for (const probe of ['startupProbe', 'readinessProbe']) {
      expect(container[probe].httpGet).toEqual({ path: '/ready', port: ENVOY_PORTS.ops, scheme: 'HTTP' });
    }
    expect(container.livenessProbe.httpGet).toEqual({ path: '/livez', port: ENVOY_PORTS.ops, scheme: 'HTTP' });
    // A slow start is the startup probe's job; liveness only restarts a pod that stopped answering.
    expect(container.startupProbe.failureThreshold * container.startupProbe.periodSeconds).toBeGreaterThanOrEqual(60);
  });

  test('the Service exposes the public port; the "-metrics" Service, as "metrics", the ops port', () => {
    const [service, metrics] = byKind(objects, 'Service');
    expect(service.spec.ports).toEqual([{ name: 'http', port: 80, targetPort: ENVOY_PORTS.http }]);
    expect(metrics.metadata.name).toBe(`${service.metadata.name}-metrics`);
    expect(metrics.spec.ports).toEqual([{ name: 'metrics', port: ENVOY_PORTS.ops, targetPort: ENVOY_PORTS.ops }]);
    expect(metrics.spec.selector).toEqual(service.spec.selector);
    expect(deploymentOf(objects).spec.template.metadata.annotations).toMatchObject({
      'prometheus.io/scrape': 'true',
      'prometheus.io/port': String(ENVOY_PORTS.ops),
      'prometheus.io/path': '/stats/prometheus',
    });
  });

  test('with metrics off there is no metrics Service and no scrape hint (readiness still works)', () => {
    const off = gateway({ spec: { ...SPEC, observability: { metrics: false } } });
    expect(byKind(off, 'Service').map((s: any) => s.spec.ports.map((p: any) => p.name))).toEqual([['http']]);
    expect(deploymentOf(off).spec.template.metadata.annotations['prometheus.io/scrape']).toBeUndefined();
    expect(envoyContainer(off).readinessProbe.httpGet.port).toBe(ENVOY_PORTS.ops);
  });
});

describe('graceful drain', () => {
  test('the pre-stop hook fails health checks and drains through the loopback admin address', () => {
    const container = envoyContainer(gateway());
    const [shell, flag, script] = container.lifecycle.preStop.exec.command;
    expect([shell, flag]).toEqual(['/bin/bash', '-c']);
    expect(script).toContain(`/dev/tcp/127.0.0.1/${ENVOY_PORTS.admin}`);
    expect(script).toContain('admin POST /healthcheck/fail');
    expect(script).toContain("admin POST '/drain_listeners?graceful&skip_exit'");
    expect(script).toContain('http.public.downstream_rq_active');
  });

  test('drain time follows the longest endpoint timeout; the grace period covers it; Envoy drains as long', () => {
    const objects = gateway({ spec: { ...SPEC, endpoints: [SPEC.endpoints[0], { ...SPEC.endpoints[1], timeout: '2m' }] } });
    const args = envoyContainer(objects).args;
    expect(argValue(args, '--drain-time-s')).toBe('120');
    expect(argValue(args, '--drain-strategy')).toBe('immediate');
    expect(podSpecOf(objects).terminationGracePeriodSeconds).toBe(130);
    expect(envoyContainer(objects).lifecycle.preStop.exec.command[2]).toContain('-lt 120 ]');
  });

  test('default drain: 60s endpoint timeout -> 60s drain, 70s grace; a 1h timeout is capped at 5 minutes', () => {
    expect(podSpecOf(gateway()).terminationGracePeriodSeconds).toBe(70);
    const long = gateway({ spec: { ...SPEC, endpoints: [{ ...SPEC.endpoints[0], timeout: '1h' }, SPEC.endpoints[1]] } });
    expect(argValue(envoyContainer(long).args, '--drain-time-s')).toBe('300');
    expect(podSpecOf(long).terminationGracePeriodSeconds).toBe(310);
  });

  test('drainTimeout overrides the drain time, the grace period and the hook together', () => {
    const objects = gateway({ drainTimeout: Duration.seconds(20) });
    expect(argValue(envoyContainer(objects).args, '--drain-time-s')).toBe('20');
    expect(podSpecOf(objects).terminationGracePeriodSeconds).toBe(30);
    expect(envoyContainer(objects).lifecycle.preStop.exec.command[2]).toContain('-lt 20 ]');
  });

  test('fails on a drainTimeout that is not whole seconds', () => {
    expect(() => gateway({ drainTimeout: Duration.millis(1500) })).toThrow('drainTimeout: must be whole seconds between 1 and 3600, found 1.5s');
  });
});

describe('availability', () => {
  test('2 replicas, a one-at-a-time rollout, a PodDisruptionBudget and node/zone spread by default', () => {
    const objects = gateway();
    const deployment = deploymentOf(objects);
    expect(deployment.spec.replicas).toBe(2);
    expect(deployment.spec.strategy).toEqual({ type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } });
    const [pdb] = byKind(objects, 'PodDisruptionBudget');
    expect(pdb.spec).toEqual({ maxUnavailable: 1, selector: deployment.spec.selector, unhealthyPodEvictionPolicy: 'AlwaysAllow' });
    const spread = deployment.spec.template.spec.topologySpreadConstraints;
    expect(spread.map((c: any) => [c.topologyKey, c.whenUnsatisfiable])).toEqual([
      ['kubernetes.io/hostname', 'DoNotSchedule'],
      ['topology.kubernetes.io/zone', 'ScheduleAnyway'],
    ]);
    for (const c of spread) expect(c.labelSelector).toEqual(deployment.spec.selector);
  });

  test('replicas, PodDisruptionBudget and spread can be changed or turned off', () => {
    const objects = gateway({ replicas: 3, podDisruptionBudget: false, topologySpread: false });
    expect(deploymentOf(objects).spec.replicas).toBe(3);
    expect(byKind(objects, 'PodDisruptionBudget')).toEqual([]);
    expect(podSpecOf(objects).topologySpreadConstraints).toBeUndefined();
  });

  test('autoscaling adds a CPU HorizontalPodAutoscaler and leaves replicas to it', () => {
    const objects = gateway({ replicas: 3, autoscaling: { maxReplicas: 10, cpuUtilizationPercent: 60 } });
    const [hpa] = byKind(objects, 'HorizontalPodAutoscaler');
    expect(hpa.apiVersion).toBe('autoscaling/v2');
    expect(hpa.spec).toMatchObject({
      scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'gw' },
      minReplicas: 3,
      maxReplicas: 10,
      metrics: [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 60 } } }],
    });
    expect(deploymentOf(objects).spec.replicas).toBeUndefined();
    expectValidManifests(objects);
  });

  test('fails on an autoscaler whose maximum is below its minimum', () => {
    expect(() => gateway({ autoscaling: { minReplicas: 4, maxReplicas: 2 } })).toThrow('autoscaling.maxReplicas: must be at least minReplicas (4), found 2');
  });

  test('fails on zero replicas', () => {
    expect(() => gateway({ replicas: 0 })).toThrow('replicas: must be a whole number at least 1, found 0');
  });
});

describe('escape hatches', () => {
  test('image, pull policy, resources, concurrency, node selector and tolerations are props', () => {
    const toleration = { key: 'dedicated', operator: 'Equal', value: 'gateways', effect: 'NoSchedule' };
    const objects = gateway({
      image: 'registry.example.com/envoy:v1.36.4',
      imagePullPolicy: kplus.ImagePullPolicy.ALWAYS,
      resources: { cpu: { request: kplus.Cpu.millis(500), limit: kplus.Cpu.units(2) }, memory: { request: Size.gibibytes(1), limit: Size.gibibytes(1) } },
      concurrency: 4,
      nodeSelector: { pool: 'gateways' },
      tolerations: [toleration],
    });
    const container = envoyContainer(objects);
    expect(container.image).toBe('registry.example.com/envoy:v1.36.4');
    expect(container.imagePullPolicy).toBe('Always');
    expect(container.resources).toEqual({ requests: { cpu: '500m', memory: '1024Mi' }, limits: { cpu: '2', memory: '1024Mi' } });
    expect(argValue(container.args, '--concurrency')).toBe('4');
    expect(podSpecOf(objects).nodeSelector).toEqual({ pool: 'gateways' });
    expect(podSpecOf(objects).tolerations).toEqual([toleration]);
    expectValidManifests(objects);
  });

  test('defaults: requests and limits set, two workers, pinned image pulled if not present', () => {
    const container = envoyContainer(gateway());
    expect(container.resources).toEqual({ requests: { cpu: '100m', memory: '128Mi' }, limits: { cpu: '1000m', memory: '512Mi' } });
    expect(argValue(container.args, '--concurrency')).toBe('2');
    expect(container.imagePullPolicy).toBe('IfNotPresent');
  });

  test('labels and annotations go on every object; pod labels and annotations on the pod template only', () => {
    const objects = gateway({
      labels: { team: 'ml' },
      annotations: { owner: 'ml-platform' },
      podLabels: { tier: 'edge' },
      podAnnotations: { 'sidecar.istio.io/inject': 'false' },
      autoscaling: { maxReplicas: 4 },
      networkPolicy: {},
      spec: { ...SPEC, ingress: { host: 'llm.example.com' } },
    });
    expect(objects.map((o) => o.kind).sort()).toEqual([
      'AIGatewayResource', 'ConfigMap', 'Deployment', 'HorizontalPodAutoscaler', 'Ingress', 'NetworkPolicy', 'PodDisruptionBudget', 'Service', 'Service',
    ]);
    for (const o of objects) {
      expect([o.kind, o.metadata.labels.team]).toEqual([o.kind, 'ml']);
      expect([o.kind, o.metadata.annotations?.owner]).toEqual([o.kind, 'ml-platform']);
    }
    const template = deploymentOf(objects).spec.template;
    expect(template.metadata.labels.tier).toBe('edge');
    expect(template.metadata.labels.team).toBeUndefined();
    expect(template.metadata.annotations['sidecar.istio.io/inject']).toBe('false');
    expectValidManifests(objects);
  });

  test('pod labels cannot take over the selector labels', () => {
    const objects = gateway({ podLabels: { 'app.kubernetes.io/instance': 'other' } });
    const deployment = deploymentOf(objects);
    expect(deployment.spec.template.metadata.labels).toMatchObject(deployment.spec.selector.matchLabels);
  });

  test('the cdk8s-plus objects are public for further changes', () => {
    synthChart((chart) => {
      const gw = new AIGateway(chart, 'llm', { metadata: { name: 'gw' }, spec: SPEC, autoscaling: { maxReplicas: 3 }, networkPolicy: {} });
      expect(gw.deployment).toBeInstanceOf(kplus.Deployment);
      expect(gw.container).toBe(gw.deployment.containers[0]);
      expect(gw.service).toBeInstanceOf(kplus.Service);
      expect(gw.configMap).toBeInstanceOf(kplus.ConfigMap);
      expect(gw.autoscaler).toBeInstanceOf(kplus.HorizontalPodAutoscaler);
      expect(gw.podDisruptionBudget).toBeDefined();
      expect(gw.networkPolicy).toBeDefined();
      gw.container.env.addVariable('EXTRA', kplus.EnvValue.fromValue('1'));
    });
  });
});

describe('rollouts', () => {
  const template = (props: Props) => deploymentOf(gateway(props)).spec.template;

  test('a config-only change to the spec changes the pod template (the pods roll)', () => {
    const base = template({});
    const changed = template({ spec: { ...SPEC, endpoints: [SPEC.endpoints[0], { ...SPEC.endpoints[1], timeout: '30s' }] } });
    expect(changed).not.toEqual(base);
    expect(changed.metadata.annotations['gateway.example.com/config-hash']).not.toBe(base.metadata.annotations['gateway.example.com/config-hash']);
  });

  test('a label-only or annotation-only change leaves the pod template as it was (no rollout)', () => {
    const base = template({});
    expect(template({ metadata: { name: 'gw', labels: { team: 'ml' } } })).toEqual(base);
    expect(template({ labels: { team: 'ml' }, annotations: { owner: 'x' } })).toEqual(base);
  });

  test('a spec change that does not touch the Envoy configuration rolls no pods', () => {
    const base = template({});
    // modelType is informational (prices are not: they configure the usage filter).
    const relabelled = { ...SPEC, endpoints: [{ ...SPEC.endpoints[0], modelType: 'Vision' as const }, SPEC.endpoints[1]] };
    expect(template({ spec: relabelled })).toEqual(base);
  });
});

test('every combination of options still gives valid Kubernetes objects and restricted pods', () => {
  const variants: Props[] = [
    {},
    { autoscaling: { maxReplicas: 5 }, networkPolicy: {}, podDisruptionBudget: false },
    { topologySpread: false, replicas: 1, drainTimeout: Duration.seconds(5), spec: { ...SPEC, observability: { metrics: false } } },
  ];
  for (const props of variants) {
    const objects = gateway(props);
    expectValidManifests(objects);
    expectRestrictedPods(objects);
  }
});
