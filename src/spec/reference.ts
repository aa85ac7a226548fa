import { z } from 'zod';
import { API_VERSION, KIND, PLURAL, SINGULAR } from './names';
import { openApiSchema } from './crd';
import { patternMessages, recordKeyOf, schemaAt } from './schema-walk';
import { aiGatewaySpecSchema, metadataSchema } from './spec';
import { statusSchema } from './status';

/**
 * docs/reference.md, generated from the schema: one table per object with each field's type,
 * whether it is required, its default (the `@default` text of its description), its description
 * and what values are allowed. Descriptions live once, in the zod schema's `.describe()`; the CRD,
 * the generated TypeScript types and this page all read them from there.
 */
type Schema = Record<string, unknown> & {
  readonly type?: string;
  readonly description?: string;
  readonly properties?: Record<string, Schema>;
  readonly items?: Schema;
  readonly additionalProperties?: Schema | boolean;
  readonly required?: string[];
  readonly enum?: unknown[];
};

interface ObjectSection {
  readonly title: string;
  readonly anchor: string;
  readonly schema: Schema;
  /** The zod schema of this object, for what the JSON schema cannot say (regex messages). */
  readonly zod: z.core.$ZodType | undefined;
}

const anchorOf = (title: string) => title.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '');

/** Markdown table cell text: no line breaks, pipes escaped, angle brackets shown as text. */
const cell = (text: string) => text.replace(/\s*\n\s*/g, ' ').replace(/\|/g, '\\|').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const code = (text: string) => '`' + text.replace(/\|/g, '\\|') + '`';

/** "Port of the Service. @default 80" -> ["Port of the Service.", "80"]. */
export function splitDefault(description: string | undefined): { text: string; default?: string } {
  const d = description ?? '';
  const at = d.indexOf('@default');
  if (at < 0) return { text: d.trim() };
  return { text: d.slice(0, at).trim(), default: d.slice(at + '@default'.length).trim() };
}

function defaultCell(value: string | undefined): string {
  if (value === undefined) return '';
  return /^(".*"|-?\d+(\.\d+)?|true|false)$/.test(value) ? code(value) : cell(value);
}

function isObject(node: Schema): boolean {
  return node.type === 'object' && node.properties !== undefined;
}

function isMap(node: Schema): boolean {
  return node.type === 'object' && node.properties === undefined && typeof node.additionalProperties === 'object';
}

function typeCell(node: Schema, title: string): string {
  if (node['x-kubernetes-int-or-string']) return 'integer or string';
  if (isObject(node)) return `[object](#${anchorOf(title)})`;
  if (isMap(node)) return `map of string to ${typeCell(node.additionalProperties as Schema, `${title}{}`)}`;
  if (node.type === 'array' && node.items) return `list of ${typeCell(node.items, `${title}[]`)}`;
  return String(node.type ?? 'any');
}

function range(min: unknown, max: unknown, unit: string): string | undefined {
  const u = unit ? ` ${unit}` : '';
  if (min !== undefined && max !== undefined) return `${min}–${max}${u}`;
  if (min !== undefined) return `at least ${min}${u}`;
  if (max !== undefined) return `at most ${max}${u}`;
  return undefined;
}

/** Allowed values and limits of a value (not its items). */
function limitsOf(node: Schema, zod: z.core.$ZodType | undefined): string[] {
  const out: string[] = [];
  if (node.enum) out.push(`one of ${node.enum.map((v) => code(String(v))).join(', ')}`);
  const minLength = node.minLength === 0 ? undefined : node.minLength;
  const length = range(minLength, node.maxLength, 'characters');
  if (node.type === 'string' && length) out.push(length);
  const value = range(node.minimum, node.maximum, '');
  if ((node.type === 'integer' || node.type === 'number') && value) out.push(value);
  const items = range(node.minItems === 0 ? undefined : node.minItems, node.maxItems, 'items');
  if (node.type === 'array' && items) out.push(items);
  const messages = patternMessages(zod);
  if (messages.length > 0) out.push(...messages.map(cell));
  else if (typeof node.pattern === 'string') out.push(`matches ${code(node.pattern)}`);
  if (node.format === 'date-time') out.push('an RFC 3339 date and time, e.g. `2024-05-01T12:00:00Z`');
  return out;
}

function allowedCell(node: Schema, zod: z.core.$ZodType | undefined): string {
  const out = limitsOf(node, zod);
  if (node.type === 'array' && node.items && !isObject(node.items)) {
    const each = limitsOf(node.items, zod && schemaAt(zod, [0]));
    if (each.length > 0) out.push(`each item: ${each.join('; ')}`);
  }
  if (isMap(node)) {
    const keys = patternMessages(recordKeyOf(zod));
    if (keys.length > 0) out.push(`each name: ${keys.map(cell).join('; ')}`);
    const values = limitsOf(node.additionalProperties as Schema, zod && schemaAt(zod, ['x']));
    if (values.length > 0) out.push(`each value: ${values.join('; ')}`);
  }
  return out.join('; ');
}

