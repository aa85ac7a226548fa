/**
 * API errors during a run, injected by the emulator (failNext): what is retried and how often,
 * what is reported, what the status keeps, and the exit code the CronJob sees.
 */
import { describeFailure, parseJobArgs, reconcileOnce, runJob, JOB_EXIT, type KubeClient, type LogFields } from '../src/reconcile';
import { condition, harness, healthy, jobHarness, statusOf, synthesized, withRollout, type Harness, type JobHarness } from './support/reconcile-fixtures';

const NS = 'ai';
const patchPath = (name: string) => `/apis/gateway.example.com/v1/namespaces/${NS}/aigates/${name}/status`;
let h: Harness;

beforeEach(async () => {
  h = await harness();
});

afterEach(async () => {
  await h.close();
});

const retries = (logs: LogFields[]) => logs.filter((l) => l.outcome === 'retry');
const lastLine = (logs: LogFields[]) => logs[logs.length - 1];

describe('a failing status PATCH', () => {
  test.each([
    [409, 2, 3],
    [429, 1, 2],
    [500, 2, 3],
    [503, 3, 4],
  ])('a %i is retried: %i failures, then success after %i attempts', async (status, times, attempts) => {
    healthy(h.api, 'gw', NS);
    h.api.failNext({ method: 'PATCH', pathPattern: patchPath('gw'), status, times });
    const result = await h.run();
    expect(result.ok).toBe(true);
    expect(h.api.count({ method: 'PATCH', path: patchPath('gw') })).toBe(attempts);
    expect(h.api.count({ method: 'PATCH', path: patchPath('gw'), injected: true })).toBe(times);
    expect(retries(h.logs).map((l) => [l.gateway, l.code, l.attempt])).toEqual(Array.from({ length: times }, (_, i) => ['ai/gw', status, i + 1]));
    expect(condition(h.api, NS, 'gw', 'Ready')!.status).toBe('True');
  });

  test('backs off exponentially with jitter between attempts (250 ms base, doubling)', async () => {
    healthy(h.api, 'gw', NS);
    h.api.failNext({ method: 'PATCH', status: 500, times: 3 });
    await h.run(); // random() is 0.5 in the harness: half the backoff plus half of a half
    expect(h.sleeps).toEqual([188, 375, 750]);
  });

  test('a 429 waits for the Retry-After the server sends', async () => {
    healthy(h.api, 'gw', NS);
    h.api.failNext({ method: 'PATCH', status: 429, retryAfter: 7 });
    await h.run();
    expect(h.sleeps).toEqual([7000]);
    expect(retries(h.logs)[0]).toMatchObject({ reason: 'TooManyRequests', delayMs: 7000 });
  });

  test('fails the gateway after the last attempt of a persistent 500, and says so in the last log line', async () => {
    healthy(h.api, 'gw', NS);
    h.api.failNext({ method: 'PATCH', status: 500, times: 10 });
    const result = await h.run();
    expect(result.ok).toBe(false);
    expect(h.api.count({ method: 'PATCH' })).toBe(4);
    expect(h.logs.find((l) => l.action === 'patch status' && l.outcome === 'failed')).toMatchObject({ gateway: 'ai/gw', attempts: 4, code: 500 });
    expect(lastLine(h.logs)).toMatchObject({ action: 'run', outcome: 'failed', failed: ['ai/gw'], level: 'error' });
    expect(lastLine(h.logs).message).toContain('status not written for ai/gw');
  });

  test('fails at once on a 403 (not retried): a permission problem does not go away by retrying', async () => {
    healthy(h.api, 'gw', NS);
    h.api.failNext({ method: 'PATCH', status: 403, message: 'aigates.gateway.example.com "gw" is forbidden: User "system:serviceaccount:ai:aigate-reconcile" cannot patch resource "aigates/status"' });
    const result = await h.run();
    expect(result.ok).toBe(false);
    expect(h.api.count({ method: 'PATCH' })).toBe(1);
    expect(h.sleeps).toEqual([]);
    expect(result.gateways[0]).toMatchObject({ outcome: 'failed', error: expect.stringContaining('403 Forbidden: aigates.gateway.example.com "gw" is forbidden') });
  });

  test('a 404 (the gateway was deleted since the LIST) is not retried and not a failure', async () => {
    healthy(h.api, 'gw', NS);
    h.api.failNext({ method: 'PATCH', status: 404 });
    const result = await h.run();
    expect(result.ok).toBe(true);
    expect(result.gateways[0].outcome).toBe('gone');
    expect(h.api.count({ method: 'PATCH' })).toBe(1);
  });

  test('a request that times out is abandoned and retried', async () => {
    healthy(h.api, 'gw', NS);
    h.api.failNext({ method: 'PATCH', delayMs: 600 });
    const result = await h.run({ requestTimeoutMs: 150 });
    expect(result.ok).toBe(true);
    expect(retries(h.logs)).toEqual([expect.objectContaining({ reason: 'Timeout', attempt: 1, gateway: 'ai/gw' })]);
    expect(h.api.count({ method: 'PATCH' })).toBe(2);
    await new Promise((r) => setTimeout(r, 700)); // let the abandoned request finish before close()
  });

  test('stops retrying when the run has no time left before its deadline', async () => {
    healthy(h.api, 'gw', NS);
    h.api.failNext({ method: 'PATCH', status: 503, times: 10, retryAfter: 30 });
    const result = await h.run({ deadline: Date.now() + 5000 });
    expect(result.ok).toBe(false);
    expect(h.api.count({ method: 'PATCH' })).toBe(1);
    expect(result.gateways[0].error).toContain("no time left to retry before the run's deadline");
  });

  test('one bad gateway does not stop the others; the run fails and names it', async () => {
    for (const name of ['a', 'b', 'c', 'd']) healthy(h.api, name, NS);
    h.api.failNext({ method: 'PATCH', pathPattern: patchPath('b'), status: 500, times: 100 });
    const result = await h.run();
    expect(result.gateways.map((g) => `${g.gateway} ${g.outcome}`)).toEqual(['ai/a patched', 'ai/b failed', 'ai/c patched', 'ai/d patched']);
    expect(statusOf(h.api, NS, 'b')).toEqual({});
    for (const name of ['a', 'c', 'd']) expect(condition(h.api, NS, name, 'Ready')!.status).toBe('True');
    expect(lastLine(h.logs)).toMatchObject({ outcome: 'failed', failed: ['ai/b'], patched: 3 });
  });

  test('an object shape that trips the status computation fails that gateway only', async () => {
    // client-node normalizes built-in objects, so feed the odd shape through a KubeClient of our own.
    const a = synthesized('a', NS);
    const b = synthesized('b', NS);
    const odd = { ...withRollout(b.deployment), status: { observedGeneration: 1, conditions: { type: 'Progressing' } } };
    const patched: string[] = [];
    const client: KubeClient = {
      listGateways: async () => [a.cr, b.cr].map((cr) => ({ ...cr, metadata: { ...cr.metadata, generation: 1 } })) as never,
      listDeployments: async () => [withRollout(a.deployment), odd] as never,
      listServices: async () => [a.service, b.service] as never,
      listIngresses: async () => [],
      listEndpointSlices: async () => [],
      patchStatus: async (_ns, name) => void patched.push(name),
    };
    const logs: LogFields[] = [];
    const result = await reconcileOnce(client, { scope: { namespace: NS }, log: (f) => logs.push(f) });
    expect(result.gateways.map((g) => `${g.gateway} ${g.outcome}`)).toEqual(['ai/a patched', 'ai/b failed']);
    expect(result.gateways[1].error).toMatch(/^internal error: TypeError: /);
    expect(patched).toEqual(['a']);
    expect(lastLine(logs)).toMatchObject({ outcome: 'failed', failed: ['ai/b'] });
  });

  test('a malformed condition written by someone else is replaced, not carried over', async () => {
    const g = healthy(h.api, 'gw', NS);
    h.api.put({ ...g.cr, status: { conditions: [{ type: 'Ready', status: 'Maybe', lastTransitionTime: 5 }] } });
    const result = await h.run();
    expect(result.ok).toBe(true);
    expect(condition(h.api, NS, 'gw', 'Ready')).toMatchObject({ status: 'True', lastTransitionTime: expect.stringMatching(/Z$/) });
  });

  test('never writes a credential-looking string to the log', async () => {
    healthy(h.api, 'gw', NS);
    h.api.failNext({ method: 'PATCH', status: 403, message: 'rejected Authorization: Bearer eyJhbGciOiJSUzI1NiIsImtpZCI6IjEifQ.eyJzdWIiOiJzeXN0ZW0ifQ.c2lnbmF0dXJlLXNpZ25hdHVyZQ' });
    await h.run();
    const text = JSON.stringify(h.logs);
    expect(text).not.toContain('eyJhbGci');
    expect(text).toContain('<redacted: looked like a credential>');
  });
});

