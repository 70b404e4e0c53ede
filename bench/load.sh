#!/usr/bin/env bash
# bench/load.sh: many cameras and their viewers through one camrelay relay,
# all on loopback, and its section of BENCHMARKS.md.
#
#   CAMERAS x `camrelay-bench serve` (the cameras), each behind its own
#   camrelay-tunnel (ssh -R, its own key, registered with `camrelay camera
#   add --ssh-key`) to one sshd with camrelay's drop-in; one varnishd with
#   vcl/default.vcl and vmod_camrelay; `camrelay-bench run --mode load` plays
#   VIEWERS viewers per camera, each getting a MBPS Mbit/s stream of SIZE
#   messages (and sending 64 B upstream 30 times a second) for SECONDS.
#
# Reports failed and dropped connections, lost / out-of-order / corrupt
# messages, one-way latency, the relay's CPU and memory (varnishd and sshd
# with their children, from camrelay-bench --relay-pid), and the CPU of
# everything else on the machine: the load generator (viewers, cameras and
# their ssh clients) shares the relay's cores, and is reported so that a
# saturated generator is not mistaken for a slow relay.
#
# Usage: bench/load.sh [--no-write] [--tuning]
#   --tuning   afterwards, the same cameras and tunnels through varnishd
#              restarted with each parameter set of TUNING_VARIANTS below,
#              for TUNING_SECONDS each, in TUNING_ROUNDS rounds: the
#              "Tuning" section's figures. Other jobs on a shared machine
#              can starve a 20 s run; each variant is shown from its round
#              that they disturbed least (their CPU share is in the table).
# Environment: CAMERAS (100), VIEWERS (2 per camera), MBPS (2), SECONDS
# (60), SIZE (16K), TUNING_SECONDS (20), TUNING_ROUNDS (3), SSHD_OPTIONS (sshd_config lines
# separated by ";", e.g. "MaxStartups 100:30:200"), BUILD_DIR (build-bench),
# BENCHMARKS_FILE (BENCHMARKS.md). A short run: CAMERAS=5 SECONDS=5 bench/load.sh --no-write
# Needs root (sshd, a throwaway account), varnish, openssh-server,
# openssh-client, jq, and what bench/run.sh needs to build.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)

# SECONDS is also bash's clock, which starts counting at the caller's
# value: read that value from the environment this process started with.
DURATION=$(tr '\0' '\n' </proc/$$/environ | sed -n 's/^SECONDS=//p')
DURATION=${DURATION:-60}
CAMERAS=${CAMERAS:-100}
VIEWERS=${VIEWERS:-2}
MBPS=${MBPS:-2}
SIZE=${SIZE:-16K}
TUNING_SECONDS=${TUNING_SECONDS:-20}
TUNING_ROUNDS=${TUNING_ROUNDS:-3}
BUILD_DIR=${BUILD_DIR:-$top/build-bench}
BENCHMARKS_FILE=${BENCHMARKS_FILE:-$top/BENCHMARKS.md}
# shellcheck source=common.sh
source "$top/bench/common.sh"
write=1
tuning=0
bench_options load.sh --no-write --tuning -- "$@"
for n in CAMERAS VIEWERS DURATION TUNING_SECONDS TUNING_ROUNDS; do
    [[ ${!n} =~ ^[1-9][0-9]*$ ]] || { echo "load.sh: $n must be a positive integer" >&2; exit 2; }
done
[ "$CAMERAS" -le 5000 ] || { echo "load.sh: at most 5000 cameras (ports 20000-29999)" >&2; exit 2; }
[[ $MBPS =~ ^[0-9]+([.][0-9]+)?$ ]] || { echo "load.sh: MBPS must be a number" >&2; exit 2; }
TOTAL=$((CAMERAS * VIEWERS))
command_line="$(printf 'CAMERAS=%s VIEWERS=%s MBPS=%s SECONDS=%s ' "$CAMERAS" "$VIEWERS" "$MBPS" "$DURATION")${SSHD_OPTIONS:+SSHD_OPTIONS=\"$SSHD_OPTIONS\" }bench/load.sh${*:+ $*}"

