// Spec errors as users see them. No zod here: these are public, and the package's declarations
// must not make a consumer's tsc load zod's.
import { secretKind } from './secrets';
import type { SpecIssue } from './semantic-context';

/** ['spec', 'endpoints', 0, 'name'] -> "spec.endpoints[0].name" */
export function formatPath(path: readonly (string | number | symbol)[]): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    // A key can be a pasted credential: the path must not repeat it.
    else if (typeof part === 'string' && secretKind(part)) out += '[<redacted>]';
    else if (typeof part === 'string' && /^[A-Za-z_$][\w$]*$/.test(part)) out += out ? `.${part}` : part;
    else out += `[${JSON.stringify(String(part))}]`;
  }
  return out || '(document)';
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
