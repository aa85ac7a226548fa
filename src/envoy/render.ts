import { stringify } from 'yaml';

/** The bootstrap as envoy.yaml text: YAML without anchors, long Lua sources as block scalars. */
export function renderBootstrap(bootstrap: Record<string, unknown>): string {
  return stringify(bootstrap, { aliasDuplicateObjects: false, lineWidth: 0 });
}
