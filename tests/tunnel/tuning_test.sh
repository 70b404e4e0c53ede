#!/usr/bin/env bash
# The tuning of the tunnel's TCP socket for live video, with a real sshd, the
# real ssh and camrelay-connect on loopback: the socket that ssh holds has
# the congestion control, TCP_NOTSENT_LOWAT and TCP_USER_TIMEOUT asked for,
# read back from the kernel (getsockopt on the socket borrowed from ssh, and
# ss); with CONGESTION=system and SEND_QUEUE=system ssh connects as before.
# A congestion control an unprivileged camera may not pick is one log line,
# and the tunnel still carries a viewer.
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"

need_ws_camera
command -v setpriv >/dev/null || skip "setpriv (util-linux) is not installed"
need_sshd
SYSCTL=/proc/sys/net/ipv4
read -r SYSTEM_CC <"$SYSCTL/tcp_congestion_control" || skip "no $SYSCTL/tcp_congestion_control"
read -r -a AVAILABLE <"$SYSCTL/tcp_available_congestion_control"
read -r -a ALLOWED <"$SYSCTL/tcp_allowed_congestion_control"
# one the kernel has other than its default: the tunnel's must be the asked one
OTHER_CC=
for c in "${AVAILABLE[@]}"; do
	[ "$c" = "$SYSTEM_CC" ] || { OTHER_CC=$c && break; }
done
[ -n "$OTHER_CC" ] || skip "the kernel has no congestion control but $SYSTEM_CC"

relay_setup
relay_start_sshd
relay_add_camera cam1
P=$CAM_PORT

start_ws_camera

# run_tunnel LOG ARG...: camrelay-tunnel for cam1 (TUNNEL_PID), transport ssh
run_tunnel() {
	local log=$TMP/tunnel-$1.log
	shift
	"$@" "$CAMRELAY_TUNNEL" --relay "$RELAY_USER@127.0.0.1:$SSHD_PORT" --identity "$KEY" \
		--known-hosts "$RELAY_KNOWN_HOSTS" --listen "$P" --target "127.0.0.1:$CAMERA_PORT" --transport ssh \
		$TUNING 2>>"$log" &
	TUNNEL_PID=$!
	started "$TUNNEL_PID"
}
end_tunnel() {
	stop "$TUNNEL_PID"
	wait_for 10 port_free "$P" || die "the tunnel's port stayed taken"
}
# ssh's socket to the relay, as the kernel has it: "cc=... notsent_lowat=...
# user_timeout_ms=..."
ssh_socket() {
	local sp
	sp=$(relay_tunnel_ssh_pid "$TUNNEL_PID") || return 1
	"$PROBE" tuning "$sp" | awk -v peer="127.0.0.1:$SSHD_PORT" '$2 == peer { $1 = ""; $2 = ""; print substr($0, 3) }'
}
# ss's line for ssh's socket to the relay (its TCP info: the congestion control)
ss_info() {
	local sp
	sp=$(relay_tunnel_ssh_pid "$TUNNEL_PID") || return 1
	ss -Htipn state established "dport = :$SSHD_PORT" | grep -A1 "pid=$sp," | tr '\n' ' '
}

KEY=$TMP/cam1.key
# --- tuned: the congestion control (not the system's), the send queue, the
# user timeout, on the socket ssh holds (camrelay-connect set them and
# passed it)
TUNING="--congestion $OTHER_CC --send-queue 65536 --dead-after 12"
run_tunnel tuned
wait_for 15 tunnel_up && ok "tuned: tunnel up, a viewer gets through" ||
	die "tuned: no tunnel: $(cat "$TMP/tunnel-tuned.log")"
got=$(ssh_socket)
[ "$got" = "cc=$OTHER_CC notsent_lowat=65536 user_timeout_ms=12000" ] &&
	ok "tuned: ssh's socket has $got" || fail "tuned: ssh's socket: '$got'"
[[ " $(ss_info) " == *" $OTHER_CC "* ]] && ok "tuned: ss shows $OTHER_CC" || fail "ss: $(ss_info)"
! grep -q congestion "$TMP/tunnel-tuned.log" && ok "tuned: nothing logged about it" ||
	fail "tuned log: $(cat "$TMP/tunnel-tuned.log")"
end_tunnel

# --- untuned (system, system): ssh connects itself, as before the tuning
TUNING="--congestion system --send-queue system"
run_tunnel untuned
wait_for 15 tunnel_up && ok "untuned: tunnel up" || die "untuned: no tunnel: $(cat "$TMP/tunnel-untuned.log")"
got=$(ssh_socket)
[[ $got == "cc=$SYSTEM_CC "* && $got != *" notsent_lowat=65536 "* && $got == *" user_timeout_ms=0" ]] &&
	ok "untuned: ssh's socket has the system's: $got" || fail "untuned: ssh's socket: '$got'"
sp=$(relay_tunnel_ssh_pid "$TUNNEL_PID")
! grep -q "ProxyCommand" "/proc/$sp/cmdline" &&
	ok "untuned: no ProxyCommand" || fail "untuned: $(tr '\0' ' ' <"/proc/$sp/cmdline")"
