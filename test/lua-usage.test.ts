/**
 * Token usage and cost accounting under LuaJIT through the Envoy Lua emulation: OpenAI and
 * Anthropic shapes, JSON and SSE (events split anywhere across chunks), exact decimal cost,
 * usage headers, and streaming that stays streaming.
 */
import { usageFilter } from '../src/envoy/lua';
import { scaledPrice, USAGE_MAX_BUFFER_BYTES } from '../src/envoy/lua/usage';
import { ENDPOINT_HEADER } from '../src/envoy/names';
import type { AIGatewaySpecInput } from '../src/spec';
import type { LuaScenarioRequest } from './support/lua/run-lua';
import { chat, OPTIONS, run, runOne, scriptOf, specWith } from './lua-helpers';

const scriptWith = (extra: Partial<AIGatewaySpecInput> = {}) => scriptOf(usageFilter(specWith(extra), OPTIONS));
const script = scriptWith();
const withHeaders = scriptWith({ observability: { usageHeaders: true } });

const OPENAI_JSON = JSON.stringify({
  id: 'chatcmpl-1',
  object: 'chat.completion',
  model: 'gpt-4o-2024-08-06',
  choices: [{ index: 0, message: { role: 'assistant', content: 'The "usage": {"prompt_tokens": 999} is not a key here' }, finish_reason: 'stop' }],
  usage: { prompt_tokens: 812, completion_tokens: 230, total_tokens: 1042, prompt_tokens_details: { cached_tokens: 0 } },
});
const ANTHROPIC_JSON = JSON.stringify({
  id: 'msg_1',
  type: 'message',
  role: 'assistant',
  model: 'claude-3-opus',
  content: [{ type: 'text', text: 'Hello é 🎉' }],
  stop_reason: 'end_turn',
  usage: { input_tokens: 25, output_tokens: 15 },
});
const sse = (events: unknown[]) => events.map((e) => (typeof e === 'string' ? e : `data: ${JSON.stringify(e)}\n\n`));
const OPENAI_SSE = sse([
  { id: 'c', object: 'chat.completion.chunk', model: 'gpt-4o', choices: [{ index: 0, delta: { content: 'Hel' } }], usage: null },
  { id: 'c', object: 'chat.completion.chunk', model: 'gpt-4o', choices: [{ index: 0, delta: { content: 'lo' } }], usage: null },
  { id: 'c', object: 'chat.completion.chunk', model: 'gpt-4o', choices: [], usage: { prompt_tokens: 12, completion_tokens: 34, total_tokens: 46 } },
  'data: [DONE]\n\n',
]);
const ANTHROPIC_SSE = [
  'event: message_start\ndata: {"type":"message_start","message":{"id":"msg_1","model":"claude-3-opus","usage":{"input_tokens":25,"output_tokens":1}}}\n\n',
  'event: content_block_delta\ndata: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Hi \\"usage\\": {\\"output_tokens\\": 7}"}}\n\n',
  'event: message_delta\ndata: {"type":"message_delta","delta":{"stop_reason":"end_turn"},"usage":{"output_tokens":15}}\n\n',
  'event: message_stop\ndata: {"type":"message_stop"}\n\n',
];

function answered(body: string | string[], contentType: string, responseHeaders: Record<string, string> = {}, endpoint: string | null = 'openai'): LuaScenarioRequest {
  return {
    request: chat({ model: 'm', messages: [] }, { 'accept-encoding': 'gzip, br' }),
    response: {
      headers: { ':status': '200', 'content-type': contentType, ...(endpoint && { [ENDPOINT_HEADER]: endpoint }), ...responseHeaders },
      body,
    },
  };
}
const md = (r: { dynamicMetadata: Record<string, Record<string, unknown>> }) => r.dynamicMetadata['ai.gateway'];

