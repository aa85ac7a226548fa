/**
 * Proves that the Envoy Lua filter emulation (test/support/lua) behaves as
 * /work/shared/envoy-lua-api.md describes, with small fixture scripts under
 * test/fixtures/lua. Runs real LuaJIT; never skipped: without luajit these
 * tests fail with the install command (npm test's pretest installs it).
 */
import * as fs from 'fs';
import * as path from 'path';
import {
  assertLuaJit,
  luaQuote,
  LUAJIT_INSTALL_HINT,
  makeLuaTempDir,
  removeLuaTempDir,
  runLuaScenario,
  LuaScenario,
  LuaRequestResult,
} from './support/lua/run-lua';

const FIXTURES = path.join(__dirname, 'fixtures', 'lua');
const fx = (name: string) => path.join(FIXTURES, name);

function runOne(script: string, req: LuaScenario['requests'][number], config?: LuaScenario['config']): LuaRequestResult {
  return runLuaScenario({ script: fx(script), config, requests: [req] }).requests[0];
}

const POST = (body?: string | string[], headers: Record<string, string> = {}) => ({
  request: { headers: { ':method': 'POST', ':path': '/v1/chat/completions', ...headers }, body },
});

describe('LuaJIT runtime', () => {
  test('luajit is installed (npm test installs it via scripts/ensure-luajit.sh)', () => {
    expect(assertLuaJit()).toMatch(/^LuaJIT 2\.1/);
  });

  test('fails with the install command when luajit is missing', () => {
    const saved = process.env.LUAJIT;
    process.env.LUAJIT = '/nonexistent/bin/luajit';
    try {
      expect(() => runLuaScenario({ script: fx('globals.lua'), requests: [] })).toThrow(LUAJIT_INSTALL_HINT);
    } finally {
      if (saved === undefined) delete process.env.LUAJIT;
      else process.env.LUAJIT = saved;
    }
  });
});

describe('script errors: fail-open', () => {
  test('fails open: an error keeps earlier header changes, forwards the request and still runs envoy_on_response', () => {
    const r = runOne('fail_open.lua', { request: { headers: { ':method': 'GET' } } });
    expect(r.errors).toBe(1);
    expect(r.errorMessages[0]).toMatch(/:6: attempt to index local 'missing' \(a nil value\)$/);
    expect(r.logs).toContainEqual(expect.objectContaining({ level: 'error', kind: 'script-error', phase: 'request' }));
    expect(r.request.forwarded).toBe(true);
    expect(r.request.headers['x-before-error']).toBe('kept');
    expect(r.request.headers['x-after-error']).toBeUndefined();
    expect(r.localReply).toBeUndefined();
    expect(r.response.headers[':status']).toBe('200'); // never a synthesized 500
    expect(r.response.headers['x-response-ran']).toBe('yes');
    expect(r.executions).toBe(2);
  });

  test('fails open after body(): the held headers and the buffered body are forwarded', () => {
    const script = `
      function envoy_on_request(h)
        local b = h:body()
        b:setBytes("rewritten")
        error("boom after setBytes")
      end`;
    const r = runLuaScenario({ script, requests: [POST(['ab', 'cd'], { 'content-length': '4' })] }).requests[0];
    expect(r.errors).toBe(1);
    expect(r.request.forwarded).toBe(true);
    expect(r.request.body).toBe('rewritten');
    expect(r.request.headers['content-length']).toBe('9');
  });

  test('fails closed when the script catches the error with pcall and calls respond()', () => {
    const r = runOne('fail_closed.lua', { request: { headers: { ':method': 'GET' } } });
    expect(r.errors).toBe(0);
    expect(r.request.forwarded).toBe(false);
    expect(r.localReply).toEqual(
      expect.objectContaining({ status: 500, body: '{"error":"internal"}', details: 'lua_response' }),
    );
    expect(r.localReply!.headers['content-type']).toBe('application/json');
    expect(r.localReply!.headers['content-length']).toBe('20');
    expect(r.response.headers[':status']).toBe('500');
    expect(r.response.body).toBe('{"error":"internal"}');
    // the filter's own envoy_on_response also runs on its local reply
    expect(r.response.headers['x-response-ran']).toBe('yes');
    expect(r.logs.find((l) => l.kind === 'script')!.message).toMatch(/^failing closed: .*backend config missing$/);
  });
});

