/**
 * Usage and cost accounting (usage.lua) through the real Envoy: the access log line on stdout
 * carries the tokens and the exact cost (decimal arithmetic on the costPerToken strings) that the
 * filter put into the `ai.gateway` dynamic metadata, for JSON and SSE answers in OpenAI and
 * Anthropic shape; usageHeaders adds x-ai-usage-* to non-streaming responses.
 */
import { anthropicHandler, openAiHandler, type MockHandler } from '../support/real-envoy';
import { logLine, send, startTraffic, type Traffic } from './traffic';

const OPENAI_USAGE = { input: 7, output: 3 };
const ANTHROPIC_USAGE = { input: 1000, output: 300 };
// Prices and counts chosen so that binary floating point gets the cost wrong (checked below).
// 7 * 0.00003 + 3 * 0.00006 = 0.00021 + 0.00018 (in doubles 0.00039000000000000005).
const OPENAI_COST = '0.00039';
// 1000 * 0.000003 + 300 * 0.000015 = 0.003 + 0.0045 (in doubles 0.007500000000000001).
const ANTHROPIC_COST = '0.0075';

describe('real Envoy: token usage and cost in the access log and usage headers', () => {
  let traffic: Traffic;
  let served = 0;
  const request = async (path: string, body: unknown, headers: Record<string, string> = {}) => {
    const res = await send(traffic.gateway.url + path, body, headers);
    served += 1;
    return { res, log: await logLine(traffic.gateway, served) };
  };
  const toClaude = { 'x-ai-model': 'claude' };
  beforeAll(async () => {
    traffic = await startTraffic(
      {
        gatewayClassName: 'envoy',
        endpoints: [
          { name: 'openai', serviceRef: { name: 'openai' }, provider: 'OpenAI', costPerToken: { inputTokens: '0.00003', outputTokens: '0.00006' } },
          { name: 'claude', serviceRef: { name: 'claude' }, provider: 'Anthropic', costPerToken: { inputTokens: '0.000003', outputTokens: '0.000015' } },
        ],
        modelRouting: { strategy: 'Header', rules: [{ match: 'X-AI-Model: claude', targetEndpoint: 'claude' }], defaultTargetEndpoint: 'openai' },
        observability: { usageHeaders: true },
      },
      { openai: openAiHandler({ name: 'openai', usage: OPENAI_USAGE }), claude: anthropicHandler({ name: 'claude', usage: ANTHROPIC_USAGE }) },
    );
  });
  afterAll(async () => traffic?.stop());

  it('floating point would get these costs wrong (what the decimal arithmetic avoids)', () => {
    expect(String(7 * 0.00003 + 3 * 0.00006)).not.toBe(OPENAI_COST);
    expect(String(1000 * 0.000003 + 300 * 0.000015)).not.toBe(ANTHROPIC_COST);
  });

  it('OpenAI JSON: tokens, exact cost, model and endpoint in the log; x-ai-usage-* headers on the response', async () => {
    const { res, log } = await request('/v1/chat/completions', { model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }] });
    expect(res.status).toBe(200);
    expect(log).toMatchObject({ status: 200, model: 'gpt-4o', endpoint: 'openai', input_tokens: 7, output_tokens: 3, total_tokens: 10, cost_usd: OPENAI_COST });
    expect(res.headers.get('x-ai-usage-input-tokens')).toBe('7');
    expect(res.headers.get('x-ai-usage-output-tokens')).toBe('3');
    expect(res.headers.get('x-ai-usage-cost-usd')).toBe(OPENAI_COST);
    // The body is passed on as the upstream sent it, and the internal endpoint header never leaks.
    expect(res.json.usage).toEqual({ prompt_tokens: 7, completion_tokens: 3, total_tokens: 10 });
    expect(res.headers.get('x-ai-gateway-endpoint')).toBeNull();
  });

  it('OpenAI SSE with stream_options.include_usage: tokens and cost in the log, no usage headers', async () => {
    const { res, log } = await request('/v1/chat/completions', { model: 'gpt-4o', stream: true, stream_options: { include_usage: true }, messages: [{ role: 'user', content: 'hi' }] });
    expect(res.headers.get('content-type')).toBe('text/event-stream');
    expect(res.text).toContain('"prompt_tokens":7');
    expect(log).toMatchObject({ model: 'gpt-4o', endpoint: 'openai', input_tokens: 7, output_tokens: 3, total_tokens: 10, cost_usd: OPENAI_COST });
    expect([...res.headers.keys()].filter((k) => k.startsWith('x-ai-usage'))).toEqual([]);
  });

  it('an OpenAI stream without a usage report logs the model but no tokens or cost', async () => {
    const { log } = await request('/v1/chat/completions', { model: 'gpt-4o-mini', stream: true, messages: [{ role: 'user', content: 'hi' }] });
    expect(log).toMatchObject({ model: 'gpt-4o-mini', endpoint: 'openai', input_tokens: null, output_tokens: null, cost_usd: null });
  });

  it('Anthropic JSON on a provider: Anthropic endpoint: input/output tokens, exact cost, usage headers', async () => {
    const { res, log } = await request('/v1/messages', { model: 'claude-3-5-sonnet', max_tokens: 100, messages: [{ role: 'user', content: 'hi' }] }, toClaude);
    expect(res.status).toBe(200);
    expect(res.json.content[0].text).toBe('hello from claude');
    expect(log).toMatchObject({ model: 'claude-3-5-sonnet', endpoint: 'claude', input_tokens: 1000, output_tokens: 300, total_tokens: 1300, cost_usd: ANTHROPIC_COST });
    expect(res.headers.get('x-ai-usage-input-tokens')).toBe('1000');
    expect(res.headers.get('x-ai-usage-output-tokens')).toBe('300');
    expect(res.headers.get('x-ai-usage-cost-usd')).toBe(ANTHROPIC_COST);
  });

  it('Anthropic SSE: message_start input tokens and the final message_delta output tokens', async () => {
    const { res, log } = await request('/v1/messages', { model: 'claude-3-5-sonnet', max_tokens: 100, stream: true, messages: [{ role: 'user', content: 'hi' }] }, toClaude);
    expect(res.text).toContain('event: message_stop');
    // message_start reports output_tokens 1, message_delta the final 300: the last value wins.
    expect(log).toMatchObject({ model: 'claude-3-5-sonnet', endpoint: 'claude', input_tokens: 1000, output_tokens: 300, total_tokens: 1300, cost_usd: ANTHROPIC_COST });
    expect(res.headers.get('x-ai-usage-input-tokens')).toBeNull();
  });
});

