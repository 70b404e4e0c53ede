#!/usr/bin/env bash
# End to end: an independent WebSocket client and server (Node's ws, RFC 6455)
# talk through a real varnishd running the shipped vcl/default.vcl with the
# built camrelay module; 16 KiB binary messages both ways.
#   e2e_test.sh BUILD_DIR
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
build=$(cd "${1:?usage: e2e_test.sh BUILD_DIR}" && pwd)
cli="$build/tools/camrelay/camrelay"
vmoddir=$(pkg-config --variable=vmoddir varnishapi)

tmp=$(mktemp -d /tmp/camrelay-e2e.XXXXXX)
chmod 755 "$tmp"  # varnishd's worker user reads the config below
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  [ -f "$tmp/varnishd.pid" ] && kill "$(cat "$tmp/varnishd.pid")" 2>/dev/null || true
  wait 2>/dev/null || true
  rm -rf "$tmp"
}
trap cleanup EXIT

failures=0
passes=0
check() {  # check NAME COMMAND...: run, count, report
  local name=$1; shift
  if "$@"; then passes=$((passes + 1)); echo "ok   $name"
  else failures=$((failures + 1)); echo "FAIL $name"; fi
}
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_listen() {  # wait_listen PORT: until something accepts on 127.0.0.1:PORT (10 s)
  for _ in $(seq 100); do
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
    sleep 0.1
  done
  echo "nothing listens on $1" >&2; return 1
}

cam_port=$(free_port)
relay_port=$(free_port)
conf="$tmp/conf"
mkdir -p "$conf"
"$cli" --config "$conf" secret new >/dev/null
"$cli" --config "$conf" camera add cam1 --port "$cam_port" >/dev/null
"$cli" --config "$conf" camera default cam1 >/dev/null
key=$("$cli" --config "$conf" key issue --camera cam1 --ttl 1h)
mac=${key##*.}

node "$here/camera.js" "$cam_port" 8 >"$tmp/camera.log" 2>&1 &
pids+=($!)
CAMRELAY_CONFIG="$conf" varnishd -n "$tmp/varnish" -a "127.0.0.1:$relay_port" \
  -f "$top/vcl/default.vcl" -p vcl_path="$top/vcl" \
  -p vmod_path="$build/vmod:$vmoddir" -p vsl_mask=-ReqURL \
  -s malloc,16m -P "$tmp/varnishd.pid" -t 0
wait_listen "$cam_port"
wait_listen "$relay_port"

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
varnishlog -n "$tmp/varnish" -d >"$tmp/vsl.txt"
check "decision logged" grep -q 'camrelay' "$tmp/vsl.txt"
check "MAC never logged" bash -c "! grep -qF -- '$mac' '$tmp/vsl.txt'"

echo "$passes passed, $failures failed"
[ "$failures" -eq 0 ]
