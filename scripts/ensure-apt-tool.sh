#!/usr/bin/env bash
# Make sure a command from a Debian package is on PATH, installing the package with apt-get when
# we run as root (the dev containers and CI do); otherwise print the exact install line.
#
#   usage: ensure-apt-tool.sh COMMAND PACKAGE "WHAT NEEDS IT" [VERSION-FLAG]
#   exit 0  COMMAND is on PATH (installed now if we could)
#   exit 1  it is missing and could not be installed; the command to run is printed on stderr
set -u
if [ $# -lt 3 ]; then
  echo "usage: $0 COMMAND PACKAGE \"WHAT NEEDS IT\" [VERSION-FLAG]" >&2
  exit 2
fi
CMD=$1
PKG=$2
WHY=$3
VERSION_FLAG=${4:---version}
TAG="ensure-$CMD"
INSTALL_HINT="sudo apt-get install -y $PKG"

if command -v "$CMD" >/dev/null 2>&1; then
  exit 0
fi

if [ "${EUID:-1}" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
  export DEBIAN_FRONTEND=noninteractive
  echo "$TAG: $CMD not found, installing $PKG with apt-get" >&2
  # Try without refreshing the package lists first; update only if needed.
  if ! apt-get install -y -qq "$PKG" >/dev/null 2>&1; then
    apt-get update -qq >/dev/null 2>&1 || true
    apt-get install -y -qq "$PKG" >/dev/null 2>&1 || true
  fi
  if command -v "$CMD" >/dev/null 2>&1; then
    echo "$TAG: installed $("$CMD" "$VERSION_FLAG" 2>&1 | head -n 1)" >&2
    exit 0
  fi
  echo "$TAG: apt-get could not install $PKG" >&2
fi

echo "$TAG: $CMD is required by $WHY but is not installed." >&2
echo "$TAG: install it with:  ${INSTALL_HINT}" >&2
exit 1
