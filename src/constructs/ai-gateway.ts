import { Chart, type ApiObjectMetadata, Names, Size } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { AiGatewayResource, type AiGatewayResourceSpec } from '../../imports/gateway.example.com';
import { ENVOY_PORTS, envoyConfig, renderBootstrap, type EnvoyConfig } from '../envoy';
import {
  ANNOTATION_CONFIG_HASH,
  ANNOTATION_SPEC_HASH,
  type AIGatewaySpec,
  type AIGatewaySpecInput,
  hashOf,
  SpecValidationError,
  validateResource,
} from '../spec';
import { ENVOY_IMAGE, ENVOY_UID } from './envoy-image';
import { labelsFor, selectorLabels } from './labels';

/** Options of the Ingress in front of the gateway. */
export interface GatewayIngressOptions {
  /** Host name the Ingress serves. */
  readonly host: string;
  /**
   * IngressClass name.
   * @default the cluster's default IngressClass
   */
  readonly className?: string;
  /**
   * Secret with the TLS certificate for the host.
   * @default no TLS
   */
  readonly tlsSecretName?: string;
}

export interface AIGatewayProps {
  /** The gateway spec, as in an AIGatewayResource (the design's shorthand is accepted). */
  readonly spec: AIGatewaySpecInput;
  /**
   * Metadata of the custom resource. Its name and namespace also name the generated objects.
   * @default a name derived from the construct path, the chart's namespace
   */
  readonly metadata?: ApiObjectMetadata;
  /**
   * Envoy container image.
   * @default ENVOY_IMAGE (a pinned envoyproxy/envoy release)
   */
  readonly image?: string;
  /**
   * Number of Envoy pods.
   * @default 2
   */
  readonly replicas?: number;
  /**
   * Where the spec came from, named in validation errors (e.g. "gateways/prod.yaml").
   * @default none
   */
  readonly source?: string;
}

/**
 * An AI/LLM gateway: the AIGatewayResource itself plus the Envoy data plane generated from it
 * (ConfigMap with envoy.yaml, Deployment, Service, and an Ingress when the spec asks for one).
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
  public readonly deployment: kplus.Deployment;
  public readonly service: kplus.Service;
  /** The Ingress, when the spec or `addIngress` asked for one. */
  public ingress?: kplus.Ingress;

  constructor(scope: Construct, id: string, props: AIGatewayProps) {
    super(scope, id);
    const chart = Chart.of(this);
    this.name = props.metadata?.name ?? Names.toDnsLabel(this);
    const namespace = props.metadata?.namespace ?? chart.namespace;

    const validated = validateResource({
      apiVersion: AiGatewayResource.GVK.apiVersion,
      kind: AiGatewayResource.GVK.kind,
      metadata: { name: this.name, ...(namespace && { namespace }) },
      spec: props.spec,
    });
    if (!validated.ok) throw new SpecValidationError(validated.issues, props.source);
    this.spec = validated.value.spec;

    this.envoy = envoyConfig(this.spec, { gatewayName: this.name, namespace });
    const envoyYaml = renderBootstrap(this.envoy.bootstrap);
    const meta = (component: string, extra: ApiObjectMetadata = {}) => ({
      ...extra,
      name: extra.name ?? this.name,
      ...(namespace && { namespace }),
      labels: labelsFor(this.name, component, { ...props.metadata?.labels, ...extra.labels }),
    });

    const configHash = hashOf(envoyYaml);
    this.resource = new AiGatewayResource(this, 'Resource', {
      metadata: {
        ...meta('spec', props.metadata),
        // What the reconcile job compares: the spec (spec-hash) and the Envoy config (config-hash,
        // also on the pod template) this synth produced.
        annotations: { ...props.metadata?.annotations, [ANNOTATION_SPEC_HASH]: hashOf(this.spec), [ANNOTATION_CONFIG_HASH]: configHash },
      },
      // The canonical spec has exactly the CRD's shape; the generated enums are string unions at runtime.
      spec: this.spec as unknown as AiGatewayResourceSpec,
    });

    this.configMap = new kplus.ConfigMap(this, 'EnvoyConfig', {
      metadata: meta('envoy-config', { name: `${this.name}-envoy` }),
      data: { 'envoy.yaml': envoyYaml },
    });

    this.deployment = new kplus.Deployment(this, 'Deployment', {
      metadata: meta('envoy'),
      replicas: props.replicas ?? 2,
      select: false,
      podMetadata: {
        labels: labelsFor(this.name, 'envoy'),
        annotations: { [ANNOTATION_CONFIG_HASH]: configHash },
      },
      automountServiceAccountToken: false,
      securityContext: { user: ENVOY_UID, group: ENVOY_UID, fsGroup: ENVOY_UID, ensureNonRoot: true },
    });
    this.deployment.select(kplus.LabelSelector.of({ labels: selectorLabels(this.name) }));
    const container = this.deployment.addContainer({
      name: 'envoy',
      image: props.image ?? ENVOY_IMAGE,
      imagePullPolicy: kplus.ImagePullPolicy.IF_NOT_PRESENT,
      command: ['envoy'],
      // No hot restart: it needs shared memory, and Kubernetes replaces pods instead.
      args: ['--config-path', '/etc/envoy/envoy.yaml', '--disable-hot-restart', '--log-level', 'info'],
      ports: [{ name: 'http', number: ENVOY_PORTS.http }],
      securityContext: {
        user: ENVOY_UID,
        group: ENVOY_UID,
        ensureNonRoot: true,
        readOnlyRootFilesystem: true,
        allowPrivilegeEscalation: false,
        privileged: false,
        capabilities: { drop: [kplus.Capability.ALL] },
        seccompProfile: { type: kplus.SeccompProfileType.RUNTIME_DEFAULT },
      },
      resources: {
        cpu: { request: kplus.Cpu.millis(100), limit: kplus.Cpu.millis(1000) },
        memory: { request: Size.mebibytes(128), limit: Size.mebibytes(512) },
      },
      readiness: kplus.Probe.fromTcpSocket({ port: ENVOY_PORTS.http }),
    });
    container.mount('/etc/envoy', kplus.Volume.fromConfigMap(this, 'EnvoyConfigVolume', this.configMap, { name: 'envoy-config' }), {
      readOnly: true,
    });

    this.service = new kplus.Service(this, 'Service', {
      metadata: meta('envoy'),
      ports: [{ name: 'http', port: 80, targetPort: ENVOY_PORTS.http }],
    });
    // Select by the stable labels, not by cdk8s' construct-path label.
    for (const [key, value] of Object.entries(selectorLabels(this.name))) this.service.selectLabel(key, value);

    const ingress = this.spec.ingress;
    if (ingress) this.addIngress(ingress);
  }

  /** Exposes the gateway through an Ingress and returns it. */
  public addIngress(options: GatewayIngressOptions): kplus.Ingress {
    if (this.ingress) throw new Error(`gateway ${this.name} already has an Ingress`);
    const backend = kplus.IngressBackend.fromService(this.service, { port: 80 });
    this.ingress = new kplus.Ingress(this, 'Ingress', {
      metadata: {
        name: this.name,
        labels: labelsFor(this.name, 'ingress'),
        ...(this.resource.metadata.namespace && { namespace: this.resource.metadata.namespace }),
      },
      ...(options.className && { className: options.className }),
      rules: [{ host: options.host, backend }],
      ...(options.tlsSecretName && {
        tls: [{ hosts: [options.host], secret: kplus.Secret.fromSecretName(this, 'IngressTls', options.tlsSecretName) }],
      }),
    });
    return this.ingress;
  }
}
