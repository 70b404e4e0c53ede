#!/usr/bin/env bash
# The README's first command, tools/dev/demo.sh, really gives a working relay:
# run it with --check (one measured viewer through the printed link) on free
# ports and a temporary directory.
#   demo_test.sh BUILD_DIR
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
build=$(cd "${1:?usage: demo_test.sh BUILD_DIR}" && pwd)
# shellcheck source=../lib/kit.sh
source "$top/tests/lib/kit.sh"
kit_workdir

out=$(SKIP_DEPS=1 BUILD_DIR="$build" DEMO_DIR="$TMP/demo" RELAY_PORT=$(free_port) CAMERA_PORT=$(free_port) \
  "$top/tools/dev/demo.sh" --check 2>&1) || { echo "$out"; die "demo.sh --check exited non-zero"; }
echo "$out"
grep -q "^  ws://127.0.0.1:[0-9]*/demo/?k=v1\.demo\." <<<"$out" || die "no viewer link printed"
grep -Eq "^  result +ok" <<<"$out" || die "the viewer did not get its echoes"
ok "demo"
