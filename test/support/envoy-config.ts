/** Helpers to read a generated bootstrap in tests (which listener, cluster, route, rewrite). */
import { re2ToJs } from './envoy';

type Json = Record<string, any>;

export function listenerNamed(bootstrap: Json, name: string): Json {
  const found = bootstrap.static_resources.listeners.find((l: Json) => l.name === name);
  if (!found) throw new Error(`no listener ${name}`);
  return found;
}

/** The HTTP connection manager of a listener (default: the public one). */
export function hcmOf(bootstrap: Json, listener = 'public'): Json {
  return listenerNamed(bootstrap, listener).filter_chains[0].filters[0].typed_config;
}

export function clusterNamed(bootstrap: Json, name: string): Json {
  const found = bootstrap.static_resources.clusters.find((c: Json) => c.name === name);
  if (!found) throw new Error(`no cluster ${name}`);
  return found;
}

/** The upstream HTTP filters of a cluster (names), [] when it has none. */
export function upstreamFilterNames(cluster: Json): string[] {
  const options = cluster.typed_extension_protocol_options?.['envoy.extensions.upstreams.http.v3.HttpProtocolOptions'];
  return (options?.http_filters ?? []).map((f: Json) => f.name);
}

export function upstreamFilter(cluster: Json, name: string): Json {
  const options = cluster.typed_extension_protocol_options['envoy.extensions.upstreams.http.v3.HttpProtocolOptions'];
  return options.http_filters.find((f: Json) => f.name === name).typed_config;
}

/**
 * The path Envoy forwards after a route action's rewrite (query string kept), as Envoy does it:
 * `prefix_rewrite` replaces the matched `prefix`; `regex_rewrite` replaces RE2 matches in the path.
 */
export function rewritePath(route: Json, action: Json, path: string): string {
  const q = path.search(/[?#]/);
  const [bare, query] = q < 0 ? [path, ''] : [path.slice(0, q), path.slice(q)];
  if (action.regex_rewrite) {
    const re = re2ToJs(action.regex_rewrite.pattern.regex);
    if (!re.ok) throw new Error(re.error);
    return bare.replace(new RegExp(re.source, `${re.flags}g`), action.regex_rewrite.substitution) + query;
  }
  if (action.prefix_rewrite !== undefined) {
    const matched: string = route.match.prefix ?? route.match.path_separated_prefix ?? route.match.path;
    return action.prefix_rewrite + bare.slice(matched.length) + query;
  }
  return path;
}
