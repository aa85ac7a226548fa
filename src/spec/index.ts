// The public API of the spec layer. Its declarations never import zod (test/public-types.test.ts):
// the schemas stay internal (import them from their modules inside this package).
export * from './names';
export type { AIGatewaySpecInput, AIGatewayResource, AIGatewayResourceInput, Condition, GatewayStatus } from './public-types';
export type { AIGatewaySpec, CanonicalSpec, CanonicalEndpoint, CanonicalRule } from './canonical';
export { validateSpec, validateResource, parseSpec, type Validated } from './validate';
export { SpecValidationError, formatIssue, formatPath } from './spec-error';
export type { SpecIssue } from './semantic-context';
export { customResourceDefinition, openApiSchema, renderCrdYaml } from './crd';
export { renderReference } from './reference';
export { DEFAULTS } from './defaults';
export { secretKind } from './secrets';
export { canonicalJson, hashOf, hashOfFiles } from './hash';
export { closest, didYouMean } from './suggest';
