/**
 * The few fields of Kubernetes objects the reconcile job reads. Structural subsets of the API
 * types, so objects from @kubernetes/client-node (or plain JSON in tests) fit without copying.
 */
export interface ObjectMeta {
  readonly name?: string;
  readonly namespace?: string;
  readonly labels?: Readonly<Record<string, string>>;
  readonly annotations?: Readonly<Record<string, string>>;
  readonly generation?: number;
}

/** An AIGatewayResource as listed from the cluster: spec and status are unchecked JSON. */
export interface GatewayObject {
  readonly metadata: ObjectMeta & { readonly name: string; readonly namespace: string };
  readonly spec?: unknown;
  readonly status?: unknown;
}

export interface DeploymentCondition {
  readonly type: string;
  readonly status: string;
  readonly reason?: string;
  readonly message?: string;
}

export interface DeploymentObject {
  readonly metadata: ObjectMeta;
  readonly spec?: {
    readonly replicas?: number;
    readonly template?: { readonly metadata?: { readonly annotations?: Readonly<Record<string, string>> } };
  };
  readonly status?: {
    readonly observedGeneration?: number;
    readonly replicas?: number;
    readonly updatedReplicas?: number;
    readonly readyReplicas?: number;
    readonly availableReplicas?: number;
    readonly conditions?: readonly DeploymentCondition[];
  };
}

export interface ServicePort {
  readonly name?: string;
  readonly port: number;
}

export interface ServiceObject {
  readonly metadata: ObjectMeta;
  readonly spec?: { readonly type?: string; readonly ports?: readonly ServicePort[] };
}

export interface IngressObject {
  readonly metadata: ObjectMeta;
  readonly status?: {
    readonly loadBalancer?: { readonly ingress?: readonly { readonly hostname?: string; readonly ip?: string }[] };
  };
}

export interface EndpointSliceObject {
  readonly metadata: ObjectMeta;
  readonly ports?: readonly { readonly name?: string | null; readonly port?: number | null }[] | null;
  readonly endpoints?: readonly { readonly conditions?: { readonly ready?: boolean | null } }[] | null;
}

/** What one lookup in the observed objects found: the object, nothing, or a failed read. */
export type Observed<T> =
  | { readonly state: 'found'; readonly object: T }
  | { readonly state: 'absent' }
  | { readonly state: 'failed'; readonly error: string };

/**
 * The objects one run observed, indexed for lookups (see `clusterView`). The status
 * computation reads only this, so it stays a pure function of what was observed.
 */
export interface ClusterView {
  /** The gateway's Envoy Deployment (by the gateway label). */
  deployment(namespace: string, gateway: string): Observed<DeploymentObject>;
  /** The gateway's own Service (by the gateway label). */
  gatewayService(namespace: string, gateway: string): Observed<ServiceObject>;
  /** The gateway's Ingress (by the gateway label). */
  ingress(namespace: string, gateway: string): Observed<IngressObject>;
  /** Any Service by name: the upstreams a spec references. */
  service(namespace: string, name: string): Observed<ServiceObject>;
  /** The EndpointSlices of a Service (by the kubernetes.io/service-name label). */
  endpointSlices(namespace: string, service: string): Observed<readonly EndpointSliceObject[]>;
}
