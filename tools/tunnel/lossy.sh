#!/usr/bin/env bash
# tools/tunnel/lossy.sh: the tunnel's socket tuning measured over an emulated
# WAN. A camera and a relay network namespace joined by wanem
# (tests/wan/wanem.cpp, user space: this kernel may have no sch_netem), both
# with cubic as their default congestion control (a Debian or Raspberry Pi
# OS camera's); the relay's sshd (a throwaway config, the camera's key with
# a forced command that holds the session); on the camera `camrelay-bench
# serve` and the real camrelay-tunnel (transport ssh) with the settings of
# each variant, or the article's `ssh -N -R`; a viewer (`camrelay-bench
# run`) in the relay namespace straight at the tunnel's port. Per variant,
# a fresh tunnel and: one viewer of a 4 Mbit/s stream of 16 KiB messages
# with 30 small upstream messages a second (delivered Mbit/s, one-way
# latency: one clock), then 100-byte round trips; optionally the link goes
# down for DROP seconds and the time from its return until a viewer gets an
# echo is measured.
#
# Usage: tools/tunnel/lossy.sh PROFILE VARIANT...
#   PROFILE  wanem's, both ways (tests/wan/wan_link.hpp), e.g.
#            "delay=40ms,jitter=10ms,loss=1%"; or AB/BA (camera->relay/back)
#   VARIANT  article, or camrelay-tunnel's settings as KEY=VALUE,KEY=VALUE
#            (CONGESTION, SEND_QUEUE, DEAD_AFTER), e.g.
#            "CONGESTION=bbr,SEND_QUEUE=131072"; "default": none
# Environment: BUILD_DIR (build), SECONDS_LOAD (20), MBPS (4), RTTS (100),
# SERVE_ARGS (more `camrelay-bench serve` options: --max-queue, --adapt),
# DROP (0: no link drop), OUT (a directory for the JSON results).
# Prints one line per variant. Needs root, ip, /dev/net/tun, sshd, jq.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
BUILD_DIR=${BUILD_DIR:-$top/build}
BENCH=$BUILD_DIR/tools/camrelay-bench/camrelay-bench
WANEM=$BUILD_DIR/tests/wan/wanem
export CAMRELAY_CONNECT=$BUILD_DIR/tools/tunnel/camrelay-connect
TUNNEL=$top/tools/tunnel/camrelay-tunnel
SECONDS_LOAD=${SECONDS_LOAD:-20}
MBPS=${MBPS:-4}
RTTS=${RTTS:-100}
DROP=${DROP:-0}
[ $# -ge 2 ] || { sed -n '2,/^set -u/p' "$0" | sed 's/^# \{0,1\}//;$d'; exit 2; }
[ "$(id -u)" = 0 ] || { echo "lossy.sh: needs root" >&2; exit 2; }
for f in "$BENCH" "$WANEM" "$CAMRELAY_CONNECT"; do [ -x "$f" ] || { echo "lossy.sh: $f is not built" >&2; exit 2; }; done
PROFILE=$1
shift
case $PROFILE in
	*/*) AB=${PROFILE%%/*} BA=${PROFILE#*/} ;;
	*) AB=$PROFILE BA=$PROFILE ;;
esac

