/**
 * The reconcile job's own Kubernetes client: a handful of LISTs and one merge patch over
 * node:https, with the pod's service account. It replaces @kubernetes/client-node in the job's
 * bundle (about 2 MB minified, which made the job's ConfigMap too big for `kubectl apply`'s
 * last-applied-configuration annotation).
 *
 * Why node:https and not the global fetch: Node 20's fetch (undici) takes a CA only through an
 * undici `Agent` passed as `dispatcher`, and Node 20 ships undici without exposing it as a
 * module (`require('undici')` fails without the npm package). `https.request` takes `ca` as is.
 */
import { existsSync, readFileSync } from 'fs';
import { request as httpsRequest, type RequestOptions } from 'https';
import { join } from 'path';
import { API_GROUP, API_VERSION_NAME, PLURAL } from '../spec/names';
import { withServer, type KubeClient, type KubeClientOptions, type Scope } from './client';

/** Where the kubelet mounts a pod's service account token, CA and namespace. */
export const SERVICE_ACCOUNT_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';

/** An API server and how to authenticate to it. */
export interface ApiConnection {
  /** `https://host:port`, no trailing slash. */
  readonly server: string;
  /** PEM bundle the server's certificate must chain to. */
  readonly ca: string;
  /** The bearer token, read for each request: the kubelet rotates projected tokens in place. */
  readonly token: () => string;
}

/** What `inClusterConnection` reads; the defaults are the pod's. */
export interface InClusterOptions {
  /** @default process.env (KUBERNETES_SERVICE_HOST, KUBERNETES_SERVICE_PORT) */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Folder holding `token` and `ca.crt`. @default SERVICE_ACCOUNT_DIR */
  readonly serviceAccountDir?: string;
  /** `https://host:port` instead of the in-cluster Service address. @default from env */
  readonly server?: string;
}

/** The pod's connection: the API Service from the env vars the kubelet sets, the service account's token and CA. */
export function inClusterConnection(options: InClusterOptions = {}): ApiConnection {
  const dir = options.serviceAccountDir ?? SERVICE_ACCOUNT_DIR;
  const tokenFile = join(dir, 'token');
  const caFile = join(dir, 'ca.crt');
  if (!existsSync(tokenFile)) throw new Error(`no service account token at ${tokenFile}: the pod needs automountServiceAccountToken: true`);
  if (!existsSync(caFile)) throw new Error(`no service account CA at ${caFile}`);
  const server = options.server ?? serverFromEnv(options.env ?? process.env);
  if (!/^https:\/\/[^/]+$/.test(server)) throw new Error(`the API server must be an https://host:port URL (a bearer token never goes over plain http), got ${JSON.stringify(server)}`);
  return { server, ca: readFileSync(caFile, 'utf8'), token: () => readFileSync(tokenFile, 'utf8').trim() };
}

function serverFromEnv(env: Readonly<Record<string, string | undefined>>): string {
  const host = env.KUBERNETES_SERVICE_HOST;
  const port = env.KUBERNETES_SERVICE_PORT;
  if (!host || !port) throw new Error('KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT are not set: not running in a pod (pass --server)');
  return `https://${host.includes(':') ? `[${host}]` : host}:${port}`;
}

/** An HTTP error answer, shaped as `describeFailure` reads it (the same fields as client-node's ApiException). */
export class ApiHttpError extends Error {
  constructor(
    readonly code: number,
    readonly body: string,
    readonly headers: Record<string, string>,
  ) {
    super(`HTTP ${code}`);
    this.name = 'ApiHttpError';
  }
}

interface Call {
  readonly method: 'GET' | 'PATCH';
  readonly path: string;
  readonly query?: Record<string, string>;
  readonly contentType?: string;
  readonly body?: unknown;
}

/** One request; resolves with the parsed JSON body of a 2xx answer, rejects with ApiHttpError or the socket's error. */
function send(conn: ApiConnection, call: Call, timeoutMs: number): Promise<unknown> {
  const url = new URL(`${conn.server}${call.path}`);
  for (const [k, v] of Object.entries(call.query ?? {})) url.searchParams.set(k, v);
  const payload = call.body === undefined ? undefined : Buffer.from(JSON.stringify(call.body));
  const options: RequestOptions = {
    method: call.method,
    ca: conn.ca,
    signal: AbortSignal.timeout(timeoutMs),
    headers: {
      Accept: 'application/json',
      Authorization: `Bearer ${conn.token()}`,
      ...(payload && { 'Content-Type': call.contentType ?? 'application/json', 'Content-Length': String(payload.length) }),
    },
  };
  return new Promise((resolve, reject) => {
    const req = httpsRequest(url, options, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', reject);
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        const status = res.statusCode ?? 0;
        if (status < 200 || status >= 300) {
          const headers = Object.fromEntries(Object.entries(res.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(', ') : String(v ?? '')]));
          reject(new ApiHttpError(status, text, headers));
          return;
        }
        try {
          resolve(text ? JSON.parse(text) : {});
        } catch {
          reject(new Error(`the API server answered ${call.method} ${call.path} with a body that is not JSON`));
        }
      });
    });
    req.on('error', reject);
    req.end(payload);
  });
}

/** The collection path of a resource in a scope: `/api/v1/namespaces/ns/services` or `/api/v1/services`. */
function collection(prefix: string, resource: string, scope: Scope): string {
  return 'namespace' in scope ? `${prefix}/namespaces/${encodeURIComponent(scope.namespace)}/${resource}` : `${prefix}/${resource}`;
}

/** Items of a list that carry metadata, typed as the fields the job reads. */
function itemsOf<T>(list: unknown): T[] {
  const items = (list as { items?: unknown[] } | null)?.items ?? [];
  return items.filter((i) => !!(i as { metadata?: unknown } | null)?.metadata) as T[];
}

/** The KubeClient over one API connection. */
export function restKubeClient(conn: ApiConnection, options: KubeClientOptions = {}): KubeClient {
  const timeoutMs = options.requestTimeoutMs ?? 10000;
  const call = async (c: Call) => {
    try {
      return await send(conn, c, timeoutMs);
    } catch (err) {
      throw withServer(err, conn.server);
    }
  };
  const list = async <T>(prefix: string, resource: string, scope: Scope, labelSelector?: string) =>
    itemsOf<T>(await call({ method: 'GET', path: collection(prefix, resource, scope), ...(labelSelector && { query: { labelSelector } }) }));
  const custom = `/apis/${API_GROUP}/${API_VERSION_NAME}`;
  return {
    listGateways: (scope) => list(custom, PLURAL, scope),
    listDeployments: (scope, selector) => list('/apis/apps/v1', 'deployments', scope, selector),
    listServices: (scope) => list('/api/v1', 'services', scope),
    listIngresses: (scope, selector) => list('/apis/networking.k8s.io/v1', 'ingresses', scope, selector),
    listEndpointSlices: (scope, selector) => list('/apis/discovery.k8s.io/v1', 'endpointslices', scope, selector),
    async patchStatus(namespace, name, status) {
      // A JSON merge patch on /status: only the status changes, lists (conditions) are replaced whole.
      const path = `${collection(custom, PLURAL, { namespace })}/${encodeURIComponent(name)}/status`;
      await call({ method: 'PATCH', path, contentType: 'application/merge-patch+json', body: { status } });
    },
  };
}
