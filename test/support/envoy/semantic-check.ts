/**
 * Cross-reference checks on an Envoy v3 bootstrap that the proto schema cannot express but that
 * Envoy enforces when it loads the config (or that make the config silently useless).
 *
 * `checkEnvoySemantics(config)` returns `<json path>: <problem>` strings:
 * - clusters: names unique (and non-empty) in static_resources.clusters.
 * - cluster references exist in static_resources.clusters: route `cluster`, `weighted_clusters`
 *   members, `request_mirror_policies[].cluster` (route, virtual host, route config), every
 *   `GrpcService.envoy_grpc.cluster_name` (ext_authz, ratelimit service, OpenTelemetry tracer and
 *   access logger, ext_proc, ...), every `HttpUri.cluster` (jwt_authn `remote_jwks`, ext_authz
 *   `http_service`, oauth2, ...), tcp_proxy clusters, aggregate clusters, Zipkin/Datadog
 *   collectors, statsd `tcp_cluster_name`, `ApiConfigSource.cluster_names`. Skipped when the
 *   bootstrap gets clusters from CDS. Lua `httpCall` targets cannot be checked statically.
 * - weighted clusters: every weight > 0 and their sum > 0 (Envoy accepts a 0 weight; for generated
 *   configs it means a dead entry, so it is flagged).
 * - listeners: names unique; (address, port, protocol) unique, including `additional_addresses`;
 *   a wildcard address (0.0.0.0 / ::) on a port that another listener uses is flagged; no
 *   listener on the admin port.
 * - route configs: domains unique across virtual hosts (case-insensitive), at most one `*`
 *   (Envoy rejects both).
 * - HTTP connection managers: the router filter is the last HTTP filter and appears once;
 *   cluster `HttpProtocolOptions.http_filters` (upstream filters) end with `upstream_codec`.
 * - every RE2 `RegexMatcher.regex` compiles (RE2 semantics: see re2.ts).
 * - Lua: every source (Lua `default_source_code`, `source_codes.*`, deprecated
 *   `inline_code`, `LuaPerRoute.source_code`; inline, or a `filename` in /etc/envoy read from `files`) compiles and loads under LuaJIT (see lua-check.ts);
 *   `LuaPerRoute.name` names a `source_codes` entry of some Lua filter.
 * - jwt_authn: every `provider_name` in rules / requirement_map names a provider of that filter;
 *   `JwtPerRoute.requirement_name` names a requirement_map entry of some jwt_authn filter.
 */
import { checkLuaSources, LuaSource } from './lua-check';
import { fieldKey, getField, isPlainObject, joinPath, walkEnvoyMessages } from './proto-check';
import { re2ToJs } from './re2';

const ROUTER_TYPE = 'envoy.extensions.filters.http.router.v3.Router';
const UPSTREAM_CODEC_TYPE = 'envoy.extensions.filters.http.upstream_codec.v3.UpstreamCodec';

/** message type → fields holding a cluster name (string or repeated string). */
const CLUSTER_REF_FIELDS: Record<string, string[]> = {
  'envoy.config.route.v3.RouteAction': ['cluster'],
  'envoy.config.route.v3.WeightedCluster.ClusterWeight': ['name'],
  'envoy.config.route.v3.RouteAction.RequestMirrorPolicy': ['cluster'],
  'envoy.config.core.v3.GrpcService.EnvoyGrpc': ['cluster_name'],
  'envoy.config.core.v3.HttpUri': ['cluster'],
  'envoy.config.core.v3.ApiConfigSource': ['cluster_names'],
  'envoy.config.trace.v3.ZipkinConfig': ['collector_cluster'],
  'envoy.config.trace.v3.DatadogConfig': ['collector_cluster'],
  'envoy.config.metrics.v3.StatsdSink': ['tcp_cluster_name'],
  'envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy': ['cluster'],
  'envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy.WeightedCluster.ClusterWeight': ['name'],
  'envoy.extensions.clusters.aggregate.v3.ClusterConfig': ['clusters'],
};

