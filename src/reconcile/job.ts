/**
 * The reconcile job as the CronJob runs it (`job-entry.ts` is the bundle's entry point):
 *
 *   node aigate-reconcile.js --namespace <ns> | --all-namespaces  [--deadline 45s] [--request-timeout 10s]
 *                            [--server https://host:port] [--service-account-dir <dir>]
 *
 * It talks to the API with its own small client (`rest-client.ts`) and the pod's service account:
 * the token and CA in /var/run/secrets/kubernetes.io/serviceaccount, the server from
 * KUBERNETES_SERVICE_HOST/PORT. `--server` and `--service-account-dir` (a folder with `token` and
 * `ca.crt`, e.g. from `kubectl create token`) try the bundle outside a pod. It runs once, and
 * exits 0 when every status was written or unchanged, 1 when any gateway (named in the last log
 * line) failed, 2 on bad arguments. (`aigate reconcile` does the same from a kubeconfig.)
 */
import { durationSeconds } from '../spec/primitives';
import type { Scope } from './client';
import type { Logger } from './log';
import { inClusterConnection, restKubeClient } from './rest-client';
import { reconcileOnce } from './run';

export const JOB_EXIT = { ok: 0, failed: 1, usage: 2 } as const;

export interface JobArgs {
  readonly scope: Scope;
  readonly deadlineMs?: number;
  readonly requestTimeoutMs?: number;
  readonly server?: string;
  readonly serviceAccountDir?: string;
}

/** Parses the job's arguments; throws an Error naming the bad argument. */
export function parseJobArgs(argv: readonly string[]): JobArgs {
  let namespace: string | undefined;
  let all = false;
  let deadlineMs: number | undefined;
  let requestTimeoutMs: number | undefined;
  let server: string | undefined;
  let serviceAccountDir: string | undefined;
  const value = (i: number, flag: string) => {
    const v = argv[i + 1];
    if (v === undefined || v.startsWith('--')) throw new Error(`${flag} needs a value`);
    return v;
  };
  const ms = (text: string, flag: string) => {
    try {
      return durationSeconds(text) * 1000;
    } catch {
      throw new Error(`${flag}: ${JSON.stringify(text)} is not a duration such as "45s" or "2m"`);
    }
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--namespace') namespace = value(i++, arg);
    else if (arg === '--all-namespaces') all = true;
    else if (arg === '--deadline') deadlineMs = ms(value(i++, arg), arg);
    else if (arg === '--request-timeout') requestTimeoutMs = ms(value(i++, arg), arg);
    else if (arg === '--server') server = value(i++, arg);
    else if (arg === '--service-account-dir') serviceAccountDir = value(i++, arg);
    else {
      throw new Error(
        `unknown argument ${JSON.stringify(arg)} (allowed: --namespace <ns>, --all-namespaces, --deadline <duration>, --request-timeout <duration>, --server <https://host:port>, --service-account-dir <dir>)`,
      );
    }
  }
  if (all && namespace) throw new Error('--namespace and --all-namespaces exclude each other');
  if (!all && !namespace) throw new Error('--namespace <ns> or --all-namespaces is required');
  return {
    scope: all ? { allNamespaces: true } : { namespace: namespace! },
    ...(deadlineMs !== undefined && { deadlineMs }),
    ...(requestTimeoutMs !== undefined && { requestTimeoutMs }),
    ...(server !== undefined && { server }),
    ...(serviceAccountDir !== undefined && { serviceAccountDir }),
  };
}

/** Runs the job once; returns the process exit code. Never throws. */
export async function runJob(argv: readonly string[], log: Logger): Promise<number> {
  const started = Date.now();
  let args: JobArgs;
  try {
    args = parseJobArgs(argv);
  } catch (err) {
    log({ action: 'start', outcome: 'failed', message: (err as Error).message });
    return JOB_EXIT.usage;
  }
  try {
    const connection = inClusterConnection({
      ...(args.server !== undefined && { server: args.server }),
      ...(args.serviceAccountDir !== undefined && { serviceAccountDir: args.serviceAccountDir }),
    });
    const client = restKubeClient(connection, { ...(args.requestTimeoutMs !== undefined && { requestTimeoutMs: args.requestTimeoutMs }) });
    const result = await reconcileOnce(client, {
      scope: args.scope,
      log,
      ...(args.deadlineMs !== undefined && { deadline: started + args.deadlineMs }),
    });
    return result.ok ? JOB_EXIT.ok : JOB_EXIT.failed;
  } catch (err) {
    log({ action: 'run', outcome: 'failed', message: `${(err as Error).name}: ${(err as Error).message}` });
    return JOB_EXIT.failed;
  }
}
