/**
 * Real Envoy processes for the tests: `envoy --mode validate` on a generated pod, and a running
 * gateway on loopback (adapted by adaptForTest only). Each process gets its own base id, free
 * ports, and is killed at the end of the test (or of the jest worker, whatever happens).
 */
import { spawn, type ChildProcess, execFile } from 'child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'fs';
import { createServer } from 'net';
import { tmpdir } from 'os';
import { join } from 'path';
import { adaptForTest, relocatePaths, type Adaptation } from './adapt';
import { envoyBinary } from './binary';
import { podFiles, type PodFiles, type SecretValues } from './pod-files';

type Json = any;

/** A free TCP port on 127.0.0.1 (bound and released; Envoy binds it right after). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

let nextBaseId = 1 + ((process.pid * 37) % 5000) * 10;
const running = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

function bootstrapOf(files: PodFiles): { name: string; bootstrap: Json } {
  const name = files.configPath.replace(/^.*\//, '');
  const text = files.configFiles[name];
  if (text === undefined) throw new Error(`the ConfigMap has no ${name} (the container's --config-path)`);
  return { name, bootstrap: JSON.parse(text) };
}

/** Writes the adapted bootstrap and relocates the paths inside the other ConfigMap files. */
function writeAdapted(files: PodFiles, bootstrap: Json): string {
  const dir = join(files.root, files.configPath.replace(/\/[^/]*$/, ''));
  for (const [key, text] of Object.entries(files.configFiles)) writeFileSync(join(dir, key), relocatePaths(text, files.root));
  const path = join(files.root, files.configPath);
  writeFileSync(path, JSON.stringify(bootstrap, null, 2));
  return path;
}

export interface ValidateResult {
  readonly ok: boolean;
  /** What Envoy printed (its reason when not ok). */
  readonly output: string;
}

/** `envoy --mode validate -c <path>`; `hide` (the temp root) is cut out of Envoy's message. */
function runValidate(path: string, hide: string): Promise<ValidateResult> {
  return new Promise<ValidateResult>((resolve) => {
    execFile(
      envoyBinary(),
      ['--mode', 'validate', '-c', path, '--log-level', 'warn', '--disable-hot-restart', '--base-id', String(nextBaseId++)],
      { timeout: 60000, encoding: 'utf8' },
      (err, stdout, stderr) => {
        const output = `${stdout}${stderr}`.split(hide).join('');
        // Envoy warns (and keeps going) on deprecated fields: for us they are errors.
        const deprecated = /deprecated/i.test(output);
        resolve({ ok: !err && !deprecated && / OK\s*$/.test(stdout.trim() + '\n' + stderr.trim()), output });
      },
    );
  });
}

/**
 * `envoy --mode validate` on the pod the objects describe: the whole config is loaded (formatters,
 * extensions, cross-field rules, referenced files) without serving. Only file paths are moved.
 */
export async function validateWithEnvoy(objects: readonly Json[], secrets: SecretValues = {}): Promise<ValidateResult> {
  const files = podFiles(objects, secrets);
  try {
    const { bootstrap } = bootstrapOf(files);
    const adapted = adaptForTest(bootstrap, { root: files.root, ports: { http: 8080, ops: 19001, admin: 9901 } });
    return await runValidate(writeAdapted(files, adapted.bootstrap), files.root);
  } finally {
    files.cleanup();
  }
}

