/**
 * The one function that changes a generated bootstrap before a test runs it in a real Envoy, and
 * only in four ways (test/e2e/adapt.test.ts proves nothing else differs):
 * - upstream addresses: a cluster's socket addresses point at a local mock server;
 * - trust anchors: the image's CA bundle becomes the test CA (TLS upstreams, JWKS);
 * - file paths: /etc/envoy/… and /etc/aigateway/… move under a temp directory (also inside Lua
 *   source and the SDS side files, which name mounted Secret files);
 * - ports: the public, ops and admin ports become free loopback ports.
 */
import { SYSTEM_CA_BUNDLE } from '../../../src/envoy/clusters';
import { ENVOY_PORTS } from '../../../src/envoy';

type Json = any;

export interface TestAdaptation {
  /** Directory standing in for the container's root: "/etc/envoy/x" becomes `${root}/etc/envoy/x`. */
  readonly root: string;
  /** Cluster name -> loopback port of the mock serving it (all its endpoints go there). */
  readonly upstreams?: Readonly<Record<string, number>>;
  /** PEM file that replaces the image's CA bundle. @default the bundle path is kept */
  readonly trustedCa?: string;
  /** Ports replacing ENVOY_PORTS (http, ops, admin). */
  readonly ports: { readonly http: number; readonly ops: number; readonly admin: number };
}

/**
 * The path of `key` inside the node at `path`: `a.b`, `a[0]`, and `a["envoy.filters.x"]` for keys
 * that are not identifiers (typed_extension_protocol_options is keyed by dotted type names, which
 * `a.envoy.filters.x` would make ambiguous).
 */
export function childPath(path: string, key: string | number): string {
  if (typeof key === 'number') return `${path}[${key}]`;
  if (!/^[A-Za-z_$][A-Za-z0-9_$]*$/.test(key)) return `${path}[${JSON.stringify(key)}]`;
  return path ? `${path}.${key}` : key;
}

/** The value at a path childPath wrote, or undefined when there is none. */
export function valueAt(root: Json, path: string): Json {
  const steps = [...path.matchAll(/\.?([A-Za-z_$][A-Za-z0-9_$]*)|\[(\d+)\]|\[("(?:[^"\\]|\\.)*")\]/g)];
  return steps.reduce((node, [, key, index, quoted]) => node?.[key ?? (index !== undefined ? Number(index) : JSON.parse(quoted))], root);
}

/** One change adaptForTest made: where (a childPath path), and which of the four kinds. */
export interface Adaptation {
  readonly path: string;
  readonly kind: 'upstream' | 'trust' | 'file' | 'port';
}

const FILE_PREFIX = /(^|[^A-Za-z0-9_./-])(\/etc\/(?:envoy|aigateway)\/)/g;

/** A text with every container path under the two config roots moved under `root`. */
export function relocatePaths(text: string, root: string): string {
  return text.replace(FILE_PREFIX, (_m, before: string, prefix: string) => `${before}${root}${prefix}`);
}

const PORT_MAP = (ports: TestAdaptation['ports']): Record<number, number> => ({
  [ENVOY_PORTS.http]: ports.http,
  [ENVOY_PORTS.ops]: ports.ops,
  [ENVOY_PORTS.admin]: ports.admin,
});

/**
 * A copy of `bootstrap` adapted as the header says, with the list of changes made. Unknown clusters
 * in `upstreams` are an error (a typo would otherwise leave the test talking to nothing).
 */
export function adaptForTest(bootstrap: Json, adaptation: TestAdaptation): { bootstrap: Json; changes: Adaptation[] } {
  const copy = JSON.parse(JSON.stringify(bootstrap));
  const changes: Adaptation[] = [];
  const ports = PORT_MAP(adaptation.ports);
  const clusters: Json[] = copy.static_resources?.clusters ?? [];
  for (const name of Object.keys(adaptation.upstreams ?? {})) {
    if (!clusters.some((c) => c.name === name)) throw new Error(`adaptForTest: no cluster ${name} (clusters: ${clusters.map((c) => c.name).join(', ')})`);
  }

  const setPort = (address: Json, path: string) => {
    const to = ports[address.port_value];
    if (to !== undefined) {
      address.port_value = to;
      changes.push({ path: `${path}.port_value`, kind: 'port' });
    }
  };
  // Listeners and admin: the three container ports.
  for (const [i, listener] of (copy.static_resources?.listeners ?? []).entries()) {
    if (listener.address?.socket_address) setPort(listener.address.socket_address, `static_resources.listeners[${i}].address.socket_address`);
  }
  if (copy.admin?.address?.socket_address) setPort(copy.admin.address.socket_address, 'admin.address.socket_address');
  // Clusters: mocks for the named ones; the admin cluster follows the admin port.
  for (const [i, cluster] of clusters.entries()) {
    const mock = adaptation.upstreams?.[cluster.name];
    for (const [j, locality] of (cluster.load_assignment?.endpoints ?? []).entries()) {
      for (const [k, lb] of (locality.lb_endpoints ?? []).entries()) {
        const address = lb.endpoint?.address?.socket_address;
        if (!address) continue;
        const at = `static_resources.clusters[${i}].load_assignment.endpoints[${j}].lb_endpoints[${k}].endpoint.address.socket_address`;
        if (mock !== undefined) {
          address.address = '127.0.0.1';
          address.port_value = mock;
          changes.push({ path: at, kind: 'upstream' });
        } else if (address.address === '127.0.0.1') {
          setPort(address, at);
        }
      }
    }
  }
  // Strings: file paths and the CA bundle, wherever they appear (SDS sources, Lua CONFIG, TLS).
  const walk = (node: Json, path: string): Json => {
    if (typeof node === 'string') {
      if (adaptation.trustedCa && node === SYSTEM_CA_BUNDLE) {
        changes.push({ path, kind: 'trust' });
        return adaptation.trustedCa;
      }
      const moved = relocatePaths(node, adaptation.root);
      if (moved !== node) changes.push({ path, kind: 'file' });
      return moved;
    }
    if (Array.isArray(node)) return node.map((v, i) => walk(v, childPath(path, i)));
    if (node && typeof node === 'object') {
      for (const key of Object.keys(node)) node[key] = walk(node[key], childPath(path, key));
    }
    return node;
  };
  return { bootstrap: walk(copy, ''), changes };
}

/**
 * Every leaf where `after` differs from `before`, as JSON paths (keys added or removed count).
 * The adapt test checks each against the changes adaptForTest reported.
 */
export function differingLeaves(before: Json, after: Json, path = ''): string[] {
  if (before === after) return [];
  const bothObjects = before && after && typeof before === 'object' && typeof after === 'object' && Array.isArray(before) === Array.isArray(after);
  if (!bothObjects) return [path];
  const keys = new Set([...Object.keys(before), ...Object.keys(after)]);
  return [...keys].flatMap((k) => differingLeaves(before[k], after[k], childPath(path, Array.isArray(before) ? Number(k) : k)));
}
