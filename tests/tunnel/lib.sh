# Shared by the tunnel tests (sourced, POSIX sh). Everything runs on loopback
# and is undone on exit: a throwaway forwarding account, a private sshd on a
# free port with the real drop-in (adapted to the test's paths), and every
# process the test started.
#
# Needs (from ctest): SOURCE_DIR, BUILD_DIR. Must run as root (useradd, sshd).

set -u

SSHD=/usr/sbin/sshd
TOOLS=$SOURCE_DIR/tools/tunnel
TUNNEL=$TOOLS/camrelay-tunnel
SESSION=$BUILD_DIR/tools/tunnel/camrelay-session
SETUP=$BUILD_DIR/tools/tunnel/camrelay-ssh-setup
PROBE=$BUILD_DIR/tests/tunnel/tunnel_probe
CAMRELAY=$BUILD_DIR/tools/camrelay/camrelay

T_NAME=${0##*/}
T_NAME=${T_NAME%.sh}
T_PIDS=
T_USER=
T_SSHD_PID=
T_FAILED=0

say() { printf '%s: %s\n' "$T_NAME" "$*" >&2; }
fail() {
	say "FAIL: $*"
	T_FAILED=1
}
die() {
	say "FAIL: $*"
	exit 1
}
skip() {
	say "SKIP: $*"
	exit 77
}
ok() { say "ok: $*"; }

# Tests that run sshd call this first.
need_sshd() {
	[ "$(id -u)" = 0 ] || skip "needs root (useradd, sshd)"
	[ -x "$SSHD" ] || skip "openssh-server is not installed"
	command -v ssh >/dev/null || skip "openssh-client is not installed"
}

for f in "$SESSION" "$SETUP" "$PROBE" "$CAMRELAY"; do
	[ -x "$f" ] || die "$f is not built"
done

# sshd's StrictModes refuses an authorized_keys file below a world-writable
# directory such as /tmp, and the build tree may well be below one (a CI
# clone in /tmp). As root the test directory goes under /run, whose every
# ancestor is root's and 0755; otherwise (tests that need no sshd) under
# the build tree.
if [ "$(id -u)" = 0 ]; then
	T_BASE=/run/camrelay-tests
else
	T_BASE=$BUILD_DIR/tests/tunnel/run
fi
mkdir -p "$T_BASE" && chmod 0755 "$T_BASE" || die "mkdir $T_BASE"
T_ROOT=$(mktemp -d "$T_BASE/$T_NAME.XXXXXX") || die "mktemp"
chmod 0755 "$T_ROOT"
export CAMRELAY_CONFIG="$T_ROOT/etc"
export CAMRELAY_SESSION_PROGRAM="$SESSION"

# Remember a process to stop on exit.
track() { T_PIDS="$T_PIDS $1"; }

children_of() {
	for _s in /proc/[0-9]*/stat; do
		# field 4 is the parent pid; the name (field 2) has no blanks for sshd
		read -r _pid _comm _state _ppid _rest 2>/dev/null <"$_s" || continue
		[ "$_ppid" = "$1" ] && echo "$_pid"
	done
	return 0
}

# Stop a process and, first, its descendants (sshd's connection processes).
stop_tree() {
	for _c in $(children_of "$1"); do
		stop_tree "$_c"
	done
	kill -CONT "$1" 2>/dev/null
	kill -TERM "$1" 2>/dev/null
	return 0
}

cleanup() {
	_rc=$?
	set +e
	for _p in $T_PIDS; do
		stop_tree "$_p"
	done
	[ -n "$T_SSHD_PID" ] && stop_tree "$T_SSHD_PID"
	sleep 0.3
	for _p in $T_PIDS $T_SSHD_PID; do
		kill -KILL "$_p" 2>/dev/null
	done
	if [ -n "$T_USER" ]; then
		# the account's sessions belong to our sshd and are gone with it
		_i=0
		while ! userdel "$T_USER" 2>/dev/null && [ $_i -lt 20 ]; do
			sleep 0.2
			_i=$((_i + 1))
		done
		getent passwd "$T_USER" >/dev/null && say "could not remove test user $T_USER"
	fi
	if [ "$_rc" != 0 ] || [ "$T_FAILED" != 0 ]; then
		for _l in "$T_ROOT"/*.log; do
			[ -f "$_l" ] || continue
			echo "----- ${_l##*/}" >&2
			tail -n 40 "$_l" >&2
		done
	fi
	if [ -n "${KEEP_TEST_DIR:-}" ]; then
		say "kept $T_ROOT"
	else
		rm -rf "$T_ROOT"
		rmdir "$T_BASE" 2>/dev/null  # when no other test is using it
	fi
	[ "$_rc" = 0 ] && [ "$T_FAILED" != 0 ] && _rc=1
	exit "$_rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Poll a shell condition until it holds or `seconds` pass.
wait_until() {
	_deadline=$(($(date +%s) + $1))
	shift
	while ! "$@"; do
		[ "$(date +%s)" -ge "$_deadline" ] && return 1
		sleep 0.1
	done
	return 0
}

port_in_use() { "$PROBE" in-use "$1"; }
# hold_port PORT SECONDS: something else listening on the port
hold_port() {
	"$PROBE" listen "$1" "$2" &
	track $!
	wait_until 5 port_in_use "$1" || die "could not listen on $1"
}
port_free() { ! "$PROBE" in-use "$1"; }
free_port() { "$PROBE" free-port; }

# --- the relay's sshd

# cam CAMRELAY-ARGS...: the camrelay command on the test's configuration
cam() { "$CAMRELAY" "$@"; }

# setup_relay: create the throwaway account with camrelay-ssh-setup, a host
# key, and the sshd configuration built from the real drop-in.
setup_relay() {
	need_sshd
	T_USER="crt$$"
	"$SETUP" --user "$T_USER" --config-dir "$CAMRELAY_CONFIG" --session "$SESSION" >"$T_ROOT/setup.log" 2>&1 ||
		die "camrelay-ssh-setup failed: $(cat "$T_ROOT/setup.log")"
	AUTH_KEYS=$CAMRELAY_CONFIG/ssh/authorized_keys
	ssh-keygen -q -t ed25519 -N '' -C relay-host -f "$T_ROOT/hostkey" || die "ssh-keygen"
	# sshd needs its privilege separation directory
	[ -d /run/sshd ] || mkdir -m 0755 /run/sshd
	SSHD_PORT=$(free_port)
	# The real drop-in with the test's account and key file, and a short
	# ClientAlive period so that a dead camera is dropped within seconds.
	sed -e "s/^Match User camrelay-cam\$/Match User $T_USER/" \
		-e "s|/etc/camrelay/ssh/authorized_keys|$AUTH_KEYS|" \
		-e "s/^\([[:space:]]*ClientAliveInterval\) .*/\1 ${CLIENT_ALIVE:-1}/" \
		"$TOOLS/sshd_config.d/camrelay.conf" >"$T_ROOT/camrelay.conf"
	grep -q "Match User $T_USER" "$T_ROOT/camrelay.conf" &&
		grep -q "ClientAliveInterval ${CLIENT_ALIVE:-1}\$" "$T_ROOT/camrelay.conf" || die "drop-in not adapted"
	# Debian's sshd_config after its Include line, so the test also shows that
	# the drop-in's values win over the global ones.
	cat >"$T_ROOT/sshd_config" <<EOF
Include $T_ROOT/camrelay.conf
Port $SSHD_PORT
ListenAddress 127.0.0.1
HostKey $T_ROOT/hostkey
PidFile $T_ROOT/sshd.pid
AllowUsers $T_USER
UsePAM no
StrictModes yes
LogLevel VERBOSE
KbdInteractiveAuthentication no
X11Forwarding yes
PrintMotd no
AcceptEnv LANG LC_*
Subsystem sftp /usr/lib/openssh/sftp-server
EOF
	"$SSHD" -t -f "$T_ROOT/sshd_config" || die "sshd -t refused the configuration"
	RELAY_KNOWN_HOSTS=$T_ROOT/known_hosts
	printf '[127.0.0.1]:%s %s\n' "$SSHD_PORT" "$(cut -d' ' -f1,2 "$T_ROOT/hostkey.pub")" >"$RELAY_KNOWN_HOSTS"
}

start_sshd() {
	"$SSHD" -D -e -f "$T_ROOT/sshd_config" >>"$T_ROOT/sshd.log" 2>&1 &
	T_SSHD_PID=$!
	wait_until 10 port_in_use "$SSHD_PORT" || die "sshd did not start"
}

stop_sshd() {
	stop_tree "$T_SSHD_PID"
	wait "$T_SSHD_PID" 2>/dev/null
	T_SSHD_PID=
	wait_until 10 port_free "$SSHD_PORT" || die "sshd did not stop"
}

# add_camera NAME [camrelay camera add options...]: a camera with its own new
# key, the relay as the test's sshd. The command's output goes to
# $T_ROOT/add-NAME.out; sets CAM_PORT to the camera's tunnel port.
add_camera() {
	_name=$1
	shift
	new_key "$_name"
	cam camera add "$_name" --ssh-key "$T_ROOT/$_name.key.pub" --ssh-user "$T_USER" \
		--relay "127.0.0.1:$SSHD_PORT" --relay-host-key "$T_ROOT/hostkey.pub" "$@" \
		>"$T_ROOT/add-$_name.out" 2>&1 || die "camera add $_name failed: $(cat "$T_ROOT/add-$_name.out")"
	CAM_PORT=$(sed -n 's/^LISTEN=//p' "$T_ROOT/add-$_name.out")
	[ -n "$CAM_PORT" ] || die "camera add $_name printed no LISTEN="
}

# new_key NAME: a camera key pair $T_ROOT/NAME.key(.pub)
new_key() {
	ssh-keygen -q -t ed25519 -N '' -C "$1@camera" -f "$T_ROOT/$1.key" || die "ssh-keygen"
}

# ssh_as NAME [ssh options...] [-- COMMAND...]: ssh to the relay with camera
# NAME's key, never prompting, the relay's host key pinned, stdin closed,
# at most 20 s. ssh_bg: the same without time limit, replacing the shell
# that runs it (run it with & and $! is ssh).
ssh_as() {
	(SSH_TIMEOUT=20 ssh_bg "$@")
}
ssh_bg() {
	_key=$1
	shift
	_opts=
	while [ $# -gt 0 ] && [ "$1" != -- ]; do
		_opts="$_opts $1"
		shift
	done
	[ $# -gt 0 ] && shift
	# shellcheck disable=SC2086  # options are simple words
	exec ${SSH_TIMEOUT:+timeout "$SSH_TIMEOUT"} ssh -F /dev/null -T -o BatchMode=yes -o IdentitiesOnly=yes \
		-o IdentityAgent=none -i "$T_ROOT/$_key.key" -o StrictHostKeyChecking=yes \
		-o UserKnownHostsFile="$RELAY_KNOWN_HOSTS" -o GlobalKnownHostsFile=/dev/null -o ConnectTimeout=10 \
		-p "$SSHD_PORT" -l "$T_USER" $_opts 127.0.0.1 "$@" </dev/null
}

# start_tunnel NAME PORT [TARGET]: camrelay-tunnel for camera key NAME,
# logging to $T_ROOT/tunnel-NAME.log; sets TUNNEL_PID.
start_tunnel() {
	"$TUNNEL" --relay "$T_USER@127.0.0.1:$SSHD_PORT" --identity "$T_ROOT/$1.key" \
		--known-hosts "$RELAY_KNOWN_HOSTS" --listen "$2" --target "${3:-127.0.0.1:9}" \
		2>>"$T_ROOT/tunnel-$1.log" &
	TUNNEL_PID=$!
	track "$TUNNEL_PID"
}

# The ssh process of a camrelay-tunnel (its child).
tunnel_ssh_pid() {
	for _c in $(children_of "$1"); do
		case $(cat "/proc/$_c/comm" 2>/dev/null) in
			ssh) echo "$_c" && return 0 ;;
		esac
	done
	return 1
}
