import type { Logger } from './log';

/** A failed API call, in terms a log line and a condition message can carry. */
export interface ApiFailure {
  /** HTTP status code; undefined for timeouts and network errors. */
  readonly code?: number;
  /** Status reason (Forbidden, NotFound, TooManyRequests, ...), Timeout or NetworkError. */
  readonly reason: string;
  /** One line, without request details or credentials. */
  readonly message: string;
  readonly retryable: boolean;
  /** The server's Retry-After, in milliseconds. */
  readonly retryAfterMs?: number;
}

export interface RetryPolicy {
  /** Attempts in all, the first one included. */
  readonly attempts: number;
  /** Delay before the first retry; doubled for each further one (with jitter). */
  readonly baseDelayMs: number;
  /** Upper bound of a computed backoff (a server's Retry-After is honoured as given). */
  readonly maxDelayMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { attempts: 4, baseDelayMs: 250, maxDelayMs: 8000 };

/**
 * Statuses worth another try: a conflict (the status patch carries no resourceVersion, so a
 * retry simply re-applies it), throttling, and server-side failures.
 */
const RETRYABLE_CODES = new Set([409, 429, 500, 502, 503, 504]);
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EAI_AGAIN', 'ENOTFOUND', 'EHOSTUNREACH', 'ENETUNREACH', 'UND_ERR_SOCKET']);

function parseRetryAfter(value: unknown, now: number): number | undefined {
  if (typeof value !== 'string' && typeof value !== 'number') return undefined;
  const text = String(value).trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  const at = Date.parse(text);
  return Number.isFinite(at) ? Math.max(0, at - now) : undefined;
}

/** The Kubernetes Status in an error body (client-node 1.4 hands back the raw text). */
function statusOf(body: unknown): { reason?: string; message?: string; details?: { retryAfterSeconds?: number } } {
  if (typeof body === 'string') {
    try {
      return statusOf(JSON.parse(body));
    } catch {
      return {};
    }
  }
  return body && typeof body === 'object' ? (body as ReturnType<typeof statusOf>) : {};
}

const HTTP_REASONS: Record<number, string> = { 401: 'Unauthorized', 403: 'Forbidden', 404: 'NotFound', 409: 'Conflict', 429: 'TooManyRequests', 500: 'InternalError', 503: 'ServiceUnavailable', 504: 'Timeout' };

/** Classifies whatever a client call threw (client-node's ApiException, ApiHttpError, a socket error; `server` set by `withServer`). */
export function describeFailure(err: unknown, now = Date.now()): ApiFailure {
  const e = err as { code?: unknown; body?: unknown; headers?: Record<string, string>; name?: string; message?: string; cause?: { code?: string }; server?: string };
  if (typeof e?.code === 'number' && 'body' in e) {
    const status = statusOf(e.body);
    const reason = status.reason || HTTP_REASONS[e.code] || `HTTP${e.code}`;
    const header = e.headers?.['retry-after'] ?? e.headers?.['Retry-After'];
    const retryAfterMs = parseRetryAfter(header, now) ?? (status.details?.retryAfterSeconds !== undefined ? status.details.retryAfterSeconds * 1000 : undefined);
    const text = (status.message ?? '').split('\n')[0].slice(0, 300);
    return {
      code: e.code,
      reason,
      message: `${e.code} ${reason}${text ? `: ${text}` : ''}`,
      retryable: RETRYABLE_CODES.has(e.code),
      ...(retryAfterMs !== undefined && { retryAfterMs }),
    };
  }
  if (e?.name === 'AbortError' || e?.name === 'TimeoutError') {
    return { reason: 'Timeout', message: e.server ? `the request to the Kubernetes API at ${e.server} timed out` : 'the request timed out', retryable: true };
  }
  const netCode = typeof e?.code === 'string' ? e.code : e?.cause?.code;
  if (netCode && NETWORK_CODES.has(netCode)) {
    return { reason: 'NetworkError', message: e.server ? `cannot reach the Kubernetes API at ${e.server}: ${netCode}` : `network error ${netCode}`, retryable: true };
  }
  const text = `${e?.name ?? 'Error'}: ${String(e?.message ?? err).split('\n')[0].slice(0, 300)}`;
  // A TLS failure (unknown CA, wrong host name) also comes from the connection: name the server.
  return { reason: 'Error', message: e?.server ? `cannot talk to the Kubernetes API at ${e.server}: ${text}` : text, retryable: false };
}

export interface RetryContext {
  readonly policy: RetryPolicy;
  readonly log: Logger;
  readonly sleep: (ms: number) => Promise<void>;
  readonly now: () => number;
  readonly random: () => number;
  /** Epoch milliseconds after which no retry starts (the job's activeDeadlineSeconds). */
  readonly deadline?: number;
}

export type Attempted<T> = { readonly ok: true; readonly value: T; readonly attempts: number } | { readonly ok: false; readonly failure: ApiFailure; readonly attempts: number };

/**
 * Runs an API call, retrying what is worth retrying with exponential backoff and jitter, or
 * after the server's Retry-After. Never throws: the caller decides what a failure means.
 */
export async function withRetry<T>(call: () => Promise<T>, what: { action: string; gateway?: string }, ctx: RetryContext): Promise<Attempted<T>> {
  for (let attempt = 1; ; attempt++) {
    try {
      return { ok: true, value: await call(), attempts: attempt };
    } catch (err) {
      const failure = describeFailure(err, ctx.now());
      if (!failure.retryable || attempt >= ctx.policy.attempts) return { ok: false, failure, attempts: attempt };
      const backoff = Math.min(ctx.policy.maxDelayMs, ctx.policy.baseDelayMs * 2 ** (attempt - 1));
      const delayMs = failure.retryAfterMs ?? Math.round(backoff / 2 + (ctx.random() * backoff) / 2);
      if (ctx.deadline !== undefined && ctx.now() + delayMs > ctx.deadline) {
        return { ok: false, failure: { ...failure, message: `${failure.message} (no time left to retry before the run's deadline)` }, attempts: attempt };
      }
      ctx.log({ ...what, outcome: 'retry', attempt, code: failure.code, reason: failure.reason, delayMs, message: failure.message });
      await ctx.sleep(delayMs);
    }
  }
}
