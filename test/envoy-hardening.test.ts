import { envoyConfig } from '../src/envoy';
import { DEFAULT_MAX_HEAP_BYTES, MAX_DOWNSTREAM_CONNECTIONS } from '../src/envoy/hardening';
import { ACCESS_LOG_FORMAT } from '../src/envoy/observability';
import { Size } from 'cdk8s';
import { envoyMaxHeapBytes } from '../src/constructs/envoy-workload';
import { clusterNamed, hcmOf } from './support/envoy-config';
import { canonical, OPTIONS, SPECS, type SpecName } from './support/envoy-specs';
import { gatewayObjects, validateWithEnvoy } from './support/real-envoy';

type Json = Record<string, any>;
const configOf = (name: SpecName | Json, options = OPTIONS) => envoyConfig(canonical(name as any), options).bootstrap as Json;
const hcms = (bootstrap: Json) =>
  bootstrap.static_resources.listeners.filter((l: Json) => l.name !== 'ops').map((l: Json) => hcmOf(bootstrap, l.name));

describe('the connection manager hides the proxy and refuses tricks', () => {
  test('every listener that answers clients passes the upstream server header through and its router adds no x-envoy-* headers', () => {
    const bootstrap = configOf('fallback');
    expect(hcms(bootstrap)).toHaveLength(6);
    for (const hcm of hcms(bootstrap)) {
      expect(hcm.server_header_transformation).toBe('PASS_THROUGH');
      const router = hcm.http_filters[hcm.http_filters.length - 1];
      expect(router.typed_config.suppress_envoy_headers).toBe(true);
    }
  });

  test('an escaped slash is refused (400), so "%2F" cannot sidestep a Path rule', () => {
    expect(hcmOf(configOf('path')).path_with_escaped_slashes_action).toBe('REJECT_REQUEST');
  });

  test('the access log reads no x-envoy-* header (the router no longer adds them)', () => {
    expect(Object.values(ACCESS_LOG_FORMAT).filter((v) => /X-ENVOY/i.test(String(v)))).toEqual([]);
    expect(ACCESS_LOG_FORMAT).toMatchObject({ upstream_attempts: '%UPSTREAM_REQUEST_ATTEMPT_COUNT%', response_duration_ms: '%RESPONSE_DURATION%' });
  });

  test('behind an Ingress one proxy hop is trusted for the client address; without one, none', () => {
    expect(hcmOf(configOf({ ...SPECS.single, ingress: { host: 'llm.example.com' } })).xff_num_trusted_hops).toBe(1);
    expect(hcmOf(configOf('single')).xff_num_trusted_hops).toBeUndefined();
    expect(hcmOf(configOf('single')).use_remote_address).toBe(true);
  });
});

describe('upstream connections and overload', () => {
  const idle = (bootstrap: Json, cluster: string) =>
    clusterNamed(bootstrap, cluster).typed_extension_protocol_options['envoy.extensions.upstreams.http.v3.HttpProtocolOptions'].common_http_protocol_options
      .idle_timeout;

  test('idle upstream connections close before the upstream closes them: 50 s for providers, 4 s in-cluster (uvicorn keeps 5 s)', () => {
    const bootstrap = configOf('external');
    expect(idle(bootstrap, 'endpoint-openai')).toBe('50s');
    expect(idle(bootstrap, 'endpoint-plain')).toBe('50s');
    expect(idle(configOf('single'), 'endpoint-llm')).toBe('4s');
  });

  test('the overload manager caps downstream connections and the heap (80% of the memory limit)', () => {
    const overload = configOf('single').overload_manager;
    expect(overload.resource_monitors.map((m: Json) => m.name)).toEqual([
      'envoy.resource_monitors.global_downstream_max_connections',
      'envoy.resource_monitors.fixed_heap',
    ]);
    expect(overload.resource_monitors[0].typed_config.max_active_downstream_connections).toBe(MAX_DOWNSTREAM_CONNECTIONS);
    expect(overload.resource_monitors[1].typed_config.max_heap_size_bytes).toBe(DEFAULT_MAX_HEAP_BYTES);
    expect(envoyMaxHeapBytes()).toBe(DEFAULT_MAX_HEAP_BYTES);
    expect(envoyMaxHeapBytes({ memory: { limit: Size.gibibytes(1) } })).toBe(Math.floor(1024 ** 3 * 0.8));
    expect(envoyMaxHeapBytes({ memory: { request: Size.mebibytes(64) } })).toBeUndefined();
    expect(overload.actions.map((a: Json) => [a.name, a.triggers[0].threshold.value])).toEqual([
      ['envoy.overload_actions.shrink_heap', 0.95],
      ['envoy.overload_actions.stop_accepting_requests', 0.98],
    ]);
  });

  test('Envoy 1.40 loads all of it (resource monitors, formatters, HCM and cluster options)', async () => {
    const objects = gatewayObjects(
      {
        ...SPECS.fallback,
        ingress: { host: 'llm.example.com' },
        authentication: { type: 'APIKey', apiKeyRef: { name: 'keys', key: 'keys' } },
      },
      { resources: { memory: { limit: Size.gibibytes(1) } } },
    );
    const result = await validateWithEnvoy(objects, { keys: { keys: 'k\n' }, 'openai-key': { 'api-key': 'a' }, 'proxy-key': { key: 'p' } });
    if (!result.ok) throw new Error(result.output);
  });
});
