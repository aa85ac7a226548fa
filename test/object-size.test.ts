/**
 * Every generated object can be applied the usual way: client-side `kubectl apply` (and Argo CD's
 * default sync) copies the whole object into its `kubectl.kubernetes.io/last-applied-configuration`
 * annotation, and the API server allows 262,144 bytes for all of an object's annotations. So each
 * object's JSON must stay under 256 KiB: every example, every catalogue and matrix gateway, the
 * reconcile job.
 */
import { renderReconcileJob } from '../src/constructs';
import { catalogueGateways, matrixGateways } from './support/feature-matrix';
import { synthExample, synthExampleApp, yamlExamples } from './support/synth';

const ANNOTATIONS_LIMIT = 262144;
const LAST_APPLIED = 'kubectl.kubernetes.io/last-applied-configuration';

/** The objects whose last-applied annotation would not fit, as "Kind/name: bytes". */
function tooBig(objects: readonly any[]): string[] {
  return objects
    .map((o) => ({ id: `${o.kind}/${o.metadata?.name}`, bytes: LAST_APPLIED.length + Buffer.byteLength(JSON.stringify(o)) }))
    .filter((o) => o.bytes >= ANNOTATIONS_LIMIT)
    .map((o) => `${o.id}: ${o.bytes} bytes`);
}

describe('every generated object fits in the last-applied-configuration annotation', () => {
  test.each(yamlExamples())('examples/%s', async (file) => {
    const objects = await synthExample(file);
    expect(objects.length).toBeGreaterThan(0);
    expect(tooBig(objects)).toEqual([]);
  });

  test('examples/app.ts', () => {
    expect(tooBig(synthExampleApp())).toEqual([]);
  });

  test('the catalogue specs and the pairwise feature matrix', () => {
    const gateways = [...catalogueGateways(), ...matrixGateways()];
    expect(gateways.filter((g) => tooBig(g.objects).length > 0).map((g) => `${g.label}: ${tooBig(g.objects).join(', ')}`)).toEqual([]);
  });

  test('the reconcile job (its ConfigMap carries the bundled script), with room to spare', () => {
    const { objects } = renderReconcileJob('ai');
    expect(tooBig(objects as any[])).toEqual([]);
    const configMap = (objects as any[]).find((o) => o.kind === 'ConfigMap');
    // With @kubernetes/client-node bundled, the gzipped bundle alone was 388,636 base64 characters; "well under" is under 200 KiB.
    expect(Buffer.byteLength(JSON.stringify(configMap))).toBeLessThan(200 * 1024);
  });
});