describe('respond()', () => {
  test('respond() ends the script: nothing after it runs', () => {
    const res = runLuaScenario({
      script: fx('respond_ends.lua'),
      requests: [{ request: { headers: {} } }, { request: { headers: { 'x-api-key': 'good' } } }],
    });
    const [denied, allowed] = res.requests;
    expect(denied.localReply).toEqual(expect.objectContaining({ status: 401, body: 'unauthorized' }));
    expect(denied.localReply!.headers).toEqual(
      expect.objectContaining({ 'www-authenticate': 'Bearer', 'content-length': '12', 'content-type': 'text/plain' }),
    );
    expect(denied.request.forwarded).toBe(false);
    expect(denied.logs.map((l) => l.message)).not.toContain('after respond');
    expect(denied.errors).toBe(0);
    // the global incremented after respond() was never touched
    expect(allowed.request.headers['x-after-respond-count']).toBe('0');
    expect(allowed.request.forwarded).toBe(true);
  });

  test('fails when respond() is called on the response path (script error, response passes through)', () => {
    const r = runOne('respond_response_path.lua', { request: {} });
    expect(r.errors).toBe(1);
    expect(r.errorMessages[0]).toMatch(/:4: respond not currently supported in the response path$/);
    expect(r.response.headers[':status']).toBe('200');
    expect(r.response.headers['x-before']).toBe('1');
    expect(r.localReply).toBeUndefined();
  });

  test('fails when respond() gets a :status outside 200-599', () => {
    const script = `function envoy_on_request(h) h:respond({[":status"] = "100"}, "x") end`;
    const r = runLuaScenario({ script, requests: [{ request: {} }] }).requests[0];
    expect(r.errorMessages[0]).toMatch(/:status must be between 200-599$/);
    expect(r.request.forwarded).toBe(true);
  });
});

describe('header object', () => {
  test('lowercases keys, get() joins duplicates with ",", getAtIndex() is 0-based, pairs() iterator rules', () => {
    const r = runOne('headers_api.lua', {
      request: { headers: [['x-multi', 'a'], ['X-Multi', 'b'], ['x-other', 'c']] },
    });
    expect(r.errors).toBe(0);
    const out = Object.fromEntries(r.logs[0].message.split('|').map((kv) => kv.split(/=(.*)/s).slice(0, 2)));
    expect(out).toEqual({
      get: 'a,b',
      n: '2',
      at0: 'a',
      at1: 'b',
      at2: 'nil',
      absent: 'nil/0',
      pairs: 'x-multi=a;x-multi=b;x-other=c;x-added=A;x-added=B',
      locked: 'header map cannot be modified while iterating',
      second: 'cannot create a second iterator before completing the first',
    });
    expect(r.request.headerList.filter(([k]) => k === 'x-added')).toEqual([
      ['x-added', 'A'],
      ['x-added', 'B'],
    ]);
  });

  test('add() on an inline header (content-type) appends to the single entry', () => {
    const script = `function envoy_on_request(h)
      h:headers():add("content-type", "b")
      h:headers():add("x-custom", "b")
      h:logInfo(h:headers():getNumValues("content-type") .. " " .. h:headers():getNumValues("x-custom"))
    end`;
    const r = runLuaScenario({
      script,
      requests: [{ request: { headers: { 'content-type': 'a', 'x-custom': 'a' } } }],
    }).requests[0];
    expect(r.request.headers['content-type']).toBe('a,b');
    expect(r.logs[0].message).toBe('1 2');
  });

  test('a chunked request shows no transfer-encoding (the HTTP/1 codec consumed it, as in Envoy 1.40)', () => {
    const script = `function envoy_on_request(h)
      local te = h:headers():get("transfer-encoding")
      h:logInfo(tostring(te))
      h:body():setBytes("xyz")
    end`;
    const r = runLuaScenario({ script, requests: [{ request: { headers: { ':method': 'POST', 'transfer-encoding': 'chunked' }, body: ['a', 'b'] } }] }).requests[0];
    expect(r.logs[0].message).toBe('nil');
    expect(r.request.headers['transfer-encoding']).toBeUndefined();
    expect(r.request.headers['content-length']).toBe('3');
  });

  test('fails to modify headers once bodyChunks() waited for the first chunk', () => {
    const r = runOne('body_chunks.lua', POST(['abc', 'def'], { 'content-length': '6' }));
    expect(r.errors).toBe(1);
    expect(r.errorMessages[0]).toMatch(/:9: header map can no longer be modified$/);
    expect(r.request.headers['x-before-chunks']).toBe('ok');
    expect(r.request.headers['x-in-loop']).toBeUndefined();
    // first chunk rewritten before the error, the rest streamed unchanged
    expect(r.request.chunks).toEqual(['ABC', 'def']);
  });
});

