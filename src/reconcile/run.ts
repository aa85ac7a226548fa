import { formatPath } from '../spec/issues';
import { LABEL_GATEWAY } from '../spec/names';
import { statusSchema } from '../spec/status';
import type { KubeClient, Scope } from './client';
import type { Logger } from './log';
import { clusterView, LABEL_SERVICE_NAME, type Listing, type ScopedListing, type Snapshot } from './observe';
import { DEFAULT_RETRY, withRetry, type RetryContext, type RetryPolicy } from './retry';
import { applied, computeStatus, needsPatch, type StatusPatch } from './status';
import type { ClusterView, GatewayObject } from './types';

export interface ReconcileOptions {
  readonly scope: Scope;
  readonly log: Logger;
  /** Compute and report, write nothing. */
  readonly dryRun?: boolean;
  readonly now?: () => Date;
  /** @default DEFAULT_RETRY (4 attempts, 250 ms doubling to 8 s, Retry-After honoured) */
  readonly retry?: Partial<RetryPolicy>;
  readonly sleep?: (ms: number) => Promise<void>;
  readonly random?: () => number;
  /**
   * An unchanged status is still patched when its lastReconciledTime is this old.
   * @default 600000 (10 minutes)
   */
  readonly heartbeatMs?: number;
  /**
   * Status patches in flight at once.
   * @default 4
   */
  readonly concurrency?: number;
  /**
   * Epoch milliseconds after which no retry starts.
   * @default none
   */
  readonly deadline?: number;
}

export type GatewayOutcome = 'patched' | 'unchanged' | 'would-patch' | 'failed' | 'gone';

export interface GatewayResult {
  /** "namespace/name" */
  readonly gateway: string;
  readonly outcome: GatewayOutcome;
  /** The status computed for the gateway (what was, or would be, patched); none after an internal error. */
  readonly status?: StatusPatch;
  readonly error?: string;
}

export interface RunResult {
  /** True when every list was read and every changed status was written. */
  readonly ok: boolean;
  readonly gateways: readonly GatewayResult[];
  /** Reads that failed (after retries), e.g. "list deployments: 403 Forbidden: ...". */
  readonly readFailures: readonly string[];
}

const sleepFor = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Namespaces, other than the gateway's, that spec.endpoints[].serviceRef.namespace names (read without validation). */
function referencedNamespaces(gateways: readonly GatewayObject[]): Set<string> {
  const out = new Set<string>();
  for (const g of gateways) {
    const endpoints = (g.spec as { endpoints?: unknown } | undefined)?.endpoints;
    if (!Array.isArray(endpoints)) continue;
    for (const e of endpoints) {
      const ns = (e as { serviceRef?: { namespace?: unknown } } | null)?.serviceRef?.namespace;
      if (typeof ns === 'string' && ns && ns !== g.metadata.namespace) out.add(ns);
    }
  }
  return out;
}

async function mapPool<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i]);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  return results;
}

/** Computes one gateway's status and patches it when it changed. */
async function reconcileGateway(
  gateway: GatewayObject,
  id: string,
  view: ClusterView,
  client: KubeClient,
  options: ReconcileOptions & { now: () => Date },
  ctx: RetryContext,
): Promise<GatewayResult> {
  const { log, now } = options;
  const at = now();
  const status = computeStatus(gateway, view, at);
  const valid = statusSchema.safeParse(applied(status));
  if (!valid.success) {
    // A bug, not a cluster problem: never send a status the CRD would reject.
    const error = `computed an invalid status: ${valid.error.issues.map((i) => `${formatPath(['status', ...(i.path as (string | number)[])])}: ${i.message}`).join('; ')}`;
    log({ action: 'compute', gateway: id, outcome: 'failed', message: error });
    return { gateway: id, outcome: 'failed', status, error };
  }
  if (!needsPatch(gateway.status, status, at, options.heartbeatMs ?? 600000)) return { gateway: id, outcome: 'unchanged', status };
  const ready = status.conditions.find((c) => c.type === 'Ready');
  if (options.dryRun) {
    log({ action: 'patch status', gateway: id, outcome: 'would-patch', ready: ready?.status, reason: ready?.reason });
    return { gateway: id, outcome: 'would-patch', status };
  }
  const patched = await withRetry(() => client.patchStatus(gateway.metadata.namespace, gateway.metadata.name, status), { action: 'patch status', gateway: id }, ctx);
  if (patched.ok) {
    log({ action: 'patch status', gateway: id, outcome: 'patched', attempts: patched.attempts, ready: ready?.status, reason: ready?.reason });
    return { gateway: id, outcome: 'patched', status };
  }
  if (patched.failure.code === 404) {
    // Deleted since the LIST: nothing left to describe.
    log({ action: 'patch status', gateway: id, outcome: 'gone', message: patched.failure.message });
    return { gateway: id, outcome: 'gone', status };
  }
  log({ action: 'patch status', gateway: id, outcome: 'failed', attempts: patched.attempts, code: patched.failure.code, message: patched.failure.message });
  return { gateway: id, outcome: 'failed', status, error: patched.failure.message };
}

