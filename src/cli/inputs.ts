import { readdirSync, readFileSync, statSync } from 'fs';
import { join } from 'path';
import { LineCounter, parseAllDocuments, type Document } from 'yaml';
import { CliError } from './errors';

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

/** Expands directories (their *.yaml / *.yml files, sorted, not recursive) and keeps files as given. */
export function expandPaths(paths: readonly string[]): string[] {
  const out: string[] = [];
  for (const path of paths) {
    if (path === '-') {
      out.push(path);
      continue;
    }
    let stat;
    try {
      stat = statSync(path);
    } catch {
      throw new CliError(`${path}: no such file or directory`);
    }
    if (stat.isDirectory()) {
      const files = readdirSync(path)
        .filter((f) => YAML_FILE.test(f))
        .sort()
        .map((f) => join(path, f));
      if (files.length === 0) throw new CliError(`${path}: directory has no .yaml or .yml files`);
      out.push(...files);
    } else {
      out.push(path);
    }
  }
  return out;
}

/** Reads and parses every input; syntax problems are collected, not thrown, so all are reported. */
export function readInputs(paths: readonly string[], readStdin: () => string): { documents: InputDocument[]; problems: InputProblem[] } {
  const documents: InputDocument[] = [];
  const problems: InputProblem[] = [];
  for (const path of expandPaths(paths)) {
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
        problems.push({ file, line: pos.line, col: pos.col, message: `YAML syntax: ${error.message.split('\n')[0]}` });
      }
      if (doc.errors.length === 0 && doc.contents !== null) documents.push({ file, doc, lines, index });
    });
  }
  return { documents, problems };
}
