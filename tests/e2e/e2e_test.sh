#!/usr/bin/env bash
# End to end: an independent WebSocket client and server (Node's ws, RFC 6455)
# talk through a real varnishd running the shipped vcl/default.vcl with the
# built camrelay module and the relay's parameters (tests/lib/relay_fixture.sh);
# 16 KiB binary messages both ways.
#   e2e_test.sh BUILD_DIR
set -uo pipefail
# shellcheck source=../lib/relay_suite.sh
source "$(dirname "$0")/../lib/relay_suite.sh" "$@"

cam_port=$(free_port)
relay_port=$(free_port)
relay_config
cam camera add cam1 --port "$cam_port" >/dev/null || die "camera add"
cam camera default cam1 >/dev/null || die "camera default"
key=$(cam key issue --camera cam1 --ttl 1h) || die "key issue"
mac=${key##*.}

node "$here/camera.js" "$cam_port" 8 >"$TMP/camera.log" 2>&1 &
started $!
mapfile -t params < <(camrelay_varnishd_params 1000)
relay_start_varnish "$relay_port" "${params[@]}" -t 0
wait_for_port "$cam_port"

relay="ws://127.0.0.1:$relay_port"
viewer() { node "$here/viewer.js" "$@"; }

# A viewer with a key on the camera's path prefix; k= never reaches the camera.
out=$(viewer "$relay/cam1/live?k=$key&q=1" --count 200) || true
echo "$out"
check "path route, 16 KiB both ways" grep -q '"ok":true' <<<"$out"
check "k= removed, prefix stripped" grep -q '"cameraUrl":"/live?q=1"' <<<"$out"

# What the Picam360 viewer sends: ws://relay/ with only the key.
out=$(viewer "$relay/?k=$key" --count 50) || true
check "default camera" grep -q '"ok":true' <<<"$out"

# Refusals: a clear status and reason, nothing reaches the camera.
out=$(viewer "$relay/cam1/?k=${key%.*}.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA" --expect-status 403) || true
check "bad signature refused 403" grep -q '"reason":"key_bad_signature"' <<<"$out"
out=$(viewer "$relay/cam1/" --expect-status 403) || true
check "missing key refused 403" grep -q '"reason":"key_missing"' <<<"$out"
out=$(viewer "$relay/nocam/?k=$key&cam=nocam" --expect-status 404) || true
check "unknown camera refused 404" grep -q '"status":404' <<<"$out"

# Plain HTTP reaches the camera's own page.
page=$(curl -fsS "http://127.0.0.1:$relay_port/cam1/index.html")
check "camera page passed" grep -q 'camera page for /index.html' <<<"$page"

# The shared log has the decisions but never the key's MAC.
varnishlog -n "$VARNISH_DIR" -d >"$TMP/vsl.txt"
check "decision logged" grep -q 'camrelay' "$TMP/vsl.txt"
check "MAC never logged" bash -c "! grep -qF -- '$mac' '$TMP/vsl.txt'"

kit_finish
