#!/usr/bin/env bash
# bench/transports.sh: what a camera's way to the relay costs, in one run,
# and its section of BENCHMARKS.md.
#
# 1. Camera transports, on loopback. One relay as camrelay setup makes it
#    (sshd with camrelay's drop-in, varnishd with vcl/default.vcl and
#    vmod_camrelay, haproxy on the https port from tools/setup/haproxy.cfg),
#    tinyproxy as a company proxy (CONNECT to the https port only), and one
#    camera per transport, each a camrelay-tunnel with TRANSPORT set in the
#    settings `camrelay camera add --ssh-key` printed (and PROXY, TLS_CA),
#    to one `camrelay-bench serve` echo camera:
#      ssh            SSH to the SSH port: today's path, the reference
#      ssh-443        SSH to haproxy's https port
#      tls            SSH inside TLS to the https port (camrelay-connect)
#      ssh-443+proxy  ssh-443 through the proxy; ssh gets the socket (fdpass)
#      tls+proxy      tls through the proxy
#    A ws:// viewer through varnishd to each: round trips of 16 KiB (p50,
#    p99, how many over 10 ms; target none), one stream (MB/s, ratio to
#    ssh; target at least 70 %), and where the stream's CPU went: ms per MB
#    of the relay's daemons, the camera's side, the proxy and the viewer,
#    and the CPU other jobs on the machine used meanwhile.
# 2. wss:// viewers of the ssh camera through haproxy (as camrelay setup
#    runs it) and through hitch, the TLS terminator haproxy replaced (a
#    hitch.conf like the one setup used to install, to a second PROXY listen
#    socket of the same varnishd): round trips (and the relay's CPU per
#    round trip) and stream, haproxy ÷ hitch (target: within 10 %).
# 3. Time from the start of camrelay-tunnel (TRANSPORT=auto, the printed
#    settings with at most one line changed, as tests/firewall does) until
#    its tunnel is up, on each network of the firewall suite, in the network
#    namespaces of tests/firewall/lib.sh (target: at most 10 s on the worst).
#    Each round runs this script again (STARTUP_OUT set), which sources
#    lib.sh: a camera and a relay namespace of their own, with sshd, varnishd,
#    haproxy on 443 and tinyproxy, removed when that round's part ends.
#
# Every figure is the median of REPEAT rounds; a round runs each kind of
# measurement on every path in turn (the order rotated by one each round),
# then part 3. Compare ratios within one run: absolute figures move with the
# machine's load, which the section reports.
#
# Usage: bench/transports.sh [--no-write] [--no-startup]
#   --no-startup   leave part 3 out (no network namespaces)
# Environment: BUILD_DIR (default build-bench), REPEAT (3), RTT_COUNT (1000),
# STREAM_SECONDS (3), BENCHMARKS_FILE (BENCHMARKS.md). A short run:
# REPEAT=1 RTT_COUNT=50 STREAM_SECONDS=1 bench/transports.sh --no-write --no-startup
# Needs root, varnish, openssh-server, openssh-client, haproxy, hitch,
# tinyproxy, openssl, jq; part 3 also ip, nft and node with tests/e2e's
# node_modules (tests/firewall/lib.sh).
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
BUILD_DIR=${BUILD_DIR:-$top/build-bench}