/**
 * One reconcile run: LIST the gateways and the objects they own or reference (a fixed number
 * of calls, whatever the number of gateways), compute each status, and merge-patch /status
 * where it changed. One gateway's failure does not stop the others; nothing throws.
 */
export async function reconcileOnce(client: KubeClient, options: ReconcileOptions): Promise<RunResult> {
  const now = options.now ?? (() => new Date());
  const { log, scope } = options;
  const ctx: RetryContext = {
    policy: { ...DEFAULT_RETRY, ...options.retry },
    log,
    sleep: options.sleep ?? sleepFor,
    now: () => now().getTime(),
    random: options.random ?? Math.random,
    ...(options.deadline !== undefined && { deadline: options.deadline }),
  };
  const where = 'namespace' in scope ? `namespace ${scope.namespace}` : 'all namespaces';

  const listed = await withRetry(() => client.listGateways(scope), { action: 'list aigates' }, ctx);
  if (!listed.ok) {
    const message = `could not list aigates in ${where}: ${listed.failure.message}${listed.failure.code === 404 ? ' (is the aigates.gateway.example.com CRD installed?)' : ''}`;
    log({ action: 'run', outcome: 'failed', message, attempts: listed.attempts });
    return { ok: false, gateways: [], readFailures: [message] };
  }
  const gateways = listed.value;
  if (gateways.length === 0) {
    log({ action: 'run', outcome: 'ok', gateways: 0, message: `no aigates in ${where}` });
    return { ok: true, gateways: [], readFailures: [] };
  }

  const readFailures: string[] = [];
  const read = async <T>(action: string, namespace: string | undefined, call: () => Promise<T[]>): Promise<ScopedListing<T>> => {
    const r = await withRetry(call, { action }, ctx);
    let listing: Listing<T>;
    if (r.ok) listing = { ok: true, items: r.value };
    else {
      listing = { ok: false, error: `${action} failed: ${r.failure.message}` };
      readFailures.push(listing.error);
      log({ action, outcome: 'failed', attempts: r.attempts, code: r.failure.code, message: r.failure.message });
    }
    return { ...(namespace !== undefined && { namespace }), listing };
  };
  const ns = 'namespace' in scope ? scope.namespace : undefined;
  const foreign = ns === undefined ? [] : [...referencedNamespaces(gateways)].sort();
  // Upstream Services in other namespaces (namespaced runs only): two LISTs per such namespace.
  const [deployments, services, ingresses, endpointSlices, foreignServices, foreignSlices] = await Promise.all([
    read('list deployments', ns, () => client.listDeployments(scope, LABEL_GATEWAY)),
    read('list services', ns, () => client.listServices(scope)),
    read('list ingresses', ns, () => client.listIngresses(scope, LABEL_GATEWAY)),
    read('list endpointslices', ns, () => client.listEndpointSlices(scope, LABEL_SERVICE_NAME)),
    Promise.all(foreign.map((other) => read(`list services in ${other}`, other, () => client.listServices({ namespace: other })))),
    Promise.all(foreign.map((other) => read(`list endpointslices in ${other}`, other, () => client.listEndpointSlices({ namespace: other }, LABEL_SERVICE_NAME)))),
  ]);
  const snapshot: Snapshot = {
    deployments: [deployments],
    ingresses: [ingresses],
    services: [services, ...foreignServices],
    endpointSlices: [endpointSlices, ...foreignSlices],
  };
  const view = clusterView(snapshot);

  const results = await mapPool(gateways, options.concurrency ?? 4, async (gateway): Promise<GatewayResult> => {
    const id = `${gateway.metadata.namespace}/${gateway.metadata.name}`;
    try {
      return await reconcileGateway(gateway, id, view, client, { ...options, now }, ctx);
    } catch (err) {
      // A bug met by one gateway's data must not stop the others.
      const error = `internal error: ${(err as Error).name}: ${(err as Error).message}`;
      log({ action: 'compute', gateway: id, outcome: 'failed', message: error });
      return { gateway: id, outcome: 'failed', error };
    }
  });

  const failed = results.filter((r) => r.outcome === 'failed').map((r) => r.gateway);
  const count = (o: GatewayOutcome) => results.filter((r) => r.outcome === o).length;
  const ok = failed.length === 0 && readFailures.length === 0;
  log({
    action: 'run',
    outcome: ok ? 'ok' : 'failed',
    scope: where,
    gateways: results.length,
    patched: count('patched'),
    unchanged: count('unchanged'),
    ...(options.dryRun && { wouldPatch: count('would-patch') }),
    gone: count('gone'),
    failed,
    ...(readFailures.length > 0 && { readFailures }),
    message: ok
      ? `reconciled ${results.length} gateway${results.length === 1 ? '' : 's'} in ${where}`
      : `${failed.length > 0 ? `status not written for ${failed.join(', ')}` : 'every status was written'}${readFailures.length > 0 ? `; reads failed (statuses keep their last observed values): ${readFailures.join('; ')}` : ''}`,
  });
  return { ok, gateways: results, readFailures };
}
