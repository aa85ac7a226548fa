import { OPS_LISTENER } from '../src/envoy/ops-listener';
import { envoyConfig } from '../src/envoy';
import { ENDPOINT_HEADER, MODEL_HEADER, USAGE_HEADERS } from '../src/envoy/names';
import { pickWeighted, selectRoute, type EvalRequest } from './support/envoy';
import { clusterNamed, hcmOf, listenerNamed, rewritePath, upstreamFilter, upstreamFilterNames } from './support/envoy-config';
import { canonical, OPTIONS, SPECS, SPEC_NAMES, type SpecName } from './support/envoy-specs';
import { luaReadsEndpointHeader } from '../src/envoy/lua';

const configOf = (name: SpecName) => envoyConfig(canonical(name), OPTIONS).bootstrap as Record<string, any>;
const routeConfigOf = (name: SpecName) => hcmOf(configOf(name)).route_config;
const post = (path: string, headers: Record<string, string> = {}): EvalRequest => ({ path, method: 'POST', authority: 'llm.example.com', headers });
const clusterFor = (name: SpecName, request: EvalRequest) => selectRoute(routeConfigOf(name), request)?.cluster ?? null;

/** The "no route" 404 body template, by Envoy's response flag NR. */
function notFoundBody(name: SpecName): Record<string, unknown> | undefined {
  const mapper = hcmOf(configOf(name)).local_reply_config.mappers.find((m: any) => m.filter.response_flag_filter?.flags.includes('NR'));
  return mapper?.body_format_override.json_format.error;
}

describe('Header routing', () => {
  test.each([
    ['claude-3', 'endpoint-anthropic-claude3'],
    ['gpt-4', 'endpoint-openai-gpt4'],
    ['gpt-5', 'endpoint-openai-gpt4'], // unknown model: the default endpoint
  ])('X-AI-Model: %s goes to %s', (model, cluster) => {
    expect(clusterFor('header', post('/v1/chat/completions', { 'X-AI-Model': model }))).toBe(cluster);
  });

  test('header names are case-insensitive, values are exact', () => {
    expect(clusterFor('header', post('/v1/chat/completions', { 'x-ai-model': 'claude-3' }))).toBe('endpoint-anthropic-claude3');
    expect(clusterFor('header', post('/v1/chat/completions', { 'X-AI-Model': 'Claude-3' }))).toBe('endpoint-openai-gpt4');
  });

  test('fails with a JSON 404 that names the unknown model when there is no default', () => {
    expect(clusterFor('headerNoDefault', post('/v1/chat/completions', { 'X-AI-Model': 'claude-3' }))).toBe('endpoint-b');
    // No route matches: Envoy answers 404 with response flag NR, which the local reply mapper turns into JSON.
    expect(selectRoute(routeConfigOf('headerNoDefault'), post('/v1/chat/completions', { 'X-AI-Model': 'gpt-5' }))).toBeNull();
    expect(notFoundBody('headerNoDefault')).toEqual({
      type: 'model_not_found',
      message: 'no endpoint serves the model named in the X-AI-Model header',
      header: 'X-AI-Model',
      model: '%REQ(X-AI-Model)%',
    });
  });

  test('with a default endpoint there is no "no route" mapper (every request has a route)', () => {
    expect(notFoundBody('header')).toBeUndefined();
  });
});

