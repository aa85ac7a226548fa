/**
 * Hostile or broken YAML never crashes the CLI (exit 70 with a stack trace): every case is exit 1
 * with file:line:col and a sentence, for synth, validate and explain alike. The generated corpus
 * runs a few hundred cases per class as a property test.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { aigate } from '../support/cli';
import { YAML_LIMITS } from '../../src/cli/yaml-guard';

const SEED = join(__dirname, '..', '..', 'examples', 'basic-gateway.yaml');
const seed = readFileSync(SEED, 'utf8');
let dir: string;
beforeAll(() => (dir = mkdtempSync(join(tmpdir(), 'aigate-hostile-'))));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function write(name: string, text: string): string {
  const file = join(dir, name);
  writeFileSync(file, text);
  return file;
}

/** Deterministic pseudo-random numbers (the corpus is the same on every run). */
function rng(seedValue: number): () => number {
  let x = seedValue >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 2 ** 32;
  };
}

const aliasesYaml = (n: number) => `${seed}\nextra:\n  base: &a v\n${Array.from({ length: n }, (_, i) => `  k${i}: *a\n`).join('')}`;
const bombYaml = (width: number, levels: number) => {
  let text = `a0: &a0 [${Array(width).fill('x').join(',')}]\n`;
  for (let i = 1; i <= levels; i++) text += `a${i}: &a${i} [${Array(width).fill(`*a${i - 1}`).join(',')}]\n`;
  return text;
};
const nestedFlow = (depth: number) => `apiVersion: gateway.example.com/v1\nkind: AIGatewayResource\nspec: ${'['.repeat(depth)}${']'.repeat(depth)}\n`;
const nestedBlock = (depth: number) =>
  `apiVersion: gateway.example.com/v1\nkind: AIGatewayResource\nspec:\n${Array.from({ length: depth }, (_, i) => `${'  '.repeat(i + 1)}k${i}:\n`).join('')}${'  '.repeat(depth + 1)}v\n`;

/** Asserts the CLI's answer to a bad file: exit 1, "error: <file>:<line>:<col>: <sentence>", no stack. */
function expectRefused(result: { code: number; stderr: string }, file: string, message: RegExp): void {
  expect(result.code).toBe(1);
  expect(result.stderr).toMatch(new RegExp(`^error: ${file.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}:\\d+:\\d+: `));
  expect(result.stderr).toMatch(message);
  expect(result.stderr).not.toMatch(/internal error|\n\s+at /);
}

describe('hostile YAML', () => {
  const commands = [['validate'], ['synth'], ['explain']];

  it.each(commands)('fails on more than %s\'s alias limit with the position of the alias (%s)', async (command) => {
    const file = write(`aliases-${command}.yaml`, aliasesYaml(YAML_LIMITS.maxAliases + 1));
    expectRefused(await aigate([command, file]), file, /more than 100 YAML aliases in one document/);
  });

  it.each(commands)('fails on an alias bomb (%s)', async (command) => {
    const file = write(`bomb-${command}.yaml`, bombYaml(9, 9));
    expectRefused(await aigate([command, file]), file, /alias bomb/);
  });

  it.each(commands)('fails on an alias to no anchor (%s)', async (command) => {
    const file = write(`undefined-${command}.yaml`, seed.replace('name: my-llm-gateway', 'name: *nope'));
    expectRefused(await aigate([command, file]), file, /YAML alias \*nope refers to no anchor &nope defined before it/);
  });

  it.each(commands)('fails on 3,000 levels of nesting, flow and block style (%s)', async (command) => {
    for (const [name, text] of [['flow', nestedFlow(3000)], ['block', nestedBlock(3000)]]) {
      const file = write(`deep-${name}-${command}.yaml`, text);
      expectRefused(await aigate([command, file]), file, /nested (too deeply|deeper than 64 levels)/);
    }
  });

  it('fails on nesting just over the limit, and accepts the seed example (about 8 levels)', async () => {
    const file = write('deep-65.yaml', nestedFlow(YAML_LIMITS.maxDepth + 1));
    expectRefused(await aigate(['validate', file]), file, /YAML nested deeper than 64 levels/);
    expect((await aigate(['validate', SEED])).code).toBe(0);
  });

  it('accepts anchors and a few aliases within the limits', async () => {
    const file = write('few-anchors.yaml', seed.replace('name: my-api-keys', 'name: &keys my-api-keys').replace('targetEndpoint: "openai-gpt4"', 'targetEndpoint: &primary "openai-gpt4"'));
    const result = await aigate(['validate', file]);
    expect(result).toMatchObject({ code: 0, stderr: expect.stringContaining('is valid') });
  });

  it('fuzz: a few hundred generated alias, bomb and nesting cases never crash', async () => {
    const next = rng(20261202);
    let cases = 0;
    for (let i = 0; i < 300; i++) {
      const kind = i % 3;
      const text =
        kind === 0 ? aliasesYaml(Math.floor(next() * 250)) : kind === 1 ? bombYaml(2 + Math.floor(next() * 8), 1 + Math.floor(next() * 8)) : next() < 0.5 ? nestedFlow(Math.floor(next() * 1500)) : nestedBlock(Math.floor(next() * 400));
      const file = write(`fuzz-${i}.yaml`, text);
      const result = await aigate(['validate', file]);
      expect([0, 1]).toContain(result.code);
      expect(result.stderr).not.toMatch(/internal error|\n\s+at /);
      if (result.code === 1) expect(result.stderr).toMatch(/^error: .+?(:\d+:\d+)?: \S/);
      cases++;
    }
    expect(cases).toBe(300);
  });
});

