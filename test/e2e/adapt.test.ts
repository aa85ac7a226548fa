/**
 * The harness's own tests: adaptForTest (the only change a test may make to a generated bootstrap
 * before real Envoy runs it) changes exactly what it reports and nothing else, each change is one of
 * the four allowed kinds, and the Envoy the tests run is the pinned one.
 */
import { execFileSync, spawnSync } from 'child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { ENVOY_IMAGE } from '../../src/constructs/envoy-image';
import { ENVOY_PORTS } from '../../src/envoy';
import { SYSTEM_CA_BUNDLE } from '../../src/envoy/clusters';
import { catalogueGateways, matrixGateways, type LabelledGateway } from '../support/feature-matrix';
import { adaptForTest, childPath, differingLeaves, envoyBinary, PINNED_ENVOY_VERSION, podBootstrap, podsOf, relocatePaths, valueAt, versionOf, type Adaptation } from '../support/real-envoy';
import { synthExample, synthExampleApp, yamlExamples } from '../support/synth';

type Json = any;

const ROOT_DIR = join(__dirname, '..', '..');
const ROOT = '/tmp/adapt-test-root';
const PORTS = { http: 18080, ops: 29001, admin: 19901 };
const PORT_MAP: Record<number, number> = { [ENVOY_PORTS.http]: PORTS.http, [ENVOY_PORTS.ops]: PORTS.ops, [ENVOY_PORTS.admin]: PORTS.admin };
const TEST_CA = '/tmp/adapt-test-ca.pem';

/** A mock port for every cluster with a socket address off loopback (what a test would redirect). */
function everyUpstream(bootstrap: Json): Record<string, number> {
  const clusters: Json[] = bootstrap.static_resources?.clusters ?? [];
  const remote = clusters.filter((c) =>
    (c.load_assignment?.endpoints ?? []).some((l: Json) => (l.lb_endpoints ?? []).some((e: Json) => e.endpoint?.address?.socket_address && e.endpoint.address.socket_address.address !== '127.0.0.1')),
  );
  return Object.fromEntries(remote.map((c, i) => [c.name, 40000 + i]));
}

/** Why the change at `change.path` is not what its kind allows, or undefined when it is. */
function kindProblem(change: Adaptation, before: Json, after: Json, upstreams: Record<string, number>): string | undefined {
  const was = valueAt(before, change.path);
  const now = valueAt(after, change.path);
  switch (change.kind) {
    case 'port':
      return change.path.endsWith('.port_value') && now === PORT_MAP[was] ? undefined : `port ${was} -> ${now} is not one of 8080/19001/9901 mapped`;
    case 'trust':
      return was === SYSTEM_CA_BUNDLE && now === TEST_CA ? undefined : `trust anchor ${was} -> ${now}`;
    case 'file': {
      // Every inserted root sits right before /etc/envoy/ or /etc/aigateway/; removing them gives the original.
      const parts = typeof now === 'string' ? now.split(ROOT) : [];
      const moved = parts.slice(1).every((p) => p.startsWith('/etc/envoy/') || p.startsWith('/etc/aigateway/'));
      return parts.length > 1 && moved && parts.join('') === was ? undefined : `file path change ${JSON.stringify(was)} -> ${JSON.stringify(now)}`;
    }
    case 'upstream': {
      const cluster = /^static_resources\.clusters\[(\d+)\]\.load_assignment\./.exec(change.path);
      const name = cluster && before.static_resources.clusters[Number(cluster[1])].name;
      const expected = name !== null && upstreams[name];
      const ok = change.path.endsWith('.endpoint.address.socket_address') && now.address === '127.0.0.1' && now.port_value === expected;
      return ok ? undefined : `upstream change of ${name ?? change.path} to ${JSON.stringify(now)}`;
    }
  }
}

/** Every problem with adapting `before`: uncovered differences, changes that changed nothing, bad kinds. */
function adaptationProblems(before: Json): string[] {
  const upstreams = everyUpstream(before);
  const { bootstrap: after, changes } = adaptForTest(before, { root: ROOT, ports: PORTS, upstreams, trustedCa: TEST_CA });
  const reported = changes.map((c) => c.path);
  const covers = (change: string, leaf: string) => leaf === change || leaf.startsWith(`${change}.`) || leaf.startsWith(`${change}[`);
  const leaves = differingLeaves(before, after);
  return [
    ...leaves.filter((leaf) => !reported.some((c) => covers(c, leaf))).map((leaf) => `${leaf}: changed but not reported`),
    ...reported.filter((c) => !leaves.some((leaf) => covers(c, leaf))).map((c) => `${c}: reported but unchanged`),
    ...changes.flatMap((c) => {
      const problem = kindProblem(c, before, after, upstreams);
      return problem ? [`${c.path} (${c.kind}): ${problem}`] : [];
    }),
  ];
}

