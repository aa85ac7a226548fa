import { MODEL_HEADER } from './names';
import type { Json, Spec } from './types';
import { typed } from './util';

/**
 * JSON bodies for the replies Envoy itself sends, chosen by what caused them. Only these mappers
 * apply: every other local reply (notably the Lua filters' own responses, e.g. a cache hit) keeps
 * its body. Values from the request are rendered by Envoy's JSON formatter, so they are escaped.
 */
const statusIs = (code: number): Json => ({
  status_code_filter: { comparison: { op: 'EQ', value: { default_value: code, runtime_key: `ai_gateway.local_reply.status_${code}` } } },
});
const flags = (...names: string[]): Json => ({ response_flag_filter: { flags: names } });
/** True when the local reply's response code details (its sendLocalReply reason) are `details`. */
const detailsAre = (details: string): Json => ({
  extension_filter: {
    name: 'envoy.access_loggers.extension_filters.cel',
    typed_config: typed('envoy.extensions.access_loggers.filters.cel.v3.ExpressionFilter', { expression: `response.code_details == '${details}'` }),
  },
});
/**
 * The local_ratelimit filter's own 429. Not `response_flag_filter: RL`: that filter calls
 * sendLocalReply before it sets the RL flag, so such a mapper never matches (envoy PR #18698 fixed
 * it for the global ratelimit filter only). Mappers only ever see local replies, so a provider's
 * 429 passes through anyway; the details ("local_rate_limited") also keep any other local 429
 * (e.g. a future Lua filter's, which has its own body) from being rewritten.
 */
const localRateLimited: Json = { and_filter: { filters: [statusIs(429), detailsAre('local_rate_limited')] } };
const jsonBody = (error: Json): Json => ({ json_format: { error } });

/** What a request asked for, per strategy, for the "no route" 404. */
function unmatchedRequest(spec: Spec): Json {
  const routing = spec.modelRouting;
  switch (routing.strategy) {
    case 'Header': {
      const header = routing.rules[0]?.header?.name ?? 'x-ai-model';
      return { message: `no endpoint serves the model named in the ${header} header`, header, model: `%REQ(${header})%` };
    }
    case 'RequestBody':
      return { message: 'no endpoint serves the model named in the request body', model: `%REQ(${MODEL_HEADER})%` };
    default:
      return { message: 'no endpoint serves this path', path: '%PATH(NQ)%' };
  }
}

/**
 * credential_injector's 401 when an endpoint's Secret key is missing or empty: a 503 with a JSON
 * body instead, because the client's own credentials were fine (and with JWT the 401 would read
 * as a bad token). First among the mappers, before the JWT one that maps every 401.
 */
function credentialFailure(spec: Spec): Json[] {
  if (!spec.endpoints.some((e) => e.credentialsRef)) return [];
  return [
    {
      filter: { and_filter: { filters: [statusIs(401), detailsAre('failed_to_inject_credential')] } },
      status_code: 503,
      body_format_override: jsonBody({
        type: 'upstream_credentials_unavailable',
        message: 'the gateway has no credential for the endpoint that serves this request (its Secret key is missing or empty)',
      }),
    },
  ];
}

export function localReplyConfig(spec: Spec): Json {
  const mappers: Json[] = [...credentialFailure(spec)];
  if (spec.modelRouting.strategy !== 'Weighted' && spec.modelRouting.defaultTargetEndpoint === undefined) {
    mappers.push({ filter: flags('NR'), body_format_override: jsonBody({ type: 'model_not_found', ...unmatchedRequest(spec) }) });
  }
  if (spec.rateLimiting) {
    mappers.push({
      filter: localRateLimited,
      body_format_override: jsonBody({
        type: 'rate_limit_exceeded',
        message: `the gateway admits ${spec.rateLimiting.requestsPerMinute} requests per minute; retry after the number of seconds in the retry-after header`,
      }),
    });
  }
  if (spec.authentication.type === 'JWT') {
    // jwt_authn answers 401 (token missing or invalid) or 403 (audience not allowed).
    mappers.push({
      filter: { or_filter: { filters: [statusIs(401), statusIs(403)] } },
      body_format_override: jsonBody({ type: 'authentication_error', message: '%LOCAL_REPLY_BODY%' }),
    });
  }
  return { mappers: [...mappers, requestTooLarge(spec), UPSTREAM_FAILURE] };
}

/**
 * Envoy's 413 when a filter that reads the whole body (body routing, prompt, cache) would buffer
 * more than the listener's per_connection_buffer_limit_bytes (spec.limits.maxRequestBodyBytes).
 */
function requestTooLarge(spec: Spec): Json {
  const limit = spec.limits.maxRequestBodyBytes;
  return {
    filter: statusIs(413),
    body_format_override: jsonBody({
      type: 'request_too_large',
      message: `the request body is larger than the ${limit} bytes the gateway accepts (spec.limits.maxRequestBodyBytes)`,
      limitBytes: limit,
    }),
  };
}

/** Envoy's own 503/504 when an upstream cannot be reached or answers too late. */
const UPSTREAM_FAILURE: Json = {
  filter: flags('UH', 'UF', 'UT', 'URX', 'UO', 'UC'),
  body_format_override: jsonBody({ type: 'upstream_unavailable', message: '%LOCAL_REPLY_BODY%', flags: '%RESPONSE_FLAGS%' }),
};

/**
 * Local replies of an internal listener (see fallback.ts): only upstream failures happen there,
 * including a missing endpoint credential (its cluster injects it).
 */
export function upstreamFailureReplies(spec: Spec): Json {
  return { mappers: [...credentialFailure(spec), UPSTREAM_FAILURE] };
}
