import { ANNOTATION_KEY } from './primitives';

/**
 * CEL rules the API server evaluates (x-kubernetes-validations), so a bad custom resource applied
 * with kubectl is rejected server-side too. They restate the cross-field checks of semantic.ts
 * that CEL can express; tests run both against the same fixtures.
 *
 * Lists and strings they walk have maxItems/maxLength in the schema, which keeps the API server's
 * cost estimate bounded.
 */
export interface CelRule {
  readonly rule: string;
  readonly message: string;
  readonly fieldPath?: string;
  readonly reason?: 'FieldValueInvalid' | 'FieldValueRequired' | 'FieldValueForbidden' | 'FieldValueDuplicate';
}

const endpointExists = (expr: string) => `self.endpoints.exists(e, e.name == ${expr})`;

const allowsOpenRelay = "has(self.authentication) && (self.authentication.type != 'None' || (has(self.authentication.allowUnauthenticatedUpstreamCredentials) && self.authentication.allowUnauthenticatedUpstreamCredentials))";

export const SPEC_RULES: CelRule[] = [
  {
    // The only endpoint that is not a fallback of another is the obvious target (entry-endpoint.ts).
    rule: 'size(self.endpoints) == 1 || has(self.modelRouting) || size(self.endpoints.filter(e, !self.endpoints.exists(x, x.name != e.name && has(x.fallbackEndpoints) && e.name in x.fallbackEndpoints))) == 1',
    message: 'modelRouting is required unless exactly one endpoint is not a fallback of another',
    fieldPath: '.modelRouting',
    reason: 'FieldValueRequired',
  },
  {
    rule: `!has(self.modelRouting) || !has(self.modelRouting.rules) || self.modelRouting.rules.all(r, (!has(r.targetEndpoint) || ${endpointExists('r.targetEndpoint')}) && (!has(r.defaultTargetEndpoint) || ${endpointExists('r.defaultTargetEndpoint')}))`,
    message: 'every modelRouting.rules[].targetEndpoint and defaultTargetEndpoint must name one of spec.endpoints',
    fieldPath: '.modelRouting.rules',
  },
  {
    rule: `!has(self.modelRouting) || !has(self.modelRouting.defaultTargetEndpoint) || ${endpointExists('self.modelRouting.defaultTargetEndpoint')}`,
    message: 'modelRouting.defaultTargetEndpoint must name one of spec.endpoints',
    fieldPath: '.modelRouting.defaultTargetEndpoint',
  },
  {
    rule: `self.endpoints.all(x, !has(x.fallbackEndpoints) || x.fallbackEndpoints.all(f, f != x.name && ${endpointExists('f')}))`,
    message: 'every endpoints[].fallbackEndpoints entry must name another endpoint',
    fieldPath: '.endpoints',
  },
  {
    rule: `!has(self.ingress) || !self.endpoints.exists(e, has(e.credentialsRef)) || (${allowsOpenRelay})`,
    message: 'an Ingress in front of endpoints with credentialsRef needs authentication type APIKey or JWT, or authentication.allowUnauthenticatedUpstreamCredentials: true',
    fieldPath: '.ingress',
  },
];

export const ENDPOINTS_RULES: CelRule[] = [
  {
    rule: 'self.all(e, self.exists_one(f, f.name == e.name))',
    message: 'endpoint names must be unique',
    reason: 'FieldValueDuplicate',
  },
];

export const ENDPOINT_RULES: CelRule[] = [
  { rule: 'has(self.serviceRef) != has(self.url)', message: 'set exactly one of serviceRef (in-cluster Service) or url (external provider)' },
];

export const RULE_RULES: CelRule[] = [
  {
    rule: 'has(self.defaultTargetEndpoint) ? !has(self.targetEndpoint) && !has(self.match) && !has(self.header) && !has(self.pathPrefix) && !has(self.model) && !has(self.weight) && !has(self.stripPrefix) : has(self.targetEndpoint)',
    message: 'a rule needs targetEndpoint, or is a lone defaultTargetEndpoint',
  },
  {
    rule: '(has(self.match) ? 1 : 0) + (has(self.header) ? 1 : 0) + (has(self.pathPrefix) ? 1 : 0) + (has(self.model) ? 1 : 0) + (has(self.weight) ? 1 : 0) <= 1',
    message: 'a rule takes one matcher: match, header, pathPrefix, model or weight',
  },
];