const bootstrapsOf = (gateways: readonly LabelledGateway[]) => gateways.flatMap(({ label, objects }) => podsOf(objects).map((pod) => ({ label, bootstrap: podBootstrap(pod) })));

describe('adaptForTest changes exactly what it reports, and only in the four allowed ways', () => {
  it.each(yamlExamples())('examples/%s', async (file) => {
    const pods = podsOf(await synthExample(file));
    expect(pods.length).toBeGreaterThan(0);
    for (const pod of pods) expect(adaptationProblems(podBootstrap(pod))).toEqual([]);
  });

  it('examples/app.ts', () => {
    for (const pod of podsOf(synthExampleApp())) expect(adaptationProblems(podBootstrap(pod))).toEqual([]);
  });

  it('every catalogue spec and every matrix config', () => {
    const all = bootstrapsOf([...catalogueGateways(), ...matrixGateways()]);
    const problems = all.flatMap(({ label, bootstrap }) => adaptationProblems(bootstrap).map((p) => `${label}: ${p}`));
    expect(problems).toEqual([]);
    // The adaptations were exercised: every kind occurs somewhere in these bootstraps.
    const kinds = new Set(all.flatMap(({ bootstrap }) => adaptForTest(bootstrap, { root: ROOT, ports: PORTS, upstreams: everyUpstream(bootstrap), trustedCa: TEST_CA }).changes.map((c) => c.kind)));
    expect([...kinds].sort()).toEqual(['file', 'port', 'trust', 'upstream']);
  });

  it('leaves the bootstrap it was given untouched', () => {
    const [{ bootstrap }] = bootstrapsOf(catalogueGateways());
    const copy = JSON.parse(JSON.stringify(bootstrap));
    adaptForTest(bootstrap, { root: ROOT, ports: PORTS, upstreams: everyUpstream(bootstrap), trustedCa: TEST_CA });
    expect(bootstrap).toEqual(copy);
  });

  it('fails on an upstream cluster name the bootstrap does not have, naming it and the clusters there are', () => {
    const [{ bootstrap }] = bootstrapsOf(catalogueGateways());
    expect(() => adaptForTest(bootstrap, { root: ROOT, ports: PORTS, upstreams: { 'endpoint-typo': 1234 } })).toThrow(/no cluster endpoint-typo \(clusters: .*endpoint-llm/);
  });
});

describe('relocatePaths moves only the two config roots', () => {
  it('moves /etc/envoy/ and /etc/aigateway/ paths wherever they stand in a text', () => {
    expect(relocatePaths('/etc/envoy/envoy.json', '/r')).toBe('/r/etc/envoy/envoy.json');
    expect(relocatePaths('local f = io.open("/etc/aigateway/keys/k") -- and \'/etc/envoy/x\'', '/r')).toBe('local f = io.open("/r/etc/aigateway/keys/k") -- and \'/r/etc/envoy/x\'');
  });

  it('fails to match /etc/envoyx, /foo/etc/envoy/ and a bare /etc/envoy (left as they are)', () => {
    for (const text of ['/etc/envoyx/a', '/foo/etc/envoy/a', 'x/etc/envoy/a', '/etc/envoy', '/etc/aigatewayx/k', '/etc/ssl/certs/ca.crt']) {
      expect(relocatePaths(text, '/r')).toBe(text);
    }
  });
});

describe('differingLeaves', () => {
  it('names changed, added and removed leaves and array items by path', () => {
    expect(differingLeaves({ a: { b: 1, c: [1, 2] }, d: 'x' }, { a: { b: 2, c: [1, 3, 4] }, e: 'y' }).sort()).toEqual(['a.b', 'a.c[1]', 'a.c[2]', 'd', 'e']);
  });

  it('quotes keys that are not identifiers, and valueAt reads every path back', () => {
    const doc = { a: { 'envoy.ext.v3.X': [{ 'b-c': 1 }] } };
    expect(differingLeaves(doc, { a: { 'envoy.ext.v3.X': [{ 'b-c': 2 }] } })).toEqual(['a["envoy.ext.v3.X"][0]["b-c"]']);
    expect(valueAt(doc, 'a["envoy.ext.v3.X"][0]["b-c"]')).toBe(1);
    expect(childPath('', 'a')).toBe('a');
    expect(valueAt(doc, 'a.envoy.ext')).toBeUndefined();
  });

  it('fails to find a difference between equal documents', () => {
    expect(differingLeaves({ a: [{ b: null }] }, { a: [{ b: null }] })).toEqual([]);
  });
});

describe('the Envoy the tests run is the pinned one', () => {
  const scratch = mkdtempSync(join(tmpdir(), 'aigate-fake-envoy-'));
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));
  /** A stand-in `envoy` that only answers --version, as Envoy `version` would. */
  const fakeEnvoy = (version: string) => {
    const path = join(scratch, `envoy-${version}`);
    writeFileSync(path, `#!/bin/sh\necho ""\necho "$0  version: 0123456789abcdef0123456789abcdef01234567/${version}/Clean/RELEASE/BoringSSL"\n`);
    chmodSync(path, 0o755);
    return path;
  };
  const ensureEnvoy = (env: NodeJS.ProcessEnv = {}) => spawnSync('bash', ['scripts/ensure-envoy.sh'], { cwd: ROOT_DIR, encoding: 'utf8', env: { ...process.env, ...env }, timeout: 120000 });

  it('PINNED_ENVOY_VERSION is the tag of ENVOY_IMAGE', () => {
    expect(ENVOY_IMAGE).toBe(`envoyproxy/envoy:v${PINNED_ENVOY_VERSION}`);
    expect(PINNED_ENVOY_VERSION).toMatch(/^\d+\.\d+\.\d+$/);
  });

  it('versionOf reads the release from `envoy --version`', () => {
    expect(versionOf('\n/usr/local/bin/envoy  version: 9e5580933739775e8bce696a57a2e1bc99368f23/1.40.0/Clean/RELEASE/BoringSSL\n')).toBe('1.40.0');
    expect(versionOf('envoy  version: abc/1.36.2/Modified/DEBUG/BoringSSL-FIPS')).toBe('1.36.2');
  });

  it('fails to read a version from output that is not Envoy\'s', () => {
    for (const text of ['', 'Python 3.11.2', 'version: 1.40.0', 'envoy version: xyz/1.40/Clean/RELEASE']) expect(versionOf(text)).toBeUndefined();
  });

  it("envoyBinary() is an Envoy whose --version names PINNED_ENVOY_VERSION", () => {
    expect(versionOf(execFileSync(envoyBinary(), ['--version'], { encoding: 'utf8' }))).toBe(PINNED_ENVOY_VERSION);
  });

  it('fails with the install command when ENVOY_BIN is an Envoy of another version', () => {
    const previous = process.env.ENVOY_BIN;
    process.env.ENVOY_BIN = fakeEnvoy('1.39.3');
    try {
      jest.isolateModules(() => {
        const { envoyBinary: fresh } = require('../support/real-envoy/binary');
        expect(() => fresh()).toThrow(new RegExp(`need Envoy ${PINNED_ENVOY_VERSION.replace(/\./g, '\\.')} .*is Envoy 1\\.39\\.3[\\s\\S]*bash scripts/ensure-envoy\\.sh`));
      });
    } finally {
      if (previous === undefined) delete process.env.ENVOY_BIN;
      else process.env.ENVOY_BIN = previous;
    }
  });

  it('scripts/ensure-envoy.sh finds the pinned Envoy (exit 0)', () => {
    const result = ensureEnvoy();
    expect({ status: result.status, stderr: result.stderr }).toEqual({ status: 0, stderr: '' });
  });

  it('fails in scripts/ensure-envoy.sh for an ENVOY_BIN of another version, naming the tag it read from ENVOY_IMAGE', () => {
    const result = ensureEnvoy({ ENVOY_BIN: fakeEnvoy('1.39.3') });
    expect(result.status).toBe(1);
    expect(result.stderr).toContain(`is not Envoy ${PINNED_ENVOY_VERSION} `);
  });

  it('scripts/ensure-envoy.sh accepts an ENVOY_BIN of the pinned version', () => {
    expect(ensureEnvoy({ ENVOY_BIN: fakeEnvoy(PINNED_ENVOY_VERSION) }).status).toBe(0);
  });
});
