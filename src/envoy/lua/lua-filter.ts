import type { Json, SecretFile } from '../types';

/** A Lua HTTP filter for http_filters and the Secret keys its script reads. */
export interface LuaFilter {
  readonly filter: Json;
  readonly secretFiles: SecretFile[];
}
