#!/bin/sh
# camrelay-tunnel without any network: the exact ssh command it builds, its
# settings file, its refusals, and its reconnect schedule (with stand-ins for
# ssh, sleep and date on PATH). Plus static checks of every shipped script
# and of the systemd unit. Needs no root.
set -u
: "${SOURCE_DIR:?}" "${BUILD_DIR:?}"
TUNNEL=$SOURCE_DIR/tools/tunnel/camrelay-tunnel
T_NAME=script_test
T_FAILED=0
say() { printf '%s: %s\n' "$T_NAME" "$*" >&2; }
ok() { say "ok: $*"; }
fail() {
	say "FAIL: $*"
	T_FAILED=1
}
T_ROOT=$(mktemp -d "${TMPDIR:-/tmp}/camrelay-script-test.XXXXXX") || exit 1
trap 'rm -rf "$T_ROOT"' EXIT

# --- static checks
for f in "$TUNNEL" "$SOURCE_DIR/tools/tunnel/camrelay-ssh-setup.in" "$SOURCE_DIR/tools/tunnel/measure.sh" \
	"$SOURCE_DIR"/tests/tunnel/*.sh; do
	sh -n "$f" || fail "sh -n $f"
done
if command -v shellcheck >/dev/null; then
	shellcheck -s sh -e SC1091 "$TUNNEL" "$SOURCE_DIR/tools/tunnel/camrelay-ssh-setup.in" \
		"$SOURCE_DIR/tools/tunnel/measure.sh" && ok "shellcheck: shipped scripts clean" ||
		fail "shellcheck on the shipped scripts"
	(cd "$SOURCE_DIR/tests/tunnel" && shellcheck -s sh -x --severity=warning ./*.sh) && ok "shellcheck: tests clean" ||
		fail "shellcheck on the tests"
else
	say "shellcheck not installed: only sh -n"
fi
unit=$BUILD_DIR/tools/tunnel/camrelay-tunnel@.service
if command -v systemd-analyze >/dev/null && [ -f "$unit" ]; then
	# verify wants the ExecStart binary to exist: point it at the source script
	sed "s|^ExecStart=[^ ]*|ExecStart=$TUNNEL|" "$unit" >"$T_ROOT/camrelay-tunnel@.service"
	if out=$(systemd-analyze verify "$T_ROOT/camrelay-tunnel@.service" 2>&1) && ! printf '%s' "$out" | grep -qi "unknown"; then
		ok "systemd-analyze verify: unit clean"
	else
		fail "systemd-analyze verify: $out"
	fi
fi

# --- the ssh command
printf 'x\n' >"$T_ROOT/key"
printf '[relay.example.com]:2222 ssh-ed25519 AAAA\n' >"$T_ROOT/kh"
cmd=$("$TUNNEL" --relay camrelay-cam@relay.example.com:2222 --identity "$T_ROOT/key" --known-hosts "$T_ROOT/kh" \
	--listen 20001 --print-command) || fail "--print-command failed"
has() {
	case " $cmd " in
		*" $1 "*) ok "ssh gets: $1" ;;
		*) fail "ssh command lacks '$1': $cmd" ;;
	esac
}
has "ssh -F /dev/null -T"
has "-o BatchMode=yes"
has "-o IdentitiesOnly=yes -o IdentityAgent=none -i $T_ROOT/key"
has "-o StrictHostKeyChecking=yes -o UserKnownHostsFile=$T_ROOT/kh"
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
cmd=$("$TUNNEL" --relay 'cam@[2001:db8::1]' --identity "$T_ROOT/key" --known-hosts "$T_ROOT/kh" --listen 20001 \
	--target '[::1]:9001' --print-command)
has "-R 127.0.0.1:20001:[::1]:9001"
has "-p 22 -l cam -- 2001:db8::1"

# the settings file; later options override it; CRLF and comments are fine
printf '# camera 1\r\nRELAY=cam@relay:2200\r\nIDENTITY=%s\r\nKNOWN_HOSTS=%s\r\nLISTEN=20005\r\nTARGET=127.0.0.1:9001\r\nCIPHERS=chacha20-poly1305@openssh.com\r\n' \
	"$T_ROOT/key" "$T_ROOT/kh" >"$T_ROOT/conf"
cmd=$("$TUNNEL" --config "$T_ROOT/conf" --listen 20006 --print-command) || fail "--config: $cmd"
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
base="--identity $T_ROOT/key --known-hosts $T_ROOT/kh"
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
	refused "missing known_hosts" "missing or empty" --identity "$T_ROOT/key" --known-hosts "$T_ROOT/none" --relay u@relay --listen 20001
	refused "unknown argument" "unknown argument" $base --relay u@relay --listen 20001 --insecure
}
printf 'RELAY=u@relay\nPASSWORD=x\n' >"$T_ROOT/bad.conf"
refused "unknown setting" "unknown setting 'PASSWORD'" --config "$T_ROOT/bad.conf"
printf 'RELAY u@relay\n' >"$T_ROOT/bad2.conf"
refused "line without =" "expected KEY=VALUE" --config "$T_ROOT/bad2.conf"
printf 'RELAY=u@relay\nLISTEN=$(touch %s/pwned)\n' "$T_ROOT" >"$T_ROOT/bad3.conf"
refused "shell in a value" "1024 to 65535" $base --config "$T_ROOT/bad3.conf"
[ -e "$T_ROOT/pwned" ] && fail "a config value was run as shell"

# --- the reconnect schedule, with stand-ins: ssh fails at once, sleep only
# logs (so the schedule runs in no time), date is real.
mkdir "$T_ROOT/bin"
cat >"$T_ROOT/bin/ssh" <<'EOF'
#!/bin/sh
echo "fake ssh: relay unreachable" >&2
exit 255
EOF
cat >"$T_ROOT/bin/sleep" <<EOF
#!/bin/sh
echo "\$1" >>"$T_ROOT/sleeps"
[ "\$(wc -l <"$T_ROOT/sleeps")" -ge 8 ] && exec /bin/sleep 60
exit 0
EOF
chmod +x "$T_ROOT/bin/ssh" "$T_ROOT/bin/sleep"
PATH="$T_ROOT/bin:$PATH" "$TUNNEL" --relay u@relay --listen 20001 $base 2>"$T_ROOT/log" &
pid=$!
i=0
while [ "$(cat "$T_ROOT/sleeps" 2>/dev/null | wc -l)" -lt 8 ] && [ $i -lt 100 ]; do
	/bin/sleep 0.1
	i=$((i + 1))
done
kill -TERM "$pid"
i=0
while kill -0 "$pid" 2>/dev/null && [ $i -lt 50 ]; do
	/bin/sleep 0.1
	i=$((i + 1))
done
kill -0 "$pid" 2>/dev/null && fail "camrelay-tunnel ignored SIGTERM while sleeping"
sched=$(tr '\n' ' ' <"$T_ROOT/sleeps")
[ "$sched" = "1 2 4 8 16 30 30 30 " ] && ok "backoff: $sched" || fail "backoff schedule '$sched'"
grep -q "tunnel down (ssh exit status 255 after 0s); reconnecting in 2s" "$T_ROOT/log" && ok "one log line per event" ||
	fail "log: $(cat "$T_ROOT/log")"
tail -n 1 "$T_ROOT/log" | grep -q "stopped" && ok "SIGTERM: stopped" || fail "last log line: $(tail -n 1 "$T_ROOT/log")"

# after a connection that lived 60 s or more, back to 1 s: date jumps 100 s per call
rm -f "$T_ROOT/sleeps"
cat >"$T_ROOT/bin/date" <<EOF
#!/bin/sh
n=\$(cat "$T_ROOT/clock" 2>/dev/null || echo 1000)
echo \$((n + 100)) >"$T_ROOT/clock"
echo "\$n"
EOF
chmod +x "$T_ROOT/bin/date"
PATH="$T_ROOT/bin:$PATH" "$TUNNEL" --relay u@relay --listen 20001 $base 2>"$T_ROOT/log2" &
pid=$!
i=0
while [ "$(cat "$T_ROOT/sleeps" 2>/dev/null | wc -l)" -lt 4 ] && [ $i -lt 100 ]; do
	/bin/sleep 0.1
	i=$((i + 1))
done
kill -TERM "$pid"
wait "$pid"
sched=$(head -n 4 "$T_ROOT/sleeps" | tr '\n' ' ')
[ "$sched" = "1 1 1 1 " ] && ok "backoff reset after long-lived connections: $sched" || fail "reset schedule '$sched'"

exit "$T_FAILED"
