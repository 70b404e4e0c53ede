#!/usr/bin/env bash
# camrelay-tunnel without any network: the exact ssh command it builds for
# each transport, its settings file, its refusals, and its reconnect
# schedule, auto's probe and its move to a better transport (with stand-ins
# for ssh, sleep, date and camrelay-connect). Plus static checks of every
# shipped script, of this suite's scripts and of the systemd unit. Needs no
# root.
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
	# verify wants the ExecStart(Pre) binary to exist: point it at the
	# source script; and the manuals of Documentation=: the built ones come first
	sed -E "s#^(ExecStart=|ExecStartPre=\+)[^ ]*#\1$TUNNEL#" "$unit" >"$TMP/camrelay-tunnel@.service"
	mkdir -p "$TMP/man/man1"
	ln -s "$BUILD_DIR"/tools/tunnel/*.1 "$TMP/man/man1/"
	if out=$(MANPATH="$TMP/man:" systemd-analyze verify "$TMP/camrelay-tunnel@.service" 2>&1) &&
		! printf '%s' "$out" | grep -qi "unknown\|failed"; then
		ok "systemd-analyze verify: unit clean"
	else
		fail "systemd-analyze verify: $out"
	fi
fi

# Nothing from this machine's environment: no proxy, and camrelay-connect is
# a stand-in ($CONNECT) that logs its arguments and its CAMRELAY_PROXY, and
# answers a probe as $TMP/probe-says tells it (a candidate; missing: the one
# line of a failure), and a probe --only LIST with LIST's first candidate
# once $TMP/open exists.
unset https_proxy HTTPS_PROXY no_proxy NO_PROXY CAMRELAY_CONNECT CAMRELAY_PROXY
mkdir "$TMP/helper"
CONNECT=$TMP/helper/camrelay-connect
export FAKE_DIR=$TMP
cat >"$CONNECT" <<'EOF'
#!/bin/sh
printf '%s\n' "$*" >>"$FAKE_DIR/connect-args"
printf '%s\n' "${CAMRELAY_PROXY-unset}" >>"$FAKE_DIR/connect-env"
case " $* " in
	*" --only "*)
		only=${*#*--only }
		only=${only%% *}
		[ -e "$FAKE_DIR/open" ] && echo "${only%%,*}" && exit 0
		echo "camrelay-connect: no transport reaches relay: ${only%%,*}: connection refused" >&2
		exit 1
		;;
	*" probe "*)
		if [ -s "$FAKE_DIR/probe-says" ]; then
			cat "$FAKE_DIR/probe-says"
			exit 0
		fi
		if [ -s "$FAKE_DIR/probe-error" ]; then
			cat "$FAKE_DIR/probe-error" >&2
			exit 1
		fi
		echo "camrelay-connect: no transport reaches relay: ssh: timed out; ssh-443: connection refused" >&2
		exit 1
		;;
esac
exit 1
EOF
chmod +x "$CONNECT"
export CAMRELAY_CONNECT=$CONNECT
# The kernel's congestion control lists, as camrelay-tunnel reads them.
export CAMRELAY_CC_SYSCTL=$TMP/sysctl
mkdir "$CAMRELAY_CC_SYSCTL"
echo "reno cubic bbr" >"$CAMRELAY_CC_SYSCTL/tcp_available_congestion_control"
echo "reno cubic" >"$CAMRELAY_CC_SYSCTL/tcp_allowed_congestion_control"
echo cubic >"$CAMRELAY_CC_SYSCTL/tcp_congestion_control"
# Without tuning (CONGESTION=system, SEND_QUEUE=system) the commands are
# those from before it; the tuning is checked further down.
untuned="--congestion system --send-queue system"

# --- the ssh command (transport ssh: the command from before transports)
printf 'x\n' >"$TMP/key"
printf '[relay.example.com]:2222 ssh-ed25519 AAAA\n' >"$TMP/kh"
# shellcheck disable=SC2086  # $untuned is simple words
cmd=$("$TUNNEL" --relay camrelay-cam@relay.example.com:2222 --identity "$TMP/key" --known-hosts "$TMP/kh" \
	--listen 20001 --transport ssh $untuned --print-command) || fail "--print-command failed"
ssh_cmd=$cmd
has() {
	case " $cmd " in
		*" $1 "*) ok "ssh gets: $1" ;;
		*) fail "ssh command lacks '$1': $cmd" ;;
	esac
}
lacks() {
	case " $cmd " in
		*"$1"*) fail "ssh command has '$1': $cmd" ;;
		*) ok "ssh does not get: $1" ;;
	esac
}
has "ssh -F /dev/null -T"
has "-o BatchMode=yes"
has "-o IdentitiesOnly=yes -o IdentityAgent=none -i $TMP/key"
has "-o StrictHostKeyChecking=yes -o UserKnownHostsFile=$TMP/kh"
has "-o GlobalKnownHostsFile=/dev/null -o UpdateHostKeys=no"
has "-o ServerAliveInterval=5 -o ServerAliveCountMax=2"
has "-o ExitOnForwardFailure=yes"
has "-o Ciphers=aes128-gcm@openssh.com,chacha20-poly1305@openssh.com"
has "-R 127.0.0.1:20001:localhost:9001"
has "-p 2222 -l camrelay-cam -- relay.example.com"
case " $cmd " in
	*" -N "* | *StrictHostKeyChecking=no* | *" -t "* | *" -tt "*) fail "forbidden option in: $cmd" ;;
	*) ok "no -N, no pty, no unpinned host key" ;;
esac
case $cmd in
	*HostKeyAlias* | *ProxyCommand* | *$'\n'*) fail "transport ssh is not the plain command: $cmd" ;;
	*) ok "transport ssh: one line, no HostKeyAlias, no ProxyCommand" ;;
esac

# IPv6 relay and target, default port
cmd=$("$TUNNEL" --relay 'cam@[2001:db8::1]' --identity "$TMP/key" --known-hosts "$TMP/kh" --listen 20001 \
	--target '[::1]:9001' --transport ssh --print-command)
has "-R 127.0.0.1:20001:[::1]:9001"
has "-p 22 -l cam -- 2001:db8::1"

# the settings file; later options override it; CRLF and comments are fine
printf '# camera 1\r\nRELAY=cam@relay:2200\r\nIDENTITY=%s\r\nKNOWN_HOSTS=%s\r\nLISTEN=20005\r\nTARGET=127.0.0.1:9001\r\nCIPHERS=chacha20-poly1305@openssh.com\r\nTRANSPORT=ssh\r\n' \
	"$TMP/key" "$TMP/kh" >"$TMP/conf"
cmd=$("$TUNNEL" --config "$TMP/conf" --listen 20006 --print-command) || fail "--config: $cmd"
has "-R 127.0.0.1:20006:127.0.0.1:9001"
has "-o Ciphers=chacha20-poly1305@openssh.com"
has "-p 2200 -l cam -- relay"

# --- the other transports: the host key stays pinned under RELAY's name
base="--identity $TMP/key --known-hosts $TMP/kh --listen 20001 $untuned"
# tunnel ARG...: --print-command's output with the base settings
tunnel() {
	# shellcheck disable=SC2086  # $base is simple words
	"$TUNNEL" $base "$@" --print-command
}
cmd=$(tunnel --relay cam@relay.example.com:2222 --transport ssh-443)
has "-o HostKeyAlias=[relay.example.com]:2222 -p 443 -l cam -- relay.example.com"
lacks ProxyCommand
cmd=$(tunnel --relay cam@relay.example.com --transport ssh-443 --https-port 8443)
has "-o HostKeyAlias=relay.example.com -p 8443 -l cam -- relay.example.com"
cmd=$(tunnel --relay 'cam@[2001:db8::1]:2222' --transport ssh-443)
has "-o HostKeyAlias=[2001:db8::1]:2222 -p 443 -l cam -- 2001:db8::1"
cmd=$(tunnel --relay cam@relay.example.com:2222 --transport tls)
has "-o HostKeyAlias=[relay.example.com]:2222 -o ProxyCommand=$CONNECT tls %h %p -p 443 -l cam -- relay.example.com"
printf -- '-----BEGIN CERTIFICATE-----\n' >"$TMP/relay-ca.pem"
cmd=$(tunnel --relay cam@relay.example.com --transport tls --tls-ca "$TMP/relay-ca.pem" --tls-name relay.example.org \
	--tls-allow-intercept --https-port 8443)
has "-o ProxyCommand=$CONNECT --tls-ca $TMP/relay-ca.pem --tls-name relay.example.org --allow-intercept tls %h %p -p 8443"
cmd=$(tunnel --relay cam@relay.example.com --transport tls --tls-allow-intercept --tls-allow-intercept=no)
has "-o ProxyCommand=$CONNECT tls %h %p"
[ "${ssh_cmd%% -R *}" = "${cmd%% -R *}" ] && ok "every transport: the same ssh options before -R" ||
	fail "options differ: '$ssh_cmd' / '$cmd'"

# --- the proxy: through camrelay-connect, its URL only in CAMRELAY_PROXY,
# the password nowhere in any output
PASS=s3cr3t-Pa55
PURL="http://bob:$PASS@proxy.example:3128/"
printf 'RELAY=cam@relay.example.com:2222\nPROXY=%s\n' "$PURL" >"$TMP/proxy.conf"
cmd=$(tunnel --config "$TMP/proxy.conf" --transport ssh)
has "-o HostKeyAlias=[relay.example.com]:2222 -o ProxyCommand=$CONNECT --proxy-env --fdpass tcp %h %p -o ProxyUseFdpass=yes -p 2222"
lacks "$PASS"
lacks "bob"
case $cmd in
	"# proxy proxy.example:3128 (from PROXY= ($TMP/proxy.conf:2)), given to camrelay-connect in CAMRELAY_PROXY"$'\n'*)
		ok "the proxy shown as HOST:PORT" ;;
	*) fail "proxy line: $cmd" ;;
esac
cmd=$(tunnel --config "$TMP/proxy.conf" --transport ssh-443)
has "-o ProxyCommand=$CONNECT --proxy-env --fdpass tcp %h %p -o ProxyUseFdpass=yes -p 443"
cmd=$(tunnel --config "$TMP/proxy.conf" --transport tls --tls-name relay.example.org)
has "-o ProxyCommand=$CONNECT --proxy-env --tls-name relay.example.org tls %h %p -p 443"
lacks "$PASS"
cmd=$(tunnel --config "$TMP/proxy.conf" --proxy none --transport tls)
lacks "--proxy-env"
lacks "# proxy"

# the environment's proxy: https_proxy, then HTTPS_PROXY; PROXY wins
proxy_of() { sed -n 's/^# proxy \([^ ]*\) (from \([^)]*\)).*/\1 \2/p' <<<"$cmd"; }
expect_proxy() {
	[ "$(proxy_of)" = "$1" ] && ok "$2: ${1:-no proxy}" || fail "$2: proxy '$(proxy_of)', expected '$1'"
}
cmd=$(https_proxy="http://u:$PASS@a.example:8080" HTTPS_PROXY=http://b.example:8080 tunnel --relay cam@relay.example.com)
expect_proxy "a.example:8080 https_proxy" "https_proxy first"
lacks "$PASS"
cmd=$(HTTPS_PROXY=http://b.example:8080 tunnel --relay cam@relay.example.com)
expect_proxy "b.example:8080 HTTPS_PROXY" "HTTPS_PROXY without https_proxy"
cmd=$(https_proxy=a.example:3128 tunnel --relay cam@relay.example.com)
expect_proxy "a.example:3128 https_proxy" "an https_proxy without http://"
cmd=$(https_proxy=http://a.example tunnel --relay cam@relay.example.com)
expect_proxy "a.example:80 https_proxy" "no port: 80"
cmd=$(https_proxy=http://a.example:8080 tunnel --config "$TMP/proxy.conf")
expect_proxy "proxy.example:3128 PROXY= ($TMP/proxy.conf:2" "PROXY= over https_proxy"
cmd=$(https_proxy=http://a.example:8080 tunnel --relay cam@relay.example.com --proxy none)
expect_proxy "" "PROXY=none over https_proxy"
cmd=$(https_proxy=http://a.example:8080 tunnel --config "$TMP/proxy.conf" --proxy 'http://c.example:1')
expect_proxy "c.example:1 --proxy" "--proxy over PROXY="
cmd=$(https_proxy=http://a.example:8080 no_proxy='localhost, .example.com' tunnel --relay cam@relay.example.com)
expect_proxy "" "no_proxy names the relay's domain"
cmd=$(https_proxy=http://a.example:8080 NO_PROXY='*' tunnel --relay cam@relay.example.com)
expect_proxy "" "NO_PROXY=*"
cmd=$(https_proxy=http://a.example:8080 no_proxy=other.example tunnel --relay cam@relay.example.com)
expect_proxy "a.example:8080 https_proxy" "no_proxy naming another host"
cmd=$(https_proxy='http://[2001:db8::3]:3128' tunnel --relay cam@relay.example.com)
expect_proxy "[2001:db8::3]:3128 https_proxy" "IPv6 proxy"

# auto: the probe, then each candidate's command, best first
cmd=$(tunnel --relay cam@relay.example.com:2222 --tls-ca "$TMP/relay-ca.pem")
[ "$(grep '^# ' <<<"$cmd" | tail -n +2 | tr '\n' ' ')" = "# ssh # ssh-443 # tls " ] &&
	ok "auto without a proxy: ssh, ssh-443, tls" || fail "auto candidates: $cmd"
grep -qxF "# auto: before each connection, '$CONNECT --tls-ca $TMP/relay-ca.pem probe relay.example.com 2222 443' picks the first that answers of:" <<<"$cmd" &&
	ok "auto: the probe command" || fail "auto probe line: $cmd"
[ "$(sed -n '/^# ssh$/{n;p}' <<<"$cmd")" = "$(tunnel --relay cam@relay.example.com:2222 --transport ssh)" ] &&
	ok "auto's ssh: the plain command" || fail "auto's ssh: $cmd"
cmd=$(tunnel --config "$TMP/proxy.conf")
[ "$(grep '^# [a-z]' <<<"$cmd" | grep -v '^# proxy\|^# auto' | tr '\n' ' ')" = \
	"# ssh # ssh-443 # tls # ssh+proxy # ssh-443+proxy # tls+proxy " ] &&
	ok "auto with a proxy: direct first, plain before TLS" || fail "auto candidates with a proxy: $cmd"
grep -q "'$CONNECT --proxy-env probe relay.example.com 2222 443'" <<<"$cmd" && ok "auto: probe with --proxy-env" ||
	fail "probe line: $cmd"
lacks "$PASS"
[ "$(sed -n '/^# ssh-443$/{n;p}' <<<"$cmd")" = "$(tunnel --relay cam@relay.example.com:2222 --transport ssh-443 --proxy none)" ] &&
	ok "auto's ssh-443 with a proxy set: direct" || fail "auto's ssh-443: $cmd"

# auto without camrelay-connect: ssh only
cmd=$(CAMRELAY_CONNECT='' PATH=/usr/bin:/bin "$TUNNEL" $base --relay cam@relay.example.com --print-command 2>&1)
if command -v camrelay-connect >/dev/null || [ -x "$SOURCE_DIR/tools/tunnel/camrelay-connect" ]; then
	say "camrelay-connect is installed: auto without it not checked"
else
	[ "$cmd" = "# auto without camrelay-connect: ssh only"$'\n'"$(tunnel --relay cam@relay.example.com --transport ssh)" ] &&
		ok "auto without camrelay-connect: the ssh command" || fail "auto without camrelay-connect: $cmd"
fi

# --- tuning of the tunnel's socket (the defaults): every transport through
# camrelay-connect, which sets it; plain ssh gets the socket passed
tuned() {
	"$TUNNEL" --identity "$TMP/key" --known-hosts "$TMP/kh" --listen 20001 "$@" --print-command 2>"$TMP/tuned.err"
}
T="--send-queue 131072 --user-timeout 15"
cmd=$(tuned --relay cam@relay.example.com:2222 --transport ssh)
has "-o ServerAliveInterval=5 -o ServerAliveCountMax=2"
has "-o ProxyCommand=$CONNECT --congestion bbr $T --fdpass tcp %h %p -o ProxyUseFdpass=yes -p 2222 -l cam -- relay.example.com"
lacks HostKeyAlias
cmd=$(tuned --relay cam@relay.example.com:2222 --transport ssh-443)
has "-o HostKeyAlias=[relay.example.com]:2222 -o ProxyCommand=$CONNECT --congestion bbr $T --fdpass tcp %h %p -o ProxyUseFdpass=yes -p 443"
cmd=$(tuned --relay cam@relay.example.com:2222 --transport tls --tls-name relay.example.org)
has "-o ProxyCommand=$CONNECT --tls-name relay.example.org --congestion bbr $T tls %h %p -p 443"
cmd=$(tuned --config "$TMP/proxy.conf" --transport ssh)
has "-o ProxyCommand=$CONNECT --proxy-env --congestion bbr $T --fdpass tcp %h %p -o ProxyUseFdpass=yes -p 2222"
lacks "$PASS"
cmd=$(tuned --relay cam@relay.example.com:2222 --transport ssh --congestion system --send-queue 65536 --dead-after 30)
has "-o ServerAliveInterval=10 -o ServerAliveCountMax=2"
has "-o ProxyCommand=$CONNECT --send-queue 65536 --user-timeout 30 --fdpass tcp %h %p"
printf 'RELAY=cam@relay.example.com\nCONGESTION=cubic\nSEND_QUEUE=system\nDEAD_AFTER=9\n' >"$TMP/tuned.conf"
cmd=$(tuned --config "$TMP/tuned.conf" --transport ssh)
has "-o ServerAliveInterval=3 -o ServerAliveCountMax=2"
has "-o ProxyCommand=$CONNECT --congestion cubic --user-timeout 9 --fdpass tcp %h %p"
# --- refusals: exit 2 and a message, nothing run, no password shown
refused() {
	_what=$1
	_expect=$2
	shift 2
	_out=$("$TUNNEL" "$@" --print-command 2>&1)
	_rc=$?
	if [ "$_rc" = 2 ] && printf '%s' "$_out" | grep -q -- "$_expect"; then
		case $_out in
			*"$PASS"*) fail "$_what: the password is in the message: $_out" ;;
			*) ok "$_what refused: $_out" ;;
		esac
	else
		fail "$_what: status $_rc, '$_out'"
	fi
}
# shellcheck disable=SC2086  # $base is simple words
{
	b2="--identity $TMP/key --known-hosts $TMP/kh"
	refused "no relay" "no relay" $b2 --listen 20001
	refused "relay without user" "not USER@HOST" $b2 --relay relay --listen 20001
	refused "option injection in host" "not a host name" $b2 --relay 'u@-oProxyCommand=x' --listen 20001
	refused "a congestion control's name with a ';'" "is not a congestion control's name" $base --relay u@relay --congestion 'bbr;x'
	refused "send queue 0" "is not a number of bytes" $base --relay u@relay --send-queue 0
	refused "dead-after too short" "from 3 to 3600 seconds" $base --relay u@relay --dead-after 2
	refused "blank in host" "not a host name" $b2 --relay 'u@a b' --listen 20001
	refused "bad user" "not a user name" $b2 --relay '-x@relay' --listen 20001
	refused "privileged listen port" "1024 to 65535" $b2 --relay u@relay --listen 80
	refused "listen port not a number" "1024 to 65535" $b2 --relay u@relay --listen 2x
	refused "target without port" "HOST:PORT" $b2 --relay u@relay --listen 20001 --target localhost
	refused "bad relay port" "not a port" $b2 --relay u@relay:99999 --listen 20001
	refused "missing known_hosts" "missing or empty" --identity "$TMP/key" --known-hosts "$TMP/none" --relay u@relay --listen 20001
	refused "unknown argument" "unknown argument" $b2 --relay u@relay --listen 20001 --insecure
	refused "unknown transport" "not auto, ssh, ssh-443 or tls" $base --relay u@relay --transport https
	refused "bad https port" "--https-port '0443' is not a port" $base --relay u@relay --https-port 0443
	refused "https port out of range" "is not a port" $base --relay u@relay --https-port 65536
	refused "intercept not yes or no" "not yes or no" $base --relay u@relay --tls-allow-intercept=maybe
	refused "retry-better not a number" "not a number of seconds" $base --relay u@relay --retry-better 5m
	refused "retry-better over a day" "at most 86400" $base --relay u@relay --retry-better 86401
	refused "TLS name with a blank" "--tls-name" $base --relay u@relay --tls-name 'a b'
	refused "TLS name as an option" "--tls-name" $base --relay u@relay --tls-name '-oX'
	refused "TLS CA missing" "cannot read the TLS certificates file" $base --relay u@relay --tls-ca "$TMP/none.pem"
	refused "TLS CA path with a blank" "ssh runs it through a shell" $base --relay u@relay --tls-ca "$TMP/a b.pem"
	refused "TLS CA path with %" "ssh runs it through a shell" $base --relay u@relay --tls-ca "$TMP/a%h.pem"
	refused "TLS CA path with ;" "ssh runs it through a shell" $base --relay u@relay --tls-ca "$TMP/a;reboot"
	refused "password in --proxy" "would show it to every user" $base --relay u@relay --proxy "$PURL"
}
refused_proxy() {
	printf 'RELAY=u@relay\nPROXY=%s\n' "$2" >"$TMP/bad-proxy.conf"
	# shellcheck disable=SC2086  # $base is simple words
	refused "PROXY=${2//$PASS/PASSWORD}" "$1" $base --config "$TMP/bad-proxy.conf"
}
CAMRELAY_CONNECT=$TMP/key refused "camrelay-connect not executable" "is not an executable file" $base --relay u@relay
refused_proxy "is https://" "https://bob:$PASS@proxy:3128"
refused_proxy "SOCKS" "socks5://bob:$PASS@proxy:1080"
refused_proxy "does not start with http://" "bob:$PASS@proxy:3128"
refused_proxy "path, query or fragment" "http://bob:$PASS@proxy:3128/path"
refused_proxy "no user name" "http://:$PASS@proxy:3128"
refused_proxy "bad percent-encoding" "http://bob:$PASS%G1@proxy:3128"
refused_proxy "bad percent-encoding" "http://bob:$PASS%4@proxy:3128"
refused_proxy "IPv6 address without brackets" "http://bob:$PASS@2001:db8::1:3128"
refused_proxy "port is not a number" "http://bob:$PASS@proxy:31x8"
refused_proxy "port is not a number" "http://bob:$PASS@proxy:99999"
refused_proxy "host is not a host name" "http://bob:$PASS@-proxy:3128"
refused_proxy "blanks" "http://bob:$PASS word@proxy:3128"
_out=$(https_proxy="ftp://bob:$PASS@proxy:21" "$TUNNEL" $base --relay u@relay --print-command 2>&1)
[ $? = 2 ] && [[ $_out == *"from https_proxy is not http://"* && $_out != *"$PASS"* ]] &&
	ok "https_proxy ftp:// refused: $_out" || fail "https_proxy ftp://: $_out"
if [ ! -x "$(command -v camrelay-connect)" ]; then
	_out=$(CAMRELAY_CONNECT='' PATH=/usr/bin:/bin "$TUNNEL" $base --relay u@relay --transport tls --print-command 2>&1)
	[ $? = 2 ] && [[ $_out == *"transport tls needs camrelay-connect"* ]] && ok "tls without camrelay-connect refused" ||
		fail "tls without camrelay-connect: $_out"
fi
mkdir "$TMP/odd dir"
cp "$CONNECT" "$TMP/odd dir/camrelay-connect"
CAMRELAY_CONNECT="$TMP/odd dir/camrelay-connect" refused "camrelay-connect in a path with a blank" "ProxyCommand would need quoted" \
	$base --relay u@relay
printf 'RELAY=u@relay\nPASSWORD=x\n' >"$TMP/bad.conf"
refused "unknown setting" "unknown setting 'PASSWORD'" --config "$TMP/bad.conf"
printf 'RELAY u@relay\n' >"$TMP/bad2.conf"
refused "line without =" "expected KEY=VALUE" --config "$TMP/bad2.conf"
printf 'RELAY=u@relay\nLISTEN=$(touch %s/pwned)\n' "$TMP" >"$TMP/bad3.conf"
refused "shell in a value" "1024 to 65535" --identity "$TMP/key" --known-hosts "$TMP/kh" --config "$TMP/bad3.conf"
printf 'RELAY=u@relay\nLISTEN=20001\nTLS_NAME=$(touch %s/pwned)\n' "$TMP" >"$TMP/bad4.conf"
refused "shell in TLS_NAME" "--tls-name" --identity "$TMP/key" --known-hosts "$TMP/kh" --config "$TMP/bad4.conf"
[ -e "$TMP/pwned" ] && fail "a config value was run as shell"
[ ! -e "$TMP/connect-args" ] && ok "--print-command and the refusals ran no camrelay-connect" ||
	fail "camrelay-connect ran: $(cat "$TMP/connect-args")"

# --- the reconnect schedule, with stand-ins: ssh fails at once, sleep only
# logs (so the schedule runs in no time), date is real.
mkdir "$TMP/bin"
cat >"$TMP/bin/ssh" <<EOF
#!/bin/sh
echo "\$*" >>"$TMP/ssh-ran"
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
# shellcheck disable=SC2086  # $base is simple words
PATH="$TMP/bin:$PATH" "$TUNNEL" --relay u@relay --transport ssh $base 2>"$TMP/log" &
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

# A stand-in date in $TMP/bin-date whose clock jumps $CLOCK_STEP seconds per call.
mkdir "$TMP/bin-date"
cat >"$TMP/bin-date/date" <<EOF
#!/bin/sh
n=\$(cat "$TMP/clock" 2>/dev/null || echo 1000)
echo \$((n + CLOCK_STEP)) >"$TMP/clock"
echo "\$n"
EOF
chmod +x "$TMP/bin-date/date"

# first_waits DIRS LOG: camrelay-tunnel (transport ssh) with the stand-ins in
# DIRS (':'-separated) first in PATH, until it has waited 4 times: the waits
first_waits() {
	rm -f "$TMP/sleeps"
	# shellcheck disable=SC2086  # $base is simple words
	PATH="$1:$TMP/bin:$PATH" "$TUNNEL" --relay u@relay --transport ssh $base 2>"$2" &
	pid=$!
	started "$pid"
	wait_for 10 slept 4
	kill -TERM "$pid"
	wait "$pid"
	head -n 4 "$TMP/sleeps" | tr '\n' ' '
}
# after a connection that lived 60 s or more, back to 1 s: date jumps 100 s per call
sched=$(CLOCK_STEP=100 first_waits "$TMP/bin-date" "$TMP/log2")
[ "$sched" = "1 1 1 1 " ] && ok "backoff reset after long-lived connections: $sched" || fail "reset schedule '$sched'"

# after connections the relay authenticated (ssh ran its LocalCommand) that
# ended at once (the port still held after a drop): one connection without
# the -R right away (its session on the relay ends the camera's earlier
# connection; at most once a minute, bounded by a 10 s timer), a new try at
# once, then waits of at most 2 s
mkdir "$TMP/bin-held"
cat >"$TMP/bin-held/ssh" <<'EOF'
#!/bin/sh
echo "$*" >>"$(dirname "$0")/calls"
for a in "$@"; do
	case $a in
		LocalCommand=*) sh -c "${a#LocalCommand=}" ;;
	esac
done
echo "Error: remote port forwarding failed for listen port 20001" >&2
exit 255
EOF
# the take-over's 10 s bound really waits a moment (the stand-in sleep
# returns at once, and its end would stop the take-over's ssh before it ran)
cat >"$TMP/bin-held/sleep" <<EOF
#!/bin/sh
echo "\$1" >>"$TMP/sleeps"
[ "\$1" = 10 ] && exec /bin/sleep 2
[ "\$(wc -l <"$TMP/sleeps")" -ge 8 ] && exec /bin/sleep 60
exit 0
EOF
chmod +x "$TMP/bin-held/ssh" "$TMP/bin-held/sleep"
sched=$(first_waits "$TMP/bin-held" "$TMP/log-held")
[ "$sched" = "10 1 2 2 " ] && ok "authenticated, then the forward refused: take-over timer, then backoff $sched" ||
	fail "held schedule '$sched'"
calls=$(grep -c . "$TMP/bin-held/calls")
takeovers=$(grep -c "ClearAllForwardings=yes" "$TMP/bin-held/calls")
sed -n 2p "$TMP/bin-held/calls" | grep -q "ClearAllForwardings=yes" && [ "$takeovers" = 1 ] &&
	ok "one take-over connection (ssh drops its -R), second of $calls" ||
	fail "take-over connections: $takeovers of $calls, $(sed -n 2p "$TMP/bin-held/calls")"

# --- auto, when no transport reaches the relay: the probe's one line, the
# same backoff, no ssh started, and one probe per wait (no tight loop)
rm -f "$TMP/sleeps" "$TMP/ssh-ran" "$TMP/connect-args" "$TMP/connect-env"
# shellcheck disable=SC2086  # $base is simple words
PATH="$TMP/bin:$PATH" "$TUNNEL" --config "$TMP/proxy.conf" $base 2>"$TMP/log3" &
pid=$!
started "$pid"
wait_for 10 slept 8
kill -TERM "$pid"
wait_for 5 eval '! running' || fail "camrelay-tunnel ignored SIGTERM while waiting after a failed probe"
sched=$(tr '\n' ' ' <"$TMP/sleeps")
[ "$sched" = "1 2 4 4 4 4 4 4 " ] && ok "auto, probe failing: backoff $sched (at most 4 s)" ||
	fail "auto backoff schedule '$sched'"
probes=$(wc -l <"$TMP/connect-args")
[ "$probes" -ge 8 ] && [ "$probes" -le 9 ] && ok "auto, probe failing: $probes probes for 8 waits" ||
	fail "$probes probes for 8 waits: $(cat "$TMP/connect-args")"
[ ! -e "$TMP/ssh-ran" ] && ok "auto, probe failing: no ssh started" || fail "ssh ran: $(cat "$TMP/ssh-ran")"
grep -qxF "camrelay-tunnel: no transport reaches relay: ssh: timed out; ssh-443: connection refused; trying again in 4s" \
	"$TMP/log3" && ok "auto, probe failing: its line logged once per try" || fail "log: $(cat "$TMP/log3")"
[ "$(grep -c 'no transport reaches' "$TMP/log3")" = "$probes" ] && ok "one log line per failed probe" ||
	fail "log lines per probe: $(cat "$TMP/log3")"
grep -qxF -- "--proxy-env probe relay.example.com 2222 443" "$TMP/connect-args" && ok "probe arguments" ||
	fail "probe arguments: $(head -n 1 "$TMP/connect-args")"
[ "$(sort -u "$TMP/connect-env")" = "${PURL%/}" ] && ok "the probe gets the proxy URL in CAMRELAY_PROXY" ||
	fail "CAMRELAY_PROXY: $(sort -u "$TMP/connect-env")"
! grep -q "$PASS" "$TMP/log3" "$TMP/connect-args" && ok "no password in the log or in camrelay-connect's arguments" ||
	fail "password shown: $(cat "$TMP/log3" "$TMP/connect-args")"

# a proxy that refuses (a wrong password): the long waits, so that the proxy
# is not asked every few seconds
rm -f "$TMP/sleeps"
echo "camrelay-connect: no transport reaches relay: ssh: timed out; ssh+proxy: proxy refused CONNECT: 407 Proxy Authentication Required (check the proxy user and password)" >"$TMP/probe-error"
# shellcheck disable=SC2086  # $base is simple words
PATH="$TMP/bin:$PATH" "$TUNNEL" --config "$TMP/proxy.conf" $base 2>"$TMP/log-407" &
pid=$!
started "$pid"
wait_for 10 slept 6
kill -TERM "$pid"
wait "$pid"
rm -f "$TMP/probe-error"
sched=$(head -n 6 "$TMP/sleeps" | tr '\n' ' ')
[ "$sched" = "1 2 4 8 16 30 " ] && ok "auto, the proxy refusing: backoff $sched" || fail "proxy refusal schedule '$sched'"

# a fixed transport through camrelay-connect is probed alone first: a
# failure is its one line and the backoff, no ssh
rm -f "$TMP/sleeps" "$TMP/ssh-ran" "$TMP/connect-args" "$TMP/connect-env"
# shellcheck disable=SC2086  # $base is simple words
PATH="$TMP/bin:$PATH" "$TUNNEL" --config "$TMP/proxy.conf" $base --transport tls 2>"$TMP/log3b" &
pid=$!
started "$pid"
wait_for 10 slept 3
stop "$pid"
[ "$(sort -u "$TMP/connect-args")" = "--proxy-env --only tls+proxy probe relay.example.com 2222 443" ] &&
	ok "fixed tls+proxy: probed alone" || fail "fixed tls+proxy probes: $(sort -u "$TMP/connect-args")"
[ ! -e "$TMP/ssh-ran" ] && ok "fixed tls+proxy, probe failing: no ssh started" || fail "ssh ran: $(cat "$TMP/ssh-ran")"
grep -qxF "camrelay-tunnel: no transport reaches relay: tls+proxy: connection refused; trying again in 2s" "$TMP/log3b" &&
	ok "fixed tls+proxy, probe failing: one line per try" || fail "log: $(cat "$TMP/log3b")"
# the real camrelay-connect, when built: its one line when nothing answers
# (closed loopback ports, a proxy that is not there)
REAL_CONNECT=$BUILD_DIR/tools/tunnel/camrelay-connect
if [ -x "$REAL_CONNECT" ]; then
	rm -f "$TMP/sleeps"
	printf 'PROXY=http://bob:%s@127.0.0.1:%s\n' "$PASS" "$(free_port)" >"$TMP/closed-proxy.conf"
	# shellcheck disable=SC2086  # $base is simple words
	CAMRELAY_CONNECT=$REAL_CONNECT PATH="$TMP/bin:$PATH" "$TUNNEL" --relay "u@127.0.0.1:$(free_port)" $base \
		--https-port "$(free_port)" --config "$TMP/closed-proxy.conf" 2>"$TMP/log-real" &
	pid=$!
	started "$pid"
	wait_for 20 slept 2
	stop "$pid"
	line=$(head -n 1 "$TMP/log-real")
	[[ $line == "camrelay-tunnel: no transport reaches 127.0.0.1: "*"connection refused"*"; trying again in 1s" &&
		$line == *"tls+proxy"* && $line != *"$PASS"* ]] && ok "real camrelay-connect: $line" ||
		fail "real camrelay-connect's failure: $(cat "$TMP/log-real")"
	# (stopped between a line and its wait: one line more)
	lines=$(grep -c 'no transport reaches' "$TMP/log-real")
	waits=$(wc -l <"$TMP/sleeps")
	[ "$lines" -ge "$waits" ] && [ "$lines" -le $((waits + 1)) ] &&
		ok "real camrelay-connect: one line per try" || fail "$waits waits, log: $(cat "$TMP/log-real")"
else
	say "camrelay-connect is not built: its own messages not checked"
fi

touch "$TMP/open"
rm -f "$TMP/sleeps"
# shellcheck disable=SC2086  # $base is simple words
PATH="$TMP/bin:$PATH" "$TUNNEL" --config "$TMP/proxy.conf" $base --transport tls 2>"$TMP/log3c" &
pid=$!
started "$pid"
wait_for 10 slept 2
stop "$pid"
grep -qF "ProxyCommand=$CONNECT --proxy-env tls %h %p -p 443" "$TMP/ssh-ran" && ok "fixed tls+proxy, probe answering: ssh" ||
	fail "fixed tls+proxy: ssh $(cat "$TMP/ssh-ran" 2>/dev/null)"
rm "$TMP/open"

# auto: a transport that answered the probe but whose connection ended
# after ssh's ConnectTimeout (15 s) and within 60 s is left out of the next
# probes; once every one is, all are probed again. date jumps 20 s per call.
rm -f "$TMP/sleeps" "$TMP/connect-args" "$TMP/ssh-ran"
echo ssh-443 >"$TMP/probe-says"
touch "$TMP/open"
# shellcheck disable=SC2086  # $base is simple words
CLOCK_STEP=20 PATH="$TMP/bin-date:$TMP/bin:$PATH" "$TUNNEL" --relay cam@relay.example.com $base --retry-better 0 \
	2>"$TMP/log-avoid" &
pid=$!
started "$pid"
wait_for 10 slept 4
stop "$pid"
probes=$(head -n 4 "$TMP/connect-args" | sed 's/ *probe relay.example.com 22 443$//' | tr '\n' '/')
[ "$probes" = "/--only ssh,tls/--only tls//" ] && ok "a transport that did not hold is left out until none is left" ||
	fail "probes: $(cat "$TMP/connect-args")"
grep -qxF "camrelay-tunnel: tunnel down (ssh exit status 255 after 20s); reconnecting in 1s; ssh-443 answered the probe but did not hold: left out for an hour" \
	"$TMP/log-avoid" && ok "one line says which transport is left out" || fail "log: $(cat "$TMP/log-avoid")"
rm -f "$TMP/open" "$TMP/probe-says"

# --- auto picks a transport, and moves to a better one once it answers.
# ssh stays up (a stand-in that sleeps), sleep is real, RETRY_BETTER=1.
mkdir "$TMP/bin-up"
cat >"$TMP/bin-up/ssh" <<EOF
#!/bin/sh
echo "\$*" >>"$TMP/ssh-up"
echo "\${CAMRELAY_PROXY-unset} SHELL=\$SHELL" >>"$TMP/ssh-env"
exec sleep 60
EOF
chmod +x "$TMP/bin-up/ssh"
rm -f "$TMP/connect-args" "$TMP/connect-env"
echo tls+proxy >"$TMP/probe-says"
# shellcheck disable=SC2086  # $base is simple words
PATH="$TMP/bin-up:$PATH" SHELL=/usr/sbin/nologin "$TUNNEL" --config "$TMP/proxy.conf" $base --retry-better 1 \
	2>"$TMP/log4" &
pid=$!
started "$pid"
ssh_runs() { [ "$(cat "$TMP/ssh-up" 2>/dev/null | wc -l)" -ge "$1" ]; }
only_probes() { [ "$(grep -c -- '--only' "$TMP/connect-args" 2>/dev/null)" -ge "$1" ]; }
wait_for 10 ssh_runs 1 || die "auto: no ssh started: $(cat "$TMP/log4")"
grep -qF "ProxyCommand=$CONNECT --proxy-env tls %h %p -p 443" "$TMP/ssh-up" && ok "auto: ssh started on tls+proxy" ||
	fail "auto's ssh: $(cat "$TMP/ssh-up")"
grep -qxF "camrelay-tunnel: using tls+proxy (SSH inside TLS to port 443 through the proxy proxy.example:3128): connecting to relay.example.com as cam: relay 127.0.0.1:20001 -> localhost:9001" \
	"$TMP/log4" && ok "auto: one line names the transport" || fail "log: $(cat "$TMP/log4")"
[ "$(cat "$TMP/ssh-env")" = "${PURL%/} SHELL=/bin/sh" ] &&
	ok "ssh gets the proxy in CAMRELAY_PROXY and runs ProxyCommand with /bin/sh" || fail "ssh's environment: $(cat "$TMP/ssh-env")"
wait_for 10 only_probes 2 && ok "auto on tls+proxy: the better transports probed again" || fail "no --only probe"
grep -qxF -- "--proxy-env --only ssh,ssh-443,tls,ssh+proxy,ssh-443+proxy probe relay.example.com 2222 443" \
	"$TMP/connect-args" && ok "--only: every better candidate" || fail "--only probe: $(cat "$TMP/connect-args")"
ssh_runs 2 && fail "ssh restarted while no better transport answered"
kill -TERM "$pid"
wait_for 5 eval '! running' && ok "SIGTERM with a watcher: stopped" || fail "no stop with a watcher"
tail -n 1 "$TMP/log4" | grep -q "stopped" || fail "last log line: $(tail -n 1 "$TMP/log4")"
! grep -q "$PASS" "$TMP/log4" "$TMP/connect-args" "$TMP/ssh-up" && ok "no password in the log or a command line" ||
	fail "password shown"

# ssh-443, then port 22 opens: the watcher's probe answers, one line, and
# ssh moves to the plain command without another probe
rm -f "$TMP/connect-args" "$TMP/ssh-up" "$TMP/ssh-env"
echo ssh-443 >"$TMP/probe-says"
# shellcheck disable=SC2086  # $base is simple words
PATH="$TMP/bin-up:$PATH" "$TUNNEL" --relay cam@relay.example.com:2222 $base --retry-better 1 2>"$TMP/log5" &
pid=$!
started "$pid"
wait_for 10 ssh_runs 1 || die "auto: no ssh started: $(cat "$TMP/log5")"
grep -qF -- "-o HostKeyAlias=[relay.example.com]:2222 -p 443 -l cam -- relay.example.com" "$TMP/ssh-up" &&
	ok "auto: ssh-443, the host key pinned under RELAY's name" || fail "ssh-443: $(cat "$TMP/ssh-up")"
wait_for 10 only_probes 2 || fail "no --only probe on ssh-443"
grep -qxF -- "--only ssh probe relay.example.com 2222 443" "$TMP/connect-args" && ok "--only ssh" ||
	fail "--only: $(cat "$TMP/connect-args")"
touch "$TMP/open"
wait_for 10 ssh_runs 2 && ok "port 22 open: ssh restarted" || fail "no move to ssh: $(cat "$TMP/log5")"
# the same command but for the private directory of LocalCommand's mark
private_dir() { sed -E 's#LocalCommand=touch [^ ]+/held#LocalCommand=touch DIR/held#'; }
[ "$(sed -n 2p "$TMP/ssh-up" | private_dir)" = "$(tunnel --relay cam@relay.example.com:2222 --transport ssh | sed 's/^ssh //' | private_dir)" ] &&
	ok "moved to the plain ssh command" || fail "second ssh: $(sed -n 2p "$TMP/ssh-up")"
grep -qx "camrelay-tunnel: ssh (SSH to port 2222) reaches the relay now: leaving ssh-443 after [0-9]*s to reconnect on it" "$TMP/log5" &&
	ok "one line says why" || fail "log: $(cat "$TMP/log5")"
probes=$(grep -vc -- '--only' "$TMP/connect-args")
[ "$probes" = 1 ] && ok "no second full probe: the watcher's answer is used" || fail "$probes full probes"
grep -q "tunnel down" "$TMP/log5" && fail "a move is not a tunnel down: $(cat "$TMP/log5")"
n=$(grep -c -- '--only' "$TMP/connect-args")
sleep 2.5
[ "$(grep -c -- '--only' "$TMP/connect-args")" = "$n" ] && ok "on the best transport: no more probes" ||
	fail "probes go on on ssh: $(cat "$TMP/connect-args")"
ssh_runs 3 && fail "ssh restarted again: $(cat "$TMP/ssh-up")"
stop "$pid"

# --- tuning, running (stand-ins for ssh and sleep as above)
# not root, and the congestion control is not allowed (or not loaded): one
# line, and the tunnel runs without it
mkdir "$TMP/notroot"
printf '#!/bin/sh\necho 1000\n' >"$TMP/notroot/id"
chmod +x "$TMP/notroot/id"
rm -f "$TMP/sleeps" "$TMP/ssh-ran"
run_tuned() {
	PATH="$TMP/notroot:$TMP/bin:$PATH" "$TUNNEL" --identity "$TMP/key" --known-hosts "$TMP/kh" --listen 20001 \
		--relay cam@relay.example.com --transport ssh "$@" 2>"$TMP/log-tuned" &
	pid=$!
	started "$pid"
	wait_for 10 slept 2
	stop "$pid"
}
cmd=$(PATH="$TMP/notroot:$PATH" tuned --relay cam@relay.example.com --transport ssh)
has "-o ProxyCommand=$CONNECT $T --fdpass tcp %h %p"
[ ! -s "$TMP/tuned.err" ] && ok "--print-command logs nothing" || fail "--print-command logged: $(cat "$TMP/tuned.err")"
run_tuned
[ "$(grep -c "congestion" "$TMP/log-tuned")" = 1 ] &&
	grep -qxF "camrelay-tunnel: congestion control bbr is not allowed to unprivileged processes (net.ipv4.tcp_allowed_congestion_control: reno cubic); the camrelay-tunnel@ unit allows it with --allow-congestion: the tunnel uses cubic" "$TMP/log-tuned" &&
	ok "bbr not allowed: one line" || fail "bbr not allowed: $(cat "$TMP/log-tuned")"
grep -q -- "ProxyCommand=$CONNECT $T --fdpass tcp" "$TMP/ssh-ran" && ok "bbr not allowed: ssh runs, tuned without it" ||
	fail "ssh: $(cat "$TMP/ssh-ran")"
rm -f "$TMP/sleeps"
run_tuned --congestion vegas
[ "$(grep -c "congestion" "$TMP/log-tuned")" = 1 ] &&
	grep -qxF "camrelay-tunnel: congestion control vegas is not loaded (module tcp_vegas; the camrelay-tunnel@ unit loads it): the tunnel uses cubic" "$TMP/log-tuned" &&
	ok "a congestion control not loaded: one line" || fail "vegas: $(cat "$TMP/log-tuned")"
# --allow-congestion (the unit's root ExecStartPre): adds CONGESTION to the
# allowed list, nothing else, once; nothing for system; never fails
printf 'RELAY=cam@relay.example.com\n' >"$TMP/allow.conf"
out=$("$TUNNEL" --config "$TMP/allow.conf" --allow-congestion 2>&1) && ok "--allow-congestion: exit 0" ||
	fail "--allow-congestion: $out"
[ "$(cat "$CAMRELAY_CC_SYSCTL/tcp_allowed_congestion_control")" = "reno cubic bbr" ] &&
	[ "$(cat "$CAMRELAY_CC_SYSCTL/tcp_congestion_control")" = cubic ] &&
	ok "--allow-congestion: bbr allowed, the default unchanged" ||
	fail "allowed: $(cat "$CAMRELAY_CC_SYSCTL/tcp_allowed_congestion_control")"
[ "$out" = "camrelay-tunnel: congestion control bbr allowed to unprivileged processes (net.ipv4.tcp_allowed_congestion_control: reno cubic bbr)" ] &&
	ok "--allow-congestion: one line" || fail "--allow-congestion said: $out"
out=$("$TUNNEL" --config "$TMP/allow.conf" --allow-congestion 2>&1)
[ -z "$out" ] && [ "$(cat "$CAMRELAY_CC_SYSCTL/tcp_allowed_congestion_control")" = "reno cubic bbr" ] &&
	ok "--allow-congestion again: nothing to do" || fail "again: $out"
echo "reno cubic" >"$CAMRELAY_CC_SYSCTL/tcp_allowed_congestion_control"
out=$("$TUNNEL" --config "$TMP/allow.conf" --congestion system --allow-congestion 2>&1)
[ -z "$out" ] && [ "$(cat "$CAMRELAY_CC_SYSCTL/tcp_allowed_congestion_control")" = "reno cubic" ] &&
	ok "--allow-congestion with system: nothing" || fail "system: $out"
out=$(PATH=/usr/bin:/bin "$TUNNEL" --config "$TMP/allow.conf" --congestion nosuchcc --allow-congestion 2>&1) &&
	[ "$out" = "camrelay-tunnel: congestion control nosuchcc: the kernel has no such module (tcp_nosuchcc); the tunnel uses the system's" ] &&
	[ "$(cat "$CAMRELAY_CC_SYSCTL/tcp_allowed_congestion_control")" = "reno cubic" ] &&
	ok "--allow-congestion, no such module: one line, exit 0, nothing changed" || fail "nosuchcc: $out"

kit_finish
