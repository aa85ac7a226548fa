import { readdirSync, readFileSync, statSync } from 'fs';
import { dirname, join, relative, resolve } from 'path';

const SRC = join(__dirname, '..', 'src');

/** Which layers each layer may import (dependencies point one way). */
const ALLOWED: Record<string, string[]> = {
  spec: ['spec'],
  envoy: ['envoy', 'spec'],
  constructs: ['constructs', 'envoy', 'spec', 'imports'],
  reconcile: ['reconcile', 'spec'],
  cli: ['cli', 'constructs', 'envoy', 'spec', 'reconcile'],
  '.': ['constructs', 'envoy', 'spec', 'reconcile', '.'],
};

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? files(path) : path.endsWith('.ts') ? [path] : [];
  });
}

const sources = files(SRC);

function localImports(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const specifiers = [...text.matchAll(/(?:\bfrom\s+|\bimport\s+|\brequire\()'(\.[^']+)'/g)].map((m) => m[1]);
  return specifiers.map((s) => {
    const base = resolve(dirname(file), s);
    for (const candidate of [`${base}.ts`, join(base, 'index.ts')]) {
      try {
        if (statSync(candidate).isFile()) return candidate;
      } catch {
        // try the next form
      }
    }
    return base;
  });
}

function layerOf(file: string): string {
  const rel = relative(SRC, file);
  if (rel.startsWith('..')) return relative(join(SRC, '..'), file).split('/')[0];
  const parts = rel.split('/');
  return parts.length === 1 ? '.' : parts[0];
}

describe('architecture', () => {
  test('layers only import the layers below them', () => {
    const violations: string[] = [];
    for (const file of sources) {
      const layer = layerOf(file);
      for (const target of localImports(file)) {
        const targetLayer = layerOf(target);
        if (!ALLOWED[layer]?.includes(targetLayer)) violations.push(`${relative(SRC, file)} imports ${relative(SRC, target)} (${layer} -> ${targetLayer})`);
      }
    }
    expect(violations).toEqual([]);
  });

  test('there are no import cycles', () => {
    const graph = new Map(sources.map((f) => [f, localImports(f).filter((t) => t.startsWith(SRC))]));
    const cycles: string[] = [];
    const state = new Map<string, 'visiting' | 'done'>();
    const visit = (file: string, stack: string[]) => {
      if (state.get(file) === 'done') return;
      if (state.get(file) === 'visiting') {
        cycles.push([...stack.slice(stack.indexOf(file)), file].map((f) => relative(SRC, f)).join(' -> '));
        return;
      }
      state.set(file, 'visiting');
      for (const next of graph.get(file) ?? []) visit(next, [...stack, file]);
      state.set(file, 'done');
    };
    for (const file of sources) visit(file, []);
    expect(cycles).toEqual([]);
  });

  test('no source file is over 400 lines', () => {
    const long = sources
      .map((f) => [relative(SRC, f), readFileSync(f, 'utf8').split('\n').length] as const)
      .filter(([, lines]) => lines > 400);
    expect(long).toEqual([]);
  });

  test('src/envoy does not depend on cdk8s (pure spec -> Envoy translation)', () => {
    const offenders = sources.filter((f) => layerOf(f) === 'envoy' && /from '(cdk8s|cdk8s-plus-28|constructs)'/.test(readFileSync(f, 'utf8')));
    expect(offenders).toEqual([]);
  });
});
