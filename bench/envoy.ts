/**
 * The gateway in a real Envoy (the pinned 1.40.0), every request-path feature on, against the
 * same Envoy with only the router, against the mock upstream called directly: throughput and
 * latency under wrk on loopback, in one run on this machine.
 */
import type { ServerResponse } from 'http';
import { cpus } from 'os';
import type { AIGatewaySpecInput } from '../src';
import {
  freePort,
  gatewayObjects,
  openAiCompletion,
  PINNED_ENVOY_VERSION,
  startEnvoy,
  startGateway,
  startMock,
  type MockHandler,
  type MockUpstream,
  type RunningEnvoy,
  type RunningGateway,
} from '../test/support/real-envoy';
import { fixed, median, table, verdict } from './stats';
import { runWrk, type WrkResult } from './wrk';

type Json = any;

/**
 * Load shape: one wrk thread and one Envoy worker, so load, proxy and mock share the 2 cores.
 * The three scenarios take turns, `rounds` times, and each figure is the median over the rounds:
 * on a shared machine the background load drifts, and turns spread the drift over all three.
 */
const LOAD = { connections: 16, seconds: 5, warmupSeconds: 1, rounds: 3 } as const;
const MODEL = 'gpt-4o-mini';
const KEY_SECRET = 'bench-client-keys';
const CLIENT_KEY = 'sk-bench-0042';
/** 100 keys of the same length, the client's among them (as the Lua section's API key case). */
const CLIENT_KEYS = [...Array.from({ length: 99 }, (_, i) => `sk-bench-${String(1000 + i)}`), CLIENT_KEY].join('\n');
const SYSTEM_PROMPT = 'You are a helpful assistant.';
const HEADERS = { 'content-type': 'application/json', authorization: `Bearer ${CLIENT_KEY}` };
/** Every body differs (run id and request number), so the Exact cache misses and stores each one. */
const BODY_LUA = `string.format('{"model":"${MODEL}","messages":[{"role":"user","content":"Say hello (%s #%d)"}]}', run, n)`;

/**
 * Every feature that runs per request: API key auth, a rate limit far above what one worker
 * serves (10M rpm), prompt Prefix, the Exact cache, RequestBody routing, usage and cost with
 * usage headers, the access log and metrics. Not tracing: it needs an OTLP collector.
 */
export function benchGatewaySpec(): AIGatewaySpecInput {
  const cost = { inputTokens: '0.00000015', outputTokens: '0.0000006' };
  return {
    gatewayClassName: 'envoy',
    endpoints: [
      { name: 'openai', serviceRef: { name: 'openai-proxy', port: 8000 }, provider: 'OpenAI', models: [MODEL], costPerToken: cost },
      { name: 'llama', serviceRef: { name: 'vllm-llama', port: 8000 }, provider: 'vLLM', models: ['llama-3.1-8b'], costPerToken: cost },
    ],
    modelRouting: {
      strategy: 'RequestBody',
      rules: [
        { model: 'llama-3.1-8b', targetEndpoint: 'llama' },
        { model: MODEL, targetEndpoint: 'openai' },
      ],
    },
    authentication: { type: 'APIKey', apiKeyRef: { name: KEY_SECRET, key: 'keys' } },
    rateLimiting: { requestsPerMinute: 10_000_000, burst: 10_000_000 },
    cachingStrategy: { type: 'Exact' },
    promptEngineering: { systemPrompt: SYSTEM_PROMPT, modificationType: 'Prefix' },
    observability: { accessLog: true, metrics: true, usageHeaders: true },
  };
}

/** Envoy with one listener, an HTTP connection manager with only the router, one cluster: the mock. */
export function routerOnlyBootstrap(ports: { http: number; admin: number }, mockPort: number): Json {
  const address = (port: number) => ({ socket_address: { address: '127.0.0.1', port_value: port } });
  return {
    admin: { address: address(ports.admin) },
    static_resources: {
      listeners: [
        {
          name: 'router-only',
          address: address(ports.http),
          filter_chains: [
            {
              filters: [
                {
                  name: 'envoy.filters.network.http_connection_manager',
                  typed_config: {
                    '@type': 'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager',
                    stat_prefix: 'router_only',
                    route_config: { name: 'all', virtual_hosts: [{ name: 'all', domains: ['*'], routes: [{ match: { prefix: '/' }, route: { cluster: 'mock' } }] }] },
                    http_filters: [{ name: 'envoy.filters.http.router', typed_config: { '@type': 'type.googleapis.com/envoy.extensions.filters.http.router.v3.Router' } }],
                  },
                },
              ],
            },
          ],
        },
      ],
      clusters: [
        {
          name: 'mock',
          type: 'STATIC',
          connect_timeout: '1s',
          load_assignment: { cluster_name: 'mock', endpoints: [{ lb_endpoints: [{ endpoint: { address: address(mockPort) } }] }] },
        },
      ],
    },
  };
}

