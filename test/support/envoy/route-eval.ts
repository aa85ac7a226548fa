/**
 * A small evaluator of Envoy's HTTP route matching (envoy.config.route.v3.RouteConfiguration), for
 * tests that want to know which route / cluster a request would reach. It follows Envoy's
 * `source/common/router/config_impl.cc` and `source/common/http/header_utility.cc`:
 *
 * Virtual host: `:authority` lower-cased (port kept unless `ignore_port_in_host_matching` or the
 * `stripAnyHostPort` option), then exact domain, then the longest suffix wildcard (`*.foo.com`,
 * `*-bar.foo.com`; the wildcard never matches the empty string), then the longest prefix wildcard
 * (`foo.*`), then `*`. With only a `*` virtual host, the authority is not needed.
 *
 * Routes are tried in order; the first match wins. Path specifiers match `:path` with the query
 * string and fragment removed (this is what current Envoy does for `prefix` too, although the
 * proto comment says "beginning of the :path header"): `prefix` (starts-with), `path` (equality),
 * `safe_regex` (RE2 full match; `case_sensitive` does not apply), `path_separated_prefix` (equal, or
 * followed by `/`). `case_sensitive: false` lower-cases both sides for prefix/path.
 * Then `headers` (all must match; values of a repeated header are joined with ","; a missing header
 * matches only `present_match: false`, or `present_match: true` with `invert_match`, unless
 * `treat_missing_header_as_empty`), `query_parameters` (query split on & and =, no percent
 * decoding, first value wins; `present_match: false` means "absent" as in current Envoy),
 * `grpc` (content-type application/grpc...), `runtime_fraction` (default_value, against
 * `opts.randomValue`, default 0).
 *
 * Anything else that affects matching (tls_context, dynamic_metadata, filter_state, cookies,
 * connect_matcher, path_match_policy, vhost `matcher`, `ignore_path_parameters_in_path_matching`,
 * cluster_specifier_plugin) makes the evaluator throw instead of guessing.
 */
import { getField, isPlainObject } from './proto-check';
import { re2FullMatcher } from './re2';

export interface EvalRequest {
  path: string;
  method?: string;
  authority?: string;
  /** Header names are case-insensitive; a string[] is a repeated header. */
  headers?: Record<string, string | string[]>;
}

export interface EvalOptions {
  /** Random value used for runtime_fraction matches (Envoy's per-request random). Default 0. */
  randomValue?: number;
  /** Mirror HCM `strip_any_host_port: true`. */
  stripAnyHostPort?: boolean;
  /** `:scheme` / x-forwarded-proto for `require_tls` (default: header value, else "http"). */
  scheme?: string;
}

export interface WeightedClusterEntry {
  name: string;
  weight: number;
  raw: Record<string, unknown>;
}

export interface RouteSelection {
  virtualHost: Record<string, unknown>;
  route: Record<string, unknown>;
  /** For `route.cluster`, or the header value for `route.cluster_header`. */
  cluster?: string;
  clusterHeader?: string;
  weightedClusters?: WeightedClusterEntry[];
  directResponse?: { status: number; body?: string };
  redirect?: Record<string, unknown>;
  /** Set when the virtual host's require_tls sent the request to an https redirect. */
  tlsRedirect?: boolean;
}

const UNSUPPORTED_MATCH = ['tls_context', 'dynamic_metadata', 'filter_state', 'cookies', 'connect_matcher', 'path_match_policy'];

type HeaderMap = Map<string, string[]>;

