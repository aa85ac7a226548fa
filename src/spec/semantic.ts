import { AUTH_TYPES, MODIFICATION_TYPES } from './policies';
import { secretKind, stringsIn } from './secrets';
import { fallbackCompatibilityIssues } from './semantic-fallback';
import { routingIssues } from './semantic-routing';
import { type CheckContext, isRecord, list, notAnEndpoint, oneOf, type Path, q, type Rec, type SpecIssue } from './semantic-context';
import { parseTemplate } from './templates';

export type { SpecIssue } from './semantic-context';

/**
 * Checks that span fields: references, uniqueness, strategy/rule agreement, secrets. `spec` may
 * be partially invalid (see CheckContext); for a spec that passed its shape checks, pass nothing.
 */
export function semanticIssues(spec: unknown, reported: (path: Path) => boolean = () => false): SpecIssue[] {
  if (!isRecord(spec)) return [];
  const endpoints = Array.isArray(spec.endpoints) ? spec.endpoints : [];
  const usable = endpoints.map((e, i) => (isRecord(e) && typeof e.name === 'string' && !reported(['endpoints', i, 'name']) ? e.name : undefined));
  const names = usable.filter((n): n is string => n !== undefined);
  const ctx: CheckContext = { reported, names, namesComplete: names.length === usable.length };
  return [
    ...endpointIssues(endpoints, ctx),
    ...fallbackCompatibilityIssues(endpoints, ctx),
    ...routingIssues(spec, endpoints.length, ctx),
    ...authenticationIssues(spec, ctx),
    ...openRelayIssues(spec, endpoints, ctx),
    ...promptIssues(spec, ctx),
    ...plaintextSecretIssues(spec),
  ];
}

function endpointIssues(endpoints: unknown[], { reported, names, namesComplete }: CheckContext): SpecIssue[] {
  const issues: SpecIssue[] = [];
  const firstIndex = new Map<string, number>();
  endpoints.forEach((endpoint, i) => {
    if (!isRecord(endpoint)) return;
    const at = ['endpoints', i];
    const name = endpoint.name;
    if (typeof name === 'string' && !reported([...at, 'name'])) {
      const first = firstIndex.get(name);
      if (first !== undefined) {
        issues.push({ path: [...at, 'name'], message: `duplicate endpoint name ${q(name)} (also endpoints[${first}]); names must be unique` });
      } else {
        firstIndex.set(name, i);
      }
    }
    if (endpoint.serviceRef !== undefined && endpoint.url !== undefined) {
      issues.push({ path: at, message: 'set either serviceRef (in-cluster Service) or url (external provider), not both' });
    } else if (endpoint.serviceRef === undefined && endpoint.url === undefined) {
      issues.push({ path: at, message: 'needs serviceRef (in-cluster Service) or url (external provider)' });
    }
    const fallbacks = Array.isArray(endpoint.fallbackEndpoints) ? endpoint.fallbackEndpoints : [];
    fallbacks.forEach((fallback, j) => {
      const path = [...at, 'fallbackEndpoints', j];
      if (typeof fallback !== 'string' || reported(path)) return;
      if (fallback === name) {
        issues.push({ path, message: `an endpoint cannot be its own fallback (${q(fallback)})` });
      } else if (!names.includes(fallback)) {
        if (!namesComplete) return;
        issues.push({ path, message: notAnEndpoint(fallback, names, names.filter((n) => n !== name)) });
      } else if (fallbacks.indexOf(fallback) !== j) {
        issues.push({ path, message: `${q(fallback)} is listed twice` });
      }
    });
  });
  return issues;
}

