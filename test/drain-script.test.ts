import { spawn } from 'child_process';
import { createServer, type Server } from 'http';
import type { AddressInfo } from 'net';
import { drainScript } from '../src/constructs';

/**
 * The pre-stop script runs for real under bash against a stand-in for Envoy's admin interface on
 * 127.0.0.1 (a random port instead of 9901), which records requests and reports in-flight counts.
 */
const STAT = 'http.public.downstream_rq_active';

interface FakeAdmin {
  readonly server: Server;
  readonly port: number;
  readonly requests: string[];
}

/** `active(n)`: in-flight requests reported on the n-th stats call (1-based). */
function fakeAdmin(active: (call: number) => number): Promise<FakeAdmin> {
  const requests: string[] = [];
  let statsCalls = 0;
  const server = createServer((req, res) => {
    requests.push(`${req.method} ${req.url}`);
    if (req.method === 'GET' && req.url?.startsWith('/stats')) {
      statsCalls += 1;
      // Streamed (chunked), as Envoy's admin does, next to idle look-alike stats that must not end the wait.
      res.write(`${STAT}_total: 0\nlistener.${STAT}: 0\n`);
      res.end(`${STAT}: ${active(statsCalls)}\n`);
      return;
    }
    res.end(req.method === 'POST' ? 'OK\n' : 'method not allowed\n');
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ server, port: (server.address() as AddressInfo).port, requests })));
}

function runScript(script: string): Promise<{ code: number | null; seconds: number; stderr: string }> {
  const started = process.hrtime.bigint();
  return new Promise((resolve, reject) => {
    const child = spawn('bash', ['-c', script], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('exit', (code) => resolve({ code, seconds: Number(process.hrtime.bigint() - started) / 1e9, stderr }));
  });
}

/** Runs `body` with its own stand-in admin, closed afterwards (the timed cases run concurrently). */
async function withAdmin(active: (call: number) => number, body: (admin: FakeAdmin) => Promise<void>): Promise<void> {
  const admin = await fakeAdmin(active);
  try {
    await body(admin);
  } finally {
    admin.server.close();
  }
}

describe('pre-stop drain script', () => {
  test.concurrent('fails health checks, starts a graceful drain, then waits until no request is in flight', () =>
    withAdmin(
      (call) => (call < 2 ? 2 : 0),
      async (admin) => {
        const result = await runScript(drainScript({ adminPort: admin.port, activeRequestsStat: STAT, minSeconds: 1, maxSeconds: 20 }));
        expect(result.code).toBe(0);
        expect(result.stderr).toBe('');
        // It stopped polling at the first idle report, not at its 20 s bound.
        expect(admin.requests).toEqual([
          'POST /healthcheck/fail',
          'POST /drain_listeners?graceful&skip_exit',
          `GET /stats?filter=${STAT}`,
          `GET /stats?filter=${STAT}`,
        ]);
      },
    ),
  );

  test.concurrent('keeps serving for the propagation time even when nothing is in flight', () =>
    withAdmin(
      () => 0,
      async (admin) => {
        const result = await runScript(drainScript({ adminPort: admin.port, activeRequestsStat: STAT, minSeconds: 1, maxSeconds: 20 }));
        expect(result.code).toBe(0);
        expect(result.seconds).toBeGreaterThanOrEqual(1);
        expect(admin.requests.filter((r) => r.startsWith('GET'))).toHaveLength(1);
      },
    ),
  );

  // The bound is read from bash's whole-second clock, so it may end up to a second early.
  test.concurrent('gives up at the drain bound while requests stay in flight', () =>
    withAdmin(
      () => 3,
      async (admin) => {
        const result = await runScript(drainScript({ adminPort: admin.port, activeRequestsStat: STAT, minSeconds: 0, maxSeconds: 3 }));
        expect(result.code).toBe(0);
        expect(result.seconds).toBeGreaterThanOrEqual(2);
        expect(admin.requests.filter((r) => r.startsWith('GET')).length).toBeGreaterThanOrEqual(2);
      },
    ),
  );

  test.concurrent('exits 0 within its bound when the admin interface does not answer (the pod must still stop)', async () => {
    const closed = await fakeAdmin(() => 0);
    const port = closed.port;
    await new Promise((resolve) => closed.server.close(resolve));
    const result = await runScript(drainScript({ adminPort: port, activeRequestsStat: STAT, minSeconds: 0, maxSeconds: 2 }));
    expect(result.code).toBe(0);
    expect(result.seconds).toBeGreaterThanOrEqual(1);
  });

  test('fails on a stat name that could inject shell code', () => {
    expect(() => drainScript({ adminPort: 9901, activeRequestsStat: "x'; rm -rf /; '", minSeconds: 1, maxSeconds: 2 })).toThrow('activeRequestsStat: not a stat name');
  });
});
