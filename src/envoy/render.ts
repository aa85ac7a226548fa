/**
 * The bootstrap as the text of ENVOY_BOOTSTRAP_FILE: JSON (proto3 JSON mapping), indented so a
 * person reading the ConfigMap can follow it.
 */
export function renderBootstrap(bootstrap: Record<string, unknown>): string {
  return `${JSON.stringify(bootstrap, null, 2)}\n`;
}
