import { spawn } from 'child_process';
import { request } from 'http';
import { Duration } from 'cdk8s';
import { gatewayObjects, openAiHandler, startGateway, startMock, type MockUpstream, type RunningGateway } from '../support/real-envoy';
import { ENVOY_PORTS } from '../../src/envoy';

type Json = any;

const objects = gatewayObjects(
  { gatewayClassName: 'envoy', endpoints: [{ name: 'llm', serviceRef: { name: 'llm' } }] },
  // Short drain, so the pre-stop script runs in seconds here.
  { drainTimeout: Duration.seconds(3) },
);
const container: Json = objects.find((o) => o.kind === 'Deployment').spec.template.spec.containers.find((c: Json) => c.name === 'envoy');

/** The pre-stop hook's script, talking to the test's admin port (the one port adaptForTest also moves). */
function preStopScript(adminPort: number): string {
  const command: string[] = container.lifecycle.preStop.exec.command;
  return command[2].split(`/dev/tcp/127.0.0.1/${ENVOY_PORTS.admin}`).join(`/dev/tcp/127.0.0.1/${adminPort}`);
}

const probePath = (probe: string) => container[probe].httpGet.path as string;
const get = (url: string, init: RequestInit = {}) => fetch(url, { redirect: 'manual', ...init }).then(async (r) => ({ status: r.status, text: await r.text() }));

/** A request sent with its path exactly as written (fetch would resolve "/a/../b" first). */
function raw(base: string, method: string, path: string): Promise<{ status: number; text: string }> {
  const { hostname, port } = new URL(base);
  return new Promise((resolve, reject) => {
    const req = request({ host: hostname, port, method, path }, (res) => {
      let text = '';
      res.setEncoding('utf8').on('data', (d: string) => (text += d)).on('end', () => resolve({ status: res.statusCode ?? 0, text }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('real Envoy: admin, ops port and drain', () => {
  let upstream: MockUpstream;
  let gateway: RunningGateway;
  beforeAll(async () => {
    upstream = await startMock({ handler: openAiHandler({ name: 'llm', text: 'a b c d e f g h', gapMs: 250 }) });
    gateway = await startGateway(objects, { upstreams: { 'endpoint-llm': upstream.port } });
  });
  afterAll(async () => {
    await gateway?.stop();
    await upstream?.close();
  });

  it.each([
    ['GET', '/stats'],
    ['GET', '/config_dump'],
    ['POST', '/quitquitquit'],
    ['POST', '/healthcheck/fail'],
    ['POST', '/drain_listeners'],
  ])('the public port never reaches admin: %s %s goes to the upstream', async (method, path) => {
    upstream.requests.length = 0;
    const res = await raw(gateway.url, method, path);
    expect(res.text).not.toMatch(/envoy|server\.|configs/);
    expect(upstream.requests.map((r) => r.path)).toEqual([path]);
    expect((await get(`${gateway.adminUrl}/ready`)).status).toBe(200);
  });

  it('the ops port serves /ready and /stats/prometheus', async () => {
    expect(await get(`${gateway.opsUrl}/ready`)).toEqual({ status: 200, text: 'LIVE\n' });
    const metrics = await get(`${gateway.opsUrl}/stats/prometheus`);
    expect(metrics.status).toBe(200);
    expect(metrics.text).toMatch(/^# TYPE envoy_/m);
  });

  it.each([
    ['GET', '/config_dump'],
    ['GET', '/stats'],
    ['GET', '/ready/../config_dump'],
    ['GET', '//config_dump'],
    ['GET', '/%2Fconfig_dump'],
    ['POST', '/ready'],
    ['POST', '/healthcheck/fail'],
    ['POST', '/quitquitquit'],
    ['GET', '/server_info'],
  ])('fails anything else on the ops port: %s %s', async (method, path) => {
    const res = await raw(gateway.opsUrl, method, path);
    expect([400, 404]).toContain(res.status);
    expect(res.text).not.toMatch(/LIVE|configs|command_line/);
    expect((await get(`${gateway.adminUrl}/ready`)).status).toBe(200);
  });

  it("the pre-stop drain fails /ready, keeps liveness passing and lets an in-flight stream finish", async () => {
    expect(probePath('readinessProbe')).toBe('/ready');
    expect((await get(`${gateway.opsUrl}${probePath('livenessProbe')}`)).status).toBe(200);
    // A stream of about 2.5 s, started before the drain.
    const inFlight = fetch(`${gateway.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'm', stream: true, messages: [{ role: 'user', content: 'hi' }] }),
    }).then(async (r) => ({ status: r.status, text: await r.text() }));
    await new Promise((r) => setTimeout(r, 300));
    const started = Date.now();
    const hook = spawn('/bin/bash', ['-c', preStopScript(Number(new URL(gateway.adminUrl).port))], { stdio: 'ignore' });
    const hookDone = new Promise<number | null>((resolve) => hook.on('exit', (code) => resolve(code)));

    let ready = 200;
    for (let i = 0; i < 40 && ready === 200; i++) {
      ready = (await get(`${gateway.opsUrl}/ready`)).status;
      if (ready === 200) await new Promise((r) => setTimeout(r, 50));
    }
    expect(ready).toBe(503);
    expect((await get(`${gateway.opsUrl}${probePath('livenessProbe')}`)).status).toBe(200);

    const stream = await inFlight;
    expect(stream.status).toBe(200);
    expect(stream.text).toContain('data: [DONE]');
    // The hook waits its minimum (3 s here), sees no request in flight and ends.
    expect(await hookDone).toBe(0);
    expect(Date.now() - started).toBeLessThan(8000);
    expect(gateway.process.exitCode).toBeNull();
  });
});
