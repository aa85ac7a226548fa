import { Chart, type ApiObjectMetadata, Names } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import type { k8s } from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { AiGatewayResource, type AiGatewayResourceSpec } from '../../imports/gateway.example.com';
import { autoscaledRateLimitWarning, type GatewayAutoscaling, gatewayAutoscaler, gatewayDisruptionBudget } from './availability';
import { drainPlan } from './drain';
import { EnvoyWorkload, envoyMaxHeapBytes, type EnvoyWorkloadOptions } from './envoy-workload';
import { type GatewayIngressOptions, ingressAnnotations } from './ingress';
import { type GatewayObjectContext, objectMetadata, selectorLabels } from './labels';
import { gatewayNetworkPolicy, type GatewayNetworkPolicyOptions } from './network-policy';
import { DEFAULT_REPLICAS, ENVOY_BOOTSTRAP_FILE, ENVOY_PORTS, envoyConfig, renderBootstrap, type EnvoyConfig } from '../envoy';
import {
  ANNOTATION_CONFIG_HASH,
  ANNOTATION_SPEC_HASH,
  type AIGatewaySpec,
  type AIGatewaySpecInput,
  hashOf,
  hashOfFiles,
  SpecValidationError,
  validateResource,
} from '../spec';

export type { GatewayIngressOptions } from './ingress';

export interface AIGatewayProps extends EnvoyWorkloadOptions {
  /** The gateway spec, as in an AIGatewayResource (the design's shorthand is accepted). */
  readonly spec: AIGatewaySpecInput;
  /**
   * Metadata of the custom resource. Its name and namespace also name the generated objects, and
   * its labels go on every generated object.
   * @default a name derived from the construct path, the chart's namespace
   */
  readonly metadata?: ApiObjectMetadata;
  /**
   * Where the spec came from, named in validation errors (e.g. "gateways/prod.yaml").
   * @default none
   */
  readonly source?: string;
  /**
   * Extra labels on every generated object (not on the pod template: changing them rolls no pods).
   * @default none
   */
  readonly labels?: Record<string, string>;
  /**
   * Extra annotations on every generated object (pod template: `podAnnotations`).
   * @default none
   */
  readonly annotations?: Record<string, string>;
  /**
   * Scale the Envoy pods on CPU with a HorizontalPodAutoscaler.
   * @default no autoscaler: `replicas` pods
   */
  readonly autoscaling?: GatewayAutoscaling;
  /**
   * A PodDisruptionBudget allowing one pod at a time to be evicted.
   * @default true
   */
  readonly podDisruptionBudget?: boolean;
  /**
   * A default-deny NetworkPolicy that allows only the traffic the spec needs: egress to every
   * upstream of the Envoy configuration (endpoints, JWKS host, tracing collector) and DNS.
   * WARNING: `{}` admits clients ONLY from the namespace `ingress-nginx`; apps in the cluster that
   * call the gateway directly are blocked until you list them in `ingressFrom`
   * (e.g. `[{ podSelector: { matchLabels: { app: 'chat' } } }]` for pods of the gateway's namespace).
   * @default no NetworkPolicy
   */
  readonly networkPolicy?: GatewayNetworkPolicyOptions;
}

/**
 * An AI/LLM gateway: the AIGatewayResource itself plus the Envoy data plane generated from it
 * (ConfigMap with the Envoy bootstrap, Deployment, Service, PodDisruptionBudget, and on request an
 * Ingress, a HorizontalPodAutoscaler and a NetworkPolicy). Every generated pod meets the
 * "restricted" Pod Security Standard.
 */
