import { ROUTER_FILTER } from './hardening';
import { jwtFilter } from './jwt';
import { apiKeyAuthFilter, bodyRoutingFilter, cacheFilter, promptFilter, usageFilter, type LuaFilter } from './lua';
import { rateLimitFilter } from './rate-limit';
import type { EnvoyOptions, Json, SecretFile, Spec } from './types';

/** The public listener's HTTP filters, the Lua scripts they load (ConfigMap files) and the Secret files those read. */
export interface FilterChain {
  readonly filters: Json[];
  readonly files: Record<string, string>;
  readonly secretFiles: SecretFile[];
}

/**
 * Filter order. Requests pass top to bottom; responses bottom to top.
 *
 * 1. auth (jwt_authn or the Lua API-key check): nothing else runs for an unauthenticated request,
 *    so it spends no rate budget, can never read a cached answer, and costs no body parsing.
 * 2. local_ratelimit: the budget protects the gateway and its upstreams, so every authenticated
 *    request counts, cache hits included (cheap, but not free, and predictable for clients).
 * 3. cache (Lua): looks up the request as the client sent it, before any rewriting, so a hit skips
 *    prompt work, routing and the upstream; on the way back it stores the final upstream answer.
 * 4. prompt (Lua): rewrites the body (system prompt, templates) before routing reads it.
 * 5. body routing (Lua): reads the model from the final body, sets MODEL_HEADER and clears the
 *    route cache, so the route is chosen last, just before the router.
 * 6. usage (Lua): closest to the router, so on the response path it is the first to see the
 *    upstream answer (tokens, cost into dynamic metadata) before the cache stores it; a cache hit
 *    never reaches it, so hits cost nothing.
 * 7. router: always last.
 */
export function httpFilters(spec: Spec, options: EnvoyOptions): FilterChain {
  const auth: Json | LuaFilter | undefined = jwtFilter(spec) ?? apiKeyAuthFilter(spec, options);
  const steps: (Json | LuaFilter | undefined)[] = [
    auth,
    rateLimitFilter(spec, options),
    cacheFilter(spec, options),
    promptFilter(spec, options),
    bodyRoutingFilter(spec, options),
    usageFilter(spec, options),
  ];
  const filters: Json[] = [];
  const files: Record<string, string> = {};
  const secretFiles: SecretFile[] = [];
  for (const step of steps) {
    if (!step) continue;
    if (isLuaFilter(step)) {
      filters.push(step.filter);
      Object.assign(files, step.files);
      secretFiles.push(...step.secretFiles);
    } else {
      filters.push(step);
    }
  }
  filters.push(ROUTER_FILTER);
  return { filters, files, secretFiles };
}

function isLuaFilter(step: Json | LuaFilter): step is LuaFilter {
  return 'filter' in step && 'files' in step && 'secretFiles' in step;
}
