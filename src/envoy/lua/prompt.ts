import { luaHttpFilter, luaScript } from './script';
import type { LuaValue } from './lua-literal';
import type { LuaFilter } from './lua-filter';
import type { EnvoyOptions, Spec } from '../types';

/** Same grammar as src/spec/templates.ts (which validated the templates): {{.name}}, spaces allowed. */
const PLACEHOLDER = /\{\{\s*\.([A-Za-z_][A-Za-z0-9_]*)\s*\}\}/g;

export type TemplatePart = string | { readonly var: string };

/** JSON string content (no quotes) for text: what goes between the quotes of a JSON string. */
export function jsonStringContent(text: string): string {
  return JSON.stringify(text).slice(1, -1);
}

/**
 * A template as literal parts (already JSON-escaped) and variables, in order, so the script
 * renders it by concatenation, with no template parsing at request time.
 */
export function templateParts(template: string): TemplatePart[] {
  const parts: TemplatePart[] = [];
  let at = 0;
  for (const m of template.matchAll(PLACEHOLDER)) {
    if (m.index > at) parts.push(jsonStringContent(template.slice(at, m.index)));
    parts.push({ var: m[1] });
    at = m.index + m[0].length;
  }
  if (at < template.length) parts.push(jsonStringContent(template.slice(at)));
  return parts;
}

/** System prompt and templates applied to chat bodies (promptEngineering). */
export function promptFilter(spec: Spec, _options: EnvoyOptions): LuaFilter | undefined {
  const prompt = spec.promptEngineering;
  if (!prompt) return undefined;
  const names = Object.keys(prompt.templates).sort();
  const templates: Record<string, LuaValue> = {};
  for (const name of names) templates[name] = templateParts(prompt.templates[name]) as LuaValue;
  const transform = prompt.modificationType === 'Transform';
  const source = luaScript('prompt', 'prompt.lua', {
    mode: prompt.modificationType,
    // Once, as JSON string content: the script wraps it as a message, a text block or a string.
    ...(prompt.systemPrompt !== undefined && { systemText: jsonStringContent(prompt.systemPrompt) }),
    templateHeader: prompt.templateHeader.toLowerCase(),
    templates,
    templateList: names.length > 0 ? names.join(', ') : 'none',
    hasTemplates: names.length > 0,
    requireTemplate: transform,
    ...(transform && names.length === 1 && { defaultTemplate: names[0] }),
  });
  return { ...luaHttpFilter('prompt', source), secretFiles: [] };
}
