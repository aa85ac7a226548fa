import { quoteSafely, secretKind } from './secrets';
import { didYouMean } from './suggest';

/** A problem found in a spec: where (path below `spec`) and what is expected. */
export interface SpecIssue {
  readonly path: (string | number)[];
  readonly message: string;
  /** The problem is the key itself (an unknown field, a bad name), not its value. */
  readonly atKey?: boolean;
}

export type Path = (string | number)[];
export type Rec = Record<string, unknown>;

/**
 * What the cross-field checks know besides the spec. The checks also run on a spec that failed
 * its shape checks (so one run reports every problem); they then read only values of the right
 * type that no shape issue already concerns, and never assume a field is well formed.
 */
export interface CheckContext {
  /** True when a shape issue is at, above or below `path`: the value there is not to be trusted. */
  readonly reported: (path: Path) => boolean;
  /** Names of the endpoints. */
  readonly names: string[];
  /**
   * False when some endpoint's name is malformed or missing: a reference that names no endpoint
   * may then mean that one, so it is not reported as dangling until the name is fixed.
   */
  readonly namesComplete: boolean;
}

export const isRecord = (value: unknown): value is Rec => value !== null && typeof value === 'object' && !Array.isArray(value);

export const oneOf = <T extends string>(values: readonly T[], value: unknown): T | undefined =>
  typeof value === 'string' && (values as readonly string[]).includes(value) ? (value as T) : undefined;

/** "[a, b]"; a name that looks like a credential is not repeated. */
export function list(names: string[]): string {
  return `[${names.map((n) => (secretKind(n) ? '<redacted>' : n)).join(', ')}]`;
}

/** A user's value in a message: quoted, and never repeated when it looks like a credential. */
export const q = (value: unknown): string => quoteSafely(value);

/** `"x" is not one of the endpoints [a, b]; did you mean "a"?` (suggesting only `candidates`). */
export function notAnEndpoint(name: string, names: string[], candidates: string[] = names): string {
  return `${q(name)} is not one of the endpoints ${list(names)}${didYouMean(name, candidates)}`;
}
