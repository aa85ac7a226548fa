import { gatewayObjects, openAiHandler, startGateway, startMock, type MockUpstream, type RunningGateway } from '../support/real-envoy';

/** Path routing as real Envoy does it: which upstream gets a request, and with which path. */
describe('real Envoy: Path rules and the path the upstream sees', () => {
  let chat: MockUpstream;
  let embed: MockUpstream;
  let openai: MockUpstream;
  let gateway: RunningGateway;
  beforeAll(async () => {
    [chat, embed, openai] = await Promise.all([
      startMock({ handler: openAiHandler({ name: 'chat' }) }),
      startMock({ handler: openAiHandler({ name: 'embed' }) }),
      startMock({ handler: openAiHandler({ name: 'openai' }) }),
    ]);
    const objects = gatewayObjects({
      gatewayClassName: 'envoy',
      endpoints: [
        { name: 'chat', serviceRef: { name: 'vllm', port: 8000 }, provider: 'vLLM' },
        { name: 'embed', serviceRef: { name: 'tei' } },
        { name: 'openai', serviceRef: { name: 'openai-proxy' } },
      ],
      modelRouting: {
        strategy: 'Path',
        rules: [
          { pathPrefix: '/v1/embeddings', targetEndpoint: 'embed' },
          { match: '/v1/chat', targetEndpoint: 'chat' },
          { match: '/openai', stripPrefix: true, targetEndpoint: 'openai' },
        ],
        // With a default, a path no rule matches still reaches an upstream, which may decode %2F.
        defaultTargetEndpoint: 'chat',
      },
    });
    gateway = await startGateway(objects, { upstreams: { 'endpoint-chat': chat.port, 'endpoint-embed': embed.port, 'endpoint-openai': openai.port } });
  });
  afterAll(async () => {
    await gateway?.stop();
    await Promise.all([chat?.close(), embed?.close(), openai?.close()]);
  });

  const post = (path: string) =>
    fetch(`${gateway.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: 'm', messages: [] }) });

  it('a rule keeps the API prefix: /v1/chat/completions reaches vLLM as /v1/chat/completions', async () => {
    const res = await post('/v1/chat/completions?stream=false');
    expect(res.status).toBe(200);
    expect(chat.requests.map((r) => r.path)).toEqual(['/v1/chat/completions?stream=false']);
    expect((await post('/v1/embeddings')).status).toBe(200);
    expect(embed.requests.map((r) => r.path)).toEqual(['/v1/embeddings']);
  });

  it('a stripPrefix rule removes its prefix: /openai/v1/chat/completions arrives as /v1/chat/completions', async () => {
    expect((await post('/openai/v1/chat/completions')).status).toBe(200);
    expect(openai.requests.map((r) => r.path)).toEqual(['/v1/chat/completions']);
  });

  it('fails with 400 on an escaped slash (%2F), so it cannot sidestep a Path rule, and no upstream sees it', async () => {
    const before = chat.requests.length + embed.requests.length + openai.requests.length;
    const res = await post('/v1/chat%2F..%2Fembeddings');
    expect(res.status).toBe(400);
    expect(chat.requests.length + embed.requests.length + openai.requests.length).toBe(before);
  });
});
