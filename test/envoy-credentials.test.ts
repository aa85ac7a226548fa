import { parse } from 'yaml';
import { envoyConfig, renderBootstrap } from '../src/envoy';
import { SYSTEM_CA_BUNDLE } from '../src/envoy/clusters';
import { credentialFilters, credentialSdsFile, credentialSecretName } from '../src/envoy/credentials';
import { parseSpec } from '../src/spec';
import { renderGateway } from '../src/constructs';
import { checkEnvoyMessage, walkEnvoyMessages } from './support/envoy';
import { clusterNamed, hcmOf, upstreamFilter, upstreamFilterNames } from './support/envoy-config';
import { canonical, OPTIONS, SPECS } from './support/envoy-specs';

const config = envoyConfig(canonical('external'), OPTIONS);
const bootstrap = config.bootstrap as Record<string, any>;

describe('upstream credentials (credentialsRef)', () => {
  test.each([
    // provider -> the header and prefix its API expects (canonical defaults)
    ['openai', 'Authorization', 'Bearer ', 'credential-openai-key_api-key'],
    ['anthropic', 'x-api-key', undefined, 'credential-anthropic-key_key'],
    ['azure', 'api-key', undefined, 'credential-azure_k'],
  ])('%s: the key is injected into %s by its own cluster\'s upstream filters', (endpoint, header, prefix, secretName) => {
    const cluster = clusterNamed(bootstrap, `endpoint-${endpoint}`);
    // One filter does it all: the generic credential carries the prefix (no header rewrite).
    expect(upstreamFilterNames(cluster)).toEqual(['envoy.filters.http.credential_injector', 'envoy.filters.http.upstream_codec']);
    const injector = upstreamFilter(cluster, 'envoy.filters.http.credential_injector');
    // Whatever the client sent in that header (e.g. its gateway key) is replaced; no key, no call.
    expect(injector.overwrite).toBe(true);
    expect(injector.allow_request_without_credential).toBe(false);
    expect(injector.credential.typed_config.header).toBe(header);
    expect(injector.credential.typed_config.credential.name).toBe(secretName);
    expect(injector.credential.typed_config.header_value_prefix).toBe(prefix);
  });

  test('an endpoint without credentialsRef has no upstream filters', () => {
    expect(upstreamFilterNames(clusterNamed(bootstrap, 'endpoint-plain'))).toEqual([]);
  });

  test('the prefix is sent as written: header_value_prefix is no format string, so "%" needs no escaping', () => {
    const [injector] = credentialFilters({ name: 's', key: 'k', header: 'Authorization', prefix: '100%ok ' });
    expect((injector.typed_config as any).credential.typed_config.header_value_prefix).toBe('100%ok ');
  });

  describe('a missing key (the injector\'s 401) becomes a JSON 503', () => {
    const isCredentialFailure = (m: any) => m.body_format_override?.json_format?.error?.type === 'upstream_credentials_unavailable';
    const mappersOf = (b: any, listener?: string) => hcmOf(b, listener).local_reply_config.mappers;

    test('matched by status 401 and the injector\'s reason, first, so the JWT 401 mapper never claims it', () => {
      const withJwt = envoyConfig(canonical({ ...SPECS.external, authentication: SPECS.jwt.authentication }), OPTIONS).bootstrap;
      const mappers = mappersOf(withJwt);
      expect(isCredentialFailure(mappers[0])).toBe(true);
      expect(mappers[0].status_code).toBe(503);
      const [status, details] = mappers[0].filter.and_filter.filters;
      expect(status.status_code_filter.comparison).toMatchObject({ op: 'EQ', value: { default_value: 401 } });
      expect(details.extension_filter.typed_config.expression).toBe("response.code_details == 'failed_to_inject_credential'");
      expect(mappers.some((m: any) => m.body_format_override?.json_format?.error?.type === 'authentication_error')).toBe(true);
    });

    test('also on the internal listeners of a fallback group (their clusters inject the key)', () => {
      const fallback = envoyConfig(canonical('fallback'), OPTIONS).bootstrap;
      expect(mappersOf(fallback, 'internal-openai').some(isCredentialFailure)).toBe(true);
    });

    test('absent when no endpoint has credentialsRef', () => {
      expect(mappersOf(envoyConfig(canonical('jwt'), OPTIONS).bootstrap).some(isCredentialFailure)).toBe(false);
    });
  });

  test('each SDS secret is a file next to envoy.json that names the mounted Secret key, and is a valid Envoy Secret', () => {
    const injector = upstreamFilter(clusterNamed(bootstrap, 'endpoint-openai'), 'envoy.filters.http.credential_injector');
    const sds = injector.credential.typed_config.credential.sds_config;
    expect(sds).toEqual({ path_config_source: { path: '/etc/envoy/sds-openai-key_api-key.yaml' }, resource_api_version: 'V3' });
    const file = parse(config.files['sds-openai-key_api-key.yaml']);
    expect(file.resources).toHaveLength(1);
    const [secret] = file.resources;
    expect(secret).toEqual({
      '@type': 'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.Secret',
      name: 'credential-openai-key_api-key',
      generic_secret: { secret: { filename: '/etc/aigateway/secrets/openai-key/api-key' } },
    });
    const { '@type': _type, ...body } = secret;
    expect(checkEnvoyMessage('envoy.extensions.transport_sockets.tls.v3.Secret', body)).toEqual([]);
    expect(Object.keys(config.files).sort()).toEqual(['sds-anthropic-key_key.yaml', 'sds-azure_k.yaml', 'sds-openai-key_api-key.yaml']);
  });

  test('the Secret keys to mount are reported once each, in the mount-path convention', () => {
    expect(config.secretFiles).toEqual([
      { secretName: 'openai-key', key: 'api-key', mountPath: '/etc/aigateway/secrets/openai-key' },
      { secretName: 'anthropic-key', key: 'key', mountPath: '/etc/aigateway/secrets/anthropic-key' },
      { secretName: 'azure', key: 'k', mountPath: '/etc/aigateway/secrets/azure' },
    ]);
    // A fallback group sharing one Secret key mounts it once.
    expect(envoyConfig(canonical('everything'), OPTIONS).secretFiles).toEqual([
      { secretName: 'openai-key', key: 'api-key', mountPath: '/etc/aigateway/secrets/openai-key' },
    ]);
  });

  test('no DataSource in the bootstrap carries an inline or environment value: credentials are only ever files', () => {
    for (const name of ['external', 'fallback', 'everything', 'jwt'] as const) {
      const offenders: string[] = [];
      walkEnvoyMessages(envoyConfig(canonical(name), OPTIONS).bootstrap, ({ type, value, path }) => {
        if (type !== 'envoy.config.core.v3.DataSource') return;
        if (path.endsWith('.default_source_code')) return; // a Lua filter's script (test/lua-config.test.ts checks it holds no key)
        if (['inline_string', 'inline_bytes', 'environment_variable'].some((k) => k in value)) offenders.push(path);
      });
      expect(offenders).toEqual([]);
    }
  });
});

