import { dnsCluster, upstreamTls } from './clusters';
import { cacheCaller } from './lua/cache';
import { JWKS_CLUSTER, JWT_AUTHN_FILTER, JWT_PAYLOAD_KEY } from './names';
import type { Json, Spec } from './types';
import { parseUrl, typed } from './util';

const JWT_AUTHN = 'envoy.extensions.filters.http.jwt_authn.v3.JwtAuthentication';
export const JWT_PROVIDER = 'gateway';

/**
 * `envoy.filters.http.jwt_authn` for authentication.type JWT: every request needs a token from
 * `Authorization: Bearer` signed by a key of the JWKS, with the issuer (and one of the audiences
 * when given). The JWKS is fetched through its own TLS cluster when Envoy starts (the listener
 * waits for the first attempt) and cached for 10 minutes. The token is not forwarded upstream.
 * Failures are answered 401/403 with a JSON body (localReplyConfig).
 */
export function jwtFilter(spec: Spec): Json | undefined {
  const jwt = spec.authentication.type === 'JWT' ? spec.authentication.jwtSpec : undefined;
  if (!jwt) return undefined;
  return {
    name: JWT_AUTHN_FILTER,
    typed_config: typed(JWT_AUTHN, {
      providers: {
        [JWT_PROVIDER]: {
          issuer: jwt.issuer,
          ...(jwt.audiences && jwt.audiences.length > 0 && { audiences: jwt.audiences }),
          remote_jwks: {
            http_uri: { uri: jwt.jwksUri, cluster: JWKS_CLUSTER, timeout: '5s' },
            cache_duration: '600s',
            async_fetch: {},
            retry_policy: { num_retries: 3, retry_back_off: { base_interval: '0.5s', max_interval: '5s' } },
          },
          forward: false,
          // The verified claims for the response cache's caller identity (iss, sub), in
          // dynamic metadata only; no header carries them.
          ...(cacheCaller(spec) === 'JWT' && { payload_in_metadata: JWT_PAYLOAD_KEY }),
        },
      },
      rules: [{ match: { prefix: '/' }, requires: { provider_name: JWT_PROVIDER } }],
    }),
  };
}

/** The cluster that reaches the JWKS host over TLS. */
export function jwksCluster(spec: Spec): Json | undefined {
  const jwt = spec.authentication.type === 'JWT' ? spec.authentication.jwtSpec : undefined;
  if (!jwt) return undefined;
  const url = parseUrl(jwt.jwksUri);
  return dnsCluster(JWKS_CLUSTER, url.host, url.port ?? 443, { type: 'LOGICAL_DNS', transport_socket: upstreamTls(url.host) });
}
