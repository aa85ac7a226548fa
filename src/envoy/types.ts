import type { AIGatewaySpec } from '../spec';

/** Where the generated Envoy runs: facts the spec does not carry. */
export interface EnvoyOptions {
  /** Name of the gateway (the custom resource's metadata.name). */
  readonly gatewayName: string;
  /** Namespace the gateway runs in; Services without a namespace are looked up there. */
  readonly namespace?: string;
  /** Cluster DNS domain. @default "cluster.local" */
  readonly clusterDomain?: string;
  /**
   * Number of Envoy replicas sharing the gateway-wide rate limit (each enforces its share).
   * @default 2
   */
  readonly replicas?: number;
  /**
   * Heap the overload manager lets Envoy use before it frees memory and refuses new requests: a
   * little below the container's memory limit.
   * @default DEFAULT_MAX_HEAP_BYTES (80% of the default 512 MiB limit)
   */
  readonly maxHeapBytes?: number;
}

/** A key of a Secret the Envoy container must see as a file (credentials never enter the config). */
export interface SecretFile {
  readonly secretName: string;
  readonly key: string;
  /**
   * Directory the whole Secret is mounted at (no subPath: only a directory mount receives
   * Kubernetes' atomic `..data` updates); the file is `${mountPath}/${key}`.
   */
  readonly mountPath: string;
}

/** Ports of the Envoy container. */
export const ENVOY_PORTS = {
  /** Public listener (unprivileged, so the container needs no NET_BIND_SERVICE). */
  http: 8080,
  /** Envoy admin, bound to 127.0.0.1 only: never reachable from outside the pod. */
  admin: 9901,
  /** Ops listener: only GET /ready (probes) and GET /stats/prometheus (metrics), proxied to admin. */
  ops: 19001,
} as const;

/** Directory the ConfigMap (the bootstrap and `EnvoyConfig.files`) is mounted at. */
export const ENVOY_CONFIG_DIR = '/etc/envoy';
/**
 * ConfigMap key and file name of the bootstrap. JSON, which Envoy reads natively: rendering the
 * same bootstrap as YAML took 30 times longer and dominated synth time (see bench/).
 */
export const ENVOY_BOOTSTRAP_FILE = 'envoy.json';

/** Everything the Kubernetes layer needs to run the generated configuration. */
export interface EnvoyConfig {
  /** The bootstrap (proto3 JSON mapping of envoy.config.bootstrap.v3.Bootstrap). */
  readonly bootstrap: Record<string, unknown>;
  /**
   * Further files for ENVOY_CONFIG_DIR, next to the bootstrap (ConfigMap key -> content), e.g. the SDS
   * resources that point Envoy at mounted Secret files. Never a secret value.
   */
  readonly files: Record<string, string>;
  /** Secret keys to mount into the Envoy container. */
  readonly secretFiles: SecretFile[];
  /** Spec features that this version does not translate yet (reported, never ignored silently). */
  readonly warnings: string[];
}

export type Spec = AIGatewaySpec;
export type Endpoint = Spec['endpoints'][number];
export type Json = Record<string, unknown>;