# --- part 3, one round: run by the main script with STARTUP_OUT, a file
# that gets one line "NETWORK SECONDS TRANSPORT" per network (or "NETWORK -
# WHY"). The networks, as in tests/firewall/firewall_test.sh:
STARTUP_NETWORKS=(e a d d-drop b c)
if [ -n "${STARTUP_OUT:-}" ]; then
    set +e
    export SOURCE_DIR=$top BUILD_DIR
    # On the host: the namespaces, then this script again inside the
    # relay's; returns only there.
    # shellcheck source=../tests/firewall/lib.sh
    source "$top/tests/firewall/lib.sh"
    why=$(fw_why_not)
    [ -z "$why" ] || skip "$why"
    why=$(relay_why_not_built)
    [ -z "$why" ] || die "$why"
    [ -x "$CAMRELAY_CONNECT_BUILT" ] || die "$CAMRELAY_CONNECT_BUILT is not built"

    # time_to_up NETWORK CONF [VAR=VALUE...]: camrelay-tunnel --config CONF
    # on the camera; the time until its tunnel port listens on the relay
    # (60 s at most), and the transport auto named.
    time_to_up() {
        local net=$1 conf=$2 t0 us transport
        shift 2
        fw_start_tunnel "$net" "$conf" "$@"
        t0=${FW_T0//[!0-9]/}
        until fw_tunnel_up; do
            us=$((${EPOCHREALTIME//[!0-9]/} - t0))
            if [ "$us" -gt 60000000 ]; then
                echo "$net - not up within 60 s" >>"$STARTUP_OUT"
                cp "$TUNNEL_LOG" "$STARTUP_OUT.$net.log"
                fw_stop_tunnel
                return 0
            fi
            sleep 0.05
        done
        us=$((${EPOCHREALTIME//[!0-9]/} - t0))
        transport=$(sed -n 's/^camrelay-tunnel: using \([^ ]*\) (.*/\1/p' "$TUNNEL_LOG" | head -n 1)
        printf '%s %d.%03d %s\n' "$net" $((us / 1000000)) $((us / 1000 % 1000)) "${transport:-?}" >>"$STARTUP_OUT"
        cp "$TUNNEL_LOG" "$STARTUP_OUT.$net.log"
        fw_stop_tunnel
    }

    fw_start_relay
    proxy_url=http://$FW_PROXY_ADDR:$FW_PROXY_PORT
    # The networks in this round's order (STARTUP_ROUND rotates them).
    n=${#STARTUP_NETWORKS[@]}
    for ((i = 0; i < n; i++)); do
        net=${STARTUP_NETWORKS[(i + ${STARTUP_ROUND:-0}) % n]}
        say "network ($net)"
        case $net in
            e) fw_net_port22 && time_to_up e "$(fw_camera_conf e)" ;;
            a) fw_net_443_only && time_to_up a "$(fw_camera_conf a)" ;;
            d) fw_net_tls_only reset && time_to_up d "$(fw_camera_conf d)" ;;
            d-drop) fw_net_tls_only drop && time_to_up d-drop "$(fw_camera_conf d-drop)" ;;
            b) fw_net_proxy_only drop && time_to_up b "$(fw_camera_conf b)" "https_proxy=$proxy_url" ;;
            c)
                password=pw$RANDOM$RANDOM
                fw_proxy_config camera "$password"
                fw_proxy_restart
                fw_net_proxy_only reject &&
                    time_to_up c "$(fw_camera_conf c "PROXY=http://camera:$password@$FW_PROXY_ADDR:$FW_PROXY_PORT")"
                fw_proxy_config
                fw_proxy_restart
                ;;
        esac
    done
    exit 0
fi

# shellcheck source=common.sh
source "$top/bench/common.sh"
write=1
startup=1
bench_options transports.sh --no-write --no-startup -- "$@"
REPEAT=${REPEAT:-3}
RTT_COUNT=${RTT_COUNT:-1000}
STREAM_SECONDS=${STREAM_SECONDS:-3}
bench_positive transports.sh REPEAT RTT_COUNT STREAM_SECONDS
BENCHMARKS_FILE=${BENCHMARKS_FILE:-$top/BENCHMARKS.md}
command_line="bench/transports.sh${*:+ $*}"

[ "$(id -u)" = 0 ] || skip "needs root (sshd, a throwaway account, haproxy and hitch on their users)"
for tool in varnishd jq haproxy hitch tinyproxy openssl; do
    command -v "$tool" >/dev/null || skip "$tool is not installed (tools/dev/install-deps.sh)"
done
bench_build vmod_camrelay camrelay camrelay-session camrelay-connect
bench_workdir
bench_relay_available || die "$BENCH_RELAY_MISSING"
CONNECT=$BUILD_DIR/tools/tunnel/camrelay-connect
[ -x "$CONNECT" ] || die "$CONNECT is not built"

# --- the relay: sshd, the https port's number where camera add reads it
start_camera camera --mode echo
CAMPORT=$CAMERA_PORT
bench_relay_start
HTTPS_PORT=$(free_port)
printf 'HTTPS_LISTEN=127.0.0.1:%s\n' "$HTTPS_PORT" >"$CAMRELAY_CONFIG/setup.conf"

# The relay's certificate (localhost, 127.0.0.1) from a throwaway CA, as
# camrelay setup installs it: key and chain in one file of the TLS folder.
make_test_pki "$TMP/pki"
CA=$TMP/pki/ca.pem
mkdir -m 0755 "$TMP/tls"
install -m 0600 "$TMP/pki/server.pem" "$TMP/tls/relay.pem"

# --- the cameras: one per transport, each from its printed settings
TRANSPORTS=(ssh ssh-443 tls ssh-443+proxy tls+proxy)
declare -A CAMERA=([ssh]=ssh22 [ssh-443]=ssh443 [tls]=tls [ssh-443+proxy]=ssh443proxy [tls+proxy]=tlsproxy)
declare -A URL ROUTE EXTRA TUNNEL_OF

# set_line FILE KEY=VALUE: KEY's line (or its commented-out #KEY=) becomes
# KEY=VALUE; added if FILE has neither.
set_line() {
    local file=$1 key=${2%%=*}
    if grep -q "^#\?$key=" "$file"; then
        sed -i "0,/^#\?$key=.*/s||$2|" "$file"
    else
        echo "$2" >>"$file"
    fi
}

# start_transport TRANSPORT: the settings camera add printed for its camera
# ("3. /etc/camrelay-tunnel/NAME.conf" up to "4.") with TRANSPORT, PROXY
# and TLS_CA set, and camrelay-tunnel --config on them (key, pinned host key
# and target where the bench keeps them).
start_transport() {
    local t=$1 name=${CAMERA[$1]} conf=$TMP/${CAMERA[$1]}.conf
    sed -n '/^3\. \/.*\.conf/,/^4\. /p' "$TMP/add-$name.out" | sed '1d;$d' >"$conf"
    grep -q "^RELAY=$RELAY_USER@127.0.0.1:$SSHD_PORT\$" "$conf" && grep -q "^HTTPS_PORT=$HTTPS_PORT\$" "$conf" ||
        die "camera add $name printed no settings for this relay: $(cat "$TMP/add-$name.out")"
    grep '^\[127\.0\.0\.1\]:' "$TMP/add-$name.out" >"$TMP/$name.known_hosts" ||
        die "camera add $name printed no host key"
    set_line "$conf" "TRANSPORT=${t%+proxy}"
    case $t in
        *+proxy) set_line "$conf" "PROXY=http://127.0.0.1:$PROXY_PORT" ;;
        *) set_line "$conf" "PROXY=none" ;;
    esac
    case $t in tls*) set_line "$conf" "TLS_CA=$CA" ;; esac
    CAMRELAY_CONNECT=$CONNECT "$CAMRELAY_TUNNEL" --config "$conf" --identity "$TMP/$name.key" \
        --known-hosts "$TMP/$name.known_hosts" --target "127.0.0.1:$CAMPORT" 2>>"$TMP/tunnel-$name.log" &
    started $!
    TUNNEL_OF[$t]=$!
}