export class AIGateway extends Construct {
  /** Name of the gateway (the custom resource and the Service). */
  public readonly name: string;
  /** The validated, canonical spec (shorthand expanded, defaults filled in). */
  public readonly spec: AIGatewaySpec;
  /** The generated Envoy configuration. */
  public readonly envoy: EnvoyConfig;
  /** The AIGatewayResource custom resource. */
  public readonly resource: AiGatewayResource;
  public readonly configMap: kplus.ConfigMap;
  /** The Envoy Deployment and its container, volumes and drain plan. */
  public readonly workload: EnvoyWorkload;
  public readonly deployment: kplus.Deployment;
  /** The Envoy container (image, probes, mounts). */
  public readonly container: kplus.Container;
  /** The gateway's Service: one port, `http` 80, so `kplus.IngressBackend.fromService(gateway.service)` works. */
  public readonly service: kplus.Service;
  /** `<name>-metrics`: the ops port as `metrics` (19001), present when `spec.observability.metrics`. */
  public readonly metricsService?: kplus.Service;
  /** Namespace of the gateway and its objects (metadata.namespace, else the chart's). */
  public readonly namespace?: string;
  /** Present unless `podDisruptionBudget: false`. */
  public readonly podDisruptionBudget?: k8s.KubePodDisruptionBudget;
  /** Present when `autoscaling` is set. */
  public readonly autoscaler?: kplus.HorizontalPodAutoscaler;
  /** Present when `networkPolicy` is set. */
  public readonly networkPolicy?: k8s.KubeNetworkPolicy;
  /** The Ingress, when the spec or `addIngress` asked for one. */
  public ingress?: kplus.Ingress;

  private readonly objects: GatewayObjectContext;
  private readonly ownWarnings: string[] = [];

  constructor(scope: Construct, id: string, props: AIGatewayProps) {
    super(scope, id);
    const chart = Chart.of(this);
    this.name = props.metadata?.name ?? Names.toDnsLabel(this);
    const namespace = props.metadata?.namespace ?? chart.namespace;
    this.namespace = namespace;
    refuseDuplicate(this, chart);

    const validated = validateResource({
      apiVersion: AiGatewayResource.GVK.apiVersion,
      kind: AiGatewayResource.GVK.kind,
      metadata: { name: this.name, ...(namespace && { namespace }) },
      spec: props.spec,
    });
    if (!validated.ok) throw new SpecValidationError(validated.issues, props.source);
    this.spec = validated.value.spec;

    const replicas = props.replicas ?? DEFAULT_REPLICAS;
    try {
      this.envoy = envoyConfig(this.spec, { gatewayName: this.name, namespace, replicas, maxHeapBytes: envoyMaxHeapBytes(props.resources) });
    } catch (err) {
      // What Envoy cannot do as asked is a spec error too; name the source like validation does.
      throw err instanceof SpecValidationError ? new SpecValidationError(err.issues, props.source) : err;
    }
    const bootstrapText = renderBootstrap(this.envoy.bootstrap);
    const configFiles = { [ENVOY_BOOTSTRAP_FILE]: bootstrapText, ...this.envoy.files };
    this.objects = {
      gatewayName: this.name,
      namespace,
      labels: { ...props.metadata?.labels, ...props.labels },
      annotations: props.annotations,
    };
    const meta = (component: string, name?: string) => objectMetadata(this.objects, component, name);

    const configHash = hashOfFiles(configFiles);
    const crMeta = meta('spec');
    this.resource = new AiGatewayResource(this, 'Resource', {
      metadata: {
        ...props.metadata,
        ...crMeta,
        // What the reconcile job compares: the spec (spec-hash) and the Envoy config (config-hash,
        // also on the pod template) this synth produced.
        annotations: {
          ...props.metadata?.annotations,
          ...crMeta.annotations,
          [ANNOTATION_SPEC_HASH]: hashOf(this.spec),
          [ANNOTATION_CONFIG_HASH]: configHash,
        },
      },
      // The canonical spec has exactly the CRD's shape; the generated enums are string unions at runtime.
      spec: this.spec as unknown as AiGatewayResourceSpec,
    });

    this.configMap = new kplus.ConfigMap(this, 'EnvoyConfig', {
      metadata: meta('envoy-config', `${this.name}-envoy`),
      data: configFiles,
    });

    this.workload = new EnvoyWorkload(this, 'Envoy', {
      ...props,
      gatewayName: this.name,
      metadata: meta('envoy'),
      envoy: this.envoy,
      configMap: this.configMap,
      configHash,
      replicas,
      drain: drainPlan(this.spec, props.drainTimeout),
      metrics: this.spec.observability.metrics,
      autoscaled: props.autoscaling !== undefined,
    });
    this.deployment = this.workload.deployment;
    this.container = this.workload.container;

    // Select by the stable labels, not by cdk8s' construct-path label.
    const selector = selectorLabels(this.name);
    this.service = gatewayService(this, 'Service', meta('envoy'), selector, { name: 'http', port: 80, targetPort: ENVOY_PORTS.http });
    if (this.spec.observability.metrics) {
      // Its own Service: a second port on the main one would make cdk8s-plus's
      // IngressBackend.fromService(gateway.service) demand a port.
      this.metricsService = gatewayService(this, 'MetricsService', meta('metrics', metricsServiceName(this.name)), selector, {
        name: 'metrics',
        port: ENVOY_PORTS.ops,
        targetPort: ENVOY_PORTS.ops,
      });
    }

    if (props.podDisruptionBudget ?? true) this.podDisruptionBudget = gatewayDisruptionBudget(this, selector, meta('envoy'));
    if (props.autoscaling) {
      this.autoscaler = gatewayAutoscaler(this, this.deployment, props.autoscaling, replicas, meta('envoy'));
      const limit = this.spec.rateLimiting;
      if (limit) this.ownWarnings.push(autoscaledRateLimitWarning(limit.requestsPerMinute, replicas, props.autoscaling));
    }
    if (props.networkPolicy) {
      this.networkPolicy = gatewayNetworkPolicy(this, this.spec, this.envoy.bootstrap, selector, props.networkPolicy, meta('envoy'));
    }

    const ingress = this.spec.ingress;
    if (ingress) this.addIngress(ingress);
  }

