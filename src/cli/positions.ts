import { isMap, isScalar, isSeq, LineCounter, type Document, type Node } from 'yaml';

export interface Position {
  readonly line: number;
  readonly col: number;
}

/**
 * Finds where a field path points in a YAML document: the value's position, or the key's for
 * `preferKey` (an unknown field), or the deepest existing parent (a missing field).
 */
export function locate(doc: Document, lines: LineCounter, path: readonly (string | number)[], preferKey = false): Position | undefined {
  let node: unknown = doc.contents;
  let best: [number, number] | undefined = rangeOf(node);
  for (let i = 0; i < path.length; i++) {
    const segment = path[i];
    const last = i === path.length - 1;
    if (isMap(node)) {
      const pair = node.items.find((p) => (isScalar(p.key) ? p.key.value : p.key) === segment);
      if (!pair) break;
      const keyRange = rangeOf(pair.key);
      if (last && preferKey && keyRange) return toPosition(lines, keyRange[0]);
      node = pair.value;
      best = rangeOf(node) ?? keyRange ?? best;
    } else if (isSeq(node) && typeof segment === 'number') {
      node = node.items[segment];
      if (node === undefined) break;
      best = rangeOf(node) ?? best;
    } else {
      break;
    }
  }
  return best ? toPosition(lines, best[0]) : undefined;
}

function rangeOf(node: unknown): [number, number] | undefined {
  const range = (node as Node | undefined)?.range;
  return range ? [range[0], range[1]] : undefined;
}

export function toPosition(lines: LineCounter, offset: number): Position {
  const { line, col } = lines.linePos(offset);
  return { line, col };
}
