import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'fs';
import { join } from 'path';
import { CliError } from './errors';

/**
 * The record of what `aigate synth -o <dir>` wrote, kept in the directory: `--prune` deletes the
 * files an earlier run wrote that this run does not (a gateway removed from Git), and never a
 * file the tool did not write (GitOps folders hold other files too).
 */
export const OUTPUT_RECORD = '.aigate-synth-files';
/**
 * One file name per line. Not .json or .yaml: `kubectl apply -f <dir>`, Argo CD and Flux read
 * every such file in the folder as a manifest.
 */
const RECORD_HEADER = '# Files written by aigate synth (read by --prune); do not edit';
const MANIFEST_NAME = /^[^/\\]+\.k8s\.yaml$/;

/** Creates `dir` if needed; a path that exists and is no directory is the user's mistake, not a crash. */
export function ensureOutputDirectory(dir: string): void {
  let isDirectory: boolean | undefined;
  try {
    isDirectory = statSync(dir).isDirectory();
  } catch {
    isDirectory = undefined;
  }
  if (isDirectory === false) throw new CliError(`-o ${dir}: exists and is not a directory; give a directory for the manifests`);
  try {
    mkdirSync(dir, { recursive: true });
  } catch (err) {
    throw new CliError(`-o ${dir}: cannot create the directory (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
}

/** The files an earlier run recorded in `dir` (read before anything is written, so a bad record stops the run first). */
export function previousOutput(dir: string): string[] {
  const path = join(dir, OUTPUT_RECORD);
  if (!existsSync(path)) return [];
  const [header, ...lines] = readFileSync(path, 'utf8').split('\n');
  if (header !== RECORD_HEADER) throw new CliError(`${path}: not a record aigate wrote; delete it to start afresh`);
  // Only plain manifest names: a hand-edited record must not delete outside the directory.
  return lines.filter((f) => MANIFEST_NAME.test(f));
}

/**
 * Records `written` (file names in `dir`) and, with `prune`, deletes what an earlier run wrote and
 * this one did not. Returns the deleted file names.
 */
export function recordOutput(dir: string, previous: readonly string[], written: readonly string[], prune: boolean): string[] {
  const stale = previous.filter((f) => !written.includes(f));
  const deleted: string[] = [];
  if (prune) {
    for (const file of stale) {
      rmSync(join(dir, file), { force: true });
      deleted.push(file);
    }
  }
  const kept = prune ? [] : stale.filter((f) => existsSync(join(dir, f)));
  const files = [...new Set([...written, ...kept])].sort();
  writeFileSync(join(dir, OUTPUT_RECORD), `${[RECORD_HEADER, ...files].join('\n')}\n`);
  return deleted;
}
