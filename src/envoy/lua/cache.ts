import type { LuaFilter } from './lua-filter';
import type { EnvoyOptions, Spec } from '../types';

/** Exact-match response cache (cachingStrategy.type Exact). */
export function cacheFilter(_spec: Spec, _options: EnvoyOptions): LuaFilter | undefined {
  return undefined;
}
