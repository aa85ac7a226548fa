/**
 * Label and field selectors with the grammar of k8s.io/apimachinery's labels.Parse / fields.ParseSelector:
 *   label:  key=v  key==v  key!=v  key in (a,b)  key notin (a,b)  key  !key  key>N  key<N   (comma = AND)
 *   field:  path=v  path==v  path!=v                                                        (comma = AND)
 * A malformed selector throws SelectorError (the router answers 400 BadRequest).
 */

export class SelectorError extends Error {}

type Op = 'in' | 'notin' | 'exists' | '!' | 'gt' | 'lt';
export interface Requirement {
  key: string;
  op: Op;
  values: string[];
}

const QUALIFIED_NAME = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

function validateKey(key: string): void {
  const slash = key.split('/');
  const bad = (why: string) => new SelectorError(`unable to parse requirement: key: Invalid value: "${key}": ${why}`);
  if (slash.length > 2) throw bad('a qualified name must consist of alphanumeric characters, \'-\', \'_\' or \'.\', with an optional DNS subdomain prefix and \'/\'');
  const [prefix, name] = slash.length === 2 ? slash : [undefined, slash[0]];
  if (prefix !== undefined && (prefix.length === 0 || prefix.length > 253 || !DNS1123_SUBDOMAIN.test(prefix))) {
    throw bad('prefix part must be a lowercase RFC 1123 subdomain');
  }
  if (!name || name.length > 63 || !QUALIFIED_NAME.test(name)) {
    throw bad('name part must consist of alphanumeric characters, \'-\', \'_\' or \'.\', and must start and end with an alphanumeric character (at most 63 characters)');
  }
}

function validateValue(key: string, value: string): void {
  if (value.length > 63 || !LABEL_VALUE.test(value)) {
    throw new SelectorError(
      `unable to parse requirement: values[0][${key}]: Invalid value: "${value}": a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (at most 63 characters)`,
    );
  }
}

type Tok = { t: 'id' | 'op' | '(' | ')' | ',' | 'end'; v: string };
const SPECIAL = '!=<>(),';

function lex(s: string): Tok[] {
  const out: Tok[] = [];
  let i = 0;
  while (i < s.length) {
    const c = s[i];
    if (/\s/.test(c)) { i++; continue; }
    if (c === '(' || c === ')' || c === ',') { out.push({ t: c, v: c }); i++; continue; }
    if (c === '=' || c === '!' || c === '<' || c === '>') {
      const two = s.slice(i, i + 2);
      if (two === '==' || two === '!=') { out.push({ t: 'op', v: two }); i += 2; continue; }
      out.push({ t: 'op', v: c });
      i++;
      continue;
    }
    let j = i;
    while (j < s.length && !SPECIAL.includes(s[j]) && !/\s/.test(s[j])) j++;
    out.push({ t: 'id', v: s.slice(i, j) });
    i = j;
  }
  out.push({ t: 'end', v: '' });
  return out;
}