describe('converter', () => {
  test('emits nothing when no endpoint has a price and usage headers are off', () => {
    expect(usageFilter(specWith({ endpoints: [{ name: 'a', serviceRef: { name: 'a' } }], modelRouting: undefined }), OPTIONS)).toBeUndefined();
    expect(usageFilter(specWith({ endpoints: [{ name: 'a', serviceRef: { name: 'a' } }], modelRouting: undefined, observability: { usageHeaders: true } }), OPTIONS)).toBeDefined();
  });

  test('scales both prices of an endpoint to integers over one power of ten', () => {
    expect(scaledPrice('0.00003', '0.00006')).toEqual({ input: '3', output: '6', scale: 5 });
    expect(scaledPrice('0.0001', '2')).toEqual({ input: '1', output: '20000', scale: 4 });
    expect(scaledPrice('0', '12.50')).toEqual({ input: '0', output: '1250', scale: 2 });
    expect(scaledPrice('3', '4')).toEqual({ input: '3', output: '4', scale: 0 });
  });
});

describe('JSON responses', () => {
  test('records OpenAI usage and the exact cost in metadata; the body and other headers pass unchanged', () => {
    const r = runOne(script, answered(OPENAI_JSON, 'application/json'));
    expect(r.errorMessages).toEqual([]);
    expect(r.request.headers['accept-encoding']).toBeUndefined();
    expect(md(r)).toEqual({ endpoint: 'openai', model: 'gpt-4o-2024-08-06', input_tokens: 812, output_tokens: 230, total_tokens: 1042, cost_usd: '0.03816' });
    expect(r.response.body).toBe(OPENAI_JSON);
    expect(r.response.headers[ENDPOINT_HEADER]).toBeUndefined();
    expect(r.response.headers['x-ai-usage-input-tokens']).toBeUndefined(); // usageHeaders is off
  });

  test('records Anthropic usage; total is input + output; no cost for an unpriced endpoint', () => {
    const r = runOne(script, answered(ANTHROPIC_JSON, 'application/json', {}, 'claude'));
    expect(md(r)).toEqual({ endpoint: 'claude', model: 'claude-3-opus', input_tokens: 25, output_tokens: 15, total_tokens: 40 });
  });

  test('an embeddings answer has input tokens only', () => {
    const body = JSON.stringify({ object: 'list', data: [{ embedding: [0.1, -0.2] }], model: 'text-embedding-3-small', usage: { prompt_tokens: 8, total_tokens: 8 } });
    expect(md(runOne(script, answered(body, 'application/json')))).toMatchObject({ input_tokens: 8, output_tokens: 0, total_tokens: 8, cost_usd: '0.00024' });
  });

  test('with usageHeaders, adds x-ai-usage-* headers to a response with content-length', () => {
    const r = runOne(withHeaders, answered(OPENAI_JSON, 'application/json', { 'content-length': String(OPENAI_JSON.length) }));
    expect(r.response.headers['x-ai-usage-input-tokens']).toBe('812');
    expect(r.response.headers['x-ai-usage-output-tokens']).toBe('230');
    expect(r.response.headers['x-ai-usage-cost-usd']).toBe('0.03816');
    expect(r.response.body).toBe(OPENAI_JSON);
    expect(md(r)).toMatchObject({ cost_usd: '0.03816' });
  });

  test('usage headers leave out the cost for an unpriced endpoint', () => {
    const r = runOne(withHeaders, answered(ANTHROPIC_JSON, 'application/json', { 'content-length': String(Buffer.byteLength(ANTHROPIC_JSON)) }, 'claude'));
    expect(r.response.headers['x-ai-usage-input-tokens']).toBe('25');
    expect(r.response.headers['x-ai-usage-cost-usd']).toBeUndefined();
  });

  test('without content-length, or over the buffer limit, streams on: metadata only, chunks untouched', () => {
    const big = JSON.stringify({ data: 'x'.repeat(USAGE_MAX_BUFFER_BYTES + 10), usage: { prompt_tokens: 3, total_tokens: 3 } });
    const bigChunks = big.match(/[\s\S]{1,65536}/g)!;
    const res = run(withHeaders, [
      answered([OPENAI_JSON.slice(0, 100), OPENAI_JSON.slice(100)], 'application/json'),
      answered(bigChunks, 'application/json', { 'content-length': String(big.length) }),
    ]);
    const [chunked, large] = res.requests;
    expect(chunked.response.chunks).toEqual([OPENAI_JSON.slice(0, 100), OPENAI_JSON.slice(100)]);
    expect(chunked.response.headers['x-ai-usage-input-tokens']).toBeUndefined();
    expect(md(chunked)).toMatchObject({ input_tokens: 812, cost_usd: '0.03816' });
    expect(large.response.chunks).toEqual(bigChunks);
    expect(large.response.details).toBeUndefined(); // never Envoy's 500 for an over-full buffer
    expect(md(large)).toMatchObject({ input_tokens: 3, output_tokens: 0 });
  });

  test('reads the last usage in a long JSON body streamed in small chunks', () => {
    const body = JSON.stringify({ choices: [{ message: { content: 'y'.repeat(300_000) } }], usage: { prompt_tokens: 1, completion_tokens: 2, total_tokens: 3 } });
    const chunks = body.match(/[\s\S]{1,1000}/g)!;
    const r = runOne(script, answered(chunks, 'application/json'));
    expect(md(r)).toMatchObject({ input_tokens: 1, output_tokens: 2, total_tokens: 3 });
    expect(r.response.body).toBe(body);
  });
});

