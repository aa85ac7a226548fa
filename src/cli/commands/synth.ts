import { writeFileSync } from 'fs';
import { join } from 'path';
import { Command } from 'commander';
import { renderGateway, renderReconcileJob } from '../../constructs';
import type { CliContext } from '../context';
import { positiveInteger } from './explain';
import { loadOrFail } from '../load';
import { ensureOutputDirectory, previousOutput, recordOutput } from '../output-dir';

export interface SynthOptions {
  readonly file?: string[];
  readonly output?: string;
  /** Also write one reconcile job per namespace of the gateways. */
  readonly reconcileJob?: boolean;
  /** Delete the files an earlier `synth -o` into the same directory wrote and this run does not. */
  readonly prune?: boolean;
  /** Envoy replicas of every gateway (the rate limit is split over them). @default DEFAULT_REPLICAS */
  readonly replicas?: number;
}

/** Validates every input, renders every gateway in memory, and only then writes anything. */
export function synth(paths: string[], options: SynthOptions, ctx: CliContext): void {
  const gateways = loadOrFail([...paths, ...(options.file ?? [])], ctx);
  const gatewaysRendered = gateways.map((g) =>
    renderGateway({
      metadata: g.resource.metadata,
      spec: g.raw.spec as never,
      source: g.source.file,
      ...(options.replicas !== undefined && { replicas: options.replicas }),
    }),
  );
  for (const r of gatewaysRendered) {
    for (const warning of r.gateway.warnings) ctx.stderr(`warning: ${r.gateway.name}: ${warning}\n`);
  }
  const namespaces = [...new Set(gateways.map((g) => g.resource.metadata.namespace))];
  const rendered: { fileName: string; yaml: string; objects: unknown[] }[] = [
    ...gatewaysRendered,
    ...(options.reconcileJob ? namespaces.map((ns) => renderReconcileJob(ns)) : []),
  ];
  if (!options.output) {
    ctx.stdout(rendered.map((r) => r.yaml).join('---\n'));
    return;
  }
  ensureOutputDirectory(options.output);
  const previous = previousOutput(options.output);
  for (const r of rendered) {
    const file = join(options.output, r.fileName);
    writeFileSync(file, r.yaml);
    ctx.stderr(`wrote ${file} (${r.objects.length} objects)\n`);
  }
  const deleted = recordOutput(options.output, previous, rendered.map((r) => r.fileName), options.prune === true);
  for (const file of deleted) ctx.stderr(`deleted ${join(options.output, file)} (no longer generated)\n`);
}

export function synthCommand(ctx: CliContext): Command {
  return new Command('synth')
    .description('Validate AIGatewayResource YAML and write the Kubernetes manifests of each gateway')
    .argument('[paths...]', 'YAML files or directories ("-" reads stdin)')
    .option('-f, --file <paths...>', 'YAML files or directories ("-" reads stdin); same as the arguments')
    .option('-o, --output <dir>', 'write one <namespace>.<name>.k8s.yaml per gateway into this directory (default: stdout)')
    .option('--prune', 'delete the files an earlier synth into the -o directory wrote that this run no longer generates (e.g. a removed gateway); other files are never touched')
    .option('--replicas <n>', 'Envoy replicas of each gateway; each enforces its share of the rate limit, as `explain --replicas` shows (default: 2)', positiveInteger)
    .option('--reconcile-job', 'also write the reconcile CronJob (and its RBAC) of each namespace: <namespace>.aigate-reconcile.job.k8s.yaml')
    .action((paths: string[], options: SynthOptions) => synth(paths, options, ctx));
}
