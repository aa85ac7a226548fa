/**
 * The reconcile job's view of the Kubernetes API: the calls a run makes, as an interface with two
 * implementations. `rest-client.ts` (node:https, the job's own: no dependency) and `kube.ts`
 * (@kubernetes/client-node, for `aigate reconcile`/`aigate check` from a laptop: every kubeconfig
 * auth method, exec plugins included).
 */
import type { StatusPatch } from './status';
import type { DeploymentObject, EndpointSliceObject, GatewayObject, IngressObject, ServiceObject } from './types';

/** One namespace, or every namespace. */
export type Scope = { readonly namespace: string } | { readonly allNamespaces: true };

/** The API calls of a run: LISTs, and a merge patch of one gateway's status. Nothing else. */
export interface KubeClient {
  listGateways(scope: Scope): Promise<GatewayObject[]>;
  listDeployments(scope: Scope, labelSelector: string): Promise<DeploymentObject[]>;
  listServices(scope: Scope): Promise<ServiceObject[]>;
  listIngresses(scope: Scope, labelSelector: string): Promise<IngressObject[]>;
  listEndpointSlices(scope: Scope, labelSelector: string): Promise<EndpointSliceObject[]>;
  patchStatus(namespace: string, name: string, status: StatusPatch): Promise<void>;
}

export interface KubeClientOptions {
  /**
   * Time limit of each request; a request still pending then is abandoned (and retried).
   * @default 10000
   */
  readonly requestTimeoutMs?: number;
}

/** The key names of a Secret (never its values), or undefined when there is no such Secret. */
export type SecretKeys = readonly string[] | undefined;

/** The one read `aigate check` makes beyond the reconcile calls: which keys a Secret has. */
export interface SecretKeyReader {
  secretKeys(namespace: string, name: string): Promise<SecretKeys>;
}

/**
 * Marks an error with the API server it came from, so that a network failure can say where it
 * could not connect (`describeFailure`). Returns the same error.
 */
export function withServer(err: unknown, server: string): unknown {
  if (err && typeof err === 'object' && !('server' in err)) {
    try {
      Object.defineProperty(err, 'server', { value: server, enumerable: false });
    } catch {
      // A frozen error keeps its message without the server.
    }
  }
  return err;
}
