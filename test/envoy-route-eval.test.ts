import { checkEnvoyMessage, pickWeighted, sampleBootstrap, selectRoute, selectVirtualHost } from './support/envoy';

const RC = 'envoy.config.route.v3.RouteConfiguration';

const route = (name: string, match: Record<string, unknown>, cluster = name) => ({ name, match, route: { cluster } });

function routeConfig(): Record<string, any> {
  return {
    name: 'rc',
    virtual_hosts: [
      { name: 'exact', domains: ['api.example.com'], routes: [route('exact', { prefix: '/' })] },
      { name: 'suffix', domains: ['*.example.com'], routes: [route('suffix', { prefix: '/' })] },
      { name: 'longer_suffix', domains: ['*-canary.example.com'], routes: [route('longer_suffix', { prefix: '/' })] },
      { name: 'prefix', domains: ['internal.*'], routes: [route('prefix', { prefix: '/' })] },
      {
        name: 'default',
        domains: ['*'],
        routes: [
          route('chat_completions', { prefix: '/v1/chat/completions', headers: [{ name: ':method', string_match: { exact: 'POST' } }] }),
          route('chat_any', { prefix: '/v1/chat' }),
          route('exact_path', { path: '/v1/embeddings' }),
          route('ci_path', { path: '/V1/Moderations', case_sensitive: false }),
          route('models_sep', { path_separated_prefix: '/v1/models' }),
          route('regex', { safe_regex: { regex: '/v2/(gpt|claude)-[0-9]+' } }),
          route('hdr_prefix', { prefix: '/h/prefix', headers: [{ name: 'x-model', string_match: { prefix: 'gpt-' } }] }),
          route('hdr_suffix', { prefix: '/h/suffix', headers: [{ name: 'x-model', string_match: { suffix: '-mini' } }] }),
          route('hdr_contains', { prefix: '/h/contains', headers: [{ name: 'x-model', string_match: { contains: '4o' } }] }),
          route('hdr_regex', { prefix: '/h/regex', headers: [{ name: 'x-model', string_match: { safe_regex: { regex: 'gpt-[0-9]o?' } } }] }),
          route('hdr_ic', { prefix: '/h/ic', headers: [{ name: 'X-Tenant', string_match: { exact: 'ACME', ignore_case: true } }] }),
          route('hdr_present', { prefix: '/h/present', headers: [{ name: 'authorization', present_match: true }] }),
          route('hdr_absent', { prefix: '/h/present', headers: [{ name: 'authorization', present_match: false }] }),
          route('hdr_invert', { prefix: '/h/invert', headers: [{ name: 'x-debug', string_match: { exact: '1' }, invert_match: true }] }),
          route('hdr_invert_missing_empty', { prefix: '/h/invert', headers: [{ name: 'x-debug', string_match: { exact: '1' }, invert_match: true, treat_missing_header_as_empty: true }] }),
          route('hdr_name_only', { prefix: '/h/name-only', headers: [{ name: 'x-flag' }] }),
          route('hdr_joined', { prefix: '/h/joined', headers: [{ name: 'x-multi', string_match: { exact: 'a,b' } }] }),
          route('query', { prefix: '/q', query_parameters: [{ name: 'stream', string_match: { exact: 'true' } }] }),
          route('query_present', { prefix: '/q', query_parameters: [{ name: 'debug', present_match: true }] }),
          route('query_absent_ok', { prefix: '/q', query_parameters: [{ name: 'debug', present_match: false }] }),
          {
            name: 'weighted',
            match: { prefix: '/w' },
            route: { weighted_clusters: { clusters: [{ name: 'blue', weight: 90 }, { name: 'green', weight: 10 }] } },
          },
          { name: 'direct', match: { prefix: '/direct' }, direct_response: { status: 418, body: { inline_string: 'teapot' } } },
          { name: 'by_header', match: { prefix: '/by-header' }, route: { cluster_header: 'x-cluster' } },
        ],
      },
    ],
  };
}

const pick = (path: string, extra: Partial<Parameters<typeof selectRoute>[1]> = {}) =>
  selectRoute(routeConfig(), { path, authority: 'gw.local', headers: {}, ...extra })?.route.name;

test('the route config used here is itself a valid RouteConfiguration', () => {
  expect(checkEnvoyMessage(RC, routeConfig())).toEqual([]);
});

