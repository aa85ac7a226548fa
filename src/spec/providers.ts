import { z } from 'zod';
import { quoteSafely } from './secrets';
import { closest } from './suggest';

/**
 * The providers the gateway knows: each decides how a credential is sent by default and which
 * request API a fallback must speak. HuggingFace and Other are passed through unchanged (sent as
 * OpenAI-style bearer credentials unless credentialsRef says otherwise).
 */
export const PROVIDERS = ['OpenAI', 'AzureOpenAI', 'Anthropic', 'Gemini', 'Bedrock', 'OpenAICompatible', 'HuggingFace', 'Other'] as const;
export type Provider = (typeof PROVIDERS)[number];

/**
 * Servers that speak the OpenAI API, accepted as spellings of OpenAICompatible (lower case) so a
 * spec can say what it runs; the custom resource carries the canonical OpenAICompatible.
 */
const OPENAI_COMPATIBLE_SERVERS = ['vLLM', 'TGI', 'Ollama', 'LM Studio', 'LMStudio', 'LM-Studio'];
const ALIASES: ReadonlyMap<string, Provider> = new Map(OPENAI_COMPATIBLE_SERVERS.map((name) => [name.toLowerCase(), 'OpenAICompatible']));

/** The canonical provider a spelling means (case-insensitive, aliases included), or undefined. */
export function canonicalProvider(written: string): Provider | undefined {
  const lower = written.trim().toLowerCase();
  return PROVIDERS.find((p) => p.toLowerCase() === lower) ?? ALIASES.get(lower);
}

/** The provider a misspelling most likely meant: a near name, or one it abbreviates ("Azure"). */
function meantProvider(written: string): string | undefined {
  const lower = written.trim().toLowerCase();
  const near = closest(written.trim(), [...PROVIDERS, ...OPENAI_COMPATIBLE_SERVERS.slice(0, 3)]);
  if (near !== undefined) return near;
  return lower.length >= 3 ? PROVIDERS.find((p) => p.toLowerCase().startsWith(lower) || lower.startsWith(p.toLowerCase())) : undefined;
}

function unknownProvider(written: string): string {
  const meant = meantProvider(written);
  const hint = meant !== undefined ? `; did you mean ${quoteSafely(meant)}?` : ' (use Other for a provider the gateway does not know)';
  return `must be one of ${PROVIDERS.join(', ')}; found ${quoteSafely(written)}${hint}`;
}

export const providerSchema = z
  .string()
  .max(63)
  .transform((written, ctx): Provider => {
    const provider = canonicalProvider(written);
    if (provider === undefined) {
      ctx.addIssue({ code: 'custom', message: unknownProvider(written), input: written });
      return z.NEVER;
    }
    return provider;
  })
  // The API server cannot fold case: the CRD takes the canonical spelling the CLI and construct write.
  .meta({ 'x-crd-override': { type: 'string', enum: [...PROVIDERS] } });

/** Header that carries an upstream credential, by provider (how each provider's API expects it). */
export function credentialHeader(provider: Provider | undefined): { header: string; prefix: string } {
  switch (provider) {
    case 'Anthropic':
      return { header: 'x-api-key', prefix: '' };
    case 'AzureOpenAI':
      return { header: 'api-key', prefix: '' };
    case 'Gemini':
      return { header: 'x-goog-api-key', prefix: '' };
    default:
      // OpenAI, OpenAI-compatible servers, Bedrock API keys, HuggingFace and Other: a bearer token.
      return { header: 'Authorization', prefix: 'Bearer ' };
  }
}

/**
 * The request API an endpoint speaks: a fallback gets the request as the client sent it, so it
 * must speak the same one. HuggingFace, Other and no provider count as OpenAI-compatible.
 */
export function requestApi(provider: Provider | undefined): string {
  switch (provider) {
    case 'Anthropic':
      return 'Anthropic Messages API';
    case 'AzureOpenAI':
      return 'Azure OpenAI API';
    case 'Gemini':
      return 'Gemini API';
    case 'Bedrock':
      return 'Bedrock API';
    default:
      return 'OpenAI-compatible API';
  }
}
