import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { Chart, Testing } from 'cdk8s';
import { parseAllDocuments } from 'yaml';
import { aigate } from './cli';

export const EXAMPLES = join(__dirname, '..', '..', 'examples');

/** Two in-cluster endpoints routed by header, written with the design's shorthand rules. */
export const TWO_ENDPOINTS_SPEC = {
  gatewayClassName: 'envoy',
  endpoints: [
    { name: 'openai-gpt4', serviceRef: { name: 'openai-proxy-service' } },
    { name: 'anthropic-claude3', serviceRef: { name: 'anthropic-proxy-service', namespace: 'models', port: 8080 } },
  ],
  modelRouting: {
    strategy: 'Header' as const,
    rules: [
      { match: 'X-AI-Model: gpt-4', targetEndpoint: 'openai-gpt4' },
      { match: 'X-AI-Model: claude-3', targetEndpoint: 'anthropic-claude3' },
      { defaultTargetEndpoint: 'openai-gpt4' },
    ],
  },
};
export const yamlExamples = () => readdirSync(EXAMPLES).filter((f) => f.endsWith('.yaml'));

export const objectsOf = (text: string): any[] => parseAllDocuments(text).map((d) => d.toJS());
export const byKind = (objects: readonly any[], kind: string): any[] => objects.filter((o) => o.kind === kind);

/** Objects of one chart holding whatever `build` adds (namespace "ai-apps" unless given). */
export function synthChart(build: (chart: Chart) => void, namespace = 'ai-apps'): any[] {
  const chart = new Chart(Testing.app(), 'test', { namespace });
  build(chart);
  return Testing.synth(chart);
}

/** `aigate synth <example>`: the objects it prints (fails the test on a non-zero exit). */
export async function synthExample(file: string): Promise<any[]> {
  const result = await aigate(['synth', join('examples', file)]);
  if (result.code !== 0) throw new Error(`aigate synth examples/${file} exited ${result.code}: ${result.stderr}`);
  return objectsOf(result.stdout);
}

/** Runs examples/app.ts (the cdk8s app behind `npm run synth`) into a temp dir and returns its objects. */
export function synthExampleApp(): any[] {
  const out = mkdtempSync(join(tmpdir(), 'aigate-app-'));
  const previous = process.env.CDK8S_OUTDIR;
  process.env.CDK8S_OUTDIR = out;
  try {
    jest.isolateModules(() => require('../../examples/app'));
    const files = readdirSync(out).filter((f) => f.endsWith('.k8s.yaml'));
    return files.flatMap((f) => objectsOf(readFileSync(join(out, f), 'utf8')));
  } finally {
    if (previous === undefined) delete process.env.CDK8S_OUTDIR;
    else process.env.CDK8S_OUTDIR = previous;
    rmSync(out, { recursive: true, force: true });
  }
}
