import type { Duration } from 'cdk8s';
import type { AIGatewaySpec } from '../spec';
import { durationSeconds } from '../spec/primitives';

/**
 * Graceful shutdown of an Envoy pod. Kubernetes removes a terminating pod from Service endpoints
 * while it runs the pre-stop hook, but load balancers and ingress controllers learn of it a few
 * seconds later, and LLM requests can stream for a minute. So the hook:
 *  1. POSTs /healthcheck/fail: /ready answers 503 and every connection is closed after its current
 *     request (drain_type DEFAULT listeners), so clients reconnect to other pods;
 *  2. POSTs /drain_listeners?graceful&skip_exit: listeners keep accepting for --drain-time-s, then
 *     close; Envoy stays up (skip_exit) until the kubelet's SIGTERM;
 *  3. waits at least `minSeconds` (endpoint propagation), then until the public listener has no
 *     request in flight, at most `drainSeconds`.
 * The pod's terminationGracePeriodSeconds covers the whole hook plus a margin for Envoy to exit.
 */
export interface DrainPlan {
  /** Longest wait for in-flight requests; also Envoy's --drain-time-s. */
  readonly drainSeconds: number;
  /** Shortest wait, so requests routed before endpoint removal propagates are still served. */
  readonly minSeconds: number;
  /** terminationGracePeriodSeconds: drainSeconds + GRACE_MARGIN_SECONDS. */
  readonly gracePeriodSeconds: number;
}

export const DRAIN_PROPAGATION_SECONDS = 5;
export const GRACE_MARGIN_SECONDS = 10;
/** Bounds of the default drain time (derived from endpoint timeouts). */
export const DEFAULT_DRAIN_BOUNDS = { min: 10, max: 300 } as const;
export const MAX_DRAIN_SECONDS = 3600;

/**
 * Drain time: `drainTimeout` when given, else the longest endpoint timeout (a non-streaming
 * request started just before shutdown may take that long to answer), kept within
 * DEFAULT_DRAIN_BOUNDS. A stream may last longer (an endpoint timeout bounds its silence, not its
 * length) and is cut when the drain ends: give drainTimeout for gateways of long streams.
 */
export function drainPlan(spec: AIGatewaySpec, drainTimeout?: Duration): DrainPlan {
  let drainSeconds: number;
  if (drainTimeout) {
    drainSeconds = drainTimeout.toSeconds({ integral: false });
    if (!Number.isInteger(drainSeconds) || drainSeconds < 1 || drainSeconds > MAX_DRAIN_SECONDS) {
      throw new Error(`drainTimeout: must be whole seconds between 1 and ${MAX_DRAIN_SECONDS}, found ${drainSeconds}s`);
    }
  } else {
    const longest = Math.max(...spec.endpoints.map((e) => Math.ceil(durationSeconds(e.timeout))));
    drainSeconds = Math.min(DEFAULT_DRAIN_BOUNDS.max, Math.max(DEFAULT_DRAIN_BOUNDS.min, longest));
  }
  return {
    drainSeconds,
    minSeconds: Math.min(DRAIN_PROPAGATION_SECONDS, drainSeconds),
    gracePeriodSeconds: drainSeconds + GRACE_MARGIN_SECONDS,
  };
}

/** Envoy flags that match the plan: drain for drainSeconds, every connection at once (a shutdown, not a hot restart). */
export function envoyDrainArgs(plan: DrainPlan): string[] {
  return ['--drain-time-s', String(plan.drainSeconds), '--drain-strategy', 'immediate'];
}

export interface DrainScriptOptions {
  /** Admin port on 127.0.0.1. */
  readonly adminPort: number;
  /** Gauge of requests in flight on the public listener, e.g. "http.public.downstream_rq_active". */
  readonly activeRequestsStat: string;
  readonly minSeconds: number;
  readonly maxSeconds: number;
}

const STAT_NAME = /^[a-z0-9_.]+$/;

/**
 * The pre-stop hook as a bash script. The official envoyproxy/envoy image is Ubuntu with bash and
 * coreutils but no curl or wget, so HTTP to the admin interface goes through bash's /dev/tcp.
 * It writes nothing to disk (read-only root filesystem) and always exits 0: a failed hook must
 * not stop the pod from terminating.
 */
export function drainScript(options: DrainScriptOptions): string {
  const { adminPort, activeRequestsStat, minSeconds, maxSeconds } = options;
  if (!STAT_NAME.test(activeRequestsStat)) throw new Error(`activeRequestsStat: not a stat name: ${JSON.stringify(activeRequestsStat)}`);
  const statPattern = activeRequestsStat.replace(/\./g, '\\.');
  return [
    'admin() {',
    `  { exec 3<>/dev/tcp/127.0.0.1/${adminPort}; } 2>/dev/null || return 1`,
    `  printf '%s %s HTTP/1.1\\r\\nHost: 127.0.0.1\\r\\nContent-Length: 0\\r\\nConnection: close\\r\\n\\r\\n' "$1" "$2" >&3`,
    '  while IFS= read -r -t 5 line <&3 || [ -n "$line" ]; do printf \'%s\\n\' "$line"; done',
    '  exec 3<&-',
    '}',
    'admin POST /healthcheck/fail >/dev/null',
    "admin POST '/drain_listeners?graceful&skip_exit' >/dev/null",
    // Whole seconds actually slept guarantee the minimum; the clock ($SECONDS) bounds the maximum.
    'start=$SECONDS',
    'slept=0',
    `while [ $((SECONDS - start)) -lt ${maxSeconds} ]; do`,
    `  if [ "$slept" -ge ${minSeconds} ]; then`,
    `    stats=$(admin GET '/stats?filter=${activeRequestsStat}')`,
    `    if [[ $stats =~ (^|[[:space:]])${statPattern}:\\ ([0-9]+) ]] && [ "\${BASH_REMATCH[2]}" = 0 ]; then break; fi`,
    '  fi',
    '  sleep 1',
    '  slept=$((slept + 1))',
    'done',
    'exit 0',
    '',
  ].join('\n');
}
