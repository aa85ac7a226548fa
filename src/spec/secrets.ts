/**
 * Detection of credentials pasted into a spec. The spec ends up in a ConfigMap, a custom resource
 * and CI logs, so a value that looks like a secret is an error, and no message ever repeats it.
 */
const SECRET_PATTERNS: ReadonlyArray<{ readonly name: string; readonly pattern: RegExp }> = [
  { name: 'an Anthropic API key ("sk-ant-…")', pattern: /\bsk-ant-[A-Za-z0-9_-]{16,}/ },
  { name: 'an OpenAI-style API key ("sk-…")', pattern: /\bsk-(proj-)?[A-Za-z0-9_-]{20,}/ },
  { name: 'an AWS access key id ("AKIA…")', pattern: /\b(AKIA|ASIA)[0-9A-Z]{16}\b/ },
  { name: 'a Google API key ("AIza…")', pattern: /\bAIza[0-9A-Za-z_-]{35}\b/ },
  { name: 'a Hugging Face token ("hf_…")', pattern: /\bhf_[A-Za-z0-9]{30,}\b/ },
  { name: 'a GitHub token', pattern: /\b(ghp|gho|ghs|ghu|github_pat)_[A-Za-z0-9_]{30,}\b/ },
  { name: 'a Slack token', pattern: /\bxox[abposr]-[A-Za-z0-9-]{10,}/ },
  { name: 'a JSON Web Token', pattern: /\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}/ },
  { name: 'a private key', pattern: /-----BEGIN [A-Z ]*PRIVATE KEY-----/ },
  { name: 'a bearer token', pattern: /\bBearer\s+[A-Za-z0-9._~+/=-]{16,}/ },
  { name: 'a password in a URL', pattern: /:\/\/[^/\s:@]+:[^/\s@]+@/ },
];

/** What kind of credential `text` looks like, or undefined when it looks harmless. */
export function secretKind(text: string): string | undefined {
  for (const { name, pattern } of SECRET_PATTERNS) {
    if (pattern.test(text)) return name;
  }
  return undefined;
}

/** A value fit to quote in a message: secret-looking values are never shown. */
export function quoteSafely(value: unknown, max = 60): string {
  if (typeof value === 'string') {
    if (secretKind(value)) return '<redacted>';
    const shown = value.length > max ? `${value.slice(0, max)}…` : value;
    return JSON.stringify(shown);
  }
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'an object';
  return String(value);
}

/** Every string in a JSON-like value with its path, for scanning. */
export function* stringsIn(value: unknown, path: (string | number)[] = []): Generator<[(string | number)[], string]> {
  if (typeof value === 'string') {
    yield [path, value];
  } else if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) yield* stringsIn(value[i], [...path, i]);
  } else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      // A key can be a secret as much as a value (e.g. a template named after a token).
      if (secretKind(k)) yield [[...path, k], k];
      yield* stringsIn(v, [...path, k]);
    }
  }
}
