/**
 * Strict proto3-JSON checker for Envoy configs, driven by Envoy's own API protos.
 *
 * `checkEnvoyBootstrap(config)` walks a JSON value (as Envoy would read it from YAML/JSON) against
 * `envoy.config.bootstrap.v3.Bootstrap` and returns human-readable errors, each prefixed with a
 * JSON path (`static_resources.listeners[0].filter_chains[0]...`). An empty list means the config
 * parses under the proto3 JSON mapping and passes the protoc-gen-validate (PGV) rules listed
 * below, with no deprecated field set.
 *
 * proto3 JSON mapping enforced:
 * - field names: the proto name (snake_case) or the lowerCamel JSON name; both for one field is
 *   an error; unknown names are errors (Envoy loads static config with unknown fields rejected).
 * - `null` means "unset" (except inside google.protobuf.Value/Struct/ListValue).
 * - scalars: 32-bit ints as integral numbers or decimal strings (range-checked); 64-bit ints as
 *   numbers or decimal strings; float/double as numbers or numeric strings / "NaN" /
 *   "Infinity" / "-Infinity"; bool as true/false; string as string; bytes as base64 (standard or
 *   URL-safe, padding optional).
 * - enums by value name, or by number only when that number is defined.
 * - well-known types: Duration `"1.5s"` (up to 9 fractional digits), Timestamp RFC 3339,
 *   FieldMask string, wrappers as bare values, Struct/Value/ListValue as free JSON, Empty `{}`,
 *   Any as `{"@type": "type.googleapis.com/<full.name>", ...fields}` (or `"value"` for a
 *   well-known type inside Any). `@type` packages are loaded on demand; TypedStruct
 *   (`udpa.type.v1` / `xds.type.v3`) payloads are checked against their `type_url` too.
 * - two members of one oneof set is an error.
 * - deprecated fields (`deprecated = true`, `envoy.annotations.deprecated_at_minor_version`,
 *   `envoy.annotations.disallowed_by_default`, plus UPSTREAM_DEPRECATED_FIELDS) and deprecated
 *   enum values are errors.
 *
 * PGV rules enforced (the ones Envoy checks when it loads a config):
 * - oneof `(validate.required)`.
 * - message: `required`.
 * - string: const, len, min_len, max_len (code points), len_bytes, min_bytes, max_bytes, prefix,
 *   suffix, contains, not_contains, in, not_in, pattern (RE2 translated to JS), ignore_empty,
 *   well_known_regex HTTP_HEADER_NAME / HTTP_HEADER_VALUE (strict and non-strict), well_known
 *   ipv4/ipv6/ip/hostname/address (simple checks).
 * - bytes: const (base64-compared), len, min_len, max_len.
 * - numbers (all integer kinds, float, double, and their wrapper types):
 *   const, lt, lte, gt, gte (including PGV's "exclusive range" form), in, not_in.
 * - bool: const. enum: const, defined_only, in, not_in.
 * - repeated: min_items, max_items, unique, ignore_empty, items (any of the rules above).
 * - map: min_pairs, max_pairs, keys, values, ignore_empty.
 * - duration: required, const, lt, lte, gt, gte, in, not_in.
 * - timestamp: required, const, lt, lte, gt, gte.
 * - any: required, in, not_in.
 *
 * NOT ENFORCED (documented gaps):
 * - PGV string well_known email/uri/uri_ref/uuid, bytes ip/ipv4/ipv6/pattern/prefix/suffix/contains,
 *   timestamp lt_now/gt_now/within, map no_sparse, message `skip` (we validate anyway, which
 *   is stricter), message-level `(validate.disabled)` (not used by Envoy's protos).
 * - Envoy's own constraints implemented in C++ rather than in PGV (e.g. "route must have a
 *   cluster", HCM "router must be last", duplicate listener addresses): see semantic-check.ts.
 * - Whether an `@type` fits the extension point it appears in (e.g. a cluster type given as an
 *   HTTP filter) and whether Envoy's binary includes that extension.
 * - RE2 `pattern` rules are approximated with JS RegExp (see re2.ts).
 * - Fields added to Envoy after the bundled mid-2024 protos are unknown fields, except the ones
 *   in DEFAULT_OVERLAY_FIELDS (proto-loader.ts).
 */
import * as protobuf from 'protobufjs';
import { envoyProtos, UPSTREAM_DEPRECATED_FIELDS } from './proto-loader';
import { re2ToJs } from './re2';

export const BOOTSTRAP_TYPE = 'envoy.config.bootstrap.v3.Bootstrap';
const TYPE_URL_PREFIX = 'type.googleapis.com/';

/** Called for every message object the walker enters (after `@type` resolution). */
export type MessageVisitor = (visit: {
  /** Full message name without leading dot, e.g. `envoy.config.route.v3.RouteAction`. */
  type: string;
  /** The JSON object as given (field keys may be snake_case or lowerCamel). */
  value: Record<string, unknown>;
  /** JSON path of the object. */
  path: string;
}) => void;

export interface WalkOptions {
  /** Invoked for every message object, including ones with errors. */
  visit?: MessageVisitor;
}

// ---------------------------------------------------------------------------------------------
// Field-name helpers (shared with semantic-check / route-eval through getField).

/** protoc's default JSON name: drop `_` and upper-case the next character. */
export function jsonName(protoName: string): string {
  let out = '';
  let upper = false;
  for (const ch of protoName) {
    if (ch === '_') upper = true;
    else if (upper) {
      out += ch.toUpperCase();
      upper = false;
    } else out += ch;
  }
  return out;
}

/** Read a proto field from a JSON object written with either its snake_case or lowerCamel name. */
export function getField(obj: unknown, protoName: string): unknown {
  if (!isPlainObject(obj)) return undefined;
  if (protoName in obj) return obj[protoName];
  const j = jsonName(protoName);
  return j in obj ? obj[j] : undefined;
}