describe('SSE streams', () => {
  test('records OpenAI\'s final usage chunk and leaves every chunk as it was', () => {
    const r = runOne(withHeaders, answered(OPENAI_SSE, 'text/event-stream'));
    expect(r.errorMessages).toEqual([]);
    expect(r.response.chunks).toEqual(OPENAI_SSE);
    expect(md(r)).toEqual({ endpoint: 'openai', model: 'gpt-4o', input_tokens: 12, output_tokens: 34, total_tokens: 46, cost_usd: '0.0024' });
    expect(r.response.headers['x-ai-usage-input-tokens']).toBeUndefined(); // headers left before the stream
  });

  test('records Anthropic\'s message_start input and message_delta output (running totals)', () => {
    const r = runOne(script, answered(ANTHROPIC_SSE, 'text/event-stream; charset=utf-8', {}, 'claude'));
    expect(md(r)).toEqual({ endpoint: 'claude', model: 'claude-3-opus', input_tokens: 25, output_tokens: 15, total_tokens: 40 });
  });

  test('gets the same answer wherever the stream is split, down to one byte per chunk', () => {
    for (const events of [OPENAI_SSE, ANTHROPIC_SSE]) {
      const text = events.join('');
      const splits: string[][] = [];
      for (let at = 1; at < text.length; at += 7) splits.push([text.slice(0, at), text.slice(at)]);
      splits.push(text.split(''));
      splits.push(text.replace(/\n/g, '\r\n').match(/[\s\S]{1,3}/g)!);
      const res = run(script, splits.map((chunks) => answered(chunks, 'text/event-stream')));
      const seen = new Set(res.requests.map((r) => JSON.stringify([md(r).input_tokens, md(r).output_tokens, md(r).total_tokens])));
      expect([...seen]).toEqual([events === OPENAI_SSE ? '[12,34,46]' : '[25,15,40]']);
      expect(res.stats.errors).toBe(0);
    }
  });

  test('a stream far larger than the buffer limit streams through (no 500) and is accounted', () => {
    const delta = sse([{ id: 'c', object: 'chat.completion.chunk', model: 'gpt-4o', choices: [{ index: 0, delta: { content: 'x'.repeat(2000) } }], usage: null }])[0];
    const chunks = [...Array.from({ length: 1500 }, () => delta), ...OPENAI_SSE.slice(2)];
    const r = runOne(script, answered(chunks, 'text/event-stream'), { config: { bufferLimitBytes: 1 << 20 } });
    expect(r.response.details).toBeUndefined();
    expect(r.response.chunks).toHaveLength(chunks.length);
    expect(md(r)).toMatchObject({ input_tokens: 12, output_tokens: 34 });
  });

  test('an OpenAI stream without include_usage records nothing but the model', () => {
    const r = runOne(script, answered(OPENAI_SSE.slice(0, 2).concat('data: [DONE]\n\n'), 'text/event-stream'));
    expect(md(r)).toEqual({ endpoint: 'openai', model: 'gpt-4o' });
  });
});

