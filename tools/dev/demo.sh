#!/usr/bin/env bash
# A working camrelay relay with a demo camera you can watch, in one command:
# installs what is missing, builds, configures the camera, starts the demo
# camera (camrelay-bench serve --mode demo: a moving test picture with a
# running clock, 12 frames a second, its own page) and varnishd with
# vcl/default.vcl and the built module, and prints the link to open in a
# browser (the camera's page with its key) and the ws:// link for programs.
# varnishd gets the parameters camrelay setup gives it
# (tools/setup/relay-params.sh). Runs until Ctrl-C, then stops what it
# started.
#
#   tools/dev/demo.sh            relay on 127.0.0.1:8080, camera on 127.0.0.1:19001
#   tools/dev/demo.sh --check    the same, then the camera's page and one
#                                measured viewer through the relay, then exit
#
# Environment: RELAY_HOST (127.0.0.1; this machine's address on your
# network lets a phone watch, and then the browser link is also printed as
# a QR code when qrencode is installed), RELAY_PORT, CAMERA_PORT, DEMO_DIR,
# SKIP_DEPS=1, BUILD_DIR, MAX_VIEWERS (1000, as camrelay setup).
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
# shellcheck source=../setup/relay-params.sh
. "$top/tools/setup/relay-params.sh"
build=${BUILD_DIR:-$top/build}
relay_host=${RELAY_HOST:-127.0.0.1}
relay_port=${RELAY_PORT:-8080}
camera_port=${CAMERA_PORT:-19001}
demo=${DEMO_DIR:-/tmp/camrelay-demo}
check=0
case "${1:-}" in
  "") ;;
  --check) check=1 ;;
  *) echo "usage: tools/dev/demo.sh [--check]" >&2; exit 2 ;;
esac
case "$relay_host" in
  *:*) relay_authority="[$relay_host]:$relay_port" ;;  # IPv6
  *) relay_authority="$relay_host:$relay_port" ;;
esac
case "$relay_host" in
  127.* | localhost | ::1) on_loopback=1 ;;
  *) on_loopback=0 ;;
esac

[ "${SKIP_DEPS:-0}" = 1 ] || "$top/tools/dev/install-deps.sh"
cmake -S "$top" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$build" -j"$(nproc)" --target camrelay camrelay-bench vmod_camrelay >/dev/null
build=$(cd "$build" && pwd)  # varnishd resolves vmod_path from its own directory

cli=("$build/tools/camrelay/camrelay" --config "$demo/conf")
bench="$build/tools/camrelay-bench/camrelay-bench"

# The configuration directory: readable by varnishd's worker user, secrets
# readable by root and the varnish group only (camrelay sets that up).
mkdir -p "$demo/conf"
chmod 755 "$demo" "$demo/conf"
"${cli[@]}" secret list 2>/dev/null | grep -q . || "${cli[@]}" secret new >/dev/null
if ! "${cli[@]}" camera list 2>/dev/null | grep -q '^demo\b'; then
  "${cli[@]}" camera add demo --port "$camera_port" >/dev/null
  "${cli[@]}" camera default demo >/dev/null
fi

pids=()
cleanup() {
  [ -f "$demo/varnishd.pid" ] && kill "$(cat "$demo/varnishd.pid")" 2>/dev/null || true
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap cleanup EXIT INT TERM

# The demo camera: its page on GET, and on the WebSocket raw frames of a
# moving test picture, as a Picam360 serves its page and stream on its
# port 9001. (A real camera reaches the relay through `camrelay-tunnel`;
# see "Deploy a relay" in README.md.)
"$bench" serve --listen "127.0.0.1:$camera_port" --mode demo >"$demo/camera.log" 2>&1 &
pids+=($!)

mapfile -t relay_params < <(camrelay_varnishd_params "${MAX_VIEWERS:-1000}")
CAMRELAY_CONFIG="$demo/conf" varnishd -n "$demo/varnish" -a "$relay_authority" \
  -f "$top/vcl/default.vcl" -p vcl_path="$top/vcl" \
  -p vmod_path="$build/vmod:$(pkg-config --variable=vmoddir varnishapi)" \
  "${relay_params[@]}" -P "$demo/varnishd.pid"

for _ in $(seq 50); do
  (exec 3<>"/dev/tcp/127.0.0.1/$camera_port") 2>/dev/null && break
  sleep 0.1
done

# One key, both links (and the QR code of the browser link for a phone).
qr=()
[ "$on_loopback" = 0 ] && command -v qrencode >/dev/null && qr=(--qr)
issued=$("${cli[@]}" key issue --camera demo --ttl 1h --url "http://$relay_authority/demo/" "${qr[@]}")
browser=$(sed -n '1s/^browser  *//p' <<<"$issued")
websocket=$(sed -n '2s/^websocket  *//p' <<<"$issued")
[ -n "$browser" ] && [ -n "$websocket" ] || { echo "demo.sh: camrelay key issue printed no links" >&2; exit 1; }

cat <<MSG

camrelay demo relay is up.
  relay      http://$relay_authority/   (varnishd, vcl/default.vcl, module from $build/vmod)
  camera     demo -> 127.0.0.1:$camera_port (camrelay-bench serve --mode demo: a moving test picture)
  config     $demo/conf   (camrelay --config $demo/conf camera list)

Open in a browser (valid for one hour, one viewer at a time):
  $browser

For programs, the camera's WebSocket:
  $websocket
MSG
if [ ${#qr[@]} -gt 0 ]; then
  printf '\nThe browser link, for a phone on this network:\n'
  tail -n +3 <<<"$issued"
elif [ "$on_loopback" = 1 ]; then
  printf '\nFor a phone: RELAY_HOST=<this machine'"'"'s address on your network> tools/dev/demo.sh\n'
  command -v qrencode >/dev/null || printf '(and apt install qrencode for a QR code of the link)\n'
fi
cat <<MSG

Try it:
  $bench run '$websocket' --mode demo   # frames, frame rate, latency
  curl -i 'http://$relay_authority/demo/'            # the camera's page (no key needed)
  $bench run 'ws://$relay_authority/demo/?k=wrong' --mode demo   # refused, with the reason
  varnishlog -n $demo/varnish -g request -q 'VCL_Log ~ camrelay'
  varnishstat -n $demo/varnish -1 -f 'CAMRELAY.*'
  ${cli[*]} key issue --camera demo --ttl 1h --url 'http://$relay_authority/demo/'   # another viewer's link
MSG

if [ "$check" = 1 ]; then
  # The camera's page through the relay, as a browser opens the link (the
  # URL on curl's standard input: it holds the key), sandboxed by the relay.
  printf 'url = "%s"\n' "$browser" |
    curl -sS -K - -D "$demo/page.headers" -o "$demo/page.html" -w '%{http_code}\n' >"$demo/page.status"
  if [ "$(cat "$demo/page.status")" = 200 ] && grep -q 'camrelay demo camera' "$demo/page.html" &&
    grep -qi '^content-security-policy: .*sandbox' "$demo/page.headers"; then
    echo "page ok: the camera's page through the relay, sandboxed"
  else
    echo "page FAILED: HTTP $(cat "$demo/page.status")" >&2
    exit 1
  fi
  # One viewer through the relay for 3 s: frames, frame rate, latency.
  "$bench" run "$websocket" --mode demo --duration 3
  exit $?
fi
echo "Ctrl-C stops the relay and the camera."
wait
