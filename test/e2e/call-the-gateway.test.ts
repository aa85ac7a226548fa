/**
 * The README's "Call the gateway" section, run against a real Envoy gateway synthesized from the
 * seed example it names: the curl line as written (only the Service address swapped for the test
 * gateway's), and the OpenAI SDK with the snippet's baseURL and headers, which must send the same
 * request to the same endpoint.
 */
import { spawn } from 'child_process';
import { readFileSync } from 'fs';
import { join } from 'path';
import OpenAI from 'openai';
import { parse } from 'yaml';
import { gatewayObjects, openAiHandler, startGateway, startMock, type MockUpstream, type RunningGateway } from '../support/real-envoy';

const ROOT = join(__dirname, '..', '..');
const README = readFileSync(join(ROOT, 'README.md'), 'utf8');
const SECTION = README.split(/^## /m).find((s) => s.startsWith('Call the gateway'))!;
const CURL = /```sh\n([\s\S]*?)```/.exec(SECTION)![1];
const SDK = /```ts\n([\s\S]*?)```/.exec(SECTION)![1];
const SERVICE_URL = 'http://my-llm-gateway.ai-apps.svc';
const KEY = 'sk-readme-client';

/** Runs a shell line without blocking the event loop (the mocks answer in this process). */
function sh(line: string, env: Record<string, string>): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn('bash', ['-c', line], { env: { ...process.env, ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}
const seed = parse(readFileSync(join(ROOT, 'examples', 'basic-gateway.yaml'), 'utf8'));

describe('README "Call the gateway" against real Envoy (examples/basic-gateway.yaml)', () => {
  let gateway: RunningGateway;
  let gpt: MockUpstream;
  let claude: MockUpstream;
  beforeAll(async () => {
    gpt = await startMock({ handler: openAiHandler({ name: 'gpt' }) });
    claude = await startMock({ handler: openAiHandler({ name: 'claude' }) });
    const objects = gatewayObjects(seed.spec, {}, seed.metadata.name, seed.metadata.namespace);
    const { name, key } = seed.spec.authentication.apiKeyRef;
    gateway = await startGateway(objects, {
      secrets: { [name]: { [key]: `${KEY}\n` } },
      upstreams: { 'endpoint-openai-gpt4': gpt.port, 'endpoint-anthropic-claude3': claude.port },
    });
  });
  afterAll(async () => {
    await gateway?.stop();
    await gpt?.close();
    await claude?.close();
  });

  test('the curl line, as written, gets an answer from the endpoint its header routes to', async () => {
    expect(CURL).toContain(SERVICE_URL);
    const r = await sh(CURL.split(SERVICE_URL).join(gateway.url), { AIGATEWAY_KEY: KEY });
    expect({ status: r.status, stderr: r.stderr }).toEqual({ status: 0, stderr: '' });
    expect(JSON.parse(r.stdout).choices[0].message.content).toBe('hello from gpt');
    const sent = gpt.requests.at(-1)!;
    expect([sent.method, sent.path, sent.json?.model]).toEqual(['POST', '/v1/chat/completions', 'gpt-4']);
  });

  test('the SDK snippet (its baseURL and headers) sends the same request to the same endpoint', async () => {
    const baseURL = /baseURL: '([^']+)'/.exec(SDK)![1];
    const header = /defaultHeaders: \{ '([^']+)': '([^']+)' \}/.exec(SDK)!;
    expect(baseURL).toBe(`${SERVICE_URL}/v1`);
    const client = new OpenAI({ baseURL: baseURL.replace(SERVICE_URL, gateway.url), apiKey: KEY, defaultHeaders: { [header[1]]: header[2] }, maxRetries: 0 });
    const before = gpt.requests.length;
    const reply = await client.chat.completions.create({ model: 'gpt-4', messages: [{ role: 'user', content: 'Hello' }] });
    expect(reply.choices[0].message.content).toBe('hello from gpt');
    expect(gpt.requests.length).toBe(before + 1);
    const [curlRequest, sdkRequest] = gpt.requests.slice(-2);
    expect([sdkRequest.method, sdkRequest.path, sdkRequest.json?.model]).toEqual([curlRequest.method, curlRequest.path, curlRequest.json?.model]);
  });

  test('fails with 401 without the key (the section says the key is needed)', async () => {
    const r = await sh(CURL.split(SERVICE_URL).join(gateway.url).replace('curl -sS', 'curl -sS -o /dev/null -w "%{http_code}"'), { AIGATEWAY_KEY: 'sk-wrong' });
    expect(r.stdout).toBe('401');
  });
});
