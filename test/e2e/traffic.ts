/**
 * Shared set-up of the traffic e2e tests (routing, prompt, cache, usage, SDK): one real Envoy
 * started from a spec, with one recording mock per endpoint, and small request helpers.
 */
import type { AIGatewaySpecInput } from '../../src/spec';
import { gatewayObjects, openAiHandler, startGateway, startMock, type GatewayOptions, type MockHandler, type MockOptions, type MockUpstream, type RunningGateway } from '../support/real-envoy';

type Json = any;

export interface Traffic {
  readonly gateway: RunningGateway;
  /** Endpoint name -> the mock standing in for it. */
  readonly mocks: Readonly<Record<string, MockUpstream>>;
  stop(): Promise<void>;
}

/**
 * Starts a mock per endpoint of the spec (a handler or mock options from `mocks`, else an OpenAI
 * mock named after the endpoint) and a gateway whose `endpoint-<name>` clusters point at them.
 */
export async function startTraffic(spec: AIGatewaySpecInput, handlers: Record<string, MockHandler | MockOptions> = {}, options: GatewayOptions = {}): Promise<Traffic> {
  const mocks: Record<string, MockUpstream> = {};
  const upstreams: Record<string, number> = {};
  for (const endpoint of spec.endpoints ?? []) {
    const given = handlers[endpoint.name];
    const mockOptions: MockOptions = typeof given === 'function' ? { handler: given } : (given ?? {});
    const mock = await startMock({ handler: openAiHandler({ name: endpoint.name }), ...mockOptions });
    mocks[endpoint.name] = mock;
    upstreams[`endpoint-${endpoint.name}`] = mock.port;
  }
  let gateway: RunningGateway;
  try {
    gateway = await startGateway(gatewayObjects(spec), { ...options, upstreams: { ...upstreams, ...options.upstreams } });
  } catch (err) {
    await Promise.all(Object.values(mocks).map((m) => m.close()));
    throw err;
  }
  return {
    gateway,
    mocks,
    async stop() {
      await gateway.stop();
      await Promise.all(Object.values(mocks).map((m) => m.close()));
    },
  };
}

/** The mocks (by endpoint name) that received requests, with how many each. */
export function hits(traffic: Traffic): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [name, mock] of Object.entries(traffic.mocks)) if (mock.requests.length > 0) out[name] = mock.requests.length;
  return out;
}

/** Forgets what the mocks recorded (between tests sharing one gateway). */
export function resetMocks(traffic: Traffic): void {
  for (const mock of Object.values(traffic.mocks)) mock.requests.length = 0;
}

export interface Reply {
  readonly status: number;
  readonly headers: Headers;
  readonly text: string;
  /** The body parsed as JSON, or undefined. */
  readonly json: Json;
}

/** Sends a request (a string body as is, anything else as JSON) and reads the whole answer. */
export async function send(url: string, body: unknown, headers: Record<string, string> = {}, method = 'POST'): Promise<Reply> {
  const res = await fetch(url, {
    method,
    headers: { 'content-type': 'application/json', ...headers },
    ...(body !== undefined && { body: typeof body === 'string' ? body : JSON.stringify(body) }),
  });
  const text = await res.text();
  let json: Json;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, headers: res.headers, text, json };
}

/** An OpenAI chat body with one user message. */
export function chatBody(model: string, content = 'hi', extra: Json = {}): Json {
  return { model, messages: [{ role: 'user', content }], ...extra };
}

/**
 * The access log line of the `n`-th request (1-based) the gateway served; waits for it. Requests in
 * these tests are sent one after the other, so lines come in request order.
 */
export async function logLine(gateway: RunningGateway, n: number): Promise<Json> {
  const lines = await gateway.accessLog(n);
  if (lines.length < n) throw new Error(`expected ${n} access log lines, got ${lines.length}:\n${gateway.stdoutLines().join('\n')}\n${gateway.stderr()}`);
  return lines[n - 1];
}