[ "$(id -u)" = 0 ] || skip "needs root (sshd and a throwaway account)"
for tool in varnishd varnishstat jq curl ssh /usr/sbin/sshd; do
    command -v "$tool" >/dev/null || { say "$tool is not installed"; exit 1; }
done

# Descriptors: varnishd holds two per viewer (viewer, tunnel port), the
# viewers' process one per viewer, sshd a few per camera.
want_fds=$((4 * TOTAL + 8 * CAMERAS + 1024))
if [ "$(ulimit -n)" != unlimited ] && [ "$(ulimit -n)" -lt "$want_fds" ]; then
    ulimit -n "$want_fds" 2>/dev/null ||
        { say "ulimit -n $want_fds refused (hard limit $(ulimit -Hn))"; exit 1; }
fi

bench_build vmod_camrelay camrelay camrelay-session
bench_workdir
bench_relay_available || die "$BENCH_RELAY_MISSING"

# As `camrelay setup --max-viewers TOTAL` starts varnishd
# (tools/setup/relay-params.sh): BASE_PARAMS go to every varnishd of this
# run; the worker thread and pipe parameters, SHIPPED, are what --tuning
# varies. tuned_params N: those for N viewers, on one line.
mapfile -t RELAY_PARAMS < <(camrelay_varnishd_params "$TOTAL")
BASE_PARAMS=()
for ((k = 0; k < ${#RELAY_PARAMS[@]}; k += 2)); do
    case ${RELAY_PARAMS[k + 1]} in
        thread_* | pipe_sess_max=*) ;;
        *) BASE_PARAMS+=("${RELAY_PARAMS[k]}" "${RELAY_PARAMS[k + 1]}") ;;
    esac
done
tuned_params() {
    camrelay_varnishd_params "$1" | paste -d' ' - - | grep -E '^-p (thread_|pipe_sess_max=)' | paste -sd' '
}
SHIPPED=$(tuned_params "$TOTAL")

# --- the cameras, their keys and tunnels
say "starting $CAMERAS cameras"
CAMERA_PIDS=()
for i in $(seq 1 "$CAMERAS"); do
    start_camera "cam$i" --mode echo
    CAMERA_PIDS+=("$CAMERA_PID")
    CAMPORT_OF[i]=$CAMERA_PORT
done
IFS=';' read -r -a sshd_options <<<"${SSHD_OPTIONS:-}"
bench_relay_start "${sshd_options[@]}"
say "registering $CAMERAS cameras (camrelay camera add --ssh-key, key issue)"
declare -A TUNNEL_PORT_USED
LISTEN_PORTS=()
KEYS=()
for i in $(seq 1 "$CAMERAS"); do
    relay_add_camera "cam$i" --max-viewers "$VIEWERS"
    LISTEN_PORTS+=("$CAM_PORT")
    TUNNEL_PORT_USED[$CAM_PORT]=1
    # One key per viewer: a key opens one viewer at a time
    # (max_viewers_per_key); keys minted in one second differ by lifetime.
    for v in $(seq 1 "$VIEWERS"); do KEYS+=("$(cam key issue --camera "cam$i" --ttl $((7200 + v))s)"); done
done

say "starting $CAMERAS camrelay-tunnel"
TUNNEL_PIDS=()
tunnels_from=$(date +%s%N)
for i in $(seq 1 "$CAMERAS"); do
    relay_start_tunnel "cam$i" "${LISTEN_PORTS[i - 1]}" "127.0.0.1:${CAMPORT_OF[i]}"
    TUNNEL_PIDS+=("$TUNNEL_PID")
done
# All tunnel ports listening, within 120 s.
listening_tunnels() {
    local port n=0 open
    open=" $(ss -Htln 'sport >= :20000 and sport <= :29999' | awk '{ sub(/.*:/, "", $4); printf "%s ", $4 }') "
    for port in "${LISTEN_PORTS[@]}"; do [[ $open == *" $port "* ]] && n=$((n + 1)); done
    echo "$n"
}
up=0
for _ in $(seq 1 1200); do
    up=$(listening_tunnels)
    [ "$up" = "$CAMERAS" ] && break
    sleep 0.1
done
TUNNELS_UP_S=$(awk -v a="$tunnels_from" -v b="$(date +%s%N)" 'BEGIN { printf "%.1f", (b - a) / 1e9 }')
[ "$up" = "$CAMERAS" ] || die "only $up of $CAMERAS tunnels came up within 120 s"
TUNNEL_RETRIES=$(cat "$TMP"/tunnel-cam*.log | grep -c 'tunnel down' || true)
say "$CAMERAS tunnels up after ${TUNNELS_UP_S} s ($TUNNEL_RETRIES reconnects)"

# varnishd's port: not one that a camera's tunnel holds.
while :; do
    VARNISH_PORT=$(free_port)
    [ -z "${TUNNEL_PORT_USED[$VARNISH_PORT]:-}" ] && break
done
# One line a viewer: camrelay-bench opens one viewer per line (--viewers 1).
for i in $(seq 1 "$CAMERAS"); do
    for v in $(seq 1 "$VIEWERS"); do
        echo "ws://127.0.0.1:$VARNISH_PORT/cam$i/?k=${KEYS[(i - 1) * VIEWERS + v - 1]}"
    done
done >"$TMP/urls"

# --- measuring

# proc_sample NAME=PID[,PID...]...: one line "NAME ticks rss_kib processes"
# per group, each PID with all its descendants, from one read of /proc.
PAGE_KIB=$(($(getconf PAGESIZE) / 1024))
proc_sample() {
    { cat /proc/[0-9]*/stat 2>/dev/null || true; } | awk -v groups="$*" -v page_kib="$PAGE_KIB" '
        {
            pid = $1
            rest = $0
            sub(/^.*\) /, "", rest)   # the command name may hold blanks
            split(rest, f, " ")
            parent[pid] = f[2]; ticks[pid] = f[12] + f[13]; rss[pid] = f[22] * page_kib
        }
        END {
            n = split(groups, g, " ")
            for (i = 1; i <= n; i++) {
                split(g[i], kv, "="); name[i] = kv[1]
                m = split(kv[2], roots, ",")
                for (j = 1; j <= m; j++) group_of[roots[j]] = i
            }
            for (pid in parent) {
                p = pid
                for (d = 0; d < 64 && !(p in group_of) && (p in parent); d++) p = parent[p]
                if (p in group_of) { k = group_of[p]; T[k] += ticks[pid]; R[k] += rss[pid]; N[k]++ }
            }
            for (i = 1; i <= n; i++) printf "%s %d %d %d\n", name[i], T[i], R[i], N[i]
        }'
}
join_pids() { local IFS=,; echo "$*"; }
CAMERA_GROUP=$(join_pids "${CAMERA_PIDS[@]}")
TUNNEL_GROUP=$(join_pids "${TUNNEL_PIDS[@]}")
CLK_TCK=$(getconf CLK_TCK)

