#!/usr/bin/env bash
# bench/wan.sh: the article's tunnel and camrelay's, side by side, with the
# camera across an emulated WAN, and the table in BENCHMARKS.md.
#
#   camera namespace (cubic, fq_codel)        relay namespace
#     camrelay-bench serve on :9001    wanem     sshd (the article's), varnishd with
#     ssh -N -R (the article)       <========>   the article's VCL; sshd with
#     camrelay-tunnel (its config               camrelay's drop-in, varnishd with
#       as `camera add` printed it)             vmod_camrelay; the viewers
#
# wanem (tests/wan/wanem.cpp, tests/wan/lib.sh) is a user-space link between
# two network namespaces: this kernel may have no sch_netem. Profiles (the
# camera's uplink first, then its downlink):
#   clean        no delay, no loss
#   lossy        40 ms each way, jitter 10 ms without reordering, 1 % loss
#   wifi         20 ms each way, jitter 20 ms with reordering, 0.5 % loss
#   bottleneck   a 2 Mbit/s uplink with a 1 s tail-drop buffer, 20 ms each way
# For each profile wanem starts anew, then both tunnels (fresh connections),
# and REPEAT rounds measure each path in turn:
#   load     one viewer of a 4 Mbit/s camera stream (16 KiB messages) that
#            sends 64 B upstream 30 times a second: delivered Mbit/s,
#            one-way latency p50/p99 (camera and viewer share the clock)
#   rtt      100 B round trips (RTT_COUNT): p50/p99
# After a load, the next measurement waits (up to 60 s) for the camera's TCP
# send queues to drain, so that no measurement pays for the one before.
# Then, with a viewer watching each path, the link goes down for DROP_SECONDS
# and comes back: the time from its return until a new viewer on each path
# gets an echo (a probe every 0.5 s, each up to 10 s), bounded by
# RECONNECT_LIMIT.
#
# Usage: bench/wan.sh [--quick] [--no-write]
#   --quick     REPEAT=1, LOAD_SECONDS=4, RTT_COUNT=30, DROP_SECONDS=10
#   --no-write  print the table only
# Environment: BUILD_DIR (default build-bench), REPEAT (3), LOAD_SECONDS (10),
# RTT_COUNT (100), DROP_SECONDS (30), RECONNECT_LIMIT (90), WAN_PROFILES
# (a list of the profiles to run, default all), WAN_PATHS ("article
# camrelay"), WAN_TUNNEL_CONF (lines "KEY=VALUE" separated by ';' appended to
# the camrelay tunnel's camera config, e.g. "CONGESTION=bbr"), WAN_LABEL (a
# name for the run: a variant's runs go in a section of their own,
# wan-LABEL, after the main one in BENCHMARKS.md's "## Over a WAN"), WAN_CAMERA_CC / WAN_RELAY_CC (cubic),
# WAN_CAMERA_ARGS (options for the camera's `camrelay-bench serve`, e.g.
# "--max-queue 256K" or "--adapt 0.5:4"; by default its queue holds up to
# 4 MiB, like Picam360's Node server that queues what the network does not
# take), BENCHMARKS_FILE (BENCHMARKS.md).
# Needs root, ip, /dev/net/tun, varnish, openssh-server, openssh-client, jq.
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
BUILD_DIR=${BUILD_DIR:-$top/build-bench}
# shellcheck source=../tests/wan/lib.sh
source "$top/tests/wan/lib.sh"
if [ -z "${WAN_INSIDE:-}" ]; then
    for arg in "$@"; do
        case $arg in --quick | --no-write) ;; *) echo "usage: bench/wan.sh [--quick] [--no-write]" >&2; exit 2 ;; esac
    done
    wan_outer "$@"
fi

BENCHMARKS_FILE=${BENCHMARKS_FILE:-$top/BENCHMARKS.md}
# shellcheck source=common.sh
source "$top/bench/common.sh"
write=1
quick=0
bench_options wan.sh --quick --no-write -- "$@"
command_line="bench/wan.sh${*:+ $*}"
if [ "$quick" = 1 ]; then
    REPEAT=${REPEAT:-1} LOAD_SECONDS=${LOAD_SECONDS:-4} RTT_COUNT=${RTT_COUNT:-30} DROP_SECONDS=${DROP_SECONDS:-10}
