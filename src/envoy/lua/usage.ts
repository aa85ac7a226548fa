import { luaHttpFilter, luaScript } from './script';
import type { LuaValue } from './lua-literal';
import type { LuaFilter } from './lua-filter';
import { USAGE_HEADERS } from '../names';
import type { EnvoyOptions, Spec } from '../types';

/** Bytes kept from the end of a JSON body (or of one SSE line) to find the usage report in. */
export const USAGE_TAIL_BYTES = 64 * 1024;
/**
 * Largest non-streaming response held back to add usage headers: 1 MiB (a chat answer is far
 * smaller), and never more than the listener's buffer limit (spec.limits.maxRequestBodyBytes, which
 * bounds responses too: over it Envoy would answer 500). Larger ones, and ones without
 * content-length, stream on without the headers.
 */
export const USAGE_MAX_BUFFER_BYTES = 1 << 20;

export const usageBufferBytes = (spec: Spec) => Math.min(USAGE_MAX_BUFFER_BYTES, spec.limits.maxRequestBodyBytes);

/** Whether responses are accounted: some endpoint has a price, or usage headers are asked for. */
export function usageAccounting(spec: Spec): boolean {
  return spec.observability.usageHeaders || spec.endpoints.some((e) => e.costPerToken !== undefined);
}

export interface ScaledPrice {
  /** USD per input token times 10^scale, as decimal digits. */
  readonly input: string;
  readonly output: string;
  readonly scale: number;
}

/** Both prices of an endpoint as integers over one power of ten: "0.00003", "0.0001" -> 30, 100, scale 6. */
export function scaledPrice(input: string, output: string): ScaledPrice {
  const split = (d: string) => {
    const [whole, frac = ''] = d.split('.');
    return { whole, frac };
  };
  const a = split(input);
  const b = split(output);
  const scale = Math.max(a.frac.length, b.frac.length);
  const digits = (p: { whole: string; frac: string }) => (p.whole + p.frac.padEnd(scale, '0')).replace(/^0+(?=\d)/, '');
  return { input: digits(a), output: digits(b), scale };
}

/** Token usage and cost from responses (JSON and SSE) into dynamic metadata and, if asked, headers. */
export function usageFilter(spec: Spec, _options: EnvoyOptions): LuaFilter | undefined {
  if (!usageAccounting(spec)) return undefined;
  const prices: Record<string, LuaValue> = {};
  for (const e of spec.endpoints) {
    if (e.costPerToken) prices[e.name] = { ...scaledPrice(e.costPerToken.inputTokens, e.costPerToken.outputTokens) };
  }
  const source = luaScript('usage', 'usage.lua', {
    prices,
    usageHeaders: spec.observability.usageHeaders,
    usageHeaderNames: { ...USAGE_HEADERS },
    tailBytes: USAGE_TAIL_BYTES,
    maxBufferBytes: usageBufferBytes(spec),
  });
  return { ...luaHttpFilter('usage', source), secretFiles: [] };
}
