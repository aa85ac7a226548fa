import { ROUTING_STRATEGIES, type RoutingStrategy } from './routing';
import { type CheckContext, isRecord, list, notAnEndpoint, oneOf, type Path, q, type Rec, type SpecIssue } from './semantic-context';
import { entryEndpoint, type EntryEndpoint } from './entry-endpoint';
import { parseShorthand, type RuleMatcher } from './shorthand';

const MATCHER_FIELD: Record<RoutingStrategy, keyof RuleMatcher | 'weight'> = {
  Header: 'header',
  Path: 'pathPrefix',
  RequestBody: 'model',
  Weighted: 'weight',
};

const RULE_FIELDS = ['match', 'header', 'pathPrefix', 'model', 'weight', 'stripPrefix', 'targetEndpoint', 'defaultTargetEndpoint'];
const MATCHERS = ['match', 'header', 'pathPrefix', 'model', 'weight'];

function matcherKey(m: RuleMatcher): string {
  if (m.header) return `header:${m.header.name.toLowerCase()}:${m.header.value}`;
  if (m.pathPrefix !== undefined) return `path:${m.pathPrefix}`;
  return `model:${m.model}`;
}

/** Routing: every target names an endpoint, rules fit the strategy, no rule is shadowed. */
export function routingIssues(spec: Rec, endpointCount: number, { reported, names, namesComplete }: CheckContext): SpecIssue[] {
  const issues: SpecIssue[] = [];
  const routing = spec.modelRouting;
  // With no usable endpoint there is nothing to route to; the endpoints error says it all.
  if (names.length === 0) return issues;
  const endpoints = Array.isArray(spec.endpoints) ? spec.endpoints.filter(isRecord) : [];
  // Fallback lists must be trustworthy to tell the entry endpoint; otherwise the shape issue says it.
  const entry = endpoints.some((_, i) => reported(['endpoints', i, 'fallbackEndpoints'])) ? undefined : entryEndpoint(endpoints);
  if (routing === undefined) {
    if (endpointCount > 1 && entry !== undefined && !('name' in entry)) issues.push({ path: ['modelRouting'], message: missingRouting(entry) });
    return issues;
  }
  if (!isRecord(routing)) return issues;
  const checkTarget = (path: Path, target: unknown) => {
    if (typeof target === 'string' && namesComplete && !reported(path) && !names.includes(target)) issues.push({ path, message: notAnEndpoint(target, names) });
  };
  const rules = Array.isArray(routing.rules) ? routing.rules : [];
  const strategy = reported(['modelRouting', 'strategy']) ? undefined : oneOf(ROUTING_STRATEGIES, routing.strategy);
  const seen = new Map<string, number>();
  let defaults = routing.defaultTargetEndpoint !== undefined ? 1 : 0;
  checkTarget(['modelRouting', 'defaultTargetEndpoint'], routing.defaultTargetEndpoint);

  rules.forEach((rule, i) => {
    if (!isRecord(rule)) return;
    const at = ['modelRouting', 'rules', i];
    const given = RULE_FIELDS.filter((k) => rule[k] !== undefined);
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
    if (strategy === undefined) return;
    if (rule.stripPrefix !== undefined && strategy !== 'Path') {
      issues.push({ path: [...at, 'stripPrefix'], message: `is only used by strategy Path (strategy is ${strategy})` });
    }
    const key = ruleKey(rule, at, strategy, given, reported, issues);
    if (key === undefined) return;
    const earlier = seen.get(key);
    if (earlier === undefined) {
      seen.set(key, i);
    } else {
      issues.push({
        path: at,
        message:
          strategy === 'Weighted'
            ? `endpoint ${q(rule.targetEndpoint)} already has a weight in rules[${earlier}]`
            : `matches the same requests as rules[${earlier}], so it can never apply`,
      });
    }
  });

  if (defaults > 1) issues.push({ path: ['modelRouting'], message: 'has more than one default target endpoint; keep one' });
  if (strategy === 'Weighted') {
    if (rules.length === 0) issues.push({ path: ['modelRouting', 'rules'], message: 'needs at least one rule with a weight for strategy Weighted' });
    if (defaults > 0) issues.push({ path: ['modelRouting'], message: 'strategy Weighted sends every request to a weighted endpoint; a default target is never used' });
  } else if (strategy !== undefined && strategy !== 'RequestBody' && rules.length === 0 && defaults === 0 && !reported(['modelRouting', 'rules'])) {
    // RequestBody routes by the endpoints' models without rules; the others need a target.
    if (entry !== undefined && !('name' in entry)) issues.push({ path: ['modelRouting', 'rules'], message: `needs at least one rule or a defaultTargetEndpoint: ${whyAmbiguous(entry)}` });
  }
  return issues;
}

function whyAmbiguous(entry: Exclude<EntryEndpoint, { name: string }>): string {
  return entry.allFallbacks
    ? `every endpoint (${list(entry.ambiguous)}) is a fallback of another, so none is the obvious target`
    : `more than one endpoint is not only a fallback (${list(entry.ambiguous)}), so none is the obvious target`;
}

function missingRouting(entry: Exclude<EntryEndpoint, { name: string }>): string {
  return entry.allFallbacks
    ? `is required: every endpoint (${list(entry.ambiguous)}) is a fallback of another, so none is the obvious one to receive requests`
    : `is required when more than one endpoint is not only a fallback (${list(entry.ambiguous)}): which one should receive requests?`;
}

/**
 * Checks that a rule uses the matcher of its strategy and returns what it matches (to find
 * shadowed rules), or undefined when that cannot be told.
 */
function ruleKey(rule: Rec, at: Path, strategy: RoutingStrategy, given: string[], reported: CheckContext['reported'], issues: SpecIssue[]): string | undefined {
  const expected = MATCHER_FIELD[strategy];
  const wrong = given.filter((k) => MATCHERS.includes(k) && k !== 'match' && k !== expected);
  for (const k of wrong) {
    issues.push({ path: [...at, k], message: `is not used by strategy ${strategy}; use ${expected}${strategy === 'Weighted' ? '' : ' or match'}` });
  }
  if (wrong.length > 0) return undefined;
  if (rule.match !== undefined && rule[expected] !== undefined) {
    issues.push({ path: [...at, 'match'], message: `give either match or ${expected}, not both` });
    return undefined;
  }
  if (rule.match !== undefined) {
    if (typeof rule.match !== 'string' || reported([...at, 'match'])) return undefined;
    const parsed = parseShorthand(strategy, rule.match);
    if ('error' in parsed) {
      issues.push({ path: [...at, 'match'], message: parsed.error });
      return undefined;
    }
    return matcherKey(parsed.matcher);
  }
  if (strategy === 'Weighted') {
    if (rule.weight === undefined) issues.push({ path: [...at, 'weight'], message: 'is required for strategy Weighted' });
    return typeof rule.targetEndpoint === 'string' ? `weighted:${rule.targetEndpoint}` : undefined;
  }
  if (rule[expected] === undefined) {
    issues.push({ path: at, message: `needs ${expected} or match for strategy ${strategy}` });
    return undefined;
  }
  return reported([...at, expected]) ? undefined : matcherKey(rule as RuleMatcher);
}
