import { readdirSync, readFileSync, statSync } from 'fs';
import { join } from 'path';
import { LineCounter, parseAllDocuments, type Document } from 'yaml';
import { isStackOverflow, YAML_LIMITS } from './yaml-guard';

/** One YAML document of an input file, with what is needed to point at its lines. */
export interface InputDocument {
  /** File name as the user wrote it ("<stdin>" for -). */
  readonly file: string;
  readonly doc: Document;
  readonly lines: LineCounter;
  /** Index of the document within its file. */
  readonly index: number;
}

/** A problem that is not about a field: YAML syntax, an unreadable file. */
export interface InputProblem {
  readonly file: string;
  readonly line?: number;
  readonly col?: number;
  readonly message: string;
}

const YAML_FILE = /\.ya?ml$/i;

/**
 * Expands directories (their *.yaml / *.yml files, sorted, not recursive) and keeps files as given.
 * A path that does not exist is a problem of its own: the other inputs are still checked.
 */
export function expandPaths(paths: readonly string[]): { files: string[]; problems: InputProblem[] } {
  const files: string[] = [];
  const problems: InputProblem[] = [];
  for (const path of paths) {
    if (path === '-') {
      files.push(path);
      continue;
    }
    let stat;
    try {
      stat = statSync(path);
    } catch {
      problems.push({ file: path, message: 'no such file or directory' });
      continue;
    }
    if (stat.isDirectory()) {
      const found = readdirSync(path)
        .filter((f) => YAML_FILE.test(f))
        .sort()
        .map((f) => join(path, f));
      if (found.length === 0) problems.push({ file: path, message: 'directory has no .yaml or .yml files' });
      files.push(...found);
    } else {
      files.push(path);
    }
  }
  return { files, problems };
}

/** Reads and parses every input; syntax problems are collected, not thrown, so all are reported. */
export function readInputs(paths: readonly string[], readStdin: () => string): { documents: InputDocument[]; problems: InputProblem[] } {
  const documents: InputDocument[] = [];
  const { files, problems } = expandPaths(paths);
  for (const path of files) {
    const file = path === '-' ? '<stdin>' : path;
    let text: string;
    try {
      text = path === '-' ? readStdin() : readFileSync(path, 'utf8');
    } catch (err) {
      problems.push({ file, message: `cannot read: ${(err as Error).message}` });
      continue;
    }
    const lines = new LineCounter();
    const docs = parseAllDocuments(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
    const list = Array.isArray(docs) ? docs : [docs];
    list.forEach((doc, index) => {
      for (const error of doc.errors) {
        const pos = lines.linePos(error.pos[0]);
        const message = isStackOverflow(error.message)
          ? `YAML nested too deeply to read (more than ${YAML_LIMITS.maxDepth} levels are refused; an AIGatewayResource needs about 8)`
          : `YAML syntax: ${error.message.split('\n')[0]}`;
        problems.push({ file, line: pos.line, col: pos.col, message });
      }
      if (doc.errors.length === 0 && doc.contents !== null) documents.push({ file, doc, lines, index });
    });
  }
  return { documents, problems };
}
