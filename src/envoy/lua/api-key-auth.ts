import { luaHttpFilter, luaScript, secretFile } from './script';
import type { EnvoyOptions, Spec } from '../types';
import type { LuaFilter } from './lua-filter';
import { cacheCaller } from './cache';

/** Seconds between two reads of the key file by one worker (rotation delay on top of the kubelet's). */
export const API_KEY_RELOAD_SECONDS = 5;

/** Client API-key check against keys mounted from a Secret (authentication.type APIKey). */
export function apiKeyAuthFilter(spec: Spec, options: EnvoyOptions): LuaFilter | undefined {
  const auth = spec.authentication;
  if (auth.type !== 'APIKey' || !auth.apiKeyRef) return undefined;
  const file = secretFile(auth.apiKeyRef.name, auth.apiKeyRef.key);
  const source = luaScript('apiKeyAuth', 'api-key-auth.lua', {
    keyFile: `${file.mountPath}/${file.key}`,
    secretName: auth.apiKeyRef.name,
    reloadSeconds: API_KEY_RELOAD_SECONDS,
    maxKeyLength: 4096,
    realm: options.gatewayName,
    // Hand the key to the cache filter only when the cache keys on it.
    exposeCaller: cacheCaller(spec) === 'APIKey',
  });
  return { ...luaHttpFilter('apiKeyAuth', source), secretFiles: [file] };
}
