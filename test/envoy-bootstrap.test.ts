import { mkdtempSync, rmSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { envoyConfig, translationIssues } from '../src/envoy';
import { bodyRoutingFilter } from '../src/envoy/lua';
import { ACCESS_LOG_FORMAT } from '../src/envoy/observability';
import { SpecValidationError } from '../src/spec';
import { aigate } from './support/cli';
import { assertValidEnvoyConfig } from './support/envoy';
import { clusterNamed, hcmOf } from './support/envoy-config';
import { canonical, OPTIONS, SPEC_NAMES, type SpecName } from './support/envoy-specs';

const configOf = (name: SpecName) => envoyConfig(canonical(name), OPTIONS);
const bootstrapOf = (name: SpecName) => configOf(name).bootstrap as Record<string, any>;

describe('every test spec gives a bootstrap Envoy accepts (proto walk + load-time checks)', () => {
  test.each(SPEC_NAMES)('%s', (name) => {
    const config = configOf(name);
    assertValidEnvoyConfig(config.bootstrap, { files: config.files });
  });

  test('every internal address names an internal listener of the bootstrap', () => {
    for (const name of SPEC_NAMES) {
      const b = bootstrapOf(name);
      const internal = new Set(b.static_resources.listeners.filter((l: any) => l.internal_listener).map((l: any) => l.name));
      const targets = JSON.stringify(b).match(/"server_listener_name":"[^"]+"/g) ?? [];
      for (const t of targets) expect(internal).toContain(JSON.parse(`{${t}}`).server_listener_name);
    }
  });
});

describe('HTTP connection manager', () => {
  const hcm = hcmOf(bootstrapOf('weighted'));

  test('suits long streamed LLM responses: no overall timeout, the endpoint timeout bounds silence per attempt, the idle timeout is longer', () => {
    expect(hcm.request_timeout).toBe('0s');
    expect(hcm.stream_idle_timeout).toBe('300s');
    const slow = hcmOf(envoyConfig(canonical({ gatewayClassName: 'e', endpoints: [{ name: 'slow', serviceRef: { name: 's' }, timeout: '10m' }] }), OPTIONS).bootstrap as any);
    // Longer than the router's bound, so a silent upstream gets the router's 504, not a 408.
    expect(slow.stream_idle_timeout).toBe('610s');
    const route = slow.route_config.virtual_hosts[0].routes[0].route;
    expect(route.timeout).toBe('0s');
    expect(route.retry_policy.per_try_idle_timeout).toBe('600s');
  });

  test('normalizes paths before routing and trusts only the connecting address', () => {
    expect(hcm).toMatchObject({
      normalize_path: true,
      merge_slashes: true,
      strip_any_host_port: true,
      use_remote_address: true,
      max_request_headers_kb: 96,
      generate_request_id: true,
      always_set_request_id_in_response: true,
    });
  });

  test('endpoint durations are written as Envoy durations ("2m" -> "120s", "500ms" -> "0.5s")', () => {
    const spec = canonical({
      gatewayClassName: 'e',
      endpoints: [{ name: 'a', serviceRef: { name: 'a' }, timeout: '2m', retries: { attempts: 1, perTryTimeout: '500ms' } }],
    });
    const action = hcmOf(envoyConfig(spec, OPTIONS).bootstrap as any).route_config.virtual_hosts[0].routes[0].route;
    expect(action.timeout).toBe('0s');
    expect(action.retry_policy).toEqual({
      retry_on: 'connect-failure,refused-stream,reset-before-request,retriable-status-codes',
      retriable_status_codes: [500, 502, 503],
      num_retries: 1,
      per_try_idle_timeout: '120s',
      per_try_timeout: '0.5s',
    });
  });

  test('retries are never on a timeout: no retry_on condition that includes per-try timeouts', () => {
    const action = hcm.route_config.virtual_hosts[0].routes[0].route;
    // Envoy retries a per-try timeout for 5xx, gateway-error and reset (RetryStateImpl::wouldRetryFromReset).
    expect(action.retry_policy.retry_on.split(',')).not.toEqual(expect.arrayContaining(['5xx']));
    for (const c of ['5xx', 'gateway-error', 'reset']) expect(action.retry_policy.retry_on.split(',')).not.toContain(c);
    expect(action.retry_policy.retriable_status_codes).not.toContain(504);
  });

  test('retries: 0 attempts means no retry condition, only the per-attempt bounds', () => {
    const spec = canonical({ gatewayClassName: 'e', endpoints: [{ name: 'a', serviceRef: { name: 'a' }, retries: { attempts: 0 } }] });
    expect(hcmOf(envoyConfig(spec, OPTIONS).bootstrap as any).route_config.virtual_hosts[0].routes[0].route.retry_policy).toEqual({ num_retries: 0, per_try_idle_timeout: '60s' });
  });

  test('Envoy\'s own upstream failures (503/504) get a JSON body', () => {
    const mapper = hcm.local_reply_config.mappers.at(-1);
    expect(mapper.filter.response_flag_filter.flags).toEqual(['UH', 'UF', 'UT', 'URX', 'UO', 'UC']);
    expect(mapper.body_format_override.json_format.error.type).toBe('upstream_unavailable');
  });
});

describe('access log', () => {
  test('one JSON line per request on stdout, with model, endpoint, tokens, cost and cache from the Lua filters\' metadata', () => {
    const [log] = hcmOf(bootstrapOf('single')).access_log;
    expect(log.name).toBe('envoy.access_loggers.stdout');
    const format = log.typed_config.log_format.json_format;
    expect(format).toMatchObject({
      time: '%START_TIME%',
      method: '%REQ(:METHOD)%',
      status: '%RESPONSE_CODE%',
      duration_ms: '%DURATION%',
      upstream_cluster: '%UPSTREAM_CLUSTER%',
      request_id: '%REQ(X-REQUEST-ID)%',
    });
    for (const key of ['model', 'endpoint', 'input_tokens', 'output_tokens', 'total_tokens', 'cost_usd', 'cache']) {
      expect(format[key]).toBe(`%DYNAMIC_METADATA(ai.gateway:${key})%`);
    }
  });

  test('never logs a credential: only named request headers, and the path without its query string', () => {
    const requestHeaders = Object.values(ACCESS_LOG_FORMAT)
      .join(' ')
      .match(/%(REQ|PATH)\(([^)]*)\)%/g);
    expect(requestHeaders).toEqual(['%REQ(X-REQUEST-ID)%', '%REQ(:METHOD)%', '%PATH(NQ)%', '%REQ(USER-AGENT)%']);
    // %PATH(NQ)% (Envoy >= 1.34) is the path without its query; %PATH% alone, or :PATH, would log the query.
    expect(JSON.stringify(ACCESS_LOG_FORMAT)).not.toMatch(/authorization|api-key|x-api-key|REQUEST_HEADERS|%REQ\(:PATH\)%|%PATH%/i);
  });

  test('is off when observability.accessLog is false', () => {
    expect(hcmOf(bootstrapOf('quiet')).access_log).toBeUndefined();
  });
});

