/**
 * Cluster objects for reconcile tests, taken from real `renderGateway` output (labels, spec-hash
 * and config-hash exactly as synthesized), plus the status the Kubernetes controllers would
 * write (Deployment rollout, EndpointSlices, Ingress load balancer).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import * as k8s from '@kubernetes/client-node';
import { renderGateway } from '../../src/constructs';
import { customResourceDefinition } from '../../src/spec';
import { jsonLogger, kubeClient, reconcileOnce, type LogFields, type ReconcileOptions, type RunResult } from '../../src/reconcile';
import type { KubeApi, KubeObject } from './kube-api/server';
import { startKubeApi } from './kube-api/server';
import { testCa, type TestCa } from './real-envoy/test-ca';

/** Two in-cluster upstreams and one external URL; ingress on. */
export const SPEC = {
  gatewayClassName: 'envoy',
  endpoints: [
    { name: 'openai', serviceRef: { name: 'openai-proxy' }, provider: 'OpenAI', models: ['gpt-4o', 'gpt-4o-mini'] },
    { name: 'claude', serviceRef: { name: 'claude-proxy', port: 8080 }, provider: 'Anthropic', models: ['claude-3'] },
    { name: 'mistral', url: 'https://api.mistral.ai', models: ['mistral-large'] },
  ],
  modelRouting: { strategy: 'RequestBody', defaultTargetEndpoint: 'openai' },
};

export interface GatewayObjects {
  readonly cr: KubeObject;
  readonly deployment: KubeObject;
  readonly service: KubeObject;
  readonly ingress?: KubeObject;
  readonly configMap: KubeObject;
}

const byKind = (objects: unknown[], kind: string) => (objects as KubeObject[]).find((o) => o.kind === kind);

/** The objects `aigate synth` writes for a gateway (ConfigMap included, though the job never reads it). */
export function synthesized(name: string, namespace: string, spec: Record<string, unknown> = SPEC, ingressHost?: string): GatewayObjects {
  const withIngress = ingressHost ? { ...spec, ingress: { host: ingressHost } } : spec;
  const { objects } = renderGateway({ metadata: { name, namespace }, spec: withIngress as never });
  const ingress = byKind(objects, 'Ingress');
  return {
    cr: byKind(objects, 'AIGatewayResource')!,
    deployment: byKind(objects, 'Deployment')!,
    service: byKind(objects, 'Service')!,
    configMap: byKind(objects, 'ConfigMap')!,
    ...(ingress && { ingress }),
  };
}

/** A copy of a gateway's objects under another name (same spec and config hash), for many-gateway tests. */
export function renamed(objects: GatewayObjects, name: string, namespace: string): GatewayObjects {
  const from = objects.cr.metadata!.name!;
  const swap = (o: KubeObject | undefined): KubeObject | undefined =>
    o && (JSON.parse(JSON.stringify(o).split(`"${from}`).join(`"${name}`).split(`"${objects.cr.metadata!.namespace}"`).join(`"${namespace}"`)) as KubeObject);
  return {
    cr: swap(objects.cr)!,
    deployment: swap(objects.deployment)!,
    service: swap(objects.service)!,
    configMap: swap(objects.configMap)!,
    ...(objects.ingress && { ingress: swap(objects.ingress)! }),
  };
}

/** The Deployment with the status its controller writes: `available` of `updated` of the desired replicas. */
export function withRollout(deployment: KubeObject, s: { updated?: number; available?: number; total?: number; observedGeneration?: number } = {}): KubeObject {
  const desired = (deployment.spec as { replicas?: number }).replicas ?? 1;
  const updated = s.updated ?? desired;
  const available = s.available ?? updated;
  const copy = JSON.parse(JSON.stringify(deployment)) as KubeObject;
  return {
    ...copy,
    // What the API server sets on create (the emulator sets it too).
    metadata: { generation: 1, ...copy.metadata },
    status: {
      observedGeneration: s.observedGeneration ?? 1,
      replicas: s.total ?? updated,
      updatedReplicas: updated,
      readyReplicas: available,
      availableReplicas: available,
    },
  };
}

/** An upstream Service and its EndpointSlice with `ready` ready and `notReady` unready addresses. */
export function upstream(name: string, namespace: string, opts: { port?: number; ready?: number; notReady?: number } = {}): KubeObject[] {
  const port = opts.port ?? 80;
  const endpoints = [
    ...Array.from({ length: opts.ready ?? 1 }, (_, i) => ({ addresses: [`10.0.0.${i + 1}`], conditions: { ready: true } })),
    ...Array.from({ length: opts.notReady ?? 0 }, (_, i) => ({ addresses: [`10.0.1.${i + 1}`], conditions: { ready: false } })),
  ];
  return [
    { apiVersion: 'v1', kind: 'Service', metadata: { name, namespace }, spec: { selector: { app: name }, ports: [{ name: 'http', port, targetPort: 8000 }] } },
    {
      apiVersion: 'discovery.k8s.io/v1',
      kind: 'EndpointSlice',
      metadata: { name: `${name}-abcde`, namespace, labels: { 'kubernetes.io/service-name': name } },
      addressType: 'IPv4',
      ports: [{ name: 'http', port: 8000, protocol: 'TCP' }],
      endpoints,
    },
  ];
}

