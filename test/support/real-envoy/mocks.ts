/**
 * Local mock upstreams for the e2e tests: Node HTTP(S) servers that record every request they
 * receive and answer as an OpenAI-compatible or Anthropic Messages server would (JSON, or SSE when
 * the request asks for a stream), or as the test says.
 */
import { createServer as createHttp, type IncomingMessage, type Server, type ServerResponse } from 'http';
import { createServer as createHttps } from 'https';

type Json = any;

export interface RecordedRequest {
  readonly method: string;
  /** Path with query, as received. */
  readonly path: string;
  /** Lower-case header names; repeated headers joined by ", ". */
  readonly headers: Record<string, string>;
  readonly body: string;
  /** The body parsed as JSON, or undefined. */
  readonly json: Json;
}

export type MockHandler = (req: RecordedRequest, res: ServerResponse) => void | Promise<void>;

export interface MockUpstream {
  readonly port: number;
  readonly url: string;
  readonly requests: RecordedRequest[];
  /** Replaces how the mock answers from now on. */
  setHandler(handler: MockHandler): void;
  close(): Promise<void>;
}

export interface MockOptions {
  /** How to answer. @default openAiHandler() */
  readonly handler?: MockHandler;
  /** Serve HTTPS with this certificate (see testCa). */
  readonly tls?: { readonly cert: string; readonly key: string };
  /** Keep every request in `requests`. Off under load (the bench), where they would pile up. @default true */
  readonly record?: boolean;
}

function record(req: IncomingMessage, body: string): RecordedRequest {
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(req.headers)) if (v !== undefined) headers[k] = Array.isArray(v) ? v.join(', ') : v;
  let json: Json;
  try {
    json = body === '' ? undefined : JSON.parse(body);
  } catch {
    json = undefined;
  }
  return { method: req.method ?? '', path: req.url ?? '', headers, body, json };
}

export async function startMock(options: MockOptions = {}): Promise<MockUpstream> {
  let handler = options.handler ?? openAiHandler();
  const requests: RecordedRequest[] = [];
  const onRequest = (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const recorded = record(req, Buffer.concat(chunks).toString('utf8'));
      if (options.record !== false) requests.push(recorded);
      Promise.resolve(handler(recorded, res)).catch((err) => {
        if (!res.headersSent) res.writeHead(500);
        res.end(String(err));
      });
    });
  };
  const server: Server = options.tls ? createHttps({ cert: options.tls.cert, key: options.tls.key }, onRequest) : createHttp(onRequest);
  server.keepAliveTimeout = 60000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const port = (server.address() as { port: number }).port;
  return {
    port,
    url: `${options.tls ? 'https' : 'http'}://127.0.0.1:${port}`,
    requests,
    setHandler: (h) => (handler = h),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections?.();
        server.close(() => resolve());
      }),
  };
}

export interface Usage {
  readonly input: number;
  readonly output: number;
}

const sendJson = (res: ServerResponse, status: number, body: Json, headers: Record<string, string> = {}) => {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
};

/** An OpenAI chat completion (non-streaming) as the API reference documents it. */
export function openAiCompletion(model: string, content: string, usage: Usage): Json {
  return {
    id: 'chatcmpl-mock',
    object: 'chat.completion',
    created: 1767225600,
    model,
    choices: [{ index: 0, message: { role: 'assistant', content, refusal: null }, logprobs: null, finish_reason: 'stop' }],
    usage: { prompt_tokens: usage.input, completion_tokens: usage.output, total_tokens: usage.input + usage.output },
  };
}

