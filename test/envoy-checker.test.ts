import {
  assertValidEnvoyConfig,
  checkEnvoyBootstrap,
  checkEnvoyMessage,
  checkEnvoySemantics,
  luajitAvailable,
  re2ToJs,
  sampleBootstrap,
} from './support/envoy';

type Cfg = Record<string, any>;

const HCM = 'static_resources.listeners[0].filter_chains[0].filters[0].typed_config';
const hcm = (b: Cfg) => b.static_resources.listeners[0].filter_chains[0].filters[0].typed_config;
const vhost = (b: Cfg) => hcm(b).route_config.virtual_hosts[0];
const routes = (b: Cfg) => vhost(b).routes;
/** http_filters: 0 health_check, 1 jwt_authn, 2 local_ratelimit, 3 lua, 4 router */
const filter = (b: Cfg, i: number) => hcm(b).http_filters[i].typed_config;
const ROUTES = `${HCM}.route_config.virtual_hosts[0].routes`;

function problems(b: Cfg): string[] {
  return [...checkEnvoyBootstrap(b), ...checkEnvoySemantics(b)];
}

describe('valid configs', () => {
  test('the sample bootstrap passes the proto walk', () => {
    expect(checkEnvoyBootstrap(sampleBootstrap())).toEqual([]);
  });

  test('the sample bootstrap passes the semantic checks (Lua compiled by luajit)', () => {
    expect(luajitAvailable()).toBe(true);
    expect(checkEnvoySemantics(sampleBootstrap())).toEqual([]);
  });

  test('assertValidEnvoyConfig accepts the sample', () => {
    expect(() => assertValidEnvoyConfig(sampleBootstrap())).not.toThrow();
  });

  test('proto3 JSON variants are accepted', () => {
    const b = sampleBootstrap();
    const c = b.static_resources.clusters[0];
    delete c.connect_timeout;
    c.connectTimeout = '0.250s'; // lowerCamel JSON name
    c.per_connection_buffer_limit_bytes = '32768'; // UInt32Value as a decimal string
    routes(b)[1].route.retry_policy.num_retries = 3; // wrapper as a bare value
    routes(b)[1].match.headers.push({ name: 'x-budget', range_match: { start: '10', end: 100 } }); // int64 as string/number
    filter(b, 3).source_codes = { extra: { inline_bytes: Buffer.from('function envoy_on_response(h) end').toString('base64') } };
    filter(b, 3).clear_route_cache = true; // overlay: Envoy >= 1.34 field
    b.stats_flush_interval = '5s';
    b.layered_runtime = { layers: [{ name: 'static', static_layer: { 'overload.global_downstream_max_connections': 50000, nested: { a: [1, 'x', null] } } }] };
    expect(problems(b)).toEqual([]);
  });

  test('checkEnvoyMessage checks a standalone RouteConfiguration', () => {
    const rc = hcm(sampleBootstrap()).route_config;
    expect(checkEnvoyMessage('envoy.config.route.v3.RouteConfiguration', rc)).toEqual([]);
    rc.virtual_hosts[0].domains = [];
    expect(checkEnvoyMessage('envoy.config.route.v3.RouteConfiguration', rc)).toEqual([
      'virtual_hosts[0].domains: envoy.config.route.v3.VirtualHost.domains must have at least 1 item(s), got 0',
    ]);
  });

  test('a check is fast once the protos are loaded', () => {
    const b = sampleBootstrap();
    problems(b);
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < 10; i++) checkEnvoyBootstrap(b);
    const ms = Number(process.hrtime.bigint() - t0) / 1e6 / 10;
    expect(ms).toBeLessThan(100);
  });
});

interface Case {
  name: string;
  mutate: (b: Cfg) => void;
  /** Every expected error must appear exactly (path: message prefix); no other error may appear. */
  errors: string[];
}

