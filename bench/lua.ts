import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { apiKeyAuthFilter, bodyRoutingFilter, cacheFilter, promptFilter, usageFilter } from '../src/envoy/lua';
import { ENDPOINT_HEADER } from '../src/envoy/names';
import { OPTIONS, scriptOf, specWith } from '../test/lua-helpers';
import { runLuaBench, type LuaBenchOptions } from '../test/support/lua/run-lua';
import { fixed, growthExponent, median, table, verdict } from './stats';

const KB = 1024;
const SIZES = [1 * KB, 4 * KB, 16 * KB, 256 * KB];

/**
 * The floor: a script that only reads the body once (body() + getBytes, or bodyChunks() +
 * getBytes per frame). What a filter costs beyond it is its own work.
 */
const READ_BODY = [
  'function envoy_on_request(h) local b = h:body() if b then local s = b:getBytes(0, b:length()) end end',
  'function envoy_on_response(h) for c in h:bodyChunks() do local s = c:getBytes(0, c:length()) end end',
].join('\n');

/** The bench's responses carry no route header: add the one the routes add, so cost is computed. */
const answeredBy = (script: string) =>
  `${script}\nlocal inner_response = envoy_on_response\nenvoy_on_response = function(h) h:headers():add("${ENDPOINT_HEADER}", "openai") inner_response(h) end\n`;

type Case = [name: string, script: string, opts: Omit<LuaBenchOptions, 'script' | 'size'>];

function cases(keyFile: string): Case[] {
  const prompt = (p: object) => scriptOf(promptFilter(specWith({ promptEngineering: p as never }), OPTIONS));
  const usage = answeredBy(scriptOf(usageFilter(specWith(), OPTIONS)));
  const routing = scriptOf(
    bodyRoutingFilter(specWith({ modelRouting: { strategy: 'RequestBody', rules: [{ model: 'gpt-4o-mini', targetEndpoint: 'openai' }, { model: 'claude', targetEndpoint: 'claude' }] } }), OPTIONS),
  );
  const auth = scriptOf(apiKeyAuthFilter(specWith({ authentication: { type: 'APIKey', apiKeyRef: { name: 's', key: 'k' } } }), OPTIONS)).replace(
    '"/etc/aigateway/secrets/s/k"',
    JSON.stringify(keyFile),
  );
  return [
    ['prompt injection (Prefix)', prompt({ systemPrompt: 'You are a helpful AI assistant.' }), { path: 'request' }],
    ['prompt Replace', prompt({ systemPrompt: 'You are a helpful AI assistant.', modificationType: 'Replace' }), { path: 'request' }],
    ['body-model routing', routing, { path: 'request' }],
    ['usage extraction, JSON', usage, { path: 'response' }],
    ['usage extraction, SSE', usage, { path: 'response', sse: true }],
    ['API key check (100 keys)', auth, { path: 'request' }],
    ['cache miss (request + response)', scriptOf(cacheFilter(specWith({ cachingStrategy: { type: 'Exact' } }), OPTIONS)), { path: 'both' }],
  ];
}

/**
 * Median of three runs: µs per request of the filter beyond the floor (each run measures both in
 * one LuaJIT process), of the floor, and of the two together.
 */
function measure(script: string, size: number, opts: Case[2], direct: boolean): { work: number; floor: number; gross: number } {
  const runs = Array.from({ length: 3 }, () => {
    const r = runLuaBench({ script, size, baseline: READ_BODY, n: size > 64 * KB ? 500 : 10000, direct, ...opts });
    if (r.errors > 0) throw new Error(`${r.errors} script errors`);
    return r;
  });
  return {
    work: Math.max(0, median(runs.map((r) => r.netUsPerRequest))),
    floor: median(runs.map((r) => r.baselineUsPerRequest)),
    gross: median(runs.map((r) => r.usPerRequest)),
  };
}

/** Per-request Lua cost under LuaJIT through the Envoy Lua emulation, against reading the body once. */
export function luaBenchmark(): { markdown: string; passed: boolean } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'aigate-bench-keys-'));
  const keyFile = path.join(dir, 'keys');
  // bench.lua sends "Authorization: Bearer sk-test": accept it among 100 keys of the same length.
  fs.writeFileSync(keyFile, ['sk-test', ...Array.from({ length: 99 }, (_, i) => `sk-${String(i).padStart(4, '0')}`)].join('\n'));
  try {
    const work: Record<string, number[]> = {};
    const gross: Record<string, number[]> = {};
    const rows: (string | number)[][] = [];
    let floorRow: number[] = [];
    let emulatedFloor: number[] = [];
    for (const [name, script, opts] of cases(keyFile)) {
      const direct = SIZES.map((size) => measure(script, size, opts, true));
      const emulated = SIZES.map((size) => measure(script, size, opts, false));
      work[name] = direct.map((r) => r.work);
      gross[name] = direct.map((r) => r.gross);
      if (floorRow.length === 0) floorRow = direct.map((r) => r.floor);
      if (emulatedFloor.length === 0) emulatedFloor = emulated.map((r) => r.floor);
      const mbps = (bytes: number, us: number) => (us > 0.05 ? fixed(bytes / us, 0) : '—');
      rows.push([name, ...direct.map((r, i) => `${fixed(r.work, 1)} µs, ${mbps(SIZES[i], r.work)} MB/s (${fixed(emulated[i].work, 0)})`)]);
    }
    rows.push(['floor: read the body once', ...floorRow.map((f, i) => `${fixed(f, 1)} µs (${fixed(emulatedFloor[i], 0)})`)]);
    const at4k = work['prompt injection (Prefix)'][1] + work['usage extraction, JSON'][1];
    // Linearity on the whole per-request time (floor included): a filter that built strings
    // quadratically would show at 256 KB whatever the floor; the small work figures are too noisy.
    const linear = Object.entries(gross).map(([name, g]) => [name, growthExponent(16, g[2], 256, g[3])] as const);
    const worst = linear.reduce((a, b) => (b[1] > a[1] ? b : a));
    const targetOk = at4k <= 50;
    const linearOk = worst[1] <= 1.1;
    return {
      markdown: [
        '### Per-request Lua cost (LuaJIT; µs per request beyond the floor, median of 3)',
        '',
        'Each cell: the script\'s own work against a minimal handle (plain tables, so an API call costs about what a C++ call',
        'costs Envoy), its throughput, and in parentheses the same beyond the floor through the full Envoy Lua emulation,',
        'whose API wrappers are Lua and cost about a microsecond per call.',
        '',
        table(['filter', '1 KB', '4 KB', '16 KB', '256 KB'], rows),
        '',
        `- prompt injection + usage extraction at 4 KB: ${fixed(at4k, 1)} µs (target ≤ 50): **${verdict(targetOk)}**`,
        `- growth of the per-request time 16 KB → 256 KB, worst filter (${worst[0]}): exponent ${fixed(worst[1])} (target ≤ 1.1, linear): **${verdict(linearOk)}**`,
      ].join('\n'),
      passed: targetOk && linearOk,
    };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
