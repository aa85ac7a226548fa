#!/usr/bin/env bash
# Make sure LuaJIT (the runtime Envoy's Lua filter embeds) is available for
# the Lua filter tests. Called by `npm test` (pretest) and `npm run bench`.
# Exit codes and messages: see ensure-apt-tool.sh.
exec bash "$(dirname "$0")/ensure-apt-tool.sh" luajit luajit "the Lua filter tests" -v