describe('tracing', () => {
  test('OpenTelemetry over gRPC (HTTP/2) to the collector, sampled as asked', () => {
    const b = bootstrapOf('tracing');
    const tracing = hcmOf(b).tracing;
    expect(tracing.random_sampling).toEqual({ value: 12.5 });
    expect(tracing.provider.name).toBe('envoy.tracers.opentelemetry');
    expect(tracing.provider.typed_config.grpc_service.envoy_grpc.cluster_name).toBe('opentelemetry-collector');
    expect(tracing.provider.typed_config.service_name).toBe('gw');
    const collector = clusterNamed(b, 'opentelemetry-collector');
    expect(collector.load_assignment.endpoints[0].lb_endpoints[0].endpoint.address.socket_address).toEqual({
      address: 'otel-collector.observability',
      port_value: 4317,
    });
    expect(collector.typed_extension_protocol_options['envoy.extensions.upstreams.http.v3.HttpProtocolOptions'].explicit_http_config).toEqual({
      http2_protocol_options: {},
    });
  });

  test('is off (no tracer, no collector cluster) without observability.tracing', () => {
    const b = bootstrapOf('single');
    expect(hcmOf(b).tracing).toBeUndefined();
    expect(b.static_resources.clusters.map((c: any) => c.name)).toEqual(['endpoint-llm', 'envoy-admin']);
  });
});

