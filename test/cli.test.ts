import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { parseAllDocuments } from 'yaml';
import { renderCrdYaml } from '../src/spec';
import { aigate } from './support/cli';
import { expectValidManifests } from './support/k8s-schema';

const SEED = join('examples', 'basic-gateway.yaml');
const docs = (yaml: string) => parseAllDocuments(yaml).map((d) => d.toJS());

let out: string;
beforeEach(() => (out = mkdtempSync(join(tmpdir(), 'aigate-cli-'))));
afterEach(() => rmSync(out, { recursive: true, force: true }));

describe('aigate synth', () => {
  test('writes one manifest file per gateway, with valid objects', async () => {
    const result = await aigate(['synth', SEED, '-o', out]);
    expect(result.code).toBe(0);
    expect(readdirSync(out)).toEqual(['.aigate-synth-files', 'ai-apps.my-llm-gateway.k8s.yaml']);
    const objects = docs(readFileSync(join(out, 'ai-apps.my-llm-gateway.k8s.yaml'), 'utf8'));
    expect(objects.map((o) => o.kind)).toContain('AIGatewayResource');
    expectValidManifests(objects);
  });

  test('prints to stdout without -o, and accepts -f as well as arguments', async () => {
    const a = await aigate(['synth', SEED]);
    const b = await aigate(['synth', '-f', SEED]);
    expect(a.code).toBe(0);
    expect(a.stdout).toBe(b.stdout);
    expect(docs(a.stdout).length).toBeGreaterThanOrEqual(4);
  });

  test('reads a directory and stdin', async () => {
    const stdin = readFileSync(SEED, 'utf8').replace('name: my-llm-gateway', 'name: from-stdin');
    const result = await aigate(['synth', '-f', 'examples', '-', '-o', out], stdin);
    expect(result.code).toBe(0);
    expect(readdirSync(out)).toEqual(expect.arrayContaining(['ai-apps.my-llm-gateway.k8s.yaml', 'ai-apps.from-stdin.k8s.yaml']));
  });

  test('synthesizes every gateway of a multi-document file', async () => {
    const text = readFileSync(SEED, 'utf8');
    const result = await aigate(['synth', '-', '-o', out], `${text}---\n${text.replace('name: my-llm-gateway', 'name: second')}`);
    expect(result.code).toBe(0);
    expect(readdirSync(out).sort()).toEqual(['.aigate-synth-files', 'ai-apps.my-llm-gateway.k8s.yaml', 'ai-apps.second.k8s.yaml']);
  });

  test('fails on the same gateway defined twice', async () => {
    const result = await aigate(['synth', SEED, SEED, '-o', out]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`${SEED}:5:9: metadata.name: gateway "my-llm-gateway" in namespace ai-apps is also defined in ${SEED}`);
    expect(readdirSync(out)).toEqual([]);
  });

  test('fails with exit code 1 on a missing file, 2 on no input', async () => {
    expect(await aigate(['synth', 'nope.yaml'])).toMatchObject({
      code: 1,
      stderr: 'error: nope.yaml: no such file or directory\n1 problem in 1 file; nothing was written\n',
    });
    expect((await aigate(['synth'])).code).toBe(2);
  });

  test('skips documents of other kinds (a GitOps folder), saying how many', async () => {
    const others = 'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: ai-apps\n---\napiVersion: kustomize.config.k8s.io/v1beta1\nresources: [gw.yaml]\n---\n';
    const result = await aigate(['validate', '-'], others + readFileSync(SEED, 'utf8'));
    expect(result.code).toBe(0);
    expect(result.stderr).toContain('note: skipped 2 documents of other kinds (Namespace, kustomize.config.k8s.io/v1beta1 object)');
  });

  test('fails when the input has no AIGatewayResource at all, naming what was skipped', async () => {
    const result = await aigate(['validate', '-'], 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n');
    expect(result).toMatchObject({ code: 1, stderr: 'error: no AIGatewayResource documents in -; skipped 1 document of other kinds (ConfigMap)\n' });
  });

  test('fails on a gateway with the wrong apiVersion or no kind (not skipped)', async () => {
    const seed = readFileSync(SEED, 'utf8');
    const wrongVersion = await aigate(['validate', '-'], seed.replace('gateway.example.com/v1', 'gateway.example.com/v2'));
    expect(wrongVersion.code).toBe(1);
    expect(wrongVersion.stderr).toContain('apiVersion: must be "gateway.example.com/v1", found "gateway.example.com/v2"');
    const noKind = await aigate(['validate', '-'], seed.replace(/^kind: .*$/m, ''));
    expect(noKind.code).toBe(1);
    expect(noKind.stderr).toContain('kind');
  });
});

describe('aigate crd, validate, help, version', () => {
  test('crd prints the committed CRD', async () => {
    const result = await aigate(['crd']);
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(renderCrdYaml());
    expect(await aigate(['crd', '-o', join(out, 'crd.yaml')])).toMatchObject({ code: 0 });
    expect(readFileSync(join(out, 'crd.yaml'), 'utf8')).toBe(renderCrdYaml());
  });

  test('validate exits 0 on valid input and writes nothing to stdout', async () => {
    const result = await aigate(['validate', SEED]);
    expect(result).toMatchObject({ code: 0, stdout: '' });
    expect(result.stderr).toContain('ai-apps/my-llm-gateway is valid');
  });

  test.each([[['--help']], [['synth', '--help']], [['validate', '--help']], [['crd', '--help']], [['init', '--help']], [['explain', '--help']]])('%j prints usage and exits 0', async (args) => {
    const result = await aigate(args);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^Usage: aigate/);
  });

  test('--version prints the package version', async () => {
    const result = await aigate(['--version']);
    expect(result.stdout.trim()).toBe(JSON.parse(readFileSync('package.json', 'utf8')).version);
  });

  test('fails on an unknown command or option with exit code 2', async () => {
    expect((await aigate(['deploy'])).code).toBe(2);
    expect((await aigate(['synth', '--bogus', SEED])).code).toBe(2);
  });

  test('nothing is written to a directory that did not exist when input is invalid', async () => {
    const target = join(out, 'manifests');
    const result = await aigate(['synth', SEED, join('test', 'fixtures', 'invalid', 'wrong-kind.yaml'), '-o', target]);
    expect(result.code).toBe(1);
    expect(existsSync(target)).toBe(false);
  });
});
