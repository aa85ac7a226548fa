import type { Spec } from './types';

type Rule = Spec['modelRouting']['rules'][number];

/**
 * What the route table does, before it is written as Envoy routes: the ordered list of matchers
 * and the endpoint each sends to (first match wins). The route table (routes.ts) and `aigate
 * explain` both read it, so a reviewer is told exactly what Envoy does.
 */
export type PlannedMatch =
  | { readonly kind: 'header'; readonly name: string; readonly value: string }
  | { readonly kind: 'path'; readonly prefix: string; readonly stripPrefix: boolean }
  | { readonly kind: 'model'; readonly model: string }
  | { readonly kind: 'any' };

export interface PlannedRoute {
  /** The Envoy route name: `rule-<i>`, `model-<endpoint>-<i>` or `default`. */
  readonly name: string;
  /** Where the route comes from: a rule, an endpoint's `models` (RequestBody), or the default. */
  readonly source: 'rule' | 'model' | 'default';
  readonly match: PlannedMatch;
  readonly target: string;
}

export interface PlannedShare {
  readonly target: string;
  readonly weight: number;
}

export type RoutePlan =
  | { readonly kind: 'weighted'; readonly shares: PlannedShare[] }
  | { readonly kind: 'match'; readonly routes: PlannedRoute[] };

function ruleMatch(rule: Rule): PlannedMatch {
  if (rule.header) return { kind: 'header', name: rule.header.name, value: rule.header.value };
  if (rule.pathPrefix !== undefined) return { kind: 'path', prefix: rule.pathPrefix, stripPrefix: rule.stripPrefix === true };
  if (rule.model !== undefined) return { kind: 'model', model: rule.model };
  throw new Error(`rule for ${rule.targetEndpoint} has no header, path or model matcher`);
}

/**
 * RequestBody: after the rules, each endpoint's `models` route to it (first endpoint listing a
 * model wins; a model a rule names is the rule's), so an endpoint serves what it declares.
 */
function endpointModelRoutes(spec: Spec): PlannedRoute[] {
  const taken = new Set(spec.modelRouting.rules.map((r) => r.model));
  const routes: PlannedRoute[] = [];
  for (const endpoint of spec.endpoints) {
    endpoint.models.forEach((model, i) => {
      if (taken.has(model)) return;
      taken.add(model);
      routes.push({ name: `model-${endpoint.name}-${i}`, source: 'model', match: { kind: 'model', model }, target: endpoint.name });
    });
  }
  return routes;
}

/** The routes of a canonical spec, in the order Envoy evaluates them. */
export function routePlan(spec: Spec): RoutePlan {
  const routing = spec.modelRouting;
  if (routing.strategy === 'Weighted') {
    return { kind: 'weighted', shares: routing.rules.map((r) => ({ target: r.targetEndpoint, weight: r.weight! })) };
  }
  const routes: PlannedRoute[] = routing.rules.map((rule, i) => ({ name: `rule-${i}`, source: 'rule', match: ruleMatch(rule), target: rule.targetEndpoint }));
  if (routing.strategy === 'RequestBody') routes.push(...endpointModelRoutes(spec));
  if (routing.defaultTargetEndpoint !== undefined) {
    routes.push({ name: 'default', source: 'default', match: { kind: 'any' }, target: routing.defaultTargetEndpoint });
  }
  return { kind: 'match', routes };
}
