#!/usr/bin/env bash
# A working camrelay relay on loopback with an example camera, in one command:
# installs what is missing, builds, configures a demo camera, starts
# varnishd with vcl/default.vcl and the built module, and prints a viewer
# link with a valid key. varnishd gets the parameters camrelay setup gives it
# (tools/setup/relay-params.sh). Runs until Ctrl-C, then stops what it started.
#
#   tools/dev/demo.sh            relay on 127.0.0.1:8080, camera on 127.0.0.1:19001
#   tools/dev/demo.sh --check    the same, then one measured viewer, then exit
#
# Environment: RELAY_PORT, CAMERA_PORT, DEMO_DIR, SKIP_DEPS=1, BUILD_DIR,
# MAX_VIEWERS (1000, as camrelay setup).
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
# shellcheck source=../setup/relay-params.sh
. "$top/tools/setup/relay-params.sh"
build=${BUILD_DIR:-$top/build}
relay_port=${RELAY_PORT:-8080}
camera_port=${CAMERA_PORT:-19001}
demo=${DEMO_DIR:-/tmp/camrelay-demo}
check=0
[ "${1:-}" = "--check" ] && check=1

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
if ! "${cli[@]}" camera list | grep -q '^demo\b'; then
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

# The example camera: echoes every WebSocket message and serves a page, like
# a Picam360 server on its port 9001. (A real camera reaches the relay through
# `camrelay-tunnel`; see "Deploy a relay" in README.md.)
"$bench" serve --listen "127.0.0.1:$camera_port" --mode echo >"$demo/camera.log" 2>&1 &
pids+=($!)

mapfile -t relay_params < <(camrelay_varnishd_params "${MAX_VIEWERS:-1000}")
CAMRELAY_CONFIG="$demo/conf" varnishd -n "$demo/varnish" -a "127.0.0.1:$relay_port" \
  -f "$top/vcl/default.vcl" -p vcl_path="$top/vcl" \
  -p vmod_path="$build/vmod:$(pkg-config --variable=vmoddir varnishapi)" \
  "${relay_params[@]}" -P "$demo/varnishd.pid"

for _ in $(seq 50); do
  (exec 3<>"/dev/tcp/127.0.0.1/$camera_port") 2>/dev/null && break
  sleep 0.1
done
link=$("${cli[@]}" key issue --camera demo --ttl 1h --url "ws://127.0.0.1:$relay_port/demo/")

cat <<MSG

camrelay demo relay is up.
  relay      ws://127.0.0.1:$relay_port/   (varnishd, vcl/default.vcl, module from $build/vmod)
  camera     demo -> 127.0.0.1:$camera_port (camrelay-bench serve, echo)
  config     $demo/conf   (camrelay --config $demo/conf camera list)

Viewer link, valid for one hour:
  $link

Try it:
  $bench run '$link' --mode rtt --count 200
  curl -i 'http://127.0.0.1:$relay_port/demo/'            # the camera's page (no key needed)
  $bench run 'ws://127.0.0.1:$relay_port/demo/?k=wrong' --mode rtt   # refused, with the reason
  varnishlog -n $demo/varnish -g request -q 'VCL_Log ~ camrelay'
  varnishstat -n $demo/varnish -1 -f 'CAMRELAY.*'
MSG

if [ "$check" = 1 ]; then
  "$bench" run "$link" --mode rtt --count 200
  exit $?
fi
echo "Ctrl-C stops the relay and the camera."
wait
