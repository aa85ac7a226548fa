import { ApiObject, type ApiObjectMetadata, Duration, JsonPatch, Size } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import type { k8s } from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { checkReplicas, topologySpread } from './availability';
import { type DrainPlan, drainScript, envoyDrainArgs } from './drain';
import { ENVOY_IMAGE, ENVOY_UID } from './envoy-image';
import { labelsFor, selectorLabels } from './labels';
import { mountSecretFiles } from './secret-volumes';
import { DEFAULT_REPLICAS, ENVOY_BOOTSTRAP_FILE, ENVOY_CONFIG_DIR, ENVOY_PORTS, type EnvoyConfig, OPS_PATHS, PUBLIC_LISTENER } from '../envoy';
import { ANNOTATION_CONFIG_HASH } from '../spec';

/** Options of the Envoy Deployment, every one with a production default. */
export interface EnvoyWorkloadOptions {
  /**
   * Envoy container image. The pre-stop drain needs bash (present in the official image, not in
   * its distroless variant).
   * @default ENVOY_IMAGE (a pinned envoyproxy/envoy release)
   */
  readonly image?: string;
  /**
   * @default kplus.ImagePullPolicy.IF_NOT_PRESENT (the default image is pinned to a release)
   */
  readonly imagePullPolicy?: kplus.ImagePullPolicy;
  /**
   * Number of Envoy pods (the autoscaler's minimum when `autoscaling` is set).
   * @default 2
   */
  readonly replicas?: number;
  /**
   * CPU and memory of the Envoy container.
   * @default DEFAULT_RESOURCES (requests 100m CPU / 128Mi, limits 1 CPU / 512Mi)
   */
  readonly resources?: kplus.ContainerResources;
  /**
   * Envoy worker threads (--concurrency). Envoy otherwise starts one per core of the node, not of
   * the container's CPU limit.
   * @default 2
   */
  readonly concurrency?: number;
  /**
   * Longest wait for in-flight requests when a pod stops; terminationGracePeriodSeconds is this
   * plus 10 seconds, and Envoy's --drain-time-s is this.
   * @default the longest endpoint timeout, between 10 seconds and 5 minutes
   */
  readonly drainTimeout?: Duration;
  /**
   * Node labels the pods must run on.
   * @default any node
   */
  readonly nodeSelector?: Record<string, string>;
  /**
   * Taints the pods tolerate.
   * @default none
   */
  readonly tolerations?: k8s.Toleration[];
  /**
   * Spread pods across nodes (required) and zones (preferred).
   * @default true
   */
  readonly topologySpread?: boolean;
  /**
   * Extra labels on the pods (changing them rolls the pods). Selector labels cannot be overridden.
   * @default none
   */
  readonly podLabels?: Record<string, string>;
  /**
   * Extra annotations on the pods (changing them rolls the pods); they win over the defaults
   * (the prometheus.io/* scrape hints).
   * @default none
   */
  readonly podAnnotations?: Record<string, string>;
}

export interface EnvoyWorkloadProps extends EnvoyWorkloadOptions {
  readonly gatewayName: string;
  /** Metadata of the Deployment. */
  readonly metadata: ApiObjectMetadata;
  readonly envoy: EnvoyConfig;
  /** ConfigMap holding the bootstrap (ENVOY_BOOTSTRAP_FILE) and its side files. */
  readonly configMap: kplus.ConfigMap;
  /** Hash of the ConfigMap's files, on the pod template so a config change rolls the pods. */
  readonly configHash: string;
  readonly drain: DrainPlan;
  /** Whether the ops port serves /stats/prometheus (adds the scrape hints). */
  readonly metrics: boolean;
  /**
   * An autoscaler owns the replica count: the Deployment leaves `replicas` out.
   * @default false
   */
  readonly autoscaled?: boolean;
}

