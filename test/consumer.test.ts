// The published artifact, used the way a platform repo uses it: `npm pack` (which runs the build
// through `prepare`, as `npm publish` does), then a fresh project outside this repository installs
// the tarball next to its own cdk8s, constructs, cdk8s-plus-28 and typescript, compiles a cdk8s
// app against the installed declarations, runs `cdk8s synth` and the installed `aigate` CLI.
// It sees what in-repo tests cannot: a file missing from the tarball, a second `constructs`
// copy, a bin that only works from the source tree, declarations that do not compile.
import { spawnSync } from 'child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join, relative, sep } from 'path';
import { parseAllDocuments } from 'yaml';
import { expectValidManifests } from './support/k8s-schema';

const ROOT = join(__dirname, '..');
const PKG = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
  name: string;
  version: string;
  bin: Record<string, string>;
  peerDependencies: Record<string, string>;
  devDependencies: Record<string, string>;
};
const CDK8S_CLI = join(ROOT, 'node_modules', 'cdk8s-cli', 'bin', 'cdk8s');
const PEERS = ['cdk8s', 'constructs', 'cdk8s-plus-28'] as const;
// The project `cdk8s init typescript-app` writes (cdk8s-cli's template): its tsconfig, used verbatim,
// and its typescript and @types/node. It sets no esModuleInterop and no skipLibCheck, so every
// .d.ts our declarations reach is type-checked under those options.
const SCAFFOLD = join(ROOT, 'node_modules', 'cdk8s-cli', 'templates', 'typescript-app');
const SCAFFOLD_TSCONFIG = readFileSync(join(SCAFFOLD, 'tsconfig.json'), 'utf8');
const SCAFFOLD_DEV = (JSON.parse(readFileSync(join(SCAFFOLD, 'package.json'), 'utf8')) as { devDependencies: Record<string, string> }).devDependencies;
// The scaffold's own cdk8s-plus, newer than ours, for the app's objects beside the gateway.
const APP_PLUS = { name: 'cdk8s-plus-33', version: '2.5.57' } as const;

interface Ran {
  readonly stdout: string;
  readonly stderr: string;
  readonly ms: number;
}

/** Environment of a command run as a user would: none of `npm test`'s own package context leaks in. */
function userEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, CDK8S_CHECK_UPGRADE: 'false' };
  for (const key of Object.keys(env)) {
    if (/^npm_(package_|lifecycle_|command$|config_local_prefix$|config_call$)/.test(key) || key === 'INIT_CWD' || key === 'NODE_PATH') {
      delete env[key];
    }
  }
  return env;
}

/** Runs a command; throws with its full output when it exits non-zero, so a failure says why. */
function run(command: string, args: string[], cwd: string): Ran {
  const started = Date.now();
  const r = spawnSync(command, args, { cwd, env: userEnv(), encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  const ms = Date.now() - started;
  if (r.error || r.status !== 0) {
    throw new Error(
      `\`${command} ${args.join(' ')}\` in ${cwd} failed (${r.error?.message ?? `exit ${r.status}`}):\n${r.stdout}\n${r.stderr}`,
    );
  }
  return { stdout: r.stdout, stderr: r.stderr, ms };
}

/** Every file under `dir`, as paths relative to `base` with forward slashes. */
function filesUnder(dir: string, base: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    return e.isDirectory() ? filesUnder(path, base) : [relative(base, path).split(sep).join('/')];
  });
}

/** Directories holding an installed copy of `name` anywhere in a node_modules tree (nested copies included). */
function installedCopies(nodeModules: string, name: string): string[] {
  if (!existsSync(nodeModules)) return [];
  const copies = existsSync(join(nodeModules, name, 'package.json')) ? [join(nodeModules, name)] : [];
  for (const entry of readdirSync(nodeModules)) {
    const scoped = entry.startsWith('@') ? readdirSync(join(nodeModules, entry)).map((n) => join(entry, n)) : [entry];
    for (const pkg of scoped) copies.push(...installedCopies(join(nodeModules, pkg, 'node_modules'), name));
  }
  return copies;
}

