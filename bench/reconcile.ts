import { harness, populate, type Harness } from '../test/support/reconcile-fixtures';
import { fixed, table, verdict } from './stats';

const NS = 'ai';

async function populated(n: number): Promise<Harness> {
  const h = await harness(() => new Date('2025-06-01T10:00:00Z'));
  populate(h.api, n, NS);
  return h;
}

async function timed<T>(fn: () => Promise<T>): Promise<[T, number]> {
  const start = process.hrtime.bigint();
  const value = await fn();
  return [value, Number(process.hrtime.bigint() - start) / 1e6];
}

/** The floor: the same LIST requests as one run makes, sent with plain fetch (no client library, no logic). */
async function floorMs(h: Harness, paths: string[]): Promise<number> {
  const [, ms] = await timed(() => Promise.all(paths.map((p) => fetch(`${h.api.url}${p}`).then((r) => r.text()))));
  return ms;
}

/** Reconcile runs against the emulated API: calls and wall time per run, first run and steady state. */
export async function reconcileBenchmark(sizes = [10, 100, 1000]): Promise<{ markdown: string; passed: boolean }> {
  const rows: (string | number)[][] = [];
  let callsConstant = true;
  let steady1000 = Infinity;
  const listsSeen = new Set<number>();
  for (const n of sizes) {
    const h = await populated(n);
    try {
      const [, firstMs] = await timed(() => h.run());
      const firstLists = h.api.count({ method: 'GET' });
      const firstPatches = h.api.count({ method: 'PATCH' });
      const listPaths = h.api.requests.filter((r) => r.method === 'GET').map((r) => `${r.path}${r.query ? `?${r.query}` : ''}`);
      h.api.resetRequests();
      const [, steadyMs] = await timed(() => h.run());
      const steadyLists = h.api.count({ method: 'GET' });
      const steadyPatches = h.api.count({ method: 'PATCH' });
      await floorMs(h, listPaths); // warm up fetch's connection pool
      const floor = await floorMs(h, listPaths);
      listsSeen.add(firstLists).add(steadyLists);
      callsConstant &&= firstPatches === n && steadyPatches === 0;
      if (n === 1000) steady1000 = steadyMs;
      rows.push([n, `${firstLists} + ${firstPatches}`, fixed(firstMs, 0), `${steadyLists} + ${steadyPatches}`, fixed(steadyMs, 0), fixed(floor, 0), fixed(steadyMs / floor, 1)]);
    } finally {
      await h.close();
    }
  }
  callsConstant &&= listsSeen.size === 1;
  const timeOk = steady1000 <= 2000;
  return {
    markdown: [
      '### Reconcile on the emulated API server (real client over HTTP)',
      '',
      table(['gateways', 'first run: LIST + PATCH', 'first run ms', 'next run: LIST + PATCH', 'next run ms', 'floor ms (same LISTs, plain fetch)', 'next run ÷ floor'], rows),
      '',
      `- LISTs per run independent of the number of gateways, one PATCH per changed gateway: **${verdict(callsConstant)}**`,
      `- a run over 1000 gateways with nothing to change: ${fixed(steady1000, 0)} ms (target ≤ 2000): **${verdict(timeOk)}**`,
      '- the first run patches every gateway; its time is mostly the emulator copying objects per PATCH.',
    ].join('\n'),
    passed: callsConstant && timeOk,
  };
}
