# shellcheck shell=bash
# Shared by the tunnel tests (sourced by bash): the kit (tests/lib/kit.sh)
# and the relay fixture (tests/lib/relay_fixture.sh) on a work directory
# ($TMP), the suite's probe, and a few checks of its own. Everything runs on
# loopback and is undone on exit.
#
# Needs (from ctest): SOURCE_DIR, BUILD_DIR. The tests that run sshd call
# need_sshd first: they need root (useradd, sshd) and are skipped otherwise.
# camrelay-tunnel finds the built camrelay-connect (CAMRELAY_CONNECT), and
# no proxy from the environment.
#
#   need_sshd                skip (77) unless root with openssh installed
#   hold_port PORT SECONDS   something else listening on 127.0.0.1:PORT
#   camera_status ID         up or down, as `camrelay camera list` says
#   CLIENT_ALIVE=N           ClientAliveInterval of the test's sshd (1 s)
#   need_ws_camera           skip (77) without node and tests/e2e's ws module
#   start_ws_camera          the e2e suite's WebSocket camera (CAMERA_PORT)
#   camera_tunnel_up         all of it for cam1, its tunnel up (P, TUNNEL_PID)
#   viewer_ok, tunnel_up     a WebSocket viewer straight at the tunnel port $P
#                            gets its messages (tunnel_up: and $P is taken)

set -u
# shellcheck source=../lib/kit.sh
source "$SOURCE_DIR/tests/lib/kit.sh"
# shellcheck source=../lib/relay_fixture.sh
source "$SOURCE_DIR/tests/lib/relay_fixture.sh"

PROBE=$BUILD_DIR/tests/tunnel/tunnel_probe
# a dead camera is dropped within seconds
RELAY_CLIENT_ALIVE=${CLIENT_ALIVE:-1}
# camrelay-tunnel's helper, as installed next to it: the tunnels run with
# TRANSPORT=auto (the default), probing before each connection
export CAMRELAY_CONNECT=$BUILD_DIR/tools/tunnel/camrelay-connect
unset https_proxy HTTPS_PROXY CAMRELAY_PROXY

for f in "$CAMRELAY_SESSION" "$CAMRELAY_SSH_SETUP" "$PROBE" "$CAMRELAY_CLI" "$CAMRELAY_CONNECT"; do
	[ -x "$f" ] || die "$f is not built"
done

relay_workdir camrelay-tests
export CAMRELAY_CONFIG="$TMP/etc"
export CAMRELAY_SESSION_PROGRAM="$CAMRELAY_SESSION"

need_sshd() {
	local why
	why=$(relay_why_not)
	[ -z "$why" ] || skip "$why"
}

hold_port() {
	"$PROBE" listen "$1" "$2" &
	started $!
	wait_for 5 port_in_use "$1" || die "could not listen on $1"
}

camera_status() {
	cam camera list --json | grep "\"id\": \"$1\"" | sed 's/.*"status": "\([a-z]*\)".*/\1/'
}

E2E=$SOURCE_DIR/tests/e2e
need_ws_camera() {
	command -v node >/dev/null || skip "node is not installed (WebSocket camera and viewer)"
	[ -d "$E2E/node_modules/ws" ] || skip "tests/e2e/node_modules missing (npm ci in tests/e2e)"
}

start_ws_camera() {
	CAMERA_PORT=$(free_port)
	node "$E2E/camera.js" "$CAMERA_PORT" 2 >"$TMP/camera.log" 2>&1 &
	started $!
	wait_for 10 port_in_use "$CAMERA_PORT" || die "camera server did not start"
}

# (varnishd is e2e_test.sh's business)
viewer_ok() {
	node "$E2E/viewer.js" "ws://127.0.0.1:$P/" --push 2 --count 20 >"$TMP/viewer.out" 2>&1 &&
		grep -q '"ok":true' "$TMP/viewer.out"
}
tunnel_up() { port_in_use "$P" && viewer_ok; }

# camera_tunnel_up: sshd, the camera cam1 (its port in P) with its WebSocket
# camera, and cam1's camrelay-tunnel up (TUNNEL_PID); skips (77) without
# sshd or node
camera_tunnel_up() {
	need_ws_camera
	need_sshd
	relay_setup
	relay_start_sshd
	relay_add_camera cam1
	P=$CAM_PORT
	start_ws_camera
	relay_start_tunnel cam1 "$P" "127.0.0.1:$CAMERA_PORT"
	wait_for 15 tunnel_up && ok "tunnel up, a viewer gets through" || die "tunnel never came up"
}