describe('Path routing', () => {
  test.each([
    ['/openai/chat/completions', 'endpoint-openai', '/v1/chat/completions'],
    ['/openai', 'endpoint-openai', '/v1/'],
    ['/openai/chat/completions?stream=true', 'endpoint-openai', '/v1/chat/completions?stream=true'],
    ['/local/v1/models', 'endpoint-local', '/v1/models'],
    ['/v1/embeddings', 'endpoint-embed', '/v1/embeddings'],
    ['/v1/embeddings/batch', 'endpoint-embed', '/v1/embeddings/batch'],
  ])('%s goes to %s as %s (a stripPrefix rule\'s prefix is removed, the URL path put in front)', (path, cluster, forwarded) => {
    const selection = selectRoute(routeConfigOf('path'), post(path))!;
    expect(selection.cluster).toBe(cluster);
    expect(rewritePath(selection.route, selection.route.route as any, path)).toBe(forwarded);
  });

  test('a rule keeps the API prefix by default: rule /v1/chat forwards /v1/chat/completions unchanged, shorthand too', () => {
    const spec = canonical({
      gatewayClassName: 'envoy',
      endpoints: [{ name: 'chat', serviceRef: { name: 'vllm' } }, { name: 'embed', serviceRef: { name: 'tei' } }],
      modelRouting: { strategy: 'Path', rules: [{ pathPrefix: '/v1/embeddings', targetEndpoint: 'embed' }, { match: '/v1/chat', targetEndpoint: 'chat' }] },
    });
    expect(spec.modelRouting.rules.map((r) => r.stripPrefix)).toEqual([false, false]);
    const routes = hcmOf(envoyConfig(spec, OPTIONS).bootstrap as Record<string, any>).route_config;
    for (const path of ['/v1/chat/completions', '/v1/embeddings', '/v1/chat/completions?stream=true']) {
      const selection = selectRoute(routes, post(path))!;
      expect(rewritePath(selection.route, selection.route.route as any, path)).toBe(path);
    }
  });

  test.each(['/openaix/chat', '/v1/embeddingsx', '/local', '/other/v1/chat'])(
    'fails with a JSON 404 for %s: prefixes match whole path segments only',
    (path) => {
      expect(selectRoute(routeConfigOf('path'), post(path))).toBeNull();
      expect(notFoundBody('path')).toMatchObject({ type: 'model_not_found', path: '%PATH(NQ)%' });
    },
  );
});

describe('Weighted routing', () => {
  test('splits 90/10 over many draws, as Envoy picks', () => {
    const selection = selectRoute(routeConfigOf('weighted'), post('/v1/chat/completions'))!;
    const counts: Record<string, number> = {};
    const draws = 10000;
    for (let i = 0; i < draws; i++) {
      const cluster = pickWeighted(selection.weightedClusters!, i / draws);
      counts[cluster] = (counts[cluster] ?? 0) + 1;
    }
    expect(counts).toEqual({ 'endpoint-stable': 9000, 'endpoint-canary': 1000 });
  });

  test('the route waits as long as the most patient share (2m) and keeps the most retries', () => {
    const action = selectRoute(routeConfigOf('weighted'), post('/'))!.route.route as any;
    expect(action.timeout).toBe('0s');
    expect(action.retry_policy.per_try_idle_timeout).toBe('120s');
    expect(action.retry_policy.num_retries).toBe(2);
  });

  test('shares that need different URL paths go through their internal listeners, each with its own path', () => {
    const bootstrap = configOf('weightedMixed');
    const selection = selectRoute(hcmOf(bootstrap).route_config, post('/chat/completions'))!;
    expect(selection.weightedClusters!.map((w) => [w.name, w.weight])).toEqual([
      ['via-openai', 50],
      ['via-azure', 30],
      ['fallback-local', 20],
    ]);
    const action = selection.route.route as any;
    expect(action.prefix_rewrite).toBeUndefined();
    expect(action.regex_rewrite).toBeUndefined();
    const hop = (endpoint: string) => {
      const route = hcmOf(bootstrap, `internal-${endpoint}`).route_config.virtual_hosts[0].routes[0];
      return { cluster: route.route.cluster, host: route.route.host_rewrite_literal, path: rewritePath(route, route.route, '/chat/completions') };
    };
    expect(hop('openai')).toEqual({ cluster: 'endpoint-openai', host: 'api.openai.com', path: '/v1/chat/completions' });
    expect(hop('azure')).toEqual({ cluster: 'endpoint-azure', host: 'my.openai.azure.com', path: '/openai/deployments/gpt-4o/chat/completions' });
    expect(clusterNamed(bootstrap, 'via-openai').load_assignment.endpoints[0].lb_endpoints[0].endpoint.address).toEqual({
      envoy_internal_address: { server_listener_name: 'internal-openai' },
    });
  });
});