/** The key actually used in `obj` for a proto field (for paths), or the snake_case name. */
export function fieldKey(obj: unknown, protoName: string): string {
  if (isPlainObject(obj) && !(protoName in obj)) {
    const j = jsonName(protoName);
    if (j in obj) return j;
  }
  return protoName;
}

export function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function joinPath(base: string, key: string | number): string {
  if (typeof key === 'number') return `${base}[${key}]`;
  if (/^[A-Za-z_@][A-Za-z0-9_@]*$/.test(key)) return base ? `${base}.${key}` : key;
  return `${base}[${JSON.stringify(key)}]`;
}

function fmtPath(p: string): string {
  return p === '' ? '(root)' : p;
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'string') return `string ${JSON.stringify(v.length > 40 ? v.slice(0, 40) + '…' : v)}`;
  if (typeof v === 'object') return 'object';
  return `${typeof v} ${String(v)}`;
}

// ---------------------------------------------------------------------------------------------
// Per-type metadata caches.

interface TypeInfo {
  byKey: Map<string, protobuf.Field>;
  fields: protobuf.Field[];
  /** Real (non-synthetic) oneofs. */
  oneofs: protobuf.OneOf[];
}
const typeInfoCache = new WeakMap<protobuf.Type, TypeInfo>();

function typeInfo(t: protobuf.Type): TypeInfo {
  let info = typeInfoCache.get(t);
  if (!info) {
    const byKey = new Map<string, protobuf.Field>();
    for (const f of t.fieldsArray) {
      byKey.set(f.name, f);
      byKey.set(jsonName(f.name), f);
      const custom = f.options?.json_name;
      if (typeof custom === 'string') byKey.set(custom, f);
    }
    const oneofs = t.oneofsArray.filter((o) => !isSyntheticOneof(o));
    info = { byKey, fields: t.fieldsArray, oneofs };
    typeInfoCache.set(t, info);
  }
  return info;
}

function isSyntheticOneof(o: protobuf.OneOf): boolean {
  return o.fieldsArray.length === 1 && o.fieldsArray[0].options?.proto3_optional === true;
}

function fullName(t: protobuf.ReflectionObject): string {
  return t.fullName.replace(/^\./, '');
}

/** Merge every `(validate.rules)` entry of a field's parsed options into one object. */
const rulesCache = new WeakMap<protobuf.Field, Record<string, unknown> | null>();
function fieldRules(f: protobuf.Field): Record<string, unknown> | null {
  if (rulesCache.has(f)) return rulesCache.get(f)!;
  let merged: Record<string, unknown> | null = null;
  for (const po of f.parsedOptions ?? []) {
    const r = (po as Record<string, unknown>)['(validate.rules)'];
    if (isPlainObject(r)) merged = deepMerge(merged ?? {}, r);
  }
  rulesCache.set(f, merged);
  return merged;
}

function deepMerge(a: Record<string, unknown>, b: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...a };
  for (const [k, v] of Object.entries(b)) {
    out[k] = isPlainObject(v) && isPlainObject(out[k]) ? deepMerge(out[k] as Record<string, unknown>, v) : v;
  }
  return out;
}

const upstreamDeprecated = new Set(UPSTREAM_DEPRECATED_FIELDS);

