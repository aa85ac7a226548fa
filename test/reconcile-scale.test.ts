/**
 * API calls per run do not grow with the number of gateways: a fixed set of LISTs, plus one
 * PATCH per gateway whose status changed (and none when nothing changed).
 */
import { harness, populate, withRollout, type Harness } from './support/reconcile-fixtures';

const NS = 'ai';

async function withGateways(n: number, fn: (h: Harness) => Promise<void>): Promise<void> {
  let now = new Date('2025-06-01T10:00:00Z');
  const h = await harness(() => now);
  try {
    populate(h.api, n, NS);
    await fn(h);
    now = new Date('2025-06-01T10:01:00Z');
  } finally {
    await h.close();
  }
}

const lists = (h: Harness) => h.api.count({ method: 'GET' });
const patches = (h: Harness) => h.api.count({ method: 'PATCH' });

describe.each([10, 100, 1000])('%i gateways', (n) => {
  test('first run: 5 LISTs and one PATCH per gateway; second run: 5 LISTs and no PATCH; one change: one PATCH', async () => {
    await withGateways(n, async (h) => {
      const first = await h.run();
      expect(first.ok).toBe(true);
      expect([lists(h), patches(h)]).toEqual([5, n]);
      expect(first.gateways.filter((g) => g.outcome === 'patched')).toHaveLength(n);
      expect(first.gateways.every((g) => g.status!.conditions[0].status === 'True')).toBe(true);

      h.api.resetRequests();
      const second = await h.run();
      expect(second.gateways.every((g) => g.outcome === 'unchanged')).toBe(true);
      expect([lists(h), patches(h)]).toEqual([5, 0]);

      h.api.resetRequests();
      const one = h.api.get(`deployment/${NS}/gw-0003`)!;
      h.api.put(withRollout(one, { updated: 1, total: 2, available: 1 }));
      const third = await h.run();
      expect(third.gateways.filter((g) => g.outcome === 'patched').map((g) => g.gateway)).toEqual([`${NS}/gw-0003`]);
      expect([lists(h), patches(h)]).toEqual([5, 1]);
    });
  });
});
