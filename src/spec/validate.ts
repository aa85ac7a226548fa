import { issuesFromZod } from './issues';
import { SpecValidationError } from './spec-error';
import type { SpecIssue } from './semantic-context';
import type { AIGatewaySpec } from './canonical';
import type { AIGatewayResource } from './public-types';
import { aiGatewayResourceSchema, aiGatewaySpecSchema } from './spec';

export type Validated<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly issues: SpecIssue[] };

/** Validates a `spec` (paths in issues start with "spec"). Never throws for bad input. */
export function validateSpec(input: unknown): Validated<AIGatewaySpec> {
  const result = aiGatewaySpecSchema.safeParse(input, { reportInput: true });
  return result.success ? { ok: true, value: result.data } : { ok: false, issues: issuesFromZod(result.error, ['spec'], aiGatewaySpecSchema) };
}

/** Validates a whole AIGatewayResource document (apiVersion, kind, metadata, spec, status). */
export function validateResource(input: unknown): Validated<AIGatewayResource> {
  const result = aiGatewayResourceSchema.safeParse(input, { reportInput: true });
  return result.success ? { ok: true, value: result.data } : { ok: false, issues: issuesFromZod(result.error, [], aiGatewayResourceSchema) };
}

/** Like validateSpec, but throws a SpecValidationError listing every problem. */
export function parseSpec(input: unknown, source?: string): AIGatewaySpec {
  const result = validateSpec(input);
  if (!result.ok) throw new SpecValidationError(result.issues, source);
  return result.value;
}