const cases: Case[] = [
  // ---------------------------------------------------------------- proto3 JSON shape
  {
    name: 'unknown field on a cluster',
    mutate: (b) => (b.static_resources.clusters[0].conect_timeout = '5s'),
    errors: ['static_resources.clusters[0].conect_timeout: unknown field "conect_timeout" in envoy.config.cluster.v3.Cluster'],
  },
  {
    name: 'unknown field inside an Any (HCM)',
    mutate: (b) => (hcm(b).stat_prefx = 'x'),
    errors: [`${HCM}.stat_prefx: unknown field "stat_prefx" in envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager`],
  },
  {
    name: 'snake_case and lowerCamel for the same field',
    mutate: (b) => (b.static_resources.clusters[0].connectTimeout = '1s'),
    errors: ['static_resources.clusters[0].connectTimeout: field connect_timeout given twice (as "connect_timeout" and "connectTimeout")'],
  },
  {
    name: 'wrong scalar type (bool for uint32 port)',
    mutate: (b) => (b.admin.address.socket_address.port_value = true),
    errors: ['admin.address.socket_address.port_value: expected an integer (uint32), got boolean true'],
  },
  {
    name: 'non-integral number for an integer',
    mutate: (b) => (filter(b, 2).token_bucket.max_tokens = 1.5),
    errors: [`${HCM}.http_filters[2].typed_config.token_bucket.max_tokens: expected an integer (uint32), got number 1.5`],
  },
  {
    name: 'int64 given as a non-decimal string',
    mutate: (b) => routes(b)[1].match.headers.push({ name: 'x-n', range_match: { start: '1e3', end: 10 } }),
    errors: [`${ROUTES}[1].match.headers[1].range_match.start: expected an integer (int64) as number or decimal string, got string "1e3"`],
  },
  {
    name: 'wrong message type (string for route_config)',
    mutate: (b) => (hcm(b).route_config = 'aigw_routes'),
    errors: [`${HCM}.route_config: expected an object for envoy.config.route.v3.RouteConfiguration, got string "aigw_routes"`],
  },
  {
    name: 'wrong repeated type (string for domains)',
    mutate: (b) => (vhost(b).domains = '*'),
    errors: [
      `${HCM}.route_config.virtual_hosts[0].domains: expected an array (repeated string), got string "*"`,
      `${HCM}.route_config.virtual_hosts[0].domains: envoy.config.route.v3.VirtualHost.domains must have at least 1 item(s), got 0`,
    ],
  },
  {
    name: 'wrong map type (array for jwt providers)',
    mutate: (b) => (filter(b, 1).providers = [filter(b, 1).providers.idp]),
    errors: [
      `${HCM}.http_filters[1].typed_config.providers: expected an object (map<string, JwtProvider>), got array`,
      `${HCM}.http_filters[1].typed_config.rules[1].requires.provider_name: jwt_authn requirement names provider "idp", which is not in providers (none)`,
    ],
  },
  {
    name: 'wrapper written as an object',
    mutate: (b) => (routes(b)[1].route.retry_policy.num_retries = { value: 2 }),
    errors: [`${ROUTES}[1].route.retry_policy.num_retries: expected an integer (uint32), got object (google.protobuf.UInt32Value is written as a bare value)`],
  },
  {
    name: 'bytes that are not base64',
    mutate: (b) => (filter(b, 3).source_codes = { x: { inline_bytes: 'not base64!' } }),
    errors: [`${HCM}.http_filters[3].typed_config.source_codes.x.inline_bytes: expected base64 bytes, got string "not base64!"`],
  },
  {
    name: 'Struct given as a string',
    mutate: (b) => (hcm(b).access_log[0].typed_config.log_format.json_format = '{"a":"b"}'),
    errors: [`${HCM}.access_log[0].typed_config.log_format.json_format: invalid google.protobuf.Struct: expected a JSON object, got string "{\\"a\\":\\"b\\"}"`],
  },
  {
    name: 'enum value name that does not exist',
    mutate: (b) => (b.static_resources.clusters[0].type = 'STRICT'),
    errors: ['static_resources.clusters[0].type: invalid enum value "STRICT" for envoy.config.cluster.v3.Cluster.DiscoveryType; allowed: STATIC, STRICT_DNS, LOGICAL_DNS, EDS, ORIGINAL_DST'],
  },
  {
    name: 'enum number that is not defined',
    mutate: (b) => (b.static_resources.clusters[0].lb_policy = 42),
    errors: ['static_resources.clusters[0].lb_policy: enum number 42 is not defined in envoy.config.cluster.v3.Cluster.LbPolicy'],
  },
  {
    name: 'unresolvable @type',
    mutate: (b) => (filter(b, 2)['@type'] = 'type.googleapis.com/envoy.extensions.filters.http.local_rate_limit.v3.LocalRateLimit'),
    errors: [`${HCM}.http_filters[2].typed_config.@type: unresolvable @type "type.googleapis.com/envoy.extensions.filters.http.local_rate_limit.v3.LocalRateLimit"`],
  },
  {
    name: '@type without the type.googleapis.com/ prefix',
    mutate: (b) => (filter(b, 4)['@type'] = 'envoy.extensions.filters.http.router.v3.Router'),
    errors: [
      `${HCM}.http_filters[4].typed_config.@type: type URL "envoy.extensions.filters.http.router.v3.Router" must look like "type.googleapis.com/<full.message.Name>"`,
    ],
  },
  {
    name: 'TypedStruct payload with an unknown field',
    mutate: (b) =>
      (hcm(b).http_filters[4].typed_config = {
        '@type': 'type.googleapis.com/xds.type.v3.TypedStruct',
        type_url: 'type.googleapis.com/envoy.extensions.filters.http.router.v3.Router',
        value: { suppress_envoy_headerz: true },
      }),
    errors: [
      `${HCM}.http_filters[4].typed_config.value.suppress_envoy_headerz: unknown field "suppress_envoy_headerz" in envoy.extensions.filters.http.router.v3.Router`,
      `${HCM}.http_filters[4]: the last HTTP filter must be the router`,
    ],
  },
  {
    name: 'two members of one oneof (route and direct_response)',
    mutate: (b) => (routes(b)[1].direct_response = { status: 503 }),
    errors: [`${ROUTES}[1]: oneof envoy.config.route.v3.Route.action has more than one member set: route, direct_response`],
  },
  {
    name: 'two members of one oneof (cluster and weighted_clusters)',
    mutate: (b) => (routes(b)[2].route.cluster = 'openai'),
    errors: [`${ROUTES}[2].route: oneof envoy.config.route.v3.RouteAction.cluster_specifier has more than one member set: cluster, weighted_clusters`],
  },
  {
    name: 'duration given as a number',
    mutate: (b) => (b.static_resources.clusters[0].connect_timeout = 5),
    errors: ['static_resources.clusters[0].connect_timeout: invalid google.protobuf.Duration number 5: expected a string of seconds with an "s" suffix'],
  },
  {
    name: 'duration in minutes',
    mutate: (b) => (hcm(b).stream_idle_timeout = '5m'),
    errors: [`${HCM}.stream_idle_timeout: invalid google.protobuf.Duration string "5m"`],
  },
  {
    name: 'timestamp that is not RFC 3339',
    mutate: (b) => (b.static_resources.clusters[0].metadata = { typed_filter_metadata: { x: { '@type': 'type.googleapis.com/google.protobuf.Timestamp', value: '2024-01-01 00:00' } } }),
    errors: ['static_resources.clusters[0].metadata.typed_filter_metadata.x.value: invalid google.protobuf.Timestamp string "2024-01-01 00:00"'],
  },
  // ---------------------------------------------------------------- deprecated
  {
    name: 'deprecated Lua inline_code',
    mutate: (b) => {
      const lua = filter(b, 3);
      lua.inline_code = lua.default_source_code.inline_string;
      delete lua.default_source_code;
    },
    errors: [`${HCM}.http_filters[3].typed_config.inline_code: field envoy.extensions.filters.http.lua.v3.Lua.inline_code is deprecated (since API 3.0) (use default_source_code.inline_string)`],
  },
  {
    name: 'deprecated HeaderMatcher exact_match',
    mutate: (b) => (routes(b)[1].match.headers[0] = { name: ':method', exact_match: 'POST' }),
    errors: [`${ROUTES}[1].match.headers[0].exact_match: field envoy.config.route.v3.HeaderMatcher.exact_match is deprecated`],
  },
  {
    name: 'field deprecated only in newer Envoy (respect_dns_ttl)',
    mutate: (b) => (b.static_resources.clusters[0].respect_dns_ttl = true),
    errors: ['static_resources.clusters[0].respect_dns_ttl: field envoy.config.cluster.v3.Cluster.respect_dns_ttl is deprecated in newer Envoy API'],
  },
  // ---------------------------------------------------------------- PGV
  {
    name: 'PGV string min_len (empty stat_prefix)',
    mutate: (b) => (filter(b, 2).stat_prefix = ''),
    errors: [`${HCM}.http_filters[2].typed_config.stat_prefix: envoy.extensions.filters.http.local_ratelimit.v3.LocalRateLimit.stat_prefix must be at least 1 character(s), got ""`],
  },
  {
    name: 'PGV string min_len on an absent proto3 scalar',
    mutate: (b) => delete filter(b, 2).stat_prefix,
    errors: [`${HCM}.http_filters[2].typed_config.stat_prefix: envoy.extensions.filters.http.local_ratelimit.v3.LocalRateLimit.stat_prefix must be at least 1 character(s)`],
  },
  {
    name: 'PGV uint32 lte (port 70000)',
    mutate: (b) => (b.admin.address.socket_address.port_value = 70000),
    errors: ['admin.address.socket_address.port_value: envoy.config.core.v3.SocketAddress.port_value must be <= 65535, got 70000'],
  },
  {
    name: 'PGV duration gt (zero connect_timeout)',
    mutate: (b) => (b.static_resources.clusters[0].connect_timeout = '0s'),
    errors: ['static_resources.clusters[0].connect_timeout: envoy.config.cluster.v3.Cluster.connect_timeout must be > 0s, got 0s'],
  },
  {
    name: 'PGV duration required (jwks http_uri timeout)',
    mutate: (b) => delete filter(b, 1).providers.idp.remote_jwks.http_uri.timeout,
    errors: [`${HCM}.http_filters[1].typed_config.providers.idp.remote_jwks.http_uri.timeout: envoy.config.core.v3.HttpUri.timeout is required`],
  },
  {
    name: 'PGV message.required (health_check pass_through_mode)',
    mutate: (b) => delete filter(b, 0).pass_through_mode,
    errors: [`${HCM}.http_filters[0].typed_config.pass_through_mode: envoy.extensions.filters.http.health_check.v3.HealthCheck.pass_through_mode is required`],
  },
  {
    name: 'PGV required oneof (route without an action)',
    mutate: (b) => delete routes(b)[1].route,
    errors: [`${ROUTES}[1]: envoy.config.route.v3.Route: exactly one of [route, redirect, direct_response, filter_action, non_forwarding_action] is required (oneof action)`],
  },
  {
    name: 'PGV repeated min_items (no domains)',
    mutate: (b) => (vhost(b).domains = []),
    errors: [`${HCM}.route_config.virtual_hosts[0].domains: envoy.config.route.v3.VirtualHost.domains must have at least 1 item(s), got 0`],
  },
  {
    // HeaderMatcher.name uses the non-strict form (only NUL, CR and LF are rejected).
    name: 'PGV well_known_regex HTTP_HEADER_NAME (non-strict)',
    mutate: (b) => (routes(b)[1].match.headers[0].name = 'x-bad\nheader'),
    errors: [`${ROUTES}[1].match.headers[0].name: envoy.config.route.v3.HeaderMatcher.name must be a valid HTTP header name, got "x-bad\\nheader"`],
  },
  {
    name: 'PGV enum in (denominator not allowed by Percent rules is fine, but LocalRateLimit stage lte 10)',
    mutate: (b) => (filter(b, 2).stage = 11),
    errors: [`${HCM}.http_filters[2].typed_config.stage: envoy.extensions.filters.http.local_ratelimit.v3.LocalRateLimit.stage must be <= 10, got 11`],
  },
  {
    name: 'PGV bool const (LuaPerRoute disabled: false)',
    mutate: (b) => (routes(b)[2].typed_per_filter_config['envoy.filters.http.lua'] = { '@type': 'type.googleapis.com/envoy.extensions.filters.http.lua.v3.LuaPerRoute', disabled: false }),
    errors: [`${ROUTES}[2].typed_per_filter_config["envoy.filters.http.lua"].disabled: envoy.extensions.filters.http.lua.v3.LuaPerRoute.disabled must be true`],
  },
  {
    name: 'overlay field with the wrong type (clear_route_cache)',
    mutate: (b) => (filter(b, 3).clear_route_cache = 'yes'),
    errors: [`${HCM}.http_filters[3].typed_config.clear_route_cache: expected a boolean, got string "yes" (google.protobuf.BoolValue is written as a bare value)`],
  },
  // ---------------------------------------------------------------- semantics
  {
    name: 'route to a missing cluster',
    mutate: (b) => (routes(b)[1].route.cluster = 'anthropic'),
    errors: [`${ROUTES}[1].route.cluster: unknown cluster "anthropic" (not in static_resources.clusters)`],
  },
  {
    name: 'weighted cluster member missing',
    mutate: (b) => (routes(b)[2].route.weighted_clusters.clusters[1].name = 'openai_blue'),
    errors: [`${ROUTES}[2].route.weighted_clusters.clusters[1].name: unknown cluster "openai_blue"`],
  },
  {
    name: 'mirror policy to a missing cluster',
    mutate: (b) => (routes(b)[1].route.request_mirror_policies = [{ cluster: 'shadow' }]),
    errors: [`${ROUTES}[1].route.request_mirror_policies[0].cluster: unknown cluster "shadow"`],
  },
  {
    name: 'jwt_authn remote_jwks to a missing cluster',
    mutate: (b) => (b.static_resources.clusters = b.static_resources.clusters.filter((c: Cfg) => c.name !== 'idp_jwks')),
    errors: [`${HCM}.http_filters[1].typed_config.providers.idp.remote_jwks.http_uri.cluster: unknown cluster "idp_jwks"`],
  },
  {
    name: 'OpenTelemetry tracer to a missing cluster',
    mutate: (b) =>
      (hcm(b).tracing = {
        provider: {
          name: 'envoy.tracers.opentelemetry',
          typed_config: {
            '@type': 'type.googleapis.com/envoy.config.trace.v3.OpenTelemetryConfig',
            grpc_service: { envoy_grpc: { cluster_name: 'otel_collector' }, timeout: '1s' },
            service_name: 'aigw',
          },
        },
      }),
    errors: [`${HCM}.tracing.provider.typed_config.grpc_service.envoy_grpc.cluster_name: unknown cluster "otel_collector"`],
  },
  {
    name: 'weighted cluster with weight 0',
    mutate: (b) => (routes(b)[2].route.weighted_clusters.clusters[1].weight = 0),
    errors: [`${ROUTES}[2].route.weighted_clusters.clusters[1].weight: weighted cluster "openai_canary" needs a weight > 0 (got 0)`],
  },
  {
    name: 'duplicate cluster name',
    mutate: (b) => b.static_resources.clusters.push({ ...b.static_resources.clusters[0] }),
    errors: ['static_resources.clusters[3].name: duplicate cluster name "openai"'],
  },
  {
    name: 'duplicate listener port',
    mutate: (b) => {
      const l2 = JSON.parse(JSON.stringify(b.static_resources.listeners[0]));
      l2.name = 'http_copy';
      b.static_resources.listeners.push(l2);
    },
    errors: ['static_resources.listeners[1].address.socket_address: listener "http_copy" duplicates address 0.0.0.0:8080 of listener "http"'],
  },
  {
    name: 'listener on the admin port',
    mutate: (b) => (b.static_resources.listeners[0].address.socket_address.port_value = 9901),
    errors: ['static_resources.listeners[0].address.socket_address: listener "http" uses port 9901, which is the admin port'],
  },
  {
    name: 'duplicate virtual host domain',
    mutate: (b) => hcm(b).route_config.virtual_hosts.push({ name: 'other', domains: ['*'], routes: [] }),
    errors: [`${HCM}.route_config.virtual_hosts[1].domains[0]: only one virtual host may use the "*" domain`],
  },
  {
    name: 'regex with lookahead (not RE2)',
    mutate: (b) => (routes(b)[2].match.safe_regex.regex = '/v1/models(?!/internal).*'),
    errors: [`${ROUTES}[2].match.safe_regex.regex: invalid RE2 regex "/v1/models(?!/internal).*": lookahead`],
  },
  {
    name: 'regex with a backreference (not RE2)',
    mutate: (b) => (routes(b)[1].match.headers[0].string_match = { safe_regex: { regex: '(a)\\1' } }),
    errors: [`${ROUTES}[1].match.headers[0].string_match.safe_regex.regex: invalid RE2 regex "(a)\\\\1": backreferences`],
  },
  {
    name: 'regex that does not compile at all',
    mutate: (b) => (routes(b)[2].match.safe_regex.regex = '/v1/(models'),
    errors: [`${ROUTES}[2].match.safe_regex.regex: invalid RE2 regex "/v1/(models"`],
  },
  {
    name: 'Lua syntax error in default_source_code',
    mutate: (b) => (filter(b, 3).default_source_code.inline_string = 'function envoy_on_request(h)\n  if h then\nend'),
    errors: [`${HCM}.http_filters[3].typed_config.default_source_code.inline_string: Lua syntax error: lua:3: 'end' expected (to close 'function' at line 1) near '<eof>'`],
  },
  {
    name: 'Lua syntax error in a per-route source',
    mutate: (b) => (routes(b)[2].typed_per_filter_config['envoy.filters.http.lua'].source_code.inline_string = 'function envoy_on_request(h) h:x( end'),
    errors: [`${ROUTES}[2].typed_per_filter_config["envoy.filters.http.lua"].source_code.inline_string: Lua syntax error`],
  },
  {
    name: 'Lua top level that fails when Envoy loads it',
    mutate: (b) => (filter(b, 3).default_source_code.inline_string = 'local json = require("cjson")\nfunction envoy_on_request(h) end'),
    errors: [`${HCM}.http_filters[3].typed_config.default_source_code.inline_string: Lua runtime error in top-level code: `],
  },
  {
    name: 'Lua source without envoy_on_request/envoy_on_response',
    mutate: (b) => (filter(b, 3).default_source_code.inline_string = 'local function on_request(h) end'),
    errors: [`${HCM}.http_filters[3].typed_config.default_source_code.inline_string: Lua defines neither envoy_on_request nor envoy_on_response`],
  },
  {
    name: 'LuaPerRoute naming an unknown source',
    mutate: (b) => (routes(b)[2].typed_per_filter_config['envoy.filters.http.lua'] = { '@type': 'type.googleapis.com/envoy.extensions.filters.http.lua.v3.LuaPerRoute', name: 'models.lua' }),
    errors: [`${ROUTES}[2].typed_per_filter_config["envoy.filters.http.lua"].name: LuaPerRoute names source "models.lua", which no Lua filter defines in source_codes`],
  },
  {
    name: 'router filter not last',
    mutate: (b) => hcm(b).http_filters.splice(3, 0, hcm(b).http_filters.pop()),
    errors: [
      `${HCM}.http_filters[3]: the router filter must be the last HTTP filter (found at position 3 of 5)`,
      `${HCM}.http_filters[4]: the last HTTP filter must be the router (envoy.filters.http.router), got "envoy.filters.http.lua"`,
    ],
  },
  {
    name: 'jwt rule requiring an unknown provider',
    mutate: (b) => (filter(b, 1).rules[1].requires = { requires_any: { requirements: [{ provider_name: 'idp' }, { provider_name: 'google' }] } }),
    errors: [`${HCM}.http_filters[1].typed_config.rules[1].requires.requires_any.requirements[1].provider_name: jwt_authn requirement names provider "google", which is not in providers (idp)`],
  },
];

