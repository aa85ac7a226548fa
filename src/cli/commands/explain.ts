import { Command, InvalidArgumentError, Option } from 'commander';
import { explainMermaid, explainText } from '../../constructs';
import type { CliContext } from '../context';
import { CliError, EXIT } from '../errors';
import { loadOrFail } from '../load';
import { didYouMean } from '../../spec';

export interface ExplainOptions {
  readonly file?: string[];
  readonly format?: 'text' | 'mermaid';
  readonly gateway?: string;
  readonly replicas?: number;
}

/** Prints, per gateway, what it does with a request (text) or the same as a Mermaid flowchart. */
export function explain(paths: string[], options: ExplainOptions, ctx: CliContext): void {
  let gateways = loadOrFail([...paths, ...(options.file ?? [])], ctx);
  if (options.gateway !== undefined) {
    const wanted = options.gateway;
    const all = gateways.map((g) => g.resource.metadata.name);
    gateways = gateways.filter((g) => g.resource.metadata.name === wanted || `${g.resource.metadata.namespace}/${g.resource.metadata.name}` === wanted);
    if (gateways.length === 0) throw new CliError(`--gateway ${wanted}: no such gateway in the input (found ${all.join(', ')})${didYouMean(wanted, all)}`);
  }
  const format = options.format ?? 'text';
  if (format === 'mermaid' && gateways.length > 1) {
    const names = gateways.map((g) => g.resource.metadata.name).join(', ');
    throw new CliError(`--format mermaid draws one gateway; the input has ${gateways.length} (${names}): choose one with --gateway`, EXIT.usage);
  }
  const texts = gateways.map((g) => {
    const input = {
      name: g.resource.metadata.name,
      ...(g.resource.metadata.namespace && { namespace: g.resource.metadata.namespace }),
      spec: g.resource.spec,
      ...(options.replicas !== undefined && { replicas: options.replicas }),
    };
    return format === 'mermaid' ? explainMermaid(input) : explainText(input);
  });
  ctx.stdout(texts.join('\n'));
}

export function positiveInteger(value: string): number {
  const n = Number(value);
  if (!/^[0-9]+$/.test(value) || n < 1) throw new InvalidArgumentError('must be a whole number of at least 1');
  return n;
}

export function explainCommand(ctx: CliContext): Command {
  return new Command('explain')
    .description('Say in plain words what a gateway does with a request: authentication, rate limit, prompt changes, routing, caching, cost, observability')
    .argument('[paths...]', 'YAML files or directories ("-" reads stdin)')
    .option('-f, --file <paths...>', 'YAML files or directories ("-" reads stdin); same as the arguments')
    .addOption(new Option('--format <format>', 'text, or mermaid for a Mermaid flowchart').choices(['text', 'mermaid']).default('text'))
    .option('--gateway <name>', 'explain only this gateway (name or namespace/name)')
    .option('--replicas <n>', 'Envoy replicas the rate limit is shared by (default: the AIGateway default, 2)', positiveInteger)
    .action((paths: string[], options: ExplainOptions) => explain(paths, options, ctx));
}
