#!/usr/bin/env bash
# The whole path: a camera added with `camrelay camera add --ssh-key`, its
# tunnel run by camrelay-tunnel from exactly the settings that command
# printed, varnishd with vcl/default.vcl and the built VMOD, and a viewer
# with a key from `camrelay key issue` reaching the camera's WebSocket
# server through varnishd, sshd and the tunnel. `camera list` tells the
# truth about the tunnel before, while and after it is up.
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"

command -v varnishd >/dev/null || skip "varnishd is not installed"
command -v node >/dev/null || skip "node is not installed (WebSocket camera and viewer)"
E2E=$SOURCE_DIR/tests/e2e
[ -d "$E2E/node_modules/ws" ] || skip "tests/e2e/node_modules missing (npm ci in tests/e2e)"
why=$(relay_why_not_built)
[ -z "$why" ] || die "$why"

need_sshd
relay_setup
relay_start_sshd
cam secret new >/dev/null || die "secret new"
relay_add_camera cam1
P=$CAM_PORT
[ "$(camera_status cam1)" = down ] && ok "camera list before the tunnel: down" || fail "before: $(camera_status cam1)"

# On the camera: the three printed pieces, installed as printed.
CAMERA_PORT=$(free_port)
node "$E2E/camera.js" "$CAMERA_PORT" 4 >"$TMP/camera.log" 2>&1 &
started $!
wait_for 10 port_in_use "$CAMERA_PORT" || die "camera server did not start"
relay_start_installed_tunnel cam1 "127.0.0.1:$CAMERA_PORT"
wait_for 10 port_in_use "$P" || die "tunnel not up"
[ "$(camera_status cam1)" = up ] && ok "camera list with the tunnel: up" || fail "with tunnel: $(camera_status cam1)"

# The relay, as camrelay setup runs it.
RELAY_PORT=$(free_port)
mapfile -t params < <(camrelay_varnishd_params 1000)
relay_start_varnish "$RELAY_PORT" "${params[@]}" -t 0

key=$(cam key issue --camera cam1 --ttl 1h) || die "key issue"
viewer() {
	node "$E2E/viewer.js" "$@" >"$TMP/viewer.out" 2>&1
	_rc=$?
	cat "$TMP/viewer.out" >>"$TMP/viewers.log"
	return $_rc
}
if viewer "ws://127.0.0.1:$RELAY_PORT/cam1/live?k=$key" --push 4 --count 200 && grep -q '"ok":true' "$TMP/viewer.out"; then
	ok "viewer with a key: 4 pushed + 200 echoed 16 KiB messages through varnishd, sshd and the tunnel"
else
	fail "viewer: $(cat "$TMP/viewer.out")"
fi
grep -q '"cameraUrl":"/live"' "$TMP/viewer.out" && ok "the camera saw /live (prefix and k= removed)" ||
	fail "camera URL: $(cat "$TMP/viewer.out")"
if viewer "ws://127.0.0.1:$RELAY_PORT/cam1/live" --expect-status 403; then ok "viewer without a key: 403"; else fail "no key: $(cat "$TMP/viewer.out")"; fi

# Tunnel down: camera list says so, and viewers are not connected to anything.
kill -TERM "$TUNNEL_PID"
wait "$TUNNEL_PID" 2>/dev/null
wait_for 10 port_free "$P" || fail "tunnel port still taken after stop"
[ "$(camera_status cam1)" = down ] && ok "camera list after the tunnel stopped: down" || fail "after: $(camera_status cam1)"
if viewer "ws://127.0.0.1:$RELAY_PORT/cam1/live?k=$key" --count 1 || grep -q '"ok":true' "$TMP/viewer.out"; then
	fail "a viewer connected with the tunnel down: $(cat "$TMP/viewer.out")"
else
	ok "with the tunnel down the viewer is refused: $(cat "$TMP/viewer.out")"
fi

kit_finish
