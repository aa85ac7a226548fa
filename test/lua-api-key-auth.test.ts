/**
 * API-key authentication (authentication.type APIKey) under LuaJIT through the Envoy Lua
 * emulation: keys from the mounted Secret file, rotation, fail-closed on a missing file.
 */
import * as path from 'path';
import { apiKeyAuthFilter } from '../src/envoy/lua';
import { API_KEY_RELOAD_SECONDS } from '../src/envoy/lua/api-key-auth';
import { makeLuaTempDir, removeLuaTempDir, type LuaScenarioRequest } from './support/lua/run-lua';
import { chat, errorOf, OPTIONS, run, scriptOf, specWith } from './lua-helpers';

const KEY_A = 'gw-key-aaaaaaaaaaaaaaaa';
const KEY_B = 'gw-key-bbbbbbbbbbbbbbbb';

let dir: string;
let keyFile: string;
let script: string;

/** The generated script with the Secret path pointed at a temp file (the only thing changed). */
function scriptReading(file: string): string {
  const spec = specWith({ authentication: { type: 'APIKey', apiKeyRef: { name: 'client-keys', key: 'keys' } } });
  const source = scriptOf(apiKeyAuthFilter(spec, OPTIONS));
  const mounted = '"/etc/aigateway/secrets/client-keys/keys"';
  expect(source).toContain(mounted);
  return source.replace(mounted, JSON.stringify(file));
}

beforeAll(() => {
  dir = makeLuaTempDir('lua-auth-');
  keyFile = path.join(dir, 'keys');
  script = scriptReading(keyFile);
});
afterAll(() => removeLuaTempDir(dir));

const withKey = (headers: Record<string, string>, extra: Partial<LuaScenarioRequest> = {}): LuaScenarioRequest => ({
  request: chat({ model: 'gpt-4', messages: [] }, headers),
  ...extra,
});

describe('converter', () => {
  test('emits nothing unless authentication.type is APIKey', () => {
    expect(apiKeyAuthFilter(specWith(), OPTIONS)).toBeUndefined();
  });

  test('reports the Secret key it reads as a file to mount, and never embeds a key', () => {
    const lua = apiKeyAuthFilter(specWith({ authentication: { type: 'APIKey', apiKeyRef: { name: 'client-keys', key: 'keys' } } }), OPTIONS)!;
    expect(lua.secretFiles).toEqual([{ secretName: 'client-keys', key: 'keys', mountPath: '/etc/aigateway/secrets/client-keys' }]);
    expect(lua.filter.name).toBe('ai.gateway.api_key_auth');
  });
});

describe('the caller handed to the response cache', () => {
  const withCache = (scope?: 'Caller' | 'Gateway') => {
    const spec = specWith({ authentication: { type: 'APIKey', apiKeyRef: { name: 'client-keys', key: 'keys' } }, cachingStrategy: { type: 'Exact', ...(scope && { scope }) } });
    return scriptOf(apiKeyAuthFilter(spec, OPTIONS)).replace('"/etc/aigateway/secrets/client-keys/keys"', JSON.stringify(keyFile));
  };

  test('puts the accepted key into its own metadata namespace only when the cache keys on it', () => {
    const files = { [keyFile]: `${KEY_A}\n` };
    const [keyed] = run(withCache(), [withKey({ 'x-api-key': KEY_A }, { files })]).requests;
    expect(keyed.dynamicMetadata['ai.gateway.api_key_auth']).toEqual({ caller: KEY_A });
    expect(keyed.request.headers['x-api-key']).toBeUndefined();
    for (const source of [withCache('Gateway'), script]) {
      const [r] = run(source, [withKey({ 'x-api-key': KEY_A }, { files })]).requests;
      expect(r.dynamicMetadata['ai.gateway.api_key_auth']).toBeUndefined();
    }
    const [denied] = run(withCache(), [withKey({ 'x-api-key': KEY_B }, { files })]).requests;
    expect(denied.dynamicMetadata['ai.gateway.api_key_auth']).toBeUndefined();
  });
});