describe('body', () => {
  test('body() returns the whole body; nil for a headers-only request', () => {
    const res = runLuaScenario({
      script: fx('body_whole.lua'),
      requests: [
        { ...POST(['ab', 'cd']), response: { body: ['x', 'yz'] } },
        { request: { headers: { ':method': 'GET' } } },
      ],
    });
    const [withBody, headersOnly] = res.requests;
    expect(withBody.request.headers['x-body-length']).toBe('4');
    expect(withBody.request.headers['x-body-text']).toBe('abcd');
    expect(withBody.request.chunks).toEqual(['abcd']); // buffered, passed on as one
    expect(withBody.response.headers['x-response-body-length']).toBe('3');
    expect(headersOnly.request.headers['x-body']).toBe('nil');
    expect(headersOnly.response.headers['x-response-body-length']).toBe('nil');
  });

  test('fails with 413 when the request body buffered by body() exceeds the buffer limit', () => {
    const r = runOne('body_whole.lua', POST(['0123456789', '0123456789', '0123456789']), { bufferLimitBytes: 20 });
    expect(r.request.forwarded).toBe(false);
    expect(r.localReply).toEqual(
      expect.objectContaining({ status: 413, body: 'Payload Too Large', details: 'request_payload_too_large' }),
    );
    expect(r.request.headers['x-body-length']).toBeUndefined(); // the coroutine never got its body
    expect(r.response.headers[':status']).toBe('413');
    expect(r.response.headers['x-response-body-length']).toBe('17'); // envoy_on_response ran on the 413
  });

  test('fails with 500 when the response body buffered by body() exceeds the buffer limit', () => {
    const r = runOne('body_whole.lua', { request: {}, response: { body: 'x'.repeat(30) } }, { bufferLimitBytes: 20 });
    expect(r.request.forwarded).toBe(true);
    expect(r.response.headers[':status']).toBe('500');
    expect(r.response.body).toBe('Internal Server Error');
    expect(r.response.details).toBe('response_payload_too_large');
    expect(r.response.headers['x-response-body-length']).toBeUndefined();
  });

  test('a body exactly at the limit is accepted', () => {
    const r = runOne('body_whole.lua', POST('x'.repeat(20)), { bufferLimitBytes: 20 });
    expect(r.request.headers['x-body-length']).toBe('20');
  });

  test('setBytes() replaces the body, sets content-length and returns the new length', () => {
    const r = runOne('set_bytes.lua', POST('abcd', { 'content-length': '4' }));
    const body = '{"model":"rewritten","stream":false}';
    expect(r.request.body).toBe(body);
    expect(r.request.headers['content-length']).toBe(String(body.length));
    expect(r.request.headers['x-set-bytes-returned']).toBe(String(body.length));
    expect(r.warnings).toEqual([]);
  });

  test('bodyChunks() sees every frame without buffering (SSE response)', () => {
    const frames = ['data: {"a":1}\n\n', 'data: {"b":2}\n\n', 'data: [DONE]\n\n'];
    const r = runOne('body_chunks_count.lua', {
      request: {},
      response: { headers: { 'content-type': 'text/event-stream' }, body: frames },
    });
    expect(r.response.chunks).toEqual(frames);
    expect(r.dynamicMetadata.test.stream).toEqual({ chunks: 3, bytes: frames.join('').length });
  });
});

