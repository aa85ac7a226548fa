import { Chart, Duration, Testing } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { drainPlan, EnvoyWorkload, secretMounts, secretVolumeName } from '../src/constructs';
import { envoyConfig, type EnvoyConfig, type SecretFile } from '../src/envoy';
import { validateSpec } from '../src/spec';
import { expectValidManifests } from './support/k8s-schema';
import { expectRestrictedPods } from './support/pod-security';

const SPEC = validateSpec({ gatewayClassName: 'envoy', endpoints: [{ name: 'local', serviceRef: { name: 'llama' } }] });
if (!SPEC.ok) throw new Error('fixture spec is invalid');
const spec = SPEC.value;

/** A Deployment built by EnvoyWorkload from a hand-made EnvoyConfig with these secret files. */
function workloadWith(secretFiles: SecretFile[]): any {
  const chart = new Chart(Testing.app(), 'test', { namespace: 'ai-apps' });
  const envoy: EnvoyConfig = { ...envoyConfig(spec, { gatewayName: 'gw', namespace: 'ai-apps' }), secretFiles };
  const configMap = new kplus.ConfigMap(chart, 'Config', { metadata: { name: 'gw-envoy' }, data: { 'envoy.json': '{}' } });
  new EnvoyWorkload(chart, 'Envoy', {
    gatewayName: 'gw',
    metadata: { name: 'gw', namespace: 'ai-apps' },
    envoy,
    configMap,
    configHash: 'fixture',
    drain: drainPlan(spec, Duration.seconds(10)),
    metrics: true,
  });
  const objects = Testing.synth(chart);
  expectValidManifests(objects);
  expectRestrictedPods(objects);
  return objects.find((o) => o.kind === 'Deployment');
}

describe('Secret keys listed in EnvoyConfig.secretFiles are mounted read-only, and only those', () => {
  const files: SecretFile[] = [
    { secretName: 'client-keys', key: 'keys', mountPath: '/etc/envoy-secrets/client-keys' },
    { secretName: 'provider-keys', key: 'openai', mountPath: '/etc/envoy-secrets/provider-keys' },
    { secretName: 'provider-keys', key: 'anthropic', mountPath: '/etc/envoy-secrets/provider-keys' },
    { secretName: 'provider-keys', key: 'openai', mountPath: '/etc/envoy-secrets/provider-keys/' },
    { secretName: 'provider-keys', key: 'openai', mountPath: '/var/run/upstream' },
  ];
  const deployment = workloadWith(files);
  const pod = deployment.spec.template.spec;
  const container = pod.containers[0];

  test('one volume per Secret, projecting only the listed keys, mode 0440', () => {
    const secretVolumes = pod.volumes.filter((v: any) => v.secret);
    expect(secretVolumes).toEqual([
      {
        name: 'secret-client-keys',
        secret: { secretName: 'client-keys', defaultMode: 0o440, optional: false, items: [{ key: 'keys', path: 'keys', mode: 0o440 }] },
      },
      {
        name: 'secret-provider-keys',
        secret: {
          secretName: 'provider-keys',
          defaultMode: 0o440,
          optional: false,
          items: [
            { key: 'anthropic', path: 'anthropic', mode: 0o440 },
            { key: 'openai', path: 'openai', mode: 0o440 },
          ],
        },
      },
    ]);
  });

  test('mounted read-only at every listed directory (trailing slashes ignored), readable through fsGroup 101', () => {
    const mounts = container.volumeMounts.filter((m: any) => m.name.startsWith('secret-'));
    expect(mounts).toEqual([
      { name: 'secret-client-keys', mountPath: '/etc/envoy-secrets/client-keys', readOnly: true },
      { name: 'secret-provider-keys', mountPath: '/etc/envoy-secrets/provider-keys', readOnly: true },
      { name: 'secret-provider-keys', mountPath: '/var/run/upstream', readOnly: true },
    ]);
    // Files are root:101 0440: the envoy user (uid 101, group 101) reads them through its group.
    expect(pod.securityContext.fsGroup).toBe(101);
    expect(container.securityContext.runAsGroup).toBe(101);
  });

  test('no secret files: no secret volume', () => {
    const plain = workloadWith([]);
    expect(plain.spec.template.spec.volumes.filter((v: any) => v.secret)).toEqual([]);
  });

  test('a Secret name with dots or of any length gives a valid, stable volume name', () => {
    const long = `${'a'.repeat(60)}.example.com`;
    for (const name of ['tls.example.com', long]) {
      const volume = secretVolumeName(name);
      expect(volume).toMatch(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/);
      expect(volume.length).toBeLessThanOrEqual(63);
      expect(secretVolumeName(name)).toBe(volume);
    }
    expect(secretVolumeName('tls.example.com')).not.toBe(secretVolumeName('tls-example.com'));
    const deployment = workloadWith([{ secretName: long, key: 'tls.crt', mountPath: '/etc/tls' }]);
    expect(deployment.spec.template.spec.volumes.find((v: any) => v.secret).secret.secretName).toBe(long);
  });

  test('works for any list: 20 Secrets with 3 keys each', () => {
    const many: SecretFile[] = [];
    for (let s = 0; s < 20; s++) for (let k = 0; k < 3; k++) many.push({ secretName: `s${s}`, key: `k${k}`, mountPath: `/etc/secrets/s${s}` });
    const mounts = secretMounts(many);
    expect(mounts).toHaveLength(20);
    expect(mounts.every((m) => m.keys.length === 3 && m.mountPaths.length === 1)).toBe(true);
  });
});

describe('bad secretFiles', () => {
  const cases: [string, SecretFile[], string][] = [
    ['two Secrets on one directory', [{ secretName: 'a', key: 'k', mountPath: '/s' }, { secretName: 'b', key: 'k', mountPath: '/s' }], 'secretFiles[1].mountPath: /s is already the mount of Secret "a"'],
    ['a mount over the Envoy configuration', [{ secretName: 'a', key: 'k', mountPath: '/etc/envoy/keys' }], 'secretFiles[0].mountPath: /etc/envoy/keys overlaps /etc/envoy'],
    ['a mount that would hide the configuration', [{ secretName: 'a', key: 'k', mountPath: '/etc' }], 'secretFiles[0].mountPath: /etc overlaps /etc/envoy'],
    ['a relative mount path', [{ secretName: 'a', key: 'k', mountPath: 'secrets' }], 'secretFiles[0].mountPath: must be an absolute directory without "..", found "secrets"'],
    ['a ".." in the mount path', [{ secretName: 'a', key: 'k', mountPath: '/etc/../root' }], 'secretFiles[0].mountPath: must be an absolute directory'],
    ['a key that is a path', [{ secretName: 'a', key: '../token', mountPath: '/s' }], 'secretFiles[0].key: must be a Secret key'],
    ['a Secret name that is not a DNS subdomain', [{ secretName: 'My_Secret', key: 'k', mountPath: '/s' }], 'secretFiles[0].secretName: must be a DNS subdomain (a Secret name), found "My_Secret"'],
  ];
  test.each(cases)('fails on %s', (_name, files, message) => {
    expect(() => workloadWith(files)).toThrow(message);
  });
});
