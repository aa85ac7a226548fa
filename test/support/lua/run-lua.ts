/**
 * Run product Lua scripts under real LuaJIT through the Envoy Lua filter
 * emulation in `envoy_emulator.lua` (test support; never shipped).
 *
 * One call = one `luajit` process = one configured Lua filter with its own
 * worker VMs, so per-worker globals (caches, counters) carry over from one
 * request of the batch to the next on the same worker, exactly as in Envoy.
 *
 *   const r = runLuaScenario({
 *     script: 'src/lua/inject.lua',                    // path or Lua source
 *     requests: [{ request: { headers: { ':method': 'POST' }, body: '{"messages":[]}' } }],
 *   });
 *   expect(r.requests[0].request.body).toContain('system');
 */
import { execFileSync, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

/** The .lua files beside this module; `npm run bench` runs it compiled from dist/lib/test/support/lua. */
const LUA_DIR = fs.existsSync(path.join(__dirname, 'envoy_emulator.lua'))
  ? __dirname
  : path.resolve(__dirname, '..', '..', '..', '..', '..', 'test', 'support', 'lua');
export const EMULATOR_PATH = path.join(LUA_DIR, 'envoy_emulator.lua');
export const BENCH_PATH = path.join(LUA_DIR, 'bench.lua');
export const LUAJIT_INSTALL_HINT = 'sudo apt-get install -y luajit';

const RESULT_BEGIN = '<<<ENVOY-LUA-EMULATOR-RESULT-BEGIN>>>';
const RESULT_END = '<<<ENVOY-LUA-EMULATOR-RESULT-END>>>';

/** Header input: an object (array values = repeated header, undefined = omitted) or ordered pairs. */
export type LuaHeadersInput =
  | Record<string, string | number | Array<string | number> | undefined>
  | Array<[string, string]>;
/** A body: one data frame per array element; a string is one frame ('' = no body). */
export type LuaBodyInput = string | string[];

export interface LuaMessageInput {
  headers?: LuaHeadersInput;
  body?: LuaBodyInput;
  trailers?: LuaHeadersInput;
}

export interface LuaSslInput {
  peerCertificatePresented?: boolean;
  peerCertificateValidated?: boolean;
  uriSanPeerCertificate?: string[];
  dnsSansPeerCertificate?: string[];
  subjectPeerCertificate?: string;
  sha256PeerCertificateDigest?: string;
  tlsVersion?: string;
  [field: string]: unknown;
}

export interface LuaStreamInfoInput {
  /** "HTTP/1.0" | "HTTP/1.1" (default) | "HTTP/2" | "HTTP/3" */
  protocol?: string;
  downstreamLocalAddress?: string;
  downstreamDirectLocalAddress?: string;
  downstreamRemoteAddress?: string;
  downstreamDirectRemoteAddress?: string;
  requestedServerName?: string;
  virtualClusterName?: string;
  /** TLS connection details; absent = plaintext (ssl() returns nil). */
  ssl?: LuaSslInput;
  /** filterState():get(name[, field]) values. */
  filterState?: Record<string, unknown>;
  dynamicTypedMetadata?: Record<string, unknown>;
  /** Stream dynamic metadata set by earlier filters (e.g. jwt_authn's payload), by namespace. */
  dynamicMetadata?: Record<string, Record<string, unknown>>;
  /** connectionStreamInfo():dynamicMetadata() content, by namespace. */
  connectionDynamicMetadata?: Record<string, Record<string, unknown>>;
}

export interface LuaScenarioRequest {
  request: LuaMessageInput;
  /** What the upstream answers (default `:status 200`, no body). Ignored after a local reply. */
  response?: LuaMessageInput;
  /** Worker (0-based) that handles this stream; default round-robin over `workers`. */
  worker?: number;
  /** Clock for this request, epoch SECONDS (fractions allowed): os.time(), os.date(), handle:timestamp(). Sticky for later requests. */
  now?: number;
  /** Clock while the response is processed (default: `now`). */
  responseNow?: number;
  /**
   * Route metadata as Envoy's `metadata.filter_metadata`, keyed by namespace
   * (`{"envoy.filters.http.lua": {...}}`) — read by handle:metadata().
   * Only used when `config.routes` is not given (one implicit route).
   */
  routeMetadata?: Record<string, Record<string, unknown>>;
  /** LuaPerRoute.filter_context for the implicit route (handle:filterContext(), Envoy >= 1.35). */
  filterContext?: Record<string, unknown>;
  streamInfo?: LuaStreamInfoInput;
  /**
   * Files written (string) or deleted (null) right before this request starts,
   * e.g. to rotate a mounted Secret. Use absolute paths in a temp directory
   * (see makeLuaTempDir).
   */
  files?: Record<string, string | null>;
}

export interface LuaHeaderMatcher {
  name: string;
  exact?: string;
  prefix?: string;
  suffix?: string;
  contains?: string;
  present?: boolean;
  invert?: boolean;
}

export interface LuaRoute {
  name: string;
  match?: { prefix?: string; path?: string; headers?: LuaHeaderMatcher[] };
  metadata?: Record<string, Record<string, unknown>>;
  filterContext?: Record<string, unknown>;
}

export interface LuaClusterResponse {
  headers?: LuaHeadersInput;
  body?: string;
  /** Upstream failure: the script gets {":status"="503"}, "upstream failure". */
  fail?: boolean;
  /** Failure inside send(): same values, returned without yielding. */
  failImmediately?: boolean;
}

export interface LuaScenarioConfig {
  /** Lua filter option (Envoy >= 1.34): auto-clear the route cache on request header changes. Default true. */
  clear_route_cache?: boolean;
  /** Stream buffer limit for body() buffering. Default 1 MiB. Over it: 413 (request) / 500 (response). */
  bufferLimitBytes?: number;
  /** Target Envoy version, e.g. "1.34" (default) or "main". Newer methods are absent. */
  envoyVersion?: string;
  /** Filter config name used by handle:metadata(). Default "envoy.filters.http.lua". */
  filterName?: string;
  /** Run envoy_on_response on the filter's own local replies (respond(), 413). Default true. */
  responseOnLocalReply?: boolean;
  /** Route table (first match wins). Without it every request hits one implicit route. */
  routes?: LuaRoute[];
  /** Canned httpCall() answers per cluster; an array is consumed in order, the last one repeats. */
  clusters?: Record<string, LuaClusterResponse | LuaClusterResponse[]>;
  /** When httpCall() answers arrive: right away (default) or after the whole body was received. */
  httpCallTiming?: 'immediate' | 'afterBody';
  /** "sequential" (default) or "interleaved": requests advance one event at a time, round-robin. */
  order?: 'sequential' | 'interleaved';
}

export interface LuaScenario {
  /** Path to a .lua file, or the Lua source itself. */
  script: string;
  config?: LuaScenarioConfig;
  /** Number of simulated worker VMs (default 1). */
  workers?: number;
  /** Clock (epoch seconds) during script load (top-level code). */
  now?: number;
  requests: LuaScenarioRequest[];
  /** Return a load error in the result instead of throwing. */
  allowLoadError?: boolean;
  /** Kill luajit after this long (default 60 s). */
  timeoutMs?: number;
}

export type HeaderMapJson = Record<string, string>;
export type HeaderListJson = Array<[string, string]>;

export interface LuaLogEntry {
  level: 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'critical';
  message: string;
  /** script = handle:log*(); script-error = a failed script run; print = print(); envoy = filter message */
  kind: 'script' | 'script-error' | 'print' | 'envoy';
  phase: 'request' | 'response' | 'load';
}

export interface LuaForwardedRequest {
  /** false when the request never reached the upstream (local reply, 413, no route). */
  forwarded: boolean;
  /** As forwarded upstream (duplicates joined with ","); the last state if not forwarded. */
  headers: HeaderMapJson;
  headerList: HeaderListJson;
  body: string;
  /** Data frames as passed on. */
  chunks: string[];
  trailers: HeaderMapJson | null;
  /** Route cache clears on the request path (automatic + clearRouteCache()). */
  routeCacheClears: number;
  /** Route the router used (`LuaRoute.name`, "default" for the implicit route). */
  route: string | null;
  upstreamOverrideHost: { host: string; strict: boolean } | null;
}

export interface LuaLocalReply {
  status: number;
  headers: HeaderMapJson;
  headerList: HeaderListJson;
  body: string;
  /** lua_response | request_payload_too_large | route_not_found */
  details: string;
}

export interface LuaForwardedResponse {
  /** As sent downstream. */
  headers: HeaderMapJson;
  headerList: HeaderListJson;
  body: string;
  chunks: string[];
  trailers: HeaderMapJson | null;
  reasonPhrase?: string | null;
  /** Set for a reply sent directly by Envoy (response_payload_too_large). */
  details?: string;
  clearRouteCacheCalls: number;
}

export interface LuaHttpCallRecord {
  cluster: string;
  headers: HeaderMapJson;
  headerList: HeaderListJson;
  body: string | null;
  asynchronous: boolean;
  timeoutMs: number | null;
  phase: 'request' | 'response';
}

export interface LuaRequestResult {
  index: number;
  worker: number;
  request: LuaForwardedRequest;
  /** The local reply generated for this stream (respond(), 413, 404), before envoy_on_response ran on it. */
  localReply?: LuaLocalReply;
  response: LuaForwardedResponse;
  /** Dynamic metadata by namespace, as %DYNAMIC_METADATA(ns:key)% would see it. */
  dynamicMetadata: Record<string, Record<string, unknown>>;
  logs: LuaLogEntry[];
  /** Script errors (Envoy's `errors` counter) during this stream. */
  errors: number;
  errorMessages: string[];
  errorTracebacks: string[];
  /** Coroutine starts (Envoy's `executions` counter) during this stream. */
  executions: number;
  httpCalls: LuaHttpCallRecord[];
  /** Harness diagnostics (content-length mismatches, buffer overflow, ...). */
  warnings: string[];
}

export interface LuaScenarioResult {
  requests: LuaRequestResult[];
  stats: { errors: number; executions: number };
  loadLogs: LuaLogEntry[];
  loadError?: string;
  /** Number of VMs that ran the top-level code (validation VM + workers). */
  vmLoads: number;
  envoyVersion: string;
  luajit: string;
  invalidUtf8Strings: number;
  /** Anything the script wrote to stdout/stderr itself (io.write, ...). */
  stdout: string;
  stderr: string;
}

/** The luajit binary to use (`LUAJIT` overrides). */
export function luajitCommand(): string {
  return process.env.LUAJIT || 'luajit';
}

/** Version line of the installed LuaJIT, or undefined when it is not installed. */
export function findLuaJit(): string | undefined {
  try {
    return execFileSync(luajitCommand(), ['-v'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
  } catch {
    return undefined;
  }
}

/** Throws with the install command when LuaJIT is missing. */
export function assertLuaJit(): string {
  const v = findLuaJit();
  if (!v) {
    throw new Error(
      `LuaJIT is not installed ("${luajitCommand()}" not found). The Lua filter tests need it: ` +
        `run \`${LUAJIT_INSTALL_HINT}\` (or \`npm test\`, whose pretest runs scripts/ensure-luajit.sh).`,
    );
  }
  return v;
}

/** Resolve `script` (a path or Lua source) to Lua source. */
export function resolveScript(script: string): string {
  if (!script.includes('\n') && /\.lua$/.test(script.trim())) {
    const p = path.resolve(script.trim());
    if (!fs.existsSync(p)) throw new Error(`Lua script not found: ${p}`);
    return fs.readFileSync(p, 'utf8');
  }
  return script;
}

/** A Lua string literal for `s` (to embed paths or config in a script under test). */
export function luaQuote(s: string): string {
  return '"' + s.replace(/[\\"\n\r\0]/g, (c) => ({ '\\': '\\\\', '"': '\\"', '\n': '\\n', '\r': '\\r', '\0': '\\0' })[c]!) + '"';
}

/** A fresh temp directory (for Secret files and the like); remove it with removeLuaTempDir. */
export function makeLuaTempDir(prefix = 'lua-scenario-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

export function removeLuaTempDir(dir: string): void {
  fs.rmSync(dir, { recursive: true, force: true });
}

function extractResult(stdout: string): { json: string; rest: string } {
  const b = stdout.lastIndexOf(RESULT_BEGIN);
  const e = stdout.lastIndexOf(RESULT_END);
  if (b < 0 || e < b) throw new Error('no result from the Lua emulator');
  const json = stdout.slice(b + RESULT_BEGIN.length, e).trim();
  const rest = (stdout.slice(0, b) + stdout.slice(e + RESULT_END.length)).replace(/^\n+|\n+$/g, '');
  return { json, rest };
}

/**
 * Run a batch of requests through one Lua filter instance (one luajit
 * process). Throws if LuaJIT is missing, if the harness fails, or (unless
 * allowLoadError) if the script does not load.
 */
export function runLuaScenario(scenario: LuaScenario): LuaScenarioResult {
  assertLuaJit();
  const { allowLoadError, timeoutMs, script, ...rest } = scenario;
  const input = JSON.stringify({ ...rest, script: resolveScript(script) });
  const proc = spawnSync(luajitCommand(), [EMULATOR_PATH], {
    input,
    encoding: 'utf8',
    maxBuffer: 512 * 1024 * 1024,
    timeout: timeoutMs ?? 60_000,
  });
  if (proc.error) throw new Error(`running luajit failed: ${proc.error.message}`);
  let extracted: { json: string; rest: string };
  try {
    extracted = extractResult(proc.stdout ?? '');
  } catch {
    throw new Error(
      `Lua emulator produced no result (exit ${proc.status}, signal ${proc.signal}).\n` +
        `stderr:\n${proc.stderr}\nstdout:\n${(proc.stdout ?? '').slice(0, 4000)}`,
    );
  }
  const parsed = JSON.parse(extracted.json);
  if (parsed.harnessError) throw new Error(`Lua emulator error: ${parsed.harnessError}`);
  const result = parsed as LuaScenarioResult;
  result.stdout = extracted.rest;
  result.stderr = proc.stderr ?? '';
  if (result.loadError && !allowLoadError) {
    throw new Error(`Lua script was rejected at load (Envoy would refuse the config): ${result.loadError}`);
  }
  for (const r of result.requests) {
    if ((r as { localReply?: unknown }).localReply === null) delete r.localReply;
    if (r.response === null) {
      r.response = { headers: {}, headerList: [], body: '', chunks: [], trailers: null, clearRouteCacheCalls: 0 };
    }
  }
  return result;
}

export interface LuaBenchOptions {
  /** Path to a .lua file, or the Lua source. */
  script: string;
  /** Which path to exercise: the request body (default), the response body, or both. */
  path?: 'request' | 'response' | 'both';
  /** Iterations (default 2000). */
  n?: number;
  /** Approximate body size in bytes (default 4096). */
  size?: number;
  /** Response as an SSE stream (one frame per event) instead of one JSON body. */
  sse?: boolean;
  /** Baseline script (path or source); default: empty envoy_on_request/envoy_on_response. */
  baseline?: string;
  /** Run against a minimal handle (plain tables) instead of the emulator: the script's own work. */
  direct?: boolean;
}

export interface LuaBenchResult {
  n: number;
  bodyBytes: number;
  path: string;
  usPerRequest: number;
  /** The same request through a script with empty envoy_on_* functions: the harness' own cost. */
  baselineUsPerRequest: number;
  netUsPerRequest: number;
  errors: number;
}

/** Microbenchmark (for `npm run bench`, not for tests): µs per request through the emulator. */
export function runLuaBench(opts: LuaBenchOptions): LuaBenchResult {
  assertLuaJit();
  const dir = makeLuaTempDir('lua-bench-');
  try {
    const file = path.join(dir, 'script.lua');
    fs.writeFileSync(file, resolveScript(opts.script));
    const args = [BENCH_PATH, file, '--path', opts.path ?? 'request', '--n', String(opts.n ?? 2000), '--size', String(opts.size ?? 4096)];
    if (opts.sse) args.push('--sse');
    if (opts.direct) args.push('--direct');
    if (opts.baseline !== undefined) {
      const baseFile = path.join(dir, 'baseline.lua');
      fs.writeFileSync(baseFile, resolveScript(opts.baseline));
      args.push('--baseline', baseFile);
    }
    const out = execFileSync(luajitCommand(), args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
    const line = out.trim().split('\n').pop()!;
    return JSON.parse(line) as LuaBenchResult;
  } finally {
    removeLuaTempDir(dir);
  }
}