describe('dynamic metadata', () => {
  test('set() merges per namespace; lists are 1-based, holes are null, {} is an empty struct', () => {
    const r = runOne('dynamic_metadata.lua', { request: {} });
    expect(r.errors).toBe(0);
    expect(r.dynamicMetadata).toEqual({
      'envoy.filters.http.lua': {
        'request.info': { status: '200' }, // same key replaced on the response path
        list: ['a', 'b', 'c'],
        holes: ['x', null, 'z'],
        empty: {},
        flag: true,
        nothing: null,
      },
      'other.ns': { n: 1.5 },
    });
    const h = r.response.headers;
    expect(h['x-list-second']).toBe('b');
    expect(h['x-list-len']).toBe('3');
    expect(h['x-empty-type']).toBe('table');
    expect(h['x-missing-ns']).toBe('nil');
    expect(h['x-namespaces']).toBe('envoy.filters.http.lua other.ns');
  });

  test('fails to store mixed tables or functions in dynamic metadata', () => {
    const h = runOne('dynamic_metadata.lua', { request: {} }).response.headers;
    expect(h['x-mixed-table-error']).toMatch(/unexpected type number in table key \(only string keys are supported\)$/);
    expect(h['x-function-error']).toMatch(/unexpected type 'function' in dynamicMetadata$/);
  });
});

describe('route cache', () => {
  test('request header changes clear the route cache; clearRouteCache() clears it; the response path never does', () => {
    const res = runLuaScenario({
      script: fx('route_cache.lua'),
      requests: [
        { request: { headers: { 'x-model': 'gpt' } } },
        { request: { headers: {} } },
        { request: { headers: { 'x-explicit-clear': '1' } } },
      ],
    });
    expect(res.requests.map((r) => r.request.routeCacheClears)).toEqual([1, 0, 1]);
    expect(res.requests[0].response.headers['x-response']).toBe('1');
  });

  test('clear_route_cache: false keeps the route picked before the script ran unless clearRouteCache() is called', () => {
    const routes = [
      { name: 'gpt', match: { headers: [{ name: 'x-route-to', exact: 'gpt' }] } },
      { name: 'fallback', match: { prefix: '/' } },
    ];
    const requests = [
      { request: { headers: { 'x-model': 'gpt' } } },
      { request: { headers: { 'x-model': 'gpt', 'x-explicit-clear': '1' } } },
    ];
    const off = runLuaScenario({ script: fx('route_cache.lua'), config: { clear_route_cache: false, routes }, requests });
    expect(off.requests.map((r) => [r.request.routeCacheClears, r.request.route])).toEqual([
      [0, 'fallback'],
      [1, 'gpt'],
    ]);
    const on = runLuaScenario({ script: fx('route_cache.lua'), config: { routes }, requests });
    expect(on.requests.map((r) => r.request.route)).toEqual(['gpt', 'gpt']);
  });
});

