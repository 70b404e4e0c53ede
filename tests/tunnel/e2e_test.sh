#!/bin/sh
# The whole path: a camera added with `camrelay camera add --ssh-key`, its
# tunnel run by camrelay-tunnel from exactly the settings that command
# printed, varnishd with vcl/default.vcl and the built VMOD, and a viewer
# with a key from `camrelay key issue` reaching the camera's WebSocket
# server through varnishd, sshd and the tunnel. `camera list` tells the
# truth about the tunnel before, while and after it is up.
. "$(dirname "$0")/lib.sh"

command -v varnishd >/dev/null || skip "varnishd is not installed"
command -v node >/dev/null || skip "node is not installed (WebSocket camera and viewer)"
E2E=$SOURCE_DIR/tests/e2e
[ -d "$E2E/node_modules/ws" ] || skip "tests/e2e/node_modules missing (npm ci in tests/e2e)"
VMOD=$BUILD_DIR/vmod/libvmod_camrelay.so
[ -f "$VMOD" ] || die "$VMOD is not built"

setup_relay
start_sshd
cam secret new >/dev/null || die "secret new"
add_camera cam1
P=$CAM_PORT
status_of() { cam camera list --json | grep "\"id\": \"$1\"" | sed 's/.*"status": "\([a-z]*\)".*/\1/'; }
[ "$(status_of cam1)" = down ] && ok "camera list before the tunnel: down" || fail "before: $(status_of cam1)"

# On the camera: the three printed pieces, installed as printed.
out=$T_ROOT/add-cam1.out
sed -n '/^RELAY=/,/^TARGET=/p' "$out" >"$T_ROOT/cam1.conf"
grep '^\[127\.0\.0\.1\]:' "$out" >"$T_ROOT/cam1.known_hosts"
CAMERA_PORT=$(free_port)
node "$E2E/camera.js" "$CAMERA_PORT" 4 >"$T_ROOT/camera.log" 2>&1 &
track $!
wait_until 10 port_in_use "$CAMERA_PORT" || die "camera server did not start"
"$TUNNEL" --config "$T_ROOT/cam1.conf" --identity "$T_ROOT/cam1.key" --known-hosts "$T_ROOT/cam1.known_hosts" \
	--target "127.0.0.1:$CAMERA_PORT" 2>>"$T_ROOT/tunnel-cam1.log" &
TUNNEL_PID=$!
track "$TUNNEL_PID"
wait_until 10 port_in_use "$P" || die "tunnel not up"
[ "$(status_of cam1)" = up ] && ok "camera list with the tunnel: up" || fail "with tunnel: $(status_of cam1)"

# The relay.
RELAY_PORT=$(free_port)
vmoddir=$(pkg-config --variable=vmoddir varnishapi 2>/dev/null || echo /usr/lib/varnish/vmods)
varnishd -n "$T_ROOT/varnish" -a "127.0.0.1:$RELAY_PORT" -f "$SOURCE_DIR/vcl/default.vcl" \
	-p vcl_path="$SOURCE_DIR/vcl" -p vmod_path="$BUILD_DIR/vmod:$vmoddir" -s malloc,16m \
	-P "$T_ROOT/varnishd.pid" -t 0 >"$T_ROOT/varnishd.log" 2>&1 || die "varnishd: $(cat "$T_ROOT/varnishd.log")"
track "$(cat "$T_ROOT/varnishd.pid")"
wait_until 10 port_in_use "$RELAY_PORT" || die "varnishd not listening"

key=$(cam key issue --camera cam1 --ttl 1h) || die "key issue"
viewer() {
	node "$E2E/viewer.js" "$@" >"$T_ROOT/viewer.out" 2>&1
	_rc=$?
	cat "$T_ROOT/viewer.out" >>"$T_ROOT/viewers.log"
	return $_rc
}
if viewer "ws://127.0.0.1:$RELAY_PORT/cam1/live?k=$key" --push 4 --count 200 && grep -q '"ok":true' "$T_ROOT/viewer.out"; then
	ok "viewer with a key: 4 pushed + 200 echoed 16 KiB messages through varnishd, sshd and the tunnel"
else
	fail "viewer: $(cat "$T_ROOT/viewer.out")"
fi
grep -q '"cameraUrl":"/live"' "$T_ROOT/viewer.out" && ok "the camera saw /live (prefix and k= removed)" ||
	fail "camera URL: $(cat "$T_ROOT/viewer.out")"
if viewer "ws://127.0.0.1:$RELAY_PORT/cam1/live" --expect-status 403; then ok "viewer without a key: 403"; else fail "no key: $(cat "$T_ROOT/viewer.out")"; fi

# Tunnel down: camera list says so, and viewers are not connected to anything.
kill -TERM "$TUNNEL_PID"
wait "$TUNNEL_PID" 2>/dev/null
wait_until 10 port_free "$P" || fail "tunnel port still taken after stop"
[ "$(status_of cam1)" = down ] && ok "camera list after the tunnel stopped: down" || fail "after: $(status_of cam1)"
if viewer "ws://127.0.0.1:$RELAY_PORT/cam1/live?k=$key" --count 1 || grep -q '"ok":true' "$T_ROOT/viewer.out"; then
	fail "a viewer connected with the tunnel down: $(cat "$T_ROOT/viewer.out")"
else
	ok "with the tunnel down the viewer is refused: $(cat "$T_ROOT/viewer.out")"
fi

exit "$T_FAILED"
