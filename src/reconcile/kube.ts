import { existsSync } from 'fs';
import * as k8s from '@kubernetes/client-node';
import { API_GROUP, API_VERSION_NAME, PLURAL } from '../spec/names';
import { withServer, type KubeClient, type KubeClientOptions, type SecretKeyReader } from './client';
import type { DeploymentObject, EndpointSliceObject, GatewayObject, IngressObject, ServiceObject } from './types';

const SERVICE_ACCOUNT_TOKEN = '/var/run/secrets/kubernetes.io/serviceaccount/token';

/** Where the cluster and credentials come from (the job itself uses `inClusterConnection`). */
export type KubeConfigSource = { readonly inCluster: true } | { readonly kubeconfig?: string; readonly context?: string };

/**
 * Loads the client configuration: in the cluster, the pod's service account; otherwise the
 * kubeconfig file given, else $KUBECONFIG or ~/.kube/config. Also returns the namespace the
 * configuration names (the current context's, or the pod's), if any.
 */
export function loadKubeConfig(source: KubeConfigSource): { kc: k8s.KubeConfig; namespace?: string } {
  const kc = new k8s.KubeConfig();
  if ('inCluster' in source) {
    if (!existsSync(SERVICE_ACCOUNT_TOKEN)) {
      throw new Error(`no service account token at ${SERVICE_ACCOUNT_TOKEN}: the pod needs automountServiceAccountToken: true`);
    }
    kc.loadFromCluster();
  } else {
    if (source.kubeconfig) {
      if (!existsSync(source.kubeconfig)) throw new Error(`kubeconfig ${source.kubeconfig} does not exist`);
      kc.loadFromFile(source.kubeconfig);
    } else {
      kc.loadFromDefault();
      // loadFromDefault falls back to http://localhost:8080 when it finds nothing: never guess a cluster.
      if (kc.getCurrentCluster()?.server === 'http://localhost:8080' && !process.env.KUBECONFIG) {
        throw new Error('no kubeconfig found: pass --kubeconfig, set KUBECONFIG, or create ~/.kube/config');
      }
    }
    if (source.context) {
      if (!kc.getContextObject(source.context)) throw new Error(`context ${source.context} is not in the kubeconfig`);
      kc.setCurrentContext(source.context);
    }
  }
  if (!kc.getCurrentCluster()) throw new Error('the kubeconfig has no current cluster (set current-context)');
  const namespace = kc.getContextObject(kc.getCurrentContext())?.namespace?.trim();
  return { kc, ...(namespace && { namespace }) };
}

/** Request options that abort a request after `ms` (client-node 1.4 has no timeout of its own). */
function timeoutOptions(ms: number): k8s.ConfigurationOptions {
  return {
    middleware: [
      {
        pre: (ctx: k8s.RequestContext) => {
          ctx.setSignal(AbortSignal.timeout(ms));
          return new k8s.Observable(Promise.resolve(ctx));
        },
        post: (rsp: k8s.ResponseContext) => new k8s.Observable(Promise.resolve(rsp)),
      },
    ],
    middlewareMergeStrategy: 'append',
  };
}

/** Items of a list, typed as the fields the job reads (client-node's models are supersets). */
function itemsOf<T>(list: { items?: unknown[] }): T[] {
  return (list.items ?? []).filter((i) => !!(i as { metadata?: unknown }).metadata) as T[];
}

/** Runs each method of `api`, marking what it throws with the server (`withServer`). */
function namingServer<T extends object>(api: T, server: string): T {
  const out: Record<string, unknown> = {};
  for (const [name, fn] of Object.entries(api)) {
    out[name] = async (...args: unknown[]) => {
      try {
        return await (fn as (...a: unknown[]) => Promise<unknown>)(...args);
      } catch (err) {
        throw withServer(err, server);
      }
    };
  }
  return out as T;
}

/** The KubeClient over @kubernetes/client-node's generated APIs (plus the Secret key read of `aigate check`). */
export function kubeClient(kc: k8s.KubeConfig, options: KubeClientOptions = {}): KubeClient & SecretKeyReader {
  const custom = kc.makeApiClient(k8s.CustomObjectsApi);
  const apps = kc.makeApiClient(k8s.AppsV1Api);
  const core = kc.makeApiClient(k8s.CoreV1Api);
  const net = kc.makeApiClient(k8s.NetworkingV1Api);
  const discovery = kc.makeApiClient(k8s.DiscoveryV1Api);
  const timeoutMs = options.requestTimeoutMs ?? 10000;
  const opts = () => timeoutOptions(timeoutMs);
  const gvr = { group: API_GROUP, version: API_VERSION_NAME, plural: PLURAL };

  const client: KubeClient & SecretKeyReader = {
    async listGateways(scope) {
      const list = 'namespace' in scope
        ? await custom.listNamespacedCustomObject({ ...gvr, namespace: scope.namespace }, opts())
        : await custom.listClusterCustomObject(gvr, opts());
      return itemsOf<GatewayObject>(list as { items?: unknown[] });
    },
    async listDeployments(scope, labelSelector) {
      const list = 'namespace' in scope
        ? await apps.listNamespacedDeployment({ namespace: scope.namespace, labelSelector }, opts())
        : await apps.listDeploymentForAllNamespaces({ labelSelector }, opts());
      return itemsOf<DeploymentObject>(list);
    },
    async listServices(scope) {
      const list = 'namespace' in scope
        ? await core.listNamespacedService({ namespace: scope.namespace }, opts())
        : await core.listServiceForAllNamespaces({}, opts());
      return itemsOf<ServiceObject>(list);
    },
    async listIngresses(scope, labelSelector) {
      const list = 'namespace' in scope
        ? await net.listNamespacedIngress({ namespace: scope.namespace, labelSelector }, opts())
        : await net.listIngressForAllNamespaces({ labelSelector }, opts());
      return itemsOf<IngressObject>(list);
    },
    async listEndpointSlices(scope, labelSelector) {
      const list = 'namespace' in scope
        ? await discovery.listNamespacedEndpointSlice({ namespace: scope.namespace, labelSelector }, opts())
        : await discovery.listEndpointSliceForAllNamespaces({ labelSelector }, opts());
      return itemsOf<EndpointSliceObject>(list);
    },
    async patchStatus(namespace, name, status) {
      // A JSON merge patch on /status: only the status changes, lists (conditions) are replaced whole.
      const options = k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch, opts());
      await custom.patchNamespacedCustomObjectStatus({ ...gvr, namespace, name, body: { status } }, options);
    },
    async secretKeys(namespace, name) {
      try {
        const secret = await core.readNamespacedSecret({ namespace, name }, opts());
        return Object.keys(secret.data ?? {});
      } catch (err) {
        if ((err as { code?: unknown }).code === 404) return undefined;
        throw err;
      }
    },
  };
  return namingServer(client, kc.getCurrentCluster()?.server ?? '(no server)');
}