function buildHeaders(req: EvalRequest): HeaderMap {
  const h: HeaderMap = new Map();
  for (const [k, v] of Object.entries(req.headers ?? {})) {
    const key = k.toLowerCase();
    const vals = Array.isArray(v) ? v : [v];
    h.set(key, [...(h.get(key) ?? []), ...vals]);
  }
  if (!h.has(':path')) h.set(':path', [req.path]);
  if (!h.has(':method')) h.set(':method', [req.method ?? 'GET']);
  const authority = req.authority ?? h.get(':authority')?.[0] ?? h.get('host')?.[0];
  if (authority !== undefined) h.set(':authority', [authority]);
  return h;
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

function boolValue(v: unknown, dflt: boolean): boolean {
  return typeof v === 'boolean' ? v : dflt;
}

/** Strip `?query` and `#fragment` (Http::PathUtil::removeQueryAndFragment). */
export function removeQueryAndFragment(path: string): string {
  const i = path.search(/[?#]/);
  return i < 0 ? path : path.slice(0, i);
}

/** envoy.type.matcher.v3.StringMatcher. */
export function matchString(m: unknown, value: string): boolean {
  if (!isPlainObject(m)) throw new Error('StringMatcher must be an object');
  const ic = boolValue(getField(m, 'ignore_case'), false);
  const norm = (s: string) => (ic ? s.toLowerCase() : s);
  const exact = str(getField(m, 'exact'));
  if (exact !== undefined) return norm(value) === norm(exact);
  const prefix = str(getField(m, 'prefix'));
  if (prefix !== undefined) return norm(value).startsWith(norm(prefix));
  const suffix = str(getField(m, 'suffix'));
  if (suffix !== undefined) return norm(value).endsWith(norm(suffix));
  const contains = str(getField(m, 'contains'));
  if (contains !== undefined) return norm(value).includes(norm(contains));
  const re = getField(m, 'safe_regex');
  if (re !== undefined) return re2FullMatcher(String(getField(re, 'regex'))).test(value);
  throw new Error(`unsupported StringMatcher ${JSON.stringify(m)}`);
}

/** envoy.config.route.v3.HeaderMatcher against request headers. */
export function matchHeader(hm: unknown, headers: HeaderMap): boolean {
  const name = String(getField(hm, 'name')).toLowerCase();
  const invert = boolValue(getField(hm, 'invert_match'), false);
  const missingAsEmpty = boolValue(getField(hm, 'treat_missing_header_as_empty'), false);
  const vals = headers.get(name);

  type Kind = 'present' | 'other';
  let kind: Kind = 'other';
  let present = true;
  const pm = getField(hm, 'present_match');
  const specifiers = ['exact_match', 'safe_regex_match', 'range_match', 'prefix_match', 'suffix_match', 'contains_match', 'string_match'];
  const spec = specifiers.find((s) => getField(hm, s) !== undefined && getField(hm, s) !== null);
  if (typeof pm === 'boolean') {
    kind = 'present';
    present = pm;
  } else if (!spec) {
    kind = 'present';
    present = true;
  }

  if (vals === undefined && !missingAsEmpty) {
    return invert ? kind === 'present' && present : kind === 'present' && !present;
  }
  const value = vals === undefined ? '' : vals.join(',');
  let match: boolean;
  if (kind === 'present') match = present;
  else {
    const arg = getField(hm, spec!);
    switch (spec) {
      case 'exact_match':
        match = arg === '' || value === arg;
        break;
      case 'safe_regex_match':
        match = re2FullMatcher(String(getField(arg, 'regex'))).test(value);
        break;
      case 'range_match': {
        const start = Number(getField(arg, 'start') ?? 0);
        const end = Number(getField(arg, 'end') ?? 0);
        match = /^[+-]?\d+$/.test(value) && Number(value) >= start && Number(value) < end;
        break;
      }
      case 'prefix_match':
        match = value.startsWith(String(arg));
        break;
      case 'suffix_match':
        match = value.endsWith(String(arg));
        break;
      case 'contains_match':
        match = value.includes(String(arg));
        break;
      default:
        match = matchString(arg, value);
    }
  }
  return match !== invert;
}

function parseQuery(path: string): Map<string, string> {
  const out = new Map<string, string>();
  const q = path.indexOf('?');
  if (q < 0) return out;
  let query = path.slice(q + 1);
  const hash = query.indexOf('#');
  if (hash >= 0) query = query.slice(0, hash);
  for (const part of query.split('&')) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    const k = eq < 0 ? part : part.slice(0, eq);
    const v = eq < 0 ? '' : part.slice(eq + 1);
    if (!out.has(k)) out.set(k, v);
  }
  return out;
}

function matchQueryParam(qm: unknown, params: Map<string, string>): boolean {
  const name = String(getField(qm, 'name'));
  const v = params.get(name);
  const pm = getField(qm, 'present_match');
  if (typeof pm === 'boolean') return (v !== undefined) === pm;
  if (v === undefined) return false;
  const sm = getField(qm, 'string_match');
  return sm === undefined ? true : matchString(sm, v);
}

const DENOMINATORS: Record<string, number> = { HUNDRED: 100, TEN_THOUSAND: 10000, MILLION: 1000000 };

function runtimeMatch(rf: unknown, random: number): boolean {
  const dv = getField(rf, 'default_value');
  const numerator = Number(getField(dv, 'numerator') ?? 0);
  const d = getField(dv, 'denominator') ?? 'HUNDRED';
  const denominator = typeof d === 'number' ? [100, 10000, 1000000][d] : DENOMINATORS[String(d)];
  return random % denominator < numerator;
}

function matchRoute(route: Record<string, unknown>, headers: HeaderMap, opts: EvalOptions): boolean {
  const m = getField(route, 'match');
  if (!isPlainObject(m)) throw new Error('route without match');
  for (const u of UNSUPPORTED_MATCH) {
    if (getField(m, u) !== undefined) throw new Error(`route-eval: RouteMatch.${u} is not supported`);
  }
  const rf = getField(m, 'runtime_fraction');
  if (rf !== undefined && !runtimeMatch(rf, opts.randomValue ?? 0)) return false;
  if (getField(m, 'grpc') !== undefined) {
    const ct = headers.get('content-type')?.[0] ?? '';
    if (!/^application\/grpc($|[+;])/.test(ct)) return false;
  }
  const hms = getField(m, 'headers');
  if (Array.isArray(hms) && !hms.every((hm) => matchHeader(hm, headers))) return false;
  const fullPath = headers.get(':path')?.[0] ?? '';
  const qms = getField(m, 'query_parameters');
  if (Array.isArray(qms) && qms.length > 0) {
    const params = parseQuery(fullPath);
    if (!qms.every((qm) => matchQueryParam(qm, params))) return false;
  }
  const path = removeQueryAndFragment(fullPath);
  const caseSensitive = boolValue(getField(m, 'case_sensitive'), true);
  const norm = (s: string) => (caseSensitive ? s : s.toLowerCase());
  const prefix = str(getField(m, 'prefix'));
  if (prefix !== undefined) return norm(path).startsWith(norm(prefix));
  const exact = str(getField(m, 'path'));
  if (exact !== undefined) return norm(path) === norm(exact);
  const sr = getField(m, 'safe_regex');
  if (sr !== undefined) return re2FullMatcher(String(getField(sr, 'regex'))).test(path);
  const psp = str(getField(m, 'path_separated_prefix'));
  if (psp !== undefined) {
    const p = norm(path);
    const pre = norm(psp);
    return p.startsWith(pre) && (p.length === pre.length || p[pre.length] === '/');
  }
  throw new Error(`route-eval: unsupported path specifier in ${JSON.stringify(m)}`);
}

/** Pick the virtual host for an authority (Envoy's RouteMatcher::findVirtualHost). */
export function selectVirtualHost(routeConfig: unknown, authority: string | undefined, opts: EvalOptions = {}): Record<string, unknown> | undefined {
  const vhosts = getField(routeConfig, 'virtual_hosts');
  if (!Array.isArray(vhosts)) return undefined;
  const exact = new Map<string, Record<string, unknown>>();
  const suffixes: [string, Record<string, unknown>][] = [];
  const prefixes: [string, Record<string, unknown>][] = [];
  let dflt: Record<string, unknown> | undefined;
  for (const vh of vhosts) {
    const domains = getField(vh, 'domains');
    if (!Array.isArray(domains)) continue;
    for (const d0 of domains) {
      const d = String(d0).toLowerCase();
      if (d === '*') dflt ??= vh;
      else if (d.startsWith('*')) suffixes.push([d.slice(1), vh]);
      else if (d.endsWith('*')) prefixes.push([d.slice(0, -1), vh]);
      else if (!exact.has(d)) exact.set(d, vh);
    }
  }
  if (exact.size === 0 && suffixes.length === 0 && prefixes.length === 0) return dflt;
  if (authority === undefined) return undefined;
  let host = authority;
  if (boolValue(getField(routeConfig, 'ignore_port_in_host_matching'), false) || opts.stripAnyHostPort) {
    const colon = host.lastIndexOf(':');
    const bracket = host.lastIndexOf(']');
    if (colon >= 0 && bracket < colon) host = host.slice(0, colon);
  }
  host = host.toLowerCase();
  const hit = exact.get(host);
  if (hit) return hit;
  const longestFirst = (a: [string, unknown], b: [string, unknown]) => b[0].length - a[0].length;
  for (const [suffix, vh] of [...suffixes].sort(longestFirst)) {
    if (suffix.length < host.length && host.endsWith(suffix)) return vh;
  }
  for (const [prefix, vh] of [...prefixes].sort(longestFirst)) {
    if (prefix.length < host.length && host.startsWith(prefix)) return vh;
  }
  return dflt;
}

/**
 * The route Envoy would pick for `request` in `routeConfig` (a RouteConfiguration, e.g. an HCM's
 * `route_config`), or null when no virtual host / route matches (Envoy answers 404).
 */
export function selectRoute(routeConfig: unknown, request: EvalRequest, opts: EvalOptions = {}): RouteSelection | null {
  if (getField(routeConfig, 'ignore_path_parameters_in_path_matching') === true) {
    throw new Error('route-eval: ignore_path_parameters_in_path_matching is not supported');
  }
  const headers = buildHeaders(request);
  const vh = selectVirtualHost(routeConfig, headers.get(':authority')?.[0], opts);
  if (!vh) return null;
  if (getField(vh, 'matcher') !== undefined) throw new Error('route-eval: VirtualHost.matcher is not supported');
  const requireTls = getField(vh, 'require_tls');
  if (requireTls === 'ALL' || requireTls === 'EXTERNAL_ONLY') {
    const scheme = opts.scheme ?? headers.get('x-forwarded-proto')?.[0] ?? headers.get(':scheme')?.[0] ?? 'http';
    const internal = headers.get('x-envoy-internal')?.[0] === 'true';
    if (scheme !== 'https' && (requireTls === 'ALL' || !internal)) {
      return { virtualHost: vh, route: {}, tlsRedirect: true };
    }
  }
  const routes = getField(vh, 'routes');
  if (!Array.isArray(routes)) return null;
  for (const route of routes) {
    if (!isPlainObject(route) || !matchRoute(route, headers, opts)) continue;
    const sel: RouteSelection = { virtualHost: vh, route };
    const action = getField(route, 'route');
    const dr = getField(route, 'direct_response');
    const redirect = getField(route, 'redirect');
    if (isPlainObject(action)) {
      const c = str(getField(action, 'cluster'));
      const ch = str(getField(action, 'cluster_header'));
      const wc = getField(action, 'weighted_clusters');
      if (c !== undefined) sel.cluster = c;
      else if (ch !== undefined) {
        sel.clusterHeader = ch;
        sel.cluster = headers.get(ch.toLowerCase())?.[0];
      } else if (wc !== undefined) sel.weightedClusters = weightedEntries(wc);
      else throw new Error('route-eval: unsupported cluster specifier (cluster_specifier_plugin?)');
    } else if (isPlainObject(dr)) {
      const body = getField(dr, 'body');
      sel.directResponse = { status: Number(getField(dr, 'status')), body: str(getField(body, 'inline_string')) };
    } else if (isPlainObject(redirect)) {
      sel.redirect = redirect;
    }
    return sel;
  }
  return null;
}

function weightedEntries(wc: unknown): WeightedClusterEntry[] {
  const list = getField(wc, 'clusters');
  if (!Array.isArray(list)) return [];
  return list.map((c) => ({ name: String(getField(c, 'name')), weight: Number(getField(c, 'weight') ?? 0), raw: c as Record<string, unknown> }));
}

/**
 * Envoy's weighted pick: `selected = random % total`, then the first cluster whose cumulative
 * range [begin, begin + weight) contains it. `r` in [0, 1) is a fraction of the total weight
 * (`floor(r * total)`); an integer r >= 1 is used as Envoy's raw random value (`r % total`).
 * Accepts the `weightedClusters` of a RouteSelection or a WeightedCluster JSON object.
 */
export function pickWeighted(weighted: WeightedClusterEntry[] | Record<string, unknown>, r: number): string {
  const entries = Array.isArray(weighted) ? weighted : weightedEntries(weighted);
  const total = entries.reduce((s, e) => s + e.weight, 0);
  if (total <= 0) throw new Error('pickWeighted: total weight is 0');
  if (!(r >= 0)) throw new Error('pickWeighted: r must be >= 0');
  const selected = r < 1 ? Math.floor(r * total) : Math.floor(r) % total;
  let begin = 0;
  for (const e of entries) {
    const end = begin + e.weight;
    if (selected >= begin && selected < end) return e.name;
    begin = end;
  }
  throw new Error('pickWeighted: unreachable');
}
