#!/usr/bin/env bash
# bench/run.sh: camrelay-bench on four paths to one camera, side by side, in
# one run on loopback, and the table in BENCHMARKS.md.
#
#   (a) direct        viewer -> camera (camrelay-bench serve)
#   (b) varnishd pipe viewer -> varnishd (the article's VCL) -> camera
#   (c) the article   viewer -> varnishd (the article's VCL) -> sshd ->
#                     `ssh -N -R PORT:localhost:CAMPORT` (OpenSSH defaults) -> camera
#   (d) camrelay      viewer -> varnishd (vcl/default.vcl, vmod_camrelay: key,
#                     route, tunnel checks) -> sshd with camrelay's drop-in ->
#                     camrelay-tunnel -> camera. Runs when the module and the
#                     tunnel tooling are built; skipped with a message otherwise.
#
# For each path: round trips of 16 KiB messages (p50, p99, how many over
# 10 ms) and of 100 B ones (p50), one stream as fast as it goes (MB/s), and a
# Picam360-like load (2 viewers at 4 Mbit/s: one-way p99, relay CPU), each
# with its ratio to (a) and to (c). Compare ratios within one run: absolute
# figures move with the machine's load.
#
# Usage: bench/run.sh [--no-write] [--no-keycheck]
# Every figure is the median of REPEAT rounds; a round runs each kind of
# measurement on every path in turn. At the end bench/keycheck.sh measures
# what the key check costs and writes its own section (not with
# --no-keycheck; --no-write is passed on).
#
# Environment: BUILD_DIR (default build-bench), REPEAT (3), RTT_COUNT (1000),
# STREAM_SECONDS (3), LOAD_SECONDS (4), BENCHMARKS_FILE (BENCHMARKS.md).
# Needs: cmake, a C++20 compiler, libssl-dev, varnish, openssh-server,
# openssh-client, jq; root for (c) and (d) (sshd, a throwaway account in (d)).
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
BUILD_DIR=${BUILD_DIR:-$top/build-bench}
RTT_COUNT=${RTT_COUNT:-1000}
STREAM_SECONDS=${STREAM_SECONDS:-3}
LOAD_SECONDS=${LOAD_SECONDS:-4}
REPEAT=${REPEAT:-3}
BENCHMARKS_FILE=${BENCHMARKS_FILE:-$top/BENCHMARKS.md}
# shellcheck source=common.sh
source "$top/bench/common.sh"
write=1
keycheck=1
bench_options run.sh --no-write --no-keycheck -- "$@"
command_line="bench/run.sh${*:+ $*}"

bench_build
bench_workdir
for tool in varnishd jq; do command -v "$tool" >/dev/null || die "$tool is not installed"; done

# --- the camera: echoes, and streams when a viewer asks
start_camera camera --mode echo
CAMPORT=$CAMERA_PORT
say "camera on 127.0.0.1:$CAMPORT"

declare -A URL URL2 RELAY_PIDS
PATHS=()
# varnishd for the article's VCL: no jail, no management port
ARTICLE_VARNISH=(-j none -T none -s "malloc,64m")

# --- (b) varnishd piping, no checks
VB=$(free_port)
article_vcl "$CAMPORT" >"$TMP/direct.vcl"
start_varnish pipe "$VB" -f "$TMP/direct.vcl" "${ARTICLE_VARNISH[@]}"
PATHS+=(a b)
URL[a]="ws://127.0.0.1:$CAMPORT/"
URL[b]="ws://127.0.0.1:$VB/"
RELAY_PIDS[a]=""
RELAY_PIDS[b]=$VARNISH_PID

# --- (c) the article: its VCL, sshd, ssh -N -R with OpenSSH's defaults
if [ "$(id -u)" = 0 ] && [ -x /usr/sbin/sshd ] && command -v ssh >/dev/null; then
    bench_article_sshd 127.0.0.1
    TUNNEL_PORT=$(free_port)
    article_ssh 127.0.0.1 "$TUNNEL_PORT" "$CAMPORT"
    "${ARTICLE_SSH[@]}" >"$TMP/article_ssh.log" 2>&1 &
    started $!
    wait_for_port "$TUNNEL_PORT" 15 $!
    VC=$(free_port)
    article_vcl "$TUNNEL_PORT" >"$TMP/article.vcl"
    start_varnish article "$VC" -f "$TMP/article.vcl" "${ARTICLE_VARNISH[@]}"
    PATHS+=(c)
    URL[c]="ws://127.0.0.1:$VC/"
    RELAY_PIDS[c]="$VARNISH_PID,$ARTICLE_SSHD_PID"
else
    say "(c) skipped: the article's setup needs root, sshd and ssh"
fi

