import { isCelError, run, type CelInput } from '@bufbuild/cel';

type Schema = Record<string, unknown>;

export interface CelViolation {
  readonly path: string;
  readonly rule: string;
  readonly message: string;
}

/**
 * Evaluates every x-kubernetes-validations rule of a CRD schema against an object, the way the
 * API server does: each rule with `self` bound to the value at its node, for every list item and
 * map value below. Rules of absent fields do not run. Integers are passed as BigInt so CEL sees
 * `int`, as the API server's structural schema would.
 */
export function celViolations(schema: Schema, value: unknown, path = ''): CelViolation[] {
  if (value === undefined || value === null) return [];
  const out: CelViolation[] = [];
  const rules = (schema['x-kubernetes-validations'] as { rule: string; message: string }[] | undefined) ?? [];
  for (const { rule, message } of rules) {
    const result = run(rule, { self: toCel(value) as CelInput });
    if (isCelError(result)) throw new Error(`${path || '<root>'}: CEL rule failed to evaluate: ${rule}: ${String(result)}`);
    if (result !== true) out.push({ path: path || '<root>', rule, message });
  }
  const properties = schema.properties as Record<string, Schema> | undefined;
  if (properties && typeof value === 'object' && !Array.isArray(value)) {
    for (const [key, child] of Object.entries(properties)) {
      out.push(...celViolations(child, (value as Record<string, unknown>)[key], `${path}.${key}`));
    }
  }
  const items = schema.items as Schema | undefined;
  if (items && Array.isArray(value)) {
    value.forEach((item, i) => out.push(...celViolations(items, item, `${path}[${i}]`)));
  }
  const additional = schema.additionalProperties as Schema | undefined;
  if (additional && typeof additional === 'object' && value && typeof value === 'object' && !Array.isArray(value)) {
    for (const [key, child] of Object.entries(value)) out.push(...celViolations(additional, child, `${path}.${key}`));
  }
  return out;
}

function toCel(value: unknown): unknown {
  if (typeof value === 'number' && Number.isInteger(value)) return BigInt(value);
  if (Array.isArray(value)) return value.map(toCel);
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, toCel(v)]));
  }
  return value;
}
