import { Command } from 'commander';
import type { CliContext } from '../context';
import { loadOrFail } from '../load';

export function validate(paths: string[], options: { file?: string[] }, ctx: CliContext): void {
  const gateways = loadOrFail([...paths, ...(options.file ?? [])], ctx);
  for (const g of gateways) {
    const { name, namespace } = g.resource.metadata;
    ctx.stderr(`${g.source.file}: ${namespace ? `${namespace}/` : ''}${name} is valid\n`);
  }
}

export function validateCommand(ctx: CliContext): Command {
  return new Command('validate')
    .description('Check AIGatewayResource YAML without writing anything; the exit code tells the result')
    .argument('[paths...]', 'YAML files or directories ("-" reads stdin)')
    .option('-f, --file <paths...>', 'YAML files or directories ("-" reads stdin); same as the arguments')
    .action((paths: string[], options: { file?: string[] }) => validate(paths, options, ctx));
}
