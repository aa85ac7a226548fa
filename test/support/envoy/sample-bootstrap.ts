/**
 * A realistic, valid Envoy v3 bootstrap used as the base of the checker tests. Returns a fresh
 * deep object on every call, so tests can mutate it freely.
 */
export const LUA_ON_REQUEST = `
local function trim(s) return (s:gsub("^%s+", ""):gsub("%s+$", "")) end

function envoy_on_request(handle)
  local auth = handle:headers():get("authorization")
  if auth ~= nil then
    handle:streamInfo():dynamicMetadata():set("aigw", "has_auth", trim(auth) ~= "")
  end
  handle:headers():add("x-aigw-route", "chat")
end

function envoy_on_response(handle)
  handle:headers():add("x-aigw", "1")
end
`;

export function sampleBootstrap(): Record<string, any> {
  const routerFilter = {
    name: 'envoy.filters.http.router',
    typed_config: { '@type': 'type.googleapis.com/envoy.extensions.filters.http.router.v3.Router' },
  };
  return {
    node: { id: 'aigw', cluster: 'aigw' },
    admin: {
      address: { socket_address: { address: '127.0.0.1', port_value: 9901 } },
    },
    static_resources: {
      listeners: [
        {
          name: 'http',
          address: { socket_address: { address: '0.0.0.0', port_value: 8080 } },
          filter_chains: [
            {
              filters: [
                {
                  name: 'envoy.filters.network.http_connection_manager',
                  typed_config: {
                    '@type':
                      'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager',
                    stat_prefix: 'ingress_http',
                    codec_type: 'AUTO',
                    stream_idle_timeout: '300s',
                    request_timeout: '0s',
                    access_log: [
                      {
                        name: 'envoy.access_loggers.stdout',
                        typed_config: {
                          '@type': 'type.googleapis.com/envoy.extensions.access_loggers.stream.v3.StdoutAccessLog',
                          log_format: {
                            json_format: {
                              start_time: '%START_TIME%',
                              method: '%REQ(:METHOD)%',
                              path: '%REQ(X-ENVOY-ORIGINAL-PATH?:PATH)%',
                              status: '%RESPONSE_CODE%',
                              upstream: '%UPSTREAM_CLUSTER%',
                              duration_ms: '%DURATION%',
                            },
                          },
                        },
                      },
                    ],
                    route_config: {
                      name: 'aigw_routes',
                      virtual_hosts: [
                        {
                          name: 'aigw',
                          domains: ['*'],
                          routes: [
                            {
                              name: 'healthz',
                              match: { path: '/healthz' },
                              direct_response: { status: 200, body: { inline_string: 'ok' } },
                            },
                            {
                              name: 'chat',
                              match: {
                                prefix: '/v1/chat/completions',
                                headers: [{ name: ':method', string_match: { exact: 'POST' } }],
                              },
                              route: {
                                cluster: 'openai',
                                timeout: '120s',
                                host_rewrite_literal: 'api.openai.com',
                                retry_policy: {
                                  retry_on: '5xx,reset,connect-failure',
                                  num_retries: 2,
                                  per_try_timeout: '60s',
                                },
                              },
                            },
                            {
                              name: 'models',
                              match: {
                                safe_regex: { regex: '/v1/models(/[A-Za-z0-9._-]+)?' },
                              },
                              route: {
                                weighted_clusters: {
                                  clusters: [
                                    { name: 'openai', weight: 90 },
                                    { name: 'openai_canary', weight: 10 },
                                  ],
                                },
                              },
                              typed_per_filter_config: {
                                'envoy.filters.http.lua': {
                                  '@type': 'type.googleapis.com/envoy.extensions.filters.http.lua.v3.LuaPerRoute',
                                  source_code: {
                                    inline_string:
                                      'function envoy_on_request(h) h:headers():add("x-aigw-models", "1") end',
                                  },
                                },
                              },
                            },
                          ],
                        },
                      ],
                    },
                    http_filters: [
                      {
                        name: 'envoy.filters.http.health_check',
                        typed_config: {
                          '@type': 'type.googleapis.com/envoy.extensions.filters.http.health_check.v3.HealthCheck',
                          pass_through_mode: false,
                          headers: [{ name: ':path', string_match: { exact: '/ready' } }],
                        },
                      },
                      {
                        name: 'envoy.filters.http.jwt_authn',
                        typed_config: {
                          '@type': 'type.googleapis.com/envoy.extensions.filters.http.jwt_authn.v3.JwtAuthentication',
                          providers: {
                            idp: {
                              issuer: 'https://idp.example.com/',
                              audiences: ['aigw'],
                              remote_jwks: {
                                http_uri: {
                                  uri: 'https://idp.example.com/.well-known/jwks.json',
                                  cluster: 'idp_jwks',
                                  timeout: '5s',
                                },
                                cache_duration: '600s',
                              },
                              forward: true,
                              payload_in_metadata: 'jwt_payload',
                            },
                          },
                          rules: [
                            { match: { prefix: '/healthz' } },
                            { match: { prefix: '/' }, requires: { provider_name: 'idp' } },
                          ],
                        },
                      },
                      {
                        name: 'envoy.filters.http.local_ratelimit',
                        typed_config: {
                          '@type': 'type.googleapis.com/envoy.extensions.filters.http.local_ratelimit.v3.LocalRateLimit',
                          stat_prefix: 'aigw_rl',
                          token_bucket: { max_tokens: 100, tokens_per_fill: 1, fill_interval: '0.120s' },
                          filter_enabled: {
                            runtime_key: 'aigw_rl_enabled',
                            default_value: { numerator: 100, denominator: 'HUNDRED' },
                          },
                          filter_enforced: {
                            runtime_key: 'aigw_rl_enforced',
                            default_value: { numerator: 100, denominator: 'HUNDRED' },
                          },
                        },
                      },
                      {
                        name: 'envoy.filters.http.lua',
                        typed_config: {
                          '@type': 'type.googleapis.com/envoy.extensions.filters.http.lua.v3.Lua',
                          default_source_code: { inline_string: LUA_ON_REQUEST },
                        },
                      },
                      routerFilter,
                    ],
                  },
                },
              ],
            },
          ],
        },
      ],
      clusters: [
        tlsCluster('openai', 'api.openai.com'),
        tlsCluster('openai_canary', 'canary.openai.example.com'),
        tlsCluster('idp_jwks', 'idp.example.com'),
      ],
    },
  };
}

function tlsCluster(name: string, host: string): Record<string, any> {
  return {
    name,
    type: 'STRICT_DNS',
    connect_timeout: '5s',
    dns_lookup_family: 'V4_ONLY',
    lb_policy: 'ROUND_ROBIN',
    load_assignment: {
      cluster_name: name,
      endpoints: [
        {
          lb_endpoints: [{ endpoint: { address: { socket_address: { address: host, port_value: 443 } } } }],
        },
      ],
    },
    transport_socket: {
      name: 'envoy.transport_sockets.tls',
      typed_config: {
        '@type': 'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext',
        sni: host,
        common_tls_context: {
          validation_context: {
            trusted_ca: { filename: '/etc/ssl/certs/ca-certificates.crt' },
          },
        },
      },
    },
  };
}
