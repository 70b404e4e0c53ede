#!/usr/bin/env bash
# camrelay-tunnel's transports with a real sshd and the real camrelay-connect,
# on loopback (sshd on a second port stands in for the relay's https port):
# ssh-443 keeps the relay's host key pinned under RELAY's name, and only
# there; auto takes what answers and moves to the SSH port once it opens;
# through an HTTP proxy (tinyproxy with Basic auth) ssh gets the proxy's
# socket, the password stands in no command line and no log line, and a
# wrong password is one clear line per try.
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"

need_sshd
HTTPS=$(free_port)
relay_setup "Port $HTTPS"
relay_start_sshd
wait_for_port "$HTTPS" 10 "$SSHD_PID"
relay_add_camera cam1
P=$CAM_PORT
HOSTKEY=$(cut -d' ' -f1,2 "$TMP/hostkey.pub")

# run_tunnel LOG ARG...: camrelay-tunnel for cam1 (TUNNEL_PID)
run_tunnel() {
	local log=$TMP/tunnel-$1.log
	shift
	"$CAMRELAY_TUNNEL" --identity "$TMP/cam1.key" --listen "$P" --target 127.0.0.1:9 "$@" 2>>"$log" &
	TUNNEL_PID=$!
	started "$TUNNEL_PID"
}
# the remote port of the tunnel's ssh connection (fd passed or direct)
ssh_peer_port() {
	local sp
	sp=$(relay_tunnel_ssh_pid "$TUNNEL_PID") || return 1
	ss -Htnp state established | grep "pid=$sp," | awk '{ print $4 }' | sed 's/.*://' | head -n 1
}
end_tunnel() {
	stop "$TUNNEL_PID"
	wait_for 10 port_free "$P" || die "the tunnel's port stayed taken"
}

# --- ssh-443: the https port, the host key looked up as RELAY's
run_tunnel ssh443 --relay "$RELAY_USER@127.0.0.1:$SSHD_PORT" --known-hosts "$RELAY_KNOWN_HOSTS" \
	--transport ssh-443 --https-port "$HTTPS"
wait_for 15 port_in_use "$P" && ok "ssh-443: tunnel up" || die "ssh-443: no tunnel: $(cat "$TMP/tunnel-ssh443.log")"
[ "$(ssh_peer_port)" = "$HTTPS" ] && ok "ssh-443: ssh connected to the https port $HTTPS" ||
	fail "ssh-443: ssh's peer port '$(ssh_peer_port)'"
end_tunnel
# the right key under the https port's name, a wrong one under RELAY's: refused
ssh-keygen -q -t ed25519 -N '' -f "$TMP/other" || die "ssh-keygen"
{
	printf '[127.0.0.1]:%s %s\n' "$HTTPS" "$HOSTKEY"
	printf '[127.0.0.1]:%s %s\n' "$SSHD_PORT" "$(cut -d' ' -f1,2 "$TMP/other.pub")"
} >"$TMP/wrong.known_hosts"
run_tunnel pinned --relay "$RELAY_USER@127.0.0.1:$SSHD_PORT" --known-hosts "$TMP/wrong.known_hosts" \
	--transport ssh-443 --https-port "$HTTPS"
refused_key() { grep -q "Host key verification failed" "$TMP/tunnel-pinned.log"; }
wait_for 15 refused_key && ok "ssh-443: another key under RELAY's name is refused" ||
	fail "ssh-443 with a wrong pinned key: $(cat "$TMP/tunnel-pinned.log")"
port_in_use "$P" && fail "a tunnel came up with the wrong pinned key"
end_tunnel

# --- auto: the SSH port closed, the https port open; then the SSH port opens
CLOSED=$(free_port)
printf '[127.0.0.1]:%s %s\n' "$CLOSED" "$HOSTKEY" >"$TMP/closed.known_hosts"
run_tunnel auto --relay "$RELAY_USER@127.0.0.1:$CLOSED" --known-hosts "$TMP/closed.known_hosts" \
	--https-port "$HTTPS" --retry-better 1
wait_for 20 port_in_use "$P" && ok "auto: tunnel up with the SSH port closed" ||
	die "auto: no tunnel: $(cat "$TMP/tunnel-auto.log")"
grep -q "^camrelay-tunnel: using ssh-443 (SSH to port $HTTPS): connecting" "$TMP/tunnel-auto.log" &&
	ok "auto: one line names ssh-443" || fail "auto's log: $(cat "$TMP/tunnel-auto.log")"
[ "$(ssh_peer_port)" = "$HTTPS" ] || fail "auto: ssh's peer port '$(ssh_peer_port)'"
# a second sshd, same host key and accounts, opens the SSH port
grep -v '^Port \|^PidFile ' "$TMP/sshd_config" >"$TMP/sshd2_config"
printf 'Port %s\nPidFile %s/sshd2.pid\n' "$CLOSED" "$TMP" >>"$TMP/sshd2_config"
"$SSHD" -D -e -f "$TMP/sshd2_config" >>"$TMP/sshd2.log" 2>&1 &
started $!
wait_for_port "$CLOSED" 10 $!
moved() { grep -q "^camrelay-tunnel: ssh (SSH to port $CLOSED) reaches the relay now: leaving ssh-443" "$TMP/tunnel-auto.log"; }
wait_for 15 moved && ok "auto: the opened SSH port is noticed" || fail "no move: $(cat "$TMP/tunnel-auto.log")"
on_ssh_port() { port_in_use "$P" && [ "$(ssh_peer_port)" = "$CLOSED" ]; }
wait_for 20 on_ssh_port && ok "auto: the tunnel is back, on the SSH port" ||
	fail "after the move: peer port '$(ssh_peer_port)': $(cat "$TMP/tunnel-auto.log")"