# Added before varnishd starts: it reads the cameras then.
declare -A CAM_LISTEN
for t in "${TRANSPORTS[@]}"; do
    relay_add_camera "${CAMERA[$t]}" --max-viewers 4
    CAM_LISTEN[$t]=$CAM_PORT
done

# varnishd as camrelay setup starts it, with a second PROXY socket for hitch
VARNISH_PORT=$(free_port)
mapfile -t relay_params < <(camrelay_varnishd_params 1000)
relay_start_varnish "$VARNISH_PORT" "${relay_params[@]}" \
    -a "tls=$TMP/varnish-tls.sock,PROXY,user=varnish,group=haproxy,mode=660" \
    -a "hitch=$TMP/varnish-hitch.sock,PROXY,user=varnish,group=_hitch,mode=660"
relay_start_haproxy "$HTTPS_PORT" "$TMP/varnish-tls.sock" "$TMP/tls"
wait_for 10 test -S "$TMP/varnish-hitch.sock" || die "varnishd made no $TMP/varnish-hitch.sock"

# hitch as camrelay setup ran it before haproxy (tools/setup/hitch.conf.in
# until 84d7ab2): 2 workers, PROXY v2 with the TLS flag, HTTP/1.1 ALPN
HITCH_PORT=$(free_port)
cat >"$TMP/hitch.conf" <<CONF
frontend = "[127.0.0.1]:$HITCH_PORT"
backend = "$TMP/varnish-hitch.sock"
write-proxy-v2 = on
proxy-tlv = on
pem-file = "$TMP/tls/relay.pem"
tls-protos = TLSv1.2 TLSv1.3
alpn-protos = "http/1.1"
user = "_hitch"
group = "_hitch"
workers = 2
keepalive = 60
backlog = 512
daemon = off
log-level = 1
syslog = off
CONF
hitch --test --config="$TMP/hitch.conf" >"$TMP/hitch-test.out" 2>&1 ||
    die "hitch refuses $TMP/hitch.conf: $(tail -n 3 "$TMP/hitch-test.out")"
hitch --config="$TMP/hitch.conf" >>"$TMP/hitch.log" 2>&1 &
HITCH_PID=$!
started "$HITCH_PID"
wait_for_port "$HITCH_PORT" 10 "$HITCH_PID"

# tinyproxy: CONNECT to the https port only, as a company proxy allows 443
PROXY_PORT=$(free_port)
cat >"$TMP/tinyproxy.conf" <<CONF
User nobody
Group nogroup
Port $PROXY_PORT
Listen 127.0.0.1
Timeout 600
MaxClients 20
Allow 127.0.0.1
ConnectPort $HTTPS_PORT
DisableViaHeader Yes
LogLevel Connect
CONF
tinyproxy -d -c "$TMP/tinyproxy.conf" >>"$TMP/tinyproxy.log" 2>&1 &
PROXY_PID=$!
started "$PROXY_PID"
wait_for_port "$PROXY_PORT" 10 "$PROXY_PID"

