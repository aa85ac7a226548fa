/**
 * Body-based routing (modelRouting.strategy RequestBody) under LuaJIT through the Envoy Lua
 * emulation, with the emulator's router re-picking the route after the script clears the cache.
 */
import { bodyRoutingFilter, routedModels } from '../src/envoy/lua';
import { MODEL_HEADER } from '../src/envoy/names';
import { routesFor } from '../src/envoy/routes';
import type { AIGatewaySpecInput } from '../src/spec';
import type { LuaRoute } from './support/lua/run-lua';
import { chat, errorOf, OPTIONS, run, runOne, scriptOf, specWith } from './lua-helpers';

const routing = (defaultTargetEndpoint?: string): AIGatewaySpecInput['modelRouting'] => ({
  strategy: 'RequestBody',
  rules: [
    { match: 'gpt-4', targetEndpoint: 'openai' },
    { model: 'claude-3 "opus" é', targetEndpoint: 'claude' },
  ],
  ...(defaultTargetEndpoint && { defaultTargetEndpoint }),
});
const scriptWith = (defaultTargetEndpoint?: string) => scriptOf(bodyRoutingFilter(specWith({ modelRouting: routing(defaultTargetEndpoint) }), OPTIONS));

type EnvoyRoute = { name: string; match: { prefix?: string; headers?: Array<{ name: string; string_match: { exact: string } }> } };
/** The generated route table (routesFor), in the emulator's form: the router picks among these. */
function emulatedRoutes(defaultTargetEndpoint?: string): LuaRoute[] {
  const table = routesFor(specWith({ modelRouting: routing(defaultTargetEndpoint) }), OPTIONS) as { virtual_hosts: Array<{ routes: EnvoyRoute[] }> };
  return table.virtual_hosts[0].routes.map((r) => ({
    name: r.name,
    match: { prefix: r.match.prefix, ...(r.match.headers && { headers: r.match.headers.map((h) => ({ name: h.name, exact: h.string_match.exact })) }) },
  }));
}
const ROUTES = emulatedRoutes('openai');
const withRoutes = { config: { routes: ROUTES } };

describe('converter', () => {
  test('emits nothing for the other strategies', () => {
    expect(bodyRoutingFilter(specWith(), OPTIONS)).toBeUndefined();
  });

  test('routes the rules\' models (shorthand included), then every endpoint\'s models', () => {
    expect(routedModels(specWith({ modelRouting: routing() }))).toEqual(['gpt-4', 'claude-3 "opus" é', 'openai', 'claude']);
  });

  test('knows exactly the models the generated route table matches', () => {
    const spec = specWith({
      endpoints: [
        { name: 'openai', serviceRef: { name: 'o' }, models: ['gpt-4', 'gpt-4o', 'o1'] },
        { name: 'claude', serviceRef: { name: 'c' }, models: ['o1', 'claude-3'] },
      ],
      modelRouting: { strategy: 'RequestBody', rules: [{ model: 'gpt-4', targetEndpoint: 'claude' }, { model: 'x "y"', targetEndpoint: 'openai' }] },
    });
    const table = routesFor(spec, OPTIONS) as { virtual_hosts: Array<{ routes: EnvoyRoute[] }> };
    const matched = table.virtual_hosts[0].routes.flatMap((r) => (r.match.headers ?? []).filter((h) => h.name === MODEL_HEADER).map((h) => h.string_match.exact));
    expect(new Set(routedModels(spec))).toEqual(new Set(matched));
  });
});