function deprecationOf(f: protobuf.Field): string | undefined {
  const o = f.options ?? {};
  if (o.deprecated === true) {
    const v = o['(envoy.annotations.deprecated_at_minor_version)'];
    return v ? `deprecated (since API ${v})` : 'deprecated';
  }
  if (o['(envoy.annotations.deprecated_at_minor_version)']) return 'deprecated';
  if (o['(envoy.annotations.disallowed_by_default)']) return 'disallowed by default';
  const parent = f.parent ? fullName(f.parent) : '';
  if (upstreamDeprecated.has(`${parent}.${f.name}`)) return 'deprecated in newer Envoy API (upstream data-plane-api)';
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// Scalar parsing.

const INT_RANGES: Record<string, [bigint, bigint]> = {
  int32: [-(2n ** 31n), 2n ** 31n - 1n],
  sint32: [-(2n ** 31n), 2n ** 31n - 1n],
  sfixed32: [-(2n ** 31n), 2n ** 31n - 1n],
  uint32: [0n, 2n ** 32n - 1n],
  fixed32: [0n, 2n ** 32n - 1n],
  int64: [-(2n ** 63n), 2n ** 63n - 1n],
  sint64: [-(2n ** 63n), 2n ** 63n - 1n],
  sfixed64: [-(2n ** 63n), 2n ** 63n - 1n],
  uint64: [0n, 2n ** 64n - 1n],
  fixed64: [0n, 2n ** 64n - 1n],
};

const WRAPPERS: Record<string, string> = {
  'google.protobuf.DoubleValue': 'double',
  'google.protobuf.FloatValue': 'float',
  'google.protobuf.Int64Value': 'int64',
  'google.protobuf.UInt64Value': 'uint64',
  'google.protobuf.Int32Value': 'int32',
  'google.protobuf.UInt32Value': 'uint32',
  'google.protobuf.BoolValue': 'bool',
  'google.protobuf.StringValue': 'string',
  'google.protobuf.BytesValue': 'bytes',
};

/** A checked scalar: the JS value used for PGV rules (bigint for integers, number for floats). */
type Scalar = bigint | number | boolean | string;

function parseScalar(kind: string, v: unknown): { ok: true; value: Scalar } | { ok: false; msg: string } {
  const range = INT_RANGES[kind];
  if (range) {
    let n: bigint;
    if (typeof v === 'number') {
      if (!Number.isFinite(v) || !Number.isInteger(v)) return { ok: false, msg: `expected an integer (${kind}), got ${describe(v)}` };
      n = BigInt(v);
    } else if (typeof v === 'string') {
      if (!/^-?\d+$/.test(v)) return { ok: false, msg: `expected an integer (${kind}) as number or decimal string, got ${describe(v)}` };
      n = BigInt(v);
    } else return { ok: false, msg: `expected an integer (${kind}), got ${describe(v)}` };
    if (n < range[0] || n > range[1]) return { ok: false, msg: `${String(v)} is out of range for ${kind}` };
    return { ok: true, value: n };
  }
  switch (kind) {
    case 'double':
    case 'float': {
      let x: number;
      if (typeof v === 'number') x = v;
      else if (typeof v === 'string') {
        if (v === 'NaN') x = NaN;
        else if (v === 'Infinity') x = Infinity;
        else if (v === '-Infinity') x = -Infinity;
        else if (/^-?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(v)) x = Number(v);
        else return { ok: false, msg: `expected a number (${kind}), got ${describe(v)}` };
      } else return { ok: false, msg: `expected a number (${kind}), got ${describe(v)}` };
      if (kind === 'float' && Number.isFinite(x) && Math.abs(x) > 3.4028234663852886e38) {
        return { ok: false, msg: `${x} is out of range for float` };
      }
      return { ok: true, value: x };
    }
    case 'bool':
      return typeof v === 'boolean' ? { ok: true, value: v } : { ok: false, msg: `expected a boolean, got ${describe(v)}` };
    case 'string':
      return typeof v === 'string' ? { ok: true, value: v } : { ok: false, msg: `expected a string, got ${describe(v)}` };
    case 'bytes': {
      if (typeof v !== 'string') return { ok: false, msg: `expected base64 bytes as a string, got ${describe(v)}` };
      const s = v.replace(/=+$/, '');
      if (!/^[A-Za-z0-9+/_-]*$/.test(s) || s.length % 4 === 1 || v.length - s.length > 2) {
        return { ok: false, msg: `expected base64 bytes, got ${describe(v)}` };
      }
      return { ok: true, value: v };
    }
    default:
      return { ok: false, msg: `unsupported scalar type ${kind}` };
  }
}

function scalarDefault(kind: string): Scalar {
  if (INT_RANGES[kind]) return 0n;
  if (kind === 'double' || kind === 'float') return 0;
  if (kind === 'bool') return false;
  return '';
}

function bytesLength(b64: string): number {
  return Buffer.from(b64.replace(/-/g, '+').replace(/_/g, '/'), 'base64').length;
}

const DURATION_RE = /^(-)?(\d+)(?:\.(\d{1,9}))?s$/;
const MAX_DURATION_SECONDS = 315576000000n;

/** Parse a proto3 JSON Duration into nanoseconds. */
export function parseDuration(v: unknown): bigint | undefined {
  if (typeof v !== 'string') return undefined;
  const m = DURATION_RE.exec(v);
  if (!m) return undefined;
  const secs = BigInt(m[2]);
  if (secs > MAX_DURATION_SECONDS) return undefined;
  const nanos = BigInt((m[3] ?? '').padEnd(9, '0') || '0');
  const total = secs * 1000000000n + nanos;
  return m[1] ? -total : total;
}

const TIMESTAMP_RE = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?([Zz]|[+-]\d{2}:\d{2})$/;

function parseTimestamp(v: unknown): bigint | undefined {
  if (typeof v !== 'string') return undefined;
  const m = TIMESTAMP_RE.exec(v);
  if (!m) return undefined;
  const ms = Date.parse(`${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}${m[8].toUpperCase()}`);
  if (Number.isNaN(ms)) return undefined;
  const frac = BigInt((m[7] ?? '.').slice(1).padEnd(9, '0') || '0');
  return BigInt(ms) * 1000000n + frac;
}

/** PGV Duration/Timestamp rule values arrive as `{seconds, nanos}` objects. */
function ruleNanos(r: unknown): bigint {
  if (!isPlainObject(r)) return 0n;
  const s = r.seconds ?? 0;
  const n = r.nanos ?? 0;
  return BigInt(String(s)) * 1000000000n + BigInt(String(n));
}

function fmtNanos(n: bigint): string {
  const neg = n < 0n;
  const a = neg ? -n : n;
  const s = a / 1000000000n;
  const frac = (a % 1000000000n).toString().padStart(9, '0').replace(/0+$/, '');
  return `${neg ? '-' : ''}${s}${frac ? '.' + frac : ''}s`;
}

// ---------------------------------------------------------------------------------------------
// PGV helpers.

const HEADER_NAME_STRICT = /^:?[0-9a-zA-Z!#$%&'*+\-.^_|~`]+$/;
const HEADER_VALUE_STRICT = /^[^\u0000-\u0008\u000A-\u001F\u007F]*$/;
const HEADER_LOOSE = /^[^\u0000\u000A\u000D]*$/;

function cmp(a: Scalar, b: Scalar): number {
  if (typeof a === 'bigint' || typeof b === 'bigint') {
    const x = typeof a === 'bigint' ? a : BigInt(Math.trunc(Number(a)));
    const y = typeof b === 'bigint' ? b : BigInt(Math.trunc(Number(b)));
    if (typeof a !== 'bigint' && !Number.isInteger(Number(a))) return Number(a) < Number(y) ? -1 : 1;
    if (typeof b !== 'bigint' && !Number.isInteger(Number(b))) return Number(x) < Number(b) ? -1 : 1;
    return x < y ? -1 : x > y ? 1 : 0;
  }
  const x = Number(a);
  const y = Number(b);
  return x < y ? -1 : x > y ? 1 : 0;
}

function toRuleScalar(kind: string, r: unknown): Scalar {
  if (INT_RANGES[kind]) return BigInt(String(r));
  return Number(r);
}

/** PGV numeric range rules (gt/gte/lt/lte, including the exclusive "outside" form). */
function checkRange(
  val: Scalar,
  rules: Record<string, unknown>,
  conv: (r: unknown) => Scalar,
  show: (s: Scalar) => string,
): string | undefined {
  const lower = 'gt' in rules ? { v: conv(rules.gt), incl: false } : 'gte' in rules ? { v: conv(rules.gte), incl: true } : undefined;
  const upper = 'lt' in rules ? { v: conv(rules.lt), incl: false } : 'lte' in rules ? { v: conv(rules.lte), incl: true } : undefined;
  const aboveLower = (l: { v: Scalar; incl: boolean }) => (l.incl ? cmp(val, l.v) >= 0 : cmp(val, l.v) > 0);
  const belowUpper = (u: { v: Scalar; incl: boolean }) => (u.incl ? cmp(val, u.v) <= 0 : cmp(val, u.v) < 0);
  const lowerText = (l: { v: Scalar; incl: boolean }) => `${l.incl ? '>=' : '>'} ${show(l.v)}`;
  const upperText = (u: { v: Scalar; incl: boolean }) => `${u.incl ? '<=' : '<'} ${show(u.v)}`;
  if (lower && upper && cmp(lower.v, upper.v) > 0) {
    // Exclusive range: value must lie outside [upper, lower].
    if (!(aboveLower(lower) || belowUpper(upper))) return `must be ${lowerText(lower)} or ${upperText(upper)}`;
    return undefined;
  }
  if (lower && !aboveLower(lower)) return upper ? `must be ${lowerText(lower)} and ${upperText(upper)}` : `must be ${lowerText(lower)}`;
  if (upper && !belowUpper(upper)) return lower ? `must be ${lowerText(lower)} and ${upperText(upper)}` : `must be ${upperText(upper)}`;
  return undefined;
}

function codePoints(s: string): number {
  let n = 0;
  for (const _ of s) n++;
  return n;
}

function isIPv4(s: string): boolean {
  const parts = s.split('.');
  return parts.length === 4 && parts.every((p) => /^\d{1,3}$/.test(p) && Number(p) <= 255);
}
function isIPv6(s: string): boolean {
  if (!/^[0-9A-Fa-f:.]+$/.test(s) || !s.includes(':')) return false;
  const dbl = s.split('::');
  if (dbl.length > 2) return false;
  const groups = s.split(':').filter((g) => g !== '');
  let count = groups.length;
  const last = groups[groups.length - 1];
  if (last && last.includes('.')) {
    if (!isIPv4(last)) return false;
    count += 1;
  }
  if (!groups.every((g, i) => (i === groups.length - 1 && g.includes('.')) || /^[0-9A-Fa-f]{1,4}$/.test(g))) return false;
  return dbl.length === 2 ? count < 8 : count === 8;
}
function isHostname(s: string): boolean {
  if (s.length === 0 || s.length > 253) return false;
  return s
    .replace(/\.$/, '')
    .split('.')
    .every((l) => /^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/.test(l));
}

// ---------------------------------------------------------------------------------------------
// The walker.

class Walker {
  readonly errors: string[] = [];
  constructor(private readonly opts: WalkOptions) {}

  err(path: string, msg: string): void {
    this.errors.push(`${fmtPath(path)}: ${msg}`);
  }

  /** Check `value` as a message of type `t` (handles well-known types). */
  message(t: protobuf.Type, value: unknown, path: string): void {
    const name = fullName(t);
    switch (name) {
      case 'google.protobuf.Any':
        return this.any(value, path);
      case 'google.protobuf.Duration':
        if (parseDuration(value) === undefined) {
          this.err(path, `invalid google.protobuf.Duration ${describe(value)}: expected a string of seconds with an "s" suffix, e.g. "1.5s" or "0.120s"`);
        }
        return;
      case 'google.protobuf.Timestamp':
        if (parseTimestamp(value) === undefined) this.err(path, `invalid google.protobuf.Timestamp ${describe(value)}: expected RFC 3339, e.g. "2024-01-01T00:00:00Z"`);
        return;
      case 'google.protobuf.FieldMask':
        if (typeof value !== 'string') this.err(path, `invalid google.protobuf.FieldMask ${describe(value)}: expected a comma-separated string`);
        return;
      case 'google.protobuf.Struct':
        if (!isPlainObject(value)) this.err(path, `invalid google.protobuf.Struct: expected a JSON object, got ${describe(value)}`);
        return;
      case 'google.protobuf.ListValue':
        if (!Array.isArray(value)) this.err(path, `invalid google.protobuf.ListValue: expected a JSON array, got ${describe(value)}`);
        return;
      case 'google.protobuf.Value':
        if (value === undefined) this.err(path, 'invalid google.protobuf.Value');
        return;
      case 'google.protobuf.Empty':
        if (!isPlainObject(value) || Object.keys(value).length > 0) this.err(path, `invalid google.protobuf.Empty: expected {}, got ${describe(value)}`);
        return;
    }
    const wrapped = WRAPPERS[name];
    if (wrapped) {
      const r = parseScalar(wrapped, value);
      if (!r.ok) this.err(path, `${r.msg} (${name} is written as a bare value)`);
      return;
    }
    if (!isPlainObject(value)) {
      this.err(path, `expected an object for ${name}, got ${describe(value)}`);
      return;
    }
    this.fields(t, value, path, new Set());
  }

  /** Check the fields of a (non-well-known) message object. `skip` lists keys handled by the caller. */
  fields(t: protobuf.Type, obj: Record<string, unknown>, path: string, skip: Set<string>): void {
    const name = fullName(t);
    this.opts.visit?.({ type: name, value: obj, path });
    const info = typeInfo(t);
    const present = new Map<protobuf.Field, string>();
    for (const [key, v] of Object.entries(obj)) {
      if (skip.has(key)) continue;
      const p = joinPath(path, key);
      const f = info.byKey.get(key);
      if (!f) {
        this.err(p, `unknown field "${key}" in ${name}`);
        continue;
      }
      const prev = present.get(f);
      if (prev !== undefined) {
        this.err(p, `field ${f.name} given twice (as "${prev}" and "${key}")`);
        continue;
      }
      if (v === null && f.type !== 'google.protobuf.Value') continue; // null = unset
      present.set(f, key);
      const dep = deprecationOf(f);
      if (dep) this.err(p, `field ${name}.${f.name} is ${dep}${deprecationHint(name, f.name)}`);
      this.fieldValue(f, v, p);
    }
    // oneofs
    for (const o of info.oneofs) {
      const set = o.fieldsArray.filter((f) => present.has(f));
      if (set.length > 1) {
        this.err(path, `oneof ${name}.${o.name} has more than one member set: ${set.map((f) => present.get(f)).join(', ')}`);
      }
      const req = (o.parsedOptions ?? []).some((po) => (po as Record<string, unknown>)['(validate.required)'] === true) || o.options?.['(validate.required)'] === true;
      if (req && set.length === 0) {
        this.err(path, `${name}: exactly one of [${o.fieldsArray.map((f) => f.name).join(', ')}] is required (oneof ${o.name})`);
      }
    }
    // PGV per field (presence-aware).
    for (const f of info.fields) {
      const rules = fieldRules(f);
      if (!rules) continue;
      const key = present.get(f);
      const inOneof = f.partOf !== null && f.partOf !== undefined;
      if (key === undefined && inOneof) continue;
      const p = joinPath(path, key ?? f.name);
      this.pgvField(f, rules, key === undefined ? undefined : obj[key], p);
    }
  }

  fieldValue(f: protobuf.Field, v: unknown, p: string): void {
    if (f.map) {
      if (!isPlainObject(v)) {
        this.err(p, `expected an object (map<${(f as unknown as protobuf.MapField).keyType}, ${f.type}>), got ${describe(v)}`);
        return;
      }
      const keyType = (f as unknown as protobuf.MapField).keyType;
      for (const [k, x] of Object.entries(v)) {
        const kp = joinPath(p, k);
        if (keyType !== 'string') {
          const kv = keyType === 'bool' ? (k === 'true' || k === 'false' ? { ok: true } : { ok: false, msg: 'map key must be "true" or "false"' }) : parseScalar(keyType, k);
          if (!kv.ok) this.err(kp, `invalid map key: ${(kv as { msg: string }).msg}`);
        }
        if (x === null && f.type !== 'google.protobuf.Value') {
          this.err(kp, 'map values cannot be null');
          continue;
        }
        this.single(f, x, kp);
      }
      return;
    }
    if (f.repeated) {
      if (!Array.isArray(v)) {
        this.err(p, `expected an array (repeated ${f.type}), got ${describe(v)}`);
        return;
      }
      v.forEach((x, i) => {
        const ip = joinPath(p, i);
        if (x === null && f.type !== 'google.protobuf.Value') this.err(ip, 'repeated elements cannot be null');
        else this.single(f, x, ip);
      });
      return;
    }
    this.single(f, v, p);
  }

  /** One (non-repeated) value of field f's element type. */
  single(f: protobuf.Field, v: unknown, p: string): void {
    const rt = f.resolvedType;
    if (rt instanceof protobuf.Type) {
      this.message(rt, v, p);
    } else if (rt instanceof protobuf.Enum) {
      this.enumValue(rt, v, p);
    } else {
      const r = parseScalar(f.type, v);
      if (!r.ok) this.err(p, r.msg);
    }
  }

  enumValue(e: protobuf.Enum, v: unknown, p: string): void {
    const name = fullName(e);
    if (name === 'google.protobuf.NullValue') {
      if (v !== null && v !== 'NULL_VALUE' && v !== 0) this.err(p, `expected null for google.protobuf.NullValue, got ${describe(v)}`);
      return;
    }
    let valueName: string | undefined;
    if (typeof v === 'string') {
      if (!(v in e.values)) {
        this.err(p, `invalid enum value ${JSON.stringify(v)} for ${name}; allowed: ${Object.keys(e.values).join(', ')}`);
        return;
      }
      valueName = v;
    } else if (typeof v === 'number' && Number.isInteger(v)) {
      valueName = e.valuesById[v];
      if (valueName === undefined) {
        this.err(p, `enum number ${v} is not defined in ${name}; allowed: ${Object.keys(e.values).join(', ')}`);
        return;
      }
    } else {
      this.err(p, `expected an enum value name (string) for ${name}, got ${describe(v)}`);
      return;
    }
    const vo = e.valuesOptions?.[valueName];
    if (vo && (vo.deprecated === true || vo['(envoy.annotations.deprecated_at_minor_version_enum)'] || vo['(envoy.annotations.disallowed_by_default_enum)'])) {
      this.err(p, `enum value ${name}.${valueName} is deprecated`);
    }
  }

  any(value: unknown, path: string): void {
    if (!isPlainObject(value)) {
      this.err(path, `expected an object with "@type" for google.protobuf.Any, got ${describe(value)}`);
      return;
    }
    const url = value['@type'];
    if (typeof url !== 'string') {
      this.err(path, 'google.protobuf.Any is missing "@type"');
      return;
    }
    const tp = joinPath(path, '@type');
    if (!url.startsWith(TYPE_URL_PREFIX) || url.length === TYPE_URL_PREFIX.length) {
      this.err(tp, `type URL ${JSON.stringify(url)} must look like "${TYPE_URL_PREFIX}<full.message.Name>"`);
      return;
    }
    const typeName = url.slice(url.lastIndexOf('/') + 1);
    if (/^envoy\.(api\.v2|config\.filter|config\.[a-z_.]+\.v2)|\.v2(alpha\d*)?\./.test(typeName + '.')) {
      this.err(tp, `@type ${JSON.stringify(url)} is a v2 API message; Envoy removed the v2 xDS API (1.18), use the v3 message`);
      return;
    }
    const reg = envoyProtos();
    const t = reg.lookupType(typeName);
    if (!t) {
      const why = reg.failureFor(typeName);
      this.err(tp, `unresolvable @type ${JSON.stringify(url)}: no message ${typeName} in the Envoy API protos${why ? ` (${why})` : ''}`);
      return;
    }
    const tn = fullName(t);
    if (tn.startsWith('google.protobuf.') && (tn in WRAPPERS || SPECIAL_JSON.has(tn))) {
      for (const k of Object.keys(value)) if (k !== '@type' && k !== 'value') this.err(joinPath(path, k), `unknown field "${k}" in Any of well-known type ${tn} (use "value")`);
      if (!('value' in value)) this.err(path, `Any of well-known type ${tn} needs a "value"`);
      else this.message(t, value.value, joinPath(path, 'value'));
      return;
    }
    this.fields(t, value, path, new Set(['@type']));
    if (tn === 'udpa.type.v1.TypedStruct' || tn === 'xds.type.v3.TypedStruct') this.typedStruct(value, path);
  }

  typedStruct(value: Record<string, unknown>, path: string): void {
    const url = getField(value, 'type_url');
    if (typeof url !== 'string' || url === '') return;
    const typeName = url.slice(url.lastIndexOf('/') + 1);
    const t = envoyProtos().lookupType(typeName);
    const p = joinPath(path, fieldKey(value, 'type_url'));
    if (!t) {
      this.err(p, `unresolvable TypedStruct type_url ${JSON.stringify(url)}`);
      return;
    }
    const inner = getField(value, 'value') ?? {};
    this.message(t, inner, joinPath(path, 'value'));
  }

  // ------------------------------------------------------------------ PGV

  pgvField(f: protobuf.Field, rules: Record<string, unknown>, v: unknown, p: string): void {
    const present = v !== undefined;
    // message.required (any message-typed field incl. wrappers / WKTs)
    const msgRules = rules.message;
    if (isPlainObject(msgRules) && msgRules.required === true && !present) {
      this.err(p, `${fieldLabel(f)} is required`);
      return;
    }
    if (f.map) return this.pgvMap(f, rules, v, p);
    if (f.repeated) return this.pgvRepeated(f, rules, v, p);
    this.pgvSingle(f, rules, v, p, present);
  }

  pgvMap(f: protobuf.Field, rules: Record<string, unknown>, v: unknown, p: string): void {
    const r = rules.map;
    if (!isPlainObject(r)) return;
    const entries = isPlainObject(v) ? Object.entries(v) : [];
    if (r.ignore_empty === true && entries.length === 0) return;
    if (r.min_pairs !== undefined && entries.length < Number(r.min_pairs)) this.err(p, `${fieldLabel(f)} must have at least ${r.min_pairs} entries`);
    if (r.max_pairs !== undefined && entries.length > Number(r.max_pairs)) this.err(p, `${fieldLabel(f)} must have at most ${r.max_pairs} entries`);
    const keyType = (f as unknown as protobuf.MapField).keyType;
    for (const [k, x] of entries) {
      if (isPlainObject(r.keys)) this.pgvValue(keyType, null, r.keys, k, joinPath(p, k) + ' (key)', true, fieldLabel(f) + ' key');
      if (isPlainObject(r.values)) this.pgvValue(f.type, f.resolvedType, r.values, x, joinPath(p, k), true, fieldLabel(f) + ' value');
    }
  }

  pgvRepeated(f: protobuf.Field, rules: Record<string, unknown>, v: unknown, p: string): void {
    const r = rules.repeated;
    if (!isPlainObject(r)) return;
    const items = Array.isArray(v) ? v : [];
    if (r.ignore_empty === true && items.length === 0) return;
    if (r.min_items !== undefined && items.length < Number(r.min_items)) this.err(p, `${fieldLabel(f)} must have at least ${r.min_items} item(s), got ${items.length}`);
    if (r.max_items !== undefined && items.length > Number(r.max_items)) this.err(p, `${fieldLabel(f)} must have at most ${r.max_items} item(s), got ${items.length}`);
    if (r.unique === true) {
      const seen = new Set<string>();
      items.forEach((x, i) => {
        const k = JSON.stringify(x);
        if (seen.has(k)) this.err(joinPath(p, i), `${fieldLabel(f)} items must be unique; ${k} repeats`);
        seen.add(k);
      });
    }
    if (isPlainObject(r.items)) {
      items.forEach((x, i) => this.pgvValue(f.type, f.resolvedType, r.items as Record<string, unknown>, x, joinPath(p, i), true, fieldLabel(f) + ' item'));
    }
  }

  pgvSingle(f: protobuf.Field, rules: Record<string, unknown>, v: unknown, p: string, present: boolean): void {
    this.pgvValue(f.type, f.resolvedType, rules, v, p, present, fieldLabel(f));
  }

  /**
   * Apply one FieldRules object to one value. `present` false means the field is absent; scalars
   * are then validated at their default (proto3 has no presence), messages are skipped.
   */
  pgvValue(
    type: string,
    resolved: protobuf.Type | protobuf.Enum | null,
    rules: Record<string, unknown>,
    v: unknown,
    p: string,
    present: boolean,
    label: string,
  ): void {
    if (isPlainObject(rules.message) && rules.message.required === true && (!present || v === undefined || v === null)) {
      this.err(p, `${label} is required`);
      return;
    }
    const tname = resolved instanceof protobuf.Type ? fullName(resolved) : undefined;
    // Message-typed values: only wrapper / Duration / Timestamp / Any rules, and only when set.
    if (resolved instanceof protobuf.Type) {
      if (tname === 'google.protobuf.Duration') {
        const r = rules.duration;
        if (!isPlainObject(r)) return;
        if (!present) {
          if (r.required === true) this.err(p, `${label} is required`);
          return;
        }
        const n = parseDuration(v);
        if (n === undefined) return; // type error already reported
        this.pgvCommon(n, r, p, label, (x) => ruleNanos(x), (s) => fmtNanos(s as bigint));
        return;
      }
      if (tname === 'google.protobuf.Timestamp') {
        const r = rules.timestamp;
        if (!isPlainObject(r)) return;
        if (!present) {
          if (r.required === true) this.err(p, `${label} is required`);
          return;
        }
        const n = parseTimestamp(v);
        if (n === undefined) return;
        this.pgvCommon(n, r, p, label, (x) => ruleNanos(x), (s) => String(s));
        return;
      }
      if (tname === 'google.protobuf.Any') {
        const r = rules.any;
        if (!isPlainObject(r)) return;
        if (!present) {
          if (r.required === true) this.err(p, `${label} is required`);
          return;
        }
        const url = isPlainObject(v) ? v['@type'] : undefined;
        if (Array.isArray(r.in) && !r.in.includes(url)) this.err(p, `${label} @type must be one of ${r.in.join(', ')}`);
        if (Array.isArray(r.not_in) && r.not_in.includes(url)) this.err(p, `${label} @type must not be ${String(url)}`);
        return;
      }
      const wrapped = tname ? WRAPPERS[tname] : undefined;
      if (wrapped && present) {
        this.pgvScalar(wrapped, null, rules, v, p, label);
      }
      return;
    }
    // Scalars and enums: validate the given value or the default.
    if (!present || v === undefined || v === null) {
      v = resolved instanceof protobuf.Enum ? 0 : undefined;
    }
    this.pgvScalar(type, resolved instanceof protobuf.Enum ? resolved : null, rules, v, p, label);
  }

  pgvScalar(kind: string, en: protobuf.Enum | null, rules: Record<string, unknown>, raw: unknown, p: string, label: string): void {
    if (en) {
      const r = rules.enum;
      if (!isPlainObject(r)) return;
      const num = typeof raw === 'string' ? en.values[raw] : typeof raw === 'number' ? raw : 0;
      // Names and numbers that are not defined were already reported by the type check.
      if (num === undefined || en.valuesById[num] === undefined) return;
      const show = (n: number) => `${en.valuesById[n] ?? n}`;
      if (r.defined_only === true && en.valuesById[num] === undefined) this.err(p, `${label} must be a defined ${fullName(en)} value`);
      const asNum = (x: unknown) => (typeof x === 'string' ? en.values[x] : Number(x));
      if (r.const !== undefined && asNum(r.const) !== num) this.err(p, `${label} must be ${show(asNum(r.const))}`);
      if (Array.isArray(r.in) && !r.in.map(asNum).includes(num)) this.err(p, `${label} must be one of ${r.in.map((x) => show(asNum(x))).join(', ')}`);
      if (Array.isArray(r.not_in) && r.not_in.map(asNum).includes(num)) this.err(p, `${label} must not be ${show(num)}`);
      return;
    }
    const r = rules[kind];
    if (!isPlainObject(r)) return;
    let val: Scalar;
    if (raw === undefined) val = scalarDefault(kind);
    else {
      const parsed = parseScalar(kind, raw);
      if (!parsed.ok) return; // type error reported elsewhere
      val = parsed.value;
    }
    if (kind === 'string') return this.pgvString(val as string, r, p, label);
    if (kind === 'bytes') return this.pgvBytes(val as string, r, p, label);
    if (kind === 'bool') {
      if (r.const !== undefined && val !== r.const) this.err(p, `${label} must be ${String(r.const)}`);
      return;
    }
    if (r.ignore_empty === true && cmp(val, scalarDefault(kind)) === 0) return;
    this.pgvCommon(val, r, p, label, (x) => toRuleScalar(kind, x), (s) => String(s));
  }

  pgvCommon(val: Scalar, r: Record<string, unknown>, p: string, label: string, conv: (x: unknown) => Scalar, show: (s: Scalar) => string): void {
    if (r.const !== undefined && cmp(val, conv(r.const)) !== 0) this.err(p, `${label} must equal ${show(conv(r.const))}, got ${show(val)}`);
    const range = checkRange(val, r, conv, show);
    if (range) this.err(p, `${label} ${range}, got ${show(val)}`);
    if (Array.isArray(r.in) && !r.in.some((x) => cmp(val, conv(x)) === 0)) this.err(p, `${label} must be one of ${r.in.map((x) => show(conv(x))).join(', ')}, got ${show(val)}`);
    if (Array.isArray(r.not_in) && r.not_in.some((x) => cmp(val, conv(x)) === 0)) this.err(p, `${label} must not be ${show(val)}`);
  }

  pgvString(s: string, r: Record<string, unknown>, p: string, label: string): void {
    if (r.ignore_empty === true && s === '') return;
    const shown = JSON.stringify(s.length > 60 ? s.slice(0, 60) + '…' : s);
    const cps = codePoints(s);
    const bytes = Buffer.byteLength(s, 'utf8');
    if (r.const !== undefined && s !== r.const) this.err(p, `${label} must equal ${JSON.stringify(r.const)}, got ${shown}`);
    if (r.len !== undefined && cps !== Number(r.len)) this.err(p, `${label} must be exactly ${r.len} characters`);
    if (r.min_len !== undefined && cps < Number(r.min_len)) this.err(p, `${label} must be at least ${r.min_len} character(s), got ${shown}`);
    if (r.max_len !== undefined && cps > Number(r.max_len)) this.err(p, `${label} must be at most ${r.max_len} characters`);
    if (r.len_bytes !== undefined && bytes !== Number(r.len_bytes)) this.err(p, `${label} must be exactly ${r.len_bytes} bytes`);
    if (r.min_bytes !== undefined && bytes < Number(r.min_bytes)) this.err(p, `${label} must be at least ${r.min_bytes} byte(s), got ${shown}`);
    if (r.max_bytes !== undefined && bytes > Number(r.max_bytes)) this.err(p, `${label} must be at most ${r.max_bytes} bytes`);
    if (typeof r.prefix === 'string' && !s.startsWith(r.prefix)) this.err(p, `${label} must start with ${JSON.stringify(r.prefix)}`);
    if (typeof r.suffix === 'string' && !s.endsWith(r.suffix)) this.err(p, `${label} must end with ${JSON.stringify(r.suffix)}`);
    if (typeof r.contains === 'string' && !s.includes(r.contains)) this.err(p, `${label} must contain ${JSON.stringify(r.contains)}`);
    if (typeof r.not_contains === 'string' && s.includes(r.not_contains)) this.err(p, `${label} must not contain ${JSON.stringify(r.not_contains)}`);
    if (Array.isArray(r.in) && !r.in.includes(s)) this.err(p, `${label} must be one of ${r.in.map((x) => JSON.stringify(x)).join(', ')}, got ${shown}`);
    if (Array.isArray(r.not_in) && r.not_in.includes(s)) this.err(p, `${label} must not be ${shown}`);
    if (typeof r.pattern === 'string') {
      const re = re2ToJs(r.pattern);
      if (re.ok && !new RegExp(re.source, re.flags).test(s)) this.err(p, `${label} must match pattern ${r.pattern}, got ${shown}`);
    }
    const strict = r.strict !== false;
    if (r.well_known_regex === 'HTTP_HEADER_NAME' || r.well_known_regex === 1) {
      if (!(strict ? HEADER_NAME_STRICT : HEADER_LOOSE).test(s)) this.err(p, `${label} must be a valid HTTP header name, got ${shown}`);
    } else if (r.well_known_regex === 'HTTP_HEADER_VALUE' || r.well_known_regex === 2) {
      if (!(strict ? HEADER_VALUE_STRICT : HEADER_LOOSE).test(s)) this.err(p, `${label} must be a valid HTTP header value, got ${shown}`);
    }
    if (r.ipv4 === true && !isIPv4(s)) this.err(p, `${label} must be an IPv4 address, got ${shown}`);
    if (r.ipv6 === true && !isIPv6(s)) this.err(p, `${label} must be an IPv6 address, got ${shown}`);
    if (r.ip === true && !isIPv4(s) && !isIPv6(s)) this.err(p, `${label} must be an IP address, got ${shown}`);
    if (r.hostname === true && !isHostname(s)) this.err(p, `${label} must be a hostname, got ${shown}`);
    if (r.address === true && !isHostname(s) && !isIPv4(s) && !isIPv6(s)) this.err(p, `${label} must be a hostname or IP address, got ${shown}`);
  }

  pgvBytes(b64: string, r: Record<string, unknown>, p: string, label: string): void {
    const n = bytesLength(b64);
    if (r.ignore_empty === true && n === 0) return;
    if (r.len !== undefined && n !== Number(r.len)) this.err(p, `${label} must be exactly ${r.len} bytes`);
    if (r.min_len !== undefined && n < Number(r.min_len)) this.err(p, `${label} must be at least ${r.min_len} byte(s)`);
    if (r.max_len !== undefined && n > Number(r.max_len)) this.err(p, `${label} must be at most ${r.max_len} bytes`);
  }
}

const SPECIAL_JSON = new Set([
  'google.protobuf.Duration',
  'google.protobuf.Timestamp',
  'google.protobuf.FieldMask',
  'google.protobuf.Struct',
  'google.protobuf.Value',
  'google.protobuf.ListValue',
  'google.protobuf.Any',
]);

function fieldLabel(f: protobuf.Field): string {
  return f.parent ? `${fullName(f.parent)}.${f.name}` : f.name;
}

function deprecationHint(message: string, field: string): string {
  if (message === 'envoy.extensions.filters.http.lua.v3.Lua' && field === 'inline_code') return ' (use default_source_code.inline_string)';
  if (message === 'envoy.config.route.v3.HeaderMatcher') return ' (use string_match)';
  return '';
}

// ---------------------------------------------------------------------------------------------
// Public API.

/**
 * Check `value` against an arbitrary Envoy message type (e.g.
 * `envoy.config.route.v3.RouteConfiguration`). Returns [] when valid.
 */
export function checkEnvoyMessage(typeName: string, value: unknown, opts: WalkOptions = {}): string[] {
  const t = envoyProtos().lookupType(typeName);
  if (!t) return [`(root): unknown message type ${typeName}`];
  const w = new Walker(opts);
  w.message(t, value, '');
  return w.errors;
}

/** Check an Envoy v3 bootstrap (as parsed from envoy.yaml / JSON). Returns [] when valid. */
export function checkEnvoyBootstrap(config: unknown, opts: WalkOptions = {}): string[] {
  return checkEnvoyMessage(BOOTSTRAP_TYPE, config, opts);
}

/** Visit every message object of a config with its proto type (errors are ignored). */
export function walkEnvoyMessages(config: unknown, visit: MessageVisitor, typeName = BOOTSTRAP_TYPE): void {
  checkEnvoyMessage(typeName, config, { visit });
}

/** Milliseconds spent loading protos so far in this process (for timing reports). */
export function protoLoadMs(): number {
  return envoyProtos().loadMs;
}