describe('what is not accounted', () => {
  const cases: Array<[string, LuaScenarioRequest]> = [
    ['an error answer without usage', answered('{"error":{"message":"bad"}}', 'application/json')],
    ['a compressed answer', answered('\u001f\u008b...', 'application/json', { 'content-encoding': 'gzip' })],
    ['a non-JSON answer', answered('usage: {"prompt_tokens": 5}', 'text/plain')],
    ['malformed counts', answered('{"usage":{"prompt_tokens":"12","completion_tokens":-1,"total_tokens":1.5}}', 'application/json')],
    ['a count too large to be exact', answered('{"usage":{"prompt_tokens":1234567890123}}', 'application/json')],
  ];
  test.each(cases)('records no tokens for %s', (_name, request) => {
    const r = runOne(script, request);
    expect(r.errorMessages).toEqual([]);
    expect(md(r)?.input_tokens).toBeUndefined();
    expect(md(r)?.cost_usd).toBeUndefined();
  });

  test('the route\'s endpoint value wins over one the upstream sent, and neither reaches the client', () => {
    const r = runOne(script, {
      request: chat({ model: 'm' }),
      response: {
        headers: [[':status', '200'], ['content-type', 'application/json'], [ENDPOINT_HEADER, 'claude'], [ENDPOINT_HEADER, 'openai']],
        body: OPENAI_JSON,
      },
    });
    expect(md(r)).toMatchObject({ endpoint: 'openai', cost_usd: '0.03816' });
    expect(r.response.headerList.filter(([k]) => k === ENDPOINT_HEADER)).toEqual([]);
  });

  test('no cost without the endpoint header (e.g. a local reply)', () => {
    const r = runOne(script, answered(OPENAI_JSON, 'application/json', {}, null));
    expect(md(r)).toEqual({ model: 'gpt-4o-2024-08-06', input_tokens: 812, output_tokens: 230, total_tokens: 1042 });
  });

  test('a cache hit records nothing (the cache filter wrote zero usage), the model from routing is kept', () => {
    const prefix = (code: string) => `${script}\nlocal inner = envoy_on_request\nenvoy_on_request = function(h) ${code} inner(h) end\n`;
    const hit = runOne(prefix('h:streamInfo():dynamicMetadata():set("ai.gateway", "cache", "hit")'), answered(OPENAI_JSON, 'application/json'));
    expect(md(hit)).toEqual({ cache: 'hit', endpoint: 'openai' });
    const routed = runOne(prefix('h:streamInfo():dynamicMetadata():set("ai.gateway", "model", "gpt-4")'), answered(OPENAI_JSON, 'application/json'));
    expect(md(routed)).toMatchObject({ model: 'gpt-4', input_tokens: 812 });
  });
});

describe('usage headers the upstream sent', () => {
  const forged = { 'x-ai-usage-input-tokens': '1', 'x-ai-usage-output-tokens': '2', 'X-AI-Usage-Cost-USD': '0.0', 'x-ai-usage-anything': 'x' };
  const usageHeadersOf = (r: { response: { headers: Record<string, unknown> } }) => Object.keys(r.response.headers).filter((k) => k.toLowerCase().startsWith('x-ai-usage-'));

  test('never reach the client: on a stream, with usage headers off, and where no usage was found', () => {
    const cases = [
      [withHeaders, answered(OPENAI_SSE, 'text/event-stream', forged)],
      [script, answered(OPENAI_JSON, 'application/json', { ...forged, 'content-length': String(OPENAI_JSON.length) })],
      [withHeaders, answered('{"id":"x"}', 'application/json', { ...forged, 'content-length': '10' })],
      [withHeaders, answered('not json', 'text/plain', forged)],
    ] as const;
    for (const [source, request] of cases) {
      const r = runOne(source, request);
      expect(r.errors).toBe(0);
      expect(usageHeadersOf(r)).toEqual([]);
      expect(r.response.headers['content-type']).toBeDefined();
    }
  });

  test('are replaced by the gateway\'s own values when it sets them', () => {
    const r = runOne(withHeaders, answered(OPENAI_JSON, 'application/json', { ...forged, 'content-length': String(OPENAI_JSON.length) }));
    expect(usageHeadersOf(r).sort()).toEqual(['x-ai-usage-cost-usd', 'x-ai-usage-input-tokens', 'x-ai-usage-output-tokens']);
    expect(r.response.headers['x-ai-usage-input-tokens']).toBe('812');
  });
});