# sampler VIEWERS_PID OUT: every second, while VIEWERS_PID runs, one line:
# "time_ns n_pipe busy_ticks all_ticks" then "group ticks rss processes"
# for varnishd, sshd, viewers, cameras, tunnels.
sampler() {
    local viewers=$1 out=$2 stat
    while kill -0 "$viewers" 2>/dev/null; do
        read -r -a stat </proc/stat
        {
            printf 'T %s %s %s %s\n' "$(date +%s%N)" \
                "$(varnishstat -n "$VARNISH_DIR" -1 -f MAIN.n_pipe 2>/dev/null | awk '{ print $2 + 0 }')" \
                "$((stat[1] + stat[2] + stat[3] + stat[6] + stat[7]))" \
                "$((stat[1] + stat[2] + stat[3] + stat[4] + stat[5] + stat[6] + stat[7] + stat[8]))"
            proc_sample varnishd="$VARNISH_PID" sshd="$SSHD_PID" viewers="$viewers" \
                cameras="$CAMERA_GROUP" tunnels="$TUNNEL_GROUP"
        } >>"$out"
        sleep 1
    done
}

# sample_summary FILE: over the samples taken while the most pipes were
# open (the measured window), CPU in % of one core for each group and the
# machine ("busy", of all cores), and the peak RSS of each group; as
# NAME_cpu=, NAME_rss= lines.
sample_summary() {
    awk -v tck="$CLK_TCK" -v cores="$(nproc)" '
        $1 == "T" { s++; t[s] = $2; pipes[s] = $3; busy[s] = $4; all[s] = $5; if ($3 > top) top = $3; next }
        { ticks[s, $1] = $2; rss[s, $1] = $3; names[$1] = 1 }
        END {
            for (i = 1; i <= s; i++) if (pipes[i] == top) { if (!a) a = i; b = i }
            if (!a || a == b) { a = 1; b = s }
            dt = (t[b] - t[a]) / 1e9
            if (dt <= 0) exit
            printf "window_s=%.1f\npipes=%d\n", dt, top
            printf "busy_cpu=%.1f\n", 100 * cores * (busy[b] - busy[a]) / (all[b] - all[a])
            for (n in names) {
                printf "%s_cpu=%.1f\n", n, 100 * (ticks[b, n] - ticks[a, n]) / tck / dt
                peak = 0
                for (i = a; i <= b; i++) if (rss[i, n] > peak) peak = rss[i, n]
                printf "%s_rss=%d\n", n, peak
            }
        }' "$1"
}