describe('worker VMs and globals', () => {
  test('globals persist across requests on a worker but not across workers; top-level code runs in every VM', () => {
    const res = runLuaScenario({
      script: fx('globals.lua'),
      workers: 2,
      requests: [{ request: {} }, { request: {} }, { request: {} }, { request: {}, worker: 0 }],
    });
    expect(res.vmLoads).toBe(3); // validation VM + 2 workers
    expect(res.requests.map((r) => [r.worker, r.request.headers['x-requests-seen']])).toEqual([
      [0, '1'],
      [1, '1'],
      [0, '2'],
      [0, '3'],
    ]);
    expect(res.requests.every((r) => r.request.headers['x-loads'] === '1')).toBe(true);
  });

  test('another request on the same worker can change globals while a script waits in body()', () => {
    const requests = [
      { request: { headers: { 'x-id': 'A' }, body: ['1', '2'] } },
      { request: { headers: { 'x-id': 'B' }, body: ['1', '2'] } },
    ];
    const interleaved = runLuaScenario({
      script: fx('shared_global_across_yield.lua'),
      config: { order: 'interleaved' },
      requests,
    });
    expect(interleaved.requests[0].request.headers['x-id-after-body']).toBe('B');
    const sequential = runLuaScenario({ script: fx('shared_global_across_yield.lua'), requests });
    expect(sequential.requests[0].request.headers['x-id-after-body']).toBe('A');
  });
});

describe('wrapper lifetime and yields', () => {
  test('fails when a wrapper fetched before a yield is used after it', () => {
    const r = runOne('dead_wrapper.lua', POST('x'));
    expect(r.errors).toBe(1);
    expect(r.errorMessages[0]).toMatch(/:7: object used outside of proper scope$/);
    expect(r.request.headers['x-before-yield']).toBe('1');
    expect(r.request.headers['x-after-yield']).toBeUndefined();
    expect(r.request.body).toBe('x');
  });

  test('fails when a handle saved in a global is used by a later request', () => {
    const res = runLuaScenario({ script: fx('dead_handle.lua'), requests: [{ request: {} }, { request: {} }] });
    const second = res.requests[1];
    expect(second.errors).toBe(1);
    expect(second.errorMessages[0]).toMatch(/:5: object used outside of proper scope$/);
    expect(second.request.headers['x-saved']).toBe('1');
  });

  test('fails on a coroutine.yield() by the script itself', () => {
    const r = runOne('unexpected_yield.lua', { request: {} });
    expect(r.errors).toBe(1);
    expect(r.errorMessages).toEqual(['script performed an unexpected yield']);
    expect(r.request.headers['x-before-yield']).toBe('1');
    expect(r.request.headers['x-after-yield']).toBeUndefined();
    expect(r.request.forwarded).toBe(true);
  });
});

