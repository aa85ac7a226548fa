import { writeFileSync } from 'fs';
import { Command } from 'commander';
import { renderCrdYaml } from '../../spec';
import type { CliContext } from '../context';

export function crd(options: { output?: string }, ctx: CliContext): void {
  const yaml = renderCrdYaml();
  if (options.output) {
    writeFileSync(options.output, yaml);
    ctx.stderr(`wrote ${options.output}\n`);
  } else {
    ctx.stdout(yaml);
  }
}

export function crdCommand(ctx: CliContext): Command {
  return new Command('crd')
    .description('Print the CustomResourceDefinition of AIGatewayResource (generated from the schema)')
    .option('-o, --output <file>', 'write it to a file instead of stdout')
    .action((options: { output?: string }) => crd(options, ctx));
}
