/**
 * meta.k8s.io/v1 Table output (what `kubectl get` asks for) built from a CRD's additionalPrinterColumns,
 * with the subset of client-go JSONPath that printer columns use.
 */
import { KubeObject, PrinterColumn, ResourceDef } from './resources';
import { ApiError } from './status';

type Step =
  | { t: 'field'; name: string }
  | { t: 'index'; i: number }
  | { t: 'all' }
  | { t: 'filter'; path: string[]; op: '==' | '!='; value: unknown; exists: boolean };

/**
 * Parses `.a.b`, `.a['b.c']`, `.a.b\.c`, `[0]`, `[-1]`, `[*]`, `[?(@.x=="v")]`, `[?(@.x!=1)]`, `[?(@.x)]`.
 * Anything else throws: the emulator does not guess at other JSONPath features.
 */
export function parseJsonPath(expr: string): Step[] {
  const src = expr.trim().replace(/^\{(.*)\}$/, '$1');
  const steps: Step[] = [];
  let i = 0;
  const fail = (why: string): never => {
    throw new Error(`unsupported JSONPath ${JSON.stringify(expr)} at ${i}: ${why}`);
  };
  while (i < src.length) {
    if (src[i] === '.') {
      i++;
      let name = '';
      while (i < src.length && src[i] !== '.' && src[i] !== '[') {
        if (src[i] === '\\' && i + 1 < src.length) { name += src[i + 1]; i += 2; continue; }
        name += src[i++];
      }
      if (name === '*') steps.push({ t: 'all' });
      else if (name) steps.push({ t: 'field', name });
      else if (i < src.length && src[i] !== '[') fail('empty field name');
      continue;
    }
    if (src[i] === '[') {
      const end = src.indexOf(']', i);
      if (end < 0) fail('unclosed [');
      const inner = src.slice(i + 1, end).trim();
      i = end + 1;
      let m: RegExpExecArray | null;
      if (inner === '*') steps.push({ t: 'all' });
      else if (/^-?\d+$/.test(inner)) steps.push({ t: 'index', i: Number(inner) });
      else if ((m = /^'([^']*)'$/.exec(inner) ?? /^"([^"]*)"$/.exec(inner))) steps.push({ t: 'field', name: m[1] });
      else if ((m = /^\?\(@((?:\.[A-Za-z0-9_-]+)+)\s*(?:(==|!=)\s*(.+?))?\s*\)$/.exec(inner))) {
        const path = m[1].slice(1).split('.');
        if (!m[2]) { steps.push({ t: 'filter', path, op: '==', value: undefined, exists: true }); continue; }
        const lit = m[3];
        let value: unknown;
        if (/^"(.*)"$/.test(lit) || /^'(.*)'$/.test(lit)) value = lit.slice(1, -1);
        else if (lit === 'true' || lit === 'false') value = lit === 'true';
        else if (!Number.isNaN(Number(lit))) value = Number(lit);
        else fail(`unsupported filter literal ${lit}`);
        steps.push({ t: 'filter', path, op: m[2] as '==' | '!=', value, exists: false });
      } else fail(`unsupported subscript [${inner}]`);
      continue;
    }
    fail(`unexpected ${JSON.stringify(src[i])}`);
  }
  return steps;
}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** All values the path selects (missing keys select nothing, as with AllowMissingKeys). */
export function evalJsonPath(steps: Step[], root: unknown): unknown[] {
  let cur: unknown[] = [root];
  for (const s of steps) {
    const next: unknown[] = [];
    for (const v of cur) {
      if (s.t === 'field') {
        if (isObj(v) && Object.prototype.hasOwnProperty.call(v, s.name)) next.push(v[s.name]);
      } else if (s.t === 'index') {
        if (Array.isArray(v)) {
          const idx = s.i < 0 ? v.length + s.i : s.i;
          if (idx >= 0 && idx < v.length) next.push(v[idx]);
        }
      } else if (s.t === 'all') {
        if (Array.isArray(v)) next.push(...v);
        else if (isObj(v)) next.push(...Object.values(v));
      } else if (Array.isArray(v)) {
        for (const el of v) {
          const got = evalJsonPath(s.path.map((name) => ({ t: 'field', name }) as Step), el);
          if (s.exists ? got.length > 0 : got.length > 0 && (got[0] === s.value) === (s.op === '=='))  next.push(el);
        }
      }
    }
    cur = next;
  }
  return cur;
}

