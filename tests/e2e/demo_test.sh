#!/usr/bin/env bash
# The README's first command, tools/dev/demo.sh, really gives a relay with a
# camera to watch: run it with --check (the camera's page through the
# printed browser link, then one viewer of the demo camera's frames through
# the printed ws:// link) on free ports and a temporary directory. The
# browser itself: tests/browser/demo_page_test.sh.
#   demo_test.sh BUILD_DIR
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
build=$(cd "${1:?usage: demo_test.sh BUILD_DIR}" && pwd)
# shellcheck source=../lib/kit.sh
source "$top/tests/lib/kit.sh"
kit_workdir

relay_port=$(free_port)
out=$(SKIP_DEPS=1 BUILD_DIR="$build" DEMO_DIR="$TMP/demo" RELAY_PORT=$relay_port CAMERA_PORT=$(free_port) \
  "$top/tools/dev/demo.sh" --check 2>&1) || { echo "$out"; die "demo.sh --check exited non-zero"; }
echo "$out"
link="127\.0\.0\.1:$relay_port/demo/\?k=v1\.demo\.[^ ]*"
grep -q "^Open in a browser" <<<"$out" || die "no label for the browser link"
grep -Eq "^  http://$link$" <<<"$out" || die "no browser link printed"
grep -Eq "^  ws://$link$" <<<"$out" || die "no ws:// link printed"
[ "$(grep -Eo "^  (http|ws)://$link$" <<<"$out" | sed 's/^  [a-z]*:/:/' | sort -u | wc -l)" = 1 ] ||
  die "the two links differ beyond their scheme"
grep -q "^For a phone: RELAY_HOST=" <<<"$out" || die "no word on how a phone watches"
grep -q "^page ok" <<<"$out" || die "the camera's page did not come through the relay"
grep -Eq "^  frames +[1-9][0-9]* in " <<<"$out" || die "no frame arrived"
grep -Eq "^  bad frames +0$" <<<"$out" || die "bad frames"
grep -Eq "^  result +ok" <<<"$out" || die "the viewer of the demo camera failed"
ok "demo"