  /**
   * What the generated objects do differently from what the spec may lead one to expect: spec
   * features the Envoy configuration does not carry yet, and a rate limit split over replicas that
   * an autoscaler changes. `aigate synth` prints them on stderr; a cdk8s app should print them too
   * (e.g. `gw.warnings.forEach((w) => console.warn(w))`), since `cdk8s synth` does not.
   */
  public get warnings(): string[] {
    return [...this.envoy.warnings, ...this.ownWarnings];
  }

  /**
   * Exposes the gateway through an Ingress and returns it. Prefer spec.ingress: only then does the
   * Envoy configuration know a proxy is in front (client address from X-Forwarded-For) and
   * validation refuse upstream credentials without client authentication.
   */
  public addIngress(options: GatewayIngressOptions): kplus.Ingress {
    if (this.ingress) throw new Error(`gateway ${this.name} already has an Ingress`);
    const backend = kplus.IngressBackend.fromService(this.service, { port: 80 });
    const metadata = objectMetadata(this.objects, 'ingress');
    this.ingress = new kplus.Ingress(this, 'Ingress', {
      metadata: { ...metadata, annotations: { ...metadata.annotations, ...ingressAnnotations(this.spec, options) } },
      ...(options.className && { className: options.className }),
      rules: [{ host: options.host, backend }],
      ...(options.tlsSecretName && {
        tls: [{ hosts: [options.host], secret: kplus.Secret.fromSecretName(this, 'IngressTls', options.tlsSecretName) }],
      }),
    });
    return this.ingress;
  }
}

/** A Service of the gateway pods with one port. */
function gatewayService(scope: Construct, id: string, metadata: ApiObjectMetadata, selector: Record<string, string>, port: kplus.ServicePort): kplus.Service {
  const service = new kplus.Service(scope, id, { metadata, ports: [port] });
  for (const [key, value] of Object.entries(selector)) service.selectLabel(key, value);
  return service;
}

/** `<name>-metrics`, the name shortened so it stays a 63-character DNS label. */
const metricsServiceName = (name: string) => `${name.slice(0, 63 - '-metrics'.length)}-metrics`;

/** Two gateways of one name and namespace in a chart would write the same objects: refuse the second. */
function refuseDuplicate(gateway: AIGateway, chart: Chart): void {
  const first = chart.node
    .findAll()
    .find((c): c is AIGateway => c instanceof AIGateway && c !== gateway && c.name === gateway.name && c.namespace === gateway.namespace);
  if (first) {
    throw new Error(
      `AIGateway ${gateway.node.path.split('/').slice(1).join('/')}: a gateway named "${gateway.name}" already exists in namespace ` +
        `"${gateway.namespace ?? '(none)'}" of this chart (construct ${first.node.path.split('/').slice(1).join('/')}): its Service, ` +
        'Deployment and ConfigMap would collide; give each gateway its own metadata.name',
    );
  }
}