varnish_counters() {
    varnishstat -n "$VARNISH_DIR" -1 \
        -f MAIN.threads -f MAIN.threads_created -f MAIN.threads_limited -f MAIN.sess_queued \
        -f MAIN.sess_dropped -f MAIN.sess_drop -f MAIN.sess_fail -f MAIN.pipe_limited -f MAIN.s_pipe 2>/dev/null |
        awk '{ sub(/^MAIN\./, "", $1); printf "%s=%s\n", $1, $2 }'
}

# measure NAME SECONDS VARNISHD_ARG...: varnishd with these parameters, idle
# memory, the load run with the sampler, counters; results in $TMP/NAME.*.
measure() {
    local name=$1 secs=$2 viewers_pid
    shift 2
    say "[$name] varnishd $*"
    relay_start_varnish "$VARNISH_PORT" "${BASE_PARAMS[@]}" "$@"
    sleep 2   # the pools reach thread_pool_min
    proc_sample varnishd="$VARNISH_PID" sshd="$SSHD_PID" >"$TMP/$name.idle"
    say "[$name] $TOTAL viewers ($CAMERAS cameras x $VIEWERS) at $MBPS Mbit/s, $SIZE messages, ${secs} s"
    "$BENCH" run --urls-file "$TMP/urls" --mode load --viewers 1 --mbps "$MBPS" --size "$SIZE" \
        --duration "$secs" --relay-pid "$VARNISH_PID,$SSHD_PID" --json \
        >"$TMP/$name.json" 2>"$TMP/$name.err" &
    viewers_pid=$!
    started $viewers_pid
    sampler "$viewers_pid" "$TMP/$name.samples" &
    started $!
    # A page load (the camera's viewer page, passed) while the viewers
    # hold their pipes: it needs a worker thread of its own.
    sleep 3
    curl -s -o /dev/null -m 10 -w 'page=%{http_code} %{time_total}\n' \
        "http://127.0.0.1:$VARNISH_PORT/cam1/" >"$TMP/$name.page" || true
    open_files "$VARNISH_PID" >"$TMP/$name.fds"
    wait "$viewers_pid" || true
    wait $! 2>/dev/null || true
    sleep 1
    proc_sample varnishd="$VARNISH_PID" >"$TMP/$name.after"
    sample_summary "$TMP/$name.samples" >"$TMP/$name.summary"
    varnish_counters >"$TMP/$name.counters"
    stop "$VARNISH_PID"
    [ -s "$TMP/$name.json" ] || die "[$name] camrelay-bench printed no result: $(head -c 500 "$TMP/$name.err")"
    say "[$name] $(jq -c '{ok, connected, failed_connections, dropped_connections, lost, p99: .latency_ms.p99}' "$TMP/$name.json")"
}

