import type { z } from 'zod';
import type { baseSpecSchema } from './shape';
import { parseShorthand, type RuleMatcher } from './shorthand';
import { secretKind, stringsIn } from './secrets';
import { parseTemplate } from './templates';

/** A problem found in a spec: where (path below `spec`) and what is expected. */
export interface SpecIssue {
  readonly path: (string | number)[];
  readonly message: string;
}

type ParsedSpec = z.output<typeof baseSpecSchema>;

const MATCHER_FIELD: Record<string, keyof RuleMatcher | 'weight'> = {
  Header: 'header',
  Path: 'pathPrefix',
  RequestBody: 'model',
  Weighted: 'weight',
};

function list(names: string[]): string {
  return `[${names.join(', ')}]`;
}

/** Checks that span fields: references, uniqueness, strategy/rule agreement, secrets. */
export function semanticIssues(spec: ParsedSpec): SpecIssue[] {
  return [
    ...endpointIssues(spec),
    ...routingIssues(spec),
    ...authenticationIssues(spec),
    ...promptIssues(spec),
    ...plaintextSecretIssues(spec),
  ];
}

function endpointIssues(spec: ParsedSpec): SpecIssue[] {
  const issues: SpecIssue[] = [];
  const names = spec.endpoints.map((e) => e.name);
  const firstIndex = new Map<string, number>();
  spec.endpoints.forEach((endpoint, i) => {
    const at = ['endpoints', i];
    const first = firstIndex.get(endpoint.name);
    if (first !== undefined) {
      issues.push({ path: [...at, 'name'], message: `duplicate endpoint name "${endpoint.name}" (also endpoints[${first}]); names must be unique` });
    } else {
      firstIndex.set(endpoint.name, i);
    }
    if (endpoint.serviceRef && endpoint.url) {
      issues.push({ path: at, message: 'set either serviceRef (in-cluster Service) or url (external provider), not both' });
    } else if (!endpoint.serviceRef && !endpoint.url) {
      issues.push({ path: at, message: 'needs serviceRef (in-cluster Service) or url (external provider)' });
    }
    (endpoint.fallbackEndpoints ?? []).forEach((fallback, j) => {
      const path = [...at, 'fallbackEndpoints', j];
      if (fallback === endpoint.name) {
        issues.push({ path, message: `an endpoint cannot be its own fallback ("${fallback}")` });
      } else if (!names.includes(fallback)) {
        issues.push({ path, message: `"${fallback}" is not one of the endpoints ${list(names)}` });
      } else if (endpoint.fallbackEndpoints!.indexOf(fallback) !== j) {
        issues.push({ path, message: `"${fallback}" is listed twice` });
      }
    });
  });
  return issues;
}

