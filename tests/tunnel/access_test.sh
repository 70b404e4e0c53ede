#!/usr/bin/env bash
# A camera's key opens its own tunnel and nothing else. Real sshd with the
# drop-in, the camera added with `camrelay camera add --ssh-key`, the tunnel
# run by camrelay-tunnel from the settings that command printed.
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"

need_sshd
relay_setup
relay_start_sshd
relay_add_camera cam1
P1=$CAM_PORT
relay_add_camera cam2
P2=$CAM_PORT
[ "$P1" != "$P2" ] || die "two cameras got the same port"

# The printed settings, as they would be installed on the camera; only the
# file locations and the target differ on this machine.
relay_start_installed_tunnel cam1 127.0.0.1:9
grep -q "^LISTEN=$P1\$" "$TMP/cam1.conf" || die "no settings printed"

# --- the tunnel comes up and `camera list` agrees with reality
if wait_for 10 port_in_use "$P1"; then ok "cam1's tunnel listens on 127.0.0.1:$P1"; else die "tunnel not up"; fi
[ "$(camera_status cam1)" = up ] && ok "camera list: cam1 up" || fail "camera list: cam1 is '$(camera_status cam1)'"
[ "$(camera_status cam2)" = down ] && ok "camera list: cam2 down" || fail "camera list: cam2 is '$(camera_status cam2)'"
logged() { grep -q "$1" "$TMP/tunnel-cam1.log"; }
wait_for 5 logged "camera cam1 is online" && ok "relay status line logged" || fail "no status line"

# --- Nagle is off on both ends of the SSH connection (the session does it)
sp=$(relay_tunnel_ssh_pid "$TUNNEL_PID") || die "no ssh under camrelay-tunnel"
client=$("$PROBE" nodelay "$sp" | grep " 127.0.0.1:$SSHD_PORT ")
case $client in
	*nodelay=1) ok "camera ssh: TCP_NODELAY" ;;
	*) fail "camera ssh socket: '$client'" ;;
esac
cport=${client%% *}
relay_nodelay=
for p in $(children_of "$SSHD_PID"); do
	for q in "$p" $(children_of "$p"); do
		relay_nodelay="$relay_nodelay $("$PROBE" nodelay "$q" | grep "^127.0.0.1:$SSHD_PORT $cport " | sed 's/.* //')"
	done
done
case $relay_nodelay in
	*nodelay=0*) fail "relay sshd sockets:$relay_nodelay" ;;
	*nodelay=1*) ok "relay sshd: TCP_NODELAY (every process holding the connection:$relay_nodelay)" ;;
	*) fail "relay sshd socket not found" ;;
esac

# --- cam2's key may listen on 127.0.0.1:P2 and nowhere else
refused_listen() {
	_out=$(relay_ssh cam2 -N -o ExitOnForwardFailure=yes -R "$1:127.0.0.1:9" 2>&1)
	case $_out in
		*"forwarding failed"*) ok "cam2 cannot listen on $1" ;;
		*) fail "cam2 listening on $1: $_out" ;;
	esac
}
refused_listen "127.0.0.1:$P1"
refused_listen "127.0.0.1:$(free_port)"
refused_listen "0.0.0.0:$P2"
refused_listen "localhost:$P2"
refused_listen "$P2"
refused_listen "$TMP/cam2.sock"
[ -e "$TMP/cam2.sock" ] && fail "a Unix socket was created"
# control: its own address works
relay_ssh_bg cam2 -N -o ExitOnForwardFailure=yes -R "127.0.0.1:$P2:127.0.0.1:9" 2>"$TMP/cam2-own.log" &
own=$!
started "$own"
wait_for 10 port_in_use "$P2" && ok "cam2 listens on its own 127.0.0.1:$P2" || fail "cam2 could not listen on its port"
kill "$own"
wait "$own" 2>/dev/null
wait_for 10 port_free "$P2" || die "cam2's port not freed"

