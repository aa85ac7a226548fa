import { readFileSync } from 'fs';
import { dirname, join } from 'path';
import { Command, CommanderError } from 'commander';
import { checkCommand } from './commands/check';
import { crdCommand } from './commands/crd';
import { docsCommand } from './commands/docs';
import { explainCommand } from './commands/explain';
import { initCommand } from './commands/init';
import { reconcileCommand } from './commands/reconcile';
import { synthCommand } from './commands/synth';
import { validateCommand } from './commands/validate';
import type { CliContext } from './context';
import { CliError, EXIT } from './errors';
import { SpecValidationError } from '../spec';

function packageVersion(): string {
  let dir = __dirname;
  for (let i = 0; i < 6; i++) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'cdk8s-ai-gateway' && pkg.version) return pkg.version;
    } catch {
      // not here; look one folder up
    }
    dir = dirname(dir);
  }
  return 'unknown';
}

export function buildProgram(ctx: CliContext): Command {
  const program = new Command('aigate')
    .description('Synthesize Kubernetes manifests for AI/LLM gateways declared as AIGatewayResource')
    .version(packageVersion(), '-V, --version')
    .showHelpAfterError('(run with --help for usage)');
  for (const command of [initCommand(ctx), synthCommand(ctx), validateCommand(ctx), explainCommand(ctx), crdCommand(ctx), docsCommand(ctx), reconcileCommand(ctx), checkCommand(ctx)]) program.addCommand(command);
  // Tests run the CLI in-process: errors must come back here, never end the process.
  for (const command of [program, ...program.commands]) {
    command.exitOverride().configureOutput({ writeOut: ctx.stdout, writeErr: ctx.stderr });
  }
  return program;
}

/** Runs `aigate` with the given arguments (without node and script); returns the exit code. */
export async function runCli(args: string[], ctx: CliContext): Promise<number> {
  try {
    await buildProgram(ctx).parseAsync(args, { from: 'user' });
    return EXIT.ok;
  } catch (err) {
    if (err instanceof CommanderError) {
      // --help and --version end through here with exit code 0; usage errors were already printed.
      return err.exitCode === 0 ? EXIT.ok : EXIT.usage;
    }
    if (err instanceof CliError) {
      ctx.stderr(`error: ${err.message}\n`);
      return err.exitCode;
    }
    if (err instanceof SpecValidationError) {
      ctx.stderr(`error: ${err.message}\n`);
      return EXIT.invalid;
    }
    ctx.stderr(`internal error (please report): ${(err as Error).stack ?? String(err)}\n`);
    return EXIT.internal;
  }
}
