import type { LuaFilter } from './lua-filter';
import type { EnvoyOptions, Spec } from '../types';

/** Token usage and cost from responses into dynamic metadata and headers. */
export function usageFilter(_spec: Spec, _options: EnvoyOptions): LuaFilter | undefined {
  return undefined;
}