# --- no shell, no command, no file transfer, no terminal
me=$(id "$RELAY_USER")
out=$(relay_ssh cam2 -- id 2>&1)
case $out in
	*uid=* | "$me") fail "a command ran: $out" ;;
	*"only carries camera tunnels"*) ok "ssh ... id refused: $out" ;;
	*) fail "unexpected answer to ssh ... id: $out" ;;
esac
# (sshd discards a subsystem's standard error: the exit status tells)
if out=$(relay_ssh cam2 -s -- sftp 2>&1); then fail "sftp subsystem ran: $out"; else ok "sftp refused"; fi
# a "shell" fed commands on its standard input (no -R: the session says so and ends)
out=$(printf 'id\necho PWNED\n' | timeout 20 ssh -F /dev/null -T -o BatchMode=yes -o IdentitiesOnly=yes \
	-i "$TMP/cam2.key" -o UserKnownHostsFile="$RELAY_KNOWN_HOSTS" -o StrictHostKeyChecking=yes \
	-p "$SSHD_PORT" -l "$RELAY_USER" 127.0.0.1 2>&1)
case $out in
	*uid=* | *PWNED*) fail "a shell read its input: $out" ;;
	*"no tunnel"*) ok "no shell: $out" ;;
	*) fail "unexpected session output: $out" ;;
esac
out=$(timeout 20 ssh -F /dev/null -tt -o BatchMode=yes -o IdentitiesOnly=yes -i "$TMP/cam2.key" \
	-o UserKnownHostsFile="$RELAY_KNOWN_HOSTS" -o StrictHostKeyChecking=yes -p "$SSHD_PORT" -l "$RELAY_USER" \
	127.0.0.1 id </dev/null 2>&1)
case $out in
	*uid=*) fail "a command ran with a terminal: $out" ;;
	*"PTY allocation request failed"*) ok "no terminal" ;;
	*) fail "terminal request: $out" ;;
esac

# --- no local forwarding: -W and -L to the relay's own sshd are refused
case $("$PROBE" banner "$SSHD_PORT") in
	SSH-2.0-*) ;;
	*) die "sshd banner not readable directly" ;;
esac
out=$(relay_ssh cam2 -W "127.0.0.1:$SSHD_PORT" 2>&1)
case $out in
	SSH-2.0-*) fail "-W reached sshd" ;;
	*"prohibited"* | *"forwarding failed"*) ok "-W refused" ;;
	*) fail "-W: $out" ;;
esac
LP=$(free_port)
relay_ssh_bg cam2 -N -L "127.0.0.1:$LP:127.0.0.1:$SSHD_PORT" 2>"$TMP/cam2-L.log" &
lf=$!
started "$lf"
wait_for 10 port_in_use "$LP" || die "ssh -L did not listen locally"
case $("$PROBE" banner "$LP") in
	SSH-2.0-*) fail "-L reached the relay's sshd" ;;
	*) ok "-L refused" ;;
esac
kill "$lf"
wait "$lf" 2>/dev/null

# --- sshd's own view: the drop-in's values, not the global ones, apply
grep -q "refused local port forward" "$TMP/sshd.log" && ok "sshd logged the refused -L" || fail "no sshd log of -L"

# --- removing the camera ends its live tunnel and refuses it from then on
cam camera remove cam1 >"$TMP/remove.out" 2>&1 || die "camera remove: $(cat "$TMP/remove.out")"
grep -q "closed 1 live tunnel connection" "$TMP/remove.out" && ok "remove closed the live tunnel" ||
	fail "remove: $(cat "$TMP/remove.out")"
grep -q "camrelay-camera=cam1" "$AUTH_KEYS" && fail "cam1's line is still in authorized_keys"
wait_for 10 port_free "$P1" && ok "cam1's port freed" || fail "cam1's port still taken"
refused() { grep -q "Permission denied" "$TMP/tunnel-cam1.log"; }
wait_for 10 refused && ok "removed camera refused" || fail "no refusal logged"
sleep 2
port_free "$P1" || fail "the removed camera's port is taken again"
out=$(relay_ssh cam1 -- true 2>&1)
case $out in
	*"Permission denied"*) ok "removed key refused" ;;
	*) fail "removed key: $out" ;;
esac

kit_finish