fi
REPEAT=${REPEAT:-3}
LOAD_SECONDS=${LOAD_SECONDS:-10}
RTT_COUNT=${RTT_COUNT:-100}
DROP_SECONDS=${DROP_SECONDS:-30}
RECONNECT_LIMIT=${RECONNECT_LIMIT:-90}
bench_positive wan.sh REPEAT LOAD_SECONDS RTT_COUNT DROP_SECONDS RECONNECT_LIMIT
WAN_PROFILES=${WAN_PROFILES:-clean lossy wifi bottleneck}
WAN_PATHS=${WAN_PATHS:-article camrelay}
WAN_LABEL=${WAN_LABEL:-}
CAMPORT=9001

declare -A AB=(
    [clean]=clean
    [lossy]="delay=40ms,jitter=10ms,loss=1%"
    [wifi]="delay=20ms,jitter=20ms,reorder=yes,loss=0.5%"
    [bottleneck]="delay=20ms,rate=2mbit,queue=1s"
)
declare -A BA=(
    [clean]=clean
    [lossy]="delay=40ms,jitter=10ms,loss=1%"
    [wifi]="delay=20ms,jitter=20ms,reorder=yes,loss=0.5%"
    [bottleneck]="delay=20ms"
)
declare -A PROFILE_NAME=(
    [clean]="clean"
    [lossy]="40 ms ± 10 ms, 1 % loss"
    [wifi]="Wi-Fi: 20 ms ± 20 ms reordered, 0.5 % loss"
    [bottleneck]="2 Mbit/s uplink, 1 s buffer"
)
declare -A PATH_NAME=([article]="the article (ssh -N -R)" [camrelay]="camrelay-tunnel")
for p in $WAN_PROFILES; do [ -n "${AB[$p]:-}" ] || die "unknown profile '$p' (clean lossy wifi bottleneck)"; done
for p in $WAN_PATHS; do [ -n "${PATH_NAME[$p]:-}" ] || die "unknown path '$p' (article camrelay)"; done

bench_build wanem
bench_workdir
for tool in varnishd jq ssh; do command -v "$tool" >/dev/null || die "$tool is not installed"; done
bench_relay_available || die "camrelay's relay cannot run here: $BENCH_RELAY_MISSING"
[ -x "$WANEM" ] || die "$WANEM is not built"
bench_cpu_mark start

# --- the relay: the article's sshd and varnishd, camrelay's sshd and varnishd
bench_article_sshd "$WAN_RELAY_ADDR"
ARTICLE_PORT=$(free_port)
article_vcl "$ARTICLE_PORT" >"$TMP/article.vcl"
ARTICLE_VIEWER_PORT=$(free_port)
start_varnish article "$ARTICLE_VIEWER_PORT" -f "$TMP/article.vcl" -j none -T none -s malloc,64m

bench_relay_start "ListenAddress $WAN_RELAY_ADDR"
wan_add_camera cam1 "$CAMPORT" --max-viewers 1000
mapfile -t relay_params < <(camrelay_varnishd_params 1000)
CAMRELAY_VIEWER_PORT=$(free_port)
relay_start_varnish "$CAMRELAY_VIEWER_PORT" "${relay_params[@]}"

# A viewer's URL; camrelay's with a key of its own (one key, one viewer at a
# time; keys minted in the same second differ by their lifetime)
KEYS_ISSUED=0
viewer_url() {
    if [ "$1" = article ]; then
        echo "ws://127.0.0.1:$ARTICLE_VIEWER_PORT/"
    else
        KEYS_ISSUED=$((KEYS_ISSUED + 1))
        echo "ws://127.0.0.1:$CAMRELAY_VIEWER_PORT/cam1/?k=$(cam key issue --camera cam1 --ttl "$((3600 + KEYS_ISSUED))s")"
    fi
}

