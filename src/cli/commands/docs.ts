import { writeFileSync } from 'fs';
import { Command } from 'commander';
import { renderReference } from '../../spec';
import type { CliContext } from '../context';

export function docs(options: { output?: string }, ctx: CliContext): void {
  const markdown = renderReference();
  if (options.output) {
    writeFileSync(options.output, markdown);
    ctx.stderr(`wrote ${options.output}\n`);
  } else {
    ctx.stdout(markdown);
  }
}

export function docsCommand(ctx: CliContext): Command {
  return new Command('docs')
    .description('Print the field reference of AIGatewayResource as Markdown (generated from the schema, like the CRD)')
    .option('-o, --output <file>', 'write it to a file instead of stdout')
    .action((options: { output?: string }) => docs(options, ctx));
}
