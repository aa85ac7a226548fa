import { isAlias, isMap, isPair, isSeq, type Document, type LineCounter, type Node } from 'yaml';
import { toPosition } from './positions';

/**
 * Limits on a YAML document, checked before it is turned into data: the yaml library would
 * otherwise throw (an alias bomb, an alias to no anchor) or overflow the stack (deep nesting), and
 * a hostile file must get a sentence with its position, never a crash. An AIGatewayResource is
 * about 8 levels deep and needs no aliases at all, so the limits are generous for real input.
 */
export const YAML_LIMITS = {
  /** Nesting of mappings and sequences. */
  maxDepth: 64,
  /** Alias nodes (`*name`) in one document; also what each alias may expand to (yaml's maxAliasCount). */
  maxAliases: 100,
} as const;

export interface YamlProblem {
  readonly line: number;
  readonly col: number;
  readonly message: string;
}

const position = (lines: LineCounter, node: Node | undefined) => toPosition(lines, node?.range?.[0] ?? 0);

/** The first problem of `doc` against YAML_LIMITS, walking it without recursion; undefined if none. */
export function yamlLimitProblem(doc: Document, lines: LineCounter): YamlProblem | undefined {
  const stack: { node: unknown; depth: number }[] = [{ node: doc.contents, depth: 0 }];
  let aliases = 0;
  while (stack.length > 0) {
    const { node, depth } = stack.pop()!;
    if (isAlias(node)) {
      aliases++;
      if (node.resolve(doc) === undefined) {
        return { ...position(lines, node), message: `YAML alias *${node.source} refers to no anchor &${node.source} defined before it` };
      }
      if (aliases > YAML_LIMITS.maxAliases) {
        return { ...position(lines, node), message: `more than ${YAML_LIMITS.maxAliases} YAML aliases in one document; write the values out` };
      }
      continue;
    }
    if (isPair(node)) {
      stack.push({ node: node.value, depth }, { node: node.key, depth });
      continue;
    }
    if (isMap(node) || isSeq(node)) {
      if (depth >= YAML_LIMITS.maxDepth) {
        return { ...position(lines, node as Node), message: `YAML nested deeper than ${YAML_LIMITS.maxDepth} levels; an AIGatewayResource needs about 8` };
      }
      for (let i = node.items.length - 1; i >= 0; i--) stack.push({ node: node.items[i], depth: depth + 1 });
    }
  }
  return undefined;
}

/** A parse error the yaml library reports for input too deep for its recursive parser. */
export const isStackOverflow = (message: string) => /maximum call stack size exceeded/i.test(message);

/**
 * The document as plain data, or the problem that prevents it. Aliases are expanded with the
 * same budget as YAML_LIMITS.maxAliases, so an alias bomb (a few aliases expanding to millions of
 * nodes) is refused too.
 */
export function documentData(doc: Document, lines: LineCounter): { ok: true; value: unknown } | { ok: false; problem: YamlProblem } {
  const limit = yamlLimitProblem(doc, lines);
  if (limit) return { ok: false, problem: limit };
  try {
    return { ok: true, value: doc.toJS({ maxAliasCount: YAML_LIMITS.maxAliases }) };
  } catch (err) {
    const message = (err as Error).message;
    const why = /alias/i.test(message)
      ? `YAML aliases expand beyond the limit of ${YAML_LIMITS.maxAliases} (an alias bomb); write the values out`
      : `YAML cannot be read: ${message.split('\n')[0]}`;
    return { ok: false, problem: { ...position(lines, doc.contents as Node), message: why } };
  }
}