# get NAME KEY: a figure of a measurement (summary, counters or idle).
get() {
    local name=$1 key=$2
    case $key in
        idle_*) awk -v g="${key#idle_}" '$1 == g { print $3 }' "$TMP/$name.idle" ;;
        after_*) awk -v g="${key#after_}" '$1 == g { print $3 }' "$TMP/$name.after" ;;
        page) awk '{ sub(/page=/, "", $1); if ($1 == "000") print "no answer in 10 s"; else printf "%s in %.0f ms\n", $1, $2 * 1000 }' "$TMP/$name.page" ;;
        *) sed -n "s/^$key=//p" "$TMP/$name.summary" "$TMP/$name.counters" | head -1 ;;
    esac
}
j() { jq -r "$2" "$TMP/$1.json"; }
mib() { awk -v k="$1" 'BEGIN { printf "%.1f MiB", k / 1024 }'; }

# open_files ROOT: descriptors a process tree holds.
open_files() {
    local pid
    for pid in $(trees_of "$1"); do ls "/proc/$pid/fd" 2>/dev/null || true; done | wc -l
}

# group_pss ROOT: proportional memory (KiB) of a process tree: shared pages
# (sshd's code, for one) split between the processes that map them.
group_pss() {
    local files=() pid
    for pid in $(trees_of "$1"); do files+=("/proc/$pid/smaps_rollup"); done
    { cat "${files[@]}" 2>/dev/null || true; } | awk '$1 == "Pss:" { s += $2 } END { print s + 0 }'
}

# shellcheck disable=SC2086  # the parameter lists are split on purpose
measure load "$DURATION" $SHIPPED
SSHD_PSS=$(group_pss "$SSHD_PID")

# --- tuning: the same load through varnishd with other parameters
# TUNING_VARIANTS: "NAME=VARNISHD ARGS" entries separated by ";". Each
# changes one thing against the shipped set; "quarter" is a relay set up
# for a quarter of these viewers (setup's formula without its floor of
# 500), to see what the viewers beyond its threads meet.
quarter=$((TOTAL / 4 > 0 ? TOTAL / 4 : 1))
quarter_threads=$(tuned_params "$quarter" | sed -e 's/ -p pipe_sess_max=[0-9]*//' \
    -e "s/thread_pool_max=[0-9]*/thread_pool_max=$((quarter + 10 > 50 ? quarter + 10 : 50))/")
TUNING_VARIANTS=${TUNING_VARIANTS:-"defaults=;shipped=$SHIPPED;\
stack-48k=$SHIPPED -p thread_pool_stack=48k;\
workspaces-64k=$SHIPPED -p workspace_client=64k -p workspace_backend=64k;\
one-pool=${SHIPPED/thread_pools=2/thread_pools=1};\
min-100=${SHIPPED/thread_pool_min=50/thread_pool_min=100};\
quarter-no-cap=$quarter_threads;\
quarter-cap=$quarter_threads -p pipe_sess_max=$quarter"}
TUNING_BASES=()
if [ "$tuning" = 1 ]; then
    IFS=';' read -r -a variants <<<"$TUNING_VARIANTS"
    for v in "${variants[@]}"; do TUNING_BASES+=("tune-${v%%=*}"); done
    for round in $(seq 1 "$TUNING_ROUNDS"); do
        for v in "${variants[@]}"; do
            name=tune-${v%%=*}-r$round
            printf '%s\n' "${v#*=}" >"$TMP/$name.params"
            # shellcheck disable=SC2046
            measure "$name" "$TUNING_SECONDS" $(cat "$TMP/$name.params")
        done
    done
fi

