import { canonicalProvider, requestApi } from './providers';
import { type CheckContext, isRecord, list, q, type Rec, type SpecIssue } from './semantic-context';

/** The model names an endpoint lists, or undefined when it lists none (the gateway then cannot know). */
const listedModels = (endpoint: Rec): string[] | undefined =>
  Array.isArray(endpoint.models) && endpoint.models.length > 0 ? endpoint.models.filter((m): m is string => typeof m === 'string') : undefined;

/** The canonical provider: the checks may also see a spec whose other fields failed their shape checks. */
const providerOf = (endpoint: Rec) => (typeof endpoint.provider === 'string' ? canonicalProvider(endpoint.provider) : undefined);

const providerText = (endpoint: Rec) => (typeof endpoint.provider === 'string' ? `provider ${endpoint.provider}` : 'no provider');

/**
 * A fallback takes its endpoint's requests as the client sent them: the gateway rewrites Host,
 * base path and credential per member, never the API or the body's "model" (translation between
 * providers is not implemented). So every fallback must speak the endpoint's request API and,
 * where both list their `models`, serve every model the endpoint lists. Where either lists none
 * the models are the user's to match (a standby pool of the same server usually does): refusing
 * that would make `models` mandatory for every fallback.
 */
export function fallbackCompatibilityIssues(endpoints: unknown[], { reported }: CheckContext): SpecIssue[] {
  const issues: SpecIssue[] = [];
  const byName = new Map<string, { endpoint: Rec; index: number }>();
  endpoints.forEach((e, index) => {
    if (isRecord(e) && typeof e.name === 'string' && !byName.has(e.name)) byName.set(e.name, { endpoint: e, index });
  });
  // Provider and models must be trustworthy on both sides, or there is nothing to compare.
  const usable = (index: number) => !reported(['endpoints', index, 'provider']) && !reported(['endpoints', index, 'models']);
  endpoints.forEach((endpoint, i) => {
    if (!isRecord(endpoint) || !Array.isArray(endpoint.fallbackEndpoints) || !usable(i)) return;
    endpoint.fallbackEndpoints.forEach((name, j) => {
      const path = ['endpoints', i, 'fallbackEndpoints', j];
      const target = typeof name === 'string' && name !== endpoint.name ? byName.get(name) : undefined;
      if (!target || reported(path) || !usable(target.index)) return;
      const message = incompatibility(endpoint, target.endpoint);
      if (message) issues.push({ path, message });
    });
  });
  return issues;
}

function incompatibility(primary: Rec, fallback: Rec): string | undefined {
  const api = requestApi(providerOf(primary));
  const fallbackApi = requestApi(providerOf(fallback));
  const who = `${q(fallback.name)} (${providerText(fallback)})`;
  const whose = `${q(primary.name)} (${providerText(primary)})`;
  if (api !== fallbackApi) {
    return (
      `${who} cannot take requests of ${whose}: it speaks the ${fallbackApi}, not the ${api}, and the gateway sends a request's ` +
      'path and body on unchanged (no translation between provider APIs yet); use fallbacks that speak the same API'
    );
  }
  const primaryModels = listedModels(primary);
  const fallbackModels = listedModels(fallback);
  if (!primaryModels || !fallbackModels) return undefined;
  const missing = primaryModels.filter((m) => !fallbackModels.includes(m));
  if (missing.length === 0) return undefined;
  return (
    `${who} cannot take requests of ${whose}: it serves ${list(fallbackModels)}, not ${list(missing)}, ` +
    'and the request\'s "model" is sent on unchanged; list every model of the endpoint in the fallback\'s models'
  );
}