describe('mutations of the sample bootstrap', () => {
  test.each(cases)('fails: $name', ({ mutate, errors }) => {
    const b = sampleBootstrap();
    mutate(b);
    const got = problems(b);
    for (const e of errors) {
      expect(got).toEqual(expect.arrayContaining([expect.stringContaining(e)]));
    }
    expect(got).toHaveLength(errors.length);
  });

  test('fails: assertValidEnvoyConfig lists every problem of both checks in one error', () => {
    const b = sampleBootstrap();
    b.static_resources.clusters[0].connect_timeout = 300;
    routes(b)[1].route.cluster = 'nope';
    expect(() => assertValidEnvoyConfig(b)).toThrow(/2 problem\(s\):\n {2}- static_resources\.clusters\[0\]\.connect_timeout: invalid google\.protobuf\.Duration[\s\S]*unknown cluster "nope"/);
  });
});

describe('RE2 translation', () => {
  test.each([
    ['(?P<model>gpt-4o)(-mini)?', true],
    ['(?i)^/V1/Chat', true],
    ['[[:alpha:]]+\\d{2,3}', true],
    ['\\Qa.b\\E', true],
    ['\\x{1F600}|\\pL+', true],
    ['a{,3}', true],
    ['a\\-b', true],
    ['(?<=x)y', false],
    ['x(?=y)', false],
    ['(a)\\1', false],
    ['a++', false],
    ['(?>a)', false],
    ['a{1001}', false],
    ['[a-', false],
  ])('%s compiles under RE2 rules: %s', (pattern, ok) => {
    expect(re2ToJs(pattern).ok).toBe(ok);
  });
});