/** The upstream: one fixed small chat completion, serialized once; remembers the last body it got. */
function fixedCompletion(): { handler: MockHandler; lastBody: () => string } {
  const text = JSON.stringify(openAiCompletion(MODEL, 'Hello!', { input: 12, output: 5 }));
  const headers = { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(text)) };
  let last = '';
  const handler = (req: { body: string }, res: ServerResponse) => {
    last = req.body;
    res.writeHead(200, headers);
    res.end(text);
  };
  return { handler, lastBody: () => last };
}

const post = (url: string, body: string, headers: Record<string, string> = HEADERS) =>
  fetch(`${url}/v1/chat/completions`, { method: 'POST', headers, body });

/**
 * Proof that each feature is on before the gateway is timed: 401 without a key, the system prompt
 * reaches the mock, usage and cost headers, a cache miss then a hit, an access log line, metrics.
 */
async function checkFeatures(gateway: RunningGateway, lastBody: () => string): Promise<void> {
  const fail = (what: string) => {
    throw new Error(`bench envoy: the gateway does not ${what}; stderr:\n${gateway.stderr().slice(-2000)}`);
  };
  const body = JSON.stringify({ model: MODEL, messages: [{ role: 'user', content: 'feature check' }] });
  if ((await post(gateway.url, body, { 'content-type': 'application/json' })).status !== 401) fail('answer 401 without an API key');
  const first = await post(gateway.url, body);
  await first.text();
  if (first.status !== 200) fail(`answer 200 with a key (got ${first.status})`);
  if (!lastBody().includes(SYSTEM_PROMPT)) fail(`put the system prompt into the upstream request (got ${lastBody()})`);
  if (first.headers.get('x-ai-usage-input-tokens') !== '12' || !first.headers.get('x-ai-usage-cost-usd')) fail('add the usage and cost headers');
  if (first.headers.get('x-ai-cache') !== 'miss') fail(`report a cache miss (x-ai-cache: ${first.headers.get('x-ai-cache')})`);
  const again = await post(gateway.url, body);
  await again.text();
  if (again.headers.get('x-ai-cache') !== 'hit') fail('serve an identical request from the cache');
  if ((await gateway.accessLog(3)).length < 3) fail('write an access log line per request');
  if ((await fetch(`${gateway.opsUrl}/stats/prometheus`)).status !== 200) fail('serve metrics on the ops port');
}

interface Measured {
  /** LOAD.connections connections: throughput, and latency including queueing. */
  readonly loaded: WrkResult;
  /** One connection, one request at a time: latency without queueing. */
  readonly single: WrkResult;
}

async function measure(url: string): Promise<Measured> {
  const run = (connections: number, seconds: number) =>
    runWrk({ url: `${url}/v1/chat/completions`, headers: HEADERS, bodyLua: BODY_LUA, connections, seconds });
  await run(LOAD.connections, LOAD.warmupSeconds);
  const loaded = await run(LOAD.connections, LOAD.seconds);
  const single = await run(1, LOAD.seconds);
  return { loaded, single };
}

/** Median figures of several runs (request and error counts summed). */
function medianOf(runs: readonly WrkResult[]): WrkResult {
  const mid = (pick: (r: WrkResult) => number) => median(runs.map(pick));
  const sum = (pick: (r: WrkResult) => number) => runs.reduce((a, r) => a + pick(r), 0);
  return { requests: sum((r) => r.requests), rps: mid((r) => r.rps), p50Ms: mid((r) => r.p50Ms), p99Ms: mid((r) => r.p99Ms), non2xx: sum((r) => r.non2xx), socketErrors: sum((r) => r.socketErrors) };
}

/** Each base URL measured once per round, in turn; the medians per URL. */
async function inTurns(urls: readonly string[]): Promise<Measured[]> {
  const runs: Measured[][] = urls.map(() => []);
  for (let round = 0; round < LOAD.rounds; round++) {
    for (const [i, url] of urls.entries()) runs[i].push(await measure(url));
  }
  return runs.map((r) => ({ loaded: medianOf(r.map((m) => m.loaded)), single: medianOf(r.map((m) => m.single)) }));
}