/** `envoy --mode validate` on a bootstrap that needs no files (e.g. a hand-written probe of one field). */
export async function validateBootstrap(bootstrap: Json): Promise<ValidateResult> {
  const dir = mkdtempSync(join(tmpdir(), 'aigate-bootstrap-'));
  try {
    const path = join(dir, 'envoy.json');
    writeFileSync(path, JSON.stringify(bootstrap));
    return await runValidate(path, dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export interface GatewayOptions {
  /** Secret values mounted into the pod. */
  readonly secrets?: SecretValues;
  /** Cluster name -> port of the local mock that stands in for it. */
  readonly upstreams?: Readonly<Record<string, number>>;
  /** Test CA (PEM file) trusted instead of the image's bundle. */
  readonly trustedCa?: string;
  /** Envoy --concurrency. @default 1 (so per-worker state such as the cache is deterministic) */
  readonly concurrency?: number;
  /** Envoy --drain-time-s. @default the Deployment's */
  readonly drainTimeSeconds?: number;
  /** @default "warn" */
  readonly logLevel?: string;
}

/** A running Envoy process: its admin, what it printed, and how to stop it. */
export interface RunningEnvoy {
  readonly adminUrl: string;
  /** Lines Envoy wrote to stdout so far (the access log). */
  stdoutLines(): string[];
  /** The access log lines parsed as JSON, waiting up to `timeoutMs` for at least `count`. */
  accessLog(count?: number, timeoutMs?: number): Promise<Json[]>;
  stderr(): string;
  /** SIGTERM, then SIGKILL after 5 s; removes the process's files. */
  stop(): Promise<void>;
  readonly process: ChildProcess;
}

export interface RunningGateway extends RunningEnvoy {
  /** http://127.0.0.1:<public port> */
  readonly url: string;
  readonly opsUrl: string;
  readonly files: PodFiles;
  readonly changes: readonly Adaptation[];
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitReady(adminUrl: string, child: ChildProcess, stderr: () => string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`envoy exited with ${child.exitCode} before it was ready:\n${stderr()}`);
    try {
      const res = await fetch(`${adminUrl}/ready`);
      if (res.status === 200) return;
    } catch {
      /* not listening yet */
    }
    await sleep(50);
  }
  throw new Error(`envoy was not ready after ${timeoutMs} ms:\n${stderr()}`);
}

function argsFor(objects: readonly Json[], configPath: string, options: GatewayOptions): string[] {
  const deployment = objects.find((o) => o.kind === 'Deployment' && o.spec?.template?.spec?.containers?.some((c: Json) => c.name === 'envoy'));
  const container = deployment.spec.template.spec.containers.find((c: Json) => c.name === 'envoy');
  const args: string[] = [...container.args];
  const set = (flag: string, value: string) => {
    const i = args.indexOf(flag);
    if (i >= 0) args[i + 1] = value;
    else args.push(flag, value);
  };
  set('--config-path', configPath);
  set('--log-level', options.logLevel ?? 'warn');
  set('--concurrency', String(options.concurrency ?? 1));
  if (options.drainTimeSeconds !== undefined) set('--drain-time-s', String(options.drainTimeSeconds));
  set('--base-id', String(nextBaseId++));
  // The access log goes through Envoy's buffered log writer: flush it promptly for the assertions.
  set('--file-flush-interval-msec', '20');
  return args;
}

/**
 * Spawns Envoy with `args` and waits until its admin says ready; `cleanup` runs after it stopped
 * (or failed to start).
 */
async function launchEnvoy(args: string[], adminUrl: string, cleanup: () => void): Promise<RunningEnvoy> {
  const child = spawn(envoyBinary(), args, { stdio: ['ignore', 'pipe', 'pipe'] });
  running.add(child);
  let out = '';
  let err = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (out += d));
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (err += d));
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  child.on('exit', () => running.delete(child));
  const envoy: RunningEnvoy = {
    adminUrl,
    process: child,
    stdoutLines: () => out.split('\n').filter((l) => l.trim() !== ''),
    async accessLog(count = 1, timeoutMs = 5000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const lines = envoy.stdoutLines().filter((l) => l.startsWith('{')).map((l) => JSON.parse(l));
        if (lines.length >= count || Date.now() > deadline) return lines;
        await sleep(20);
      }
    },
    stderr: () => err,
    async stop() {
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
        await exited;
        clearTimeout(timer);
      }
      cleanup();
    },
  };
  try {
    await waitReady(adminUrl, child, () => err, 20000);
  } catch (e) {
    await envoy.stop();
    throw e;
  }
  return envoy;
}

/** Starts the gateway the objects describe on loopback and waits until Envoy is ready. */
export async function startGateway(objects: readonly Json[], options: GatewayOptions = {}): Promise<RunningGateway> {
  const files = podFiles(objects, options.secrets);
  const { bootstrap } = bootstrapOf(files);
  const ports = { http: await freePort(), ops: await freePort(), admin: await freePort() };
  const adapted = adaptForTest(bootstrap, { root: files.root, ports, upstreams: options.upstreams, trustedCa: options.trustedCa });
  const path = writeAdapted(files, adapted.bootstrap);
  const envoy = await launchEnvoy(argsFor(objects, path, options), `http://127.0.0.1:${ports.admin}`, () => files.cleanup());
  return { ...envoy, url: `http://127.0.0.1:${ports.http}`, opsUrl: `http://127.0.0.1:${ports.ops}`, files, changes: adapted.changes };
}

/**
 * Starts Envoy on a bootstrap written by hand (not a generated pod), e.g. a baseline to compare
 * the gateway with. The bootstrap's admin must listen on 127.0.0.1 (see freePort).
 */
export async function startEnvoy(bootstrap: Json, options: Pick<GatewayOptions, 'concurrency' | 'logLevel'> = {}): Promise<RunningEnvoy> {
  const admin = bootstrap.admin?.address?.socket_address;
  if (admin?.address !== '127.0.0.1') throw new Error('startEnvoy: the bootstrap needs admin.address.socket_address on 127.0.0.1');
  const dir = mkdtempSync(join(tmpdir(), 'aigate-envoy-'));
  const path = join(dir, 'envoy.json');
  writeFileSync(path, JSON.stringify(bootstrap, null, 2));
  const args = ['-c', path, '--disable-hot-restart', '--log-level', options.logLevel ?? 'warn', '--concurrency', String(options.concurrency ?? 1), '--base-id', String(nextBaseId++)];
  return launchEnvoy(args, `http://127.0.0.1:${admin.port_value}`, () => rmSync(dir, { recursive: true, force: true }));
}

/** One configuration to validate: a label for the report, the objects, the mounted Secret values. */
export interface ValidateCase {
  readonly label: string;
  readonly objects: readonly Json[];
  readonly secrets?: SecretValues;
}

/** `fn` on every item, at most `concurrency` at a time; results in the items' order. */
export async function mapConcurrent<T, R>(items: readonly T[], concurrency: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await fn(items[index]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
  return results;
}

/**
 * validateWithEnvoy on every case, `concurrency` Envoy processes at a time (each takes ~0.15 s
 * and one core). Returns the failures, in the cases' order, with Envoy's message.
 */
export async function validateAll(cases: readonly ValidateCase[], concurrency = 3): Promise<{ label: string; output: string }[]> {
  const results = await mapConcurrent(cases, concurrency, (c) => validateWithEnvoy(c.objects, c.secrets));
  return cases.flatMap((c, i) => (results[i].ok ? [] : [{ label: c.label, output: results[i].output.trim() }]));
}
