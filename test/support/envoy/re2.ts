/**
 * RE2 (Envoy's `safe_regex` engine) → JavaScript RegExp translation, for tests.
 *
 * `re2ToJs(pattern)` first rejects what RE2 does not support (lookahead/lookbehind, backreferences
 * `\1`/`\k<n>`/`(?P=n)`, atomic groups, possessive quantifiers, conditionals, comments, `\Z`,
 * `\G`, repeat counts over 1000), then rewrites RE2-only syntax into the JS `u`-mode equivalent
 * (`(?P<n>` named groups, `\A`/`\z`, `\Q…\E`, `\x{…}`, `\pL`/`\p{Greek}`, POSIX `[[:alpha:]]`
 * classes, escaped punctuation, literal braces, leading `(?i)`/`(?s)`/`(?m)` flags) and compiles
 * the result. What stays approximate: inline flags that are not at the start (applied to the
 * whole pattern), `(?U)` (ungreedy), negated POSIX classes, `\C`, and RE2's ASCII-only `\s`/`\b`.
 * Envoy's RE2 program-size limit is not modelled.
 */

export type Re2Result =
  | { ok: true; source: string; flags: string; approximate: string[] }
  | { ok: false; error: string };

const POSIX: Record<string, string> = {
  alnum: '0-9A-Za-z',
  alpha: 'A-Za-z',
  ascii: '\\x00-\\x7F',
  blank: '\\t ',
  cntrl: '\\x00-\\x1F\\x7F',
  digit: '0-9',
  graph: '!-~',
  lower: 'a-z',
  print: ' -~',
  punct: '!-\\/:-@\\[-`{-~',
  space: '\\t\\n\\v\\f\\r ',
  upper: 'A-Z',
  word: '0-9A-Za-z_',
  xdigit: '0-9A-Fa-f',
};

/** Characters that must be escaped to be literal in a JS `u`-mode pattern (outside a class). */
const JS_SYNTAX = new Set(['^', '$', '\\', '.', '*', '+', '?', '(', ')', '[', ']', '{', '}', '|', '/']);
const JS_CLASS_SYNTAX = new Set(['\\', ']', '[', '^', '-']);

function lit(c: string, inClass: boolean): string {
  if (inClass) return JS_CLASS_SYNTAX.has(c) ? '\\' + c : c;
  return JS_SYNTAX.has(c) ? '\\' + c : c;
}

