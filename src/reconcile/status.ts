import { canonicalJson } from '../spec/hash';
import type { Condition, GatewayStatus } from '../spec/status';
import { CONDITION_TYPES, draft, observationFailed, previousConditions, settle, type ConditionDraft, type ConditionType } from './conditions';
import { rolloutConditions } from './rollout';
import { syncState } from './sync';
import type { ClusterView, GatewayObject } from './types';
import { upstreamState } from './upstreams';

/** Each condition type: computed, or the message of the read that failed (the previous condition is kept). */
type Outcome = { readonly draft: ConditionDraft } | { readonly failed: string };

function previousStatus(gateway: GatewayObject): { address?: string; deployedModels?: string[]; lastReconciledTime?: string } {
  const s = (gateway.status ?? {}) as Record<string, unknown>;
  return {
    ...(typeof s.address === 'string' && { address: s.address }),
    ...(Array.isArray(s.deployedModels) && { deployedModels: s.deployedModels.filter((m): m is string => typeof m === 'string') }),
    ...(typeof s.lastReconciledTime === 'string' && { lastReconciledTime: s.lastReconciledTime }),
  };
}

/**
 * Where clients reach the gateway: the Ingress load balancer, else the Service's cluster DNS
 * name and port. `undefined` = a read failed (keep the previous address); `null` = none exists.
 */
function addressOf(gateway: GatewayObject, view: ClusterView): string | null | undefined {
  const { name, namespace } = gateway.metadata;
  const ingress = view.ingress(namespace, name);
  if (ingress.state === 'failed') return undefined;
  const lb = ingress.state === 'found' ? ingress.object.status?.loadBalancer?.ingress?.[0] : undefined;
  const external = lb?.hostname || lb?.ip;
  if (external) return external;
  const service = view.gatewayService(namespace, name);
  if (service.state === 'failed') return undefined;
  if (service.state === 'absent') return null;
  const ports = service.object.spec?.ports ?? [];
  const port = (ports.find((p) => p.name === 'http') ?? ports[0])?.port;
  return `${service.object.metadata.name ?? name}.${namespace}.svc${port ? `:${port}` : ''}`;
}

/**
 * The status a gateway should have, from what the run observed: a pure function of the
 * gateway (its spec, annotations and previous status), the observed objects and the time.
 * Fields that depend on a failed read keep their previous value; fields that are known to be
 * gone are null (a JSON merge patch removes them).
 */
export function computeStatus(gateway: GatewayObject, view: ClusterView, now: Date): StatusPatch {
  const { name, namespace, generation } = gateway.metadata;
  const previous = previousStatus(gateway);
  const sync = syncState(gateway);
  const deployment = view.deployment(namespace, name);
  const rollout = rolloutConditions(gateway, deployment);

  const outcomes = new Map<ConditionType, Outcome>();
  if ('failed' in rollout) {
    outcomes.set('Ready', { failed: rollout.failed });
    outcomes.set('Progressing', { failed: rollout.failed });
  } else {
    outcomes.set('Ready', { draft: rollout.ready });
    outcomes.set('Progressing', { draft: rollout.progressing });
  }
  let deployedModels: string[] | undefined = previous.deployedModels;
  if (sync.spec && sync.describesDeployed) {
    const upstreams = upstreamState(sync.spec, namespace, view);
    outcomes.set('Degraded', upstreams.degraded ? { draft: upstreams.degraded } : { failed: upstreams.failed ?? 'unknown' });
    if (upstreams.deployedModels) deployedModels = upstreams.deployedModels;
  } else {
    // The running configuration came from a spec that is no longer in the cluster: its
    // upstreams cannot be named, and deployedModels stays what was last observed in sync.
    const message = `upstreams are not checked while Synced is False (${sync.synced.reason}): the spec in the cluster is not what runs`;
    outcomes.set('Degraded', { draft: draft('Degraded', 'Unknown', sync.synced.reason, message) });
  }
  outcomes.set('Synced', { draft: sync.synced });

  const before = previousConditions(gateway.status);
  const byType = new Map(before.map((c) => [c.type, c]));
  const conditions: Condition[] = CONDITION_TYPES.map((type) => {
    const outcome = outcomes.get(type)!;
    const prev = byType.get(type);
    return 'draft' in outcome ? settle(outcome.draft, prev, generation, now) : observationFailed(type, prev, outcome.failed, now);
  });
  // Conditions of other types belong to someone else: keep them (a merge patch replaces the list).
  const foreign = before.filter((c) => !(CONDITION_TYPES as readonly string[]).includes(c.type));

  // Models are deployed only while Envoy serves them: without an available replica, none are.
  if (deployment.state === 'failed') deployedModels = previous.deployedModels;
  else if (deployment.state === 'absent' || !((deployment.object.status?.availableReplicas ?? 0) > 0)) deployedModels = [];

  const address = addressOf(gateway, view);
  return {
    conditions: [...conditions, ...foreign],
    address: address === undefined ? (previous.address ?? null) : address,
    deployedModels: deployedModels ?? null,
    lastReconciledTime: now.toISOString().replace(/\.\d{3}Z$/, 'Z'),
    ...(generation !== undefined && { observedGeneration: generation }),
  };
}

/** A status as sent in a JSON merge patch: null removes a field. */
export interface StatusPatch {
  readonly conditions: Condition[];
  readonly address: string | null;
  readonly deployedModels: string[] | null;
  readonly lastReconciledTime: string;
  readonly observedGeneration?: number;
}

/** The status without nulls: what the object holds after the patch. */
export function applied(patch: StatusPatch): GatewayStatus {
  return Object.fromEntries(Object.entries(patch).filter(([, v]) => v !== null)) as GatewayStatus;
}

/** The fields the job writes, but lastReconciledTime, in a comparable form. */
function essence(status: unknown): string {
  const s = (status ?? {}) as Record<string, unknown>;
  return canonicalJson(['conditions', 'address', 'deployedModels', 'observedGeneration'].map((k) => s[k] ?? null));
}

/**
 * Whether the status needs a PATCH: something other than lastReconciledTime changed, or
 * lastReconciledTime is older than `heartbeatMs` (so a stale time shows the job stopped, without
 * a write per gateway per run that would wake every watcher).
 */
export function needsPatch(previous: unknown, next: StatusPatch, now: Date, heartbeatMs: number): boolean {
  if (essence(previous) !== essence(next)) return true;
  const last = Date.parse(String((previous as { lastReconciledTime?: unknown } | undefined)?.lastReconciledTime ?? ''));
  return !Number.isFinite(last) || now.getTime() - last >= heartbeatMs;
}