describe('JWT authentication', () => {
  const b = bootstrapOf('jwt');
  const jwt = hcmOf(b).http_filters[0];

  test('checks issuer, audiences and signature with keys fetched from the JWKS, and drops the token', () => {
    expect(jwt.name).toBe('envoy.filters.http.jwt_authn');
    const provider = jwt.typed_config.providers.gateway;
    expect(provider).toMatchObject({ issuer: 'https://auth.example.com/', audiences: ['llm-gateway'], forward: false });
    expect(provider.remote_jwks).toMatchObject({
      http_uri: { uri: 'https://auth.example.com/.well-known/jwks.json', cluster: 'jwt-jwks', timeout: '5s' },
      cache_duration: '600s',
      async_fetch: {},
    });
    expect(jwt.typed_config.rules).toEqual([{ match: { prefix: '/' }, requires: { provider_name: 'gateway' } }]);
  });

  test('the JWKS is fetched over TLS to its host', () => {
    const cluster = clusterNamed(b, 'jwt-jwks');
    expect(cluster.load_assignment.endpoints[0].lb_endpoints[0].endpoint.address.socket_address).toEqual({ address: 'auth.example.com', port_value: 443 });
    expect(cluster.transport_socket.typed_config.sni).toBe('auth.example.com');
  });

  test('a rejected token gets a JSON 401/403 body', () => {
    const mapper = hcmOf(b).local_reply_config.mappers.find((m: any) => m.filter.or_filter);
    expect(mapper.filter.or_filter.filters.map((f: any) => f.status_code_filter.comparison.value.default_value)).toEqual([401, 403]);
    expect(mapper.body_format_override.json_format.error).toEqual({ type: 'authentication_error', message: '%LOCAL_REPLY_BODY%' });
    // Without JWT no status-based mapper exists (it would rewrite other filters' 401s).
    expect(hcmOf(bootstrapOf('single')).local_reply_config.mappers.some((m: any) => m.filter.or_filter)).toBe(false);
  });
});

describe('warnings: only what still has no filter', () => {
  test.each<SpecName>(['single', 'header', 'path', 'weighted', 'external', 'fallback', 'jwt', 'rateLimited', 'tracing', 'quiet'])(
    '%s translates completely',
    (name) => {
      expect(configOf(name).warnings).toEqual([]);
    },
  );

  test('a Lua feature is reported exactly while its filter is not available', () => {
    const spec = canonical('requestBody');
    const expected = bodyRoutingFilter(spec, OPTIONS)
      ? []
      : ['modelRouting.strategy RequestBody (reading the model from the body) is not translated to Envoy configuration yet'];
    expect(configOf('requestBody').warnings).toEqual(expected);
  });
});

