/**
 * The files an Envoy pod sees, laid out under a temp directory from the synthesized objects: the
 * ConfigMap's keys under its mount, and each mounted Secret key as the kubelet writes it (a
 * timestamped directory, `..data` pointing at it, `<key>` pointing into `..data`), so rotating
 * a Secret here is the same atomic symlink swap as in a cluster.
 */
import { mkdirSync, mkdtempSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';

type Json = any;

/** Secret name -> key -> value (strings as written; the kubelet writes the bytes as they are). */
export type SecretValues = Record<string, Record<string, string>>;

export interface PodFiles {
  /** Stands in for the container's "/". */
  readonly root: string;
  /** The container's --config-path, inside the pod ("/etc/envoy/envoy.json"). */
  readonly configPath: string;
  /** ConfigMap keys that were written (file name -> content). */
  readonly configFiles: Record<string, string>;
  /** Replaces a mounted Secret's keys atomically, as the kubelet does on an update. */
  rotateSecret(secretName: string, values: Record<string, string>): void;
  /** Removes every key of a mounted Secret (the directory stays, empty). */
  removeSecretKeys(secretName: string): void;
  cleanup(): void;
}

const hostPath = (root: string, containerPath: string) => join(root, containerPath);

const isGateway = (o: Json) => o.kind === 'Deployment' && o.spec?.template?.spec?.containers?.some((c: Json) => c.name === 'envoy');

let generation = 0;

function writeSecretDir(dir: string, values: Record<string, string>, keys: readonly string[]): void {
  mkdirSync(dir, { recursive: true });
  const stamp = `..${Date.now()}_${process.pid}_${generation++}`;
  mkdirSync(join(dir, stamp));
  for (const [key, value] of Object.entries(values)) if (keys.length === 0 || keys.includes(key)) writeFileSync(join(dir, stamp, key), value);
  // Swap ..data atomically (rename over the old link), then make sure every key links through it.
  const tmpLink = join(dir, `..data_tmp_${generation}`);
  symlinkSync(stamp, tmpLink);
  renameSync(tmpLink, join(dir, '..data'));
  for (const key of keys.length > 0 ? keys : Object.keys(values)) {
    try {
      symlinkSync(join('..data', key), join(dir, key));
    } catch {
      /* already linked */
    }
  }
}

/**
 * Writes the pod's files for the Deployment in `objects`: its ConfigMap volumes and Secret volumes
 * (values from `secrets`; a Secret missing there is mounted with no keys, as an optional volume
 * would be, so the test sees the fail-closed path).
 */
export function podFiles(objects: readonly Json[], secrets: SecretValues = {}): PodFiles {
  const deployment = objects.find(isGateway);
  if (!deployment) throw new Error('podFiles: no Deployment with an envoy container among the objects');
  const pod = deployment.spec.template.spec;
  const container = pod.containers.find((c: Json) => c.name === 'envoy');
  const root = mkdtempSync(join(tmpdir(), 'aigate-pod-'));
  const configFiles: Record<string, string> = {};
  const secretDirs = new Map<string, { dir: string; keys: string[] }>();
  for (const mount of container.volumeMounts ?? []) {
    const volume = pod.volumes.find((v: Json) => v.name === mount.name);
    const dir = hostPath(root, mount.mountPath);
    if (volume?.configMap) {
      const cm = objects.find((o) => o.kind === 'ConfigMap' && o.metadata.name === volume.configMap.name);
      if (!cm) throw new Error(`podFiles: ConfigMap ${volume.configMap.name} is not among the objects`);
      mkdirSync(dir, { recursive: true });
      for (const [key, value] of Object.entries<string>(cm.data ?? {})) {
        writeFileSync(join(dir, key), value);
        configFiles[key] = value;
      }
    } else if (volume?.secret) {
      const keys: string[] = (volume.secret.items ?? []).map((i: Json) => i.key);
      writeSecretDir(dir, secrets[volume.secret.secretName] ?? {}, keys);
      secretDirs.set(volume.secret.secretName, { dir, keys });
    } else {
      mkdirSync(dir, { recursive: true });
    }
  }
  const args: string[] = container.args ?? [];
  const configPath = args[args.indexOf('--config-path') + 1];
  return {
    root,
    configPath,
    configFiles,
    rotateSecret(secretName, values) {
      const mounted = secretDirs.get(secretName);
      if (!mounted) throw new Error(`rotateSecret: Secret ${secretName} is not mounted`);
      writeSecretDir(mounted.dir, values, mounted.keys);
    },
    removeSecretKeys(secretName) {
      const mounted = secretDirs.get(secretName);
      if (!mounted) throw new Error(`removeSecretKeys: Secret ${secretName} is not mounted`);
      writeSecretDir(mounted.dir, {}, []);
      for (const key of mounted.keys) rmSync(join(mounted.dir, key), { force: true });
    },
    cleanup: () => rmSync(root, { recursive: true, force: true }),
  };
}

/**
 * One object list per gateway among `objects` (an app may hold several): its Deployment and the
 * ConfigMaps its pod mounts, which is all podFiles reads.
 */
export function podsOf(objects: readonly Json[]): Json[][] {
  return objects.filter(isGateway).map((deployment) => {
    const mounted = new Set((deployment.spec.template.spec.volumes ?? []).map((v: Json) => v.configMap?.name).filter(Boolean));
    return [deployment, ...objects.filter((o) => o.kind === 'ConfigMap' && mounted.has(o.metadata?.name))];
  });
}

/**
 * A value for every Secret key the gateways' pods mount (one line, newline-terminated as
 * `kubectl create secret --from-file` leaves it), so a test loads the config as a running pod sees it.
 */
export function placeholderSecrets(objects: readonly Json[]): SecretValues {
  const secrets: SecretValues = {};
  for (const deployment of objects.filter(isGateway)) {
    for (const volume of deployment.spec.template.spec.volumes ?? []) {
      if (!volume.secret) continue;
      const values = (secrets[volume.secret.secretName] ??= {});
      for (const item of volume.secret.items ?? []) values[item.key] = `placeholder-${item.key}\n`;
    }
  }
  return secrets;
}

/** The bootstrap of the gateway in `objects`: the mounted ConfigMap key its `--config-path` names. */
/** The files of the ConfigMaps a gateway's pod mounts (key -> text): the bootstrap, SDS files, Lua scripts. */
export function podConfigFiles(objects: readonly Json[]): Record<string, string> {
  const [pod] = podsOf(objects);
  if (!pod) throw new Error('podConfigFiles: no Deployment with an envoy container among the objects');
  return Object.assign({}, ...pod.slice(1).map((cm) => cm.data ?? {}));
}

export function podBootstrap(objects: readonly Json[]): Json {
  const [pod] = podsOf(objects);
  if (!pod) throw new Error('podBootstrap: no Deployment with an envoy container among the objects');
  const args: string[] = pod[0].spec.template.spec.containers.find((c: Json) => c.name === 'envoy').args ?? [];
  const key = args[args.indexOf('--config-path') + 1].replace(/^.*\//, '');
  const text = pod.slice(1).find((cm) => cm.data?.[key] !== undefined)?.data[key];
  if (text === undefined) throw new Error(`podBootstrap: no mounted ConfigMap has ${key} (the container's --config-path)`);
  return JSON.parse(text);
}