describe('one SDS file and secret per Secret key, never shared by two', () => {
  /** Names as users write them: words joined by "-" and ".", so "-" both inside and between parts. */
  function generatedRefs(count: number): { name: string; key: string }[] {
    const words = ['openai', 'prod', 'key', 'api', 'anthropic', 'a', 'b', 'x-y', 'v1', 'k'];
    let x = 7;
    const next = (n: number) => ((x = (x * 1103515245 + 12345) % 2 ** 31), x % n);
    const join = (parts: number, sep: string) => Array.from({ length: parts }, () => words[next(words.length)]).join(sep);
    return Array.from({ length: count }, () => ({ name: join(1 + next(3), next(4) === 0 ? '.' : '-'), key: join(1 + next(3), ['-', '_', '.'][next(3)]) }));
  }

  test('the mapping from (Secret, key) to file name and SDS name is injective (property over 2,000 generated names)', () => {
    const byFile = new Map<string, string>();
    const bySecretName = new Map<string, string>();
    for (const ref of generatedRefs(2000)) {
      const id = `${ref.name}/${ref.key}`;
      const ref2 = { ...ref, header: 'Authorization', prefix: 'Bearer ' };
      for (const [map, value] of [[byFile, credentialSdsFile(ref2)], [bySecretName, credentialSecretName(ref2)]] as const) {
        const earlier = map.get(value);
        if (earlier !== undefined && earlier !== id) throw new Error(`${earlier} and ${id} share ${value}`);
        map.set(value, id);
      }
    }
    expect(byFile.size).toBeGreaterThan(1000);
  });

  test('Secret openai-prod key "key" and Secret openai key "prod-key" get their own files and mounts (they shared one before)', () => {
    const spec = parseSpec({
      gatewayClassName: 'envoy',
      endpoints: [
        { name: 'a', url: 'https://api.openai.com', credentialsRef: { name: 'openai-prod', key: 'key' } },
        { name: 'b', url: 'https://api.anthropic.com', provider: 'Anthropic', credentialsRef: { name: 'openai', key: 'prod-key' } },
      ],
      modelRouting: { strategy: 'Path', rules: [{ pathPrefix: '/a', targetEndpoint: 'a' }, { pathPrefix: '/b', targetEndpoint: 'b' }] },
    });
    const config = envoyConfig(spec, OPTIONS);
    expect(Object.keys(config.files).sort()).toEqual(['sds-openai-prod_key.yaml', 'sds-openai_prod-key.yaml']);
    expect(config.secretFiles.map((f) => `${f.secretName}/${f.key}`).sort()).toEqual(['openai-prod/key', 'openai/prod-key']);
  });
});

