/**
 * Shared pieces of the prompt filter tests (lua-prompt*.test.ts): the script for a
 * promptEngineering spec, and a request run through it that must be forwarded or refused.
 */
import { promptFilter } from '../src/envoy/lua';
import type { AIGatewaySpecInput } from '../src/spec';
import { chat, errorOf, OPTIONS, runOne, scriptOf, specWith } from './lua-helpers';

export type Prompt = NonNullable<AIGatewaySpecInput['promptEngineering']>;
export const scriptFor = (promptEngineering: Prompt) => scriptOf(promptFilter(specWith({ promptEngineering }), OPTIONS));

export const SYS = 'You are a helpful AI assistant.';

/** Forwarded body, parsed; fails the test if the script broke or answered locally. */
export function forwarded(script: string, body: unknown, headers: Record<string, string> = {}, bufferLimitBytes?: number) {
  const r = runOne(script, { request: chat(body, headers) }, bufferLimitBytes ? { config: { bufferLimitBytes } } : {});
  expect(r.errorMessages).toEqual([]);
  expect(r.localReply).toBeUndefined();
  expect(r.request.forwarded).toBe(true);
  expect(Number(r.request.headers['content-length'])).toBe(Buffer.byteLength(r.request.body));
  return { json: JSON.parse(r.request.body), raw: r.request.body, headers: r.request.headers, result: r };
}

/** The message of the JSON 400 the script answered with; fails the test if it forwarded. */
export function rejected(script: string, body: unknown, headers: Record<string, string> = {}) {
  const r = runOne(script, { request: chat(body, headers) });
  expect(r.errorMessages).toEqual([]);
  expect(r.request.forwarded).toBe(false);
  expect(r.localReply!.status).toBe(400);
  return errorOf(r).message;
}