describe('routing on the body\'s model', () => {
  const script = scriptWith();

  test('sets the model header, clears the route cache and the router picks the rule\'s route', () => {
    const res = run(script, [{ request: chat({ model: 'gpt-4', messages: [] }) }, { request: chat({ messages: [], model: 'claude-3 "opus" é' }) }], withRoutes);
    const [gpt, claude] = res.requests;
    expect(gpt.errorMessages).toEqual([]);
    expect(gpt.request.headers[MODEL_HEADER]).toBe('gpt-4');
    expect(gpt.request.route).toBe('rule-0');
    expect(gpt.request.routeCacheClears).toBe(1);
    expect(gpt.dynamicMetadata['ai.gateway']).toEqual({ model: 'gpt-4' });
    expect(claude.request.route).toBe('rule-1');
    expect(claude.request.body).toBe(JSON.stringify({ messages: [], model: 'claude-3 "opus" é' })); // body untouched
  });

  test('a model only an endpoint lists (its models, by default its name) reaches that endpoint\'s route', () => {
    const r = runOne(script, { request: chat({ model: 'claude' }) }, withRoutes);
    expect(r.localReply).toBeUndefined();
    expect(r.request.route).toBe('model-claude-0');
  });

  test('a client-sent model header is removed and cannot pick a route', () => {
    const forged = runOne(scriptWith('openai'), { request: chat('not json', { [MODEL_HEADER]: 'gpt-4' }) }, withRoutes);
    expect(forged.request.headers[MODEL_HEADER]).toBeUndefined();
    expect(forged.request.route).toBe('default');
    const overridden = runOne(script, { request: chat({ model: 'claude-3 "opus" é' }, { [MODEL_HEADER]: 'gpt-4' }) }, withRoutes);
    expect(overridden.request.headers[MODEL_HEADER]).toBe('claude-3 "opus" é');
    expect(overridden.request.route).toBe('rule-1');
  });

  const tricky: Array<[string, string, string]> = [
    ['whitespace everywhere', '  {\n\t"messages" : [ ] ,\r\n "model"\n:\t"gpt-4"  }  ', 'rule-0'],
    ['nested objects with their own model first', '{"meta":{"model":"claude-3 \\"opus\\" é"},"tools":[{"model":"x"}],"model":"gpt-4"}', 'rule-0'],
    ['an escaped key and value', '{"mod\\u0065l":"claude-3 \\"opus\\" \\u00e9"}', 'rule-1'],
    ['a string containing "model" before the field', '{"prompt":"\\"model\\":\\"claude\\"\\\\","model":"gpt-4"}', 'rule-0'],
    ['escaped slash', '{"model":"gpt\\/4"}', 'default'],
    ['50 000 levels of nesting before it (no recursion)', `{"x":${'['.repeat(50000)}${']'.repeat(50000)},"model":"gpt-4"}`, 'rule-0'],
  ];
  test.each(tricky)('reads the top-level model with %s', (_name, body, route) => {
    const r = runOne(scriptWith('openai'), { request: chat(body) }, withRoutes);
    expect(r.errorMessages).toEqual([]);
    expect(r.request.route).toBe(route);
  });

  test('fails with 404 JSON naming an unknown model when there is no default', () => {
    const r = runOne(script, { request: chat({ model: 'llama "3"\n\u{1F999}', messages: [] }) }, withRoutes);
    expect(r.localReply!.status).toBe(404);
    const error = errorOf(r);
    expect(error.type).toBe('model_not_found');
    expect(error.message).toBe('model "llama \\"3\\"\\n\u{1F999}" is not served by this gateway (models: gpt-4, claude-3 "opus" é, openai, claude)');
  });

  test('an unknown model goes to the default route when there is one (no header set)', () => {
    const r = runOne(scriptWith('openai'), { request: chat({ model: 'llama-3' }) }, withRoutes);
    expect(r.localReply).toBeUndefined();
    expect(r.request.headers[MODEL_HEADER]).toBeUndefined();
    expect(r.request.route).toBe('default');
    expect(r.dynamicMetadata['ai.gateway']).toEqual({ model: 'llama-3' });
  });

  const noModel: Array<[string, string | undefined]> = [
    ['no body', undefined],
    ['a non-JSON body', 'model=gpt-4'],
    ['malformed JSON', '{"model":"gpt-4"'],
    ['no model field', '{"messages":[]}'],
    ['a non-string model', '{"model":["gpt-4"]}'],
    ['a top-level array', '[{"model":"gpt-4"}]'],
  ];
  test.each(noModel)('fails with 400 JSON for %s when there is no default', (_name, body) => {
    const r = runOne(script, { request: body === undefined ? { headers: { ':method': 'GET', ':path': '/v1/models' } } : chat(body) }, withRoutes);
    expect(r.errorMessages).toEqual([]);
    expect(r.localReply!.status).toBe(400);
    expect(errorOf(r).message).toMatch(/"model" field .*\(models: gpt-4, claude-3 "opus" é, openai, claude\)$/);
  });

  test.each(noModel)('sends %s to the default route when there is one', (_name, body) => {
    const r = runOne(scriptWith('openai'), { request: body === undefined ? { headers: { ':method': 'GET' } } : chat(body) }, withRoutes);
    expect(r.localReply).toBeUndefined();
    expect(r.request.route).toBe('default');
  });

  test('fails with 400 for two model fields, even with a default (the upstream may read the other)', () => {
    for (const body of ['{"model":"gpt-4","model":"claude"}', '{"model":"gpt-4","mod\\u0065l":"x"}']) {
      const r = runOne(scriptWith('openai'), { request: chat(body) }, withRoutes);
      expect(r.localReply!.status).toBe(400);
      expect(errorOf(r).message).toBe('the request body has more than one "model" field');
    }
  });

  test('records a model with a lone surrogate as valid UTF-8 (U+FFFD)', () => {
    const res = run(scriptWith('openai'), [{ request: chat('{"model":"a\\ud800b"}') }, { request: chat('{"model":"c\\udc00"}') }]);
    expect(res.requests.map((r) => r.dynamicMetadata['ai.gateway'].model)).toEqual(['a\uFFFDb', 'c\uFFFD']);
  });

  test('fails with 400 for a model string with a broken escape', () => {
    const r = runOne(scriptWith('openai'), { request: chat('{"model":"gpt\\x4"}') }, withRoutes);
    expect(r.localReply!.status).toBe(400);
  });
});

