/**
 * The endpoint a gateway obviously routes to when the spec does not say: the only one that is not
 * a fallback of another. A primary with a standby that only takes over while the primary is down
 * needs no rule; two endpoints that both take traffic of their own do (which one is meant?).
 */
export type EntryEndpoint = { readonly name: string } | { readonly ambiguous: string[]; readonly allFallbacks: boolean };

interface NamedEndpoint {
  readonly name?: unknown;
  readonly fallbackEndpoints?: unknown;
}

/** The only endpoint no other endpoint lists in fallbackEndpoints, or why there is none. */
export function entryEndpoint(endpoints: readonly NamedEndpoint[]): EntryEndpoint {
  const names = endpoints.map((e) => e.name).filter((n): n is string => typeof n === 'string');
  const fallbacks = new Set(
    endpoints.flatMap((e) => (Array.isArray(e.fallbackEndpoints) ? e.fallbackEndpoints.filter((f) => f !== e.name) : [])),
  );
  const entries = names.filter((n) => !fallbacks.has(n));
  if (entries.length === 1) return { name: entries[0] };
  return entries.length === 0 ? { ambiguous: names, allFallbacks: true } : { ambiguous: entries, allFallbacks: false };
}