# --- (d) camrelay: vmod_camrelay with vcl/default.vcl, the locked-down tunnel
# (tests/lib/relay_fixture.sh), varnishd as `camrelay setup` starts it
if bench_relay_available; then
    bench_relay_start
    relay_add_camera cam1 --max-viewers 2
    relay_start_tunnel cam1 "$CAM_PORT" "127.0.0.1:$CAMPORT"
    wait_for_port "$CAM_PORT" 15
    VD=$(free_port)
    mapfile -t relay_params < <(camrelay_varnishd_params 1000)
    relay_start_varnish "$VD" "${relay_params[@]}"
    URL[d]="ws://127.0.0.1:$VD/cam1/?k=$(cam key issue --camera cam1 --ttl 1h)" || die "key issue failed"
    # The load's second viewer has a key of its own: one key opens one
    # viewer at a time (max_viewers_per_key), and a key minted in the same
    # second differs only by its lifetime.
    URL2[d]="ws://127.0.0.1:$VD/cam1/?k=$(cam key issue --camera cam1 --ttl 3601s)" || die "key issue failed"
    PATHS+=(d)
    RELAY_PIDS[d]="$VARNISH_PID,$SSHD_PID"
else
    say "(d) skipped: $BENCH_RELAY_MISSING"
fi

declare -A NAME=([a]="direct to the camera" [b]="varnishd pipe (article VCL, no ssh)"
                 [c]="the article: varnishd + ssh -N -R" [d]="camrelay: vmod_camrelay + camrelay-tunnel")

# --- measure: each kind of run on every path in turn, REPEAT rounds
run_json() {  # KIND PATH ROUND ARGS...: camrelay-bench run --json into $TMP/KIND-PATH-ROUND.json
    local kind=$1 path=$2 round=$3 urls
    shift 3
    urls=("${URL[$path]}")
    # load: two viewers of the one camera, each with its own URL (and key).
    [ "$kind" != load ] || urls+=("${URL2[$path]:-${URL[$path]}}")
    "$BENCH" run "${urls[@]}" "$@" --json >"$TMP/$kind-$path-$round.json" 2>"$TMP/$kind-$path-$round.err" ||
        say "($path) $kind: measurement failed: $(head -c 300 "$TMP/$kind-$path-$round.err")"
}
for round in $(seq 1 "$REPEAT"); do
    say "round $round of $REPEAT"
    for kind in rtt rtt100 stream load; do
        for p in "${PATHS[@]}"; do
            case $kind in
                rtt) what="round trips, 16 KiB x $RTT_COUNT"
                    args=(--mode rtt --size 16K --count "$RTT_COUNT" --timeout 120) ;;
                rtt100) what="round trips, 100 B x $RTT_COUNT"
                    args=(--mode rtt --size 100 --count "$RTT_COUNT" --timeout 120) ;;
                stream) what="one stream, 64 KiB messages, ${STREAM_SECONDS} s"
                    args=(--mode stream --size 64K --duration "$STREAM_SECONDS" --timeout 60) ;;
                load) what="2 viewers at 4 Mbit/s, ${LOAD_SECONDS} s"
                    args=(--mode load --viewers 1 --mbps 4 --size 16K --duration "$LOAD_SECONDS")
                    [ -z "${RELAY_PIDS[$p]}" ] || args+=(--relay-pid "${RELAY_PIDS[$p]}") ;;
            esac
            say "($p) $what"
            run_json "$kind" "$p" "$round" "${args[@]}"
        done
    done
done