describe('RequestBody routing (on the model header the body-routing Lua filter sets)', () => {
  test.each([
    ['gpt-4', 'endpoint-openai'], // a rule
    ['claude-3', 'endpoint-claude'], // a shorthand rule
    ['gpt-4o-mini', 'endpoint-openai'], // the endpoint's models list
    ['claude-3-5-sonnet', 'endpoint-claude'],
    ['llama', 'endpoint-llama'], // models defaults to the endpoint name
  ])('model %s goes to %s', (model, cluster) => {
    expect(clusterFor('requestBody', post('/v1/chat/completions', { [MODEL_HEADER]: model }))).toBe(cluster);
  });

  test('fails with a JSON 404 naming the model when no rule, endpoint model or default matches', () => {
    expect(clusterFor('requestBody', post('/v1/chat/completions', { [MODEL_HEADER]: 'mistral-large' }))).toBeNull();
    expect(clusterFor('requestBody', post('/v1/chat/completions'))).toBeNull();
    expect(notFoundBody('requestBody')).toEqual({
      type: 'model_not_found',
      message: 'no endpoint serves the model named in the request body',
      model: `%REQ(${MODEL_HEADER})%`,
    });
  });

  test('the internal model header never reaches an upstream', () => {
    expect(routeConfigOf('requestBody').request_headers_to_remove).toEqual([MODEL_HEADER]);
  });
});

describe('response headers the gateway owns', () => {
  test.each(SPEC_NAMES)('%s: the usage header names are removed from every upstream answer, usage filter or not', (name) => {
    expect(routeConfigOf(name).response_headers_to_remove).toEqual(expect.arrayContaining(Object.values(USAGE_HEADERS)));
    expect(Object.values(USAGE_HEADERS).every((h) => h.startsWith('x-ai-usage-'))).toBe(true);
  });
});

/** Every endpoint-header entry a route (or weighted share) of the public and internal listeners adds. */
function endpointHeaders(bootstrap: Record<string, any>): unknown[][] {
  // The ops listener serves /ready and metrics from Envoy itself: it has no endpoint to name.
  const listeners = bootstrap.static_resources.listeners.map((l: any) => l.name).filter((n: string) => n !== OPS_LISTENER);
  return listeners.flatMap((listener: string) =>
    hcmOf(bootstrap, listener).route_config.virtual_hosts[0].routes.flatMap((route: any) =>
      (route.route?.weighted_clusters ? route.route.weighted_clusters.clusters : [route]).map((holder: any) =>
        (holder.response_headers_to_add ?? []).filter((h: any) => h.header.key === ENDPOINT_HEADER),
      ),
    ),
  );
}

const ROUTED: SpecName[] = ['single', 'header', 'path', 'weighted', 'weightedMixed', 'requestBody', 'external', 'fallback', 'everything'];

describe('the internal endpoint response header', () => {
  test.each(ROUTED)('%s: every route names its endpoint when a response filter reads it (usage accounting on)', (name) => {
    const spec = canonical({ ...SPECS[name], observability: { ...(SPECS[name] as any).observability, usageHeaders: true } } as any);
    for (const entries of endpointHeaders(envoyConfig(spec, OPTIONS).bootstrap)) {
      expect(entries).toEqual([expect.objectContaining({ header: { key: ENDPOINT_HEADER, value: expect.any(String) } })]);
    }
  });

  test.each(ROUTED.filter((n) => !luaReadsEndpointHeader(canonical(n))))('%s: no route adds it when nothing reads and removes it (it would reach clients)', (name) => {
    expect(endpointHeaders(configOf(name)).flat()).toEqual([]);
  });
});