describe('real Envoy: an accounted stream stays a stream', () => {
  let traffic: Traffic;
  beforeAll(async () => {
    traffic = await startTraffic(
      { gatewayClassName: 'envoy', endpoints: [{ name: 'llm', serviceRef: { name: 'llm' }, costPerToken: { inputTokens: '0.000001', outputTokens: '0.000002' } }], observability: { usageHeaders: true } },
      { llm: openAiHandler({ name: 'llm', gapMs: 200 }) },
    );
  });
  afterAll(async () => traffic?.stop());

  it('the first SSE event reaches the client long before the upstream has finished', async () => {
    const started = Date.now();
    const res = await fetch(traffic.gateway.url + '/v1/chat/completions', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'm', stream: true, stream_options: { include_usage: true }, messages: [] }),
    });
    const reader = res.body!.getReader();
    const first = await reader.read();
    const firstAt = Date.now() - started;
    let text = new TextDecoder().decode(first.value);
    for (let r = await reader.read(); !r.done; r = await reader.read()) text += new TextDecoder().decode(r.value);
    const doneAt = Date.now() - started;
    // 7 events 200 ms apart: about 1.2 s in all; a buffered answer would arrive only at the end.
    expect(text).toContain('data: [DONE]');
    expect(doneAt).toBeGreaterThan(1000);
    expect(firstAt).toBeLessThan(doneAt - 700);
    expect(await logLine(traffic.gateway, 1)).toMatchObject({ input_tokens: 12, output_tokens: 5, cost_usd: '0.000022' });
  });
});