end_tunnel

# --- an unprivileged camera, a congestion control not allowed to it: one
# line, and the tunnel carries a viewer with the system's
REFUSED=
for c in "${AVAILABLE[@]}"; do
	[[ " ${ALLOWED[*]} " == *" $c "* ]] || { REFUSED=$c && break; }
done
EXPECT="is not allowed to unprivileged processes"
if [ -z "$REFUSED" ]; then
	# every loaded one is allowed: a name the kernel does not have
	REFUSED=nosuchcc
	EXPECT="is not loaded"
fi
NB=$TMP/unprivileged
install -d -m 0700 -o nobody "$NB"
chmod 0711 "$TMP"
install -m 0400 -o nobody "$TMP/cam1.key" "$NB/cam1.key"
install -m 0444 "$RELAY_KNOWN_HOSTS" "$NB/known_hosts"
KEY=$NB/cam1.key
RELAY_KNOWN_HOSTS=$NB/known_hosts
TUNING="--congestion $REFUSED --send-queue 65536"
run_tunnel refused env HOME="$NB" TMPDIR="$NB" setpriv --reuid=nobody --regid=nogroup --clear-groups
wait_for 15 tunnel_up && ok "$REFUSED refused: the tunnel carries a viewer" ||
	die "refused: no tunnel: $(cat "$TMP/tunnel-refused.log")"
[ "$(grep -c congestion "$TMP/tunnel-refused.log")" = 1 ] &&
	grep -q "^camrelay-tunnel: congestion control $REFUSED $EXPECT.*: the tunnel uses $SYSTEM_CC$" "$TMP/tunnel-refused.log" &&
	ok "$REFUSED refused: one line: $(grep congestion "$TMP/tunnel-refused.log")" ||
	fail "refused: $(cat "$TMP/tunnel-refused.log")"
got=$(ssh_socket)
[ "$got" = "cc=$SYSTEM_CC notsent_lowat=65536 user_timeout_ms=15000" ] &&
	ok "$REFUSED refused: the rest of the tuning is there: $got" || fail "refused: ssh's socket: '$got'"
end_tunnel

# camrelay-connect itself, unprivileged, asked for it anyway (the kernel
# says EPERM or ENOENT): one line, and the connection is made
out=$(timeout 20 setpriv --reuid=nobody --regid=nogroup --clear-groups "$CAMRELAY_CONNECT" --congestion "$REFUSED" \
	--send-queue 4096 tcp 127.0.0.1 "$SSHD_PORT" </dev/null 2>"$TMP/connect.err")
[[ $out == SSH-2.0-* ]] && ok "camrelay-connect with $REFUSED refused: connected (sshd greeted)" ||
	fail "camrelay-connect: '$out' $(cat "$TMP/connect.err")"
[ "$(wc -l <"$TMP/connect.err")" = 1 ] &&
	grep -q "^camrelay-connect: congestion control $REFUSED not set (.*); the tunnel uses $SYSTEM_CC$" "$TMP/connect.err" &&
	ok "camrelay-connect: one line: $(cat "$TMP/connect.err")" || fail "camrelay-connect said: $(cat "$TMP/connect.err")"

# --- a path that comes back: camrelay-connect dials again every second, so
# it connects soon after the path opens, not at the kernel's next SYN
# retransmission (1, 3, 7, 15 s after the first). In a namespace of its own,
# SYNs to the port are dropped for 7.5 s: connected before 12 s, where the
# kernel's retransmissions alone would take 15 s.
if command -v nft >/dev/null; then
	NS=crtune$$
	ip netns add "$NS" || die "ip netns add"
	del_ns() { ip netns del "$NS" 2>/dev/null; }
	kit_on_exit del_ns
	ip -n "$NS" link set lo up
	LP=$(free_port)
	ip netns exec "$NS" nft -f - <<NFT || die "nft"
table inet crtune {
	chain input {
		type filter hook input priority 0;
		tcp dport $LP tcp flags & (syn | ack) == syn drop
	}
}
NFT
	ip netns exec "$NS" "$PROBE" listen "$LP" 30 &
	started $!
	start=$SECONDS
	ip netns exec "$NS" "$CAMRELAY_CONNECT" --timeout 20 tcp 127.0.0.1 "$LP" </dev/null >/dev/null 2>&1 &
	started $!
	connected() { [ -n "$(ip netns exec "$NS" ss -Htn state connected exclude syn-sent "( dport = :$LP )")" ]; }
	sleep 7.5
	connected && fail "connected while SYNs were dropped"
	ip netns exec "$NS" nft delete table inet crtune
	if wait_for 12 connected; then
		took=$((SECONDS - start))
		[ "$took" -lt 12 ] && ok "the path opened after 7.5 s: connected after ${took} s (dialed again)" ||
			fail "connected only after ${took} s: no dial again before the kernel's SYN retransmission at 15 s"
	else
		fail "not connected after the path opened"
	fi
else
	say "nft is not installed: the dial again not checked"
fi

kit_finish
