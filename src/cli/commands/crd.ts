import { Command } from 'commander';
import { renderCrdYaml } from '../../spec';
import type { CliContext } from '../context';
import { writeOutput } from '../output';

export function crd(options: { output?: string }, ctx: CliContext): void {
  writeOutput(renderCrdYaml(), options.output, ctx);
}

export function crdCommand(ctx: CliContext): Command {
  return new Command('crd')
    .description('Print the CustomResourceDefinition of AIGatewayResource (generated from the schema)')
    .option('-o, --output <file>', 'write it to a file instead of stdout')
    .action((options: { output?: string }) => crd(options, ctx));
}
