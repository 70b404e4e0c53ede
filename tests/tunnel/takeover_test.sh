#!/usr/bin/env bash
# A camera whose old connection died silently (a network drop: no FIN)
# takes its port back at once, although the relay has not noticed the dead
# connection: here sshd's ClientAlive is 10 minutes, as good as never (on a
# real relay sshd does not probe a client while viewers send to it). The
# new tunnel's -R is refused; camrelay-tunnel then connects once without
# it, and that session (camrelay-session) ends the camera's earlier
# connection on the relay, freeing the port; the tunnel connects again and
# holds it. Without that, the new tunnel is refused until the relay drops
# the dead connection.
CLIENT_ALIVE=600
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"

camera_tunnel_up
first=$TUNNEL_PID
old=$(relay_tunnel_ssh_pid "$first") || die "no ssh under camrelay-tunnel"
kill -STOP "$first" "$old" # frozen: the relay gets no FIN and no answer

relay_start_tunnel cam1 "$P" "127.0.0.1:$CAMERA_PORT"
second=$TUNNEL_PID
log=$TMP/tunnel-cam1.log
new_holds() {
	_s=$(relay_tunnel_ssh_pid "$second") && [ "$_s" != "$old" ] && tunnel_up
}
if wait_for 20 new_holds; then ok "the new tunnel holds the port, the dead connection never dropped by sshd"; else
	fail "the new tunnel never got the port: $(tail -5 "$log")"
fi
grep -q "port forwarding failed" "$log" && ok "its first -R was refused (the dead connection held the port)" ||
	fail "the first -R was not refused: the test did not make a dead connection hold the port"
grep -q "asking the relay to end that connection" "$log" && ok "camrelay-tunnel asked the relay to end the earlier connection" ||
	fail "no take-over in the log"
grep -q "ended its earlier connection, which held 127.0.0.1:$P" "$log" &&
	ok "the relay's camrelay-session said it ended the earlier connection" || fail "camrelay-session's line missing"
takeovers=$(grep -c "asking the relay to end that connection" "$log")
[ "$takeovers" = 1 ] && ok "one take-over" || fail "$takeovers take-overs"
sleep 3
tunnel_up && ok "still up 3 s later" || fail "the new tunnel fell again"
# the dead connection's sshd is gone on the relay: one session program left
n=$(pgrep -c -u "$RELAY_USER" -f "camrelay-session.* cam1 $P" || true)
[ "$n" = 1 ] && ok "one camrelay-session of cam1 on the relay" ||
	fail "$n sessions of cam1 on the relay: $(pgrep -a -u "$RELAY_USER")"
kill -KILL "$old" 2>/dev/null
kill -CONT "$first" 2>/dev/null
kill -TERM "$first" 2>/dev/null

kit_finish
