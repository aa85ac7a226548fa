/**
 * The Envoy image the gateway runs, pinned. 1.36 is a supported stable line that has Lua
 * `clearRouteCache()` / `clear_route_cache` (from 1.34), which body-based routing relies on.
 * The generated configuration uses only v3 fields of the mid-2024 data-plane API (checked against
 * those protos, no deprecated fields), which later Envoy releases keep accepting.
 */
export const ENVOY_IMAGE = 'envoyproxy/envoy:v1.36.4';

/** The official image's `envoy` user and group (the image runs Envoy as uid 101 unless ENVOY_UID=0). */
export const ENVOY_UID = 101;
