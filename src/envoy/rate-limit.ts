import type { EnvoyOptions, Json, Spec } from './types';
import { secondsDuration, setHeader, typed } from './util';

const LOCAL_RATE_LIMIT = 'envoy.extensions.filters.http.local_ratelimit.v3.LocalRateLimit';
/** Envoy refuses a local rate limit token bucket that refills more often than every 50 ms. */
export const MIN_FILL_INTERVAL_SECONDS = 0.05;
export const DEFAULT_REPLICAS = 2;

/** One replica's token bucket (proto3 JSON of envoy.type.v3.TokenBucket) plus the facts behind it. */
export interface TokenBucketPlan {
  readonly max_tokens: number;
  readonly tokens_per_fill: number;
  readonly fill_interval: string;
  readonly fillIntervalSeconds: number;
}

/**
 * The bucket each of `replicas` Envoys enforces so that the gateway as a whole sustains
 * `requestsPerMinute` and admits `burst` at once. Each replica gets rpm/N: `tokens_per_fill`
 * tokens every 60·N·tokens_per_fill/rpm seconds, with the smallest `tokens_per_fill` that keeps
 * the interval at or above Envoy's 50 ms minimum. The interval is exact to the nanosecond, so the
 * rate is exact (drift below 1e-7) for any rpm. Burst: ceil(burst/N) per replica, but never less
 * than one fill, or refills would overflow the bucket and lower the rate.
 */
export function tokenBucket(requestsPerMinute: number, burst: number, replicas: number): TokenBucketPlan {
  const n = Math.max(1, Math.floor(replicas));
  const nanosFor = (tokens: number) => Math.round((60e9 * n * tokens) / requestsPerMinute);
  let tokensPerFill = Math.max(1, Math.floor((MIN_FILL_INTERVAL_SECONDS * requestsPerMinute) / (60 * n)));
  while (nanosFor(tokensPerFill) < MIN_FILL_INTERVAL_SECONDS * 1e9) tokensPerFill++;
  const nanos = nanosFor(tokensPerFill);
  return {
    max_tokens: Math.max(tokensPerFill, Math.ceil(burst / n)),
    tokens_per_fill: tokensPerFill,
    fill_interval: secondsDuration(nanos / 1e9),
    fillIntervalSeconds: nanos / 1e9,
  };
}

/**
 * `envoy.filters.http.local_ratelimit` for rateLimiting: a token bucket per replica, 429 with a
 * JSON body (localReplyConfig), `retry-after` (seconds until the next refill) and the draft
 * x-ratelimit-* headers. Undefined when the spec sets no rate limit.
 */
export function rateLimitFilter(spec: Spec, options: EnvoyOptions): Json | undefined {
  const limit = spec.rateLimiting;
  if (!limit) return undefined;
  const { fillIntervalSeconds, ...bucket } = tokenBucket(limit.requestsPerMinute, limit.burst, options.replicas ?? DEFAULT_REPLICAS);
  const always = (key: string) => ({ runtime_key: `ai_gateway.rate_limit.${key}`, default_value: { numerator: 100, denominator: 'HUNDRED' } });
  return {
    name: 'envoy.filters.http.local_ratelimit',
    typed_config: typed(LOCAL_RATE_LIMIT, {
      stat_prefix: 'gateway_rate_limit',
      token_bucket: bucket,
      // Both must be set: an unset filter_enabled means "enabled for 0% of requests".
      filter_enabled: always('enabled'),
      filter_enforced: always('enforced'),
      response_headers_to_add: [setHeader('retry-after', String(Math.max(1, Math.ceil(fillIntervalSeconds))))],
      enable_x_ratelimit_headers: 'DRAFT_VERSION_03',
    }),
  };
}
