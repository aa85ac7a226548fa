import { synthExample, synthExampleApp, yamlExamples } from '../support/synth';
import { podsOf, validateWithEnvoy } from '../support/real-envoy';

/** Every gateway pod among the objects loads in the pinned Envoy (else Envoy's message). */
async function expectPodsLoad(objects: any[]): Promise<void> {
  const pods = podsOf(objects);
  expect(pods.length).toBeGreaterThan(0);
  for (const pod of pods) {
    const result = await validateWithEnvoy(pod);
    if (!result.ok) throw new Error(result.output);
  }
}

describe('envoy --mode validate (the pinned Envoy) on every example', () => {
  it.each(yamlExamples())('%s loads in Envoy', async (file) => {
    await expectPodsLoad(await synthExample(file));
  });

  it('examples/app.ts gateways load in Envoy', async () => {
    await expectPodsLoad(synthExampleApp());
  });
});