for t in "${TRANSPORTS[@]}"; do start_transport "$t"; done
# key_for CAMERA TTL: a viewer key (one opens one viewer at a time; keys
# minted in one second differ by their lifetime only)
key_for() { cam key issue --camera "$1" --ttl "$2" || die "key issue --camera $1 failed"; }
for t in "${TRANSPORTS[@]}"; do
    name=${CAMERA[$t]}
    wait_for 30 port_in_use "${CAM_LISTEN[$t]}" || die "($t) no tunnel within 30 s: $(tail -n 5 "$TMP/tunnel-$name.log")"
    # its log line: "connecting to HOST port P ..." (ssh) or "... by T (how) as ..."
    ROUTE[$t]=$(sed -n 's/^camrelay-tunnel: connecting to [^ ]* by [^ ]* (\(.*\)) as .*/\1/p' "$TMP/tunnel-$name.log" | head -n 1)
    [ "$t" != ssh ] || ROUTE[$t]="SSH to port $SSHD_PORT"
    [ -n "${ROUTE[$t]}" ] || die "($t) the tunnel's log names no transport: $(cat "$TMP/tunnel-$name.log")"
    say "($t) tunnel up: ${ROUTE[$t]}"
    URL[$t]="ws://127.0.0.1:$VARNISH_PORT/$name/?k=$(key_for "$name" 1h)"
done
grep -q "CONNECT.*127.0.0.1:$HTTPS_PORT" "$TMP/tinyproxy.log" || die "the proxy carried no tunnel: $(cat "$TMP/tinyproxy.log")"
URL[wss-haproxy]="wss://127.0.0.1:$HTTPS_PORT/ssh22/?k=$(key_for ssh22 3601s)"
URL[wss-hitch]="wss://127.0.0.1:$HITCH_PORT/ssh22/?k=$(key_for ssh22 3602s)"
EXTRA[wss-haproxy]="--ca $CA"
EXTRA[wss-hitch]="--ca $CA"
PATHS=("${TRANSPORTS[@]}" wss-haproxy wss-hitch)

# --- measure: each kind of run on every path in turn, REPEAT rounds

