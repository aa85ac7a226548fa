/**
 * Fast in-process oracle for generated Envoy configs (real Envoy, the authority, runs in test/e2e):
 * - checkEnvoyBootstrap: strict proto3-JSON + PGV walk over Envoy's own API protos.
 * - checkEnvoySemantics: cross-references Envoy checks at load time (clusters, listeners,
 *   router order, RE2, LuaJIT compile, ...).
 * - selectRoute / pickWeighted: which route / cluster a request reaches.
 */
import { checkEnvoyBootstrap } from './proto-check';
import { checkEnvoySemantics, SemanticCheckOptions } from './semantic-check';

export {
  BOOTSTRAP_TYPE,
  checkEnvoyBootstrap,
  checkEnvoyMessage,
  getField,
  jsonName,
  parseDuration,
  protoLoadMs,
  walkEnvoyMessages,
} from './proto-check';
export type { MessageVisitor, WalkOptions } from './proto-check';
export { checkEnvoySemantics } from './semantic-check';
export type { SemanticCheckOptions } from './semantic-check';
export { checkLuaSources, luajitAvailable } from './lua-check';
export type { LuaSource } from './lua-check';
export { re2FullMatcher, re2ToJs } from './re2';
export type { Re2Result } from './re2';
export { matchHeader, matchString, pickWeighted, removeQueryAndFragment, selectRoute, selectVirtualHost } from './route-eval';
export type { EvalOptions, EvalRequest, RouteSelection, WeightedClusterEntry } from './route-eval';
export { DEFAULT_OVERLAY_FIELDS, UPSTREAM_DEPRECATED_FIELDS } from './proto-loader';
export type { OverlayField } from './proto-loader';
export { sampleBootstrap } from './sample-bootstrap';

/** All problems of both checks (proto first), [] when the config is valid. */
export function envoyConfigProblems(config: unknown, opts: SemanticCheckOptions = {}): string[] {
  return [...checkEnvoyBootstrap(config), ...checkEnvoySemantics(config, opts)];
}

/** Throws one Error listing every problem found by checkEnvoyBootstrap and checkEnvoySemantics. */
export function assertValidEnvoyConfig(config: unknown, opts: SemanticCheckOptions = {}): void {
  const problems = envoyConfigProblems(config, opts);
  if (problems.length > 0) {
    throw new Error(`Envoy config has ${problems.length} problem(s):\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
}