describe('virtual host selection by :authority', () => {
  test.each([
    ['api.example.com', 'exact'],
    ['API.Example.COM', 'exact'],
    ['a.example.com', 'suffix'],
    ['x-canary.example.com', 'longer_suffix'],
    ['internal.svc', 'prefix'],
    ['example.com', 'default'],
    ['-canary.example.com', 'suffix'], // "*-canary.example.com" does not match an empty wildcard part
    ['api.example.com:8443', 'default'], // the port is part of the host unless stripped
    ['unknown.org', 'default'],
  ])('%s → %s', (authority, vhost) => {
    expect(selectVirtualHost(routeConfig(), authority)?.name).toBe(vhost);
  });

  test('ignore_port_in_host_matching strips the port', () => {
    const rc = routeConfig();
    rc.ignore_port_in_host_matching = true;
    expect(selectVirtualHost(rc, 'api.example.com:8443')?.name).toBe('exact');
  });

  test('with only a "*" virtual host the authority is not needed', () => {
    const rc = { virtual_hosts: [{ name: 'only', domains: ['*'], routes: [] }] };
    expect(selectVirtualHost(rc, undefined)?.name).toBe('only');
  });

  test('fails: no virtual host for an authority when there is no "*"', () => {
    const rc = { virtual_hosts: [{ name: 'a', domains: ['a.com'], routes: [route('x', { prefix: '/' })] }] };
    expect(selectRoute(rc, { path: '/', authority: 'b.com', headers: {} })).toBeNull();
  });
});

describe('route matching', () => {
  test('first match wins: header-constrained route before the broader prefix', () => {
    expect(pick('/v1/chat/completions', { method: 'POST' })).toBe('chat_completions');
    expect(pick('/v1/chat/completions', { method: 'GET' })).toBe('chat_any');
  });

  test('prefix matching ignores the query string and fragment', () => {
    expect(pick('/v1/chat?x=/v1/embeddings')).toBe('chat_any');
    expect(pick('/v1/embeddings?stream=true')).toBe('exact_path');
    expect(pick('/v1/embeddings#frag')).toBe('exact_path');
  });

  test('exact path does not match a longer path; prefix is a plain string prefix', () => {
    expect(pick('/v1/embeddings/x')).toBeUndefined();
    expect(pick('/v1/chatter')).toBe('chat_any');
  });

  test('case_sensitive: false', () => {
    expect(pick('/v1/moderations')).toBe('ci_path');
    expect(pick('/V1/CHAT')).toBeUndefined(); // prefix routes are case sensitive by default
  });

  test('path_separated_prefix', () => {
    expect(pick('/v1/models')).toBe('models_sep');
    expect(pick('/v1/models/gpt-4o')).toBe('models_sep');
    expect(pick('/v1/models?x=1')).toBe('models_sep');
    expect(pick('/v1/modelsx')).toBeUndefined();
  });

  test('safe_regex is a full match on the path without query', () => {
    expect(pick('/v2/gpt-4')).toBe('regex');
    expect(pick('/v2/claude-3?q=1')).toBe('regex');
    expect(pick('/v2/gpt-4/extra')).toBeUndefined();
  });

  test.each([
    ['/h/prefix', { 'x-model': 'gpt-4o' }, 'hdr_prefix'],
    ['/h/prefix', { 'x-model': 'claude' }, undefined],
    ['/h/suffix', { 'x-model': 'gpt-4o-mini' }, 'hdr_suffix'],
    ['/h/contains', { 'x-model': 'gpt-4o-mini' }, 'hdr_contains'],
    ['/h/regex', { 'x-model': 'gpt-4o' }, 'hdr_regex'],
    ['/h/regex', { 'x-model': 'gpt-4o-mini' }, undefined],
    ['/h/ic', { 'x-tenant': 'acme' }, 'hdr_ic'],
    ['/h/present', { Authorization: 'Bearer x' }, 'hdr_present'],
    ['/h/present', {}, 'hdr_absent'],
    ['/h/invert', { 'x-debug': '0' }, 'hdr_invert'],
    ['/h/invert', { 'x-debug': '1' }, undefined],
    // A missing header never matches an inverted value matcher, unless treated as empty.
    ['/h/invert', {}, 'hdr_invert_missing_empty'],
    ['/h/name-only', { 'x-flag': '' }, 'hdr_name_only'],
    ['/h/name-only', {}, undefined],
    ['/h/joined', { 'x-multi': ['a', 'b'] }, 'hdr_joined'],
  ])('headers: %s %j → %s', (path, headers, expected) => {
    expect(pick(path, { headers: headers as Record<string, string | string[]> })).toBe(expected);
  });

  test('query parameters: exact value, first occurrence wins, present/absent', () => {
    expect(pick('/q?stream=true')).toBe('query');
    expect(pick('/q?stream=false&stream=true')).toBe('query_absent_ok');
    expect(pick('/q?debug')).toBe('query_present');
    expect(pick('/q?other=1')).toBe('query_absent_ok');
  });

  test('legacy exact_match header matcher (deprecated but still evaluated)', () => {
    const rc = { virtual_hosts: [{ name: 'v', domains: ['*'], routes: [route('legacy', { prefix: '/', headers: [{ name: 'x-a', exact_match: 'b' }] })] }] };
    expect(selectRoute(rc, { path: '/', headers: { 'x-a': 'b' } })?.route.name).toBe('legacy');
    expect(selectRoute(rc, { path: '/', headers: { 'x-a': 'c' } })).toBeNull();
  });

  test('actions: cluster, weighted clusters, direct response, cluster_header', () => {
    const rc = routeConfig();
    expect(selectRoute(rc, { authority: 'gw.local', path: '/v1/chat', headers: {} })?.cluster).toBe('chat_any');
    const w = selectRoute(rc, { authority: 'gw.local', path: '/w', headers: {} });
    expect(w?.weightedClusters?.map((c) => [c.name, c.weight])).toEqual([['blue', 90], ['green', 10]]);
    expect(selectRoute(rc, { authority: 'gw.local', path: '/direct', headers: {} })?.directResponse).toEqual({ status: 418, body: 'teapot' });
    const h = selectRoute(rc, { authority: 'gw.local', path: '/by-header', headers: { 'X-Cluster': 'openai' } });
    expect([h?.clusterHeader, h?.cluster]).toEqual(['x-cluster', 'openai']);
  });

  test('fails: no route matches → null (Envoy answers 404)', () => {
    expect(selectRoute(routeConfig(), { authority: 'gw.local', path: '/nothing-here', headers: {} })).toBeNull();
  });

  test('fails: without :authority only a config with nothing but "*" can be routed', () => {
    expect(selectRoute(routeConfig(), { path: '/v1/chat', headers: {} })).toBeNull();
  });

  test('fails loudly on match features it does not model', () => {
    const rc = { virtual_hosts: [{ name: 'v', domains: ['*'], routes: [route('tls', { prefix: '/', tls_context: { presented: true } })] }] };
    expect(() => selectRoute(rc, { authority: 'gw.local', path: '/', headers: {} })).toThrow(/tls_context is not supported/);
  });

  test('require_tls: ALL sends plain http to the TLS redirect', () => {
    const rc = routeConfig();
    rc.virtual_hosts[4].require_tls = 'ALL';
    expect(selectRoute(rc, { authority: 'gw.local', path: '/v1/chat', headers: {} })?.tlsRedirect).toBe(true);
    expect(selectRoute(rc, { authority: 'gw.local', path: '/v1/chat', headers: { 'x-forwarded-proto': 'https' } })?.route.name).toBe('chat_any');
  });
});