interface Visit {
  type: string;
  value: Record<string, unknown>;
  path: string;
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

function num(v: unknown): number | undefined {
  if (typeof v === 'number') return v;
  if (typeof v === 'string' && /^-?\d+$/.test(v)) return Number(v);
  return undefined;
}

function anyType(v: unknown): string | undefined {
  const t = isPlainObject(v) ? v['@type'] : undefined;
  return typeof t === 'string' ? t.slice(t.lastIndexOf('/') + 1) : undefined;
}

function isWildcard(addr: string): boolean {
  return addr === '0.0.0.0' || addr === '::' || addr === '[::]' || addr === '::0';
}

/** DataSource → inline text (inline_string, or base64 inline_bytes), or undefined. */
function inlineText(ds: unknown): string | undefined {
  const s = getField(ds, 'inline_string');
  if (typeof s === 'string') return s;
  const b = getField(ds, 'inline_bytes');
  // Invalid base64 is reported by the proto walk; do not compile garbage.
  if (typeof b === 'string' && /^[A-Za-z0-9+/_-]*={0,2}$/.test(b)) {
    return Buffer.from(b.replace(/-/g, '+').replace(/_/g, '/'), 'base64').toString('utf8');
  }
  return undefined;
}

function dsPath(base: string, ds: unknown): string {
  return joinPath(base, getField(ds, 'inline_string') !== undefined ? fieldKey(ds, 'inline_string') : fieldKey(ds, 'inline_bytes'));
}

export interface SemanticCheckOptions {
  /** Compile Lua with luajit (default true). */
  lua?: boolean;
  /**
   * The files mounted in CONFIG_DIR beside the bootstrap (ConfigMap key -> text, e.g.
   * `EnvoyConfig.files`): a Lua DataSource `filename` there is read from these, and one that is
   * not among them is an error (Envoy would fail to start), so no script goes unchecked.
   */
  files?: Readonly<Record<string, string>>;
}

/** Where the ConfigMap is mounted (src/envoy ENVOY_CONFIG_DIR). */
const CONFIG_DIR = '/etc/envoy/';

export function checkEnvoySemantics(config: unknown, opts: SemanticCheckOptions = {}): string[] {
  const errors: string[] = [];
  const err = (path: string, msg: string) => errors.push(`${path || '(root)'}: ${msg}`);
  if (!isPlainObject(config)) return ['(root): bootstrap must be an object'];

  const visits: Visit[] = [];
  walkEnvoyMessages(config, (v) => visits.push(v));
  const byType = (t: string) => visits.filter((v) => v.type === t);

  // ---- clusters
  const sr = getField(config, 'static_resources');
  const srKey = fieldKey(config, 'static_resources');
  const clusters = getField(sr, 'clusters');
  const clustersPath = joinPath(srKey, fieldKey(sr, 'clusters'));
  const clusterNames = new Set<string>();
  if (Array.isArray(clusters)) {
    clusters.forEach((c, i) => {
      const name = str(getField(c, 'name'));
      const p = joinPath(joinPath(clustersPath, i), 'name');
      if (!name) return; // PGV reports it
      if (clusterNames.has(name)) err(p, `duplicate cluster name "${name}"`);
      clusterNames.add(name);
    });
  }
  const dyn = getField(config, 'dynamic_resources');
  const usesCds = getField(dyn, 'cds_config') !== undefined || getField(dyn, 'cds_resources_locator') !== undefined;

  if (!usesCds) {
    for (const v of visits) {
      const fields = CLUSTER_REF_FIELDS[v.type];
      if (!fields) continue;
      for (const f of fields) {
        const val = getField(v.value, f);
        const p = joinPath(v.path, fieldKey(v.value, f));
        const names = Array.isArray(val) ? val.map((x, i) => [x, joinPath(p, i)] as const) : [[val, p] as const];
        for (const [n, np] of names) {
          if (typeof n === 'string' && n !== '' && !clusterNames.has(n)) {
            err(np, `unknown cluster "${n}" (not in static_resources.clusters)`);
          }
        }
      }
    }
  }

  // ---- weighted clusters
  for (const v of byType('envoy.config.route.v3.WeightedCluster')) {
    const list = getField(v.value, 'clusters');
    if (!Array.isArray(list)) continue;
    let sum = 0;
    list.forEach((c, i) => {
      const w = num(getField(c, 'weight'));
      sum += w ?? 0;
      if (w === undefined || w <= 0) err(joinPath(joinPath(joinPath(v.path, fieldKey(v.value, 'clusters')), i), 'weight'), `weighted cluster "${String(getField(c, 'name'))}" needs a weight > 0 (got ${w ?? 'none'})`);
    });
    if (sum <= 0) err(v.path, 'weighted_clusters weights must sum to more than 0');
  }

  // ---- listeners
  const admin = getField(config, 'admin');
  const adminSock = getField(getField(admin, 'address'), 'socket_address');
  const adminPort = num(getField(adminSock, 'port_value'));
  const listenerNames = new Map<string, string>();
  const bound: { addr: string; port: number; proto: string; path: string; listener: string }[] = [];
  for (const v of byType('envoy.config.listener.v3.Listener')) {
    const name = str(getField(v.value, 'name')) ?? '';
    if (name) {
      const prev = listenerNames.get(name);
      if (prev) err(joinPath(v.path, 'name'), `duplicate listener name "${name}" (also at ${prev})`);
      else listenerNames.set(name, v.path);
    }
    const addrs: [unknown, string][] = [[getField(v.value, 'address'), joinPath(v.path, fieldKey(v.value, 'address'))]];
    const extra = getField(v.value, 'additional_addresses');
    if (Array.isArray(extra)) {
      extra.forEach((a, i) => addrs.push([getField(a, 'address'), joinPath(joinPath(joinPath(v.path, fieldKey(v.value, 'additional_addresses')), i), 'address')]));
    }
    for (const [a, ap] of addrs) {
      const sock = getField(a, 'socket_address');
      const port = num(getField(sock, 'port_value'));
      const addr = str(getField(sock, 'address'));
      if (port === undefined || addr === undefined) continue;
      const proto = str(getField(sock, 'protocol')) ?? 'TCP';
      const p = joinPath(ap, fieldKey(a, 'socket_address'));
      if (adminPort !== undefined && port === adminPort && port !== 0) {
        err(p, `listener "${name}" uses port ${port}, which is the admin port`);
      }
      for (const b of bound) {
        if (b.port !== port || b.proto !== proto || port === 0) continue;
        if (b.addr === addr) err(p, `listener "${name}" duplicates address ${addr}:${port} of listener "${b.listener}" (${b.path})`);
        else if (isWildcard(b.addr) || isWildcard(addr)) {
          err(p, `listener "${name}" (${addr}:${port}) overlaps listener "${b.listener}" (${b.addr}:${port}) on the same port`);
        }
      }
      bound.push({ addr, port, proto, path: p, listener: name });
    }
  }

  // ---- route configurations: domains
  for (const v of byType('envoy.config.route.v3.RouteConfiguration')) {
    const vhosts = getField(v.value, 'virtual_hosts');
    if (!Array.isArray(vhosts)) continue;
    const seen = new Map<string, string>();
    vhosts.forEach((vh, i) => {
      const domains = getField(vh, 'domains');
      if (!Array.isArray(domains)) return;
      const vp = joinPath(joinPath(v.path, fieldKey(v.value, 'virtual_hosts')), i);
      domains.forEach((d, j) => {
        if (typeof d !== 'string') return;
        const key = d.toLowerCase();
        const dp = joinPath(joinPath(vp, 'domains'), j);
        const prev = seen.get(key);
        if (prev) err(dp, key === '*' ? `only one virtual host may use the "*" domain (also at ${prev})` : `duplicate domain "${d}" (also at ${prev})`);
        else seen.set(key, dp);
      });
    });
  }

  // ---- HCM filter order
  for (const v of byType('envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager')) {
    const filters = getField(v.value, 'http_filters');
    const fp = joinPath(v.path, fieldKey(v.value, 'http_filters'));
    if (!Array.isArray(filters) || filters.length === 0) {
      err(fp, 'no HTTP filters: the router filter (envoy.filters.http.router) must be the last HTTP filter');
      continue;
    }
    const isRouter = (f: unknown) =>
      anyType(getField(f, 'typed_config')) === ROUTER_TYPE ||
      (getField(f, 'typed_config') === undefined && getField(f, 'name') === 'envoy.filters.http.router');
    filters.forEach((f, i) => {
      if (isRouter(f) && i !== filters.length - 1) err(joinPath(fp, i), `the router filter must be the last HTTP filter (found at position ${i} of ${filters.length})`);
    });
    const last = filters[filters.length - 1];
    if (!isRouter(last)) {
      err(joinPath(fp, filters.length - 1), `the last HTTP filter must be the router (envoy.filters.http.router), got "${String(getField(last, 'name'))}"`);
    }
  }
  for (const v of byType('envoy.extensions.upstreams.http.v3.HttpProtocolOptions')) {
    const filters = getField(v.value, 'http_filters');
    if (!Array.isArray(filters) || filters.length === 0) continue;
    const last = filters[filters.length - 1];
    if (anyType(getField(last, 'typed_config')) !== UPSTREAM_CODEC_TYPE) {
      err(joinPath(joinPath(v.path, fieldKey(v.value, 'http_filters')), filters.length - 1), 'the last upstream HTTP filter must be envoy.filters.http.upstream_codec');
    }
  }

  // ---- regexes
  for (const v of visits) {
    if (v.type !== 'envoy.type.matcher.v3.RegexMatcher' && v.type !== 'xds.type.matcher.v3.RegexMatcher') continue;
    const re = getField(v.value, 'regex');
    if (typeof re !== 'string') continue;
    const r = re2ToJs(re);
    if (!r.ok) err(joinPath(v.path, 'regex'), `invalid RE2 regex ${JSON.stringify(re)}: ${r.error}`);
  }

  // ---- Lua
  const luaSources: LuaSource[] = [];
  const luaSourceNames = new Set<string>();
  /** A Lua DataSource: inline text, or a `filename` read from the mounted ConfigMap files. */
  const addSource = (base: string, ds: unknown) => {
    const text = inlineText(ds);
    if (text !== undefined) {
      luaSources.push({ path: dsPath(base, ds), code: text });
      return;
    }
    const filename = getField(ds, 'filename');
    if (typeof filename !== 'string') return;
    const at = joinPath(base, fieldKey(ds, 'filename'));
    const key = filename.startsWith(CONFIG_DIR) ? filename.slice(CONFIG_DIR.length) : undefined;
    const file = key !== undefined ? opts.files?.[key] : undefined;
    if (file === undefined) err(at, `Lua source file ${filename} is not a ConfigMap file in ${CONFIG_DIR} given to the check (files: ${Object.keys(opts.files ?? {}).join(', ') || 'none'})`);
    else luaSources.push({ path: at, code: file });
  };
  for (const v of byType('envoy.extensions.filters.http.lua.v3.Lua')) {
    const def = getField(v.value, 'default_source_code');
    if (def !== undefined) addSource(joinPath(v.path, fieldKey(v.value, 'default_source_code')), def);
    const inline = getField(v.value, 'inline_code');
    if (typeof inline === 'string') luaSources.push({ path: joinPath(v.path, fieldKey(v.value, 'inline_code')), code: inline });
    const named = getField(v.value, 'source_codes');
    if (isPlainObject(named)) {
      for (const [k, ds] of Object.entries(named)) {
        luaSourceNames.add(k);
        addSource(joinPath(joinPath(v.path, fieldKey(v.value, 'source_codes')), k), ds);
      }
    }
  }
  for (const v of byType('envoy.extensions.filters.http.lua.v3.LuaPerRoute')) {
    const sc = getField(v.value, 'source_code');
    if (sc !== undefined) addSource(joinPath(v.path, fieldKey(v.value, 'source_code')), sc);
    const name = getField(v.value, 'name');
    if (typeof name === 'string' && name !== '' && !luaSourceNames.has(name)) {
      err(joinPath(v.path, 'name'), `LuaPerRoute names source "${name}", which no Lua filter defines in source_codes`);
    }
  }
  if (opts.lua !== false) errors.push(...checkLuaSources(luaSources));

  // ---- jwt_authn
  const requirementNames = new Set<string>();
  for (const v of byType('envoy.extensions.filters.http.jwt_authn.v3.JwtAuthentication')) {
    const providers = getField(v.value, 'providers');
    const providerNames = new Set(isPlainObject(providers) ? Object.keys(providers) : []);
    const reqMap = getField(v.value, 'requirement_map');
    if (isPlainObject(reqMap)) Object.keys(reqMap).forEach((k) => requirementNames.add(k));
    for (const r of visits) {
      if (r.type !== 'envoy.extensions.filters.http.jwt_authn.v3.JwtRequirement' || !r.path.startsWith(v.path + '.')) continue;
      const pn = getField(r.value, 'provider_name');
      if (typeof pn === 'string' && !providerNames.has(pn)) {
        err(joinPath(r.path, fieldKey(r.value, 'provider_name')), `jwt_authn requirement names provider "${pn}", which is not in providers (${[...providerNames].join(', ') || 'none'})`);
      }
    }
  }
  for (const v of byType('envoy.extensions.filters.http.jwt_authn.v3.PerRouteConfig')) {
    const rn = getField(v.value, 'requirement_name');
    if (typeof rn === 'string' && !requirementNames.has(rn)) {
      err(joinPath(v.path, fieldKey(v.value, 'requirement_name')), `jwt_authn per-route requirement_name "${rn}" is not in any requirement_map`);
    }
  }

  return errors;
}