describe('size', () => {
  const big = (bytes: number) => {
    const skeleton = JSON.stringify({ messages: [{ role: 'user', content: '' }], model: 'gpt-4' });
    return JSON.stringify({ messages: [{ role: 'user', content: 'é'.repeat((bytes - skeleton.length) / 2) }], model: 'gpt-4' });
  };

  test('routes a body just under the buffer limit, with the model at its end', () => {
    const body = big(64 * 1024 - 2);
    const r = runOne(scriptWith(), { request: chat(body) }, { config: { routes: ROUTES, bufferLimitBytes: 64 * 1024 } });
    expect(r.request.route).toBe('rule-0');
    expect(r.request.body).toBe(body);
  });

  test('a body over the limit gets Envoy\'s 413, not a script error', () => {
    const r = runOne(scriptWith(), { request: chat(big(64 * 1024 + 2)) }, { config: { routes: ROUTES, bufferLimitBytes: 64 * 1024 } });
    expect(r.errors).toBe(0);
    expect(r.localReply!.status).toBe(413);
  });
});

describe('agrees with JSON.parse on generated bodies', () => {
  // Deterministic pseudo-random bodies: the model field anywhere among nested decoys.
  function rng(seed: number) {
    return () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
  }
  const random = rng(42);
  const pick = <T>(xs: T[]) => xs[Math.floor(random() * xs.length)];
  const pieces = ['gpt', '-', '4', ' ', '"', '\\', '\n', 'é', '漢', '🎉', '{', '}', '[', ']', ':', ',', 'model', '\u0001', '\u2028'];
  const randomString = () => Array.from({ length: Math.floor(random() * 8) }, () => pick(pieces)).join('');
  const randomValue = (depth: number): unknown => {
    const r = random();
    if (depth > 2 || r < 0.3) return randomString();
    if (r < 0.4) return Math.floor(random() * 1e6) / 100;
    if (r < 0.5) return pick([true, false, null]);
    if (r < 0.75) return Array.from({ length: Math.floor(random() * 3) }, () => randomValue(depth + 1));
    return Object.fromEntries(Array.from({ length: Math.floor(random() * 3) }, () => [pick(['model', 'x', randomString()]), randomValue(depth + 1)]));
  };
  const bodies = Array.from({ length: 150 }, () => {
    const obj: Record<string, unknown> = {};
    const modelAt = Math.floor(random() * 4);
    for (let i = 0; i < 4; i++) {
      if (i === modelAt) obj.model = randomString() || 'm';
      else obj[pick(['messages', 'meta', 'x', 'y', 'z'])] = randomValue(0);
    }
    const json = JSON.stringify(obj, null, pick([0, 1, '\t']));
    return random() < 0.3 ? json.replace(/"model"/, '"mod\\u0065l"') : json;
  });

  test('the model the script reads is the one JSON.parse reads, for every body', () => {
    const res = run(scriptWith('openai'), bodies.map((b) => ({ request: chat(b) })));
    const read = res.requests.map((r) => (r.dynamicMetadata['ai.gateway'] ?? {}).model);
    expect(res.stats.errors).toBe(0);
    expect(read).toEqual(bodies.map((b) => JSON.parse(b).model));
  });
});

describe('errors in the script', () => {
  test('fails with a JSON 500 rather than routing the request anywhere', () => {
    const broken = scriptWith('openai').replace('local function on_request(h)\n', 'local function on_request(h)\n  local x = nil; x.y = 1\n');
    const r = runOne(broken, { request: chat({ model: 'gpt-4' }) }, withRoutes);
    expect(r.errors).toBe(0);
    expect(r.request.forwarded).toBe(false);
    expect(r.localReply!.status).toBe(500);
    expect(errorOf(r).type).toBe('gateway_error');
  });
});