function isPunct(c: string): boolean {
  return /^[!-/:-@[-`{-~]$/.test(c);
}

function unicodeClass(name: string, negated: boolean): string | undefined {
  const P = negated ? 'P' : 'p';
  if (name === 'Any') return negated ? '[^\\s\\S]' : '[\\s\\S]';
  if (/^[A-Z][a-z]?$/.test(name)) return `\\${P}{${name}}`;
  if (/^[A-Z][A-Za-z_]+$/.test(name)) return `\\${P}{Script=${name}}`;
  return undefined;
}

export function re2ToJs(pattern: string): Re2Result {
  const approximate: string[] = [];
  const flags = new Set<string>(['u']);
  let out = '';
  let i = 0;
  let inClass = false;
  let classStart = -1; // index in `pattern` right after '[' or '[^'
  const n = pattern.length;
  const fail = (msg: string): Re2Result => ({ ok: false, error: `${msg} (at offset ${i} of ${JSON.stringify(pattern)})` });

  while (i < n) {
    const c = pattern[i];
    if (c === '\\') {
      if (i + 1 >= n) return fail('trailing backslash');
      const d = pattern[i + 1];
      // \Q...\E literal text
      if (d === 'Q') {
        const end = pattern.indexOf('\\E', i + 2);
        const text = end < 0 ? pattern.slice(i + 2) : pattern.slice(i + 2, end);
        for (const ch of text) out += lit(ch, inClass);
        i = end < 0 ? n : end + 2;
        continue;
      }
      if (d === '0' || (/[1-7]/.test(d) && /[0-7]/.test(pattern[i + 2] ?? ''))) {
        // RE2 octal escape: \0, \0NN, or \NNN with two or more digits.
        const m = /^[0-7]{1,3}/.exec(pattern.slice(i + 1))!;
        const code = parseInt(m[0], 8);
        out += `\\x${code.toString(16).padStart(2, '0')}`;
        i += 1 + m[0].length;
        continue;
      }
      if (/[1-9]/.test(d)) return fail('backreferences (\\1..\\9) are not supported by RE2');
      if (d === 'k' || d === 'g') return fail(`\\${d} backreferences are not supported by RE2`);
      if ('GZXRKhHVNo'.includes(d)) return fail(`\\${d} is not supported by RE2`);
      if (d === 'A') {
        if (inClass) return fail('\\A inside a character class');
        out += '(?<![\\s\\S])';
        i += 2;
        continue;
      }
      if (d === 'z') {
        if (inClass) return fail('\\z inside a character class');
        out += '(?![\\s\\S])';
        i += 2;
        continue;
      }
      if (d === 'C') {
        approximate.push('\\C treated as any character');
        out += inClass ? '\\s\\S' : '[\\s\\S]';
        i += 2;
        continue;
      }
      if (d === 'a') {
        out += '\\x07';
        i += 2;
        continue;
      }
      if (d === 'x') {
        if (pattern[i + 2] === '{') {
          const end = pattern.indexOf('}', i + 3);
          const hex = end < 0 ? '' : pattern.slice(i + 3, end);
          if (!/^[0-9A-Fa-f]{1,6}$/.test(hex) || parseInt(hex, 16) > 0x10ffff) return fail('bad \\x{...} escape');
          out += `\\u{${hex}}`;
          i = end + 1;
          continue;
        }
        const hex = pattern.slice(i + 2, i + 4);
        if (!/^[0-9A-Fa-f]{2}$/.test(hex)) return fail('bad \\x escape');
        out += `\\x${hex}`;
        i += 4;
        continue;
      }
      if (d === 'p' || d === 'P') {
        let name: string;
        let len: number;
        if (pattern[i + 2] === '{') {
          const end = pattern.indexOf('}', i + 3);
          if (end < 0) return fail('unterminated \\p{');
          name = pattern.slice(i + 3, end);
          len = end + 1 - i;
        } else {
          name = pattern[i + 2] ?? '';
          len = 3;
        }
        let neg = d === 'P';
        if (name.startsWith('^')) {
          neg = !neg;
          name = name.slice(1);
        }
        const cls = unicodeClass(name, neg);
        if (!cls) return fail(`unknown Unicode class ${name}`);
        out += cls;
        i += len;
        continue;
      }
      if ('dDsSwWbBfnrtv'.includes(d)) {
        if (inClass && (d === 'b' || d === 'B')) return fail(`\\${d} inside a character class`);
        out += '\\' + d;
        i += 2;
        continue;
      }
      if (isPunct(d)) {
        out += lit(d, inClass);
        i += 2;
        continue;
      }
      return fail(`invalid escape \\${d}`);
    }

    if (inClass) {
      if (c === ']' && i !== classStart) {
        inClass = false;
        out += ']';
        i++;
        continue;
      }
      if (c === '[' && pattern[i + 1] === ':') {
        const end = pattern.indexOf(':]', i + 2);
        if (end > 0) {
          let name = pattern.slice(i + 2, end);
          const neg = name.startsWith('^');
          if (neg) name = name.slice(1);
          const body = POSIX[name];
          if (!body) return fail(`invalid POSIX class [:${name}:]`);
          if (neg) approximate.push(`negated POSIX class [:^${name}:] dropped`);
          else out += body;
          i = end + 2;
          continue;
        }
      }
      out += c === '-' ? '-' : lit(c, true);
      i++;
      continue;
    }

    switch (c) {
      case '[': {
        inClass = true;
        out += '[';
        i++;
        if (pattern[i] === '^') {
          out += '^';
          i++;
        }
        classStart = i;
        if (pattern[i] === ']') {
          out += '\\]';
          i++;
          classStart = -1;
        }
        continue;
      }
      case '(': {
        if (pattern[i + 1] !== '?') {
          out += '(';
          i++;
          continue;
        }
        const rest = pattern.slice(i + 2);
        if (rest.startsWith(':')) {
          out += '(?:';
          i += 3;
          continue;
        }
        if (rest.startsWith('=') || rest.startsWith('!')) return fail('lookahead (?= / (?! is not supported by RE2');
        if (rest.startsWith('<=') || rest.startsWith('<!')) return fail('lookbehind (?<= / (?<! is not supported by RE2');
        if (rest.startsWith('>')) return fail('atomic groups (?> are not supported by RE2');
        if (rest.startsWith('#')) return fail('comments (?# are not supported by RE2');
        if (rest.startsWith('(')) return fail('conditionals (?( are not supported by RE2');
        if (rest.startsWith('P=') || rest.startsWith('P>') || rest.startsWith('R') || /^[0-9+-]/.test(rest)) {
          return fail('backreferences / recursion are not supported by RE2');
        }
        const named = /^(P?)<([A-Za-z_][A-Za-z0-9_]*)>/.exec(rest);
        if (named) {
          out += `(?<${named[2]}>`;
          i += 2 + named[0].length;
          continue;
        }
        const fl = /^([imsU]*)(?:-([imsU]*))?([:)])/.exec(rest);
        if (fl && (fl[1] || fl[2] !== undefined)) {
          const atStart = i === 0 && fl[3] === ')';
          for (const f of fl[1]) {
            if (f === 'U') approximate.push('(?U) ungreedy mode ignored');
            else flags.add(f);
          }
          if (fl[2]) approximate.push(`flag clearing (?-${fl[2]}) ignored`);
          if (!atStart) approximate.push(`inline flags (?${fl[1]}${fl[2] !== undefined ? '-' + fl[2] : ''}) applied to the whole pattern`);
          out += fl[3] === ':' ? '(?:' : '';
          i += 2 + fl[0].length;
          continue;
        }
        return fail('invalid or unsupported group syntax');
      }
      case '{': {
        const m = /^\{(\d+)(,(\d*))?\}/.exec(pattern.slice(i));
        if (m) {
          if (Number(m[1]) > 1000 || (m[3] && Number(m[3]) > 1000)) return fail('repeat count over 1000 (RE2 limit)');
          if (m[3] && Number(m[3]) < Number(m[1])) return fail('bad repetition range');
          out += m[0];
          i += m[0].length;
          // possessive
          if (pattern[i] === '+') return fail('possessive quantifiers are not supported by RE2');
          continue;
        }
        out += '\\{';
        i++;
        continue;
      }
      case '}':
        out += '\\}';
        i++;
        continue;
      case '*':
      case '+':
      case '?': {
        out += c;
        i++;
        if (pattern[i] === '+') return fail('possessive quantifiers are not supported by RE2');
        if ((pattern[i] === '*' || pattern[i] === '+') && c !== '?') return fail('bad repetition operator');
        continue;
      }
      case '/':
        out += '\\/';
        i++;
        continue;
      default:
        out += c;
        i++;
    }
  }
  if (inClass) return { ok: false, error: `missing closing ] in ${JSON.stringify(pattern)}` };
  const flagStr = [...flags].sort().join('');
  try {
    new RegExp(out, flagStr);
  } catch (e) {
    return { ok: false, error: `${(e as Error).message.replace(/^Invalid regular expression: /, '')}` };
  }
  return { ok: true, source: out, flags: flagStr, approximate };
}

/** Compile an RE2 pattern for a full match (Envoy's RegexMatcher semantics). Throws on error. */
export function re2FullMatcher(pattern: string): RegExp {
  const r = re2ToJs(pattern);
  if (!r.ok) throw new Error(`invalid RE2 regex: ${r.error}`);
  return new RegExp(`^(?:${r.source})$`, r.flags);
}