describe('a failing LIST', () => {
  test('fails the run when the aigates cannot be listed, after retrying a 503', async () => {
    h.api.failNext({ method: 'GET', status: 503, times: 10 });
    const result = await h.run();
    expect(result.ok).toBe(false);
    expect(h.api.count()).toBe(4);
    expect(lastLine(h.logs)).toMatchObject({ action: 'run', outcome: 'failed', message: expect.stringContaining('could not list aigates in namespace ai: 503 ServiceUnavailable') });
  });

  test('fails the run with a hint when the aigates resource does not exist (CRD not installed)', async () => {
    h.api.failNext({ method: 'GET', pathPattern: '/apis/gateway.example.com/**', status: 404 });
    const result = await h.run();
    expect(result.ok).toBe(false);
    expect(h.api.count()).toBe(1);
    expect(result.readFailures[0]).toContain('is the aigates.gateway.example.com CRD installed?');
  });

  test('a Deployment LIST refused with 403 keeps Ready as last observed (ObservationFailed) and fails the run', async () => {
    healthy(h.api, 'gw', NS);
    await h.run();
    const before = condition(h.api, NS, 'gw', 'Ready')!;
    h.api.failNext({ method: 'GET', pathPattern: '/apis/apps/v1/**', status: 403 });
    const result = await h.run();
    expect(result.ok).toBe(false);
    expect(result.readFailures).toEqual([expect.stringContaining('list deployments failed: 403 Forbidden')]);
    expect(condition(h.api, NS, 'gw', 'Ready')).toMatchObject({ status: 'True', reason: 'ObservationFailed', lastTransitionTime: before.lastTransitionTime });
    expect(statusOf(h.api, NS, 'gw').address).toBe('gw.ai.svc:80');
    expect(h.api.count({ method: 'GET', path: `/apis/apps/v1/namespaces/${NS}/deployments` })).toBe(2); // one per run: 403 is not retried
  });

  test('a Service LIST failing with 500 on every attempt keeps Degraded, address and deployedModels', async () => {
    healthy(h.api, 'gw', NS);
    await h.run();
    const before = statusOf(h.api, NS, 'gw');
    h.api.failNext({ method: 'GET', pathPattern: `/api/v1/namespaces/${NS}/services`, status: 500, times: 4 });
    await h.run();
    const after = statusOf(h.api, NS, 'gw');
    expect(after.address).toBe(before.address);
    expect(after.deployedModels).toEqual(before.deployedModels);
    expect(condition(h.api, NS, 'gw', 'Degraded')).toMatchObject({ status: 'False', reason: 'ObservationFailed' });
    expect(h.api.count({ method: 'GET', path: `/api/v1/namespaces/${NS}/services` })).toBe(5); // 1 + 4 attempts
  });
});

