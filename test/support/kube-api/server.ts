/**
 * An in-process emulation of the few kube-apiserver endpoints the reconcile job (and kubectl get/wait)
 * use, over real HTTP on 127.0.0.1. Test support only: see README.md beside this file for what is and
 * is not emulated.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { KubeObject, Registry, ResourceDef, defsFromCrd } from './resources';
import { ApiRequest, JsonReply, Router } from './router';
import { matchesFields, matchesLabels, parseFieldSelector, parseLabelSelector } from './selectors';
import { ApiError, errors, injectedError } from './status';
import { Store } from './store';
import { compileColumns } from './table';
import { startWatch } from './watch';

export type { KubeObject } from './resources';

export interface KubeApiOptions {
  /** Demand `Authorization: Bearer <token>` on every request (401 Status otherwise). kubectl sends no token over http. */
  requireToken?: string;
  /** CustomResourceDefinitions to register at start (see registerCrd). */
  crds?: unknown[];
  /** Clock for creationTimestamp and Table ages. */
  now?: () => Date;
  /** What /version reports (default 1.32, the kubectl on this machine). */
  serverVersion?: { major: string; minor: string };
  /** Namespace of the kubeconfig context (default "default"). */
  namespace?: string;
  /** Serve HTTPS with this certificate (e.g. `testCa().issue([])`); the kubeconfig then trusts `caPem`. */
  tls?: { cert: string; key: string; caPem: string };
}

export interface RequestRecord {
  method: string;
  path: string;
  query: Record<string, string>;
  contentType?: string;
  accept?: string;
  /** HTTP status sent; 0 while the response is still pending (e.g. an injected delay). */
  status: number;
  /** The request body, parsed as JSON when it is JSON. */
  body?: unknown;
  /** The response came from failNext. */
  injected: boolean;
  watch: boolean;
}

/** Matches requests; a string path is exact or a glob (`*` = one path segment's characters, `**` = anything). */
export interface RequestFilter {
  method?: string;
  path?: string | RegExp;
  status?: number;
  contentType?: string;
  injected?: boolean;
  watch?: boolean;
}

export interface Fault {
  method?: string;
  /** Exact path, glob (`*`, `**`) or RegExp; omitted = any path. */
  pathPattern?: string | RegExp;
  /** Answer with this status and a `kind: Status` body; omitted with delayMs = delay, then answer normally. */
  status?: number;
  reason?: string;
  message?: string;
  /** How many matching requests this fault applies to (default 1). */
  times?: number;
  /** Hold the response this long before answering (the write itself still happens after the delay). */
  delayMs?: number;
  /** Seconds: sets the Retry-After header and details.retryAfterSeconds. */
  retryAfter?: number;
}

/** `"aigate/ns/name"`, `"kind/name"` (default namespace), `{kind, name, namespace?}`, or an object with apiVersion/kind/metadata. */
export type ObjectRef = string | { kind: string; name: string; namespace?: string; apiVersion?: string } | KubeObject;

export interface KubeconfigOptions {
  namespace?: string;
  /** Bearer token to put in the user entry (default: requireToken, if set). */
  token?: string;
}

export interface KubeApi {
  readonly url: string;
  /** The store's current resourceVersion (global counter). */
  readonly resourceVersion: string;
  close(): Promise<void>;
  kubeconfig(opts?: KubeconfigOptions): string;
  /** Writes kubeconfig() to a file in a temp folder (removed by close()) and returns its path. */
  kubeconfigFile(opts?: KubeconfigOptions): string;
  /** Serves a CRD's versions; for aigates this brings its printer columns, shortNames and categories. */
  registerCrd(crd: unknown): void;
  /** Creates or replaces an object as given (status included), bumping resourceVersion/generation like a write. */
  put(obj: KubeObject): KubeObject;
  get(ref: ObjectRef): KubeObject | undefined;
  delete(ref: ObjectRef): boolean;
  list(kind: string, opts?: { namespace?: string; labelSelector?: string; fieldSelector?: string }): KubeObject[];
  readonly requests: readonly RequestRecord[];
  resetRequests(): void;
  count(filter?: RequestFilter | ((r: RequestRecord) => boolean)): number;
  failNext(fault: Fault): void;
  clearFaults(): void;
  pendingFaults(): number;
}

