import { gatewayObjects, openAiHandler, startGateway, startMock, writeSse, openAiStream, type MockUpstream, type RunningGateway } from '../support/real-envoy';
import type { AIGatewaySpecInput } from '../../src/spec';

const chat = (url: string, stream: boolean) =>
  fetch(`${url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'gpt-4', stream, messages: [{ role: 'user', content: 'hi' }] }),
  });

/** The whole body, or the error that ended it (a cut stream). */
async function readAll(res: Response): Promise<{ text: string; error?: string }> {
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  let text = '';
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return { text };
      text += decoder.decode(value, { stream: true });
    }
  } catch (err) {
    return { text, error: String((err as Error).cause ?? err) };
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Sizes: the endpoint timeout is 1 s; streams and stalls are measured against it. */
const TIMEOUT_S = 1;

function spec(fallback: boolean): AIGatewaySpecInput {
  return {
    gatewayClassName: 'envoy',
    endpoints: [
      { name: 'llm', serviceRef: { name: 'llm' }, timeout: `${TIMEOUT_S}s`, ...(fallback && { fallbackEndpoints: ['spare'] }) },
      ...(fallback ? [{ name: 'spare', serviceRef: { name: 'spare' }, timeout: `${TIMEOUT_S}s` }] : []),
    ],
    modelRouting: { strategy: 'Path', defaultTargetEndpoint: 'llm' },
  } as AIGatewaySpecInput;
}

describe.each([
  ['direct route', false],
  ['fallback route (internal listener hop)', true],
])('real Envoy: streaming and timeouts, %s', (_label, fallback) => {
  let llm: MockUpstream;
  let spare: MockUpstream;
  let gateway: RunningGateway;
  beforeAll(async () => {
    llm = await startMock();
    spare = await startMock({ handler: openAiHandler({ name: 'spare' }) });
    gateway = await startGateway(gatewayObjects(spec(fallback)), { upstreams: { 'endpoint-llm': llm.port, ...(fallback && { 'endpoint-spare': spare.port }) } });
  });
  beforeEach(() => {
    llm.requests.length = 0;
    spare.requests.length = 0;
  });
  afterAll(async () => {
    await gateway?.stop();
    await llm?.close();
    await spare?.close();
  });

  it('a stream lasting longer than the endpoint timeout is not cut', async () => {
    // 13 events 150 ms apart: about 2 s, each gap well under the idle bound.
    llm.setHandler(openAiHandler({ name: 'llm', text: 'one two three four five six seven eight nine ten', gapMs: 150 }));
    const started = Date.now();
    const res = await chat(gateway.url, true);
    expect(res.status).toBe(200);
    const { text, error } = await readAll(res);
    expect(Date.now() - started).toBeGreaterThan(TIMEOUT_S * 1000);
    expect(error).toBeUndefined();
    expect(text).toContain('data: [DONE]');
  });

  it('fails a stream that stalls longer than the idle bound: the stream is cut', async () => {
    llm.setHandler(async (req, res) => {
      const events = openAiStream('gpt-4', ['a ', 'b'], undefined);
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write(events[0]);
      await sleep(TIMEOUT_S * 1000 + 1000);
      if (!res.destroyed) await writeSse(res, events.slice(1));
    });
    const res = await chat(gateway.url, true);
    expect(res.status).toBe(200);
    const { text, error } = await readAll(res);
    expect(text).not.toContain('[DONE]');
    expect(error).toBeDefined();
  });

  it('fails a non-streaming answer slower than the endpoint timeout with a JSON 504, sent upstream once', async () => {
    llm.setHandler(async (_req, res) => {
      await sleep(TIMEOUT_S * 1000 + 1000);
      if (!res.destroyed) res.end('{}');
    });
    const res = await chat(gateway.url, false);
    expect(res.status).toBe(504);
    const body = (await res.json()) as { error: unknown };
    expect(body.error).toMatchObject({ type: 'upstream_unavailable', flags: 'UT' });
    expect(llm.requests.length).toBe(1);
    expect(spare.requests.length).toBe(0);
  });
});

describe('real Envoy: retries.perTryTimeout bounds the wait for the response headers only', () => {
  let llm: MockUpstream;
  let gateway: RunningGateway;
  beforeAll(async () => {
    llm = await startMock({ handler: openAiHandler({ name: 'llm', text: 'one two three four five six seven eight', gapMs: 200 }) });
    const objects = gatewayObjects({ gatewayClassName: 'envoy', endpoints: [{ name: 'llm', serviceRef: { name: 'llm' }, timeout: '5s', retries: { perTryTimeout: '1s' } }] });
    gateway = await startGateway(objects, { upstreams: { 'endpoint-llm': llm.port } });
  });
  afterAll(async () => {
    await gateway?.stop();
    await llm?.close();
  });

  it('a stream lasting longer than perTryTimeout is not cut', async () => {
    const started = Date.now();
    const { text, error } = await readAll(await chat(gateway.url, true));
    expect(Date.now() - started).toBeGreaterThan(1500);
    expect(error).toBeUndefined();
    expect(text).toContain('data: [DONE]');
  });

  it('fails an answer whose headers take longer than perTryTimeout with a JSON 504, sent upstream once', async () => {
    llm.requests.length = 0;
    llm.setHandler(async (_req, res) => {
      await sleep(1800);
      if (!res.destroyed) res.end('{}');
    });
    const res = await chat(gateway.url, false);
    expect(res.status).toBe(504);
    expect(((await res.json()) as { error: unknown }).error).toMatchObject({ flags: 'UT' });
    expect(llm.requests.length).toBe(1);
  });
});
