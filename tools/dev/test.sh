#!/usr/bin/env bash
# Builds camrelay and runs every test suite: GoogleTest on the core (also
# under ASan+UBSan), varnishtest against varnishd with the built module, the
# CLI, camrelay-bench interop, end-to-end WebSocket, real sshd tunnels.
#   tools/dev/test.sh            install what is missing, build, test
#   SKIP_DEPS=1 tools/dev/test.sh   skip the install step
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
build=${BUILD_DIR:-$top/build}
[ "${SKIP_DEPS:-0}" = 1 ] || "$top/tools/dev/install-deps.sh"
cmake -S "$top" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo
cmake --build "$build" -j"$(nproc)"
cd "$build"
ctest --output-on-failure --timeout 900 "$@"
