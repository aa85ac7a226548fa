import type { z } from 'zod';
import { quoteSafely } from './secrets';
import type { SpecIssue } from './semantic';

export type { SpecIssue } from './semantic';

type ZodIssue = z.core.$ZodIssue;
type Path = (string | number)[];

/** ['spec', 'endpoints', 0, 'name'] -> "spec.endpoints[0].name" */
export function formatPath(path: readonly (string | number | symbol)[]): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else if (typeof part === 'string' && /^[A-Za-z_$][\w$]*$/.test(part)) out += out ? `.${part}` : part;
    else out += `[${JSON.stringify(String(part))}]`;
  }
  return out || '(document)';
}

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
      return small ? (limit === 1 ? 'needs at least one item' : `needs at least ${limit} items`) : `has more than ${limit} items`;
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
      if (input === undefined) return 'is required';
      return `must be ${typeName(issue.expected)}, ${found(input)}`;
    case 'invalid_value': {
      if (input === undefined) {
        return issue.values.length > 1 ? `is required: one of ${issue.values.join(', ')}` : 'is required';
      }
      if (!isDefaultMessage(issue.message)) return `${issue.message}, ${found(input)}`;
      const values = issue.values.map((v) => (typeof v === 'string' ? v : JSON.stringify(v)));
      return values.length === 1
        ? `must be ${JSON.stringify(issue.values[0])}, ${found(input)}`
        : `must be one of ${values.join(', ')}; ${found(input)}`;
    }
    case 'too_small':
    case 'too_big': {
      const text = isDefaultMessage(issue.message) ? sizeMessage(issue) : issue.message;
      // The size of a list or mapping says it all; quoting the value would not help.
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
  if (fitting) return fitting.flatMap((i) => toSpecIssues(i, path));
  const expected = [
    ...new Set(branches.flatMap((b) => b.filter((i) => i.code === 'invalid_type').map((i) => typeName((i as { expected: string }).expected)))),
  ];
  const input = (issue as { input?: unknown }).input;
  if (input === undefined) return [{ path, message: 'is required' }];
  return [{ path, message: `must be ${expected.join(' or ')}, ${found(input)}` }];
}

function toSpecIssues(issue: ZodIssue, base: Path): SpecIssue[] {
  const path = [...base, ...(issue.path as Path)];
  if (issue.code === 'unrecognized_keys') {
    return issue.keys.map((key) => ({ path: [...path, key], message: `unknown field "${key}"` }));
  }
  if (issue.code === 'invalid_union') return unionIssues(issue, path);
  return [{ path, message: messageFor(issue) }];
}

/** Zod error -> issues with absolute paths (below `base`) and messages that say what is expected. */
export function issuesFromZod(error: z.ZodError, base: Path = []): SpecIssue[] {
  return error.issues.flatMap((issue) => toSpecIssues(issue, base));
}

/** "spec.endpoints[0].name: must not be empty" */
export function formatIssue(issue: SpecIssue): string {
  return `${formatPath(issue.path)}: ${issue.message}`;
}

/** Thrown when a spec is invalid; the message lists every problem, one per line. */
export class SpecValidationError extends Error {
  constructor(
    readonly issues: readonly SpecIssue[],
    readonly source?: string,
  ) {
    super(
      `${source ? `${source}: ` : ''}invalid AIGatewayResource spec (${issues.length} problem${issues.length === 1 ? '' : 's'}):\n` +
        issues.map((i) => `  ${formatIssue(i)}`).join('\n'),
    );
    this.name = 'SpecValidationError';
  }
}