describe('accepted keys', () => {
  test('accepts a listed key as Bearer token or x-api-key and removes it before forwarding', () => {
    const res = run(script, [
      withKey({ authorization: `Bearer ${KEY_A}` }, { files: { [keyFile]: `${KEY_A}\n${KEY_B}\n` } }),
      withKey({ 'x-api-key': KEY_B }),
      withKey({ authorization: `bearer   ${KEY_A}  ` }),
    ]);
    for (const r of res.requests) {
      expect(r.errors).toBe(0);
      expect(r.localReply).toBeUndefined();
      expect(r.request.forwarded).toBe(true);
      expect(r.request.headers.authorization).toBeUndefined();
      expect(r.request.headers['x-api-key']).toBeUndefined();
      expect(r.dynamicMetadata['ai.gateway']).toEqual({ auth: 'ok' });
    }
  });

  test('ignores blank lines, comments and surrounding whitespace (CRLF too) in the key file', () => {
    const res = run(script, [
      withKey({ 'x-api-key': KEY_A }, { files: { [keyFile]: `# team a\r\n\r\n   ${KEY_A}  \r\n\t# ${KEY_B}\n` } }),
      withKey({ 'x-api-key': KEY_B }),
      withKey({ 'x-api-key': '# team a' }),
    ]);
    expect(res.requests.map((r) => r.localReply?.status ?? 'forwarded')).toEqual(['forwarded', 401, 401]);
  });
});

describe('key files written by other editors', () => {
  const warnings = (r: { logs: Array<{ level: string; message: string }> }) => r.logs.filter((l) => l.level === 'warn').map((l) => l.message);

  test('accepts the first key of a file that starts with a UTF-8 byte order mark, and warns once per changed file', () => {
    const res = run(script, [
      withKey({ 'x-api-key': KEY_A }, { files: { [keyFile]: `\ufeff${KEY_A}\n${KEY_B}\n` }, now: 1000 }),
      withKey({ 'x-api-key': KEY_B }, { now: 1000 + API_KEY_RELOAD_SECONDS }),
    ]);
    expect(res.requests.map((r) => r.localReply?.status ?? 'forwarded')).toEqual(['forwarded', 'forwarded']);
    expect(warnings(res.requests[0])).toEqual([expect.stringContaining('byte order mark')]);
    expect(res.requests[1].logs).toEqual([]); // re-read, unchanged: no second warning
  });

  test('accepts every key of a file with CR-only line ends (and mixed ones), and warns without key material', () => {
    const res = run(script, [
      withKey({ 'x-api-key': KEY_A }, { files: { [keyFile]: `# keys\r${KEY_A}\r${KEY_B}\r` }, now: 1000 }),
      withKey({ 'x-api-key': KEY_B }, { now: 1001 }),
      withKey({ 'x-api-key': KEY_B }, { files: { [keyFile]: `${KEY_A}\r\n${KEY_B}\r` }, now: 1000 + API_KEY_RELOAD_SECONDS }),
      withKey({ 'x-api-key': KEY_A }, { now: 1000 + API_KEY_RELOAD_SECONDS }),
    ]);
    expect(res.requests.map((r) => r.localReply?.status ?? 'forwarded')).toEqual(['forwarded', 'forwarded', 'forwarded', 'forwarded']);
    expect(warnings(res.requests[0])).toEqual([expect.stringContaining('CR-only line ends')]);
    expect(warnings(res.requests[2])).toEqual([expect.stringContaining('CR-only line ends')]); // a new file, a new warning
    const logged = JSON.stringify(res.requests.map((r) => r.logs));
    expect(logged).not.toContain('aaaa');
    expect(logged).not.toContain('bbbb');
  });

  test('a CRLF file is the ordinary case: no warning', () => {
    const [r] = run(script, [withKey({ 'x-api-key': KEY_B }, { files: { [keyFile]: `${KEY_A}\r\n${KEY_B}\r\n` }, now: 1000 })]).requests;
    expect(r.localReply).toBeUndefined();
    expect(r.logs).toEqual([]);
  });
});

describe('fails with 401 JSON', () => {
  const cases: Array<[string, Record<string, string>]> = [
    ['no key at all', {}],
    ['an unknown key', { authorization: `Bearer ${KEY_A}x` }],
    ['a prefix of a key', { 'x-api-key': KEY_A.slice(0, -1) }],
    ['a key with a different last byte', { 'x-api-key': `${KEY_A.slice(0, -1)}b` }],
    ['another auth scheme', { authorization: `Basic ${KEY_A}` }],
    ['an empty bearer token', { authorization: 'Bearer   ' }],
    ['a key longer than any accepted length', { 'x-api-key': 'k'.repeat(5000) }],
  ];
  test.each(cases)('fails for %s', (_name, headers) => {
    const [r] = run(script, [withKey(headers, { files: { [keyFile]: `${KEY_A}\n${KEY_B}\n` } })]).requests;
    expect(r.errors).toBe(0);
    expect(r.request.forwarded).toBe(false);
    expect(r.localReply!.status).toBe(401);
    expect(r.localReply!.headers['www-authenticate']).toBe('Bearer realm="gw"');
    expect(errorOf(r).type).toBe('unauthorized');
    expect(r.dynamicMetadata['ai.gateway']).toEqual({ auth: 'denied' });
  });

  test('fails for everyone when the key file holds no keys, and says so in the log (once per read)', () => {
    const res = run(script, [
      withKey({ 'x-api-key': KEY_A }, { files: { [keyFile]: '# nobody yet\n\n' }, now: 1000 }),
      withKey({ 'x-api-key': '' }, { now: 1001 }),
    ]);
    expect(res.requests.map((r) => r.localReply?.status)).toEqual([401, 401]);
    expect(res.requests[0].logs.filter((l) => l.level === 'warn').map((l) => l.message)).toEqual([
      expect.stringContaining('holds no keys'),
    ]);
    expect(res.requests[1].logs).toEqual([]);
  });
});