describe('what Envoy cannot do as asked is refused with the field path', () => {
  const base = { gatewayClassName: 'envoy', endpoints: [{ name: 'llm', serviceRef: { name: 'llm' } }] };
  test.each([
    [
      'an endpoint URL port over 65535',
      { ...base, endpoints: [{ name: 'llm', url: 'https://api.example.com:70000/v1' }] },
      'spec.endpoints[0].url: port 70000 is out of range: a port is 1-65535',
    ],
    [
      'a tracing collector port over 65535',
      { ...base, observability: { tracing: { endpoint: 'otel.observability:99999' } } },
      'spec.observability.tracing.endpoint: port 99999 is out of range: a port is 1-65535',
    ],
    [
      'a JWKS URL with port 0',
      { ...base, authentication: { type: 'JWT', jwtSpec: { issuer: 'x', jwksUri: 'https://auth.example.com:0/jwks' } } },
      'spec.authentication.jwtSpec.jwksUri: port 0 is out of range: a port is 1-65535',
    ],
    [
      'a credential prefix with a line break',
      { ...base, endpoints: [{ name: 'llm', url: 'https://api.example.com', credentialsRef: { name: 's', key: 'k', prefix: 'Bearer\n' } }] },
      'spec.endpoints[0].credentialsRef.prefix: must not contain control characters (it is sent at the start of a header value)',
    ],
  ])('fails for %s', (_label, spec, message) => {
    const canonicalSpec = canonical(spec as any);
    expect(translationIssues(canonicalSpec).map((i) => `${i.path.join('.').replace(/\.(\d+)/g, '[$1]')}: ${i.message}`)).toEqual([message]);
    expect(() => envoyConfig(canonicalSpec, OPTIONS)).toThrow(SpecValidationError);
    expect(() => envoyConfig(canonicalSpec, OPTIONS)).toThrow(message);
  });

  test('fails in `aigate validate` too, at the field\'s line and column', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'aigate-envoy-'));
    try {
      const file = join(dir, 'gw.yaml');
      writeFileSync(
        file,
        [
          'apiVersion: gateway.example.com/v1',
          'kind: AIGatewayResource',
          'metadata: {name: gw}',
          'spec:',
          '  gatewayClassName: envoy',
          '  endpoints:',
          '    - name: llm',
          '      url: https://api.example.com:70000/v1',
          '',
        ].join('\n'),
      );
      const result = await aigate(['validate', file]);
      expect(result.code).toBe(1);
      expect(result.stderr).toContain(`${file}:8:12: spec.endpoints[0].url: port 70000 is out of range: a port is 1-65535`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('request body limit (spec.limits.maxRequestBodyBytes)', () => {
  const publicListener = (b: Record<string, any>) => b.static_resources.listeners.find((l: any) => l.name === 'public');
  const spec = (limits?: { maxRequestBodyBytes: number }) => canonical({ gatewayClassName: 'e', endpoints: [{ name: 'a', serviceRef: { name: 'a' } }], ...(limits && { limits }) });

  test('is the public listener buffer limit, 8 MiB by default', () => {
    expect(publicListener(envoyConfig(spec(), OPTIONS).bootstrap as any).per_connection_buffer_limit_bytes).toBe(8 * 1024 * 1024);
    expect(publicListener(envoyConfig(spec({ maxRequestBodyBytes: 2 * 1024 * 1024 }), OPTIONS).bootstrap as any).per_connection_buffer_limit_bytes).toBe(2 * 1024 * 1024);
  });

  test('a body over it gets a JSON 413 naming the limit', () => {
    const mappers = hcmOf(envoyConfig(spec({ maxRequestBodyBytes: 65536 }), OPTIONS).bootstrap as any).local_reply_config.mappers;
    const tooLarge = mappers.find((m: any) => m.filter.status_code_filter?.comparison.value.default_value === 413);
    expect(tooLarge.body_format_override.json_format.error).toMatchObject({ type: 'request_too_large', limitBytes: 65536 });
  });

  test('the usage filter never holds back a response larger than it (Envoy would answer 500)', () => {
    const small = canonical({ gatewayClassName: 'e', endpoints: [{ name: 'a', serviceRef: { name: 'a' } }], observability: { usageHeaders: true }, limits: { maxRequestBodyBytes: 65536 } });
    expect(envoyConfig(small, OPTIONS).files['lua-usage.lua']).toContain('["maxBufferBytes"] = 65536');
  });

  test('fails a limit outside 64 KiB..64 MiB, naming the field', () => {
    expect(() => spec({ maxRequestBodyBytes: 1000 })).toThrow(/limits\.maxRequestBodyBytes[\s\S]*between 65536 and 67108864/);
  });
});
