import type { z } from 'zod';
import type { CanonicalEndpoint, CanonicalRule, CanonicalSpec } from './canonical';
import { DEFAULTS, defaultBurst } from './defaults';
import type { baseSpecSchema } from './shape';
import { entryEndpoint } from './entry-endpoint';
import { credentialHeader } from './providers';
import { parseShorthand } from './shorthand';

type ParsedSpec = z.output<typeof baseSpecSchema>;
type ParsedEndpoint = ParsedSpec['endpoints'][number];

export type { CanonicalEndpoint, CanonicalRule, CanonicalSpec } from './canonical';

function canonicalEndpoint(e: ParsedEndpoint): CanonicalEndpoint {
  let credentialsRef: CanonicalEndpoint['credentialsRef'];
  if (e.credentialsRef) {
    const byProvider = credentialHeader(e.provider);
    const header = e.credentialsRef.header ?? byProvider.header;
    const prefix = e.credentialsRef.prefix ?? (header.toLowerCase() === 'authorization' ? 'Bearer ' : byProvider.prefix);
    credentialsRef = { name: e.credentialsRef.name, key: e.credentialsRef.key, header, prefix };
  }
  return {
    name: e.name,
    ...(e.serviceRef && { serviceRef: { ...e.serviceRef, port: e.serviceRef.port ?? DEFAULTS.servicePort } }),
    ...(e.url !== undefined && { url: e.url }),
    modelType: e.modelType ?? DEFAULTS.modelType,
    ...(e.provider !== undefined && { provider: e.provider }),
    models: e.models && e.models.length > 0 ? [...e.models] : [e.name],
    ...(e.costPerToken && { costPerToken: { ...e.costPerToken } }),
    ...(credentialsRef && { credentialsRef }),
    timeout: e.timeout ?? DEFAULTS.endpointTimeout,
    retries: {
      attempts: e.retries?.attempts ?? DEFAULTS.retryAttempts,
      ...(e.retries?.perTryTimeout !== undefined && { perTryTimeout: e.retries.perTryTimeout }),
    },
    fallbackEndpoints: [...(e.fallbackEndpoints ?? [])],
  };
}

function canonicalRouting(spec: ParsedSpec): CanonicalSpec['modelRouting'] {
  const routing = spec.modelRouting;
  // Validation allows no target only where one endpoint is the obvious one (entry-endpoint.ts).
  const entry = entryEndpoint(spec.endpoints);
  const obvious = 'name' in entry ? entry.name : spec.endpoints[0].name;
  if (!routing) return { strategy: 'Header', rules: [], defaultTargetEndpoint: obvious };
  let defaultTargetEndpoint = routing.defaultTargetEndpoint;
  const rules: CanonicalRule[] = [];
  for (const rule of routing.rules ?? []) {
    if (rule.defaultTargetEndpoint !== undefined) {
      defaultTargetEndpoint = rule.defaultTargetEndpoint;
      continue;
    }
    const matcher = rule.match !== undefined ? parseShorthand(routing.strategy, rule.match) : undefined;
    const fromShorthand = matcher && 'matcher' in matcher ? matcher.matcher : {};
    rules.push({
      targetEndpoint: rule.targetEndpoint!,
      ...(rule.header && { header: { ...rule.header } }),
      ...(rule.pathPrefix !== undefined && { pathPrefix: rule.pathPrefix }),
      ...(rule.model !== undefined && { model: rule.model }),
      ...(rule.weight !== undefined && { weight: rule.weight }),
      ...fromShorthand,
      ...(routing.strategy === 'Path' && { stripPrefix: rule.stripPrefix ?? false }),
    });
  }
  // No rule and no default: everything goes to the obvious endpoint (RequestBody: by models).
  if (rules.length === 0 && defaultTargetEndpoint === undefined && routing.strategy !== 'RequestBody' && routing.strategy !== 'Weighted') {
    defaultTargetEndpoint = obvious;
  }
  return {
    strategy: routing.strategy,
    rules,
    ...(defaultTargetEndpoint !== undefined && { defaultTargetEndpoint }),
  };
}

/** Parsed and semantically valid spec -> canonical spec. */
export function normalizeSpec(spec: ParsedSpec): CanonicalSpec {
  const prompt = spec.promptEngineering;
  const cache = spec.cachingStrategy;
  const obs = spec.observability ?? {};
  return {
    gatewayClassName: spec.gatewayClassName,
    endpoints: spec.endpoints.map(canonicalEndpoint),
    modelRouting: canonicalRouting(spec),
    authentication: spec.authentication ?? { type: 'None' },
    ...(spec.rateLimiting && {
      rateLimiting: {
        requestsPerMinute: spec.rateLimiting.requestsPerMinute,
        burst: spec.rateLimiting.burst ?? defaultBurst(spec.rateLimiting.requestsPerMinute),
      },
    }),
    ...(cache &&
      cache.type === 'Exact' && {
        cachingStrategy: {
          type: 'Exact' as const,
          ttlSeconds: cache.ttlSeconds ?? DEFAULTS.cacheTtlSeconds,
          maxEntries: cache.maxEntries ?? DEFAULTS.cacheMaxEntries,
          scope: cache.scope ?? DEFAULTS.cacheScope,
        },
      }),
    ...(prompt && {
      promptEngineering: {
        ...(prompt.systemPrompt !== undefined && { systemPrompt: prompt.systemPrompt }),
        templates: { ...(prompt.templates ?? {}) },
        modificationType: prompt.modificationType ?? DEFAULTS.modificationType,
        templateHeader: prompt.templateHeader ?? DEFAULTS.templateHeader,
      },
    }),
    observability: {
      accessLog: obs.accessLog ?? DEFAULTS.accessLog,
      metrics: obs.metrics ?? DEFAULTS.metrics,
      usageHeaders: obs.usageHeaders ?? DEFAULTS.usageHeaders,
      ...(obs.tracing && {
        tracing: { endpoint: obs.tracing.endpoint, samplingPercent: obs.tracing.samplingPercent ?? DEFAULTS.tracingSamplingPercent },
      }),
    },
    ...(spec.ingress && { ingress: { ...spec.ingress } }),
    limits: { maxRequestBodyBytes: spec.limits?.maxRequestBodyBytes ?? DEFAULTS.maxRequestBodyBytes },
  };
}
