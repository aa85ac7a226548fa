import { spawnSync } from 'child_process';
import { existsSync, readdirSync, readFileSync } from 'fs';
import { dirname, join } from 'path';
import { openApiSchema, renderReference } from '../src/spec';
import { splitDefault } from '../src/spec/reference';
import { aigate } from './support/cli';

const ROOT = join(__dirname, '..');
const REFERENCE = join(ROOT, 'docs', 'reference.md');
const IMPORTS = readFileSync(join(ROOT, 'imports', 'gateway.example.com.ts'), 'utf8');

/** Every field of the spec schema in the CRD, with its path (items of lists are not fields). */
function* fields(node: any, path: string): Generator<[string, any]> {
  for (const [key, child] of Object.entries<any>(node.properties ?? {})) {
    yield [`${path}.${key}`, child];
    let inner = child;
    let innerPath = `${path}.${key}`;
    while (inner.type === 'array' && inner.items) {
      inner = inner.items;
      innerPath += '[]';
    }
    yield* fields(inner, innerPath);
  }
}
const specFields = [...fields((openApiSchema() as any).properties.spec, 'spec')];

describe('reference docs', () => {
  test('docs/reference.md is what the schema generates (run `npm run docs` when this fails)', () => {
    expect(readFileSync(REFERENCE, 'utf8')).toBe(renderReference());
  });

  test('aigate docs prints the same page', async () => {
    const result = await aigate(['docs']);
    expect(result).toMatchObject({ code: 0, stdout: renderReference() });
  });

  test('every spec field has a description of a few words', () => {
    const thin = specFields.filter(([, node]) => splitDefault(node.description).text.split(/\s+/).length < 4).map(([path]) => path);
    expect(thin).toEqual([]);
  });

  test('each description is written once and reaches the CRD, the generated types and the reference', () => {
    const reference = readFileSync(REFERENCE, 'utf8');
    for (const [path, node] of specFields) {
      const { text } = splitDefault(node.description);
      // The reference shows angle brackets and pipes escaped for Markdown.
      const shown = text.replace(/\|/g, '\\|').replace(/</g, '&lt;').replace(/>/g, '&gt;');
      expect({ path, inReference: reference.includes(shown) }).toEqual({ path, inReference: true });
      expect({ path, inImports: IMPORTS.includes(node.description) }).toEqual({ path, inImports: true });
    }
  });

  test('a field with a default shows it in the Default column, without repeating it in the description', () => {
    const reference = readFileSync(REFERENCE, 'utf8');
    expect(reference).toContain('| `port` | integer | no | `80` | Port of the Service. | 1–65535 |');
    expect(reference).toMatch(/\| `timeout` \| string \| no \| `"60s"` \| Longest silence of the endpoint, per attempt: [^|]*not retried\. \|/);
    expect(reference).toMatch(/\| `burst` \| integer \| no \| requestsPerMinute \/ 60, at least 1 \| [^|@]+ \|/);
  });

  test('lists what is allowed: enum values, limits, the message of each pattern, cross-field rules', () => {
    const reference = readFileSync(REFERENCE, 'utf8');
    expect(reference).toContain('one of `Header`, `Path`, `RequestBody`, `Weighted`');
    expect(reference).toMatch(/\| `endpoints` \| list of \[object\]\(#spec-endpoints\) \| yes \|.*\| 1–64 items \|/);
    expect(reference).toContain("must be a DNS-1123 label: lower-case letters, digits and '-', starting and ending with a letter or digit");
    expect(reference).toContain('- modelRouting is required unless exactly one endpoint is not a fallback of another');
  });

  test('every link of the contents and of the Type column leads to a table', () => {
    const reference = readFileSync(REFERENCE, 'utf8');
    const anchors = new Set([...reference.matchAll(/<a id="([^"]+)"><\/a>/g)].map((m) => m[1]));
    const links = [...reference.matchAll(/\]\(#([^)]+)\)/g)].map((m) => m[1]);
    expect(links.length).toBeGreaterThan(20);
    expect(links.filter((l) => !anchors.has(l))).toEqual([]);
  });
});

describe('README', () => {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');

  test('shows the current explain output of the seed example (paste `aigate explain examples/basic-gateway.yaml` when this fails)', async () => {
    const { stdout } = await aigate(['explain', join('examples', 'basic-gateway.yaml')]);
    expect(readme).toContain('```text\n' + stdout + '```');
  });

  test('shows the current Mermaid diagram of the seed example in a mermaid block', async () => {
    const { stdout } = await aigate(['explain', join('examples', 'basic-gateway.yaml'), '--format', 'mermaid']);
    expect(readme).toContain('```mermaid\n' + stdout + '```');
  });

  test('documents init, explain and docs', () => {
    for (const command of ['aigate init', 'aigate explain', 'aigate docs', 'npm run docs']) expect(readme).toContain(command);
  });
});

/** The files `npm pack` would put in the tarball (from package.json `files`), without building. */
function packedFiles(): string[] {
  const r = spawnSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: ROOT, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`npm pack --dry-run failed: ${r.stderr}`);
  return (JSON.parse(r.stdout.slice(r.stdout.indexOf('['))) as { files: { path: string }[] }[])[0].files.map((f) => f.path);
}

/** Whether a repository path exists; `*` and `<placeholder>` match within one path segment. */
function existsInRepo(path: string): boolean {
  if (!/[*<]/.test(path)) return existsSync(join(ROOT, path));
  const dir = dirname(path);
  const pattern = new RegExp(`^${path.slice(dir.length + 1).replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*|<[^>]+>/g, '[^/]+')}$`);
  return existsSync(join(ROOT, dir)) && readdirSync(join(ROOT, dir)).some((f) => pattern.test(f));
}

describe('README paths', () => {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const INSTALLED = 'node_modules/cdk8s-ai-gateway/';
  const TOP = ['examples', 'docs', 'crds', 'test', 'src', 'scripts', 'bench', 'imports'];
  const linked = [...readme.matchAll(/\]\(([^)#\s]+)(#[^)]*)?\)/g)].map((m) => m[1]).filter((p) => !/^[a-z]+:/.test(p));
  const quoted = [...readme.matchAll(/`([^`\s]+)`/g)].map((m) => m[1]).filter((p) => TOP.some((t) => p.startsWith(`${t}/`)));
  const installed = [...readme.matchAll(/`(node_modules\/cdk8s-ai-gateway\/[^`\s]+)`/g)].map((m) => m[1].slice(INSTALLED.length));

  test('every relative path the README links or quotes exists in the repository', () => {
    expect(linked.length + quoted.length).toBeGreaterThan(20);
    expect([...linked, ...quoted].filter((p) => !existsInRepo(p))).toEqual([]);
  });

  test('every path presented as an installed-package path is in the packed tarball (package.json files)', () => {
    expect(installed).toEqual(expect.arrayContaining(['crds/aigates.gateway.example.com.yaml', 'docs/health-checks/argocd.lua', 'docs/health-checks/flux.yaml']));
    const packed = new Set(packedFiles());
    expect(installed.filter((p) => !packed.has(p))).toEqual([]);
  }, 60_000);

  test('the CRD header tells a user of the package how to regenerate it (no script only this repository has)', () => {
    const header = readFileSync(join(ROOT, 'crds', 'aigates.gateway.example.com.yaml'), 'utf8').split('\n')[0];
    expect(header).not.toMatch(/npm run/);
    expect(header).toContain('aigate crd');
  });
});
