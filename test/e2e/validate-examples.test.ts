import { synthExample, synthExampleApp, yamlExamples } from '../support/synth';
import { validateWithEnvoy } from '../support/real-envoy';

/** Splits objects into one group per Deployment (a gateway) with the ConfigMaps it mounts. */
function pods(objects: any[]): any[][] {
  return objects
    .filter((o) => o.kind === 'Deployment' && o.spec.template.spec.containers.some((c: any) => c.name === 'envoy'))
    .map((d) => [d, ...objects.filter((o) => o.kind === 'ConfigMap')]);
}

describe('envoy --mode validate (the pinned Envoy) on every example', () => {
  it.each(yamlExamples())('%s loads in Envoy', async (file) => {
    const objects = await synthExample(file);
    for (const pod of pods(objects)) {
      const result = await validateWithEnvoy(pod);
      if (!result.ok) throw new Error(result.output);
    }
  });

  it('examples/app.ts gateways load in Envoy', async () => {
    for (const pod of pods(synthExampleApp())) {
      const result = await validateWithEnvoy(pod);
      if (!result.ok) throw new Error(result.output);
    }
  });
});
