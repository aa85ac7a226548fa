/**
 * `envoy --mode validate` (the pinned Envoy) on every bootstrap the project can produce: the spec
 * catalogue behind the golden converter fixtures, and a pairwise covering matrix of the spec
 * features and construct options (test/support/feature-matrix.ts).
 */
import { allPairs, catalogueGateways, FEATURES, matrixGateways, pairsOf, pairwiseRows, type LabelledGateway } from '../support/feature-matrix';
import { placeholderSecrets, podsOf, validateAll, type ValidateCase } from '../support/real-envoy';

const CONCURRENCY = 3;
let validated = 0;
let failed = 0;

const casesOf = (gateways: readonly LabelledGateway[]): ValidateCase[] =>
  gateways.flatMap(({ label, objects }) => podsOf(objects).map((pod) => ({ label, objects: pod, secrets: placeholderSecrets(pod) })));

/** Validates every case; fails naming each config Envoy refused, with Envoy's message. */
async function expectAllLoad(gateways: readonly LabelledGateway[]): Promise<void> {
  const cases = casesOf(gateways);
  const failures = await validateAll(cases, CONCURRENCY);
  validated += cases.length;
  failed += failures.length;
  if (failures.length > 0) {
    throw new Error(`${failures.length} of ${cases.length} bootstraps refused by Envoy:\n\n${failures.map((f) => `${f.label}:\n${f.output}`).join('\n\n')}`);
  }
}

afterAll(() => {
  console.log(`envoy --mode validate: ${validated} bootstraps, ${failed} failures`);
});

describe('the pairwise feature matrix', () => {
  const rows = pairwiseRows();

  it('is deterministic and turns every feature to every value', () => {
    expect(pairwiseRows()).toEqual(rows);
    for (const factor of FEATURES) expect(new Set(rows.map((r) => r[factor.name]))).toEqual(new Set(factor.values));
  });

  it('covers every pair of values of two features in a few dozen configs', () => {
    const covered = new Set(rows.flatMap((r) => pairsOf(FEATURES, r)));
    expect([...allPairs(FEATURES)].filter((p) => !covered.has(p))).toEqual([]);
    expect(rows.length).toBeGreaterThanOrEqual(25);
    expect(rows.length).toBeLessThanOrEqual(80);
  });
});

describe('envoy --mode validate on every bootstrap the project produces', () => {
  it('every spec of the golden fixtures catalogue (test/support/envoy-specs.ts) loads', async () => {
    await expectAllLoad(catalogueGateways());
  });

  it('every config of the pairwise feature matrix loads', async () => {
    await expectAllLoad(matrixGateways());
  });
});