export const DEFAULT_RESOURCES: kplus.ContainerResources = {
  cpu: { request: kplus.Cpu.millis(100), limit: kplus.Cpu.millis(1000) },
  memory: { request: Size.mebibytes(128), limit: Size.mebibytes(512) },
};
export const DEFAULT_CONCURRENCY = 2;

/**
 * The heap Envoy's overload manager allows: 80% of the container's memory limit, leaving room for
 * what tcmalloc does not count (thread stacks, Lua states' mmaps) before the OOM killer would act.
 * Undefined without a memory limit (the bootstrap's default then applies).
 */
export function envoyMaxHeapBytes(resources: kplus.ContainerResources = DEFAULT_RESOURCES): number | undefined {
  const limit = resources.memory?.limit;
  return limit && Math.floor(limit.toKibibytes() * 1024 * 0.8);
}
export const CONFIG_DIR = ENVOY_CONFIG_DIR;
/** Envoy writes nothing by default; a small scratch directory for extensions that expect /tmp. */
export const SCRATCH_DIR = '/tmp';

/** The restricted Pod Security Standard, as the image's envoy user (uid/gid 101). */
export const ENVOY_CONTAINER_SECURITY: kplus.ContainerSecurityContextProps = {
  user: ENVOY_UID,
  group: ENVOY_UID,
  ensureNonRoot: true,
  readOnlyRootFilesystem: true,
  allowPrivilegeEscalation: false,
  privileged: false,
  capabilities: { drop: [kplus.Capability.ALL] },
  seccompProfile: { type: kplus.SeccompProfileType.RUNTIME_DEFAULT },
};

/**
 * The Envoy Deployment: hardened pod, probes on the ops listener, graceful drain, config and
 * Secret volumes. `deployment` and `container` are the cdk8s-plus objects, open for changes.
 */
export class EnvoyWorkload extends Construct {
  public readonly deployment: kplus.Deployment;
  public readonly container: kplus.Container;
  /** One volume per Secret listed in `envoy.secretFiles`. */
  public readonly secretVolumes: kplus.Volume[];

  constructor(scope: Construct, id: string, props: EnvoyWorkloadProps) {
    super(scope, id);
    const replicas = checkReplicas(props.replicas ?? DEFAULT_REPLICAS);
    const concurrency = props.concurrency ?? DEFAULT_CONCURRENCY;
    if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 256) {
      throw new Error(`concurrency: must be a whole number between 1 and 256, found ${concurrency}`);
    }
    const scrapeHints: Record<string, string> = props.metrics
      ? { 'prometheus.io/scrape': 'true', 'prometheus.io/port': String(ENVOY_PORTS.ops), 'prometheus.io/path': OPS_PATHS.metrics }
      : {};

    this.deployment = new kplus.Deployment(this, 'Resource', {
      metadata: props.metadata,
      // Left out under an autoscaler, so applying the manifests again does not undo its choice.
      ...(!props.autoscaled && { replicas }),
      select: false,
      // Surge one pod at a time and never go below the desired count during a rollout.
      strategy: kplus.DeploymentStrategy.rollingUpdate({
        maxSurge: kplus.PercentOrAbsolute.absolute(1),
        maxUnavailable: kplus.PercentOrAbsolute.absolute(0),
      }),
      podMetadata: {
        labels: labelsFor(props.gatewayName, 'envoy', props.podLabels),
        annotations: { ...scrapeHints, ...props.podAnnotations, [ANNOTATION_CONFIG_HASH]: props.configHash },
      },
      // Envoy never calls the Kubernetes API.
      automountServiceAccountToken: false,
      securityContext: {
        user: ENVOY_UID,
        group: ENVOY_UID,
        fsGroup: ENVOY_UID,
        ensureNonRoot: true,
        fsGroupChangePolicy: kplus.FsGroupChangePolicy.ON_ROOT_MISMATCH,
      },
      terminationGracePeriod: Duration.seconds(props.drain.gracePeriodSeconds),
    });
    this.deployment.select(kplus.LabelSelector.of({ labels: selectorLabels(props.gatewayName) }));

