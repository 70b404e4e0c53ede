#!/usr/bin/env bash
# A hostile camera against the relay's sshd:
# - connected with plain `ssh -N -R` (no session program), it is still cut
#   off by `camrelay camera remove`: the port is freed, so a camera added
#   later on it (no --ssh-key) never has its viewers piped to the removed one;
#   the listening sshd and other cameras' tunnels are left alone;
# - one key holds one tunnel connection at a time: further connections with
#   a session replace the older one (camrelay-session's lock), and the
#   camera's camrelay-tunnel gets its tunnel back.
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"

need_sshd
relay_setup
relay_start_sshd
TARGET=127.0.0.1:$(free_port)
# sessions ID: how many camrelay-session processes camera ID has
sessions() { pgrep -u "$RELAY_USER" -f "camrelay-session.* $1 " | wc -l; }
relay_add_camera cam1
P1=$CAM_PORT
relay_add_camera cam2
P2=$CAM_PORT

# --- (a) plain ssh -N -R, no session program
relay_start_tunnel cam2 "$P2" "$TARGET"
cam2_tunnel=$TUNNEL_PID
wait_for 15 port_in_use "$P2" || die "cam2's tunnel never came up"
relay_ssh_bg cam1 -N -o ExitOnForwardFailure=yes -R "127.0.0.1:$P1:$TARGET" 2>"$TMP/cam1-plain.log" &
plain=$!
started "$plain"
wait_for 10 port_in_use "$P1" || die "ssh -N -R did not listen: $(cat "$TMP/cam1-plain.log")"
[ "$(sessions cam1)" = 0 ] && ok "cam1 holds its port with no session program" || fail "cam1 runs a session"

cam camera remove cam1 >"$TMP/remove.out" 2>&1 || die "camera remove: $(cat "$TMP/remove.out")"
grep -q "ended 1 SSH connection holding 127.0.0.1:$P1" "$TMP/remove.out" && ok "remove ended the plain ssh -N -R connection" ||
	fail "remove: $(cat "$TMP/remove.out")"
wait_for 10 port_free "$P1" && ok "the removed camera's port is free" || fail "127.0.0.1:$P1 still held after remove"
wait_for 10 eval '! kill -0 "$plain" 2>/dev/null' && ok "the camera's ssh was disconnected" || fail "the camera's ssh is still connected"
kill -0 "$SSHD_PID" && ok "the listening sshd is left alone" || fail "the listening sshd is gone"
port_in_use "$P2" && kill -0 "$cam2_tunnel" && ok "cam2's tunnel is left alone" || fail "cam2's tunnel went too"

# A camera added on that port now gets it (before, its viewers reached cam1).
out=$(cam camera add cam3 --port "$P1" 2>&1) && ok "a new camera can take the freed port" || fail "camera add cam3: $out"
# and while something holds a port, no camera is added on it
held=$(free_port)
hold_port "$held" 30
cp "$CAMRELAY_CONFIG/cameras.conf" "$TMP/cameras.before"
if out=$(cam camera add cam4 --port "$held" 2>&1); then
	fail "camera add on a held port: $out"
else
	case $out in *"port $held is already in use on this relay"*) ok "camera add refuses a held port" ;; *) fail "refusal: $out" ;; esac
fi
cmp -s "$CAMRELAY_CONFIG/cameras.conf" "$TMP/cameras.before" && ok "cameras.conf unchanged" || fail "cameras.conf changed"

# --- (c) one tunnel connection per camera
[ "$(sessions cam2)" = 1 ] || die "cam2 should have one session, has $(sessions cam2)"
extra=()
for i in 1 2 3; do
	relay_ssh_bg cam2 2>"$TMP/cam2-extra$i.log" &
	extra+=("$!")
	started "$!"
	sleep 0.5
done
one_left() { [ "$(sessions cam2)" -le 1 ]; }
extras_gone() {
	for p in "${extra[@]}"; do ! kill -0 "$p" 2>/dev/null || return 1; done
}
wait_for 20 extras_gone && ok "further connections of cam2's key do not stay" ||
	fail "extra connections still up: $(sessions cam2) sessions"
grep -q "connected again" "$TMP"/cam2-extra*.log "$TMP/tunnel-cam2.log" && ok "the replaced connection was told why" ||
	fail "no replacement message"
tunnel_back() { port_in_use "$P2" && [ "$(sessions cam2)" = 1 ]; }
wait_for 30 tunnel_back && ok "cam2's camrelay-tunnel is back, one session" || fail "cam2 not back: $(sessions cam2) sessions"
sleep 2
one_left && port_in_use "$P2" && ok "still one tunnel connection 2 s later" || fail "$(sessions cam2) sessions"

kit_finish