# median KIND PATH JQ: the median of a figure over the rounds whose run
# succeeded, or "" if none did.
declare -A FAILED_RUNS
median() {
    local kind=$1 path=$2 filter=$3 round file values=()
    for round in $(seq 1 "$REPEAT"); do
        file=$TMP/$kind-$path-$round.json
        if [ -s "$file" ] && [ "$(jq -r .ok "$file")" = true ]; then
            values+=("$(jq -r "$filter" "$file")")
        fi
    done
    [ ${#values[@]} -gt 0 ] || { echo ""; return; }
    printf '%s\n' "${values[@]}" | sort -g | awk '{ v[NR] = $0 } END { print v[int((NR + 1) / 2)] }'
}
declare -A R
for p in "${PATHS[@]}"; do
    R[$p.p50]=$(median rtt "$p" .latency_ms.p50)
    R[$p.p99]=$(median rtt "$p" .latency_ms.p99)
    R[$p.over]=$(median rtt "$p" .over_threshold)
    R[$p.small]=$(median rtt100 "$p" .latency_ms.p50)
    R[$p.mbs]=$(median stream "$p" .mb_per_s)
    R[$p.load99]=$(median load "$p" .latency_ms.p99)
    R[$p.cpu]=$(median load "$p" '.relay.cpu_percent // empty')
    FAILED_RUNS[$p]=$(cat "$TMP"/*-"$p"-*.json 2>/dev/null | jq -s '[.[] | select(.ok != true)] | length')
done

ms() { [ -n "$1" ] && printf '%.3f ms' "$1" || printf 'failed'; }
ratio() {  # VALUE REFERENCE
    [ -n "$1" ] && [ -n "$2" ] && awk -v a="$1" -v b="$2" 'BEGIN {
        if (b <= 0) { printf "–"; exit }
        r = a / b
        printf (r >= 10 ? "%.0f×" : r >= 0.1 ? "%.2f×" : "%.2g×"), r
    }' ||
        printf '–'
}
has() { [[ " ${PATHS[*]} " == *" $1 "* ]]; }
ref_c() { has c && echo "${R[c.$1]}" || echo ""; }

# --- the report, printed and written to BENCHMARKS.md
report() {
    local p
    echo "| path | 16 KiB round trip p50 | p99 | > 10 ms (of $RTT_COUNT) | 100 B p50 | stream MB/s | 2 × 4 Mbit/s one-way p99 | relay CPU |"
    echo "|---|---|---|---|---|---|---|---|"
    for p in a b c d; do
        if ! has "$p"; then
            [ "$p" = d ] && echo "| ($p) ${NAME[$p]} | skipped: ${BENCH_RELAY_MISSING:-did not start} | | | | | | |"
            continue
        fi
        printf '| (%s) %s | %s | %s | %s | %s | %s | %s | %s |\n' "$p" "${NAME[$p]}" "$(ms "${R[$p.p50]}")" \
            "$(ms "${R[$p.p99]}")" "${R[$p.over]:-failed}" "$(ms "${R[$p.small]}")" \
            "$([ -n "${R[$p.mbs]}" ] && printf '%.0f' "${R[$p.mbs]}" || echo failed)" "$(ms "${R[$p.load99]}")" \
            "$([ -n "${R[$p.cpu]}" ] && printf '%.1f %%' "${R[$p.cpu]}" || echo –)"
    done
    for p in "${PATHS[@]}"; do
        [ "${FAILED_RUNS[$p]:-0}" = 0 ] || echo "
($p): ${FAILED_RUNS[$p]} measurement(s) failed and are left out of the medians."
    done
    echo
    echo "Ratios (÷ direct / ÷ article; lower is better for times, higher for MB/s):"
    echo
    echo "| path | 16 KiB p50 | 16 KiB p99 | 100 B p50 | stream MB/s |"
    echo "|---|---|---|---|---|"
    for p in "${PATHS[@]}"; do
        printf '| (%s) | %s / %s | %s / %s | %s / %s | %s / %s |\n' "$p" \
            "$(ratio "${R[$p.p50]}" "${R[a.p50]}")" "$(ratio "${R[$p.p50]}" "$(ref_c p50)")" \
            "$(ratio "${R[$p.p99]}" "${R[a.p99]}")" "$(ratio "${R[$p.p99]}" "$(ref_c p99)")" \
            "$(ratio "${R[$p.small]}" "${R[a.small]}")" "$(ratio "${R[$p.small]}" "$(ref_c small)")" \
            "$(ratio "${R[$p.mbs]}" "${R[a.mbs]}")" "$(ratio "${R[$p.mbs]}" "$(ref_c mbs)")"
    done
}

machine=$(machine_line)
versions=$(software_line)
section=$(cat <<MD
<!-- camrelay-bench:begin (bench/run.sh writes this section; edits inside are lost) -->
### Last run: $(date -u '+%Y-%m-%d %H:%M UTC')

- Machine: $machine
- Software: $versions
- Command: \`$command_line\` (REPEAT=$REPEAT, RTT_COUNT=$RTT_COUNT, STREAM_SECONDS=$STREAM_SECONDS, LOAD_SECONDS=$LOAD_SECONDS)
- Each figure is the median of $REPEAT rounds, all on loopback. Round trips: one binary message at a time, echoed by the camera. Stream: the camera
  sends 64 KiB messages as fast as the path takes them (MB = 10^6 bytes). Load: two viewers each get
  16 KiB messages at 4 Mbit/s and send 64 B upstream 30 times a second; relay CPU is varnishd (and
  sshd) in % of one core.

$(report)
<!-- camrelay-bench:end -->
MD
)

publish_section camrelay-bench "$section"

# --- what a key check costs, in its own section
if [ "$keycheck" = 1 ]; then
    # Our processes (sshd, tunnels, varnishd) stop first: keycheck.sh runs
    # its own varnishd and should find the machine as quiet as we did.
    kit_cleanup
    trap - EXIT
    say "bench/keycheck.sh: what the key check costs"
    keycheck_args=("$BUILD_DIR")
    [ "$write" = 1 ] || keycheck_args+=(--no-write)
    # What it needs; core_bench (the core's own cost per check) if it can.
    if [ "${NO_BUILD:-0}" != 1 ]; then
        cmake --build "$BUILD_DIR" -j2 --target camrelay vmod_camrelay >/dev/null 2>&1 || true
        cmake --build "$BUILD_DIR" -j2 --target core_bench >/dev/null 2>&1 || true
    fi
    BENCHMARKS_FILE=$BENCHMARKS_FILE "$top/bench/keycheck.sh" "${keycheck_args[@]}" ||
        { status=$?; say "bench/keycheck.sh failed (exit $status); its section is unchanged"; exit "$status"; }
fi