describe('versions, clock, files, httpCall, load errors', () => {
  test('methods newer than the target Envoy version are absent', () => {
    const present = (envoyVersion?: string) =>
      runOne('version_gate.lua', { request: {} }, envoyVersion ? { envoyVersion } : undefined).logs[0].message;
    expect(present()).toBe('clearRouteCache,getAtIndex,timestampString'); // default target 1.34
    expect(present('1.33')).toBe('getAtIndex');
    expect(present('1.35')).toBe('clearRouteCache,filterContext,getAtIndex,timestampString');
    expect(present('main')).toBe('clearRouteCache,filterContext,base64Decode,stats,getAtIndex,timestampString');
  });

  test('fails when a script calls a method its Envoy version lacks', () => {
    const script = `function envoy_on_request(h) h:base64Decode("eA==") end`;
    const r = runLuaScenario({ script, requests: [{ request: {} }] }).requests[0];
    expect(r.errorMessages[0]).toMatch(/attempt to call method 'base64Decode' \(a nil value\)/);
  });

  test('the injected clock drives os.time(), handle:timestamp() and timestampString()', () => {
    const res = runLuaScenario({
      script: fx('clock.lua'),
      requests: [
        { request: {}, now: 1_700_000_000.5 },
        { request: {}, now: 1_700_000_030 },
        { request: {}, now: 1_700_000_061 },
      ],
    });
    const h = res.requests.map((r) => r.request.headers);
    expect(h.map((x) => x['x-cache'])).toEqual(['miss', 'hit', 'miss']);
    expect(h[0]['x-now']).toBe('1700000000');
    expect(h[0]['x-ts']).toBe('1700000000500');
    expect(h[0]['x-ts-us']).toBe('1700000000500000');
  });

  test('files written per request are read with io.open (API key file rotation)', () => {
    const dir = makeLuaTempDir();
    try {
      const keys = path.join(dir, 'keys');
      const script = fs.readFileSync(fx('api_keys.lua'), 'utf8').replace('"@KEYS_FILE@"', luaQuote(keys));
      const res = runLuaScenario({
        script,
        requests: [
          { files: { [keys]: 'k1\n' }, now: 1000, request: { headers: { 'x-api-key': 'k1' } } },
          { files: { [keys]: 'k2\n' }, now: 1005, request: { headers: { 'x-api-key': 'k2' } } }, // cached
          { now: 1011, request: { headers: { 'x-api-key': 'k2' } } }, // re-read after the TTL
          { now: 1012, request: { headers: { 'x-api-key': 'k1' } } },
        ],
      });
      expect(res.requests.map((r) => r.localReply?.status ?? 'forwarded')).toEqual(['forwarded', 401, 'forwarded', 401]);
    } finally {
      removeLuaTempDir(dir);
    }
  });

  test('httpCall() returns the canned response; an upstream failure is a 503 "upstream failure", not an error', () => {
    const res = runLuaScenario({
      script: fx('http_call.lua'),
      config: {
        clusters: { authz: [{ headers: { ':status': '200' }, body: 'allowed' }, { fail: true }], audit: {} },
      },
      requests: [{ request: {} }, { request: {} }],
    });
    const [ok, failed] = res.requests;
    expect(ok.request.headers['x-authz-status']).toBe('200');
    expect(ok.request.headers['x-authz-body']).toBe('allowed');
    expect(ok.httpCalls.map((c) => [c.cluster, c.asynchronous, c.body])).toEqual([
      ['authz', false, 'who=me'],
      ['audit', true, 'seen'],
    ]);
    expect(ok.httpCalls[0].headers['content-length']).toBe('6');
    expect(failed.errors).toBe(0);
    expect(failed.request.headers['x-authz-status']).toBe('503');
    expect(failed.request.headers['x-authz-body']).toBe('upstream failure');
  });

  test('fails the load when top-level code errors (Envoy rejects the config)', () => {
    const res = runLuaScenario({ script: fx('load_error.lua'), requests: [{ request: {} }], allowLoadError: true });
    expect(res.loadError).toMatch(/^script load error: .*:3: attempt to index local 'config' \(a nil value\)$/);
    expect(res.requests).toEqual([]);
    expect(() => runLuaScenario({ script: fx('load_error.lua'), requests: [] })).toThrow(/script load error/);
  });
});