ID=crlossy$$
CAM=$ID-cam
REL=$ID-rel
CAM_ADDR=10.79.0.2
REL_ADDR=10.79.0.1
TMP=$(mktemp -d /tmp/lossy.XXXXXX)
OUT=${OUT:-$TMP/res}
mkdir -p "$OUT"
PIDS=()
cleanup() {
	local p
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
	sleep 0.3
	for p in "${PIDS[@]}"; do kill -KILL "$p" 2>/dev/null; done
	ip netns pids "$CAM" 2>/dev/null | xargs -r kill -KILL 2>/dev/null
	ip netns pids "$REL" 2>/dev/null | xargs -r kill -KILL 2>/dev/null
	ip netns del "$CAM" 2>/dev/null
	ip netns del "$REL" 2>/dev/null
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
cam() { ip netns exec "$CAM" "$@"; }
rel() { ip netns exec "$REL" "$@"; }
wait_for() { # SECONDS COMMAND...
	local end=$((SECONDS + $1))
	shift
	until "$@"; do
		[ "$SECONDS" -lt "$end" ] || return 1
		sleep 0.1
	done
}

ip netns add "$CAM" && ip netns add "$REL" || exit 1
# cubic as each namespace's default, as tests/wan's lab sets it
# shellcheck source=../../tests/wan/lib.sh
source "$top/tests/wan/lib.sh"
for ns in "$CAM" "$REL"; do
	ip netns exec "$ns" ip link set lo up
	wan_set_cc "$ns" cubic || { echo "lossy.sh: cannot make cubic $ns's default" >&2; exit 1; }
done
"$WANEM" --a "$CAM:wan0:$CAM_ADDR" --b "$REL:wan0:$REL_ADDR" --ab "$AB" --ba "$BA" --control "$TMP/wan.control" \
	>"$TMP/wanem.out" 2>"$TMP/wanem.log" &
PIDS+=($!)
wait_for 10 grep -qs "wanem: ready" "$TMP/wanem.out" || { cat "$TMP/wanem.log" >&2; exit 1; }

# The relay's sshd: the camera's key, a forced command that holds the session.
ssh-keygen -q -t ed25519 -N '' -f "$TMP/hostkey"
ssh-keygen -q -t ed25519 -N '' -f "$TMP/cam.key"
printf 'command="exec sleep 100000",no-pty,no-agent-forwarding,no-X11-forwarding %s\n' "$(cat "$TMP/cam.key.pub")" \
	>"$TMP/authorized_keys"
chmod 600 "$TMP/authorized_keys"
cat >"$TMP/sshd_config" <<EOF
ListenAddress $REL_ADDR:2222
HostKey $TMP/hostkey
PidFile none
AuthorizedKeysFile $TMP/authorized_keys
PermitRootLogin prohibit-password
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
AllowTcpForwarding remote
ClientAliveInterval 5
ClientAliveCountMax 3
EOF
rel /usr/sbin/sshd -D -e -f "$TMP/sshd_config" 2>"$TMP/sshd.log" &
PIDS+=($!)
printf '[%s]:2222 %s\n' "$REL_ADDR" "$(cut -d' ' -f1,2 "$TMP/hostkey.pub")" >"$TMP/known_hosts"

# The camera's program.
# shellcheck disable=SC2086  # SERVE_ARGS: words
cam "$BENCH" serve --listen 127.0.0.1:9001 --mode echo ${SERVE_ARGS:-} >"$TMP/camera.out" 2>"$TMP/camera.log" &
PIDS+=($!)
wait_for 10 grep -qs "serving on" "$TMP/camera.out" || { cat "$TMP/camera.log" >&2; exit 1; }

port_open() { rel bash -c "exec 3<>/dev/tcp/127.0.0.1/$1" 2>/dev/null; }
echo_ok() {
	rel "$BENCH" run "ws://127.0.0.1:$1/" --mode rtt --size 100 --count 1 --warmup 0 --connect-timeout 10 \
		--timeout 10 >/dev/null 2>&1
}
# Queued towards the relay on the camera (its TCP send queues).
queued() { cam ss -Htn state established dst "$REL_ADDR" | awk '{ s += $2 } END { printf "%d\n", s }'; }
drained() { [ "$(queued)" -le 20000 ]; }
# Every 0.5 s during a load, the queues on the camera that ss sees, in bytes
# (the last line: their maxima): the tunnel's socket towards the relay (sent
# and unsent), the camera program's socket to ssh (its send queue) and ssh's
# end of it (its receive queue). What the viewer waits for beyond these is
# in ssh's own buffers (up to the SSH channel's window).
sample_queues() {
	local t=0 a b c
	: >"$1"
	while :; do
		a=$(queued)
		b=$(cam ss -Htn state established '( sport = :9001 )' | awk '{ s += $2 } END { printf "%d", s }')
		c=$(cam ss -Htn state established '( dport = :9001 )' | awk '{ s += $1 } END { printf "%d", s }')
		echo "$t $a $b $c" >>"$1"
		sleep 0.5
		t=$((t + 1))
	done
}

printf '%-40s %9s %9s %9s %9s %9s %9s %s\n' variant Mbit/s "p50 ms" "p99 ms" "rtt p50" "rtt p99" dropped "reconnect s"
port=20100
for variant in "$@"; do
	port=$((port + 1))
	if [ "$variant" = article ]; then
		cam ssh -F /dev/null -N -i "$TMP/cam.key" -o UserKnownHostsFile="$TMP/known_hosts" -o BatchMode=yes \
			-o ServerAliveInterval=10 -o ServerAliveCountMax=2 -o ExitOnForwardFailure=yes \
			-R "127.0.0.1:$port:127.0.0.1:9001" -p 2222 "root@$REL_ADDR" 2>"$TMP/tunnel-$port.log" &
	else
		args=()
		if [ "$variant" != default ]; then
			IFS=, read -r -a kv <<<"$variant"
			for x in "${kv[@]}"; do
				key=${x%%=*}
				args+=("--$(tr 'A-Z_' 'a-z-' <<<"$key")" "${x#*=}")
			done
		fi
		cam "$TUNNEL" --relay "root@$REL_ADDR:2222" --identity "$TMP/cam.key" --known-hosts "$TMP/known_hosts" \
			--listen "$port" --target 127.0.0.1:9001 --transport ssh "${args[@]}" 2>"$TMP/tunnel-$port.log" &
	fi
	tpid=$!
	PIDS+=("$tpid")
	if ! wait_for 60 echo_ok "$port"; then
		echo "$variant: no tunnel: $(cat "$TMP/tunnel-$port.log")" >&2
		continue
	fi
	name=$(tr '/ ' '__' <<<"$variant")
	sample_queues "$OUT/queues-$name.txt" &
	sampler=$!
	rel "$BENCH" run "ws://127.0.0.1:$port/" --mode load --viewers 1 --mbps "$MBPS" --size 16K \
		--upstream-hz 30 --duration "$SECONDS_LOAD" --timeout $((SECONDS_LOAD + 120)) --json \
		>"$OUT/load-$name.json" 2>"$OUT/load-$name.err"
	kill "$sampler" 2>/dev/null
	wait "$sampler" 2>/dev/null
	wait_for 90 drained || echo "$variant: the camera still holds $(queued) bytes after 90 s" >&2
	rel "$BENCH" run "ws://127.0.0.1:$port/" --mode rtt --size 100 --count "$RTTS" --warmup 5 --json \
		>"$OUT/rtt-$name.json" 2>"$OUT/rtt-$name.err"
	back=-
	if [ "$DROP" -gt 0 ]; then
		echo down >"$TMP/wan.control"
		sleep "$DROP"
		echo up >"$TMP/wan.control"
		t0=$EPOCHREALTIME
		if wait_for 120 echo_ok "$port"; then
			back=$(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }')
		else
			back=">120"
		fi
	fi
	printf '%s\n' "$back" >"$OUT/reconnect-$name.txt"
	cp "$TMP/tunnel-$port.log" "$OUT/tunnel-$name.log"
	awk '{ for (i = 2; i <= 4; i++) if ($i > m[i]) m[i] = $i }
		END { printf "  queues on the camera (max, KiB): tunnel socket %d, camera program -> ssh %d + %d\n",
		      m[2] / 1024, m[3] / 1024, m[4] / 1024 }' "$OUT/queues-$name.txt" >"$OUT/queues-$name.max"
	jq -r --arg v "$variant" --arg back "$back" --slurpfile rtt "$OUT/rtt-$name.json" \
		'[$v, .received_mbps_per_viewer, .latency_ms.p50, .latency_ms.p99,
		  $rtt[0].latency_ms.p50, $rtt[0].latency_ms.p99, (.camera.dropped // 0), $back] | @tsv' \
		"$OUT/load-$name.json" 2>/dev/null |
		awk -F'\t' '{ printf "%-40s %9.2f %9.0f %9.0f %9.0f %9.0f %9s %s\n", $1, $2, $3, $4, $5, $6, $7, $8 }' ||
		echo "$variant: see $OUT/load-$name.json"
	cat "$OUT/queues-$name.max"
	kill "$tpid" 2>/dev/null
	wait "$tpid" 2>/dev/null
done
