import { createHash } from 'crypto';

/**
 * JSON with object keys sorted, so equal values always serialize (and hash) the same. Written
 * out directly rather than through a JSON.stringify replacer, which copied every object.
 */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map((v) => (v === undefined ? 'null' : canonicalJson(v))).join(',')}]`;
  const record = value as Record<string, unknown>;
  const keys = Object.keys(record)
    .filter((k) => record[k] !== undefined)
    .sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(record[k])}`).join(',')}}`;
}

/** Short stable hash of a JSON value (sha256, hex, first 16 characters). */
export function hashOf(value: unknown): string {
  return createHash('sha256').update(canonicalJson(value)).digest('hex').slice(0, 16);
}

/**
 * Hash of a set of text files (name -> content), as hashOf would give for the same map but
 * without escaping the contents into JSON first: the Envoy configuration is large.
 */
export function hashOfFiles(files: Record<string, string>): string {
  const hash = createHash('sha256');
  for (const name of Object.keys(files).sort()) hash.update(`${name.length}:${name}${files[name].length}:`).update(files[name]);
  return hash.digest('hex').slice(0, 16);
}
