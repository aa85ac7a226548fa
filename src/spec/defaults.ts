/**
 * Defaults of optional spec fields, in one place: the normalizer fills them in, the field
 * descriptions (and so the CRD and the reference docs) quote them.
 */
export const DEFAULTS = {
  servicePort: 80,
  modelType: 'LLM',
  endpointTimeout: '60s',
  retryAttempts: 2,
  modificationType: 'Prefix',
  templateHeader: 'x-ai-prompt-template',
  cacheTtlSeconds: 300,
  cacheMaxEntries: 1000,
  cacheScope: 'Caller',
  accessLog: true,
  metrics: true,
  usageHeaders: false,
  tracingSamplingPercent: 100,
  maxRequestBodyBytes: 8 * 1024 * 1024,
} as const;

/** Default burst: one second's worth of the sustained rate, at least 1. */
export function defaultBurst(requestsPerMinute: number): number {
  return Math.max(1, Math.ceil(requestsPerMinute / 60));
}
