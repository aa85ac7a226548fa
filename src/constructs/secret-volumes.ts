import * as kplus from 'cdk8s-plus-28';
import type { Construct } from 'constructs';
import type { SecretFile } from '../envoy';
import { hashOf } from '../spec';
import { DNS_SUBDOMAIN, SECRET_KEY } from '../spec/primitives';

/** Owner and group may read, nobody else; with fsGroup 101 the envoy user reads through its group. */
export const SECRET_FILE_MODE = 0o440;

/** One Secret's mounts: the keys to project and every directory it appears at. */
export interface SecretMount {
  readonly secretName: string;
  readonly volumeName: string;
  readonly keys: string[];
  readonly mountPaths: string[];
}

/** A volume name (a DNS label) for a Secret name (a DNS subdomain): dots and length do not fit as is. */
export function secretVolumeName(secretName: string): string {
  const plain = `secret-${secretName}`;
  if (plain.length <= 63 && !plain.includes('.')) return plain;
  const stem = secretName.replace(/\./g, '-').slice(0, 38).replace(/-+$/, '');
  return `secret-${stem}-${hashOf(secretName).slice(0, 8)}`;
}

/**
 * Groups `secretFiles` into one mount per Secret (only the listed keys, in first-seen order).
 * Throws on what Kubernetes would reject or what would shadow other files: bad names, relative
 * or reserved mount paths, and two Secrets on one directory.
 */
export function secretMounts(files: readonly SecretFile[], reservedPaths: readonly string[] = []): SecretMount[] {
  const bySecret = new Map<string, { keys: string[]; mountPaths: string[] }>();
  const ownerOfPath = new Map<string, string>();
  files.forEach((file, i) => {
    const at = `secretFiles[${i}]`;
    if (!DNS_SUBDOMAIN.test(file.secretName) || file.secretName.length > 253) {
      throw new Error(`${at}.secretName: must be a DNS subdomain (a Secret name), found ${JSON.stringify(file.secretName)}`);
    }
    if (!SECRET_KEY.test(file.key) || file.key === '.' || file.key === '..' || file.key.length > 253) {
      throw new Error(`${at}.key: must be a Secret key (letters, digits, '-', '_', '.'), found ${JSON.stringify(file.key)}`);
    }
    const path = file.mountPath.replace(/\/+$/, '');
    if (!path.startsWith('/') || path.split('/').includes('..') || path === '') {
      throw new Error(`${at}.mountPath: must be an absolute directory without "..", found ${JSON.stringify(file.mountPath)}`);
    }
    const reserved = reservedPaths.find((r) => path === r || path.startsWith(`${r}/`) || r.startsWith(`${path}/`));
    if (reserved) throw new Error(`${at}.mountPath: ${path} overlaps ${reserved}, which the Envoy container already mounts`);
    const owner = ownerOfPath.get(path);
    if (owner !== undefined && owner !== file.secretName) {
      throw new Error(`${at}.mountPath: ${path} is already the mount of Secret "${owner}"; each Secret needs its own directory`);
    }
    ownerOfPath.set(path, file.secretName);
    const entry = bySecret.get(file.secretName) ?? { keys: [], mountPaths: [] };
    if (!entry.keys.includes(file.key)) entry.keys.push(file.key);
    if (!entry.mountPaths.includes(path)) entry.mountPaths.push(path);
    bySecret.set(file.secretName, entry);
  });
  return [...bySecret].map(([secretName, entry]) => ({ secretName, volumeName: secretVolumeName(secretName), ...entry }));
}

/**
 * Mounts the Secret keys Envoy reads as files: one read-only volume per Secret, projecting only the
 * listed keys with mode 0440. Secrets are referenced by name, never created or read.
 */
export function mountSecretFiles(
  scope: Construct,
  container: kplus.Container,
  files: readonly SecretFile[],
  reservedPaths: readonly string[] = [],
): kplus.Volume[] {
  return secretMounts(files, reservedPaths).map((mount) => {
    const secret = kplus.Secret.fromSecretName(scope, `Secret-${mount.volumeName}`, mount.secretName);
    const volume = kplus.Volume.fromSecret(scope, `Volume-${mount.volumeName}`, secret, {
      name: mount.volumeName,
      defaultMode: SECRET_FILE_MODE,
      optional: false,
      items: Object.fromEntries(mount.keys.map((key) => [key, { path: key, mode: SECRET_FILE_MODE }])),
    });
    for (const path of mount.mountPaths) container.mount(path, volume, { readOnly: true });
    return volume;
  });
}