function routingIssues(spec: ParsedSpec): SpecIssue[] {
  const issues: SpecIssue[] = [];
  const names = spec.endpoints.map((e) => e.name);
  const routing = spec.modelRouting;
  // With no endpoints there is nothing to route to; the endpoints error says it all.
  if (names.length === 0) return issues;
  if (!routing) {
    if (spec.endpoints.length > 1) {
      issues.push({
        path: ['modelRouting'],
        message: `is required when there is more than one endpoint (${list(names)}): which one should receive requests?`,
      });
    }
    return issues;
  }
  const checkTarget = (path: (string | number)[], target: string) => {
    if (!names.includes(target)) issues.push({ path, message: `"${target}" is not one of the endpoints ${list(names)}` });
  };
  const rules = routing.rules ?? [];
  const strategy = routing.strategy;
  const expected = MATCHER_FIELD[strategy];
  const seen = new Map<string, number>();
  let defaults = routing.defaultTargetEndpoint !== undefined ? 1 : 0;
  if (routing.defaultTargetEndpoint !== undefined) checkTarget(['modelRouting', 'defaultTargetEndpoint'], routing.defaultTargetEndpoint);

  rules.forEach((rule, i) => {
    const at = ['modelRouting', 'rules', i];
    const given = Object.keys(rule).filter((k) => (rule as Record<string, unknown>)[k] !== undefined);
    if (rule.defaultTargetEndpoint !== undefined) {
      defaults++;
      checkTarget([...at, 'defaultTargetEndpoint'], rule.defaultTargetEndpoint);
      const others = given.filter((k) => k !== 'defaultTargetEndpoint');
      if (others.length > 0) issues.push({ path: at, message: `a defaultTargetEndpoint rule takes no other fields (found ${others.join(', ')})` });
      if (i !== rules.length - 1) issues.push({ path: at, message: 'the defaultTargetEndpoint rule must be the last rule (it applies when no other rule matches)' });
      return;
    }
    if (rule.targetEndpoint === undefined) {
      issues.push({ path: [...at, 'targetEndpoint'], message: 'is required: the endpoint that receives matching requests' });
    } else {
      checkTarget([...at, 'targetEndpoint'], rule.targetEndpoint);
    }
    const matchers = given.filter((k) => ['match', 'header', 'pathPrefix', 'model', 'weight'].includes(k));
    const wrong = matchers.filter((k) => k !== 'match' && k !== expected);
    for (const k of wrong) {
      issues.push({ path: [...at, k], message: `is not used by strategy ${strategy}; use ${expected}${strategy === 'Weighted' ? '' : ' or match'}` });
    }
    if (wrong.length > 0) return;
    if (rule.match !== undefined && (rule as Record<string, unknown>)[expected] !== undefined) {
      issues.push({ path: [...at, 'match'], message: `give either match or ${expected}, not both` });
      return;
    }
    let key: string | undefined;
    if (rule.match !== undefined) {
      const parsed = parseShorthand(strategy, rule.match);
      if ('error' in parsed) {
        issues.push({ path: [...at, 'match'], message: parsed.error });
        return;
      }
      key = matcherKey(parsed.matcher);
    } else if (strategy === 'Weighted') {
      if (rule.weight === undefined) issues.push({ path: [...at, 'weight'], message: 'is required for strategy Weighted' });
      key = rule.targetEndpoint ? `weighted:${rule.targetEndpoint}` : undefined;
    } else if ((rule as Record<string, unknown>)[expected] === undefined) {
      issues.push({ path: at, message: `needs ${expected} or match for strategy ${strategy}` });
      return;
    } else {
      key = matcherKey(rule as RuleMatcher);
    }
    if (key !== undefined) {
      const earlier = seen.get(key);
      if (earlier !== undefined) {
        issues.push({
          path: at,
          message:
            strategy === 'Weighted'
              ? `endpoint "${rule.targetEndpoint}" already has a weight in rules[${earlier}]`
              : `matches the same requests as rules[${earlier}], so it can never apply`,
        });
      } else {
        seen.set(key, i);
      }
    }
  });

  if (defaults > 1) issues.push({ path: ['modelRouting'], message: 'has more than one default target endpoint; keep one' });
  if (strategy === 'Weighted') {
    if (rules.length === 0) issues.push({ path: ['modelRouting', 'rules'], message: 'needs at least one rule with a weight for strategy Weighted' });
    if (defaults > 0) issues.push({ path: ['modelRouting'], message: 'strategy Weighted sends every request to a weighted endpoint; a default target is never used' });
  } else if (rules.length === 0 && defaults === 0) {
    issues.push({ path: ['modelRouting', 'rules'], message: 'needs at least one rule or a defaultTargetEndpoint' });
  }
  return issues;
}

function matcherKey(m: RuleMatcher): string {
  if (m.header) return `header:${m.header.name.toLowerCase()}:${m.header.value}`;
  if (m.pathPrefix !== undefined) return `path:${m.pathPrefix}`;
  return `model:${m.model}`;
}

function authenticationIssues(spec: ParsedSpec): SpecIssue[] {
  const auth = spec.authentication;
  if (!auth) return [];
  const issues: SpecIssue[] = [];
  const at = ['authentication'];
  if (auth.type === 'APIKey' && !auth.apiKeyRef) {
    issues.push({ path: [...at, 'apiKeyRef'], message: 'is required for type APIKey: the Secret key that holds the accepted keys' });
  }
  if (auth.type === 'JWT' && !auth.jwtSpec) {
    issues.push({ path: [...at, 'jwtSpec'], message: 'is required for type JWT: issuer and jwksUri' });
  }
  if (auth.type !== 'APIKey' && auth.apiKeyRef) {
    issues.push({ path: [...at, 'apiKeyRef'], message: `is only used with type APIKey (type is ${auth.type})` });
  }
  if (auth.type !== 'JWT' && auth.jwtSpec) {
    issues.push({ path: [...at, 'jwtSpec'], message: `is only used with type JWT (type is ${auth.type})` });
  }
  return issues;
}

function promptIssues(spec: ParsedSpec): SpecIssue[] {
  const prompt = spec.promptEngineering;
  if (!prompt) return [];
  const issues: SpecIssue[] = [];
  const at = ['promptEngineering'];
  const templates = prompt.templates ?? {};
  for (const [name, text] of Object.entries(templates)) {
    const check = parseTemplate(text);
    if (check.error) issues.push({ path: [...at, 'templates', name], message: check.error });
  }
  const type = prompt.modificationType;
  if (type === 'Transform' && Object.keys(templates).length === 0) {
    issues.push({ path: [...at, 'templates'], message: 'needs at least one template for modificationType Transform' });
  }
  if (type !== undefined && type !== 'Transform' && prompt.systemPrompt === undefined) {
    issues.push({ path: [...at, 'systemPrompt'], message: `is required for modificationType ${type}` });
  }
  if (type === undefined && prompt.systemPrompt === undefined && Object.keys(templates).length === 0) {
    issues.push({ path: at, message: 'set systemPrompt or templates (or remove promptEngineering)' });
  }
  return issues;
}

function plaintextSecretIssues(spec: ParsedSpec): SpecIssue[] {
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
