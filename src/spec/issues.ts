import type { z } from 'zod';
import { fieldsOf, schemaAt } from './schema-walk';
import { quoteSafely } from './secrets';
import type { SpecIssue } from './semantic';
import { closest, didYouMean } from './suggest';

export type { SpecIssue } from './semantic';
export { formatIssue, formatPath, SpecValidationError } from './spec-error';

type ZodIssue = z.core.$ZodIssue;
type Path = (string | number)[];

const TYPE_NAMES: Record<string, string> = {
  string: 'a string',
  number: 'a number',
  int: 'a whole number',
  boolean: 'true or false',
  object: 'a mapping',
  array: 'a list',
  record: 'a mapping',
};

function typeName(expected: string): string {
  return TYPE_NAMES[expected] ?? expected;
}

function found(input: unknown): string {
  return `found ${quoteSafely(input)}`;
}

/** Zod's default texts start with "Invalid input"/"Too small"; ours start with "must". */
function isDefaultMessage(message: string): boolean {
  return /^(Invalid|Too (small|big)|Unrecognized)/.test(message);
}

function sizeMessage(issue: ZodIssue & { code: 'too_small' | 'too_big' }): string {
  const small = issue.code === 'too_small';
  const limit = Number(small ? (issue as { minimum: unknown }).minimum : (issue as { maximum: unknown }).maximum);
  switch (issue.origin) {
    case 'array':
    case 'set':
      return small ? (limit === 1 ? 'needs at least one item' : `needs at least ${limit} items`) : `must have at most ${limit} items`;
    case 'string':
      return small ? (limit === 1 ? 'must not be empty' : `must be at least ${limit} characters`) : `must be at most ${limit} characters`;
    default:
      return small ? `must be at least ${limit}` : `must be at most ${limit}`;
  }
}

function messageFor(issue: ZodIssue): string {
  const input = (issue as { input?: unknown }).input;
  switch (issue.code) {
    case 'invalid_type':
      if (input === undefined) return `is required: ${typeName(issue.expected)}`;
      return `must be ${typeName(issue.expected)}, ${found(input)}`;
    case 'invalid_value': {
      if (input === undefined) {
        return issue.values.length > 1 ? `is required: one of ${issue.values.join(', ')}` : 'is required';
      }
      if (!isDefaultMessage(issue.message)) return `${issue.message}, ${found(input)}`;
      const values = issue.values.map((v) => (typeof v === 'string' ? v : JSON.stringify(v)));
      const hint = typeof input === 'string' ? didYouMean(input, issue.values.filter((v): v is string => typeof v === 'string')) : '';
      return values.length === 1
        ? `must be ${JSON.stringify(issue.values[0])}, ${found(input)}`
        : `must be one of ${values.join(', ')}; ${found(input)}${hint}`;
    }
    case 'too_small':
    case 'too_big': {
      const text = isDefaultMessage(issue.message) ? sizeMessage(issue) : issue.message;
      // A list is described by its length; quoting its items would not help.
      if (Array.isArray(input)) return `${text}, found ${input.length === 0 ? 'an empty list' : `${input.length} item${input.length === 1 ? '' : 's'}`}`;
      return input !== null && typeof input === 'object' ? text : `${text}, ${found(input)}`;
    }
    case 'invalid_format':
      return `${isDefaultMessage(issue.message) ? `must be a valid ${issue.format}` : issue.message}, ${found(input)}`;
    case 'custom':
      return issue.message;
    default:
      return isDefaultMessage(issue.message) ? `is not valid, ${found(input)}` : issue.message;
  }
}

/** Picks the union branch that fits the input's type, so the message speaks to what was meant. */
function unionIssues(issue: ZodIssue & { code: 'invalid_union' }, path: Path): SpecIssue[] {
  const branches = issue.errors.filter((branch) => branch.length > 0);
  const fitting = branches.find((branch) => branch.every((i) => i.code !== 'invalid_type' || i.path.length > 0));
  if (fitting) return fitting.flatMap((i) => toSpecIssues(i, path, undefined));
  const expected = [
    ...new Set(branches.flatMap((b) => b.filter((i) => i.code === 'invalid_type').map((i) => typeName((i as { expected: string }).expected)))),
  ];
  const input = (issue as { input?: unknown }).input;
  if (input === undefined) return [{ path, message: expected.length > 0 ? `is required: ${expected.join(' or ')}` : 'is required' }];
  return [{ path, message: `must be ${expected.join(' or ')}, ${found(input)}` }];
}

/** A field the user wrote that the schema does not have; the hint names the field likely meant. */
function unknownFieldIssues(issue: ZodIssue & { code: 'unrecognized_keys' }, path: Path, schema: z.core.$ZodType | undefined): SpecIssue[] {
  const allowed = fieldsOf(schema ? schemaAt(schema, issue.path as Path) : undefined);
  const input = (issue as { input?: unknown }).input;
  const given = input && typeof input === 'object' ? Object.keys(input) : [];
  // Prefer fields not written yet: "strategi" next to a missing "strategy" is the typo.
  const open = allowed.filter((field) => !given.includes(field));
  return issue.keys.map((key) => {
    const meant = closest(key, open) ?? closest(key, allowed);
    const hint =
      meant !== undefined
        ? `; did you mean ${quoteSafely(meant)}?`
        : allowed.length > 0
          ? `; expected one of ${allowed.join(', ')}`
          : '';
    return { path: [...path, key], message: `unknown field ${quoteSafely(key)}${hint}`, atKey: true, meant };
  });
}

/** A record key that fails its own schema (e.g. a template name). */
function invalidKeyIssue(issue: ZodIssue & { code: 'invalid_key' }, path: Path): SpecIssue {
  const inner = issue.issues[0] as ZodIssue | undefined;
  const input = (issue as { input?: unknown }).input;
  const text = inner && !isDefaultMessage(inner.message) ? inner.message : 'is not an allowed name';
  return { path, message: `name ${text}, ${found(input)}`, atKey: true };
}

function toSpecIssues(issue: ZodIssue, base: Path, schema: z.core.$ZodType | undefined): (SpecIssue & { meant?: string })[] {
  const path = [...base, ...(issue.path as Path)];
  if (issue.code === 'unrecognized_keys') return unknownFieldIssues(issue, path, schema);
  if (issue.code === 'invalid_key') return [invalidKeyIssue(issue, path)];
  if (issue.code === 'invalid_union') return unionIssues(issue, path);
  return [{ path, message: messageFor(issue) }];
}

const samePath = (a: Path, b: Path) => a.length === b.length && a.every((part, i) => part === b[i]);

/**
 * Zod error -> issues with absolute paths (below `base`) and messages that say what was found and
 * what is expected. With the `schema` that was parsed, a misspelled field gets a did-you-mean, and
 * the "is required" of the field it was meant to be is dropped (one mistake, one message).
 */
export function issuesFromZod(error: z.ZodError, base: Path = [], schema?: z.core.$ZodType): SpecIssue[] {
  const all = error.issues.flatMap((issue) => toSpecIssues(issue, base, schema));
  const meant = all.filter((i) => i.meant !== undefined).map((i) => [...i.path.slice(0, -1), i.meant!]);
  return all
    .filter((i) => !(i.message.startsWith('is required') && meant.some((m) => samePath(m, i.path))))
    .map(({ path, message, atKey }) => ({ path, message, ...(atKey && { atKey }) }));
}