describe('pickWeighted', () => {
  const wc = [
    { name: 'blue', weight: 90, raw: {} },
    { name: 'green', weight: 10, raw: {} },
  ];
  test.each([
    [0, 'blue'],
    [0.5, 'blue'],
    [0.899, 'blue'],
    [0.9, 'green'],
    [0.999, 'green'],
    [95, 'green'], // raw random value: 95 % 100
    [100, 'blue'],
    [189, 'blue'],
    [190, 'green'],
  ])('r=%s → %s', (r, expected) => {
    expect(pickWeighted(wc, r)).toBe(expected);
  });

  test('accepts the WeightedCluster JSON and skips zero weights', () => {
    expect(pickWeighted({ clusters: [{ name: 'a', weight: 0 }, { name: 'b', weight: 1 }] }, 0)).toBe('b');
  });

  test('fails: total weight 0 throws', () => {
    expect(() => pickWeighted({ clusters: [{ name: 'a', weight: 0 }] }, 0)).toThrow(/total weight is 0/);
  });
});

describe('on the sample bootstrap', () => {
  const rc = () => sampleBootstrap().static_resources.listeners[0].filter_chains[0].filters[0].typed_config.route_config;

  test('POST /v1/chat/completions goes to openai, /healthz is answered directly', () => {
    expect(selectRoute(rc(), { path: '/v1/chat/completions', method: 'POST', headers: {} })?.cluster).toBe('openai');
    expect(selectRoute(rc(), { path: '/healthz', headers: {} })?.directResponse?.status).toBe(200);
  });

  test('fails: GET /v1/chat/completions has no route', () => {
    expect(selectRoute(rc(), { path: '/v1/chat/completions', method: 'GET', headers: {} })).toBeNull();
  });

  test('/v1/models/gpt-4o is split 90/10 between openai and openai_canary', () => {
    const sel = selectRoute(rc(), { path: '/v1/models/gpt-4o', headers: {} });
    expect(pickWeighted(sel!.weightedClusters!, 0.1)).toBe('openai');
    expect(pickWeighted(sel!.weightedClusters!, 0.95)).toBe('openai_canary');
  });
});