describe('the key file changes', () => {
  test('picks up a rotated key within the reload interval, per worker, without a restart', () => {
    const t = 1_700_000_000;
    const res = run(
      script,
      [
        withKey({ 'x-api-key': KEY_A }, { files: { [keyFile]: `${KEY_A}\n` }, now: t, worker: 0 }),
        // Rotated: worker 0 still uses what it read a moment ago, worker 1 reads the new file.
        withKey({ 'x-api-key': KEY_A }, { files: { [keyFile]: `${KEY_B}\n` }, now: t + 1, worker: 0 }),
        withKey({ 'x-api-key': KEY_A }, { now: t + 1, worker: 1 }),
        withKey({ 'x-api-key': KEY_A }, { now: t + API_KEY_RELOAD_SECONDS, worker: 0 }),
        withKey({ 'x-api-key': KEY_B }, { now: t + API_KEY_RELOAD_SECONDS, worker: 0 }),
      ],
      { workers: 2 },
    );
    expect(res.requests.map((r) => r.localReply?.status ?? 'forwarded')).toEqual(['forwarded', 'forwarded', 401, 401, 'forwarded']);
  });

  test('fails closed with 503 JSON and an error log while the file is missing, and recovers', () => {
    const t = 1_700_000_000;
    const res = run(script, [
      withKey({ 'x-api-key': KEY_A }, { files: { [keyFile]: null }, now: t }),
      withKey({ 'x-api-key': KEY_A }, { now: t + 1 }),
      withKey({ 'x-api-key': KEY_A }, { files: { [keyFile]: `${KEY_A}\n` }, now: t + 2 }),
      withKey({ 'x-api-key': KEY_A }, { now: t + 2 + API_KEY_RELOAD_SECONDS }),
    ]);
    const [first, second, third, fourth] = res.requests;
    for (const r of [first, second, third]) {
      expect(r.request.forwarded).toBe(false);
      expect(r.localReply!.status).toBe(503);
      expect(errorOf(r).type).toBe('auth_unavailable');
    }
    expect(first.logs).toContainEqual(expect.objectContaining({ level: 'error', message: expect.stringContaining('cannot read the API key file') }));
    expect(second.logs).toEqual([]); // not re-read (nor logged) on every request
    expect(fourth.localReply).toBeUndefined();
    expect(fourth.request.forwarded).toBe(true);
  });

  test('never writes a key into a log', () => {
    const res = run(script, [
      withKey({ 'x-api-key': KEY_B }, { files: { [keyFile]: `${KEY_A}\n` }, now: 10 }),
      withKey({ 'x-api-key': KEY_A }, { files: { [keyFile]: '' }, now: 100 }),
      withKey({ 'x-api-key': KEY_A }, { files: { [keyFile]: null }, now: 200 }),
    ]);
    const logged = JSON.stringify(res.requests.map((r) => r.logs)) + JSON.stringify(res.requests.map((r) => r.localReply?.body));
    expect(logged).not.toContain('aaaa');
    expect(logged).not.toContain('bbbb');
  });
});

describe('errors in the script', () => {
  test('fails closed with a JSON 500 when the script itself breaks (never forwards the request)', () => {
    // Sabotage: an `io` that throws, as a broken runtime would.
    const broken = script.replace('local file = io.open(CONFIG.keyFile', 'local file = nil + io.open(CONFIG.keyFile');
    const [r] = run(broken, [withKey({ 'x-api-key': KEY_A }, { files: { [keyFile]: `${KEY_A}\n` } })]).requests;
    expect(r.errors).toBe(0); // caught by the script's own pcall, not Envoy's fail-open
    expect(r.request.forwarded).toBe(false);
    expect(r.localReply!.status).toBe(500);
    expect(errorOf(r).type).toBe('gateway_error');
    expect(r.logs).toContainEqual(expect.objectContaining({ level: 'error', message: expect.stringContaining('request failed') }));
  });
});
