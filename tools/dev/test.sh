#!/usr/bin/env bash
# Builds camrelay and runs every test suite: GoogleTest on the core (also
# under ASan+UBSan), varnishtest against varnishd with the built module, the
# CLI, camrelay-bench interop, end-to-end WebSocket, real sshd tunnels; then
# the Debian packages, built, installed, used and purged (tests/packaging, as
# root only; PACKAGING_TESTS=0 leaves them out).
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

if [ "${PACKAGING_TESTS:-1}" = 1 ]; then
  status=0
  "$top/tests/packaging/packaging_test.sh" "$top" || status=$?
  # 77: skipped (not root), the script said why
  [ "$status" = 0 ] || [ "$status" = 77 ] || exit "$status"
fi
