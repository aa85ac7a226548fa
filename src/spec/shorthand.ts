import { HTTP_TOKEN } from './primitives';
import { quoteSafely, secretKind } from './secrets';
import type { RoutingStrategy } from './routing';

/** A rule's matcher in structured form: exactly one of the keys is set. */
export interface RuleMatcher {
  readonly header?: { readonly name: string; readonly value: string };
  readonly pathPrefix?: string;
  readonly model?: string;
}

export type ShorthandResult = { readonly matcher: RuleMatcher } | { readonly error: string };

/**
 * Reads the design's `match:` shorthand for a strategy:
 * Header "X-AI-Model: gpt-4", Path "/v1/openai", RequestBody "gpt-4".
 */
export function parseShorthand(strategy: RoutingStrategy, match: string): ShorthandResult {
  const text = match.trim();
  switch (strategy) {
    case 'Header': {
      const colon = text.indexOf(':');
      if (colon <= 0) {
        return { error: `must be "Header-Name: value" for strategy Header, e.g. "X-AI-Model: gpt-4"; found ${quoteSafely(match)}` };
      }
      const name = text.slice(0, colon).trim();
      const value = text.slice(colon + 1).trim();
      if (!HTTP_TOKEN.test(name)) {
        return { error: `header name ${quoteSafely(name)} is not a legal HTTP header name (no spaces; letters, digits and !#$%&'*+-.^_\`|~)` };
      }
      if (value.length === 0) {
        return { error: secretKind(name) ? 'needs a value after the colon' : `header ${name} needs a value after the colon, e.g. "${name}: gpt-4"` };
      }
      if (/[\x00-\x1f\x7f]/.test(value)) return { error: 'header value must not contain control characters' };
      return { matcher: { header: { name, value } } };
    }
    case 'Path':
      if (!/^\/[^\s?#]*$/.test(text)) {
        return { error: `must be a path prefix starting with "/" for strategy Path, e.g. "/v1/openai"; found ${quoteSafely(match)}` };
      }
      return { matcher: { pathPrefix: text } };
    case 'RequestBody':
      if (text.length === 0) return { error: `must be a model name for strategy RequestBody, e.g. "gpt-4"; found ${quoteSafely(match)}` };
      return { matcher: { model: text } };
    case 'Weighted':
      return { error: 'strategy Weighted does not use match; give each rule a weight' };
  }
}