# Where a stream's CPU goes: the relay's daemons, the camera's side (its
# camrelay-tunnel with ssh and camrelay-connect, and the camera), the proxy,
# and the viewer (camrelay-bench run, reaped by this shell).
cpu_ticks() {  # ROOT...: user + system ticks of these trees, reaped children included
    local pid line f sum=0
    for pid in $(trees_of "$@"); do
        read -r line 2>/dev/null <"/proc/$pid/stat" || continue
        read -r -a f <<<"${line##*) }"
        sum=$((sum + f[11] + f[12] + f[13] + f[14]))
    done
    echo "$sum"
}
cpu_groups() {  # PATH: "relay camera proxy viewer busy all" ticks so far
    local line f cpu
    read -r line </proc/$$/stat
    read -r -a f <<<"${line##*) }"
    # the machine's (/proc/stat: user nice system idle iowait irq softirq steal)
    read -r -a cpu </proc/stat
    echo "$(cpu_ticks "$VARNISH_PID" "$SSHD_PID" "$HAPROXY_PID" "$HITCH_PID")" \
        "$(cpu_ticks "${TUNNEL_OF[$1]:-${TUNNEL_OF[ssh]}}" "$CAMERA_PID")" "$(cpu_ticks "$PROXY_PID")" \
        "$((f[13] + f[14]))" "$((cpu[1] + cpu[2] + cpu[3] + cpu[6] + cpu[7] + cpu[8]))" \
        "$((cpu[1] + cpu[2] + cpu[3] + cpu[4] + cpu[5] + cpu[6] + cpu[7] + cpu[8]))"
}
CORES=$(nproc)
CLK_TCK=$(getconf CLK_TCK)
# relay_ns: the relay's threads' run time so far, in ns (schedstat: finer
# than ticks, for runs of a fraction of a second; its daemons and their
# sessions outlive the runs)
relay_ns() {
    local pid run _ sum=0
    for pid in $(trees_of "$VARNISH_PID" "$SSHD_PID" "$HAPROXY_PID" "$HITCH_PID"); do
        for run in /proc/"$pid"/task/*/schedstat; do
            read -r run _ 2>/dev/null <"$run" && sum=$((sum + run))
        done
    done
    echo "$sum"
}

mkdir "$TMP/json"
run_json() {  # KIND PATH ROUND ARG...
    local kind=$1 path=$2 round=$3 out before after
    shift 3
    out=$TMP/json/$kind.${path//+/_}.$round
    before=$(cpu_groups "$path")
    [ "$kind" != rtt ] || before=$(relay_ns)
    # shellcheck disable=SC2086  # EXTRA holds whole options
    "$BENCH" run "${URL[$path]}" ${EXTRA[$path]:-} "$@" --json >"$out.json" 2>"$out.err" ||
        say "($path) $kind: measurement failed: $(head -c 300 "$out.err")"
    if [ "$kind" = rtt ]; then
        # the relay's CPU per round trip, µs (warm-up and handshake included)
        after=$(relay_ns)
        jq -c --argjson ns $((after - before)) '{ok: (.ok == true), us: ($ns / 1000 / .latency_ms.count)}' \
            "$out.json" >"$TMP/json/relayrtt.${path//+/_}.$round.json" 2>/dev/null || true
        return 0
    fi
    after=$(cpu_groups "$path")
    # CPU ms per MB streamed, each group; the rest of the machine's busy
    # time in % of one core (other jobs)
    jq -c --arg before "$before" --arg after "$after" --argjson tck "$CLK_TCK" --argjson cores "$CORES" '
        (.mb_per_s * .seconds) as $mb
        | [$before, $after | split(" ") | map(tonumber)] as [$b, $a]
        | [range(0; 6) | $a[.] - $b[.]] as $d
        | {ok: (.ok == true and $mb > 0 and $d[5] > 0)}
        + (if $mb > 0 and $d[5] > 0 then
            {relay: ($d[0] * 1000 / $tck / $mb), camera: ($d[1] * 1000 / $tck / $mb),
             proxy: ($d[2] * 1000 / $tck / $mb), viewer: ($d[3] * 1000 / $tck / $mb),
             others: (([0, $d[4] - $d[0] - $d[1] - $d[2] - $d[3]] | max) * 100 * $cores / $d[5])}
           else {} end)' \
        "$out.json" >"$TMP/json/cpu.${path//+/_}.$round.json" 2>/dev/null || true
}
STARTUP_STATUS=
startup_round() {  # ROUND: part 3's networks, in the namespaces
    local round=$1 status=0 pid
    say "round $round: time to tunnel up on each network (tests/firewall/lib.sh namespaces)"
    STARTUP_OUT=$TMP/startup-$round.txt STARTUP_ROUND=$((round - 1)) KIT_NAME=transports-startup \
        "$BASH" "$top/bench/transports.sh" >"$TMP/startup-$round.log" 2>&1 &
    pid=$!
    started "$pid"
    wait "$pid" || status=$?
    stop "$pid"
    case $status in
        0) ;;
        77)
            STARTUP_STATUS="skipped: $(sed -n 's/.*SKIP: //p' "$TMP/startup-$round.log" | head -n 1)"
            say "part 3 $STARTUP_STATUS"
            startup=0
            ;;
        *)
            say "part 3, round $round failed (exit $status): $(grep -m 3 'FAIL' "$TMP/startup-$round.log" || tail -n 3 "$TMP/startup-$round.log")"
            cp "$TMP/startup-$round.log" "$TMP/startup-$round-failed.log"
            ;;
    esac
}

# Every path answers before the measurements: a few round trips each,
# retried for up to 20 s (what a first try met is said).
for p in "${PATHS[@]}"; do
    tries=0
    # shellcheck disable=SC2086  # EXTRA holds whole options
    until "$BENCH" run "${URL[$p]}" ${EXTRA[$p]:-} --mode rtt --count 5 --warmup 0 --timeout 10 \
        >/dev/null 2>"$TMP/ready.err"; do
        tries=$((tries + 1))
        [ "$tries" -lt 20 ] || die "($p) no round trip within 20 s: $(head -c 300 "$TMP/ready.err")"
        [ "$tries" != 1 ] || say "($p) not ready yet: $(head -c 300 "$TMP/ready.err")"
        sleep 1
    done
done

bench_cpu_mark start
started_at=$(date -u '+%Y-%m-%d %H:%M UTC')
n_paths=${#PATHS[@]}
for round in $(seq 1 "$REPEAT"); do
    say "round $round of $REPEAT"
    for kind in rtt stream; do
        for ((i = 0; i < n_paths; i++)); do
            p=${PATHS[(i + round - 1) % n_paths]}
            case $kind in
                rtt) say "($p) round trips, 16 KiB x $RTT_COUNT"
                    run_json rtt "$p" "$round" --mode rtt --size 16K --count "$RTT_COUNT" --timeout 300 ;;
                stream) say "($p) one stream, 64 KiB messages, $STREAM_SECONDS s"
                    run_json stream "$p" "$round" --mode stream --size 64K --duration "$STREAM_SECONDS" --timeout 60 ;;
            esac
        done
    done
    [ "$startup" = 0 ] || startup_round "$round"
done
bench_cpu_mark end

# --- the figures
fig() {  # KIND PATH JQ: the median over the rounds
    local files=("$TMP/json/$1.${2//+/_}".*.json)
    [ -e "${files[0]}" ] || { echo ""; return 0; }
    bench_median_json "$3" "${files[@]}"
}
failed_runs() {  # PATH: how many runs did not succeed
    { cat "$TMP/json/"*".${1//+/_}."*.json 2>/dev/null || true; } | jq -s '[.[] | select(.ok != true)] | length'
}
worst_over() {  # PATH: the most round trips over 10 ms in one round
    { cat "$TMP/json/rtt.${1//+/_}."*.json 2>/dev/null || true; } |
        jq -rs 'map(select(.ok == true) | .over_threshold) | max // ""'
}
declare -A F
for p in "${PATHS[@]}"; do
    F[$p.p50]=$(fig rtt "$p" .latency_ms.p50)
    F[$p.p99]=$(fig rtt "$p" .latency_ms.p99)
    F[$p.over]=$(fig rtt "$p" .over_threshold)
    F[$p.worst]=$(worst_over "$p")
    F[$p.mbs]=$(fig stream "$p" .mb_per_s)
    for g in relay camera proxy viewer others; do F[$p.$g]=$(fig cpu "$p" ".$g"); done
    F[$p.relay_rt]=$(fig relayrtt "$p" .us)
    F[$p.failed]=$(failed_runs "$p")
done
for p in wss-haproxy wss-hitch; do
    F[$p.tls]=$({ cat "$TMP/json/rtt.$p."*.json 2>/dev/null || true; } |
        jq -rs 'map(select(.tls != null) | "\(.tls.version) \(.tls.cipher)") | unique | join(", ")')
done

# x_of VALUE REFERENCE: "1.23×", or "–"
x_of() {
    if [ -z "$1" ] || [ -z "$2" ]; then printf '–'; return; fi
    awk -v a="$1" -v b="$2" 'BEGIN { if (b <= 0) printf "–"; else printf "%.2f×", a / b }'
}
# at_most VALUE LIMIT / at_least VALUE LIMIT: "met" or "missed" ("–" without a value)
at_most() { [ -n "$1" ] && awk -v a="$1" -v b="$2" 'BEGIN { print (a <= b ? "met" : "**missed**") }' || echo "–"; }
at_least() { [ -n "$1" ] && awk -v a="$1" -v b="$2" 'BEGIN { print (a >= b ? "met" : "**missed**") }' || echo "–"; }
ratio() { [ -n "$1" ] && [ -n "$2" ] && awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.4f", a / b }'; }
ms() { [ -n "$1" ] && printf '%.3f ms' "$1" || printf 'failed'; }
mbs() { [ -n "$1" ] && printf '%.0f' "$1" || printf 'failed'; }
cpu_per_mb() {  # PATH: "relay / camera / proxy / viewer" ms of CPU per MB; other jobs' CPU
    local g out=()
    for g in relay camera proxy viewer; do
        out+=("$([ -n "${F[$1.$g]}" ] && printf '%.2f' "${F[$1.$g]}" || echo –)")
    done
    printf '%s / %s / %s / %s | %s' "${out[@]}" "$([ -n "${F[$1.others]}" ] && printf '%.0f %%' "${F[$1.others]}" || echo –)"
}

transport_table() {
    local t r
    echo "| transport | the camera's way to sshd | 16 KiB round trip p50 | p99 | > 10 ms of $RTT_COUNT: median (worst round) | target 0 | stream MB/s | ÷ ssh | target ≥ 70 % | stream's CPU, ms per MB: relay / camera side / proxy / viewer | other jobs' CPU meanwhile |"
    echo "|---|---|---|---|---|---|---|---|---|---|---|"
    for t in "${TRANSPORTS[@]}"; do
        r=$(ratio "${F[$t.mbs]}" "${F[ssh.mbs]}")
        printf '| %s | %s | %s | %s | %s (%s) | %s | %s | %s | %s | %s |\n' "$t" "${ROUTE[$t]}" "$(ms "${F[$t.p50]}")" \
            "$(ms "${F[$t.p99]}")" "${F[$t.over]:-failed}" "${F[$t.worst]:-–}" \
            "$(at_most "${F[$t.over]}" 0)" "$(mbs "${F[$t.mbs]}")" \
            "$([ -n "$r" ] && awk -v r="$r" 'BEGIN { printf "%.0f %%", 100 * r }' || echo –)" "$(at_least "$r" 0.70)" \
            "$(cpu_per_mb "$t")"
    done
}

wss_row() {  # LABEL PATH
    printf '| %s | %s | %s | %s (%s) | %s µs | %s | %s |\n' "$1" "$(ms "${F[$2.p50]}")" "$(ms "${F[$2.p99]}")" \
        "${F[$2.over]:-failed}" "${F[$2.worst]:-–}" "$(mbs "${F[$2.relay_rt]}")" "$(mbs "${F[$2.mbs]}")" "$(cpu_per_mb "$2")"
}
wss_table() {
    local p50 p99 s
    p50=$(ratio "${F[wss-haproxy.p50]}" "${F[wss-hitch.p50]}")
    p99=$(ratio "${F[wss-haproxy.p99]}" "${F[wss-hitch.p99]}")
    s=$(ratio "${F[wss-haproxy.mbs]}" "${F[wss-hitch.mbs]}")
    echo "| viewer of the ssh camera | 16 KiB round trip p50 | p99 | > 10 ms: median (worst round) | relay CPU per round trip | stream MB/s | stream's CPU, ms per MB: relay / camera side / proxy / viewer | other jobs' CPU meanwhile |"
    echo "|---|---|---|---|---|---|---|---|"
    wss_row "ws:// to varnishd (for comparison)" ssh
    wss_row "wss:// through hitch (before), ${F[wss-hitch.tls]:-?}" wss-hitch
    wss_row "wss:// through haproxy (now), ${F[wss-haproxy.tls]:-?}" wss-haproxy
    printf '| **haproxy ÷ hitch** (target: within 10 %%) | %s: %s | %s: %s | | %s | %s: %s | relay: %s | |\n' \
        "$(x_of "${F[wss-haproxy.p50]}" "${F[wss-hitch.p50]}")" "$(at_most "$p50" 1.10)" \
        "$(x_of "${F[wss-haproxy.p99]}" "${F[wss-hitch.p99]}")" "$(at_most "$p99" 1.10)" \
        "$(x_of "${F[wss-haproxy.relay_rt]}" "${F[wss-hitch.relay_rt]}")" \
        "$(x_of "${F[wss-haproxy.mbs]}" "${F[wss-hitch.mbs]}")" "$(at_least "$s" 0.90)" \
        "$(x_of "${F[wss-haproxy.relay]}" "${F[wss-hitch.relay]}")"
}

declare -A NETWORK=(
    [a]="(a) only TCP 443 out, the rest dropped"
    [b]="(b) only the proxy (CONNECT to 443), the rest dropped; https_proxy set"
    [c]="(c) only the proxy, with Basic auth (PROXY= with the credentials), the rest refused"
    [d]="(d) 443 through a filter that resets SSH (TLS only), the rest dropped"
    [d-drop]="(d) the same filter dropping SSH silently"
    [e]="(e) 22 and 443 open")
# startup NETWORK: "MEDIAN MIN MAX TRANSPORTS" over the rounds, or "- WHY"
startup_figures() {
    { cat "$TMP"/startup-[0-9]*.txt 2>/dev/null || true; } | awk -v net="$1" '
        $1 != net { next }
        $2 == "-" { $1 = ""; $2 = ""; why = substr($0, 3); next }
        { t[++n] = $2; used[$3] = 1 }
        END {
            if (!n) { print "- " (why ? why : "no result"); exit }
            # sort the times
            for (i = 2; i <= n; i++) for (j = i; j > 1 && t[j - 1] > t[j]; j--) { x = t[j]; t[j] = t[j - 1]; t[j - 1] = x }
            s = ""
            for (u in used) s = s (s ? "," : "") u
            printf "%s %s %s %s%s\n", t[int((n + 1) / 2)], t[1], t[n], s, (why ? " (one round: " why ")" : "")
        }'
}
WORST_STARTUP=
startup_table() {
    local net f worst=0 worst_net=""
    echo "| network | auto chose | time to tunnel up: median (fastest – slowest) |"
    echo "|---|---|---|"
    for net in "${STARTUP_NETWORKS[@]}"; do
        f=$(startup_figures "$net")
        if [ "${f%% *}" = - ]; then
            printf '| %s | | %s |\n' "${NETWORK[$net]}" "${f#- }"
            worst=failed
            continue
        fi
        read -r median low high used <<<"$f"
        printf '| %s | %s | %.1f s (%.1f – %.1f s) |\n' "${NETWORK[$net]}" "$used" "$median" "$low" "$high"
        if [ "$worst" != failed ] && awk -v a="$median" -v b="$worst" 'BEGIN { exit !(a > b) }'; then
            worst=$median
            worst_net=$net
        fi
    done
    WORST_STARTUP="$worst ${worst_net:-}"
}

targets_table() {
    local t over=() slow=() w
    for t in "${TRANSPORTS[@]}"; do
        [ "${F[$t.over]:-x}" = 0 ] || over+=("$t")
        [ "$(at_least "$(ratio "${F[$t.mbs]}" "${F[ssh.mbs]}")" 0.70)" = met ] || slow+=("$t")
    done
    echo "| target (issue: cameras behind firewalls) | this run | met? |"
    echo "|---|---|---|"
    printf '| every transport: %s × 16 KiB round trips, none over 10 ms (median of the rounds) | %s | %s |\n' \
        "$RTT_COUNT" "$([ ${#over[@]} = 0 ] && echo "none over 10 ms" || echo "over 10 ms: ${over[*]}")" \
        "$([ ${#over[@]} = 0 ] && echo met || echo "**missed**")"
    printf '| every transport: one stream ≥ 70 %% of the ssh path | %s | %s |\n' \
        "$([ ${#slow[@]} = 0 ] && echo "all at least 70 %" || echo "below: ${slow[*]}")" \
        "$([ ${#slow[@]} = 0 ] && echo met || echo "**missed**")"
    printf '| wss:// through haproxy within 10 %% of hitch: round trip p50 / p99 / stream | %s / %s / %s | %s / %s / %s |\n' \
        "$(x_of "${F[wss-haproxy.p50]}" "${F[wss-hitch.p50]}")" "$(x_of "${F[wss-haproxy.p99]}" "${F[wss-hitch.p99]}")" \
        "$(x_of "${F[wss-haproxy.mbs]}" "${F[wss-hitch.mbs]}")" \
        "$(at_most "$(ratio "${F[wss-haproxy.p50]}" "${F[wss-hitch.p50]}")" 1.10)" \
        "$(at_most "$(ratio "${F[wss-haproxy.p99]}" "${F[wss-hitch.p99]}")" 1.10)" \
        "$(at_least "$(ratio "${F[wss-haproxy.mbs]}" "${F[wss-hitch.mbs]}")" 0.90)"
    if [ "$startup" = 1 ]; then
        w=${WORST_STARTUP%% *}
        if [ "$w" = failed ]; then
            printf '| auto: tunnel up ≤ 10 s on the worst network | a network without a result | **missed** |\n'
        else
            printf '| auto: tunnel up ≤ 10 s on the worst network | %.1f s, %s | %s |\n' "$w" \
                "${NETWORK[${WORST_STARTUP#* }]%%,*}" "$(at_most "$w" 10)"
        fi
    else
        printf '| auto: tunnel up ≤ 10 s on the worst network | not measured (%s) | – |\n' "${STARTUP_STATUS:---no-startup}"
    fi
}

failures() {
    local p
    for p in "${PATHS[@]}"; do
        [ "${F[$p.failed]:-0}" = 0 ] || echo "($p): ${F[$p.failed]} measurement(s) failed and are left out of the medians."
    done
    ls "$TMP"/startup-*-failed.log >/dev/null 2>&1 && echo "Part 3 failed in some round(s); their networks are missing above."
    return 0
}

startup_part() {
    if [ "$startup" = 1 ]; then
        startup_table
        echo
        echo "Each a new camrelay-tunnel with the settings camera add printed (TRANSPORT=auto; (c): PROXY= added), the"
        echo "camera in a network namespace behind nftables egress rules, the relay (sshd, haproxy on 443, tinyproxy) in"
        echo "another (tests/firewall/lib.sh); timed from its start until its tunnel port listens on the relay."
    else
        echo "Not measured: ${STARTUP_STATUS:-bench/transports.sh --no-startup}."
    fi
}

# in this shell: startup_table sets WORST_STARTUP for targets_table
startup_part >"$TMP/startup.md"

section=$(cat <<MD
<!-- camrelay-transports:begin (bench/transports.sh writes this section; edits inside are lost) -->
### Last run: $started_at

- Machine: $(machine_line); during the run $(bench_cpu_line start end)
- Software: camrelay $(git -C "$top" rev-parse --short HEAD 2>/dev/null || echo ?)$(git -C "$top" diff --quiet HEAD 2>/dev/null || echo " with uncommitted changes"), $(software_line), $(haproxy -v | head -n 1 | sed 's/ - https.*//; s/ [0-9/]*$//'), hitch $(hitch --version 2>&1 | sed -n 's/^hitch //p' | head -n 1), $(tinyproxy -v 2>&1 | head -n 1), $(openssl version | cut -d' ' -f1,2)
- Command: \`$command_line\` (REPEAT=$REPEAT, RTT_COUNT=$RTT_COUNT, STREAM_SECONDS=$STREAM_SECONDS)
- Each figure is the median of $REPEAT rounds, and a target is met or missed by the median. Parts 1 and 2 on
  loopback: viewer (\`camrelay-bench run\`), relay, proxy and camera share the machine's cores. Round trips: one
  binary 16 KiB message at a time, echoed by the camera. Stream: the camera sends 64 KiB messages as fast as the
  path takes them (MB = 10^6 bytes). A stream's CPU: what each part used (user + system, from /proc) per MB that
  reached the viewer: the relay (varnishd, sshd, haproxy, hitch), the camera's side (camrelay-tunnel, its ssh and
  camrelay-connect, the camera), the proxy (tinyproxy) and the viewer; and the rest of the machine's busy time in
  the meantime (other jobs), in % of one core. On one machine a stream is limited by the CPU all parts need per MB.
  Relay CPU per round trip: the run time of the relay's threads (schedstat) over a run of round trips, divided by
  their number (the warm-up and the TLS handshake included).

$(targets_table)

Camera transports (one \`camrelay-tunnel\` each, TRANSPORT set in its printed settings; a ws:// viewer through
varnishd; ssh is today's path):

$(transport_table)

wss:// viewers on the https port, haproxy (as camrelay setup runs it) against hitch (as it ran before), both to
the same varnishd over a PROXY v2 socket:

$(wss_table)

Time from starting camrelay-tunnel to its tunnel up, per network of the firewall suite:

$(cat "$TMP/startup.md")
$(failures)
<!-- camrelay-transports:end -->
MD
)

publish_section camrelay-transports "$section"
