#!/usr/bin/env bash
# The README's first command, tools/dev/demo.sh, really gives a working relay:
# run it with --check (one measured viewer through the printed link) on free
# ports and a temporary directory.
#   demo_test.sh BUILD_DIR
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
build=$(cd "${1:?usage: demo_test.sh BUILD_DIR}" && pwd)
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
demo=$(mktemp -d /tmp/camrelay-demo-test.XXXXXX)
trap 'rm -rf "$demo"' EXIT

out=$(SKIP_DEPS=1 BUILD_DIR="$build" DEMO_DIR="$demo" RELAY_PORT=$(free_port) CAMERA_PORT=$(free_port) \
  "$top/tools/dev/demo.sh" --check 2>&1) || { echo "$out"; echo "FAIL demo.sh --check exited non-zero"; exit 1; }
echo "$out"
grep -q "^  ws://127.0.0.1:[0-9]*/demo/?k=v1\.demo\." <<<"$out" || { echo "FAIL no viewer link printed"; exit 1; }
grep -Eq "^  result +ok" <<<"$out" || { echo "FAIL the viewer did not get its echoes"; exit 1; }
echo "demo: ok"
