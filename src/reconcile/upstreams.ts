import type { AIGatewaySpec } from '../spec/spec';
import { draft, type ConditionDraft } from './conditions';
import type { ClusterView, EndpointSliceObject, ServiceObject } from './types';

type Endpoint = AIGatewaySpec['endpoints'][number];

/** What the job can tell about one endpoint of the spec. */
export type EndpointHealth =
  | { readonly state: 'ready'; readonly readyEndpoints: number }
  /** An external URL or an ExternalName Service: not checked from inside the cluster. */
  | { readonly state: 'unchecked'; readonly why: string }
  | { readonly state: 'unavailable'; readonly reason: 'UpstreamServiceNotFound' | 'UpstreamPortNotFound' | 'NoReadyEndpoints'; readonly problem: string }
  | { readonly state: 'unknown'; readonly error: string };

/** Ready addresses of the Service's slices that serve the Service port (a slice without ports serves all). */
function readyEndpoints(slices: readonly EndpointSliceObject[], portName: string): number {
  let ready = 0;
  for (const slice of slices) {
    const ports = slice.ports ?? [];
    if (ports.length > 0 && !ports.some((p) => (p.name ?? '') === portName)) continue;
    // A nil `ready` means unknown, which consumers should treat as ready (discovery.k8s.io/v1).
    for (const e of slice.endpoints ?? []) if (e.conditions?.ready !== false) ready++;
  }
  return ready;
}

function serviceHealth(service: ServiceObject, ref: { name: string; namespace: string; port: number }, view: ClusterView): EndpointHealth {
  const where = `Service ${ref.namespace}/${ref.name}`;
  if (service.spec?.type === 'ExternalName') return { state: 'unchecked', why: `${where} is an ExternalName Service` };
  const port = service.spec?.ports?.find((p) => p.port === ref.port);
  if (!port) {
    const has = (service.spec?.ports ?? []).map((p) => p.port).join(', ') || 'none';
    return { state: 'unavailable', reason: 'UpstreamPortNotFound', problem: `${where} has no port ${ref.port} (it has: ${has})` };
  }
  const slices = view.endpointSlices(ref.namespace, ref.name);
  if (slices.state === 'failed') return { state: 'unknown', error: `could not read the EndpointSlices of ${where}: ${slices.error}` };
  const ready = readyEndpoints(slices.state === 'found' ? slices.object : [], port.name ?? '');
  if (ready === 0) return { state: 'unavailable', reason: 'NoReadyEndpoints', problem: `${where} has no ready endpoints for port ${ref.port}` };
  return { state: 'ready', readyEndpoints: ready };
}

export function endpointHealth(endpoint: Endpoint, gatewayNamespace: string, view: ClusterView): EndpointHealth {
  if (!endpoint.serviceRef) return { state: 'unchecked', why: `${endpoint.url ?? 'its URL'} is outside the cluster` };
  const ref = { name: endpoint.serviceRef.name, namespace: endpoint.serviceRef.namespace ?? gatewayNamespace, port: endpoint.serviceRef.port };
  const service = view.service(ref.namespace, ref.name);
  if (service.state === 'failed') return { state: 'unknown', error: `could not read Service ${ref.namespace}/${ref.name}: ${service.error}` };
  if (service.state === 'absent') {
    return { state: 'unavailable', reason: 'UpstreamServiceNotFound', problem: `Service ${ref.namespace}/${ref.name} does not exist` };
  }
  return serviceHealth(service.object, ref, view);
}

export interface UpstreamState {
  /** Degraded, or undefined when a read failed (the previous condition is kept). */
  readonly degraded?: ConditionDraft;
  /** Why Degraded could not be decided. */
  readonly failed?: string;
  /** Models of the endpoints that are reachable, or undefined when a read failed. */
  readonly deployedModels?: string[];
}

/**
 * Degraded (negative polarity): True when an in-cluster upstream Service the spec references
 * does not exist, lacks the port, or has no ready endpoints. External URLs are not checked.
 */
export function upstreamState(spec: AIGatewaySpec, gatewayNamespace: string, view: ClusterView): UpstreamState {
  const health = spec.endpoints.map((e) => ({ endpoint: e, health: endpointHealth(e, gatewayNamespace, view) }));
  const unchecked = health.filter((h) => h.health.state === 'unchecked').map((h) => h.endpoint.name);
  const note = unchecked.length > 0 ? `; not checked from inside the cluster: ${unchecked.join(', ')} (external)` : '';

  const problems = health.flatMap(({ endpoint, health: h }) => (h.state === 'unavailable' ? [{ endpoint: endpoint.name, ...h }] : []));
  const unknown = health.flatMap(({ endpoint, health: h }) => (h.state === 'unknown' ? [`endpoint ${endpoint.name}: ${h.error}`] : []));
  const models = [...new Set(health.filter((h) => h.health.state === 'ready' || h.health.state === 'unchecked').flatMap((h) => h.endpoint.models))];

  if (problems.length > 0) {
    const reasons = [...new Set(problems.map((p) => p.reason))];
    const message = problems.map((p) => `endpoint ${p.endpoint}: ${p.problem}`).join('; ') + (unknown.length > 0 ? `; ${unknown.join('; ')}` : '') + note;
    return {
      degraded: draft('Degraded', 'True', reasons.length === 1 ? reasons[0] : 'UpstreamsUnavailable', message),
      ...(unknown.length === 0 && { deployedModels: models }),
    };
  }
  if (unknown.length > 0) return { failed: unknown.join('; ') };
  const checked = health.length - unchecked.length;
  const message =
    checked > 0 ? `${checked === 1 ? 'the in-cluster upstream Service has' : `all ${checked} in-cluster upstream Services have`} ready endpoints${note}` : `no in-cluster upstreams${note}`;
  return { degraded: draft('Degraded', 'False', 'UpstreamsAvailable', message), deployedModels: models };
}