# --- the report
load_report() {
    local n=load p99
    p99=$(j $n .latency_ms.p99)
    target() { [ "$1" = 1 ] && echo "met" || echo "**not met**"; }
    echo "| | result | target |"
    echo "|---|---|---|"
    echo "| connections | $(j $n .connected) of $TOTAL open, $(j $n .failed_connections) failed, $(j $n .dropped_connections) dropped | none failed: $(target "$(j $n '(.failed_connections == 0 and .dropped_connections == 0 and .connected == .viewers) | if . then 1 else 0 end')") |"
    echo "| messages | $(j $n .messages) received ($(j $n '.received_mbps_per_viewer * 100 | round / 100') Mbit/s per viewer); $(j $n .lost) lost, $(j $n .out_of_order) out of order, $(j $n .corrupt) corrupt | none lost: $(target "$(j $n '(.lost == 0 and .out_of_order == 0 and .corrupt == 0 and .unexpected == 0) | if . then 1 else 0 end')") |"
    echo "| one-way latency | p50 $(j $n '.latency_ms.p50 * 1000 | round / 1000') ms, p99 $(j $n '.latency_ms.p99 * 1000 | round / 1000') ms, max $(j $n '.latency_ms.max * 1000 | round / 1000') ms ($(j $n .latency_ms.count) messages; $(j $n .over_threshold) over 10 ms) | p99 ≤ 20 ms: $(target "$(awk -v p="$p99" 'BEGIN { print (p <= 20) ? 1 : 0 }')") |"
    echo "| relay CPU (varnishd + sshd) | $(j $n '.relay.cpu_percent * 10 | round / 10') % of one core: varnishd $(get $n varnishd_cpu) %, sshd $(get $n sshd_cpu) % | |"
    echo "| relay memory (RSS, $(j $n .relay.processes) processes) | $(mib "$(j $n .relay.rss_before_kib)") before the viewers, $(mib "$(j $n .relay.rss_peak_kib)") peak: **$(j $n '.relay.rss_per_viewer_kib * 10 | round / 10') KiB per viewer** (varnishd $(mib "$(get $n idle_varnishd)") → $(mib "$(get $n varnishd_rss)"), $(mib "$(get $n after_varnishd)") after they left, sshd $(mib "$(get $n idle_sshd)") → $(mib "$(get $n sshd_rss)"), RSS sums count shared pages once per process; sshd's proportional share (PSS) is $(awk -v a="$SSHD_PSS" -v c="$CAMERAS" 'BEGIN { printf "%.0f", a / c }') KiB per camera) | |"
    echo "| load generator CPU | viewers (one camrelay-bench process) $(get $n viewers_cpu) %, cameras $(get $n cameras_cpu) %, their ssh clients $(get $n tunnels_cpu) % | |"
    echo "| machine | $(get $n busy_cpu) % of $(nproc) cores busy, $(others_cpu $n) % of it outside this benchmark (other jobs on the machine) | |"
    echo "| varnishd | $(cat "$TMP/$n.fds") open files, $(get $n threads) worker threads, $(get $n threads_limited) times at thread_pool_max, $(get $n sess_queued) sessions queued, $(get $n sess_dropped) dropped | |"
}

# CPU of the machine not used by the relay, the cameras or the viewers.
others_cpu() {
    awk -v b="$(get "$1" busy_cpu)" -v v="$(get "$1" varnishd_cpu)" -v s="$(get "$1" sshd_cpu)" \
        -v w="$(get "$1" viewers_cpu)" -v c="$(get "$1" cameras_cpu)" -v t="$(get "$1" tunnels_cpu)" \
        'BEGIN { o = b - v - s - w - c - t; printf "%.0f", (o > 0 ? o : 0) }'
}

saturation_note() {
    local n=load viewers busy
    viewers=$(get $n viewers_cpu)
    busy=$(get $n busy_cpu)
    awk -v v="$viewers" -v b="$busy" -v c="$(nproc)" 'BEGIN {
        if (v >= 90) print "The viewers process used " v " % of a core: the load generator itself was the bottleneck, and the latency above is partly its own."
        else if (b >= 90 * c) print "The machine was saturated (" b " % of " c " cores busy): relay, cameras and viewers competed for CPU, so latency includes waiting for a core."
        else print "The viewers process used " v " % of one core and the machine " b " % of " c " cores: the load generator was not the bottleneck."
    }'
}