describe('fallback endpoints (priority failover)', () => {
  const bootstrap = configOf('fallback');
  const route = selectRoute(hcmOf(bootstrap).route_config, post('/chat/completions', { 'X-AI-Model': 'gpt-4o' }))!;

  test('the route targets a priority cluster whose priorities are the endpoint and its fallbacks, in order', () => {
    expect(route.cluster).toBe('fallback-openai');
    const priorities = clusterNamed(bootstrap, 'fallback-openai').load_assignment.endpoints.map((e: any) => [
      e.priority ?? 0,
      e.lb_endpoints.map((l: any) => l.endpoint.address.envoy_internal_address.server_listener_name),
    ]);
    expect(priorities).toEqual([
      [0, ['internal-openai']],
      [1, ['internal-proxy']],
      [2, ['internal-local']],
    ]);
  });

  test('an endpoint is "down" after 3 failures in a row: passive health checking ejects it', () => {
    expect(clusterNamed(bootstrap, 'fallback-openai').outlier_detection).toMatchObject({
      consecutive_5xx: 3,
      consecutive_gateway_failure: 3,
      enforcing_consecutive_gateway_failure: 100,
      max_ejection_percent: 100,
    });
  });

  test('a failed attempt is retried on the next priority, never on the host that failed', () => {
    const retry = (route.route.route as any).retry_policy;
    expect(retry.num_retries).toBe(2);
    expect(retry.per_try_timeout).toBe('20s');
    expect(retry.retry_priority.name).toBe('envoy.retry_priorities.previous_priorities');
    expect(retry.retry_host_predicate[0].name).toBe('envoy.retry_host_predicates.previous_hosts');
  });

  test("each member keeps its own Host, path and credentials (its internal listener routes to its own cluster)", () => {
    const hop = (endpoint: string) => {
      const r = hcmOf(bootstrap, `internal-${endpoint}`).route_config.virtual_hosts[0].routes[0];
      const cluster = clusterNamed(bootstrap, r.route.cluster);
      const injector = upstreamFilterNames(cluster).includes('envoy.filters.http.credential_injector')
        ? upstreamFilter(cluster, 'envoy.filters.http.credential_injector').credential.typed_config
        : undefined;
      return {
        cluster: r.route.cluster,
        host: r.route.host_rewrite_literal,
        path: rewritePath(r, r.route, '/chat/completions'),
        credential: injector && `${injector.credential.name} -> ${injector.header}`,
        sni: cluster.transport_socket?.typed_config.sni,
      };
    };
    expect(hop('openai')).toEqual({
      cluster: 'endpoint-openai',
      host: 'api.openai.com',
      path: '/v1/chat/completions',
      credential: 'credential-openai-key_api-key -> Authorization',
      sni: 'api.openai.com',
    });
    expect(hop('proxy')).toEqual({
      cluster: 'endpoint-proxy',
      host: 'llm-proxy.example.com',
      path: '/openai/v1/chat/completions',
      credential: 'credential-proxy-key_key -> x-proxy-key',
      sni: 'llm-proxy.example.com',
    });
    expect(hop('local')).toEqual({ cluster: 'endpoint-local', host: undefined, path: '/chat/completions', credential: undefined, sni: undefined });
  });

  test('the public route does no Host or path rewrite of its own, and waits for the slowest member (90s)', () => {
    const action = route.route.route as any;
    expect(action).not.toHaveProperty('host_rewrite_literal');
    expect(action).not.toHaveProperty('prefix_rewrite');
    expect(action.timeout).toBe('0s');
    expect(action.retry_policy.per_try_idle_timeout).toBe('90s');
  });

  test("each hop bounds silence by its own member's timeout, and its connection manager idles longer than both hops' bounds", () => {
    const outer = (route.route.route as any).retry_policy.per_try_idle_timeout;
    for (const member of ['openai', 'proxy', 'local']) {
      const hcm = hcmOf(bootstrap, `internal-${member}`);
      const hop = hcm.route_config.virtual_hosts[0].routes[0].route;
      expect(hop.timeout).toBe('0s');
      expect(hop.retry_policy).toEqual({ num_retries: 0, per_try_idle_timeout: expect.stringMatching(/s$/) });
      expect(parseFloat(hop.retry_policy.per_try_idle_timeout)).toBeLessThanOrEqual(parseFloat(outer));
      // The hop's connection manager must not answer 408 before the routers' 504.
      expect(parseFloat(hcm.stream_idle_timeout)).toBeGreaterThan(parseFloat(outer));
    }
    expect(parseFloat(hcmOf(bootstrap).stream_idle_timeout)).toBeGreaterThan(parseFloat(outer));
  });

  test('failovers never overflow the circuit breaker: as many concurrent retries as requests', () => {
    expect(clusterNamed(bootstrap, 'fallback-openai').circuit_breakers).toEqual({
      thresholds: [{ priority: 'DEFAULT', max_requests: 1024, max_retries: 1024 }],
    });
  });

  test('a 429 fails over to the next priority; a timeout (504) never does', () => {
    const retry = (route.route.route as any).retry_policy;
    expect(retry.retriable_status_codes).toEqual([500, 502, 503, 429]);
  });

  test('the member that answered is named in the endpoint header; the route adds the primary only if absent', () => {
    const spec = canonical({ ...SPECS.fallback, observability: { usageHeaders: true } } as any);
    const bootstrap = envoyConfig(spec, OPTIONS).bootstrap as Record<string, any>;
    const route = selectRoute(hcmOf(bootstrap).route_config, post('/chat/completions', { 'X-AI-Model': 'gpt-4o' }))!;
    expect(hcmOf(bootstrap, 'internal-proxy').route_config.virtual_hosts[0].routes[0].response_headers_to_add).toEqual([
      { header: { key: ENDPOINT_HEADER, value: 'proxy' }, append_action: 'OVERWRITE_IF_EXISTS_OR_ADD' },
    ]);
    expect(route.route.response_headers_to_add).toEqual([{ header: { key: ENDPOINT_HEADER, value: 'openai' }, append_action: 'ADD_IF_ABSENT' }]);
  });

  test('a Path rule in front of a fallback group strips its prefix once; the member adds its URL path', () => {
    const b = configOf('pathFallback');
    const outer = selectRoute(hcmOf(b).route_config, post('/openai/chat/completions?stream=true'))!;
    expect(outer.cluster).toBe('fallback-openai');
    const afterOuter = rewritePath(outer.route, outer.route.route as any, '/openai/chat/completions?stream=true');
    expect(afterOuter).toBe('/chat/completions?stream=true');
    const inner = hcmOf(b, 'internal-openai').route_config.virtual_hosts[0].routes[0];
    expect(rewritePath(inner, inner.route, afterOuter)).toBe('/v1/chat/completions?stream=true');
    const local = hcmOf(b, 'internal-local').route_config.virtual_hosts[0].routes[0];
    expect(rewritePath(local, local.route, afterOuter)).toBe('/chat/completions?stream=true');
  });

  test('internal listeners exist only for endpoints that need them, with the bootstrap extension', () => {
    const names = (b: Record<string, any>) => b.static_resources.listeners.map((l: any) => l.name);
    expect(names(bootstrap)).toEqual(['public', 'ops', 'internal-openai', 'internal-proxy', 'internal-local', 'internal-vllm-a', 'internal-vllm-b']);
    expect(bootstrap.bootstrap_extensions.map((e: any) => e.name)).toEqual(['envoy.bootstrap.internal_listener']);
    expect(listenerNamed(bootstrap, 'internal-local').internal_listener).toEqual({});
    const plain = configOf('header');
    expect(names(plain)).toEqual(['public', 'ops']);
    expect(plain.bootstrap_extensions).toBeUndefined();
  });
});
