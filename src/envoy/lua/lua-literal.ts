/**
 * Renders configuration values as Lua literals. Spec text (prompts, model names, template
 * names) ends up inside generated Lua code, so every string is written with escapes for every
 * byte outside printable ASCII and for `"` and `\`: no value can end the literal, start a long
 * bracket (`]]`), or change how the script parses, and the generated script is plain ASCII.
 */
export type LuaValue = string | number | boolean | readonly LuaValue[] | { readonly [key: string]: LuaValue | undefined };

/** A Lua string literal holding exactly the UTF-8 bytes of `text`. */
export function luaString(text: string): string {
  let out = '"';
  for (const b of Buffer.from(text, 'utf8')) {
    if (b === 0x22) out += '\\"';
    else if (b === 0x5c) out += '\\\\';
    else if (b === 0x0a) out += '\\n';
    else if (b >= 0x20 && b < 0x7f) out += String.fromCharCode(b);
    else out += `\\${String(b).padStart(3, '0')}`; // three digits: a following digit cannot extend it
  }
  return `${out}"`;
}

/** A Lua table constructor or scalar for `value` (object keys always as ["..."] strings). */
export function luaLiteral(value: LuaValue, indent = ''): string {
  if (typeof value === 'string') return luaString(value);
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new Error(`cannot write ${value} as a Lua number`);
    return Number.isInteger(value) ? value.toFixed(0) : String(value);
  }
  const inner = `${indent}  `;
  if (Array.isArray(value)) {
    if (value.length === 0) return '{}';
    return `{\n${value.map((v) => `${inner}${luaLiteral(v, inner)},`).join('\n')}\n${indent}}`;
  }
  const entries = Object.entries(value as Record<string, LuaValue | undefined>).filter(
    (e): e is [string, LuaValue] => e[1] !== undefined,
  );
  if (entries.length === 0) return '{}';
  return `{\n${entries.map(([k, v]) => `${inner}[${luaString(k)}] = ${luaLiteral(v, inner)},`).join('\n')}\n${indent}}`;
}
