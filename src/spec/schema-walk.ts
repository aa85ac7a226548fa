import type { z } from 'zod';

/**
 * Reads the zod schema itself (not a value): which fields an object allows at a path. Used to
 * suggest the field a user most likely meant when they misspell one.
 */
type Def = { readonly type: string } & Record<string, unknown>;

const defOf = (schema: z.ZodType | z.core.$ZodType): Def => (schema as z.core.$ZodType)._zod.def as unknown as Def;

/** Strips wrappers that do not change the input's shape (optional, default, pipes, lazy...). */
export function unwrap(schema: z.core.$ZodType): z.core.$ZodType {
  let current = schema;
  for (let depth = 0; depth < 32; depth++) {
    const def = defOf(current);
    switch (def.type) {
      case 'optional':
      case 'nullable':
      case 'default':
      case 'prefault':
      case 'nonoptional':
      case 'readonly':
      case 'catch':
        current = def.innerType as z.core.$ZodType;
        break;
      case 'pipe':
        current = def.in as z.core.$ZodType;
        break;
      case 'lazy':
        current = (def.getter as () => z.core.$ZodType)();
        break;
      default:
        return current;
    }
  }
  return current;
}

/** The schema that validates the value at `path` below `schema`, or undefined when none does. */
export function schemaAt(schema: z.core.$ZodType, path: readonly PropertyKey[]): z.core.$ZodType | undefined {
  let current: z.core.$ZodType | undefined = schema;
  for (const segment of path) {
    if (!current) return undefined;
    const def = defOf(unwrap(current));
    if (def.type === 'object') current = (def.shape as Record<string, z.core.$ZodType>)[String(segment)];
    else if (def.type === 'array' && typeof segment === 'number') current = def.element as z.core.$ZodType;
    else if (def.type === 'record') current = def.valueType as z.core.$ZodType;
    else return undefined;
  }
  return current;
}

/** Field names an object schema allows, in declaration order ([] when it is no object). */
export function fieldsOf(schema: z.core.$ZodType | undefined): string[] {
  if (!schema) return [];
  const def = defOf(unwrap(schema));
  return def.type === 'object' ? Object.keys(def.shape as object) : [];
}

/**
 * What a string schema's regex checks say to users ("must be a DNS-1123 label: ..."), looking
 * through optional/pipe wrappers and into every branch of a union.
 */
export function patternMessages(schema: z.core.$ZodType | undefined): string[] {
  if (!schema) return [];
  const inner = unwrap(schema);
  const def = defOf(inner);
  if (def.type === 'union') return (def.options as z.core.$ZodType[]).flatMap(patternMessages);
  const checks = (def.checks as z.core.$ZodCheck[] | undefined) ?? [];
  return checks.flatMap((check) => {
    const c = check._zod.def as unknown as { check: string; format?: string; error?: () => unknown };
    const message = c.check === 'string_format' && c.format === 'regex' && c.error ? c.error() : undefined;
    return typeof message === 'string' ? [message] : [];
  });
}

/** The key schema of a record (a mapping with free keys), or undefined. */
export function recordKeyOf(schema: z.core.$ZodType | undefined): z.core.$ZodType | undefined {
  if (!schema) return undefined;
  const def = defOf(unwrap(schema));
  return def.type === 'record' ? (def.keyType as z.core.$ZodType) : undefined;
}