# --- the camera: its program, and both tunnels
article_ssh "$WAN_RELAY_ADDR" "$ARTICLE_PORT" "$CAMPORT"
declare -A TUNNELS=()

start_tunnels() {
    local p
    for p in $WAN_PATHS; do
        if [ "$p" = article ]; then
            wan_cam "${ARTICLE_SSH[@]}" >>"$TMP/article_ssh.log" 2>&1 &
            TUNNELS[$p]=$!
            started "${TUNNELS[$p]}"
        else
            wan_start_tunnel cam1
            TUNNELS[$p]=$TUNNEL_PID
        fi
    done
    for p in $WAN_PATHS; do
        wait_for 60 port_in_use "$(tunnel_port "$p")" || die "($p) the tunnel did not come up within 60 s"
    done
}

stop_tunnels() {
    local p
    for p in $WAN_PATHS; do
        [ -z "${TUNNELS[$p]:-}" ] || stop "${TUNNELS[$p]}"
        TUNNELS[$p]=
    done
    for p in $WAN_PATHS; do wait_for 40 port_free "$(tunnel_port "$p")" || say "($p) its port stayed open"; done
}

tunnel_port() { if [ "$1" = article ]; then echo "$ARTICLE_PORT"; else echo "$CAM_PORT"; fi; }

# shellcheck disable=SC2086 # WAN_CAMERA_ARGS: words
wan_cam "$BENCH" serve --listen "127.0.0.1:$CAMPORT" --mode echo ${WAN_CAMERA_ARGS:-} >"$TMP/camera.out" \
    2>"$TMP/camera.log" &
started $!
wait_for 10 grep -qs "serving on" "$TMP/camera.out" || die "the camera did not start: $(cat "$TMP/camera.log")"

# --- measurements

# json KIND PROFILE PATH ROUND ARGS...: camrelay-bench run --json into
# $TMP/res/KIND-PROFILE-PATH-ROUND.json
mkdir -p "$TMP/res"
json() {
    local kind=$1 profile=$2 path=$3 round=$4 out
    shift 4
    out=$TMP/res/$kind-$profile-$path-$round
    "$BENCH" run "$(viewer_url "$path")" "$@" --json >"$out.json" 2>"$out.err" ||
        say "($profile, $path) $kind: $(jq -r '.error // empty' "$out.json" 2>/dev/null | head -c 300)$(head -c 300 "$out.err")"
}

drained() {
    wait_for 60 wan_drained 20000 || say "the camera's send queues still hold data after 60 s"
}

# reconnect PROFILE ROUND: the link goes down for DROP_SECONDS with a viewer
# watching each path, and comes back; then
# $TMP/res/reconnect-PROFILE-PATH-ROUND holds the seconds until a new viewer
# got an echo (the first line after sorting), or is empty.
probe() {  # PATH OUT T0: one viewer's round trip; on success the time since T0
    "$BENCH" run "$(viewer_url "$1")" --mode rtt --size 100 --count 1 --warmup 0 --connect-timeout 10 \
        --timeout 10 --json >/dev/null 2>&1 || return 0
    awk -v now="$EPOCHREALTIME" -v t0="$3" 'BEGIN { printf "%.1f\n", now - t0 }' >>"$2"
}
# Run in the background: a subshell keeps the kit's traps, whose exit would
# stop every process of the run, so they go first.
probe_until_up() {  # PATH OUT T0
    local until=$((${3%.*} + RECONNECT_LIMIT)) pids=()
    trap - EXIT INT TERM
    while [ ! -s "$2" ] && [ "${EPOCHREALTIME%.*}" -lt "$until" ]; do
        (
            trap - EXIT INT TERM
            probe "$1" "$2" "$3"
        ) &
        pids+=($!)
        sleep 0.5
    done
    wait_for 11 test -s "$2" || true
    kill "${pids[@]}" 2>/dev/null || true
    wait 2>/dev/null || true
}
reconnect() {
    local profile=$1 round=$2 p watchers=() t0 probers=() out
    for p in $WAN_PATHS; do
        "$BENCH" run "$(viewer_url "$p")" --mode load --viewers 1 --mbps 4 --size 16K \
            --duration $((DROP_SECONDS + 30)) --json >"$TMP/res/watch-$profile-$p.json" 2>&1 &
        watchers+=($!)
    done
    sleep 3
    say "($profile) the link goes down for $DROP_SECONDS s"
    wan_down
    sleep "$DROP_SECONDS"
    wan_up
    t0=$EPOCHREALTIME
    kill "${watchers[@]}" 2>/dev/null || true
    for p in $WAN_PATHS; do
        out=$TMP/res/reconnect-$profile-$p-$round
        : >"$out"
        probe_until_up "$p" "$out" "$t0" &
        probers+=($!)
    done
    wait "${probers[@]}" "${watchers[@]}" 2>/dev/null || true
    for p in $WAN_PATHS; do
        say "($profile, $p) a viewer got through $(sort -g "$TMP/res/reconnect-$profile-$p-$round" | head -1 |
            sed 's/$/ s /')after the link came back"
    done
}