describe('the job entry point (what the CronJob runs): its own client over HTTPS with the service account', () => {
  let j: JobHarness;
  beforeEach(async () => {
    j = await jobHarness();
  });
  afterEach(async () => {
    await j.close();
  });

  test('exits 0 when every status was written or unchanged', async () => {
    healthy(j.api, 'gw', NS);
    const lines: string[] = [];
    const code = await runJob([...j.connectionArgs, '--namespace', NS], (f) => lines.push(JSON.stringify(f)));
    expect(code).toBe(JOB_EXIT.ok);
    expect(JSON.parse(lines[lines.length - 1])).toMatchObject({ action: 'run', outcome: 'ok' });
    expect(j.api.count({ status: 401 })).toBe(0);
  });

  test('exits 1 when any gateway failed', async () => {
    healthy(j.api, 'gw', NS);
    j.api.failNext({ method: 'PATCH', status: 403 });
    expect(await runJob([...j.connectionArgs, '--namespace', NS], () => undefined)).toBe(JOB_EXIT.failed);
  });

  test('fails with exit 1, naming the server, when the API cannot be reached at all', async () => {
    const lines: LogFields[] = [];
    await j.api.close();
    const code = await runJob([...j.connectionArgs, '--namespace', NS, '--request-timeout', '1s'], (f) => lines.push(f));
    expect(code).toBe(JOB_EXIT.failed);
    expect(lines[lines.length - 1]).toMatchObject({ action: 'run', outcome: 'failed', message: expect.stringContaining(`cannot reach the Kubernetes API at ${j.api.url}: ECONNREFUSED`) });
    expect(lines.filter((l) => l.outcome === 'retry')).toHaveLength(3);
  });

  test('fails with exit 1 and a log line when there is no service account token', async () => {
    const lines: LogFields[] = [];
    const code = await runJob(['--server', j.api.url, '--service-account-dir', '/nonexistent/sa', '--namespace', NS], (f) => lines.push(f));
    expect(code).toBe(JOB_EXIT.failed);
    expect(lines[0].message).toContain('no service account token at /nonexistent/sa/token: the pod needs automountServiceAccountToken: true');
  });

  test('fails with exit code 2 on bad arguments, naming the argument', async () => {
    const lines: LogFields[] = [];
    expect(await runJob(['--namespace'], (f) => lines.push(f))).toBe(JOB_EXIT.usage);
    expect(lines[0].message).toBe('--namespace needs a value');
    expect(() => parseJobArgs([])).toThrow('--namespace <ns> or --all-namespaces is required');
    expect(() => parseJobArgs(['--namespace', 'a', '--all-namespaces'])).toThrow('exclude each other');
    expect(() => parseJobArgs(['--namespace', 'a', '--deadline', 'soon'])).toThrow('--deadline: "soon" is not a duration');
    expect(() => parseJobArgs(['--verbose'])).toThrow('unknown argument "--verbose"');
    expect(parseJobArgs(['--all-namespaces', '--deadline', '45s'])).toEqual({ scope: { allNamespaces: true }, deadlineMs: 45000 });
  });
});

