/** Exit codes of `aigate`, owned by the one handler in `run.ts`. */
export const EXIT = {
  ok: 0,
  /** Invalid input: a spec or YAML error, a file that cannot be read. */
  invalid: 1,
  /** Wrong command line. */
  usage: 2,
  /** A bug: something the CLI did not expect. */
  internal: 70,
} as const;

/** An error the user can fix; its message is printed as is, without a stack trace. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number = EXIT.invalid,
  ) {
    super(message);
    this.name = 'CliError';
  }
}
