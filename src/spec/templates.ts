/**
 * Prompt templates use Go-template-style placeholders, as in the design: "{{.text}}".
 * The gateway renders them at request time (Lua); this module checks them at synth time.
 */
const PLACEHOLDER = /\{\{\s*\.([A-Za-z_][A-Za-z0-9_]*)\s*\}\}/g;

export interface TemplateCheck {
  readonly variables: string[];
  readonly error?: string;
}

export function parseTemplate(template: string): TemplateCheck {
  const variables: string[] = [];
  for (const m of template.matchAll(PLACEHOLDER)) {
    if (!variables.includes(m[1])) variables.push(m[1]);
  }
  const rest = template.replace(PLACEHOLDER, '');
  const stray = /\{\{|\}\}/.exec(rest);
  if (stray) {
    const at = rest.indexOf('{{') >= 0 ? '{{' : '}}';
    return {
      variables,
      error: `has a "${at}" that is not part of a placeholder; placeholders look like {{.name}} with a name of letters, digits and "_"`,
    };
  }
  return { variables };
}
