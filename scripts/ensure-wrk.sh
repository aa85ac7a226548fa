#!/usr/bin/env bash
# Make sure wrk (the HTTP load generator) is available for the real-Envoy section of
# `npm run bench`. Exit codes and messages: see ensure-apt-tool.sh.
exec bash "$(dirname "$0")/ensure-apt-tool.sh" wrk wrk "the real-Envoy section of npm run bench" -v
