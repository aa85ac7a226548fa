import { Command } from 'commander';
import { stringify } from 'yaml';
import { durationSeconds } from '../../spec/primitives';
import type { RunResult } from '../../reconcile';
import type { CliContext } from '../context';
import { CliError, EXIT } from '../errors';

export interface ReconcileCliOptions {
  readonly namespace?: string;
  readonly allNamespaces?: boolean;
  readonly once?: boolean;
  readonly interval?: string;
  readonly dryRun?: boolean;
  readonly kubeconfig?: string;
  readonly context?: string;
}

/** The dry run's report: one YAML document per gateway with the status it would have. */
export function dryRunYaml(result: RunResult): string {
  return result.gateways
    .map((g) => {
      const fields = Object.entries(g.status ?? {});
      const status = Object.fromEntries(fields.filter(([, v]) => v !== null));
      const removed = fields.filter(([, v]) => v === null).map(([k]) => k);
      return stringify(
        { gateway: g.gateway, outcome: g.outcome, ...(g.status && { status }), ...(removed.length > 0 && { removes: removed }), ...(g.error && { error: g.error }) },
        { aliasDuplicateObjects: false, lineWidth: 0 },
      );
    })
    .join('---\n');
}

/** Runs `run` now and then every `intervalMs` until `signal` aborts; resolves with the last result's success. */
export async function reconcileLoop(run: () => Promise<RunResult>, intervalMs: number, signal: AbortSignal): Promise<boolean> {
  let ok = true;
  while (!signal.aborted) {
    ok = (await run()).ok;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, intervalMs);
      signal.addEventListener('abort', () => (clearTimeout(timer), resolve()), { once: true });
    });
  }
  return ok;
}

function parseInterval(text: string): number {
  let seconds: number;
  try {
    seconds = durationSeconds(text);
  } catch {
    throw new CliError(`--interval: ${JSON.stringify(text)} is not a duration such as "30s" or "2m"`, EXIT.usage);
  }
  if (seconds < 1) throw new CliError(`--interval must be at least 1s, got ${JSON.stringify(text)}`, EXIT.usage);
  return seconds * 1000;
}

export async function reconcile(options: ReconcileCliOptions, ctx: CliContext): Promise<void> {
  if (options.namespace && options.allNamespaces) throw new CliError('--namespace and --all-namespaces exclude each other', EXIT.usage);
  if (options.once && options.interval) throw new CliError('--once and --interval exclude each other', EXIT.usage);
  const intervalMs = options.interval ? parseInterval(options.interval) : undefined;

  // Loaded here, not at start-up: only this command needs @kubernetes/client-node.
  const { jsonLogger, kubeClient, loadKubeConfig, reconcileOnce } = await import('../../reconcile');
  let loaded: ReturnType<typeof loadKubeConfig>;
  try {
    loaded = loadKubeConfig({ ...(options.kubeconfig && { kubeconfig: options.kubeconfig }), ...(options.context && { context: options.context }) });
  } catch (err) {
    throw new CliError(`cannot load the kubeconfig: ${(err as Error).message}`);
  }
  const scope = options.allNamespaces ? { allNamespaces: true as const } : { namespace: options.namespace ?? loaded.namespace ?? 'default' };
  const client = kubeClient(loaded.kc);
  const log = jsonLogger(ctx.stderr);
  const once = async () => {
    const result = await reconcileOnce(client, { scope, log, ...(options.dryRun && { dryRun: true }) });
    if (options.dryRun) ctx.stdout(dryRunYaml(result));
    return result;
  };

  let ok: boolean;
  let last: RunResult | undefined;
  if (intervalMs === undefined) ok = (last = await once()).ok;
  else {
    const stop = new AbortController();
    const onSignal = () => stop.abort();
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
    try {
      ok = await reconcileLoop(once, intervalMs, stop.signal);
    } finally {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    }
  }
  if (!ok) {
    // A run that could not even list the gateways (no cluster, no CRD) says why in the error itself.
    const cause = last && last.gateways.length === 0 ? last.readFailures[0] : undefined;
    throw new CliError(`reconcile failed: ${cause ?? 'the last log line names the gateways and reads that failed'}`);
  }
}

export function reconcileCommand(ctx: CliContext): Command {
  return new Command('reconcile')
    .description('Observe each AIGatewayResource in the cluster and write its status (what the reconcile CronJob runs)')
    .option('-n, --namespace <ns>', "namespace to reconcile (default: the kubeconfig context's, else default)")
    .option('-A, --all-namespaces', 'reconcile every namespace')
    .option('--once', 'run once and exit (the default)')
    .option('--interval <duration>', 'run again after each pause of this length, e.g. 30s, until interrupted')
    .option('--dry-run', 'print the status each gateway would get (YAML) and write nothing')
    .option('--kubeconfig <path>', 'kubeconfig file (default: $KUBECONFIG, else ~/.kube/config)')
    .option('--context <name>', 'kubeconfig context (default: the current one)')
    .action((options: ReconcileCliOptions) => reconcile(options, ctx));
}