/** Every object below `root` (itself first), each to become a table. */
function sections(title: string, schema: Schema, zod: z.core.$ZodType | undefined): ObjectSection[] {
  const out: ObjectSection[] = [{ title, anchor: anchorOf(title), schema, zod }];
  const visit = (node: Schema, path: string, zodNode: z.core.$ZodType | undefined) => {
    for (const [key, child] of Object.entries(node.properties ?? {})) {
      const childZod = zodNode && schemaAt(zodNode, [key]);
      let target = child;
      let targetPath = `${path}.${key}`;
      let targetZod = childZod;
      while (target.type === 'array' && target.items) {
        target = target.items;
        targetPath += '[]';
        targetZod = targetZod && schemaAt(targetZod, [0]);
      }
      if (isObject(target)) {
        out.push({ title: targetPath, anchor: anchorOf(targetPath), schema: target, zod: targetZod });
        visit(target, targetPath, targetZod);
      }
    }
  };
  visit(schema, title, zod);
  return out;
}

function table(section: ObjectSection): string[] {
  const required = new Set(section.schema.required ?? []);
  const lines = [
    `<a id="${section.anchor}"></a>`,
    '',
    `## ${code(section.title)}`,
    '',
  ];
  const own = splitDefault(section.schema.description);
  if (own.text) lines.push(cell(own.text), '');
  lines.push('| Field | Type | Required | Default | Description | Allowed values / limits |', '|---|---|---|---|---|---|');
  for (const [key, node] of Object.entries(section.schema.properties ?? {})) {
    const description = splitDefault(node.description);
    const zod = section.zod && schemaAt(section.zod, [key]);
    lines.push(
      `| ${code(key)} | ${typeCell(node, `${section.title}.${key}`)} | ${required.has(key) ? 'yes' : 'no'} | ${defaultCell(description.default)} | ${cell(description.text)} | ${allowedCell(node, zod)} |`,
    );
  }
  const rules = (section.schema['x-kubernetes-validations'] as { message: string }[] | undefined) ?? [];
  if (rules.length > 0) {
    lines.push('', 'Checked across fields (by `aigate validate` and, as CEL rules, by the API server):', '');
    for (const rule of rules) lines.push(`- ${cell(rule.message)}`);
  }
  lines.push('');
  return lines;
}

function metadataJsonSchema(): Schema {
  const schema = z.toJSONSchema(metadataSchema, { target: 'openapi-3.0', io: 'input' }) as Schema;
  return { ...schema, description: 'Standard Kubernetes object metadata; the fields the gateway reads are listed.' };
}

/** The whole reference page. */
export function renderReference(): string {
  const root = openApiSchema() as Schema;
  const props = root.properties!;
  const all: ObjectSection[] = [
    ...sections('metadata', metadataJsonSchema(), metadataSchema),
    ...sections('spec', props.spec, aiGatewaySpecSchema),
    ...sections('status', props.status, statusSchema),
  ];
  const lines = [
    '# AIGatewayResource reference',
    '',
    '<!-- Generated from the zod schema in src/spec by `npm run docs` (aigate docs). Do not edit: change the schema\'s .describe() texts and regenerate. -->',
    '',
    `An ${code(KIND)} (${code(`apiVersion: ${API_VERSION}`)}, plural ${code(PLURAL)}, singular ${code(SINGULAR)}, namespaced) declares one AI gateway.`,
    'Every field below is checked by `aigate validate`, `aigate synth` and the `AIGateway` construct, which report the file, line, field path, what was found and what is expected.',
    '',
    '| Field | Type | Required | Description |',
    '|---|---|---|---|',
    `| ${code('apiVersion')} | string | yes | ${code(API_VERSION)} |`,
    `| ${code('kind')} | string | yes | ${code(KIND)} |`,
    `| ${code('metadata')} | [object](#metadata) | yes | ${cell(String(metadataJsonSchema().description))} |`,
    `| ${code('spec')} | [object](#spec) | yes | ${cell(splitDefault(props.spec.description).text)} |`,
    `| ${code('status')} | [object](#status) | no | ${cell(splitDefault(props.status.description).text)} |`,
    '',
    '## Contents',
    '',
    ...all.map((s) => `- [${code(s.title)}](#${s.anchor})`),
    '',
  ];
  for (const section of all) lines.push(...table(section));
  return `${lines.join('\n').trimEnd()}\n`;
}
