import type { Endpoint, Json } from './types';
import { protoDuration, secondsDuration, typed } from './util';
import { durationSeconds } from '../spec/primitives';

/**
 * How long an LLM exchange may take, and what is retried.
 *
 * An LLM answer has no useful total deadline: a streamed answer can run for minutes, and cutting it
 * wastes everything generated so far. What goes wrong is an upstream that does not start answering
 * or stops in the middle, so an endpoint's `timeout` bounds *silence*, per attempt, in the router:
 * - `per_try_idle_timeout` = timeout: the wait for the first byte of the response and the longest
 *   gap between two bytes after it (a stalled stream is cut);
 * - `per_try_timeout` = retries.perTryTimeout when given: the wait for the response headers only
 *   (Envoy stops that timer once the response starts, so it never cuts a stream);
 * - the route's own `timeout` (the whole exchange, retries and streamed body included) is off.
 * Both router timers start once the request is complete and a connection is obtained, so a slow
 * answer gets the router's 504 (flag UT, JSON body from local-reply.ts) rather than the HTTP
 * connection manager's 408 "stream timeout": the connection managers' stream_idle_timeout is
 * longer (streamIdleTimeout below).
 *
 * A timed-out attempt is never retried: the upstream may still be generating (and billing) it, so
 * a retry would pay twice for a slow non-streaming answer. Envoy retries a per-try timeout only for
 * `5xx`, `gateway-error` and `reset` (RetryStateImpl::wouldRetryFromReset; the timeout is a local
 * reset), so none of them is used; instead:
 * - `connect-failure`, `refused-stream`, `reset-before-request`: nothing reached the upstream;
 * - `retriable-status-codes` 500, 502, 503: the upstream (or an internal hop that failed to
 *   connect) answered that it did not do the work; not 504, a gateway that timed out upstream;
 * - with fallbacks also 429: a provider's rate limit sends the request to the next priority
 *   (previous_priorities and previous_hosts keep it off the host that refused it).
 */
export const RETRIABLE_STATUS_CODES = [500, 502, 503] as const;
/** Retried only towards another priority (an endpoint with fallbacks), never on the same host. */
export const FAILOVER_STATUS_CODES = [429] as const;
const RETRY_ON = 'connect-failure,refused-stream,reset-before-request,retriable-status-codes';

/**
 * Seconds the HTTP connection managers' stream_idle_timeout exceeds the router's bounds by: the
 * router's timers start only after the request is complete and a connection is obtained (connect
 * timeouts are at most 5 s), the connection manager's at the request's last byte.
 */
export const STREAM_IDLE_MARGIN_SECONDS = 10;
/** The least stream_idle_timeout: how long a client may pause while sending its request. */
export const MIN_STREAM_IDLE_SECONDS = 300;

const longestTimeout = (endpoints: readonly Endpoint[]) => Math.max(...endpoints.map((e) => durationSeconds(e.timeout)));

/** stream_idle_timeout of a connection manager whose routes reach `endpoints`. */
export function streamIdleTimeout(endpoints: readonly Endpoint[]): string {
  return secondsDuration(Math.max(MIN_STREAM_IDLE_SECONDS, longestTimeout(endpoints) + STREAM_IDLE_MARGIN_SECONDS));
}

/**
 * The per-attempt bounds of a route reaching `reachable` (with fallbacks, the longest of the
 * group, so a slower fallback is not cut short by its primary's limit).
 */
export function attemptBounds(reachable: readonly Endpoint[], perTryTimeout?: string): Json {
  return {
    per_try_idle_timeout: secondsDuration(longestTimeout(reachable)),
    ...(perTryTimeout && { per_try_timeout: protoDuration(perTryTimeout) }),
  };
}

/** Route timeout: off (see the header); the per-attempt bounds of the retry policy apply. */
export const NO_ROUTE_TIMEOUT = '0s';

/**
 * Retry policy of a route to `endpoint` (reaching `reachable`): always present, as it carries the
 * per-attempt bounds; with retries off only those (no retry_on, so the router keeps no copy of the
 * body for retries). With fallbacks a retry goes to the next priority at once, never to a host
 * that already failed.
 */
export function retryPolicy(endpoint: Endpoint, reachable: readonly Endpoint[], failover: boolean): Json {
  const bounds = attemptBounds(reachable, endpoint.retries.perTryTimeout);
  if (endpoint.retries.attempts === 0) return { num_retries: 0, ...bounds };
  const codes = failover ? [...RETRIABLE_STATUS_CODES, ...FAILOVER_STATUS_CODES] : [...RETRIABLE_STATUS_CODES];
  return {
    retry_on: RETRY_ON,
    retriable_status_codes: codes,
    num_retries: endpoint.retries.attempts,
    ...bounds,
    ...(failover && {
      retry_priority: {
        name: 'envoy.retry_priorities.previous_priorities',
        typed_config: typed('envoy.extensions.retry.priority.previous_priorities.v3.PreviousPrioritiesConfig', { update_frequency: 1 }),
      },
      retry_host_predicate: [
        {
          name: 'envoy.retry_host_predicates.previous_hosts',
          typed_config: typed('envoy.extensions.retry.host.previous_hosts.v3.PreviousHostsPredicate'),
        },
      ],
      host_selection_retry_max_attempts: 3,
    }),
  };
}