export const ROUTING_RULES: CelRule[] = [
  {
    rule: "!has(self.rules) || self.rules.all(r, has(r.defaultTargetEndpoint) || (self.strategy == 'Header' ? (has(r.header) || has(r.match)) : self.strategy == 'Path' ? (has(r.pathPrefix) || has(r.match)) : self.strategy == 'RequestBody' ? (has(r.model) || has(r.match)) : has(r.weight)))",
    message: 'each rule must use the matcher of the strategy: header or match (Header), pathPrefix or match (Path), model or match (RequestBody), weight (Weighted)',
    fieldPath: '.rules',
  },
  {
    rule: "self.strategy == 'Path' || !has(self.rules) || self.rules.all(r, !has(r.stripPrefix))",
    message: 'stripPrefix is only used by strategy Path',
    fieldPath: '.rules',
  },
  {
    rule: "self.strategy != 'Weighted' || (has(self.rules) && size(self.rules) > 0 && !has(self.defaultTargetEndpoint))",
    message: 'strategy Weighted needs weighted rules and takes no defaultTargetEndpoint',
  },
];

export const AUTHENTICATION_RULES: CelRule[] = [
  { rule: "self.type != 'APIKey' || has(self.apiKeyRef)", message: 'apiKeyRef is required for type APIKey', fieldPath: '.apiKeyRef', reason: 'FieldValueRequired' },
  { rule: "self.type != 'JWT' || has(self.jwtSpec)", message: 'jwtSpec is required for type JWT', fieldPath: '.jwtSpec', reason: 'FieldValueRequired' },
  { rule: "self.type == 'APIKey' || !has(self.apiKeyRef)", message: 'apiKeyRef is only used with type APIKey', fieldPath: '.apiKeyRef', reason: 'FieldValueForbidden' },
  { rule: "self.type == 'JWT' || !has(self.jwtSpec)", message: 'jwtSpec is only used with type JWT', fieldPath: '.jwtSpec', reason: 'FieldValueForbidden' },
  {
    rule: "self.type == 'None' || !has(self.allowUnauthenticatedUpstreamCredentials)",
    message: 'allowUnauthenticatedUpstreamCredentials is only used with type None',
    fieldPath: '.allowUnauthenticatedUpstreamCredentials',
    reason: 'FieldValueForbidden',
  },
];

export const PROMPT_RULES: CelRule[] = [
  {
    rule: "!has(self.modificationType) || self.modificationType != 'Transform' || (has(self.templates) && size(self.templates) > 0)",
    message: 'modificationType Transform needs at least one template',
    fieldPath: '.templates',
  },
  {
    rule: "!has(self.modificationType) || self.modificationType == 'Transform' || has(self.systemPrompt)",
    message: 'modificationType Prefix, Suffix and Replace need systemPrompt',
    fieldPath: '.systemPrompt',
  },
  {
    rule: '!has(self.templates) || self.templates.all(k, k.matches(\'^[A-Za-z0-9][-_A-Za-z0-9]*$\'))',
    message: "template names use letters, digits, '-' and '_'",
    fieldPath: '.templates',
  },
];

export const INGRESS_RULES: CelRule[] = [
  {
    // The CEL string literal needs each regex backslash doubled.
    rule: `!has(self.annotations) || self.annotations.all(k, k.matches('${ANNOTATION_KEY.source.replace(/\\/g, '\\\\')}'))`,
    message: 'annotation keys are an optional DNS subdomain and "/", then a name of at most 63 letters, digits, \'-\', \'_\' or \'.\'',
    fieldPath: '.annotations',
  },
];

export const validations = (rules: CelRule[]) => ({ 'x-kubernetes-validations': rules });
