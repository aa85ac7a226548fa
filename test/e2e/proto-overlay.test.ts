/**
 * The proto walk (test/support/envoy) checks against mid-2024 protos plus an overlay of newer
 * fields and of fields deprecated since. Real Envoy (the pinned release) is the authority: this
 * file keeps the overlay true to it, and checks that the walk accepts what Envoy loads.
 */
import { checkEnvoyBootstrap, DEFAULT_OVERLAY_FIELDS, sampleBootstrap, UPSTREAM_DEPRECATED_FIELDS, envoyConfigProblems, luajitAvailable } from '../support/envoy';
import { catalogueGateways, matrixGateways } from '../support/feature-matrix';
import { mapConcurrent, PINNED_ENVOY_VERSION, podBootstrap, podConfigFiles, podsOf, validateBootstrap, type ValidateResult } from '../support/real-envoy';

import { mkdtempSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';

type Json = any;

const hcm = (b: Json) => b.static_resources.listeners[0].filter_chains[0].filters[0].typed_config;
const luaFilter = (b: Json) => hcm(b).http_filters.find((f: Json) => f.name === 'envoy.filters.http.lua').typed_config;
const cluster = (b: Json) => b.static_resources.clusters[0];

/** How to use each field of UPSTREAM_DEPRECATED_FIELDS in the sample bootstrap. */
const USE_DEPRECATED: Record<string, (b: Json) => void> = {
  'envoy.config.cluster.v3.Cluster.dns_refresh_rate': (b) => (cluster(b).dns_refresh_rate = '10s'),
  'envoy.config.cluster.v3.Cluster.dns_failure_refresh_rate': (b) => (cluster(b).dns_failure_refresh_rate = { base_interval: '2s' }),
  'envoy.config.cluster.v3.Cluster.respect_dns_ttl': (b) => (cluster(b).respect_dns_ttl = true),
  'envoy.config.route.v3.VirtualHost.per_request_buffer_limit_bytes': (b) => (hcm(b).route_config.virtual_hosts[0].per_request_buffer_limit_bytes = 65536),
  'envoy.config.route.v3.Route.per_request_buffer_limit_bytes': (b) => (hcm(b).route_config.virtual_hosts[0].routes[0].per_request_buffer_limit_bytes = 65536),
  'envoy.config.core.v3.Http1ProtocolOptions.use_balsa_parser': (b) => (hcm(b).http_protocol_options = { use_balsa_parser: true }),
  'envoy.config.core.v3.JsonFormatOptions.sort_properties': (b) => (hcm(b).access_log[0].typed_config.log_format.json_format_options = { sort_properties: true }),
  'envoy.config.endpoint.v3.LocalityLbEndpoints.load_balancer_endpoints': (b) => {
    const locality = cluster(b).load_assignment.endpoints[0];
    locality.load_balancer_endpoints = { lb_endpoints: locality.lb_endpoints };
    delete locality.lb_endpoints;
  },
};
/**
 * KeyValue.key/value and KeyValueAppend.entry are reached only through KeyValueMutation, which no
 * bootstrap-level message of the bundled protos uses (nor does the project): the walk keeps them
 * deprecated on upstream's word.
 */
const UNREACHABLE = ['envoy.config.core.v3.KeyValue.key', 'envoy.config.core.v3.KeyValue.value', 'envoy.config.core.v3.KeyValueAppend.entry'];

/** How to use each overlay field in the sample bootstrap. */
const USE_OVERLAY: Record<string, (b: Json) => void> = {
  'envoy.extensions.filters.http.lua.v3.Lua.clear_route_cache': (b) => (luaFilter(b).clear_route_cache = false),
  'envoy.extensions.http.injected_credentials.generic.v3.Generic.header_value_prefix': (b) => {
    // The generic credential reads a file-based SDS secret, which must exist for validate mode.
    const dir = mkdtempSync(join(tmpdir(), 'aigate-overlay-'));
    writeFileSync(join(dir, 'key'), 'k');
    const sds = join(dir, 'sds.json');
    writeFileSync(sds, JSON.stringify({ resources: [{ '@type': 'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.Secret', name: 'k', generic_secret: { secret: { filename: join(dir, 'key') } } }] }));
    const typed = (type: string, value: Json = {}) => ({ '@type': `type.googleapis.com/${type}`, ...value });
    cluster(b).typed_extension_protocol_options = {
      'envoy.extensions.upstreams.http.v3.HttpProtocolOptions': typed('envoy.extensions.upstreams.http.v3.HttpProtocolOptions', {
        explicit_http_config: { http_protocol_options: {} },
        http_filters: [
          {
            name: 'envoy.filters.http.credential_injector',
            typed_config: typed('envoy.extensions.filters.http.credential_injector.v3.CredentialInjector', {
              credential: {
                name: 'envoy.http.injected_credentials.generic',
                typed_config: typed('envoy.extensions.http.injected_credentials.generic.v3.Generic', {
                  credential: { name: 'k', sds_config: { path_config_source: { path: sds }, resource_api_version: 'V3' } },
                  header: 'Authorization',
                  header_value_prefix: 'Bearer ',
                }),
              },
            }),
          },
          { name: 'envoy.filters.http.upstream_codec', typed_config: typed('envoy.extensions.filters.http.upstream_codec.v3.UpstreamCodec') },
        ],
      }),
    };
  },
};

/** The sample bootstrap with `use` applied (none: as it is). */
const sampleWith = (use?: (b: Json) => void) => {
  const b = sampleBootstrap();
  use?.(b);
  return b;
};

describe(`the proto walk's overlay matches Envoy ${PINNED_ENVOY_VERSION}`, () => {
  /** Envoy's verdict on the sample and on each field's use, run up front 3 at a time. */
  const envoy = new Map<string, ValidateResult>();
  beforeAll(async () => {
    const uses: [string, ((b: Json) => void) | undefined][] = [['sample', undefined], ...Object.entries(USE_OVERLAY), ...Object.entries(USE_DEPRECATED)];
    const results = await mapConcurrent(uses, 3, ([, use]) => validateBootstrap(sampleWith(use)));
    uses.forEach(([name], i) => envoy.set(name, results[i]));
  });

  it('the sample bootstrap loads in Envoy as it is', () => {
    expect(envoy.get('sample')).toEqual({ ok: true, output: expect.stringContaining('OK') });
  });

  it('names a way to use every overlay and deprecated field', () => {
    expect(Object.keys(USE_OVERLAY).sort()).toEqual(DEFAULT_OVERLAY_FIELDS.map((f) => `${f.message}.${f.name}`).sort());
    expect([...Object.keys(USE_DEPRECATED), ...UNREACHABLE].sort()).toEqual([...UPSTREAM_DEPRECATED_FIELDS].sort());
  });

  it.each(Object.keys(USE_OVERLAY))('%s: Envoy loads it and the walk accepts it', (field) => {
    expect(checkEnvoyBootstrap(sampleWith(USE_OVERLAY[field]))).toEqual([]);
    expect(envoy.get(field)).toEqual({ ok: true, output: expect.stringContaining('OK') });
  });

  it.each(Object.keys(USE_DEPRECATED))('fails on %s: Envoy calls it deprecated, and so does the walk', (field) => {
    expect(checkEnvoyBootstrap(sampleWith(USE_DEPRECATED[field])).some((p) => /deprecated/i.test(p))).toBe(true);
    const result = envoy.get(field)!;
    expect(result.ok).toBe(false);
    expect(result.output).toContain(`deprecated option '${field}'`);
  });
});

describe('the proto walk accepts every bootstrap Envoy loads', () => {
  it('every catalogue spec and every matrix config (validate-matrix.test.ts loads them in Envoy)', () => {
    const problems = [...catalogueGateways(), ...matrixGateways()].flatMap(({ label, objects }) =>
      podsOf(objects).flatMap((pod) => envoyConfigProblems(podBootstrap(pod), { lua: luajitAvailable(), files: podConfigFiles(pod) }).map((p) => `${label}: ${p}`)),
    );
    expect(problems).toEqual([]);
  });
});