describe('no secret value ever lands in the configuration or the manifests', () => {
  // What the operator's Secrets hold; the spec only names them.
  const SECRET_VALUES = ['sk-proj-FixtureOpenAIKey0123456789abcdef', 'sk-ant-api03-FixtureAnthropicKey0123456789', 'azure-fixture-key-5f0c1d2e3b4a'];

  test.each(['external', 'fallback', 'everything'] as const)('%s: envoy.json, SDS files and every synthesized object', (name) => {
    const { yaml, gateway } = renderGateway({ metadata: { name: 'gw', namespace: 'ai' }, spec: SPECS[name] as any });
    const texts = [yaml, renderBootstrap(gateway.envoy.bootstrap), ...Object.values(gateway.envoy.files)];
    for (const text of texts) {
      for (const value of SECRET_VALUES) expect(text).not.toContain(value);
      expect(text).not.toMatch(/sk-(proj|ant)-/);
    }
    // The ConfigMap carries the SDS files, which only name mounted paths.
    expect(Object.keys(gateway.configMap.data ?? {}).sort()).toEqual(['envoy.json', ...Object.keys(gateway.envoy.files)].sort());
  });
});

describe('upstream TLS for external URLs', () => {
  test.each([
    ['openai', 'api.openai.com', 443],
    ['anthropic', 'api.anthropic.com', 443],
    ['azure', 'my.openai.azure.com', 8443],
  ])('%s: SNI and certificate checked against %s with the image\'s CA bundle', (endpoint, host, port) => {
    const cluster = clusterNamed(bootstrap, `endpoint-${endpoint}`);
    expect(cluster.load_assignment.endpoints[0].lb_endpoints[0].endpoint.address.socket_address).toEqual({ address: host, port_value: port });
    const tls = cluster.transport_socket.typed_config;
    expect(tls.sni).toBe(host);
    expect(tls.common_tls_context.validation_context).toEqual({
      trusted_ca: { filename: SYSTEM_CA_BUNDLE },
      match_typed_subject_alt_names: [{ san_type: 'DNS', matcher: { exact: host } }],
    });
    expect(SYSTEM_CA_BUNDLE).toBe('/etc/ssl/certs/ca-certificates.crt');
  });

  test('an http:// URL gets no TLS; in-cluster Services are STRICT_DNS by their cluster DNS name', () => {
    expect(clusterNamed(bootstrap, 'endpoint-plain').transport_socket).toBeUndefined();
    const header = envoyConfig(canonical('header'), OPTIONS).bootstrap as any;
    const claude = clusterNamed(header, 'endpoint-anthropic-claude3');
    expect(claude.type).toBe('STRICT_DNS');
    expect(claude.load_assignment.endpoints[0].lb_endpoints[0].endpoint.address.socket_address).toEqual({
      address: 'claude.models.svc.cluster.local',
      port_value: 8080,
    });
    expect(clusterNamed(header, 'endpoint-openai-gpt4').load_assignment.endpoints[0].lb_endpoints[0].endpoint.address.socket_address.address).toBe(
      'openai-gpt4-svc.ai.svc.cluster.local',
    );
  });
});
