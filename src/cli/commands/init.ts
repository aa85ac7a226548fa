import { existsSync, writeFileSync } from 'fs';
import { Command, Option } from 'commander';
import { parse } from 'yaml';
import { validateResource } from '../../spec';
import type { CliContext } from '../context';
import { CliError, EXIT } from '../errors';
import { STARTER_PROVIDERS, starterGateway, type StarterProvider } from '../starter';

export interface InitOptions {
  readonly provider?: StarterProvider;
  readonly output?: string;
  readonly name?: string;
  readonly namespace?: string;
  readonly force?: boolean;
}

/** Writes a commented starter gateway.yaml (stdout without -o), checked like any input first. */
export function init(options: InitOptions, ctx: CliContext): void {
  const text = starterGateway({
    provider: options.provider ?? 'openai',
    name: options.name ?? 'my-llm-gateway',
    namespace: options.namespace ?? 'ai-apps',
  });
  // --name and --namespace come from the user: the starter must pass the same checks as synth.
  const result = validateResource(parse(text));
  if (!result.ok) {
    const option: Record<string, string> = { name: '--name', namespace: '--namespace' };
    const messages = result.issues.map((i) => (i.path[0] === 'metadata' && option[i.path[1]] ? `${option[i.path[1]]}: ${i.message}` : `starter: ${i.path.join('.')}: ${i.message}`));
    // Names derived from --name fail with it; one message per option is enough.
    throw new CliError(messages.filter((m) => m.startsWith('--')).join('\n') || messages.join('\n'), EXIT.usage);
  }
  if (!options.output) {
    ctx.stdout(text);
    return;
  }
  if (existsSync(options.output) && !options.force) {
    throw new CliError(`${options.output} already exists; choose another file with -o or overwrite it with --force`);
  }
  writeFileSync(options.output, text);
  ctx.stderr(`wrote ${options.output}; next: create the Secrets it names (see its first lines), then \`aigate explain ${options.output}\`\n`);
}

export function initCommand(ctx: CliContext): Command {
  return new Command('init')
    .description('Write a commented starter gateway.yaml for a provider (no secret values: it names Secrets and says how to create them)')
    .addOption(new Option('--provider <provider>', 'upstream of the first endpoint').choices([...STARTER_PROVIDERS]).default('openai'))
    .option('-o, --output <file>', 'write to this file instead of stdout (never overwrites without --force)')
    .option('--name <name>', "the gateway's name (metadata.name)", 'my-llm-gateway')
    .option('--namespace <namespace>', "the gateway's namespace", 'ai-apps')
    .option('--force', 'overwrite the --output file if it exists')
    .action((options: InitOptions) => init(options, ctx));
}