for profile in $WAN_PROFILES; do
    say "profile $profile: camera -> relay ${AB[$profile]}; relay -> camera ${BA[$profile]}"
    wan_start "${AB[$profile]}" "${BA[$profile]}" 1
    start_tunnels
    for round in $(seq 1 "$REPEAT"); do
        for p in $WAN_PATHS; do
            say "($profile, $p) round $round of $REPEAT: a viewer of a 4 Mbit/s stream, $LOAD_SECONDS s"
            json load "$profile" "$p" "$round" --mode load --viewers 1 --mbps 4 --size 16K --upstream-hz 30 \
                --duration "$LOAD_SECONDS"
            drained
            say "($profile, $p) round $round of $REPEAT: 100 B round trips x $RTT_COUNT"
            json rtt "$profile" "$p" "$round" --mode rtt --size 100 --count "$RTT_COUNT" --warmup 3 --timeout 300
            drained
        done
        reconnect "$profile" "$round"
        drained
    done
    stop_tunnels
    wan_stop
    cp "$TMP/wanem.stats" "$TMP/res/wanem-$profile.stats" 2>/dev/null || true
done
bench_cpu_mark end

# --- the table

median() {  # KIND PROFILE PATH FILTER
    local files=()
    mapfile -t files < <(ls "$TMP/res/$1-$2-$3-"*.json 2>/dev/null)
    bench_median_json "$4" "${files[@]}"
}
failed_runs() {  # PROFILE PATH
    cat "$TMP/res/"*"-$1-$2-"[0-9]*.json 2>/dev/null | jq -s '[.[] | select(.ok != true)] | length' 2>/dev/null ||
        echo "?"
}
fmt() {  # VALUE FORMAT [SUFFIX]
    if [ -n "$1" ]; then printf "$2%s" "$1" "${3:-}"; else printf '–'; fi
}
# the median of the rounds (a round that never got through counts as
# RECONNECT_LIMIT + 1), and the range
reconnect_cell() {
    local round t times=()
    for round in $(seq 1 "$REPEAT"); do
        t=$(sort -g "$TMP/res/reconnect-$1-$2-$round" 2>/dev/null | head -1)
        times+=("${t:-$((RECONNECT_LIMIT + 1))}")
    done
    printf '%s\n' "${times[@]}" | sort -g | awk -v limit="$RECONNECT_LIMIT" '
        function show(x) { return (x > limit) ? "never" : sprintf("%.1f", x) }
        { v[NR] = $1 }
        END {
            median = v[int((NR + 1) / 2)]
            text = (median > limit) ? ("not within " limit " s") : (show(median) " s")
            if (NR > 1) text = text " (" show(v[1]) "–" show(v[NR]) ")"
            print text
        }'
}
report() {
    local profile p dropped n
    echo "| profile | path | delivered Mbit/s | one-way p50 | one-way p99 | frames dropped at the camera | 100 B round trip p50 | p99 | back after a ${DROP_SECONDS} s drop |"
    echo "|---|---|---|---|---|---|---|---|---|"
    for profile in $WAN_PROFILES; do
        for p in $WAN_PATHS; do
            dropped=$(median load "$profile" "$p" '.camera.dropped // empty')
            printf '| %s | %s | %s | %s | %s | %s | %s | %s | %s |\n' "${PROFILE_NAME[$profile]}" "${PATH_NAME[$p]}" \
                "$(fmt "$(median load "$profile" "$p" .received_mbps_per_viewer)" '%.2f')" \
                "$(fmt "$(median load "$profile" "$p" .latency_ms.p50)" '%.1f' ' ms')" \
                "$(fmt "$(median load "$profile" "$p" .latency_ms.p99)" '%.1f' ' ms')" \
                "$(fmt "$dropped" '%s')" \
                "$(fmt "$(median rtt "$profile" "$p" .latency_ms.p50)" '%.1f' ' ms')" \
                "$(fmt "$(median rtt "$profile" "$p" .latency_ms.p99)" '%.1f' ' ms')" \
                "$(reconnect_cell "$profile" "$p")"
        done
    done
    for profile in $WAN_PROFILES; do
        for p in $WAN_PATHS; do
            n=$(failed_runs "$profile" "$p")
            [ "$n" = 0 ] || echo "
($profile, $p): $n measurement(s) failed and are left out of the medians."
        done
    done
    echo
    echo "What wanem did (packets camera → relay: passed / lost at random / dropped by the full queue):"
    echo
    for profile in $WAN_PROFILES; do
        [ -s "$TMP/res/wanem-$profile.stats" ] || continue
        awk -v name="${PROFILE_NAME[$profile]}" '$1 == "ab" {
            for (i = 2; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
            printf "- %s: %d / %d / %d\n", name, v["passed"], v["lost"], v["queue_full"] }' "$TMP/res/wanem-$profile.stats"
    done
}

