/**
 * Lua HTTP filters (envoy.filters.http.lua), for what no native Envoy filter does. Each converter
 * returns nothing when the spec does not ask for its feature, so an unused feature costs nothing.
 * The public listener's filter chain (src/envoy/http-filters.ts) places them, in the order
 * auth -> rate limit -> cache -> prompt -> body routing -> usage -> router.
 *
 * Each script is a .lua file beside its converter; the converter prepends a generated CONFIG
 * table (escaped literals, see lua-literal.ts) and the shared JSON/helper code (script.ts). The
 * result ships as its own ConfigMap key (`lua-<feature>.lua`, luaScriptKey) that the filter loads
 * by filename from ENVOY_CONFIG_DIR.
 */
export type { LuaFilter } from './lua-filter';
export { apiKeyAuthFilter } from './api-key-auth';
export { bodyRoutingFilter, routedModels } from './body-routing';
export { cacheFilter } from './cache';
export { promptFilter } from './prompt';
export { usageFilter } from './usage';
export { LUA_FILTER_NAMES, luaScriptKey, secretMountPath } from './script';

import { usageAccounting } from './usage';
import type { Spec } from '../types';

/**
 * Whether a Lua filter reads (and removes) ENDPOINT_HEADER on the response path: the cache and
 * usage filters. Without them nothing removes it, so routes need not add it.
 */
export function luaReadsEndpointHeader(spec: Spec): boolean {
  return usageAccounting(spec) || spec.cachingStrategy !== undefined;
}