function globToRegExp(glob: string): RegExp {
  const body = glob
    .split(/(\*\*|\*)/)
    .map((part) => (part === '**' ? '.*' : part === '*' ? '[^/]*' : part.replace(/[.+?^${}()|[\]\\]/g, '\\$&')))
    .join('');
  return new RegExp(`^${body}$`);
}

export function pathMatches(pattern: string | RegExp, path: string): boolean {
  return typeof pattern === 'string' ? globToRegExp(pattern).test(path) : pattern.test(path);
}

class KubeApiServer implements KubeApi {
  url = '';
  readonly requests: RequestRecord[] = [];
  private readonly registry = new Registry();
  private readonly store: Store;
  private readonly router: Router;
  private readonly server: Server;
  private faults: (Fault & { left: number })[] = [];
  private readonly pending = new Set<() => void>();
  private readonly watches = new Set<() => void>();
  private tmpDir?: string;
  private readonly now: () => Date;

  constructor(private readonly opts: KubeApiOptions) {
    this.now = opts.now ?? (() => new Date());
    this.store = new Store(this.now);
    this.router = new Router(this.registry, this.store, {
      address: () => this.url.replace(/^https?:\/\//, ''),
      now: this.now,
    });
    for (const crd of opts.crds ?? []) this.registerCrd(crd);
    const handler = (req: IncomingMessage, res: ServerResponse) => void this.onRequest(req, res);
    this.server = opts.tls ? createHttpsServer({ cert: opts.tls.cert, key: opts.tls.key }, handler) : createServer(handler);
  }

  async listen(): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(0, '127.0.0.1', () => resolve());
    });
    const { port } = this.server.address() as AddressInfo;
    this.url = `${this.opts.tls ? 'https' : 'http'}://127.0.0.1:${port}`;
  }

  get resourceVersion(): string {
    return this.store.resourceVersion;
  }

  async close(): Promise<void> {
    for (const end of [...this.watches]) end();
    for (const release of [...this.pending]) release();
    this.faults = [];
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
    if (this.tmpDir) rmSync(this.tmpDir, { recursive: true, force: true });
  }

  kubeconfig(opts: KubeconfigOptions = {}): string {
    const token = opts.token ?? this.opts.requireToken;
    return stringify({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [
        {
          name: 'kube-api-emulator',
          cluster: this.opts.tls
            ? { server: this.url, 'certificate-authority-data': Buffer.from(this.opts.tls.caPem).toString('base64') }
            : { server: this.url, 'insecure-skip-tls-verify': true },
        },
      ],
      users: [{ name: 'kube-api-emulator', user: token ? { token } : {} }],
      contexts: [
        {
          name: 'kube-api-emulator',
          context: { cluster: 'kube-api-emulator', user: 'kube-api-emulator', namespace: opts.namespace ?? this.opts.namespace ?? 'default' },
        },
      ],
      'current-context': 'kube-api-emulator',
      preferences: {},
    });
  }

  kubeconfigFile(opts?: KubeconfigOptions): string {
    this.tmpDir ??= mkdtempSync(join(tmpdir(), 'kube-api-'));
    const file = join(this.tmpDir, `kubeconfig-${Math.random().toString(36).slice(2, 8)}`);
    writeFileSync(file, this.kubeconfig(opts), { mode: 0o600 });
    return file;
  }

  registerCrd(crd: unknown): void {
    const defs = defsFromCrd(crd);
    for (const d of defs) compileColumns(d.printerColumns ?? []); // throws on a JSONPath the emulator cannot evaluate
    this.registry.add(defs);
  }

  private defFor(obj: KubeObject): ResourceDef {
    const def = obj.apiVersion && obj.kind ? this.registry.byApiVersionKind(obj.apiVersion, obj.kind) : obj.kind ? this.registry.resolve(obj.kind) : undefined;
    if (!def) throw new Error(`kube-api: no served resource for apiVersion=${obj.apiVersion} kind=${obj.kind}`);
    return def;
  }

  private resolveRef(ref: ObjectRef): { def: ResourceDef; namespace?: string; name: string } {
    if (typeof ref === 'string') {
      const parts = ref.split('/');
      if (parts.length < 2 || parts.length > 3) throw new Error(`kube-api: a ref string is "kind/namespace/name" or "kind/name", got "${ref}"`);
      const def = this.registry.resolve(parts[0]);
      if (!def) throw new Error(`kube-api: unknown kind "${parts[0]}"`);
      const [namespace, name] = parts.length === 3 ? [parts[1], parts[2]] : [undefined, parts[1]];
      return { def, namespace: def.namespaced ? namespace ?? 'default' : undefined, name };
    }
    if ('metadata' in ref && ref.metadata) {
      const def = this.defFor(ref as KubeObject);
      return { def, namespace: def.namespaced ? ref.metadata.namespace ?? 'default' : undefined, name: ref.metadata.name ?? '' };
    }
    const r = ref as { kind: string; name: string; namespace?: string; apiVersion?: string };
    const def = r.apiVersion ? this.registry.byApiVersionKind(r.apiVersion, r.kind) : this.registry.resolve(r.kind);
    if (!def) throw new Error(`kube-api: unknown kind "${r.kind}"`);
    return { def, namespace: def.namespaced ? r.namespace ?? 'default' : undefined, name: r.name };
  }

  put(obj: KubeObject): KubeObject {
    return this.store.put(this.defFor(obj), obj);
  }

  get(ref: ObjectRef): KubeObject | undefined {
    const r = this.resolveRef(ref);
    return this.store.get(r.def, r.namespace, r.name);
  }

  delete(ref: ObjectRef): boolean {
    const r = this.resolveRef(ref);
    if (!this.store.get(r.def, r.namespace, r.name)) return false;
    this.store.delete(r.def, r.namespace, r.name);
    return true;
  }

  list(kind: string, opts: { namespace?: string; labelSelector?: string; fieldSelector?: string } = {}): KubeObject[] {
    const def = this.registry.resolve(kind);
    if (!def) throw new Error(`kube-api: unknown kind "${kind}"`);
    const labels = parseLabelSelector(opts.labelSelector ?? '');
    const fields = parseFieldSelector(opts.fieldSelector ?? '', def.custom);
    return this.store.list(def, opts.namespace).filter((o) => matchesLabels(labels, o.metadata?.labels) && matchesFields(fields, o));
  }

  resetRequests(): void {
    this.requests.length = 0;
  }

  count(filter: RequestFilter | ((r: RequestRecord) => boolean) = {}): number {
    if (typeof filter === 'function') return this.requests.filter(filter).length;
    return this.requests.filter(
      (r) =>
        (filter.method === undefined || r.method === filter.method.toUpperCase()) &&
        (filter.path === undefined || pathMatches(filter.path, r.path)) &&
        (filter.status === undefined || r.status === filter.status) &&
        (filter.contentType === undefined || r.contentType === filter.contentType) &&
        (filter.injected === undefined || r.injected === filter.injected) &&
        (filter.watch === undefined || r.watch === filter.watch),
    ).length;
  }

  failNext(fault: Fault): void {
    if (fault.status === undefined && fault.delayMs === undefined) throw new Error('kube-api: failNext needs a status or a delayMs');
    this.faults.push({ ...fault, left: fault.times ?? 1 });
  }

  clearFaults(): void {
    this.faults = [];
  }

  pendingFaults(): number {
    return this.faults.reduce((n, f) => n + f.left, 0);
  }

  private takeFault(method: string, path: string): Fault | undefined {
    const f = this.faults.find(
      (x) => x.left > 0 && (!x.method || x.method.toUpperCase() === method) && (!x.pathPattern || pathMatches(x.pathPattern, path)),
    );
    if (!f) return undefined;
    f.left--;
    this.faults = this.faults.filter((x) => x.left > 0);
    return f;
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const release = () => {
        clearTimeout(timer);
        this.pending.delete(release);
        resolve();
      };
      const timer = setTimeout(release, ms);
      this.pending.add(release);
    });
  }

  private async onRequest(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = Buffer.concat(chunks);
    const u = new URL(req.url ?? '/', 'http://127.0.0.1');
    const path = u.pathname.length > 1 ? u.pathname.replace(/\/+$/, '') : u.pathname;
    const watch = ['true', '1'].includes(u.searchParams.get('watch') ?? '');
    const record: RequestRecord = {
      method: req.method ?? 'GET',
      path,
      query: Object.fromEntries(u.searchParams),
      status: 0,
      injected: false,
      watch,
    };
    if (req.headers['content-type']) record.contentType = req.headers['content-type'];
    if (req.headers.accept) record.accept = req.headers.accept;
    if (body.length) {
      const text = body.toString('utf8');
      try {
        record.body = JSON.parse(text);
      } catch {
        record.body = text;
      }
    }
    this.requests.push(record);
    const apiReq: ApiRequest = { method: record.method, path, query: u.searchParams, headers: req.headers, body };
    let reply: JsonReply;
    try {
      if (this.opts.requireToken && req.headers.authorization !== `Bearer ${this.opts.requireToken}`) throw errors.unauthorized();
      const fault = this.takeFault(record.method, path);
      if (fault) {
        record.injected = true;
        if (fault.delayMs) await this.sleep(fault.delayMs);
        if (fault.status !== undefined) throw injectedError(fault.status, fault.retryAfter, fault.message, fault.reason);
      }
      reply = this.route(apiReq, res, record);
      if (reply.status === -1) return; // a watch took over the response
    } catch (e) {
      const err = e instanceof ApiError ? e : new ApiError(500, `Internal error occurred: ${(e as Error).message}`, 'InternalError');
      reply = { status: err.code, body: err.toStatus() };
      for (const [k, v] of Object.entries(err.headers)) res.setHeader(k, v);
    }
    record.status = reply.status;
    if (res.destroyed || res.writableEnded) return;
    const text = typeof reply.body === 'string' ? reply.body : JSON.stringify(reply.body);
    res.writeHead(reply.status, { 'Content-Type': reply.contentType ?? (typeof reply.body === 'string' ? 'text/plain; charset=utf-8' : 'application/json') });
    res.end(text);
  }

  private route(req: ApiRequest, res: ServerResponse, record: RequestRecord): JsonReply {
    if (req.path === '/version') {
      const v = this.opts.serverVersion ?? { major: '1', minor: '32' };
      return { status: 200, body: { major: v.major, minor: v.minor, gitVersion: `v${v.major}.${v.minor}.0`, platform: `${process.platform}/${process.arch === 'x64' ? 'amd64' : process.arch}` } };
    }
    if (['/healthz', '/readyz', '/livez'].includes(req.path)) return { status: 200, body: 'ok' };
    const target = this.router.resolve(req.path);
    if ('discovery' in target) {
      if (req.method !== 'GET') throw new ApiError(405, `the server does not allow this method on the requested resource`, 'MethodNotAllowed');
      return this.router.discovery(target.discovery);
    }
    if (record.watch && req.method === 'GET' && target.name === undefined) {
      startWatch(req, target, res, this.store, this.router, (end) => {
        this.watches.add(end);
        return () => this.watches.delete(end);
      });
      record.status = 200;
      return { status: -1, body: null };
    }
    return this.router.handle(req, target);
  }
}

export async function startKubeApi(opts: KubeApiOptions = {}): Promise<KubeApi> {
  const api = new KubeApiServer(opts);
  await api.listen();
  return api;
}
