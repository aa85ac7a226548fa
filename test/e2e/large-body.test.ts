import { gatewayObjects, openAiHandler, startGateway, startMock, type MockUpstream, type RunningGateway } from '../support/real-envoy';
import type { AIGatewaySpecInput } from '../../src/spec';

const MiB = 1024 * 1024;

/** A chat request of about `bytes` bytes: text plus a base64 PNG in content parts, as vision clients send. */
function visionRequest(bytes: number): string {
  const image = Buffer.alloc(Math.ceil((bytes * 3) / 4), 7).toString('base64').slice(0, bytes);
  return JSON.stringify({
    model: 'gpt-4o',
    messages: [
      {
        role: 'user',
        content: [
          { type: 'text', text: 'What is in this picture?' },
          { type: 'image_url', image_url: { url: `data:image/png;base64,${image}` } },
        ],
      },
    ],
  });
}

/** Every Lua filter that reads the request body: body routing, prompt, cache; and usage. */
const everyBodyFilter = (limits?: { maxRequestBodyBytes: number }): AIGatewaySpecInput => ({
  gatewayClassName: 'envoy',
  endpoints: [{ name: 'vision', serviceRef: { name: 'vision' }, models: ['gpt-4o'], costPerToken: { inputTokens: '0.000005', outputTokens: '0.000015' } }],
  modelRouting: { strategy: 'RequestBody', rules: [{ model: 'gpt-4o', targetEndpoint: 'vision' }] },
  promptEngineering: { systemPrompt: 'You describe images.' },
  cachingStrategy: { type: 'Exact' },
  observability: { usageHeaders: true },
  ...(limits && { limits }),
});

const post = (url: string, body: string) => fetch(`${url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });

describe('real Envoy: large request bodies through every body-reading Lua filter', () => {
  let upstream: MockUpstream;
  const gateways: RunningGateway[] = [];
  beforeAll(async () => {
    upstream = await startMock({ handler: openAiHandler({ name: 'vision' }) });
  });
  beforeEach(() => (upstream.requests.length = 0));
  afterAll(async () => {
    for (const g of gateways) await g.stop();
    await upstream?.close();
  });
  const start = async (spec: AIGatewaySpecInput) => {
    const gateway = await startGateway(gatewayObjects(spec), { upstreams: { 'endpoint-vision': upstream.port } });
    gateways.push(gateway);
    return gateway;
  };

  it('a 4 MiB vision request reaches the upstream whole, with the system prompt added', async () => {
    const gateway = await start(everyBodyFilter());
    const body = visionRequest(4 * MiB);
    const res = await post(gateway.url, body);
    expect(res.status).toBe(200);
    expect(res.headers.get('x-ai-usage-input-tokens')).toBe('12');
    expect((await res.json() as { choices: { message: { content: string } }[] }).choices[0].message.content).toBe('hello from vision');
    expect(upstream.requests).toHaveLength(1);
    const sent = upstream.requests[0].json;
    expect(sent.messages[0]).toEqual({ role: 'system', content: 'You describe images.' });
    expect(sent.messages[1].content[1].image_url.url).toBe(JSON.parse(body).messages[0].content[1].image_url.url);
  });

  it('fails a body over spec.limits.maxRequestBodyBytes with a JSON 413', async () => {
    const gateway = await start(everyBodyFilter({ maxRequestBodyBytes: 2 * MiB }));
    const res = await post(gateway.url, visionRequest(3 * MiB));
    expect(res.status).toBe(413);
    expect(res.headers.get('content-type')).toContain('application/json');
    expect(((await res.json()) as { error: unknown }).error).toMatchObject({ type: 'request_too_large', limitBytes: 2 * MiB });
    expect(upstream.requests).toHaveLength(0);
  });
});