/** A gateway that is fully up: rolled out, both in-cluster upstreams ready. */
export function healthy(api: KubeApi, name: string, namespace: string, opts: { ingressHost?: string } = {}): GatewayObjects {
  const g = synthesized(name, namespace, SPEC, opts.ingressHost);
  api.put(g.cr);
  api.put(withRollout(g.deployment));
  api.put(g.service);
  if (g.ingress) api.put(g.ingress);
  for (const o of [...upstream('openai-proxy', namespace), ...upstream('claude-proxy', namespace, { port: 8080 })]) api.put(o);
  return g;
}

export interface Harness {
  readonly api: KubeApi;
  readonly logs: LogFields[];
  /** Delays the retry logic asked for (tests never really wait). */
  readonly sleeps: number[];
  run(opts?: Partial<ReconcileOptions> & { requestTimeoutMs?: number }): Promise<RunResult>;
  close(): Promise<void>;
}

/** The emulated API with the project's CRD, and a reconcile run through the real client over HTTP. */
export async function harness(clock: () => Date = () => new Date()): Promise<Harness> {
  const api = await startKubeApi({ crds: [customResourceDefinition()], now: clock });
  const kc = new k8s.KubeConfig();
  kc.loadFromString(api.kubeconfig());
  const logs: LogFields[] = [];
  const sleeps: number[] = [];
  const log = jsonLogger((line) => logs.push(JSON.parse(line)), clock);
  return {
    api,
    logs,
    sleeps,
    run: ({ requestTimeoutMs, ...opts } = {}) =>
      reconcileOnce(kubeClient(kc, { requestTimeoutMs: requestTimeoutMs ?? 5000 }), {
        scope: { namespace: 'ai' },
        log,
        now: clock,
        random: () => 0.5,
        sleep: async (ms) => {
          sleeps.push(ms);
        },
        ...opts,
      }),
    close: () => api.close(),
  };
}

/** A token the job harness's API demands (never a real credential). */
export const JOB_TOKEN = 'job-test-token';

export interface JobHarness {
  readonly api: KubeApi;
  /** `--server <url> --service-account-dir <dir>`: what the job reads in a pod, pointed at the emulator. */
  readonly connectionArgs: readonly string[];
  /** The service account folder (token, ca.crt), as the kubelet mounts it. */
  readonly serviceAccountDir: string;
  close(): Promise<void>;
}

let sharedCa: TestCa | undefined;
let sharedLeaf: { cert: string; key: string } | undefined;

/**
 * The emulated API over HTTPS (a throw-away CA's certificate) demanding a bearer token, and a
 * service account folder with that token and CA: what the reconcile job's own client meets in a pod.
 */
export async function jobHarness(): Promise<JobHarness> {
  sharedCa ??= testCa();
  sharedLeaf ??= sharedCa.issue(['kubernetes.default.svc']);
  const api = await startKubeApi({ crds: [customResourceDefinition()], tls: { ...sharedLeaf, caPem: sharedCa.caPem }, requireToken: JOB_TOKEN });
  const dir = mkdtempSync(join(tmpdir(), 'aigate-sa-'));
  writeFileSync(join(dir, 'token'), `${JOB_TOKEN}\n`);
  writeFileSync(join(dir, 'ca.crt'), sharedCa.caPem);
  return {
    api,
    serviceAccountDir: dir,
    connectionArgs: ['--server', api.url, '--service-account-dir', dir],
    close: async () => {
      await api.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The status the emulator holds for a gateway. */
export function statusOf(api: KubeApi, namespace: string, name: string): Record<string, any> {
  return (api.get(`aigate/${namespace}/${name}`)?.status ?? {}) as Record<string, any>;
}

export function condition(api: KubeApi, namespace: string, name: string, type: string): Record<string, any> | undefined {
  return (statusOf(api, namespace, name).conditions as Record<string, any>[] | undefined)?.find((c) => c.type === type);
}

/** n healthy gateways (custom resource, rolled-out Deployment, Service) and their two upstreams in `namespace`. */
export function populate(api: KubeApi, n: number, namespace: string): void {
  const template = synthesized('template-gateway', namespace);
  for (let i = 0; i < n; i++) {
    const g = renamed(template, `gw-${String(i).padStart(4, '0')}`, namespace);
    api.put(g.cr);
    api.put(withRollout(g.deployment));
    api.put(g.service);
  }
  for (const o of [...upstream('openai-proxy', namespace), ...upstream('claude-proxy', namespace, { port: 8080 })]) api.put(o);
}