section=$(cat <<MD
<!-- camrelay-load:begin (bench/load.sh writes this section; edits inside are lost) -->
### Last run: $(date -u '+%Y-%m-%d %H:%M UTC')

- Machine: $(machine_line)
- Software: $(software_line)
- Command: \`$command_line\`
- $CAMERAS cameras (\`camrelay-bench serve\`), each with its own \`camrelay-tunnel\` and key to one sshd
  with camrelay's drop-in ($CAMERAS tunnels up ${TUNNELS_UP_S} s after starting them, $TUNNEL_RETRIES reconnects), one
  varnishd with vcl/default.vcl and vmod_camrelay (\`${RELAY_PARAMS[*]}\`,
  as \`camrelay setup --max-viewers $TOTAL\` starts it). $VIEWERS viewers per camera ($TOTAL) in one
  \`camrelay-bench run --mode load\`, each getting $SIZE messages at $MBPS Mbit/s and sending 64 B upstream
  30 times a second, measured for $DURATION s after all connected. Relay CPU and memory: varnishd and sshd
  with all their children (\`--relay-pid\`); CPU in % of one core over the window, split and the load
  generator's share sampled every second from /proc; memory per viewer = (peak RSS − RSS before the
  viewers) ÷ viewers.

$(load_report)

$(saturation_note)
<!-- camrelay-load:end -->
MD
)
publish_section camrelay-load "$section"

# least_disturbed BASE: the round of a variant in which other jobs used the
# least CPU.
least_disturbed() {
    local r cpu best="" best_cpu=""
    for r in $(seq 1 "$TUNING_ROUNDS"); do
        cpu=$(others_cpu "$1-r$r")
        if [ -z "$best" ] || [ "$cpu" -lt "$best_cpu" ]; then best=$1-r$r; best_cpu=$cpu; fi
    done
    echo "$best"
}

# One row per variant: what a parameter changes, read side by side.
tuning_report() {
    local base n params
    echo "| variant | varnishd parameters (besides ${BASE_PARAMS[*]}) | viewers connected / failed | sessions queued | page load during the load | lost | one-way p50 / p99 / max | varnishd CPU | varnishd RSS idle → with viewers → after they left | worker threads | other jobs' CPU (round) |"
    echo "|---|---|---|---|---|---|---|---|---|---|---|"
    for base in "${TUNING_BASES[@]}"; do
        n=$(least_disturbed "$base")
        params=$(sed 's/-p //g' "$TMP/$n.params")
        printf '| %s | %s | %s / %s | %s | %s | %s | %s / %s / %s ms | %s %% | %s → %s → %s | %s | %s %% (%s of %s) |\n' "${base#tune-}" \
            "${params:-(Varnish defaults)}" "$(j "$n" .connected)" \
            "$(j "$n" '.failed_connections + .dropped_connections')" "$(get "$n" sess_queued)" "$(get "$n" page)" \
            "$(j "$n" '.lost + .out_of_order + .corrupt')" \
            "$(j "$n" '.latency_ms.p50 * 100 | round / 100')" "$(j "$n" '.latency_ms.p99 * 100 | round / 100')" \
            "$(j "$n" '.latency_ms.max * 100 | round / 100')" "$(get "$n" varnishd_cpu)" \
            "$(mib "$(get "$n" idle_varnishd)")" "$(mib "$(get "$n" varnishd_rss)")" "$(mib "$(get "$n" after_varnishd)")" \
            "$(get "$n" threads)" "$(others_cpu "$n")" "${n##*-r}" "$TUNING_ROUNDS"
    done
}

if [ "$tuning" = 1 ]; then
    tuning_section=$(cat <<MD
<!-- camrelay-tuning:begin (bench/load.sh --tuning writes this section; edits inside are lost) -->
### Last run: $(date -u '+%Y-%m-%d %H:%M UTC')

- Machine: $(machine_line)
- Command: \`$command_line\` (TUNING_SECONDS=$TUNING_SECONDS, TUNING_ROUNDS=$TUNING_ROUNDS)
- The same $CAMERAS cameras and tunnels as the load run above; varnishd restarted with each parameter
  set, then $TOTAL viewers at $MBPS Mbit/s for $TUNING_SECONDS s; all variants in turn, $TUNING_ROUNDS rounds, each shown
  from the round in which other jobs on the machine used the least CPU (last column). Idle RSS: 2 s
  after varnishd started, before any viewer; with viewers: the highest sample (every second) while all
  were connected; after they left: 1 s after the viewers' process ended.

$(tuning_report)
<!-- camrelay-tuning:end -->
MD
)
    publish_section camrelay-tuning "$tuning_section"
fi