describe('describeFailure', () => {
  const apiException = (code: number, body: unknown, headers: Record<string, string> = {}) => Object.assign(new Error('HTTP-Code'), { code, body, headers });

  test('reads the Status reason and message from the raw body, and Retry-After in seconds or as a date', () => {
    const now = Date.parse('2025-06-01T10:00:00Z');
    const status = JSON.stringify({ kind: 'Status', reason: 'TooManyRequests', message: 'slow down\nsecond line' });
    expect(describeFailure(apiException(429, status, { 'retry-after': '3' }), now)).toEqual({
      code: 429,
      reason: 'TooManyRequests',
      message: '429 TooManyRequests: slow down',
      retryable: true,
      retryAfterMs: 3000,
    });
    expect(describeFailure(apiException(503, '', { 'retry-after': 'Sun, 01 Jun 2025 10:00:05 GMT' }), now)).toMatchObject({ reason: 'ServiceUnavailable', retryAfterMs: 5000 });
    expect(describeFailure(apiException(401, undefined), now)).toMatchObject({ message: '401 Unauthorized', retryable: false });
  });

  test('a bug is not retried and reported with its name', () => {
    expect(describeFailure(new TypeError('x is not a function'))).toEqual({ reason: 'Error', message: 'TypeError: x is not a function', retryable: false });
  });
});
