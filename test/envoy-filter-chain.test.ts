/**
 * The public listener's filter order, with every Lua converter replaced by a marker filter (the
 * real ones live in src/envoy/lua and may still be stubs): where each one goes, and that their
 * script files (ConfigMap keys) and Secret files are passed on.
 */
import { envoyConfig } from '../src/envoy';
import { hcmOf } from './support/envoy-config';
import { canonical, OPTIONS } from './support/envoy-specs';

jest.mock('../src/envoy/lua', () => {
  // Markers carry the real filter names: the bootstrap reads them to tell what is translated.
  const { LUA_FILTER_NAMES } = jest.requireActual('../src/envoy/lua/script');
  const lua = (feature: keyof typeof LUA_FILTER_NAMES, secret?: string) => () => ({
    filter: { name: LUA_FILTER_NAMES[feature] },
    files: { [`lua-${String(feature)}.lua`]: `-- ${String(feature)}\n` },
    secretFiles: secret ? [{ secretName: secret, key: 'keys', mountPath: `/etc/aigateway/secrets/${secret}` }] : [],
  });
  return {
    apiKeyAuthFilter: lua('apiKeyAuth', 'client-keys'),
    cacheFilter: lua('cache'),
    promptFilter: lua('prompt'),
    bodyRoutingFilter: lua('bodyRouting'),
    usageFilter: lua('usage'),
    luaReadsEndpointHeader: () => true,
    LUA_FILTER_NAMES,
  };
});

const names = (spec: Parameters<typeof canonical>[0]) => {
  const config = envoyConfig(canonical(spec), OPTIONS);
  return { filters: hcmOf(config.bootstrap as any).http_filters.map((f: any) => f.name), config };
};

test('API-key auth, rate limit, cache, prompt, body routing, usage, router', () => {
  const { filters, config } = names({
    gatewayClassName: 'envoy',
    endpoints: [{ name: 'llm', serviceRef: { name: 'llm' } }],
    authentication: { type: 'APIKey', apiKeyRef: { name: 'client-keys', key: 'keys' } },
    rateLimiting: { requestsPerMinute: 600 },
  });
  expect(filters).toEqual([
    'ai.gateway.api_key_auth',
    'envoy.filters.http.local_ratelimit',
    'ai.gateway.cache',
    'ai.gateway.prompt',
    'ai.gateway.body_routing',
    'ai.gateway.usage',
    'envoy.filters.http.router',
  ]);
  expect(config.secretFiles).toEqual([{ secretName: 'client-keys', key: 'keys', mountPath: '/etc/aigateway/secrets/client-keys' }]);
  // Each Lua filter's script reaches the ConfigMap files beside the bootstrap.
  expect(config.files).toEqual({
    'lua-apiKeyAuth.lua': '-- apiKeyAuth\n',
    'lua-cache.lua': '-- cache\n',
    'lua-prompt.lua': '-- prompt\n',
    'lua-bodyRouting.lua': '-- bodyRouting\n',
    'lua-usage.lua': '-- usage\n',
  });
  // Every feature has its filter, so nothing is reported as untranslated.
  expect(config.warnings).toEqual([]);
});

test('JWT takes the auth place: jwt_authn first, and the API-key filter is not used', () => {
  expect(names('everything').filters).toEqual([
    'envoy.filters.http.jwt_authn',
    'envoy.filters.http.local_ratelimit',
    'ai.gateway.cache',
    'ai.gateway.prompt',
    'ai.gateway.body_routing',
    'ai.gateway.usage',
    'envoy.filters.http.router',
  ]);
});

test('Lua filters and upstream credentials share the Secret list, each Secret key once', () => {
  const { config } = names({
    gatewayClassName: 'envoy',
    endpoints: [{ name: 'llm', url: 'https://api.example.com', credentialsRef: { name: 'client-keys', key: 'keys' } }],
    authentication: { type: 'APIKey', apiKeyRef: { name: 'client-keys', key: 'keys' } },
  });
  expect(config.secretFiles).toEqual([{ secretName: 'client-keys', key: 'keys', mountPath: '/etc/aigateway/secrets/client-keys' }]);
});
