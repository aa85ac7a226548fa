/**
 * Loopback load with wrk (Debian's wrk 4; scripts/ensure-wrk.sh installs it): POST bodies from a
 * Lua script, one thread, a fixed number of connections, a fixed duration. Results come from the
 * script's `done()` hook (the same histogram `--latency` prints, but as numbers in µs, so nothing
 * parses units out of a text table).
 */
import { execFile } from 'child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';

export interface WrkRun {
  readonly url: string;
  readonly headers: Readonly<Record<string, string>>;
  /**
   * A Lua expression of `n` (the request's number in this run) and `run` (a string unique to this
   * run) giving the request body, so bodies can differ per request and across runs.
   */
  readonly bodyLua: string;
  readonly seconds: number;
  readonly connections: number;
}

export interface WrkResult {
  readonly requests: number;
  readonly rps: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  /** Responses that were not 2xx/3xx. */
  readonly non2xx: number;
  /** Connect, read, write errors and timeouts. */
  readonly socketErrors: number;
}

const RESULT_MARK = 'WRK_RESULT ';

/** The wrk script: headers and POST, a body per request, and the results printed as one JSON line. */
function script(headers: Readonly<Record<string, string>>, bodyLua: string): string {
  const lua = (s: string) => JSON.stringify(s); // a JSON string is a valid Lua string literal for ASCII
  return [
    'local run = ""',
    'local n = 0',
    'function init(args) run = args[1] or "" end',
    'wrk.method = "POST"',
    ...Object.entries(headers).map(([k, v]) => `wrk.headers[${lua(k)}] = ${lua(v)}`),
    'function request()',
    '  n = n + 1',
    `  return wrk.format(nil, nil, nil, ${bodyLua})`,
    'end',
    'function done(summary, latency, requests)',
    '  local e = summary.errors',
    `  io.write(string.format('${RESULT_MARK}{"requests":%d,"duration_us":%d,"p50_us":%d,"p99_us":%d,"status":%d,"socket":%d}\\n',`,
    '    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99), e.status, e.connect + e.read + e.write + e.timeout))',
    'end',
  ].join('\n');
}

let runs = 0;

/** Runs wrk once (`-t1`: one load thread, so it takes one core of the two) and returns its figures. */
export async function runWrk(run: WrkRun): Promise<WrkResult> {
  const dir = mkdtempSync(join(tmpdir(), 'aigate-wrk-'));
  const file = join(dir, 'post.lua');
  writeFileSync(file, script(run.headers, run.bodyLua));
  const runId = `${process.pid}-${Date.now()}-${runs++}`;
  const args = ['-t1', `-c${run.connections}`, `-d${run.seconds}s`, '--timeout', '5s', '-s', file, run.url, '--', runId];
  try {
    const stdout = await new Promise<string>((resolve, reject) =>
      execFile('wrk', args, { encoding: 'utf8', timeout: (run.seconds + 30) * 1000 }, (err, out, errOut) =>
        err ? reject(new Error(`wrk ${args.join(' ')} failed: ${err.message}\n${errOut}`)) : resolve(out),
      ),
    );
    const line = stdout.split('\n').find((l) => l.startsWith(RESULT_MARK));
    if (!line) throw new Error(`wrk printed no result line:\n${stdout}`);
    const r = JSON.parse(line.slice(RESULT_MARK.length));
    return {
      requests: r.requests,
      rps: r.requests / (r.duration_us / 1e6),
      p50Ms: r.p50_us / 1000,
      p99Ms: r.p99_us / 1000,
      non2xx: r.status,
      socketErrors: r.socket,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
