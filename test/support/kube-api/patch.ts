/**
 * JSON merge patch (RFC 7386) and JSON patch (RFC 6902), plus the JSON helpers the store needs.
 */

export type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

export class PatchError extends Error {
  constructor(message: string, readonly code: 400 | 422 = 422) {
    super(message);
  }
}

export function clone<T>(v: T): T {
  return v === undefined ? v : (JSON.parse(JSON.stringify(v)) as T);
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) || Array.isArray(b)) {
    return Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((x, i) => deepEqual(x, b[i]));
  }
  if (isObject(a) && isObject(b)) {
    const ka = Object.keys(a).filter((k) => a[k] !== undefined);
    const kb = Object.keys(b).filter((k) => b[k] !== undefined);
    return ka.length === kb.length && ka.every((k) => Object.prototype.hasOwnProperty.call(b, k) && deepEqual(a[k], b[k]));
  }
  return false;
}

/**
 * RFC 7386 MergePatch(target, patch): an object patch merges key by key, a null value deletes the key,
 * anything else (arrays included) replaces the target value whole.
 */
export function mergePatch(target: unknown, patch: unknown): unknown {
  if (!isObject(patch)) return clone(patch);
  const out: Record<string, unknown> = isObject(target) ? clone(target) : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k], v);
  }
  return out;
}

type Operation = { op: string; path: string; value?: unknown; from?: string };

function parsePointer(pointer: string): string[] {
  if (pointer === '') return [];
  if (!pointer.startsWith('/')) throw new PatchError(`invalid JSON pointer "${pointer}": must start with '/'`, 400);
  return pointer
    .slice(1)
    .split('/')
    .map((t) => t.replace(/~1/g, '/').replace(/~0/g, '~'));
}

function arrayIndex(arr: unknown[], token: string, forAdd: boolean, pointer: string): number {
  if (forAdd && token === '-') return arr.length;
  if (!/^(0|[1-9]\d*)$/.test(token)) throw new PatchError(`invalid array index "${token}" in "${pointer}"`);
  const i = Number(token);
  if (i > arr.length || (!forAdd && i === arr.length)) throw new PatchError(`array index ${i} out of bounds in "${pointer}"`);
  return i;
}

/** Returns the container of the last token, and that token. */
function locate(doc: unknown, pointer: string): { parent: unknown; key: string } {
  const tokens = parsePointer(pointer);
  if (tokens.length === 0) throw new PatchError('operations on the whole document are not supported');
  let cur = doc;
  for (const t of tokens.slice(0, -1)) {
    if (Array.isArray(cur)) cur = cur[arrayIndex(cur, t, false, pointer)];
    else if (isObject(cur) && Object.prototype.hasOwnProperty.call(cur, t)) cur = cur[t];
    else throw new PatchError(`doc is missing path: "${pointer}"`);
  }
  if (!Array.isArray(cur) && !isObject(cur)) throw new PatchError(`doc is missing path: "${pointer}"`);
  return { parent: cur, key: tokens[tokens.length - 1] };
}

function getAt(doc: unknown, pointer: string): unknown {
  if (pointer === '') return doc;
  const { parent, key } = locate(doc, pointer);
  if (Array.isArray(parent)) return parent[arrayIndex(parent, key, false, pointer)];
  const obj = parent as Record<string, unknown>;
  if (!Object.prototype.hasOwnProperty.call(obj, key)) throw new PatchError(`doc is missing key: "${pointer}"`);
  return obj[key];
}

function add(doc: unknown, pointer: string, value: unknown): void {
  const { parent, key } = locate(doc, pointer);
  if (Array.isArray(parent)) parent.splice(arrayIndex(parent, key, true, pointer), 0, clone(value));
  else (parent as Record<string, unknown>)[key] = clone(value);
}

function remove(doc: unknown, pointer: string): unknown {
  const { parent, key } = locate(doc, pointer);
  if (Array.isArray(parent)) return parent.splice(arrayIndex(parent, key, false, pointer), 1)[0];
  const obj = parent as Record<string, unknown>;
  if (!Object.prototype.hasOwnProperty.call(obj, key)) throw new PatchError(`unable to remove nonexistent key: "${pointer}"`);
  const old = obj[key];
  delete obj[key];
  return old;
}

/** RFC 6902: add, remove, replace, move, copy, test. Throws PatchError (422) when an operation fails. */
export function jsonPatch(target: unknown, ops: unknown): unknown {
  if (!Array.isArray(ops)) throw new PatchError('a JSON patch must be an array of operations', 400);
  let doc = clone(target);
  for (const raw of ops as Operation[]) {
    if (!isObject(raw) || typeof raw.op !== 'string' || typeof raw.path !== 'string') {
      throw new PatchError(`invalid operation ${JSON.stringify(raw)}: needs "op" and "path"`, 400);
    }
    const needsValue = ['add', 'replace', 'test'].includes(raw.op);
    if (needsValue && !Object.prototype.hasOwnProperty.call(raw, 'value')) {
      throw new PatchError(`operation "${raw.op}" at "${raw.path}" needs a "value"`, 400);
    }
    switch (raw.op) {
      case 'add':
        if (raw.path === '') doc = clone(raw.value);
        else add(doc, raw.path, raw.value);
        break;
      case 'remove':
        remove(doc, raw.path);
        break;
      case 'replace':
        if (raw.path === '') { doc = clone(raw.value); break; }
        getAt(doc, raw.path); // must exist
        remove(doc, raw.path);
        add(doc, raw.path, raw.value);
        break;
      case 'move': {
        if (typeof raw.from !== 'string') throw new PatchError('"move" needs "from"', 400);
        if (raw.path.startsWith(`${raw.from}/`)) throw new PatchError(`cannot move "${raw.from}" into its own child "${raw.path}"`);
        const v = remove(doc, raw.from);
        add(doc, raw.path, v);
        break;
      }
      case 'copy':
        if (typeof raw.from !== 'string') throw new PatchError('"copy" needs "from"', 400);
        add(doc, raw.path, getAt(doc, raw.from));
        break;
      case 'test':
        if (!deepEqual(getAt(doc, raw.path), raw.value)) {
          throw new PatchError(`testing value ${raw.path} failed: expected ${JSON.stringify(raw.value)}`);
        }
        break;
      default:
        throw new PatchError(`unexpected kind of operation "${raw.op}"`, 400);
    }
  }
  return doc;
}