const ms = (n: number) => fixed(n, 2);
const plus = (n: number) => `${n >= 0 ? '+' : ''}${fixed(n, 2)}`;

function markdown(direct: Measured, router: Measured, gateway: Measured, clean: boolean): string {
  const row = (name: string, m: Measured) => [
    name,
    fixed(m.loaded.rps, 0),
    ms(m.loaded.p50Ms),
    ms(m.loaded.p99Ms),
    ms(m.single.p50Ms),
    ms(m.single.p99Ms),
    m.loaded.requests + m.single.requests,
    m.loaded.non2xx + m.single.non2xx + m.loaded.socketErrors + m.single.socketErrors,
  ];
  const added = (m: Measured, key: 'loaded' | 'single') => `p50 ${plus(m[key].p50Ms - direct[key].p50Ms)} ms, p99 ${plus(m[key].p99Ms - direct[key].p99Ms)} ms`;
  return [
    `### Real Envoy ${PINNED_ENVOY_VERSION} on loopback: gateway (every feature) vs router-only Envoy vs the mock directly`,
    '',
    `wrk -t1, POST of a ~100-byte chat body, ${LOAD.seconds} s per run after a ${LOAD.warmupSeconds} s warm-up, the three scenarios in turns, median of ${LOAD.rounds} rounds;`,
    `Envoy --concurrency 1. The load thread, the Envoy worker and the Node mock share this machine's ${cpus().length} cores (with 2, the Envoy rows keep`,
    'three busy processes on them), so the ratios matter, not the absolute figures; see the load average below.',
    'The gateway runs API key auth (100 keys), a 10M rpm rate limit (never reached), prompt Prefix, the Exact cache (every body distinct: each',
    'request misses and is stored), RequestBody routing, usage and cost (costPerToken) with usage headers, the JSON access log on stdout and metrics.',
    '',
    table(
      ['scenario', `req/s (${LOAD.connections} conn)`, 'p50 ms', 'p99 ms', 'p50 ms (1 conn)', 'p99 ms (1 conn)', 'requests', 'errors + non-2xx'],
      [row('mock upstream directly', direct), row('Envoy, router only', router), row('gateway, every feature', gateway)],
    ),
    '',
    `- throughput: gateway ÷ router-only ${fixed(gateway.loaded.rps / router.loaded.rps)}, router-only ÷ direct ${fixed(router.loaded.rps / direct.loaded.rps)}`,
    `- added latency, 1 connection (no queueing): gateway ${added(gateway, 'single')}; router-only ${added(router, 'single')}`,
    `- added latency, ${LOAD.connections} connections (includes queueing at saturation): gateway ${added(gateway, 'loaded')}; router-only ${added(router, 'loaded')}`,
    '- for scale only (other machines and setups, not comparable in absolute terms): agentgateway publishes p50 0.83 ms / p99 1.97 ms at 36,933 QPS; LiteLLM publishes p99 32 ms.',
    `- every response 2xx, no socket errors: **${verdict(clean)}**`,
  ].join('\n');
}

/** The section: the mock directly, the router-only Envoy and the gateway, in turns under the same load. */
export async function envoyBenchmark(): Promise<{ markdown: string; passed: boolean }> {
  const completion = fixedCompletion();
  const mock: MockUpstream = await startMock({ handler: completion.handler, record: false });
  const envoys: RunningEnvoy[] = [];
  try {
    const ports = { http: await freePort(), admin: await freePort() };
    envoys.push(await startEnvoy(routerOnlyBootstrap(ports, mock.port)));
    const gateway = await startGateway(gatewayObjects(benchGatewaySpec()), {
      secrets: { [KEY_SECRET]: { keys: CLIENT_KEYS } },
      upstreams: { 'endpoint-openai': mock.port, 'endpoint-llama': mock.port },
    });
    envoys.push(gateway);
    await checkFeatures(gateway, completion.lastBody);
    const results = await inTurns([mock.url, `http://127.0.0.1:${ports.http}`, gateway.url]);
    const clean = results.every((m) => [m.loaded, m.single].every((r) => r.non2xx === 0 && r.socketErrors === 0));
    const [direct, router, gw] = results;
    return { markdown: markdown(direct, router, gw, clean), passed: clean };
  } finally {
    for (const envoy of envoys) await envoy.stop();
    await mock.close();
  }
}