/** The SSE events of a streamed OpenAI chat completion (usage chunk last when asked for). */
export function openAiStream(model: string, pieces: readonly string[], usage: Usage | undefined): string[] {
  const chunk = (delta: Json, finish: string | null) => ({
    id: 'chatcmpl-mock',
    object: 'chat.completion.chunk',
    created: 1767225600,
    model,
    choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }],
  });
  const events = [chunk({ role: 'assistant', content: '' }, null), ...pieces.map((p) => chunk({ content: p }, null)), chunk({}, 'stop')];
  const lines = events.map((e) => `data: ${JSON.stringify(e)}\n\n`);
  if (usage) {
    const last = { id: 'chatcmpl-mock', object: 'chat.completion.chunk', created: 1767225600, model, choices: [], usage: { prompt_tokens: usage.input, completion_tokens: usage.output, total_tokens: usage.input + usage.output } };
    lines.push(`data: ${JSON.stringify(last)}\n\n`);
  }
  lines.push('data: [DONE]\n\n');
  return lines;
}

/** An Anthropic Messages response (non-streaming). */
export function anthropicMessage(model: string, text: string, usage: Usage): Json {
  return {
    id: 'msg_mock',
    type: 'message',
    role: 'assistant',
    model,
    content: [{ type: 'text', text }],
    stop_reason: 'end_turn',
    stop_sequence: null,
    usage: { input_tokens: usage.input, output_tokens: usage.output },
  };
}

/** The SSE events of a streamed Anthropic message, as the streaming docs show them. */
export function anthropicStream(model: string, pieces: readonly string[], usage: Usage): string[] {
  const ev = (type: string, data: Json) => `event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`;
  return [
    ev('message_start', { message: { id: 'msg_mock', type: 'message', role: 'assistant', model, content: [], stop_reason: null, stop_sequence: null, usage: { input_tokens: usage.input, output_tokens: 1 } } }),
    ev('content_block_start', { index: 0, content_block: { type: 'text', text: '' } }),
    ev('ping', {}),
    ...pieces.map((p) => ev('content_block_delta', { index: 0, delta: { type: 'text_delta', text: p } })),
    ev('content_block_stop', { index: 0 }),
    ev('message_delta', { delta: { stop_reason: 'end_turn', stop_sequence: null }, usage: { output_tokens: usage.output } }),
    ev('message_stop', {}),
  ];
}

/** Writes SSE events, `gapMs` apart. */
export async function writeSse(res: ServerResponse, events: readonly string[], gapMs = 0): Promise<void> {
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
  for (const event of events) {
    res.write(event);
    if (gapMs > 0) await new Promise((r) => setTimeout(r, gapMs));
  }
  res.end();
}

export interface ProviderMockOptions {
  readonly usage?: Usage;
  /** Text of the answer. @default "hello from <name>" */
  readonly text?: string;
  /** Name put in the answer, so a test sees which mock answered. @default "mock" */
  readonly name?: string;
  /** Delay between SSE events. @default 0 */
  readonly gapMs?: number;
}

/** Answers like an OpenAI-compatible server (chat completions; `stream: true` gets SSE). */
export function openAiHandler(options: ProviderMockOptions = {}): MockHandler {
  const usage = options.usage ?? { input: 12, output: 5 };
  return async (req, res) => {
    const model = req.json?.model ?? 'unknown';
    const text = options.text ?? `hello from ${options.name ?? 'mock'}`;
    if (req.json?.stream) {
      const withUsage = req.json?.stream_options?.include_usage === true;
      await writeSse(res, openAiStream(model, text.split(/(?<= )/), withUsage ? usage : undefined), options.gapMs);
    } else sendJson(res, 200, openAiCompletion(model, text, usage));
  };
}

/** Answers like Anthropic's Messages API. */
export function anthropicHandler(options: ProviderMockOptions = {}): MockHandler {
  const usage = options.usage ?? { input: 20, output: 7 };
  return async (req, res) => {
    const model = req.json?.model ?? 'unknown';
    const text = options.text ?? `hello from ${options.name ?? 'mock'}`;
    if (req.json?.stream) await writeSse(res, anthropicStream(model, text.split(/(?<= )/), usage), options.gapMs);
    else sendJson(res, 200, anthropicMessage(model, text, usage));
  };
}

/** Always answers with this status and an OpenAI-style error body. */
export function failingHandler(status = 503, headers: Record<string, string> = {}): MockHandler {
  return (_req, res) => sendJson(res, status, { error: { message: `mock failure ${status}`, type: 'server_error' } }, headers);
}
