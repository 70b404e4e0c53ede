#!/usr/bin/env bash
# tools/tunnel/measure.sh: the SSH leg alone, in one run on loopback: which
# way of running `ssh -R` stalls, and how fast each carries one stream.
#
#   direct      viewer -> camera (camrelay-bench serve)
#   article     ssh -N -R, OpenSSH defaults (chacha20-poly1305): no session,
#               so sshd (before OpenSSH 10.1) never turns Nagle off
#   N-aes       ssh -N -R with aes128-gcm: the cipher alone
#   pty         ssh -tt -R with a forced command holding a terminal
#   camrelay    camrelay-tunnel: a session without a terminal, aes128-gcm
#
# For each: 16 KiB round trips (p50, p99, max, how many over 10 ms) and one
# 64 KiB-message stream (MB/s), medians of REPEAT rounds, each round running
# every path in turn. bench/run.sh measures whole relays (varnishd included).
#
# Usage: SOURCE_DIR=. BUILD_DIR=build tools/tunnel/measure.sh
# Needs root (a throwaway account and sshd: tests/lib/relay_fixture.sh, as
# the tunnel tests), jq, and camrelay-bench, camrelay, camrelay-session
# built in BUILD_DIR.
# Environment: REPEAT (3), RTT_COUNT (1000), STREAM_SECONDS (3).
set -u
: "${SOURCE_DIR:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${BUILD_DIR:=$SOURCE_DIR/build}"
REPEAT=${REPEAT:-3}
RTT_COUNT=${RTT_COUNT:-1000}
STREAM_SECONDS=${STREAM_SECONDS:-3}
BENCH=$BUILD_DIR/tools/camrelay-bench/camrelay-bench

# shellcheck source=../../tests/lib/kit.sh
source "$SOURCE_DIR/tests/lib/kit.sh"
# shellcheck source=../../tests/lib/relay_fixture.sh
source "$SOURCE_DIR/tests/lib/relay_fixture.sh"
[ -x "$BENCH" ] || die "$BENCH is not built"
command -v jq >/dev/null || die "jq is not installed"
why=$(relay_why_not)
[ -z "$why" ] || die "$why"
relay_workdir camrelay-tests

RELAY_CLIENT_ALIVE=1 # as in the tunnel tests
relay_setup
# The pty variant needs a terminal; the drop-in refuses one (the camrelay
# variant does not use it). For this comparison only, allow it.
sed -i 's/^\([[:space:]]*PermitTTY\) no$/\1 yes/' "$TMP/camrelay.conf"
relay_start_sshd

"$BENCH" serve --listen "127.0.0.1:$(free_port)" --mode echo >"$TMP/camera.log" 2>&1 &
started $!
wait_for 5 grep -qs "serving on" "$TMP/camera.log" || die "camera did not start"
CAMPORT=$(sed -n 's/.*serving on 127.0.0.1:\([0-9]*\).*/\1/p' "$TMP/camera.log")

# key_line NAME PORT EXTRA-OPTIONS: an authorized_keys line like camrelay's
key_line() {
	relay_new_key "$1"
	printf 'restrict,port-forwarding%s,permitlisten="127.0.0.1:%s",command="%s %s %s" %s camrelay-camera=%s\n' \
		"$3" "$2" "$CAMRELAY_SESSION" "$1" "$2" "$(cut -d' ' -f1,2 "$TMP/$1.key.pub")" "$1" >>"$AUTH_KEYS"
}

# start_ssh NAME PORT ssh-options...: a tunnel to 127.0.0.1:CAMPORT
start_ssh() {
	local n=$1 p=$2
	shift 2
	ssh -F /dev/null -o BatchMode=yes -o IdentitiesOnly=yes -i "$TMP/$n.key" \
		-o StrictHostKeyChecking=yes -o UserKnownHostsFile="$RELAY_KNOWN_HOSTS" -o ExitOnForwardFailure=yes \
		-p "$SSHD_PORT" -l "$RELAY_USER" "$@" -R "127.0.0.1:$p:127.0.0.1:$CAMPORT" 127.0.0.1 \
		</dev/null >"$TMP/ssh-$n.log" 2>&1 &
	started $!
	wait_for 10 port_in_use "$p" || die "tunnel $n did not come up: $(cat "$TMP/ssh-$n.log")"
}

PATHS="direct article naes pty camrelay"
PORT_article=$(free_port)
PORT_naes=$(free_port)
PORT_pty=$(free_port)
PORT_camrelay=$(free_port)
key_line article "$PORT_article" ""
key_line naes "$PORT_naes" ""
key_line pty "$PORT_pty" ",pty"
key_line camrelay "$PORT_camrelay" ""
start_ssh article "$PORT_article" -N
start_ssh naes "$PORT_naes" -N -o Ciphers=aes128-gcm@openssh.com
start_ssh pty "$PORT_pty" -tt -o Ciphers=aes128-gcm@openssh.com
relay_start_tunnel camrelay "$PORT_camrelay" "127.0.0.1:$CAMPORT"
wait_for 10 port_in_use "$PORT_camrelay" || die "camrelay-tunnel did not come up"

# --- measure, round-robin
r=1
while [ "$r" -le "$REPEAT" ]; do
	for n in $PATHS; do
		case $n in
			direct) p=$CAMPORT ;;
			article) p=$PORT_article ;;
			naes) p=$PORT_naes ;;
			pty) p=$PORT_pty ;;
			camrelay) p=$PORT_camrelay ;;
		esac
		"$BENCH" run "ws://127.0.0.1:$p/" --mode rtt --count "$RTT_COUNT" --json >"$TMP/rtt-$n-$r.json" 2>/dev/null ||
			say "rtt on $n failed"
		"$BENCH" run "ws://127.0.0.1:$p/" --mode stream --duration "$STREAM_SECONDS" --json \
			>"$TMP/stream-$n-$r.json" 2>/dev/null || say "stream on $n failed"
	done
	r=$((r + 1))
done

# median of the REPEAT values of a jq expression over one path's files
median() {
	for f in "$TMP/$1-$2-"*.json; do jq -r "$3 // empty" "$f"; done | sort -g |
		awk '{ v[NR] = $1 } END { if (NR == 0) print "-"; else if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

printf '\nSSH leg only, loopback, OpenSSH %s; medians of %s rounds (%s round trips of 16 KiB, %s s stream of 64 KiB messages)\n\n' \
	"$(ssh -V 2>&1 | sed 's/,.*//')" "$REPEAT" "$RTT_COUNT" "$STREAM_SECONDS"
printf '| %-9s | %9s | %9s | %9s | %9s | %9s |\n' path "p50 ms" "p99 ms" "max ms" ">10 ms" "MB/s"
printf '|-----------|-----------|-----------|-----------|-----------|-----------|\n'
for n in $PATHS; do
	printf '| %-9s | %9s | %9s | %9s | %9s | %9s |\n' "$n" \
		"$(median rtt "$n" .latency_ms.p50)" "$(median rtt "$n" .latency_ms.p99)" "$(median rtt "$n" .latency_ms.max)" \
		"$(median rtt "$n" .over_threshold)" "$(median stream "$n" .mb_per_s)"
done
