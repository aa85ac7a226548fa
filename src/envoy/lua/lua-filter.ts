import type { Json, SecretFile } from '../types';

/** A Lua HTTP filter for http_filters, its script as ConfigMap files, and the Secret keys its script reads. */
export interface LuaFilter {
  readonly filter: Json;
  /** ConfigMap key -> content, mounted in ENVOY_CONFIG_DIR (the script the filter loads by filename). */
  readonly files: Readonly<Record<string, string>>;
  readonly secretFiles: SecretFile[];
}