    const probe = (path: string) => (options: kplus.HttpGetProbeOptions) => kplus.Probe.fromHttpGet(path, { port: ENVOY_PORTS.ops, ...options });
    const ready = probe(OPS_PATHS.ready);
    this.container = this.deployment.addContainer({
      name: 'envoy',
      image: props.image ?? ENVOY_IMAGE,
      imagePullPolicy: props.imagePullPolicy ?? kplus.ImagePullPolicy.IF_NOT_PRESENT,
      // The image's entrypoint switches user with su-exec, which needs root: run Envoy directly.
      command: ['envoy'],
      args: [
        '--config-path', `${CONFIG_DIR}/${ENVOY_BOOTSTRAP_FILE}`,
        // No hot restart: it needs shared memory, and Kubernetes replaces pods instead.
        '--disable-hot-restart',
        '--log-level', 'info',
        '--concurrency', String(concurrency),
        ...envoyDrainArgs(props.drain),
      ],
      ports: [
        { name: 'http', number: ENVOY_PORTS.http },
        { name: 'ops', number: ENVOY_PORTS.ops },
      ],
      securityContext: ENVOY_CONTAINER_SECURITY,
      resources: props.resources ?? DEFAULT_RESOURCES,
      // /ready is 503 until Envoy is initialized and after the pre-stop hook failed it.
      startup: ready({ periodSeconds: Duration.seconds(2), failureThreshold: 60, timeoutSeconds: Duration.seconds(2) }),
      readiness: ready({ periodSeconds: Duration.seconds(5), failureThreshold: 2, timeoutSeconds: Duration.seconds(2) }),
      // Liveness must hold while the pre-stop hook drains: never /ready, which the drain fails.
      liveness: probe(OPS_PATHS.live)({ periodSeconds: Duration.seconds(10), failureThreshold: 3, timeoutSeconds: Duration.seconds(2) }),
      lifecycle: {
        preStop: kplus.Handler.fromCommand([
          '/bin/bash',
          '-c',
          drainScript({
            adminPort: ENVOY_PORTS.admin,
            activeRequestsStat: `http.${PUBLIC_LISTENER}.downstream_rq_active`,
            minSeconds: props.drain.minSeconds,
            maxSeconds: props.drain.drainSeconds,
          }),
        ]),
      },
    });
    const config = kplus.Volume.fromConfigMap(this, 'ConfigVolume', props.configMap, { name: 'envoy-config' });
    this.container.mount(CONFIG_DIR, config, { readOnly: true });
    const scratch = kplus.Volume.fromEmptyDir(this, 'ScratchVolume', 'tmp', { sizeLimit: Size.mebibytes(16) });
    this.container.mount(SCRATCH_DIR, scratch);
    this.secretVolumes = mountSecretFiles(this, this.container, props.envoy.secretFiles, [CONFIG_DIR, SCRATCH_DIR]);

    this.patchPodSpec(props);
  }

  /** Pod fields cdk8s-plus has no props for. */
  private patchPodSpec(props: EnvoyWorkloadProps): void {
    const object = ApiObject.of(this.deployment);
    const add = (field: string, value: unknown) => object.addJsonPatch(JsonPatch.add(`/spec/template/spec/${field}`, value));
    // Seccomp at pod level too, so a container added later through `deployment` inherits it.
    add('securityContext/seccompProfile', { type: 'RuntimeDefault' });
    // Service environment variables are of no use to Envoy and grow with the namespace.
    add('enableServiceLinks', false);
    if (props.topologySpread ?? true) add('topologySpreadConstraints', topologySpread(selectorLabels(props.gatewayName)));
    if (props.nodeSelector && Object.keys(props.nodeSelector).length > 0) add('nodeSelector', { ...props.nodeSelector });
    if (props.tolerations && props.tolerations.length > 0) add('tolerations', props.tolerations);
  }
}