function authenticationIssues(spec: Rec, { reported }: CheckContext): SpecIssue[] {
  const auth = spec.authentication;
  const at = ['authentication'];
  if (!isRecord(auth) || reported([...at, 'type'])) return [];
  const type = oneOf(AUTH_TYPES, auth.type);
  if (!type) return [];
  const issues: SpecIssue[] = [];
  if (type === 'APIKey' && auth.apiKeyRef === undefined) {
    issues.push({ path: [...at, 'apiKeyRef'], message: 'is required for type APIKey: the Secret key that holds the accepted keys' });
  }
  if (type === 'JWT' && auth.jwtSpec === undefined) {
    issues.push({ path: [...at, 'jwtSpec'], message: 'is required for type JWT: issuer and jwksUri' });
  }
  if (type !== 'APIKey' && auth.apiKeyRef !== undefined) {
    issues.push({ path: [...at, 'apiKeyRef'], message: `is only used with type APIKey (type is ${type})` });
  }
  if (type !== 'JWT' && auth.jwtSpec !== undefined) {
    issues.push({ path: [...at, 'jwtSpec'], message: `is only used with type JWT (type is ${type})` });
  }
  if (type !== 'None' && auth.allowUnauthenticatedUpstreamCredentials !== undefined) {
    issues.push({ path: [...at, 'allowUnauthenticatedUpstreamCredentials'], message: `is only used with type None (type is ${type})` });
  }
  return issues;
}

/**
 * An Ingress, no client authentication and upstream keys: anyone who reaches the Ingress spends
 * the organisation's provider keys. Refused unless allowUnauthenticatedUpstreamCredentials says
 * that something in front of the Ingress decides who may call.
 */
function openRelayIssues(spec: Rec, endpoints: unknown[], { reported }: CheckContext): SpecIssue[] {
  const ingress = spec.ingress;
  if (!isRecord(ingress) || reported(['authentication'])) return [];
  const auth = isRecord(spec.authentication) ? spec.authentication : {};
  if ((auth.type ?? 'None') !== 'None' || auth.allowUnauthenticatedUpstreamCredentials === true) return [];
  const keyed = endpoints.filter((e): e is Rec => isRecord(e) && e.credentialsRef !== undefined).map((e) => String(e.name));
  if (keyed.length === 0) return [];
  const host = typeof ingress.host === 'string' && !reported(['ingress', 'host']) ? ingress.host : 'the Ingress';
  return [
    {
      path: ['ingress'],
      message:
        `would let anyone who can reach ${host} use the provider keys of ${list(keyed)} (credentialsRef): authentication.type is None; ` +
        'set authentication.type APIKey or JWT, or authentication.allowUnauthenticatedUpstreamCredentials: true if something in front of the Ingress authenticates callers',
    },
  ];
}

function promptIssues(spec: Rec, { reported }: CheckContext): SpecIssue[] {
  const prompt = spec.promptEngineering;
  if (!isRecord(prompt)) return [];
  const issues: SpecIssue[] = [];
  const at = ['promptEngineering'];
  const templates = isRecord(prompt.templates) ? prompt.templates : {};
  for (const [name, text] of Object.entries(templates)) {
    if (typeof text !== 'string' || reported([...at, 'templates', name])) continue;
    const check = parseTemplate(text);
    if (check.error) issues.push({ path: [...at, 'templates', name], message: check.error });
  }
  if (prompt.modificationType !== undefined && reported([...at, 'modificationType'])) return issues;
  const type = oneOf(MODIFICATION_TYPES, prompt.modificationType);
  const templateCount = Object.keys(templates).length;
  if (type === 'Transform' && templateCount === 0 && !reported([...at, 'templates'])) {
    issues.push({ path: [...at, 'templates'], message: 'needs at least one template for modificationType Transform' });
  }
  if (type !== undefined && type !== 'Transform' && prompt.systemPrompt === undefined) {
    issues.push({ path: [...at, 'systemPrompt'], message: `is required for modificationType ${type}` });
  }
  if (type === undefined && prompt.systemPrompt === undefined && templateCount === 0 && !reported([...at, 'templates'])) {
    issues.push({ path: at, message: 'set systemPrompt or templates (or remove promptEngineering)' });
  }
  return issues;
}

function plaintextSecretIssues(spec: Rec): SpecIssue[] {
  const issues: SpecIssue[] = [];
  for (const [path, text] of stringsIn(spec)) {
    const kind = secretKind(text);
    if (kind) {
      issues.push({
        path,
        message: `looks like ${kind} in plain text; keep credentials in a Secret and reference it (credentialsRef, apiKeyRef)`,
      });
    }
  }
  return issues;
}