describe('real Envoy: cost of a Weighted split follows the endpoint that answered', () => {
  let traffic: Traffic;
  beforeAll(async () => {
    traffic = await startTraffic({
      gatewayClassName: 'envoy',
      endpoints: [
        { name: 'cheap', serviceRef: { name: 'cheap' }, costPerToken: { inputTokens: '0.000001', outputTokens: '0.000002' } },
        { name: 'dear', serviceRef: { name: 'dear' }, costPerToken: { inputTokens: '0.00001', outputTokens: '0.00003' } },
      ],
      modelRouting: { strategy: 'Weighted', rules: [{ weight: 50, targetEndpoint: 'cheap' }, { weight: 50, targetEndpoint: 'dear' }] },
    });
  });
  afterAll(async () => traffic?.stop());

  it('each log line names the endpoint of the cluster that served it and prices the tokens at its rate', async () => {
    // 30 requests at 50/50: both endpoints answer some (all on one side: 2 * 2^-30).
    for (let i = 0; i < 30; i++) expect((await send(traffic.gateway.url + '/v1/chat/completions', { model: 'm', messages: [] })).status).toBe(200);
    const lines = await traffic.gateway.accessLog(30);
    // The mocks report 12 input and 5 output tokens: 12 * 0.000001 + 5 * 0.000002, 12 * 0.00001 + 5 * 0.00003.
    const cost: Record<string, string> = { cheap: '0.000022', dear: '0.00027' };
    for (const line of lines) {
      const endpoint = String(line.upstream_cluster).replace(/^endpoint-/, '');
      expect({ endpoint: line.endpoint, cost_usd: line.cost_usd }).toEqual({ endpoint, cost_usd: cost[endpoint] });
    }
    expect(lines.filter((l) => l.endpoint === 'cheap')).toHaveLength(traffic.mocks.cheap.requests.length);
    expect(traffic.mocks.cheap.requests.length * traffic.mocks.dear.requests.length).toBeGreaterThan(0);
  });
});

describe('real Envoy: x-ai-usage-* headers an upstream sends never reach the client', () => {
  const FORGED = { 'x-ai-usage-input-tokens': '1', 'x-ai-usage-output-tokens': '2', 'x-ai-usage-cost-usd': '0', 'x-ai-usage-extra': 'x' };
  /** An OpenAI mock that also sends usage headers of its own. */
  const forging = (): MockHandler => {
    const inner = openAiHandler({ name: 'llm', usage: OPENAI_USAGE });
    return (req, res) => {
      for (const [k, v] of Object.entries(FORGED)) res.setHeader(k, v);
      return inner(req, res);
    };
  };
  const usageHeaders = (res: { headers: Headers }) => Object.fromEntries([...res.headers].filter(([k]) => k.startsWith('x-ai-usage-')));
  const body = (extra: object = {}) => ({ model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }], ...extra });
  const stream = { stream: true, stream_options: { include_usage: true } };
  let plain: Traffic;
  let accounted: Traffic;
  beforeAll(async () => {
    [plain, accounted] = await Promise.all([
      startTraffic({ gatewayClassName: 'envoy', endpoints: [{ name: 'llm', serviceRef: { name: 'llm' } }] }, { llm: forging() }),
      startTraffic({ gatewayClassName: 'envoy', endpoints: [{ name: 'llm', serviceRef: { name: 'llm' } }], observability: { usageHeaders: true } }, { llm: forging() }),
    ]);
  });
  afterAll(async () => Promise.all([plain?.stop(), accounted?.stop()]));

  it('fails to pass them without usage accounting (no usage filter): the gateway\'s names are removed, JSON and SSE', async () => {
    for (const extra of [{}, stream]) {
      const res = await send(plain.gateway.url + '/v1/chat/completions', body(extra));
      expect(res.status).toBe(200);
      expect(Object.keys(usageHeaders(res)).filter((k) => k !== 'x-ai-usage-extra')).toEqual([]);
    }
  });

  it('fails to pass any of them with usageHeaders: a stream carries none, a JSON answer only the gateway\'s own values', async () => {
    const streamed = await send(accounted.gateway.url + '/v1/chat/completions', body(stream));
    expect(streamed.text).toContain('data: [DONE]');
    expect(usageHeaders(streamed)).toEqual({});
    const json = await send(accounted.gateway.url + '/v1/chat/completions', body());
    expect(usageHeaders(json)).toEqual({ 'x-ai-usage-input-tokens': '7', 'x-ai-usage-output-tokens': '3' });
  });
});
