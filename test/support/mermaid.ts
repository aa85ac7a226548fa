/**
 * A parser for the subset of Mermaid flowchart syntax `aigate explain --format mermaid` emits:
 * a `flowchart TD` header, `%%` comments, node declarations `id<open>"label"<close>` and edges
 * `a -->|"label"| b` / `a -.->|"label"| b` / `a --> b`. Anything else is a parse error, so new
 * syntax in the output needs a deliberate change here.
 */
export interface FlowNode {
  readonly id: string;
  readonly shape: 'stadium' | 'round' | 'box' | 'decision';
  /** Label lines (split at <br/>), entities decoded. */
  readonly label: string[];
}

export interface FlowEdge {
  readonly from: string;
  readonly to: string;
  readonly label?: string;
  readonly dotted: boolean;
}

export interface Flowchart {
  readonly direction: string;
  readonly nodes: Map<string, FlowNode>;
  readonly edges: FlowEdge[];
}

const SHAPES: [string, string, FlowNode['shape']][] = [
  ['([', '])', 'stadium'],
  ['(', ')', 'round'],
  ['[', ']', 'box'],
  ['{', '}', 'decision'],
];
const ID = '[A-Za-z][A-Za-z0-9_]*';
const NODE = new RegExp(`^(${ID})(\\(\\[|\\(|\\[|\\{)"([^"]*)"(\\]\\)|\\)|\\]|\\})$`);
const EDGE = new RegExp(`^(${ID}) (-->|-\\.->)(?:\\|"([^"]*)"\\|)? (${ID})$`);
const ENTITIES: Record<string, string> = { quot: '"', lt: '<', gt: '>', '35': '#', '124': '|' };

export function decodeEntities(text: string): string {
  return text.replace(/#(quot|lt|gt|35|124);/g, (_, name: string) => ENTITIES[name]);
}

export function parseFlowchart(text: string): Flowchart {
  const lines = text.split('\n').filter((l) => l.trim() !== '');
  const header = /^flowchart (TD|TB|LR|RL|BT)$/.exec(lines[0] ?? '');
  if (!header) throw new Error(`line 1: expected "flowchart <direction>", found ${JSON.stringify(lines[0])}`);
  const nodes = new Map<string, FlowNode>();
  const edges: FlowEdge[] = [];
  lines.slice(1).forEach((raw, i) => {
    const line = raw.trim();
    if (line.startsWith('%%')) return;
    const node = NODE.exec(line);
    if (node) {
      const [, id, open, label, close] = node;
      const shape = SHAPES.find(([o, c]) => o === open && c === close);
      if (!shape) throw new Error(`line ${i + 2}: brackets ${open} and ${close} do not match`);
      if (nodes.has(id)) throw new Error(`line ${i + 2}: node ${id} declared twice`);
      nodes.set(id, { id, shape: shape[2], label: label.split('<br/>').map(decodeEntities) });
      return;
    }
    const edge = EDGE.exec(line);
    if (edge) {
      const [, from, arrow, label, to] = edge;
      edges.push({ from, to, dotted: arrow === '-.->', ...(label !== undefined && { label: decodeEntities(label) }) });
      return;
    }
    throw new Error(`line ${i + 2}: not a node, an edge or a comment: ${JSON.stringify(line)}`);
  });
  return { direction: header[1], nodes, edges };
}

/** Ids reachable from `start` along edges. */
export function reachable(chart: Flowchart, start: string): Set<string> {
  const seen = new Set([start]);
  const queue = [start];
  while (queue.length > 0) {
    const at = queue.shift()!;
    for (const edge of chart.edges) {
      if (edge.from === at && !seen.has(edge.to)) {
        seen.add(edge.to);
        queue.push(edge.to);
      }
    }
  }
  return seen;
}
