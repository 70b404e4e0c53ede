#!/usr/bin/env bash
# Tunnels come back: after the camera's ssh is killed, after sshd restarts,
# and after the camera's old connection dies silently (no FIN) while a new
# tunnel process starts: the relay frees the port (ClientAlive, 1 s x 3 in
# this test) and the new tunnel gets it, without looping on "port in use".
# Every bound is behavioural: poll with a deadline.
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"

camera_tunnel_up

# --- kill the camera's ssh: camrelay-tunnel starts a new one
old=$(relay_tunnel_ssh_pid "$TUNNEL_PID") || die "no ssh under camrelay-tunnel"
kill -KILL "$old"
gone() { ! kill -0 "$old" 2>/dev/null && [ "$(relay_tunnel_ssh_pid "$TUNNEL_PID")" != "$old" ]; }
wait_for 5 gone || die "killed ssh still there"
if wait_for 10 tunnel_up; then ok "ssh killed: tunnel back within 10 s, new viewers connect"; else fail "not back 10 s after kill"; fi

# --- restart sshd (connections included)
relay_stop_sshd
wait_for 10 port_free "$P" && ok "sshd stopped: tunnel port released" || fail "port still taken with sshd down"
relay_start_sshd
if wait_for 15 tunnel_up; then ok "sshd restarted: tunnel back"; else fail "not back after sshd restart"; fi

# --- the camera's connection dies silently and the camera starts a new tunnel
first=$TUNNEL_PID
old=$(relay_tunnel_ssh_pid "$first") || die "no ssh under camrelay-tunnel"
kill -STOP "$first" "$old"   # frozen: the relay gets no FIN, the process is not there to answer
relay_start_tunnel cam1 "$P" "127.0.0.1:$CAMERA_PORT"
second=$TUNNEL_PID
taken() { grep -q "port forwarding failed" "$TMP/tunnel-cam1.log"; }
wait_for 10 taken && ok "new tunnel refused while the dead one holds the port" ||
	say "note: the relay freed the port before the new tunnel's first try"
new_holds() {
	_s=$(relay_tunnel_ssh_pid "$second") && [ "$_s" != "$old" ] && tunnel_up
}
if wait_for 30 new_holds; then ok "dead connection dropped by the relay, new tunnel holds the port"; else fail "new tunnel never got the port"; fi
tries=$(grep -c "port forwarding failed" "$TMP/tunnel-cam1.log")
[ "$tries" -le 5 ] && ok "$tries refused attempt(s) before that, no endless loop" || fail "$tries refused attempts"
# and it stays up
sleep 3
tunnel_up && ok "still up 3 s later" || fail "the new tunnel fell again"
kill -KILL "$old" 2>/dev/null
kill -CONT "$first" 2>/dev/null
kill -TERM "$first" 2>/dev/null

# --- camrelay-tunnel stops cleanly on SIGTERM, taking its ssh with it
sp=$(relay_tunnel_ssh_pid "$second")
kill -TERM "$second"
stopped() { ! kill -0 "$second" 2>/dev/null && ! kill -0 "$sp" 2>/dev/null; }
wait_for 10 stopped && ok "SIGTERM stops camrelay-tunnel and its ssh" || fail "camrelay-tunnel or ssh survived SIGTERM"
wait_for 10 port_free "$P" && ok "port released after stop" || fail "port still taken after stop"
# and nothing of it stays on the relay: every session program has ended
sessions() { pgrep -u "$RELAY_USER" -f camrelay-session >/dev/null; }
wait_for 10 eval '! sessions' && ok "no session program left on the relay" ||
	fail "session programs left: $(pgrep -a -u "$RELAY_USER" -f camrelay-session)"

kit_finish