const objectsOfYaml = (text: string) => parseAllDocuments(text).map((d) => d.toJS() as { kind?: string });

/** The lowest version a `^x.y.z` peer range allows: the consumer installs it, so the floor we declare is the floor we test. */
function floorOf(range: string): string {
  const m = /^\^(\d+\.\d+\.\d+)$/.exec(range);
  if (!m) throw new Error(`peer range ${JSON.stringify(range)} is not ^x.y.z: update floorOf() to find its lowest version`);
  return m[1];
}

/** The README's "Use from TypeScript" example, verbatim: the consumer compiles and synthesizes exactly it. */
function readmeTypeScriptExample(): string {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const section = readme.split(/^## /m).find((s) => s.startsWith('Use from TypeScript'));
  const code = section && /```ts\n([\s\S]*?)```/.exec(section)?.[1];
  if (!code) throw new Error('README.md has no ```ts block under "## Use from TypeScript"');
  return code;
}

// Runs in the consumer: a chart of the consumer's own cdk8s hosting our construct, and instanceof
// against the consumer's copies of constructs, cdk8s and cdk8s-plus-28 (a second copy of any of
// them anywhere in the tree makes one of these false).
const INTEROP_TS = `import { ApiObject, App, Chart } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { AIGateway } from 'cdk8s-ai-gateway';

const app = new App();
const chart = new Chart(app, 'interop', { namespace: 'team' });
const gateway = new AIGateway(chart, 'gateway', {
  metadata: { name: 'interop' },
  spec: { gatewayClassName: 'envoy', endpoints: [{ name: 'openai', serviceRef: { name: 'openai-proxy' } }] },
});
console.log(JSON.stringify({
  gatewayIsConstruct: gateway instanceof Construct,
  chartOfGatewayIsConsumerChart: Chart.of(gateway) === chart,
  resourceIsApiObject: gateway.resource instanceof ApiObject,
  deploymentIsKplusDeployment: gateway.deployment instanceof kplus.Deployment,
  serviceIsKplusService: gateway.service instanceof kplus.Service,
  kinds: chart.toJson().map((o: { kind: string }) => o.kind).sort(),
}));
`;

// An app of the consumer's with a newer cdk8s-plus for its own objects, connected to the gateway the
// way the README's "Connect your apps" section says: the Service by name, the NetworkPolicy by pod labels.
const WITH_PLUS_33_TS = `import { App, Chart } from 'cdk8s';
import * as kplus from 'cdk8s-plus-33';
import { AIGateway } from 'cdk8s-ai-gateway';

const app = new App();
const chart = new Chart(app, 'apps', { namespace: 'ai-apps' });
const chatLabels = { 'app.kubernetes.io/name': 'chat' };
const gateway = new AIGateway(chart, 'gateway', {
  metadata: { name: 'llm' },
  spec: { gatewayClassName: 'envoy', endpoints: [{ name: 'openai', serviceRef: { name: 'openai-proxy' } }] },
  networkPolicy: { ingressFrom: [{ podSelector: { matchLabels: chatLabels } }] },
});
new kplus.Deployment(chart, 'chat', {
  podMetadata: { labels: chatLabels },
  containers: [{
    image: 'ghcr.io/example/chat:1.0',
    portNumber: 8000,
    envVariables: { OPENAI_BASE_URL: kplus.EnvValue.fromValue(\`http://\${gateway.service.name}.ai-apps.svc/v1\`) },
  }],
});
console.log(JSON.stringify(chart.toJson()));
`;

// Declarations of the installed package that import zod, reached from its entry point's .d.ts.
const DTS_REACHING_ZOD_JS = `const fs = require('fs'), path = require('path');
const seen = new Set(), bad = [];
const walk = (f) => {
  if (seen.has(f)) return;
  seen.add(f);
  for (const m of fs.readFileSync(f, 'utf8').matchAll(/(?:from\\s+|import\\()\\s*["']([^"']+)["']/g)) {
    if (m[1] === 'zod' || m[1].startsWith('zod/')) bad.push(path.relative(process.cwd(), f));
    if (!m[1].startsWith('.')) continue;
    const p = path.resolve(path.dirname(f), m[1]);
    const next = [p + '.d.ts', path.join(p, 'index.d.ts')].find((c) => fs.existsSync(c));
    if (next) walk(next);
  }
};
walk(require.resolve('cdk8s-ai-gateway').replace(/\\.js$/, '.d.ts'));
process.stdout.write(JSON.stringify(bad));
`;

// Node's own resolution of each peer, from the consumer and from inside the installed package.
const RESOLVE_PEERS_JS = `const { dirname } = require('path');
const pkgDir = dirname(require.resolve('cdk8s-ai-gateway/package.json'));
const out = {};
for (const name of ${JSON.stringify(PEERS)}) {
  out[name] = { fromConsumer: require.resolve(name), fromPackage: require.resolve(name, { paths: [pkgDir] }) };
}
process.stdout.write(JSON.stringify(out));
`;

// What the exports map serves to a consumer: a path, or the error code Node gives.
const RESOLVE_EXPORTS_JS = `const out = {};
for (const specifier of ['cdk8s-ai-gateway', 'cdk8s-ai-gateway/package.json', 'cdk8s-ai-gateway/crds/aigates.gateway.example.com.yaml', 'cdk8s-ai-gateway/dist/lib/src/spec']) {
  try { out[specifier] = require.resolve(specifier); } catch (e) { out[specifier] = e.code; }
}
process.stdout.write(JSON.stringify(out));
`;

interface PackResult {
  filename: string;
  size: number;
  unpackedSize: number;
  entryCount: number;
  files: { path: string; size: number; mode: number }[];
}

describe('the npm package, installed into a consumer project', () => {
  const work = mkdtempSync(join(tmpdir(), 'aigate-consumer-'));
  const consumer = join(work, 'platform-repo');
  const installed = join(consumer, 'node_modules', ...PKG.name.split('/'));
  const figures: Record<string, string> = {};
  let pack: PackResult;

  beforeAll(() => {
    // Inside this repository, Node would find our own node_modules and hide a missing dependency.
    if (!relative(ROOT, work).startsWith('..')) throw new Error(`the consumer project ${work} must be outside ${ROOT} (check TMPDIR)`);
    const packed = run('npm', ['pack', '--json', '--pack-destination', work], ROOT);
    // Lifecycle scripts (prepare -> build) may print to stdout before npm's JSON.
    pack = (JSON.parse(packed.stdout.slice(packed.stdout.search(/^\[$/m))) as PackResult[])[0];
    figures['pack (build included)'] = `${(packed.ms / 1000).toFixed(1)} s`;
    figures.tarball = `${pack.filename}: ${(pack.size / 1024).toFixed(1)} kB, ${pack.entryCount} files, ${(pack.unpackedSize / 1024).toFixed(1)} kB unpacked`;

    mkdirSync(consumer);
    const peers = Object.fromEntries(PEERS.map((name) => [name, floorOf(PKG.peerDependencies[name])]));
    writeFileSync(
      join(consumer, 'package.json'),
      JSON.stringify(
        {
          name: 'platform-repo',
          version: '0.0.0',
          private: true,
          dependencies: { [PKG.name]: `file:${join(work, pack.filename)}`, ...peers, [APP_PLUS.name]: APP_PLUS.version },
          devDependencies: { typescript: SCAFFOLD_DEV.typescript, '@types/node': SCAFFOLD_DEV['@types/node'] },
        },
        null,
        2,
      ),
    );
    const install = run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error'], consumer);
    figures.install = `${(install.ms / 1000).toFixed(1)} s (peers at the floor of our ranges: ${PEERS.map((n) => `${n}@${peers[n]}`).join(', ')})`;
  }, 600_000);

  /** Compiles the consumer's TypeScript (README example, interop app, cdk8s-plus-33 app) once, with the scaffold's tsconfig. */
  let tscOutput: string | undefined;
  function compileConsumerApps(): string {
    if (tscOutput !== undefined) return tscOutput;
    writeFileSync(join(consumer, 'main.ts'), readmeTypeScriptExample());
    writeFileSync(join(consumer, 'interop.ts'), INTEROP_TS);
    writeFileSync(join(consumer, 'with-plus-33.ts'), WITH_PLUS_33_TS);
    writeFileSync(join(consumer, 'tsconfig.json'), SCAFFOLD_TSCONFIG);
    const r = spawnSync(process.execPath, [join(consumer, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', '.'], { cwd: consumer, env: userEnv(), encoding: 'utf8' });
    tscOutput = `${r.stdout}${r.stderr}`;
    figures['tsc in the consumer'] = `exit ${r.status}, typescript ${SCAFFOLD_DEV.typescript} with the tsconfig of cdk8s init typescript-app`;
    return tscOutput;
  }

  afterAll(() => {
    rmSync(work, { recursive: true, force: true });
    console.log(`consumer test figures:\n${Object.entries(figures).map(([k, v]) => `  ${k}: ${v}`).join('\n')}`);
  });

  test('the tarball holds exactly what runs: compiled JS and declarations (imports/ included), Lua, the CRD, the CLI, docs', () => {
    const packed = pack.files.map((f) => f.path).sort();
    const expected = [
      'package.json',
      'README.md',
      'LICENSE',
      'CHANGELOG.md',
      'docs/reference.md',
      // What the README names as installed-package paths (test/docs.test.ts) and the YAML examples it runs.
      ...filesUnder(join(ROOT, 'docs', 'health-checks'), ROOT),
      ...readdirSync(join(ROOT, 'examples')).filter((f) => f.endsWith('.yaml')).map((f) => `examples/${f}`),
      ...readdirSync(join(ROOT, 'crds')).filter((f) => f.endsWith('.yaml')).map((f) => `crds/${f}`),
      ...filesUnder(join(ROOT, 'dist', 'lib', 'src'), ROOT),
      ...filesUnder(join(ROOT, 'dist', 'lib', 'imports'), ROOT),
      // The reconcile job's script, gzipped: the ReconcileJob construct puts it in a ConfigMap.
      ...filesUnder(join(ROOT, 'dist', 'reconcile-job'), ROOT).filter((f) => f.endsWith('.js.gz')),
    ].sort();
    expect(packed).toEqual(expected);
    expect(packed).toContain('dist/reconcile-job/aigate-reconcile.js.gz');
    expect(packed.filter((p) => !/\.(js|d\.ts|lua|yaml|md|json|js\.gz)$|^LICENSE$/.test(p))).toEqual([]);
    expect(packed.filter((p) => p.endsWith('.d.ts'))).toContain('dist/lib/imports/gateway.example.com.d.ts');
    for (const bin of Object.values(PKG.bin)) {
      const entry = pack.files.find((f) => f.path === bin.replace(/^\.\//, ''));
      expect({ bin, mode: entry && (entry.mode & 0o777).toString(8) }).toEqual({ bin, mode: '755' });
      expect(readFileSync(join(installed, bin), 'utf8').split('\n')[0]).toBe('#!/usr/bin/env node');
    }
  });

  test('every Lua source ships beside its compiled loader, unchanged', () => {
    const luaSources = filesUnder(join(ROOT, 'src'), ROOT).filter((f) => f.endsWith('.lua'));
    const missing = luaSources.filter((f) => {
      const shipped = join(installed, 'dist', 'lib', f);
      return !existsSync(shipped) || readFileSync(shipped, 'utf8') !== readFileSync(join(ROOT, f), 'utf8');
    });
    expect(missing).toEqual([]);
    figures['Lua sources shipped'] = String(luaSources.length);
  });

  test('a `cdk8s init typescript-app` project type-checks against the installed declarations with zero errors', () => {
    // Fails when a public .d.ts reaches zod's (63 x TS1259 from zod/v4/locales without esModuleInterop).
    expect(compileConsumerApps().split('\n').filter((l) => /error TS\d+/.test(l))).toEqual([]);
    const reachesZod = run(process.execPath, ['-e', DTS_REACHING_ZOD_JS], consumer).stdout;
    expect(JSON.parse(reachesZod)).toEqual([]);
  }, 120_000);

  test('an app using cdk8s-plus-33 for its own objects synthesizes next to the gateway and reaches it by Service name and pod labels', () => {
    compileConsumerApps();
    const objects = JSON.parse(run(process.execPath, ['with-plus-33.js'], consumer).stdout) as any[];
    expectValidManifests(objects);
    const chat = objects.find((o) => o.kind === 'Deployment' && o.metadata.name !== 'llm');
    const service = objects.find((o) => o.kind === 'Service' && o.metadata.name === 'llm');
    const policy = objects.find((o) => o.kind === 'NetworkPolicy');
    const env = chat.spec.template.spec.containers[0].env;
    expect(env).toContainEqual({ name: 'OPENAI_BASE_URL', value: 'http://llm.ai-apps.svc/v1' });
    expect(service.spec.ports[0]).toMatchObject({ name: 'http', port: 80 });
    // The gateway's NetworkPolicy admits the app's pods (by their labels), and the gateway Service selects the gateway pods.
    const admitted = policy.spec.ingress[0].from[0].podSelector.matchLabels as Record<string, string>;
    expect(chat.spec.template.metadata.labels).toMatchObject(admitted);
    const gatewayPods = objects.find((o) => o.kind === 'Deployment' && o.metadata.name === 'llm').spec.template.metadata.labels;
    expect(gatewayPods).toMatchObject(service.spec.selector);
  }, 120_000);

  test('the README example compiles against the installed declarations and `cdk8s synth` writes valid Kubernetes objects', () => {
    expect(compileConsumerApps()).toBe('');
    writeFileSync(join(consumer, 'cdk8s.yaml'), 'language: typescript\napp: node main.js\noutput: dist\n');
    const synth = run(process.execPath, [CDK8S_CLI, 'synth'], consumer);
    figures['cdk8s synth in the consumer'] = `${(synth.ms / 1000).toFixed(1)} s (cdk8s-cli ${require('cdk8s-cli/package.json').version} from this repo)`;
    const objects = readdirSync(join(consumer, 'dist'))
      .filter((f) => f.endsWith('.k8s.yaml'))
      .flatMap((f) => objectsOfYaml(readFileSync(join(consumer, 'dist', f), 'utf8')));
    // The objects the README promises for its example (more, e.g. a PodDisruptionBudget, may come with them).
    expect(objects.map((o) => o.kind)).toEqual(expect.arrayContaining(['AIGatewayResource', 'ConfigMap', 'Deployment', 'Ingress', 'Service']));
    expectValidManifests(objects);
  }, 120_000);

  test('a Chart of the consumer\'s cdk8s hosts AIGateway, and instanceof holds across the package boundary', () => {
    compileConsumerApps();
    const interop = JSON.parse(run(process.execPath, ['interop.js'], consumer).stdout) as Record<string, unknown>;
    expect(interop).toEqual({
      gatewayIsConstruct: true,
      chartOfGatewayIsConsumerChart: true,
      resourceIsApiObject: true,
      deploymentIsKplusDeployment: true,
      serviceIsKplusService: true,
      kinds: expect.arrayContaining(['AIGatewayResource', 'ConfigMap', 'Deployment', 'Service']),
    });
  }, 120_000);

  test('the consumer tree holds one copy of constructs, cdk8s and cdk8s-plus-28, shared with the package', () => {
    const resolved = JSON.parse(run(process.execPath, ['-e', RESOLVE_PEERS_JS], consumer).stdout) as Record<string, { fromConsumer: string; fromPackage: string }>;
    for (const name of PEERS) {
      expect({ name, fromPackage: resolved[name].fromPackage }).toEqual({ name, fromPackage: resolved[name].fromConsumer });
      expect(resolved[name].fromConsumer.startsWith(join(consumer, 'node_modules', name) + sep)).toBe(true);
      expect({ name, copies: installedCopies(join(consumer, 'node_modules'), name) }).toEqual({ name, copies: [join(consumer, 'node_modules', name)] });
    }
    // npm's own view: exits non-zero on an invalid or missing peer; one version of constructs in the tree.
    const ls = JSON.parse(run('npm', ['ls', 'constructs', '--all', '--json'], consumer).stdout) as unknown;
    const versions = new Set<string>();
    const walk = (node: unknown, name?: string): void => {
      const n = node as { version?: string; dependencies?: Record<string, unknown> };
      if (name === 'constructs' && n.version) versions.add(n.version);
      for (const [child, value] of Object.entries(n.dependencies ?? {})) walk(value, child);
    };
    walk(ls);
    expect([...versions]).toEqual([floorOf(PKG.peerDependencies.constructs)]);
  }, 60_000);

  test('the exports map serves the API, package.json and the CRD, and refuses deep imports', () => {
    expect(JSON.parse(run(process.execPath, ['-e', RESOLVE_EXPORTS_JS], consumer).stdout)).toEqual({
      'cdk8s-ai-gateway': join(installed, 'dist', 'lib', 'src', 'index.js'),
      'cdk8s-ai-gateway/package.json': join(installed, 'package.json'),
      'cdk8s-ai-gateway/crds/aigates.gateway.example.com.yaml': join(installed, 'crds', 'aigates.gateway.example.com.yaml'),
      'cdk8s-ai-gateway/dist/lib/src/spec': 'ERR_PACKAGE_PATH_NOT_EXPORTED',
    });
  }, 60_000);

  test('the installed aigate CLI runs from the consumer folder: --version, synth -f -o, and crd equal to the shipped CRD', () => {
    expect(run('npx', ['--no', '--', 'aigate', '--version'], consumer).stdout.trim()).toBe(PKG.version);

    writeFileSync(join(consumer, 'gateway.yaml'), readFileSync(join(ROOT, 'examples', 'basic-gateway.yaml')));
    writeFileSync(join(consumer, 'all-features.yaml'), readFileSync(join(__dirname, 'fixtures', 'consumer', 'all-features.yaml')));
    const synth = run('npx', ['--no', '--', 'aigate', 'synth', '-f', 'gateway.yaml', '-f', 'all-features.yaml', '-o', 'out'], consumer);
    figures['aigate synth in the consumer (2 gateways)'] = `${(synth.ms / 1000).toFixed(1)} s`;
    const files = readdirSync(join(consumer, 'out'))
      .filter((f) => f !== '.aigate-synth-files')
      .sort();
    expect(files).toEqual(['ai-apps.all-features.k8s.yaml', 'ai-apps.my-llm-gateway.k8s.yaml']);
    const objects = files.flatMap((f) => objectsOfYaml(readFileSync(join(consumer, 'out', f), 'utf8')));
    expect(objects.filter((o) => o.kind === 'AIGatewayResource')).toHaveLength(2);
    expectValidManifests(objects);

    // The reconcile job's objects come from the installed package too (its script is found beside it).
    run('npx', ['--no', '--', 'aigate', 'synth', '-f', 'gateway.yaml', '-o', 'out-job', '--reconcile-job'], consumer);
    const job = objectsOfYaml(readFileSync(join(consumer, 'out-job', 'ai-apps.aigate-reconcile.job.k8s.yaml'), 'utf8'));
    expect(job.map((o) => o.kind).sort()).toEqual(['ConfigMap', 'CronJob', 'Role', 'RoleBinding', 'ServiceAccount']);
    expectValidManifests(job);
    // `aigate reconcile` loads @kubernetes/client-node (ESM) from the installed tree before it reads the kubeconfig.
    const reconcile = spawnSync('npx', ['--no', '--', 'aigate', 'reconcile', '--kubeconfig', 'missing.yaml'], { cwd: consumer, env: userEnv(), encoding: 'utf8' });
    expect([reconcile.status, reconcile.stderr]).toEqual([1, 'error: cannot load the kubeconfig: kubeconfig missing.yaml does not exist\n']);

    // The bin link itself, run directly: its shebang and mode make it a command.
    const printed = objectsOfYaml(run(join(consumer, 'node_modules', '.bin', 'aigate'), ['crd'], consumer).stdout);
    const shipped = objectsOfYaml(readFileSync(join(installed, 'crds', 'aigates.gateway.example.com.yaml'), 'utf8'));
    expect(shipped).toEqual(printed);
  }, 120_000);
});