describe('output and input paths', () => {
  it('fails when synth -o names an existing file, or a path under one', async () => {
    const file = write('not-a-dir', 'x');
    expect(await aigate(['synth', SEED, '-o', file])).toMatchObject({ code: 1, stderr: `error: -o ${file}: exists and is not a directory; give a directory for the manifests\n` });
    expect(await aigate(['synth', SEED, '-o', join(file, 'sub')])).toMatchObject({ code: 1, stderr: `error: -o ${join(file, 'sub')}: cannot create the directory (ENOTDIR)\n` });
  });

  it('fails on a missing file but still checks the other inputs', async () => {
    const bad = write('bad.yaml', seed.replace('requestsPerMinute: 1000', 'requestsPerMinute: "1000"'));
    const result = await aigate(['validate', 'nope.yaml', bad]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('error: nope.yaml: no such file or directory\n');
    expect(result.stderr).toContain(`${bad}:`);
    expect(result.stderr).toContain('2 problems in 2 files; nothing was written');
  });
});

describe('synth -o owns only what it wrote', () => {
  it('--prune deletes the manifest of a gateway removed from the input, and nothing else', async () => {
    const out = join(dir, 'gitops');
    const second = write('second.yaml', seed.replace('name: my-llm-gateway', 'name: second-gateway'));
    expect((await aigate(['synth', SEED, second, '-o', out])).code).toBe(0);
    writeFileSync(join(out, 'kustomization.yaml'), 'resources: []\n');
    const files = () => readdirSync(out).sort();
    expect(files()).toEqual(['.aigate-synth-files', 'ai-apps.my-llm-gateway.k8s.yaml', 'ai-apps.second-gateway.k8s.yaml', 'kustomization.yaml']);
    // Without --prune the stale file stays (and stays recorded).
    expect((await aigate(['synth', SEED, '-o', out])).code).toBe(0);
    expect(files()).toContain('ai-apps.second-gateway.k8s.yaml');
    const pruned = await aigate(['synth', SEED, '-o', out, '--prune']);
    expect(pruned.code).toBe(0);
    expect(pruned.stderr).toContain(`deleted ${join(out, 'ai-apps.second-gateway.k8s.yaml')} (no longer generated)`);
    expect(files()).toEqual(['.aigate-synth-files', 'ai-apps.my-llm-gateway.k8s.yaml', 'kustomization.yaml']);
  });

  it('fails on a record it did not write, and never deletes outside the directory', async () => {
    const out = join(dir, 'gitops-bad');
    expect((await aigate(['synth', SEED, '-o', out])).code).toBe(0);
    const record = readFileSync(join(out, '.aigate-synth-files'), 'utf8');
    writeFileSync(join(out, '.aigate-synth-files'), `${record}../victim.k8s.yaml\n/tmp/victim.k8s.yaml\n`);
    const victim = write('victim.k8s.yaml', 'keep me');
    expect((await aigate(['synth', SEED, '-o', out, '--prune'])).code).toBe(0);
    expect(readFileSync(victim, 'utf8')).toBe('keep me');
    writeFileSync(join(out, '.aigate-synth-files'), 'some other file\n');
    expect(await aigate(['synth', SEED, '-o', out, '--prune'])).toMatchObject({ code: 1, stderr: expect.stringContaining('.aigate-synth-files: not a record aigate wrote') });
  });
});
