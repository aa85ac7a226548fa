import { MODEL_HEADER } from './names';
import type { Json, Spec } from './types';

/**
 * JSON bodies for the replies Envoy itself sends, chosen by what caused them. Only these mappers
 * apply: every other local reply (notably the Lua filters' own responses, e.g. a cache hit) keeps
 * its body. Values from the request are rendered by Envoy's JSON formatter, so they are escaped.
 */
const statusIs = (code: number): Json => ({
  status_code_filter: { comparison: { op: 'EQ', value: { default_value: code, runtime_key: `ai_gateway.local_reply.status_${code}` } } },
});
const flags = (...names: string[]): Json => ({ response_flag_filter: { flags: names } });
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

export function localReplyConfig(spec: Spec): Json {
  const mappers: Json[] = [];
  if (spec.modelRouting.strategy !== 'Weighted' && spec.modelRouting.defaultTargetEndpoint === undefined) {
    mappers.push({ filter: flags('NR'), body_format_override: jsonBody({ type: 'model_not_found', ...unmatchedRequest(spec) }) });
  }
  if (spec.rateLimiting) {
    mappers.push({
      filter: flags('RL'),
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

/** Local replies of an internal listener (see fallback.ts): only upstream failures happen there. */
export function upstreamFailureReplies(): Json {
  return { mappers: [UPSTREAM_FAILURE] };
}
