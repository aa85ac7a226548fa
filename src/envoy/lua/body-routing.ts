import { luaHttpFilter, luaScript } from './script';
import type { LuaFilter } from './lua-filter';
import type { EnvoyOptions, Spec } from '../types';

/** Model names quoted in error messages (the rest are counted, so a reply stays short). */
const LISTED_MODELS = 20;

/**
 * Models the routes match in MODEL_HEADER (what the header can carry): the rules' models, then
 * every endpoint's `models` (routes.ts routes those after the rules), without repeats.
 */
export function routedModels(spec: Spec): string[] {
  const models = new Set<string>();
  for (const rule of spec.modelRouting.rules) if (rule.model !== undefined) models.add(rule.model);
  for (const endpoint of spec.endpoints) for (const model of endpoint.models) models.add(model);
  return [...models];
}

/** Sets MODEL_HEADER from the body's "model" field (modelRouting.strategy RequestBody). */
export function bodyRoutingFilter(spec: Spec, _options: EnvoyOptions): LuaFilter | undefined {
  if (spec.modelRouting.strategy !== 'RequestBody') return undefined;
  const models = routedModels(spec);
  const listed = models.slice(0, LISTED_MODELS).join(', ');
  const more = models.length > LISTED_MODELS ? ` and ${models.length - LISTED_MODELS} more` : '';
  const source = luaScript('bodyRouting', 'body-routing.lua', {
    routed: Object.fromEntries(models.map((m) => [m, true])),
    knownModels: models.length > 0 ? listed + more : 'none',
    hasDefault: spec.modelRouting.defaultTargetEndpoint !== undefined,
  });
  return { ...luaHttpFilter('bodyRouting', source), secretFiles: [] };
}
