import { secretMountPath } from './names';
import type { Endpoint, Json, SecretFile, Spec } from './types';
import { ENVOY_CONFIG_DIR } from './types';
import { typed } from './util';
import { renderBootstrap } from './render';
import { hashOf } from '../spec/hash';

/**
 * Upstream credentials (endpoints[].credentialsRef), natively: a `credential_injector` upstream
 * HTTP filter on the endpoint's cluster reads the key from a generic SDS secret whose file is the
 * mounted Kubernetes Secret key. The value never enters the configuration.
 *
 * - The SDS resource is a small file next to the bootstrap (EnvoyConfig.files) naming the mounted
 *   file. Envoy >= 1.34 watches the directory of a generic secret's file for moves (envoyproxy/envoy
 *   #38803), which is exactly Kubernetes' atomic `..data` symlink swap: a rotated Secret reaches
 *   Envoy without a restart, once the kubelet has synced the volume (up to about a minute).
 * - The prefix ("Bearer ") is the generic credential's `header_value_prefix` (field 3, not in
 *   Envoy 1.36, which needed a header_mutation filter rewriting the header to
 *   `<prefix>%REQ(header)%`).
 * - A trailing newline in the Secret (`kubectl create secret --from-file` keeps the file's): the
 *   pinned Envoy strips trailing CR/LF from a generic credential before injecting it
 *   (envoyproxy/envoy #46260; 1.36 sent the bytes verbatim, an invalid header).
 *   test/e2e/credentials.test.ts proves it on the pinned binary. Other whitespace is kept.
 * - `overwrite: true` replaces whatever the client sent in that header (e.g. its gateway API key).
 * - Without the key (file missing, or only CR/LF) the injector refuses the request rather than call
 *   the provider unauthenticated; localReplyConfig turns its 401 into a JSON 503, which a fallback
 *   group's route retries on the next member.
 */
type CredentialsRef = NonNullable<Endpoint['credentialsRef']>;

const CREDENTIAL_INJECTOR = 'envoy.extensions.filters.http.credential_injector.v3.CredentialInjector';
const GENERIC_CREDENTIAL = 'envoy.extensions.http.injected_credentials.generic.v3.Generic';
const UPSTREAM_CODEC = 'envoy.extensions.filters.http.upstream_codec.v3.UpstreamCodec';
const HTTP_PROTOCOL_OPTIONS = 'envoy.extensions.upstreams.http.v3.HttpProtocolOptions';
const SECRET = 'envoy.extensions.transport_sockets.tls.v3.Secret';

/**
 * "<secret>_<key>": injective, because a Secret name (a DNS subdomain) never holds "_", so the
 * first "_" always splits it from the key. ("<secret>-<key>" was not: Secret openai-prod key
 * "key" and Secret openai key "prod-key" shared one SDS file, sending one provider's key to the
 * other's host.)
 */
const secretKeyId = (ref: CredentialsRef) => `${ref.name}_${ref.key}`;
/** Name of the SDS secret for one Secret key (shared by every endpoint that uses that key). */
export const credentialSecretName = (ref: CredentialsRef) => `credential-${secretKeyId(ref)}`;
/** ConfigMap key (file in ENVOY_CONFIG_DIR) of that SDS resource. */
export function credentialSdsFile(ref: CredentialsRef): string {
  const file = `sds-${secretKeyId(ref)}.yaml`;
  // ConfigMap keys are at most 253 characters; Secret names and keys each may be that long.
  return file.length <= 253 ? file : `sds-${hashOf({ name: ref.name, key: ref.key })}.yaml`;
}
/** Path of the mounted Secret key inside the Envoy container. */
export const credentialPath = (ref: CredentialsRef) => `${secretMountPath(ref.name)}/${ref.key}`;

/** Upstream HTTP filters that put an endpoint's key into its header (upstream_codec not included). */
export function credentialFilters(ref: CredentialsRef): Json[] {
  return [
    {
      name: 'envoy.filters.http.credential_injector',
      typed_config: typed(CREDENTIAL_INJECTOR, {
        overwrite: true,
        allow_request_without_credential: false,
        credential: {
          name: 'envoy.http.injected_credentials.generic',
          typed_config: typed(GENERIC_CREDENTIAL, {
            credential: {
              name: credentialSecretName(ref),
              sds_config: { path_config_source: { path: `${ENVOY_CONFIG_DIR}/${credentialSdsFile(ref)}` }, resource_api_version: 'V3' },
            },
            header: ref.header,
            // Sent verbatim (no format string): translationIssues() refuses control characters.
            ...(ref.prefix !== '' && { header_value_prefix: ref.prefix }),
          }),
        },
      }),
    },
  ];
}

/**
 * Cluster `typed_extension_protocol_options` (HTTP/1.1 upstream): the idle timeout of upstream
 * connections and, when there are any, these upstream filters.
 */
export function upstreamHttpOptions(filters: Json[], idleTimeout: string): Json {
  return {
    'envoy.extensions.upstreams.http.v3.HttpProtocolOptions': typed(HTTP_PROTOCOL_OPTIONS, {
      common_http_protocol_options: { idle_timeout: idleTimeout },
      explicit_http_config: { http_protocol_options: {} },
      ...(filters.length > 0 && {
        http_filters: [...filters, { name: 'envoy.filters.http.upstream_codec', typed_config: typed(UPSTREAM_CODEC) }],
      }),
    }),
  };
}

/** The SDS resource file for one Secret key: a DiscoveryResponse naming the mounted file. */
export function credentialSdsResource(ref: CredentialsRef): Json {
  return typed(SECRET, { name: credentialSecretName(ref), generic_secret: { secret: { filename: credentialPath(ref) } } });
}

/** SDS files (ConfigMap keys) and Secret mounts the spec's credentialsRefs need, one per Secret key. */
export function credentialsFor(spec: Spec): { files: Record<string, string>; secretFiles: SecretFile[] } {
  const files: Record<string, string> = {};
  const secretFiles: SecretFile[] = [];
  for (const endpoint of spec.endpoints) {
    const ref = endpoint.credentialsRef;
    if (!ref || files[credentialSdsFile(ref)] !== undefined) continue;
    files[credentialSdsFile(ref)] = renderBootstrap({ resources: [credentialSdsResource(ref)] });
    secretFiles.push({ secretName: ref.name, key: ref.key, mountPath: secretMountPath(ref.name) });
  }
  return { files, secretFiles };
}
