/**
 * Real Envoy loads each Lua script from its own ConfigMap file (`default_source_code.filename`
 * under /etc/envoy): the files are what runs, so a missing or broken file stops the gateway at
 * load time, and a changed file changes what the filter does.
 */
import { gatewayObjects, openAiHandler, startGateway, startMock, validateWithEnvoy } from '../support/real-envoy';

const SPEC = {
  gatewayClassName: 'envoy',
  endpoints: [{ name: 'llm', serviceRef: { name: 'llm' } }],
  promptEngineering: { systemPrompt: 'Be brief.', modificationType: 'Prefix' as const },
};

/** The objects with the gateway ConfigMap's `lua-prompt.lua` changed by `edit` (undefined: removed). */
function withPromptFile(edit: (text: string) => string | undefined) {
  return gatewayObjects(SPEC).map((o: any) => {
    if (o.kind !== 'ConfigMap' || o.data?.['lua-prompt.lua'] === undefined) return o;
    const { 'lua-prompt.lua': text, ...rest } = o.data;
    const changed = edit(text);
    return { ...o, data: changed === undefined ? rest : { ...rest, 'lua-prompt.lua': changed } };
  });
}

describe('Lua scripts as ConfigMap files', () => {
  test('the generated gateway loads, with the script only in its own file', async () => {
    const objects = gatewayObjects(SPEC);
    const configMap = objects.find((o: any) => o.kind === 'ConfigMap' && o.data?.['envoy.json']);
    expect(configMap.data['envoy.json']).toMatch(/"filename": ?"\/etc\/envoy\/lua-prompt\.lua"/);
    expect(configMap.data['envoy.json']).not.toContain('envoy_on_request');
    expect(configMap.data['lua-prompt.lua'].split('\n').length).toBeGreaterThan(100);
    expect(await validateWithEnvoy(objects)).toEqual({ ok: true, output: expect.anything() });
  });

  test('fails to load when the script file is missing', async () => {
    const result = await validateWithEnvoy(withPromptFile(() => undefined));
    expect(result.ok).toBe(false);
    expect(result.output).toMatch(/lua-prompt\.lua/);
  });

  test('fails to load when the script file does not compile', async () => {
    const result = await validateWithEnvoy(withPromptFile((text) => `${text}\nend end\n`));
    expect(result.ok).toBe(false);
    expect(result.output).toMatch(/script load error: .*'<eof>' expected near 'end'/);
  });

  test('what runs is the file: an edited system prompt in lua-prompt.lua reaches the upstream', async () => {
    const upstream = await startMock({ handler: openAiHandler({ name: 'llm' }) });
    const gateway = await startGateway(withPromptFile((text) => text.replace('Be brief.', 'Be edited.')), { upstreams: { 'endpoint-llm': upstream.port } });
    try {
      const res = await fetch(`${gateway.url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'hi' }] }) });
      expect(res.status).toBe(200);
      expect((upstream.requests[0].json as any).messages[0]).toEqual({ role: 'system', content: 'Be edited.' });
    } finally {
      await gateway.stop();
      await upstream.close();
    }
  });
});
