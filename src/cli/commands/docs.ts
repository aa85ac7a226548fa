import { Command } from 'commander';
import { renderReference } from '../../spec';
import type { CliContext } from '../context';
import { writeOutput } from '../output';

export function docs(options: { output?: string }, ctx: CliContext): void {
  writeOutput(renderReference(), options.output, ctx);
}

export function docsCommand(ctx: CliContext): Command {
  return new Command('docs')
    .description('Print the field reference of AIGatewayResource as Markdown (generated from the schema, like the CRD)')
    .option('-o, --output <file>', 'write it to a file instead of stdout')
    .action((options: { output?: string }) => docs(options, ctx));
}