describe('cost arithmetic', () => {
  const priced = (input: string, output: string) =>
    scriptWith({ endpoints: [{ name: 'openai', serviceRef: { name: 'o' }, costPerToken: { inputTokens: input, outputTokens: output } }], modelRouting: undefined });
  const usage = (i: number, o: number) => answered(JSON.stringify({ usage: { prompt_tokens: i, completion_tokens: o } }), 'application/json');

  test('is exact decimal arithmetic: 0.1 + 0.2 is 0.3', () => {
    expect(md(runOne(priced('0.1', '0.2'), usage(1, 1))).cost_usd).toBe('0.3');
    expect(md(runOne(priced('0', '0'), usage(5, 5))).cost_usd).toBe('0');
    expect(md(runOne(priced('2', '0.5'), usage(3, 4))).cost_usd).toBe('8');
  });

  test('agrees with BigInt arithmetic for random prices and token counts', () => {
    let seed = 7;
    const random = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
    const decimalText = () => {
      const whole = random() < 0.7 ? '0' : String(Math.floor(random() * 100));
      const frac = String(Math.floor(random() * 1e9)).padStart(9, '0').slice(0, 1 + Math.floor(random() * 9));
      return random() < 0.2 ? whole : `${whole}.${frac}`;
    };
    const toScaled = (d: string, scale: number) => BigInt((d.split('.')[0] + (d.split('.')[1] ?? '').padEnd(scale, '0')).replace(/^0+(?=\d)/, ''));
    for (let round = 0; round < 6; round++) {
      const [pi, po] = [decimalText(), decimalText()];
      const counts = Array.from({ length: 8 }, () => [Math.floor(random() * 10 ** (1 + Math.floor(random() * 9))), Math.floor(random() * 1e7)]);
      const res = run(priced(pi, po), counts.map(([i, o]) => usage(i, o)));
      const scale = Math.max((pi.split('.')[1] ?? '').length, (po.split('.')[1] ?? '').length);
      const expected = counts.map(([i, o]) => {
        const total = toScaled(pi, scale) * BigInt(i) + toScaled(po, scale) * BigInt(o);
        const digits = total.toString().padStart(scale + 1, '0');
        const whole = digits.slice(0, digits.length - scale);
        const frac = digits.slice(digits.length - scale).replace(/0+$/, '');
        return frac ? `${whole}.${frac}` : whole;
      });
      expect(res.requests.map((r) => md(r).cost_usd)).toEqual(expected);
    }
  });
});

describe('errors in the script', () => {
  test('lets the response through intact and logs when the response path breaks', () => {
    const broken = script.replace('local function read_usage(s, i, acc)\n', 'local function read_usage(s, i, acc)\n  error("boom")\n');
    const r = runOne(broken, answered(OPENAI_SSE, 'text/event-stream'));
    expect(r.errors).toBe(0);
    expect(r.response.chunks).toEqual(OPENAI_SSE);
    expect(r.response.headers[ENDPOINT_HEADER]).toBeUndefined();
    expect(r.logs).toContainEqual(expect.objectContaining({ level: 'error', message: expect.stringContaining('response processing failed') }));
  });
});
