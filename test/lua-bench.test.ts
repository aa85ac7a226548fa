/**
 * Microbenchmark of the Lua filters: µs per request through the Envoy Lua emulation (runLuaBench),
 * best of three runs. "net" subtracts empty envoy_on_* functions; "work" subtracts a script that
 * only reads the body (body() + getBytes, or bodyChunks() + getBytes per chunk), leaving the
 * filter's own work and its other API calls. Each emulated API call costs about a microsecond
 * (Lua wrappers); in Envoy they are C++ calls. Not part of `npm test`: it only prints figures.
 *
 *   LUA_BENCH=1 npx jest test/lua-bench.test.ts
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { apiKeyAuthFilter, bodyRoutingFilter, cacheFilter, promptFilter, usageFilter } from '../src/envoy/lua';
import { ENDPOINT_HEADER } from '../src/envoy/names';
import { runLuaBench, type LuaBenchOptions } from './support/lua/run-lua';
import { OPTIONS, scriptOf, specWith } from './lua-helpers';

const SIZES = [1024, 4096, 16 * 1024, 256 * 1024];
const benchIt = process.env.LUA_BENCH ? test : test.skip;

/** The bench's responses carry no route header: add the one the routes add, so cost is computed. */
const answeredBy = (script: string) =>
  `${script}\nlocal inner_response = envoy_on_response\nenvoy_on_response = function(h) h:headers():add("${ENDPOINT_HEADER}", "openai") inner_response(h) end\n`;

function scripts(): Array<[string, string, Omit<LuaBenchOptions, 'script' | 'size'>]> {
  const prompt = (p: object) => scriptOf(promptFilter(specWith({ promptEngineering: p as never }), OPTIONS));
  const usage = answeredBy(scriptOf(usageFilter(specWith(), OPTIONS)));
  const usageWithHeaders = answeredBy(scriptOf(usageFilter(specWith({ observability: { usageHeaders: true } }), OPTIONS)));
  const routing = scriptOf(
    bodyRoutingFilter(specWith({ modelRouting: { strategy: 'RequestBody', rules: [{ model: 'gpt-4o-mini', targetEndpoint: 'openai' }, { model: 'claude', targetEndpoint: 'claude' }] } }), OPTIONS),
  );
  // bench.lua sends "Authorization: Bearer sk-test": accept it among 100 keys of the same length.
  const keyFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'lua-bench-keys-')), 'keys');
  fs.writeFileSync(keyFile, ['sk-test', ...Array.from({ length: 99 }, (_, i) => `sk-${String(i).padStart(4, '0')}`)].join('\n'));
  const auth = scriptOf(apiKeyAuthFilter(specWith({ authentication: { type: 'APIKey', apiKeyRef: { name: 's', key: 'k' } } }), OPTIONS)).replace(
    '"/etc/aigateway/secrets/s/k"',
    JSON.stringify(keyFile),
  );
  const cache = scriptOf(cacheFilter(specWith({ cachingStrategy: { type: 'Exact' } }), OPTIONS));
  return [
    ['prompt Prefix (splice)', prompt({ systemPrompt: 'You are a helpful AI assistant.' }), { path: 'request' }],
    ['prompt Replace (per message)', prompt({ systemPrompt: 'You are a helpful AI assistant.', modificationType: 'Replace' }), { path: 'request' }],
    ['prompt Transform template', prompt({ modificationType: 'Transform', templates: { t: 'Summarize: {{.text}}' } }), { path: 'request' }],
    ['body routing', routing, { path: 'request' }],
    ['usage JSON (streamed tail)', usage, { path: 'response' }],
    ['usage JSON + headers (buffered)', usageWithHeaders, { path: 'response' }],
    ['usage SSE', usage, { path: 'response', sse: true }],
    ['api key auth (100 keys)', auth, { path: 'request' }],
    ['cache (miss, request+response)', cache, { path: 'both' }],
  ];
}

const READ_BODY = [
  'function envoy_on_request(h) local b = h:body() if b then local s = b:getBytes(0, b:length()) end end',
  'function envoy_on_response(h) for c in h:bodyChunks() do local s = c:getBytes(0, c:length()) end end',
].join('\n');

function best(opts: LuaBenchOptions): number {
  let min = Infinity;
  for (let i = 0; i < 3; i++) {
    const r = runLuaBench({ n: (opts.size ?? 4096) > 64 * 1024 ? 300 : 2000, ...opts });
    if (r.errors > 0) throw new Error(`${r.errors} script errors`);
    min = Math.min(min, r.netUsPerRequest);
  }
  return min;
}

benchIt('prints µs per request for each filter and body size', () => {
  const header = `${'µs/request: net | work'.padEnd(36)}${SIZES.map((s) => `${s / 1024} KB`.padStart(16)).join('')}`;
  const rows: string[] = [header];
  for (const [name, script, opts] of scripts()) {
    const cells = SIZES.map((size) => {
      const net = best({ script, size, ...opts });
      const work = best({ script, size, baseline: READ_BODY, ...opts });
      return `${net.toFixed(1)} | ${work.toFixed(1)}`.padStart(16);
    });
    rows.push(`${name.padEnd(36)}${cells.join('')}`);
  }
  console.log(rows.join('\n'));
});