describe('more of the handle API', () => {
  test('trailers(): nil without trailers; writable when they arrive', () => {
    const res = runLuaScenario({
      script: fx('trailers.lua'),
      requests: [
        {
          request: { headers: { ':method': 'POST' }, body: 'abc', trailers: { 'x-checksum': 'c1' } },
          response: { body: ['a', 'b'], trailers: { 'grpc-status': '0', 'grpc-message': 'orig' } },
        },
        { request: { headers: { ':method': 'POST' }, body: 'abc' } },
      ],
    });
    const [withT, withoutT] = res.requests;
    expect(withT.request.trailers).toEqual({ 'x-checksum': 'c1', 'x-trailer-seen': 'c1' });
    expect(withT.request.body).toBe('abc');
    expect(withT.response.trailers).toEqual({ 'grpc-status': '0', 'grpc-message': 'rewritten' });
    expect(withoutT.request.headers['x-no-trailers']).toBe('1');
    expect(withoutT.request.trailers).toBeNull();
  });

  test('metadata(): route metadata of the filter namespace, lists 1-based', () => {
    const r = runOne('route_metadata.lua', {
      request: {},
      routeMetadata: { 'envoy.filters.http.lua': { models: ['gpt-4o', 'o3'], budget: 12.5, nested: { a: null } } },
    });
    expect(r.request.headers).toEqual(
      expect.objectContaining({ 'x-first-model': 'gpt-4o', 'x-model-count': '2', 'x-budget': '12.5', 'x-keys': 'budget,models,nested' }),
    );
    const none = runOne('route_metadata.lua', { request: {} });
    expect(none.request.headers['x-first-model']).toBe('none');
  });

  test('fails when log*() gets a non-string; numbers are converted', () => {
    const script = `function envoy_on_request(h)
      h:logWarn(42)
      h:logDebug(nil)
    end`;
    const r = runLuaScenario({ script, requests: [{ request: {} }] }).requests[0];
    expect(r.logs[0]).toEqual(expect.objectContaining({ level: 'warn', message: '42', kind: 'script' }));
    expect(r.errorMessages[0]).toMatch(/:3: bad argument #1 to 'logDebug' \(string expected, got nil\)$/);
  });

  test('fails when respond() is called after the headers were continued', () => {
    const script = `function envoy_on_request(h)
      for chunk in h:bodyChunks() do
        h:respond({[":status"] = "403"}, "too late")
      end
    end`;
    const r = runLuaScenario({ script, requests: [POST(['a', 'b'])] }).requests[0];
    expect(r.errorMessages[0]).toMatch(/:3: respond\(\) cannot be called if headers have been continued$/);
    expect(r.localReply).toBeUndefined();
    expect(r.request.body).toBe('ab');
  });

  test('base64Escape(), streamInfo() getters and print() capture', () => {
    const script = `function envoy_on_request(h)
      local si = h:streamInfo()
      print("proto", si:protocol())
      h:headers():add("x-b64", h:base64Escape("hi\\0there"))
      h:headers():add("x-remote", si:downstreamRemoteAddress())
      h:headers():add("x-ssl", tostring(si:downstreamSslConnection() ~= nil))
      h:headers():add("x-sni", si:requestedServerName())
    end`;
    const r = runLuaScenario({
      script,
      requests: [{ request: {}, streamInfo: { protocol: 'HTTP/2', downstreamRemoteAddress: '192.0.2.7:4242', requestedServerName: 'api.example.com' } }],
    }).requests[0];
    expect(r.request.headers).toEqual(
      expect.objectContaining({ 'x-b64': 'aGkAdGhlcmU=', 'x-remote': '192.0.2.7:4242', 'x-ssl': 'false', 'x-sni': 'api.example.com' }),
    );
    expect(r.logs[0]).toEqual(expect.objectContaining({ kind: 'print', message: 'proto\tHTTP/2' }));
  });

  test('fails when getBytes() reads outside the buffer (0-based index, index + length <= size)', () => {
    const script = `function envoy_on_request(h)
      local b = h:body()
      h:logInfo(b:getBytes(0, 3) .. "|" .. b:getBytes(1, 2) .. "|" .. b:getBytes(3, 0) .. "|")
      b:getBytes(2, 2)
    end`;
    const r = runLuaScenario({ script, requests: [POST('abc')] }).requests[0];
    expect(r.logs[0].message).toBe('abc|bc||');
    expect(r.errorMessages[0]).toMatch(/:4: index\/length must be >= 0 and \(index \+ length\) must be <= buffer size$/);
  });

  test('UTF-8 bodies (including surrogate pairs) round-trip through the harness unchanged', () => {
    const body = '{"messages":[{"role":"user","content":"héllo 😀 \\u0000 ✓"}]}';
    const script = `function envoy_on_request(h)
      local b = h:body()
      local s = b:getBytes(0, b:length())
      b:setBytes(s)
      h:headers():add("x-len", #s)
    end`;
    const r = runLuaScenario({ script, requests: [POST(body)] }).requests[0];
    expect(r.request.body).toBe(body);
    expect(r.request.headers['x-len']).toBe(String(Buffer.byteLength(body)));
  });
});
