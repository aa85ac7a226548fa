#!/usr/bin/env bash
# Make sure LuaJIT (the runtime Envoy's Lua filter embeds) is available for
# the Lua filter tests. Called by `npm test` (pretest) and .ci/run.
#
#   exit 0  luajit is on PATH (installed now if we could)
#   exit 1  luajit is missing and could not be installed; the command to run
#           is printed on stderr
set -u

INSTALL_HINT="sudo apt-get install -y luajit"

if command -v luajit >/dev/null 2>&1; then
  exit 0
fi

if [ "${EUID:-1}" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
  export DEBIAN_FRONTEND=noninteractive
  echo "ensure-luajit: luajit not found, installing it with apt-get" >&2
  # Try without refreshing the package lists first; update only if needed.
  if ! apt-get install -y -qq luajit >/dev/null 2>&1; then
    apt-get update -qq >/dev/null 2>&1 || true
    apt-get install -y -qq luajit >/dev/null 2>&1 || true
  fi
  if command -v luajit >/dev/null 2>&1; then
    echo "ensure-luajit: installed $(luajit -v 2>&1 | head -n 1)" >&2
    exit 0
  fi
  echo "ensure-luajit: apt-get could not install luajit" >&2
fi

echo "ensure-luajit: LuaJIT is required by the Lua filter tests but is not installed." >&2
echo "ensure-luajit: install it with:  ${INSTALL_HINT}" >&2
exit 1