export function parseLabelSelector(selector: string): Requirement[] {
  const toks = lex(selector);
  let p = 0;
  const peek = () => toks[p];
  const next = () => toks[p++];
  const fail = (tok: Tok, expected: string): never => {
    throw new SelectorError(`unable to parse requirement: found '${tok.v || 'end of string'}', expected: ${expected}`);
  };
  const reqs: Requirement[] = [];
  if (peek().t === 'end') return reqs;
  for (;;) {
    let tok = next();
    let req: Requirement;
    if (tok.t === 'op' && tok.v === '!') {
      tok = next();
      if (tok.t !== 'id') fail(tok, 'identifier after \'!\'');
      validateKey(tok.v);
      req = { key: tok.v, op: '!', values: [] };
    } else {
      if (tok.t !== 'id') fail(tok, '!, identifier');
      const key = tok.v;
      validateKey(key);
      const opTok = peek();
      if (opTok.t === ',' || opTok.t === 'end') {
        req = { key, op: 'exists', values: [] };
      } else if (opTok.t === 'id' && (opTok.v === 'in' || opTok.v === 'notin')) {
        next();
        if (next().t !== '(') fail(toks[p - 1], '\'(\'');
        const values: string[] = [];
        for (;;) {
          const v = peek();
          if (v.t === 'id') { next(); validateValue(key, v.v); values.push(v.v); }
          else if (v.t === ',' || v.t === ')') values.push(''); // empty value, as labels.Parse allows
          else fail(v, 'identifier, \',\' or \')\'');
          const sep = next();
          if (sep.t === ')') break;
          if (sep.t !== ',') fail(sep, '\',\' or \')\'');
        }
        if (values.length === 1 && values[0] === '') {
          throw new SelectorError(`unable to parse requirement: values: Invalid value: "": for 'in', 'notin' operators, values set can't be empty`);
        }
        req = { key, op: opTok.v, values };
      } else if (opTok.t === 'op' && ['=', '==', '!=', '>', '<'].includes(opTok.v)) {
        next();
        const v = peek();
        let value = '';
        if (v.t === 'id') { next(); value = v.v; }
        else if (v.t !== ',' && v.t !== 'end') fail(v, 'identifier');
        if (opTok.v === '>' || opTok.v === '<') {
          if (!/^-?\d+$/.test(value)) {
            throw new SelectorError(`unable to parse requirement: values[0]: Invalid value: "${value}": for 'Gt', 'Lt' operators, the value must be an integer`);
          }
          req = { key, op: opTok.v === '>' ? 'gt' : 'lt', values: [value] };
        } else {
          validateValue(key, value);
          req = { key, op: opTok.v === '!=' ? 'notin' : 'in', values: [value] };
        }
      } else {
        return fail(opTok, '=, !=, ==, in, notin, <, >, \',\'');
      }
    }
    reqs.push(req);
    const sep = next();
    if (sep.t === 'end') return reqs;
    if (sep.t !== ',') fail(sep, '\',\'');
  }
}

export function matchesLabels(reqs: Requirement[], labels: Record<string, string> | undefined): boolean {
  const l = labels ?? {};
  return reqs.every((r) => {
    const has = Object.prototype.hasOwnProperty.call(l, r.key);
    switch (r.op) {
      case 'in': return has && r.values.includes(l[r.key]);
      case 'notin': return !has || !r.values.includes(l[r.key]);
      case 'exists': return has;
      case '!': return !has;
      case 'gt':
      case 'lt': {
        if (!has || !/^-?\d+$/.test(l[r.key])) return false;
        const a = Number(l[r.key]);
        const b = Number(r.values[0]);
        return r.op === 'gt' ? a > b : a < b;
      }
    }
  });
}

export interface FieldRequirement {
  field: string;
  equal: boolean;
  value: string;
}

export const SUPPORTED_FIELDS = ['metadata.name', 'metadata.namespace'];

/** Splits on unescaped commas; `\,` `\=` `\\` are escapes, as in fields.ParseSelector. */
function splitEscaped(s: string, sep: string): string[] {
  const parts: string[] = [];
  let cur = '';
  for (let i = 0; i < s.length; i++) {
    if (s[i] === '\\' && i + 1 < s.length) { cur += s[i] + s[i + 1]; i++; continue; }
    if (s[i] === sep) { parts.push(cur); cur = ''; continue; }
    cur += s[i];
  }
  parts.push(cur);
  return parts;
}

const unescape = (s: string) => s.replace(/\\(.)/g, '$1');

export function parseFieldSelector(selector: string, custom: boolean): FieldRequirement[] {
  if (selector.trim() === '') return [];
  return splitEscaped(selector, ',').map((part) => {
    const m = /^([^=!\\]+?)\s*(==|=|!=)\s*(.*)$/.exec(part.trim());
    if (!m) throw new SelectorError(`invalid selector: '${selector}'; can't understand '${part}'`);
    const [, field, op, raw] = m;
    if (!SUPPORTED_FIELDS.includes(field)) {
      throw new SelectorError(
        custom
          ? `"${field}" is not a known field selector: only "metadata.name", "metadata.namespace"`
          : `field label not supported: ${field}`,
      );
    }
    return { field, equal: op !== '!=', value: unescape(raw) };
  });
}

export function matchesFields(reqs: FieldRequirement[], obj: { metadata?: { name?: string; namespace?: string } }): boolean {
  return reqs.every((r) => {
    const actual = (r.field === 'metadata.name' ? obj.metadata?.name : obj.metadata?.namespace) ?? '';
    return (actual === r.value) === r.equal;
  });
}
