import { LUA_FILTER_NAMES, luaHttpFilter, luaScript } from './script';
import type { LuaFilter } from './lua-filter';
import { usageAccounting } from './usage';
import { JWT_AUTHN_FILTER, JWT_PAYLOAD_KEY } from '../names';
import type { EnvoyOptions, Spec } from '../types';

/** Largest response stored (bytes); larger ones pass through uncached. */
export const CACHE_MAX_ENTRY_BYTES = 1 << 20;
/** Bytes of keys and bodies one worker's cache holds at most (least recently used go first). */
export const CACHE_MAX_BYTES = 64 << 20;
/** Misses waiting for their response, per worker, before the oldest are forgotten. */
const CACHE_MAX_PENDING = 10000;

/**
 * Request headers that are part of the cache key: those that choose the endpoint (Header
 * rules) or change the forwarded body (the prompt template header). The path is always in it.
 */
export function cacheKeyHeaders(spec: Spec): string[] {
  const names = new Set<string>();
  for (const rule of spec.modelRouting.rules) if (rule.header) names.add(rule.header.name.toLowerCase());
  const prompt = spec.promptEngineering;
  if (prompt && Object.keys(prompt.templates).length > 0) names.add(prompt.templateHeader.toLowerCase());
  return [...names].sort();
}

/**
 * Whose identity separates cache entries (cachingStrategy.scope Caller): the API key the caller
 * presented, or the verified JWT's issuer and subject. Undefined when the cache is shared by every
 * caller: scope Gateway, or authentication None (no identity to separate by).
 */
export function cacheCaller(spec: Spec): 'APIKey' | 'JWT' | undefined {
  if (spec.cachingStrategy?.scope !== 'Caller') return undefined;
  const type = spec.authentication.type;
  return type === 'APIKey' || type === 'JWT' ? type : undefined;
}

/** Exact-match response cache (cachingStrategy.type Exact). */
export function cacheFilter(spec: Spec, _options: EnvoyOptions): LuaFilter | undefined {
  const caching = spec.cachingStrategy;
  if (!caching) return undefined;
  const source = luaScript('cache', 'cache.lua', {
    ttlSeconds: caching.ttlSeconds,
    maxEntries: caching.maxEntries,
    maxEntryBytes: CACHE_MAX_ENTRY_BYTES,
    maxBytes: CACHE_MAX_BYTES,
    maxPending: CACHE_MAX_PENDING,
    keyHeaders: cacheKeyHeaders(spec),
    zeroUsageOnHit: usageAccounting(spec),
    caller: cacheCaller(spec) ?? 'None',
    apiKeyNamespace: LUA_FILTER_NAMES.apiKeyAuth,
    jwtNamespace: JWT_AUTHN_FILTER,
    jwtPayloadKey: JWT_PAYLOAD_KEY,
  });
  return { ...luaHttpFilter('cache', source), secretFiles: [] };
}
