import { readFileSync } from 'fs';
import { join } from 'path';
import { parseAllDocuments } from 'yaml';
import { aigate } from './support/cli';
import { expectValidManifests } from './support/k8s-schema';
import { assertValidEnvoyConfig } from './support/envoy';
import { EXAMPLES, objectsOf, synthExampleApp, yamlExamples as listYamlExamples } from './support/synth';
import { renderGateway } from '../src/constructs';

const yamlExamples = listYamlExamples();

describe('examples', () => {
  test.each(yamlExamples)('%s synthesizes into valid Kubernetes objects (custom resource included)', async (file) => {
    const result = await aigate(['synth', join('examples', file)]);
    expect(result.code).toBe(0);
    const objects = objectsOf(result.stdout);
    expect(objects.filter((o) => o.kind === 'AIGatewayResource')).not.toHaveLength(0);
    expectValidManifests(objects);
  });

  test.each(yamlExamples)('%s generates an Envoy bootstrap that passes the strict proto and semantic checks', (file) => {
    for (const doc of parseAllDocuments(readFileSync(join(EXAMPLES, file), 'utf8'))) {
      const { metadata, spec } = doc.toJS();
      const { gateway } = renderGateway({ metadata, spec });
      assertValidEnvoyConfig(gateway.envoy.bootstrap, { files: gateway.envoy.files });
    }
  });

  test('the seed example keeps the design\'s shorthand and works as written', () => {
    const text = readFileSync(join(EXAMPLES, 'basic-gateway.yaml'), 'utf8');
    expect(text).toContain('- match: "X-AI-Model: gpt-4"');
    expect(text).toContain('- defaultTargetEndpoint: openai-gpt4');
  });

  test('examples/app.ts (the cdk8s app behind `npm run synth`) synthesizes two gateways of one chart into valid objects', () => {
    const objects = synthExampleApp();
    expect(objects.filter((o) => o.kind === 'AIGatewayResource').map((o) => o.metadata.name).sort()).toEqual(['team-batch', 'team-llm']);
    expectValidManifests(objects);
    // Two gateways in one chart: no object may take another's name.
    const ids = objects.map((o) => `${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name}`);
    expect(ids.filter((id, i) => ids.indexOf(id) !== i)).toEqual([]);
  });
});