/** k8s.io/apimachinery/pkg/util/duration.HumanDuration. */
export function humanDuration(ms: number): string {
  const seconds = Math.trunc(ms / 1000);
  if (seconds < -1) return '<invalid>';
  if (seconds < 0) return '0s';
  if (seconds < 120) return `${seconds}s`;
  const minutes = Math.trunc(seconds / 60);
  if (minutes < 10) return seconds % 60 === 0 ? `${minutes}m` : `${minutes}m${seconds % 60}s`;
  if (minutes < 180) return `${minutes}m`;
  const hours = Math.trunc(minutes / 60);
  if (hours < 8) return minutes % 60 === 0 ? `${hours}h` : `${hours}h${minutes % 60}m`;
  if (hours < 48) return `${hours}h`;
  if (hours < 24 * 8) return hours % 24 === 0 ? `${hours / 24}d` : `${Math.trunc(hours / 24)}d${hours % 24}h`;
  if (hours < 24 * 365 * 2) return `${Math.trunc(hours / 24)}d`;
  if (hours < 24 * 365 * 8) {
    const dy = Math.trunc(hours / 24) % 365;
    const y = Math.trunc(hours / 24 / 365);
    return dy === 0 ? `${y}y` : `${y}y${dy}d`;
  }
  return `${Math.trunc(hours / 24 / 365)}y`;
}

function age(ts: unknown, now: Date): string {
  if (typeof ts !== 'string' || Number.isNaN(Date.parse(ts))) return typeof ts === 'string' ? '<invalid>' : '<unknown>';
  return humanDuration(now.getTime() - Date.parse(ts));
}

/** The cell the API server's CRD table convertor puts in a column for one value. */
function cell(type: string, value: unknown, now: Date): unknown {
  if (value === null || value === undefined) return null;
  switch (type) {
    case 'string':
      if (typeof value === 'string') return value;
      if (typeof value === 'object') return JSON.stringify(value);
      return String(value);
    case 'integer':
      return typeof value === 'number' ? Math.trunc(value) : null;
    case 'number':
      return typeof value === 'number' ? value : null;
    case 'boolean':
      return typeof value === 'boolean' ? value : null;
    case 'date':
      return typeof value === 'string' ? age(value, now) : null;
    default:
      return null;
  }
}

interface CompiledColumn {
  def: { name: string; type: string; format: string; description: string; priority: number };
  steps: Step[];
}

/** Checks every printer column's JSONPath (registerCrd calls this, so a bad column fails early). */
export function compileColumns(columns: PrinterColumn[]): CompiledColumn[] {
  return columns.map((c) => ({
    def: {
      name: c.name,
      type: c.type,
      format: c.format ?? '',
      description: c.description ?? `Custom resource definition column (in JSONPath format): ${c.jsonPath}`,
      priority: c.priority ?? 0,
    },
    steps: parseJsonPath(c.jsonPath),
  }));
}

const AGE_COLUMN: PrinterColumn[] = [{ name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' }];

export type IncludeObject = 'None' | 'Metadata' | 'Object';

export function toTable(
  def: ResourceDef,
  items: KubeObject[],
  resourceVersion: string,
  includeObject: string | undefined,
  now: Date,
): Record<string, unknown> {
  const include = includeObject ?? 'Metadata';
  if (!['None', 'Metadata', 'Object', ''].includes(include)) {
    throw new ApiError(400, `unrecognized includeObject value: "${include}"`, 'BadRequest');
  }
  const columns = compileColumns(def.printerColumns ?? AGE_COLUMN);
  return {
    kind: 'Table',
    apiVersion: 'meta.k8s.io/v1',
    metadata: { resourceVersion },
    columnDefinitions: [
      { name: 'Name', type: 'string', format: 'name', description: 'Name must be unique within a namespace.', priority: 0 },
      ...columns.map((c) => c.def),
    ],
    rows: items.map((obj) => ({
      cells: [obj.metadata?.name ?? '', ...columns.map((c) => cell(c.def.type, evalJsonPath(c.steps, obj)[0], now))],
      object:
        include === 'None'
          ? null
          : include === 'Object'
            ? obj
            : { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: obj.metadata },
    })),
  };
}
