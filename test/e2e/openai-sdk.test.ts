/**
 * The official `openai` npm client, unmodified, with its baseURL pointed at the gateway: what an
 * application does. The gateway checks the client's API key, swaps it for the upstream's key
 * (credentialsRef), and passes answers and streams back in a shape the SDK parses.
 */
import OpenAI from 'openai';
import { logLine, startTraffic, type Traffic } from './traffic';

const CLIENT_KEY = 'sk-client-one';
const UPSTREAM_KEY = 'sk-upstream-secret';

describe('real Envoy: the official OpenAI SDK through an API-key gateway', () => {
  let traffic: Traffic;
  let client: OpenAI;
  beforeAll(async () => {
    traffic = await startTraffic(
      {
        gatewayClassName: 'envoy',
        endpoints: [
          {
            name: 'openai',
            serviceRef: { name: 'openai' },
            provider: 'OpenAI',
            credentialsRef: { name: 'upstream-keys', key: 'openai' },
            costPerToken: { inputTokens: '0.00003', outputTokens: '0.00006' },
          },
        ],
        authentication: { type: 'APIKey', apiKeyRef: { name: 'client-keys', key: 'keys' } },
      },
      {},
      { secrets: { 'client-keys': { keys: `${CLIENT_KEY}\nsk-client-two\n` }, 'upstream-keys': { openai: UPSTREAM_KEY } } },
    );
    client = new OpenAI({ baseURL: traffic.gateway.url + '/v1', apiKey: CLIENT_KEY, maxRetries: 0 });
  });
  afterAll(async () => traffic?.stop());

  it('a plain chat completion: the SDK gets the answer and its usage; the upstream gets its own key', async () => {
    const completion = await client.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'Say hello' }] });
    expect(completion.choices[0].message.content).toBe('hello from openai');
    expect(completion.usage).toEqual({ prompt_tokens: 12, completion_tokens: 5, total_tokens: 17 });
    const upstream = traffic.mocks.openai.requests.at(-1)!;
    expect(upstream.path).toBe('/v1/chat/completions');
    expect(upstream.json).toEqual({ model: 'gpt-4o', messages: [{ role: 'user', content: 'Say hello' }] });
    expect(upstream.headers.authorization).toBe(`Bearer ${UPSTREAM_KEY}`);
    expect(JSON.stringify(upstream.headers)).not.toContain(CLIENT_KEY);
    // 12 * 0.00003 + 5 * 0.00006
    expect(await logLine(traffic.gateway, 1)).toMatchObject({ status: 200, input_tokens: 12, output_tokens: 5, cost_usd: '0.00066' });
  });

  it('a streaming chat completion: the SDK reads every chunk and the final usage chunk', async () => {
    const stream = await client.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'Say hello' }], stream: true, stream_options: { include_usage: true } });
    let text = '';
    let usage: OpenAI.CompletionUsage | null | undefined;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta?.content ?? '';
      if (chunk.usage) usage = chunk.usage;
    }
    expect(text).toBe('hello from openai');
    expect(usage).toEqual({ prompt_tokens: 12, completion_tokens: 5, total_tokens: 17 });
    expect(traffic.mocks.openai.requests.at(-1)!.json).toMatchObject({ stream: true, stream_options: { include_usage: true } });
    expect(await logLine(traffic.gateway, 2)).toMatchObject({ status: 200, input_tokens: 12, output_tokens: 5, cost_usd: '0.00066' });
  });

  it('fails with the SDK\'s AuthenticationError (401) for a key the gateway does not know', async () => {
    const stranger = new OpenAI({ baseURL: traffic.gateway.url + '/v1', apiKey: 'sk-unknown', maxRetries: 0 });
    const before = traffic.mocks.openai.requests.length;
    const error = await stranger.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }] }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(OpenAI.AuthenticationError);
    expect((error as InstanceType<typeof OpenAI.AuthenticationError>).status).toBe(401);
    expect((error as Error).message).toContain('a valid API key is required');
    expect(traffic.mocks.openai.requests.length).toBe(before);
  });
});
