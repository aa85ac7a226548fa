/**
 * The GitOps health checks the README gives users (docs/health-checks): the Argo CD Lua script
 * under LuaJIT and the Flux CEL expressions under @bufbuild/cel, against statuses that real
 * reconcile runs wrote into the emulated API.
 */
import { execFileSync } from 'child_process';
import { readFileSync } from 'fs';
import { join } from 'path';
import { isCelError, run, type CelInput } from '@bufbuild/cel';
import { parse } from 'yaml';
import type { KubeObject } from './support/kube-api/server';
import { harness, healthy, synthesized, upstream, withRollout, type Harness } from './support/reconcile-fixtures';

const DOCS = join(__dirname, '..', 'docs', 'health-checks');
const LUA_JSON = join(__dirname, 'support', 'lua');
const NS = 'ai';
let haveLuajit = true;
try {
  execFileSync('luajit', ['-v']);
} catch {
  haveLuajit = false;
  console.warn('Argo CD health check tests skipped: luajit is absent (scripts/ensure-luajit.sh installs it)');
}

/** Argo CD runs the script with the object as the global `obj` and takes the table it returns. */
function argocd(obj: KubeObject): { status: string; message: string } {
  const driver = `package.path = ${JSON.stringify(`${LUA_JSON}/?.lua;`)} .. package.path
local json = require('json')
obj = json.decode(io.read('*a'))
local hs = assert(loadfile(${JSON.stringify(join(DOCS, 'argocd.lua'))}))()
io.write(hs.status, '\\n', hs.message)`;
  const [status, message] = execFileSync('luajit', ['-e', driver], { input: JSON.stringify(obj) }).toString().split('\n');
  return { status, message };
}

const flux = parse(readFileSync(join(DOCS, 'flux.yaml'), 'utf8')).spec.healthCheckExprs[0] as { current: string; failed: string };

/** Flux binds the object's top-level fields; an expression that cannot be evaluated (no status yet) keeps it waiting. */
function fluxState(obj: KubeObject): 'current' | 'failed' | 'in progress' {
  const vars = Object.fromEntries(Object.entries(obj)) as Record<string, CelInput>;
  const holds = (expr: string) => {
    const r = run(expr, vars);
    return !isCelError(r) && r === true;
  };
  if (holds(flux.failed)) return 'failed';
  return holds(flux.current) ? 'current' : 'in progress';
}

let h: Harness;
beforeEach(async () => {
  h = await harness();
});
afterEach(async () => {
  await h.close();
});

const gateway = () => h.api.get(`aigate/${NS}/gw`)!;

const healthTest = (name: string, fn: () => Promise<void>) => (haveLuajit ? test(name, fn) : test.skip(`${name} [SKIPPED: luajit is absent]`, fn));

describe('health checks on written statuses', () => {
  healthTest('no status yet: Argo CD Progressing, Flux in progress', async () => {
    h.api.put(synthesized('gw', NS).cr);
    expect(argocd(gateway()).status).toBe('Progressing');
    expect(fluxState(gateway())).toBe('in progress');
  });

  healthTest('ready: Argo CD Healthy, Flux current', async () => {
    healthy(h.api, 'gw', NS);
    await h.run();
    expect(argocd(gateway())).toEqual({ status: 'Healthy', message: 'Available: 2 replicas available and updated (config ' + gateway().metadata!.annotations!['gateway.example.com/config-hash'] + ')' });
    expect(fluxState(gateway())).toBe('current');
  });

  healthTest('rolling out: Argo CD Progressing, Flux in progress', async () => {
    const g = healthy(h.api, 'gw', NS);
    h.api.put(withRollout(g.deployment, { updated: 1, total: 2, available: 1 }));
    await h.run();
    expect(argocd(gateway()).status).toBe('Progressing');
    expect(fluxState(gateway())).toBe('in progress');
  });

  healthTest('an upstream Service without ready endpoints: Argo CD Degraded, Flux failed', async () => {
    healthy(h.api, 'gw', NS);
    for (const o of upstream('openai-proxy', NS, { ready: 0 })) h.api.put(o);
    await h.run();
    expect(argocd(gateway())).toMatchObject({ status: 'Degraded', message: expect.stringContaining('NoReadyEndpoints: endpoint openai') });
    expect(fluxState(gateway())).toBe('failed');
  });

  healthTest('spec edited after the last run: both wait for the job to observe the new generation', async () => {
    healthy(h.api, 'gw', NS);
    await h.run();
    const edited = gateway();
    (edited.spec as any).rateLimiting = { requestsPerMinute: 5 };
    h.api.put(edited);
    expect(gateway().metadata!.generation).toBe(2);
    expect(argocd(gateway()).status).toBe('Progressing');
    expect(fluxState(gateway())).toBe('in progress');
    await h.run(); // now observed: the edit is drift
    expect(argocd(gateway())).toMatchObject({ status: 'Degraded', message: expect.stringContaining('SpecDrift') });
    expect(fluxState(gateway())).toBe('failed');
  });
});
