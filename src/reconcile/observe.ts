import { LABEL_GATEWAY } from '../spec/names';
import type { ClusterView, DeploymentObject, EndpointSliceObject, IngressObject, Observed, ServiceObject } from './types';

/** Label EndpointSlices carry with the name of their Service. */
export const LABEL_SERVICE_NAME = 'kubernetes.io/service-name';

/** A LIST result: the items, or why the read failed. */
export type Listing<T> = { readonly ok: true; readonly items: readonly T[] } | { readonly ok: false; readonly error: string };

/** One LIST of one kind, in one namespace or (namespace undefined) across all namespaces. */
export interface ScopedListing<T> {
  readonly namespace?: string;
  readonly listing: Listing<T>;
}

/** Everything one run listed. */
export interface Snapshot {
  readonly deployments: readonly ScopedListing<DeploymentObject>[];
  readonly services: readonly ScopedListing<ServiceObject>[];
  readonly ingresses: readonly ScopedListing<IngressObject>[];
  readonly endpointSlices: readonly ScopedListing<EndpointSliceObject>[];
}

type Index<T> = { readonly ok: true; readonly byKey: Map<string, T[]> } | { readonly ok: false; readonly error: string };

/** Items grouped by "namespace/key"; a failed LIST covers its namespace (or every namespace). */
class KindIndex<T extends { metadata: { namespace?: string } }> {
  private readonly scopes = new Map<string | undefined, Index<T>>();

  constructor(listings: readonly ScopedListing<T>[], key: (item: T) => string | undefined) {
    for (const { namespace, listing } of listings) {
      if (!listing.ok) {
        this.scopes.set(namespace, listing);
        continue;
      }
      const byKey = new Map<string, T[]>();
      for (const item of listing.items) {
        const k = key(item);
        if (k === undefined) continue;
        const id = `${item.metadata.namespace ?? namespace ?? ''}/${k}`;
        const list = byKey.get(id);
        if (list) list.push(item);
        else byKey.set(id, [item]);
      }
      this.scopes.set(namespace, { ok: true, byKey });
    }
  }

  lookup(namespace: string, key: string): { ok: true; items: T[] } | { ok: false; error: string } {
    const scope = this.scopes.get(namespace) ?? this.scopes.get(undefined);
    if (!scope) return { ok: false, error: `namespace ${namespace} was not listed by this run` };
    if (!scope.ok) return scope;
    return { ok: true, items: scope.byKey.get(`${namespace}/${key}`) ?? [] };
  }
}

/** The object named like the gateway among those labelled with it (the construct names them so). */
function owned<T extends { metadata: { name?: string } }>(index: KindIndex<T & { metadata: { namespace?: string } }>, namespace: string, gateway: string): Observed<T> {
  const found = index.lookup(namespace, gateway);
  if (!found.ok) return { state: 'failed', error: found.error };
  if (found.items.length === 0) return { state: 'absent' };
  const object = found.items.find((o) => o.metadata.name === gateway) ?? [...found.items].sort((a, b) => String(a.metadata.name).localeCompare(String(b.metadata.name)))[0];
  return { state: 'found', object };
}

/** Indexes what a run listed for the lookups of the status computation. */
export function clusterView(snapshot: Snapshot): ClusterView {
  const gatewayLabel = (o: { metadata: { labels?: Readonly<Record<string, string>> } }) => o.metadata.labels?.[LABEL_GATEWAY];
  const deployments = new KindIndex(snapshot.deployments, gatewayLabel);
  const gatewayServices = new KindIndex(snapshot.services, gatewayLabel);
  const servicesByName = new KindIndex(snapshot.services, (s) => s.metadata.name);
  const ingresses = new KindIndex(snapshot.ingresses, gatewayLabel);
  const slices = new KindIndex(snapshot.endpointSlices, (s) => s.metadata.labels?.[LABEL_SERVICE_NAME]);
  return {
    deployment: (namespace, gateway) => owned(deployments, namespace, gateway),
    gatewayService: (namespace, gateway) => owned(gatewayServices, namespace, gateway),
    ingress: (namespace, gateway) => owned(ingresses, namespace, gateway),
    service: (namespace, name) => {
      const found = servicesByName.lookup(namespace, name);
      if (!found.ok) return { state: 'failed', error: found.error };
      return found.items.length > 0 ? { state: 'found', object: found.items[0] } : { state: 'absent' };
    },
    endpointSlices: (namespace, service) => {
      const found = slices.lookup(namespace, service);
      return found.ok ? { state: 'found', object: found.items } : { state: 'failed', error: found.error };
    },
  };
}
