import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { parseAllDocuments } from 'yaml';
import { secretKind } from '../src/spec';
import { STARTER_PROVIDERS } from '../src/cli/starter';
import { aigate } from './support/cli';
import { expectValidManifests } from './support/k8s-schema';

let dir: string;
beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'aigate-init-'))));
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('aigate init', () => {
  test.each(STARTER_PROVIDERS)('--provider %s writes a starter that synthesizes into valid manifests', async (provider) => {
    const file = join(dir, 'gateway.yaml');
    const init = await aigate(['init', '--provider', provider, '-o', file]);
    expect(init).toMatchObject({ code: 0, stdout: '' });
    const synth = await aigate(['synth', file]);
    expect(synth.code).toBe(0);
    const objects = parseAllDocuments(synth.stdout).map((d) => d.toJS());
    expect(objects.map((o) => o.kind)).toEqual(expect.arrayContaining(['AIGatewayResource', 'ConfigMap', 'Deployment', 'Service']));
    expectValidManifests(objects);
    expect((await aigate(['explain', file])).code).toBe(0);
  });

  test.each(STARTER_PROVIDERS)('--provider %s holds no secret value, names its Secrets and says how to create them', async (provider) => {
    const { stdout } = await aigate(['init', '--provider', provider]);
    for (const line of stdout.split('\n')) expect({ line, secret: secretKind(line) }).toEqual({ line, secret: undefined });
    const spec = parseAllDocuments(stdout)[0].toJS().spec;
    const secrets = [spec.authentication.apiKeyRef.name, ...spec.endpoints.flatMap((e: any) => (e.credentialsRef ? [e.credentialsRef.name] : []))];
    for (const name of secrets) expect(stdout).toMatch(new RegExp(`^#.*kubectl -n ai-apps create secret generic ${name} --from-`, 'm'));
    // Values come from the environment or a file, never from the command line text itself.
    expect(stdout).not.toMatch(/--from-literal=[\w-]+=(?!"\$)/);
  });

  test('is commented: every section says what it does', async () => {
    const { stdout } = await aigate(['init']);
    const comments = stdout.split('\n').filter((l) => l.includes('#')).length;
    expect(comments).toBeGreaterThan(20);
    expect(stdout).toContain('aigate explain gateway.yaml');
  });

  test('--name and --namespace name the gateway and its Secrets', async () => {
    const { stdout } = await aigate(['init', '--provider', 'vllm', '--name', 'team-a', '--namespace', 'team-a-ns']);
    const doc = parseAllDocuments(stdout)[0].toJS();
    expect(doc.metadata).toEqual({ name: 'team-a', namespace: 'team-a-ns' });
    expect(doc.spec.authentication.apiKeyRef.name).toBe('team-a-client-keys');
    expect(stdout).toContain('kubectl -n team-a-ns create secret generic team-a-client-keys');
  });

  test('fails with exit code 2 on an invalid --name, saying what a name must be', async () => {
    const result = await aigate(['init', '--name', 'Bad_Name']);
    expect(result.code).toBe(2);
    expect(result.stderr).toBe(
      'error: --name: must be a DNS-1035 label: lower-case letters, digits and \'-\', starting with a letter (it names the gateway Service), found "Bad_Name"\n',
    );
  });

  test('fails with exit code 2 on an unknown provider, listing the known ones', async () => {
    const result = await aigate(['init', '--provider', 'bedrock']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('openai, anthropic, azureopenai, vllm');
  });

  test('fails instead of overwriting an existing file, unless --force', async () => {
    const file = join(dir, 'gateway.yaml');
    writeFileSync(file, 'mine\n');
    const refused = await aigate(['init', '-o', file]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('already exists');
    expect(readFileSync(file, 'utf8')).toBe('mine\n');
    expect((await aigate(['init', '-o', file, '--force'])).code).toBe(0);
    expect(readFileSync(file, 'utf8')).toContain('kind: AIGatewayResource');
    expect(existsSync(file)).toBe(true);
  });
});
