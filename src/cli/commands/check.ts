import { Command } from 'commander';
import { renderGateway } from '../../constructs';
import type { SecretKeyReader } from '../../reconcile/client';
import { describeFailure } from '../../reconcile/retry';
import type { CliContext } from '../context';
import { CliError, EXIT } from '../errors';
import type { LoadedGateway } from '../gateways';
import { loadOrFail } from '../load';

export interface CheckCliOptions {
  readonly file?: string[];
  readonly namespace?: string;
  readonly offline?: boolean;
  readonly kubeconfig?: string;
  readonly context?: string;
}

/** One Secret key a gateway's pod mounts (from the generated `secretFiles`: credentials and the client API keys). */
export interface NeededKey {
  readonly gateway: string;
  /** The gateway's namespace, when its metadata names one. */
  readonly namespace?: string;
  readonly secretName: string;
  readonly key: string;
}

/** What the cluster holds for one needed key. Never a value: only whether the Secret and its key exist. */
export type KeyState = { readonly state: 'present' } | { readonly state: 'no-secret' } | { readonly state: 'no-key'; readonly keys: readonly string[] } | { readonly state: 'unknown'; readonly error: string };

/** The Secret keys each gateway needs, in input order, each once per gateway. */
export function neededKeys(gateways: readonly LoadedGateway[]): NeededKey[] {
  return gateways.flatMap((g) => {
    const { name, namespace } = g.resource.metadata;
    const { gateway } = renderGateway({ metadata: g.resource.metadata, spec: g.raw.spec as never, source: g.source.file });
    return gateway.envoy.secretFiles.map((f) => ({ gateway: name, ...(namespace && { namespace }), secretName: f.secretName, key: f.key }));
  });
}

/** Looks each needed key up (one read per Secret); the reader returns key names only. */
export async function keyStates(needed: readonly NeededKey[], reader: SecretKeyReader, namespaceOf: (k: NeededKey) => string): Promise<KeyState[]> {
  const reads = new Map<string, Promise<KeyState | readonly string[]>>();
  return Promise.all(
    needed.map(async (k) => {
      const id = `${namespaceOf(k)}/${k.secretName}`;
      if (!reads.has(id)) {
        reads.set(
          id,
          reader.secretKeys(namespaceOf(k), k.secretName).then(
            (keys) => keys ?? { state: 'no-secret' as const },
            (err: unknown) => ({ state: 'unknown' as const, error: describeFailure(err).message }),
          ),
        );
      }
      const found = await reads.get(id)!;
      if (!Array.isArray(found)) return found as KeyState;
      return found.includes(k.key) ? { state: 'present' } : { state: 'no-key', keys: found };
    }),
  );
}

function describeState(s: KeyState, namespace: string, secretName: string, key: string): string {
  switch (s.state) {
    case 'present':
      return 'present';
    case 'no-secret':
      return `MISSING: no Secret ${secretName} in namespace ${namespace}`;
    case 'no-key':
      return `MISSING: Secret ${secretName} has no key ${JSON.stringify(key)} (its keys: ${s.keys.length > 0 ? s.keys.map((k) => JSON.stringify(k)).join(', ') : 'none'})`;
    case 'unknown':
      return `UNKNOWN: ${s.error}`;
  }
}

export async function check(paths: string[], options: CheckCliOptions, ctx: CliContext): Promise<void> {
  if (options.offline && (options.kubeconfig || options.context)) throw new CliError('--offline excludes --kubeconfig and --context', EXIT.usage);
  const needed = neededKeys(loadOrFail([...paths, ...(options.file ?? [])], ctx));
  const line = (k: NeededKey, namespace: string, status?: string) => `${namespace}/${k.gateway}: Secret ${k.secretName}, key ${k.key}${status ? `: ${status}` : ''}\n`;
  if (needed.length === 0) {
    ctx.stdout('no gateway needs a Secret\n');
    return;
  }
  if (options.offline) {
    for (const k of needed) ctx.stdout(line(k, k.namespace ?? options.namespace ?? '(namespace of apply)'));
    return;
  }

  // Loaded here, not at start-up: only the cluster commands need @kubernetes/client-node.
  const { kubeClient, loadKubeConfig } = await import('../../reconcile');
  let loaded: ReturnType<typeof loadKubeConfig>;
  try {
    loaded = loadKubeConfig({ ...(options.kubeconfig && { kubeconfig: options.kubeconfig }), ...(options.context && { context: options.context }) });
  } catch (err) {
    throw new CliError(`cannot load the kubeconfig: ${(err as Error).message} (or run with --offline to only list the Secret keys)`);
  }
  const fallback = options.namespace ?? loaded.namespace ?? 'default';
  const namespaceOf = (k: NeededKey) => k.namespace ?? fallback;
  const states = await keyStates(needed, kubeClient(loaded.kc), namespaceOf);
  needed.forEach((k, i) => ctx.stdout(line(k, namespaceOf(k), describeState(states[i], namespaceOf(k), k.secretName, k.key))));
  const bad = states.filter((s) => s.state !== 'present').length;
  if (bad > 0) {
    throw new CliError(`${bad} of ${needed.length} Secret key${needed.length === 1 ? '' : 's'} the gateways need ${bad === 1 ? 'is' : 'are'} missing or could not be checked: the pods would not start (create them, e.g. kubectl create secret generic NAME --from-file=KEY=path)`);
  }
  ctx.stderr(`all ${needed.length} Secret key${needed.length === 1 ? '' : 's'} the gateways need exist\n`);
}

export function checkCommand(ctx: CliContext): Command {
  return new Command('check')
    .description('Preflight: list the Secrets and keys each gateway mounts and, with cluster access, whether they exist (never prints a value)')
    .argument('[paths...]', 'YAML files or directories ("-" reads stdin)')
    .option('-f, --file <paths...>', 'YAML files or directories ("-" reads stdin); same as the arguments')
    .option('-n, --namespace <ns>', "namespace of gateways that name none (default: the kubeconfig context's, else default)")
    .option('--offline', 'only list the Secret keys; do not contact the cluster')
    .option('--kubeconfig <path>', 'kubeconfig file (default: $KUBECONFIG, else ~/.kube/config)')
    .option('--context <name>', 'kubeconfig context (default: the current one)')
    .action((paths: string[], options: CheckCliOptions) => check(paths, options, ctx));
}