grep -q "tunnel down" "$TMP/tunnel-auto.log" && say "note: the move raced the relay's release of the port"
# The relay ends a connection that held (sshd killed with its sessions, past
# ssh's ConnectTimeout): not the transport's fault, nothing is left out.
sleep 16
sessions=$(ss -Htnp state established "sport = :$CLOSED" | grep -o 'pid=[0-9]*' | cut -d= -f2 | sort -u)
[ -n "$sessions" ] || fail "no sshd session on port $CLOSED"
kill $sessions 2>/dev/null
back_on_ssh() { [ "$(grep -c "using ssh (SSH to port $CLOSED)" "$TMP/tunnel-auto.log")" -ge 2 ] && on_ssh_port; }
if wait_for 20 back_on_ssh; then
	! grep -q "left out" "$TMP/tunnel-auto.log" &&
		ok "auto: a connection the relay ended after it held is back on ssh, nothing left out" ||
		fail "a held connection's end left its transport out: $(cat "$TMP/tunnel-auto.log")"
else
	fail "after the relay ended the held connection: $(cat "$TMP/tunnel-auto.log")"
fi
end_tunnel

# --- through an HTTP proxy with Basic auth: ssh gets the proxy's socket
command -v tinyproxy >/dev/null || { say "tinyproxy not installed: proxy part skipped"; kit_finish; }
PASS=Pr0xy-s3cret
PPORT=$(free_port)
cat >"$TMP/tinyproxy.conf" <<EOF
User nobody
Group nogroup
Port $PPORT
Listen 127.0.0.1
Timeout 600
MaxClients 20
Allow 127.0.0.1
ConnectPort $SSHD_PORT
BasicAuth camuser $PASS
LogLevel Connect
EOF
tinyproxy -d -c "$TMP/tinyproxy.conf" >"$TMP/tinyproxy.log" 2>&1 &
started $!
wait_for_port "$PPORT" 10 $!
printf 'RELAY=%s@127.0.0.1:%s\nKNOWN_HOSTS=%s\nTRANSPORT=ssh\nPROXY=http://camuser:%s@127.0.0.1:%s\n' \
	"$RELAY_USER" "$SSHD_PORT" "$RELAY_KNOWN_HOSTS" "$PASS" "$PPORT" >"$TMP/proxy.conf"
# systemd sets SHELL to the account's login shell: ProxyCommand still runs
SHELL=/usr/sbin/nologin run_tunnel proxy --config "$TMP/proxy.conf"
wait_for 15 port_in_use "$P" && ok "ssh+proxy: tunnel up" || die "ssh+proxy: no tunnel: $(cat "$TMP/tunnel-proxy.log")"
[ "$(ssh_peer_port)" = "$PPORT" ] && ok "ssh+proxy: ssh holds the proxy's connection itself (fd passed)" ||
	fail "ssh+proxy: ssh's peer port '$(ssh_peer_port)'"
grep -q "CONNECT.*127.0.0.1:$SSHD_PORT" "$TMP/tinyproxy.log" && ok "the proxy carried it" ||
	fail "tinyproxy log: $(cat "$TMP/tinyproxy.log")"
in_cmdline=
for f in /proc/[0-9]*/cmdline; do
	tr '\0' ' ' <"$f" 2>/dev/null | grep -q "$PASS" && in_cmdline="$in_cmdline $f"
done
[ -z "$in_cmdline" ] && ok "the password stands in no command line" || fail "password in$in_cmdline"
end_tunnel
sed "s/$PASS/wrong-$PASS/" "$TMP/proxy.conf" >"$TMP/wrong-proxy.conf"
run_tunnel wrongpass --config "$TMP/wrong-proxy.conf"
# (tinyproxy answers a CONNECT with wrong credentials 401, not 407)
told() { [ "$(grep -c "proxy refused CONNECT: 40[17] .*; trying again in" "$TMP/tunnel-wrongpass.log")" -ge 2 ]; }
wait_for 15 told && ok "wrong password: $(grep -m 1 'proxy refused' "$TMP/tunnel-wrongpass.log")" ||
	fail "wrong password: $(cat "$TMP/tunnel-wrongpass.log")"
[ "$(grep -vc '^camrelay-tunnel: \(connecting\|no transport\|stopped\)' "$TMP/tunnel-wrongpass.log")" = 0 ] &&
	ok "wrong password: one line per try, no ssh started" || fail "wrong password: $(cat "$TMP/tunnel-wrongpass.log")"
end_tunnel
! grep -q "$PASS" "$TMP"/tunnel-*.log && ok "the password is in no log line" || fail "password logged"

kit_finish