section_name=wan
title="The article's tunnel and camrelay's"
[ -z "$WAN_LABEL" ] || title=$WAN_LABEL
[ -z "$WAN_LABEL" ] || section_name=wan-$(printf '%s' "$WAN_LABEL" | tr -c 'A-Za-z0-9_.-' '-')
tunnel_conf=
[ -z "${WAN_TUNNEL_CONF:-}" ] || tunnel_conf=" WAN_TUNNEL_CONF='$WAN_TUNNEL_CONF'"
[ -z "${WAN_CAMERA_ARGS:-}" ] || tunnel_conf+=" WAN_CAMERA_ARGS='$WAN_CAMERA_ARGS'"
section=$(cat <<MD
<!-- $section_name:begin (bench/wan.sh writes this section; edits inside are lost) -->
### $title: last run $(date -u '+%Y-%m-%d %H:%M UTC')

- Machine: $(machine_line); $(bench_cpu_line start end)
- Software: $(software_line)
- Command: \`$command_line\`$tunnel_conf (REPEAT=$REPEAT, LOAD_SECONDS=$LOAD_SECONDS, RTT_COUNT=$RTT_COUNT, DROP_SECONDS=$DROP_SECONDS, RECONNECT_LIMIT=$RECONNECT_LIMIT)
- The camera and the relay in network namespaces joined by wanem (tests/wan/wanem.cpp, a user-space link:
  this kernel has no sch_netem); cubic on both sides, fq_codel on the link. Each path's camera program is the
  same \`camrelay-bench serve\` on port 9001; the viewers run on the relay. Load: one viewer of a 4 Mbit/s stream
  of 16 KiB messages sending 64 B upstream 30 times a second, for $LOAD_SECONDS s; one-way latency from the camera's
  send to the viewer. Back after a drop: the link is down for $DROP_SECONDS s while a viewer watches, then the time
  from its return until a new viewer gets an echo (a probe every 0.5 s). Medians of $REPEAT rounds (a drop's range
  in brackets); each profile starts wanem and both tunnels anew.

$(report)
<!-- $section_name:end -->
MD
)
publish_part "Over a WAN" "$section_name" "$section"
