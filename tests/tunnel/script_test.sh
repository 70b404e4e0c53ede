#!/usr/bin/env bash
# camrelay-tunnel without any network: the exact ssh command it builds, its
# settings file, its refusals, and its reconnect schedule (with stand-ins for
# ssh, sleep and date on PATH). Plus static checks of every shipped script,
# of this suite's scripts and of the systemd unit. Needs no root.
set -u
: "${SOURCE_DIR:?}" "${BUILD_DIR:?}"
# shellcheck source=../lib/kit.sh
source "$SOURCE_DIR/tests/lib/kit.sh"
kit_workdir
TUNNEL=$SOURCE_DIR/tools/tunnel/camrelay-tunnel

# --- static checks: the shipped scripts are POSIX sh, the tests bash
for f in "$TUNNEL" "$SOURCE_DIR/tools/tunnel/camrelay-ssh-setup.in"; do
	sh -n "$f" || fail "sh -n $f"
done
for f in "$SOURCE_DIR/tools/tunnel/measure.sh" "$SOURCE_DIR"/tests/tunnel/*.sh "$SOURCE_DIR"/tests/lib/*.sh; do
	bash -n "$f" || fail "bash -n $f"
done
if command -v shellcheck >/dev/null; then
	shellcheck -s sh -e SC1091 "$TUNNEL" "$SOURCE_DIR/tools/tunnel/camrelay-ssh-setup.in" &&
		ok "shellcheck: shipped scripts clean" || fail "shellcheck on the shipped scripts"
	(cd "$SOURCE_DIR/tests/tunnel" && shellcheck -x -P SCRIPTDIR --severity=warning ./*.sh ../../tools/tunnel/measure.sh) &&
		ok "shellcheck: tests and measure.sh clean" || fail "shellcheck on the tests"
else
	say "shellcheck not installed: only sh -n and bash -n"
fi
unit=$BUILD_DIR/tools/tunnel/camrelay-tunnel@.service
if command -v systemd-analyze >/dev/null && [ -f "$unit" ]; then
	# verify wants the ExecStart binary to exist: point it at the source script
	sed "s|^ExecStart=[^ ]*|ExecStart=$TUNNEL|" "$unit" >"$TMP/camrelay-tunnel@.service"
	if out=$(systemd-analyze verify "$TMP/camrelay-tunnel@.service" 2>&1) && ! printf '%s' "$out" | grep -qi "unknown"; then
		ok "systemd-analyze verify: unit clean"
	else
		fail "systemd-analyze verify: $out"
	fi
fi

# --- the ssh command
printf 'x\n' >"$TMP/key"
printf '[relay.example.com]:2222 ssh-ed25519 AAAA\n' >"$TMP/kh"
cmd=$("$TUNNEL" --relay camrelay-cam@relay.example.com:2222 --identity "$TMP/key" --known-hosts "$TMP/kh" \
	--listen 20001 --print-command) || fail "--print-command failed"
has() {
	case " $cmd " in
		*" $1 "*) ok "ssh gets: $1" ;;
		*) fail "ssh command lacks '$1': $cmd" ;;
	esac
}
has "ssh -F /dev/null -T"
has "-o BatchMode=yes"
has "-o IdentitiesOnly=yes -o IdentityAgent=none -i $TMP/key"
has "-o StrictHostKeyChecking=yes -o UserKnownHostsFile=$TMP/kh"
has "-o GlobalKnownHostsFile=/dev/null -o UpdateHostKeys=no"
has "-o ServerAliveInterval=10 -o ServerAliveCountMax=2"
has "-o ExitOnForwardFailure=yes"
has "-o Ciphers=aes128-gcm@openssh.com,chacha20-poly1305@openssh.com"
has "-R 127.0.0.1:20001:localhost:9001"
has "-p 2222 -l camrelay-cam -- relay.example.com"
case " $cmd " in
	*" -N "* | *StrictHostKeyChecking=no* | *" -t "* | *" -tt "*) fail "forbidden option in: $cmd" ;;
	*) ok "no -N, no pty, no unpinned host key" ;;
esac

# IPv6 relay and target, default port
cmd=$("$TUNNEL" --relay 'cam@[2001:db8::1]' --identity "$TMP/key" --known-hosts "$TMP/kh" --listen 20001 \
	--target '[::1]:9001' --print-command)
has "-R 127.0.0.1:20001:[::1]:9001"
has "-p 22 -l cam -- 2001:db8::1"

# the settings file; later options override it; CRLF and comments are fine
printf '# camera 1\r\nRELAY=cam@relay:2200\r\nIDENTITY=%s\r\nKNOWN_HOSTS=%s\r\nLISTEN=20005\r\nTARGET=127.0.0.1:9001\r\nCIPHERS=chacha20-poly1305@openssh.com\r\n' \
	"$TMP/key" "$TMP/kh" >"$TMP/conf"
cmd=$("$TUNNEL" --config "$TMP/conf" --listen 20006 --print-command) || fail "--config: $cmd"
has "-R 127.0.0.1:20006:127.0.0.1:9001"
has "-o Ciphers=chacha20-poly1305@openssh.com"
has "-p 2200 -l cam -- relay"

# --- refusals: exit 2 and a message, nothing run
refused() {
	_what=$1
	_expect=$2
	shift 2
	_out=$("$TUNNEL" "$@" --print-command 2>&1)
	_rc=$?
	if [ "$_rc" = 2 ] && printf '%s' "$_out" | grep -q -- "$_expect"; then
		ok "$_what refused: $_out"
	else
		fail "$_what: status $_rc, '$_out'"
	fi
}
base="--identity $TMP/key --known-hosts $TMP/kh"
# shellcheck disable=SC2086  # $base is simple words
{
	refused "no relay" "no relay" $base --listen 20001
	refused "relay without user" "not USER@HOST" $base --relay relay --listen 20001
	refused "option injection in host" "not a host name" $base --relay 'u@-oProxyCommand=x' --listen 20001
	refused "blank in host" "not a host name" $base --relay 'u@a b' --listen 20001
	refused "bad user" "not a user name" $base --relay '-x@relay' --listen 20001
	refused "privileged listen port" "1024 to 65535" $base --relay u@relay --listen 80
	refused "listen port not a number" "1024 to 65535" $base --relay u@relay --listen 2x
	refused "target without port" "HOST:PORT" $base --relay u@relay --listen 20001 --target localhost
	refused "bad relay port" "not a port" $base --relay u@relay:99999 --listen 20001
	refused "missing known_hosts" "missing or empty" --identity "$TMP/key" --known-hosts "$TMP/none" --relay u@relay --listen 20001
	refused "unknown argument" "unknown argument" $base --relay u@relay --listen 20001 --insecure
}
printf 'RELAY=u@relay\nPASSWORD=x\n' >"$TMP/bad.conf"
refused "unknown setting" "unknown setting 'PASSWORD'" --config "$TMP/bad.conf"
printf 'RELAY u@relay\n' >"$TMP/bad2.conf"
refused "line without =" "expected KEY=VALUE" --config "$TMP/bad2.conf"
printf 'RELAY=u@relay\nLISTEN=$(touch %s/pwned)\n' "$TMP" >"$TMP/bad3.conf"
refused "shell in a value" "1024 to 65535" $base --config "$TMP/bad3.conf"
[ -e "$TMP/pwned" ] && fail "a config value was run as shell"

# --- the reconnect schedule, with stand-ins: ssh fails at once, sleep only
# logs (so the schedule runs in no time), date is real.
mkdir "$TMP/bin"
cat >"$TMP/bin/ssh" <<'EOF'
#!/bin/sh
echo "fake ssh: relay unreachable" >&2
exit 255
EOF
cat >"$TMP/bin/sleep" <<EOF
#!/bin/sh
echo "\$1" >>"$TMP/sleeps"
[ "\$(wc -l <"$TMP/sleeps")" -ge 8 ] && exec /bin/sleep 60
exit 0
EOF
chmod +x "$TMP/bin/ssh" "$TMP/bin/sleep"
PATH="$TMP/bin:$PATH" "$TUNNEL" --relay u@relay --listen 20001 $base 2>"$TMP/log" &
pid=$!
started "$pid"
# slept N: the stand-in sleep has logged N sleeps
slept() { [ "$(cat "$TMP/sleeps" 2>/dev/null | wc -l)" -ge "$1" ]; }
running() { kill -0 "$pid" 2>/dev/null; }
wait_for 10 slept 8
kill -TERM "$pid"
wait_for 5 eval '! running' || fail "camrelay-tunnel ignored SIGTERM while sleeping"
sched=$(tr '\n' ' ' <"$TMP/sleeps")
[ "$sched" = "1 2 4 8 16 30 30 30 " ] && ok "backoff: $sched" || fail "backoff schedule '$sched'"
grep -q "tunnel down (ssh exit status 255 after 0s); reconnecting in 2s" "$TMP/log" && ok "one log line per event" ||
	fail "log: $(cat "$TMP/log")"
tail -n 1 "$TMP/log" | grep -q "stopped" && ok "SIGTERM: stopped" || fail "last log line: $(tail -n 1 "$TMP/log")"

# after a connection that lived 60 s or more, back to 1 s: date jumps 100 s per call
rm -f "$TMP/sleeps"
cat >"$TMP/bin/date" <<EOF
#!/bin/sh
n=\$(cat "$TMP/clock" 2>/dev/null || echo 1000)
echo \$((n + 100)) >"$TMP/clock"
echo "\$n"
EOF
chmod +x "$TMP/bin/date"
PATH="$TMP/bin:$PATH" "$TUNNEL" --relay u@relay --listen 20001 $base 2>"$TMP/log2" &
pid=$!
started "$pid"
wait_for 10 slept 4
kill -TERM "$pid"
wait "$pid"
sched=$(head -n 4 "$TMP/sleeps" | tr '\n' ' ')
[ "$sched" = "1 1 1 1 " ] && ok "backoff reset after long-lived connections: $sched" || fail "reset schedule '$sched'"

kit_finish
