/**
 * Shared pieces of the Lua feature tests (test/lua-*.test.ts): build a canonical spec, get a
 * converter's generated script, run requests through it under LuaJIT (test/support/lua).
 */
import { parseSpec, type AIGatewaySpecInput } from '../src/spec';
import type { AIGatewaySpec } from '../src/spec';
import type { LuaFilter } from '../src/envoy/lua';
import { runLuaScenario, type LuaRequestResult, type LuaScenario, type LuaScenarioRequest } from './support/lua/run-lua';

export const OPTIONS = { gatewayName: 'gw', namespace: 'ai' };

/** A valid spec: two endpoints routed by header, plus whatever `extra` sets. */
export function specWith(extra: Partial<AIGatewaySpecInput> = {}): AIGatewaySpec {
  return parseSpec({
    gatewayClassName: 'envoy',
    endpoints: [
      { name: 'openai', serviceRef: { name: 'openai' }, provider: 'OpenAI', costPerToken: { inputTokens: '0.00003', outputTokens: '0.00006' } },
      { name: 'claude', serviceRef: { name: 'claude' }, provider: 'Anthropic' },
    ],
    modelRouting: { strategy: 'Header', rules: [{ match: 'X-AI-Model: claude', targetEndpoint: 'claude' }], defaultTargetEndpoint: 'openai' },
    ...extra,
  });
}

/** The Lua source a converter's filter loads: the ConfigMap file its `default_source_code.filename` names. */
export function scriptOf(lua: LuaFilter | undefined): string {
  if (!lua) throw new Error('the converter returned no filter');
  const config = lua.filter.typed_config as { default_source_code: { filename: string } };
  const key = config.default_source_code.filename.replace(/^\/etc\/envoy\//, '');
  const source = lua.files[key];
  if (source === undefined) throw new Error(`the filter loads ${config.default_source_code.filename}, which is not among its files (${Object.keys(lua.files).join(', ')})`);
  return source;
}

/** Runs requests through a script, configured as the converters configure the filter (clear_route_cache false). */
export function run(script: string, requests: LuaScenarioRequest[], rest: Partial<Omit<LuaScenario, 'script' | 'requests'>> = {}) {
  return runLuaScenario({ ...rest, script, requests, config: { envoyVersion: '1.36', clear_route_cache: false, ...rest.config } });
}

export function runOne(script: string, request: LuaScenarioRequest, rest: Partial<Omit<LuaScenario, 'script' | 'requests'>> = {}): LuaRequestResult {
  return run(script, [request], rest).requests[0];
}

/** A JSON POST to the chat completions API. */
export function chat(body: unknown, headers: Record<string, string> = {}): LuaScenarioRequest['request'] {
  return {
    headers: { ':method': 'POST', ':path': '/v1/chat/completions', 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  };
}

/** The parsed JSON error body of a local reply. */
export function errorOf(r: LuaRequestResult): { type: string; message: string } {
  if (!r.localReply) throw new Error(`no local reply (forwarded: ${r.request.forwarded}, errors: ${r.errorMessages.join('; ')})`);
  expect(r.localReply.headers['content-type']).toBe('application/json');
  return JSON.parse(r.localReply.body).error;
}
