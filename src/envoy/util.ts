import type { Json } from './types';
import { durationSeconds } from '../spec/primitives';

/** `{'@type': 'type.googleapis.com/<type>', ...body}`: an Any in proto3 JSON. */
export function typed(type: string, body: Json = {}): Json {
  return { '@type': `type.googleapis.com/${type}`, ...body };
}

/** A spec duration ("2m", "500ms", "1.5s") as a proto3 JSON Duration ("120s", "0.5s", "1.5s"). */
export function protoDuration(text: string): string {
  return secondsDuration(durationSeconds(text));
}

/** Seconds as a proto3 JSON Duration, at most nanosecond precision, without float noise. */
export function secondsDuration(seconds: number): string {
  return `${seconds.toFixed(9).replace(/\.?0+$/, '')}s`;
}

/** A header to set on a request or response, replacing any value it had. */
export function setHeader(key: string, value: string): Json {
  return { header: { key, value }, append_action: 'OVERWRITE_IF_EXISTS_OR_ADD' };
}

/** "host:port" (e.g. "otel-collector.observability:4317") -> parts; port undefined when out of range. */
export function hostAndPort(text: string): { host: string; port: number | undefined } {
  const colon = text.lastIndexOf(':');
  const port = Number(text.slice(colon + 1));
  return { host: text.slice(0, colon), port: Number.isInteger(port) && port >= 1 && port <= 65535 ? port : undefined };
}

/** An http(s) URL's parts, read without `new URL` (which throws on a port over 65535). */
export interface ParsedUrl {
  readonly tls: boolean;
  readonly host: string;
  /** undefined when given but out of range (1-65535). */
  readonly port: number | undefined;
  /** The port as written ("" when not given). */
  readonly portText: string;
  /** Path without a trailing "/" ("" for none). */
  readonly path: string;
}

export function parseUrl(url: string): ParsedUrl {
  const m = /^(https?):\/\/([^/:?#]+)(?::([0-9]+))?([^?#]*)/.exec(url);
  if (!m) throw new Error(`not an http(s) URL: ${url}`);
  const tls = m[1] === 'https';
  const given = m[3] === undefined ? undefined : Number(m[3]);
  const port = given === undefined ? (tls ? 443 : 80) : given >= 1 && given <= 65535 ? given : undefined;
  return { tls, host: m[2].toLowerCase(), port, portText: m[3] ?? '', path: m[4].replace(/\/+$/, '') };
}
