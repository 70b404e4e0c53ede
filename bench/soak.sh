#!/usr/bin/env bash
# bench/soak.sh: a real relay kept busy for a while, to see that nothing in
# it grows and no message gets lost. On loopback, as root:
#
#   CAMERAS stand-in cameras (tests/soak/soak_camera.js), each behind its
#   own camrelay-tunnel (ssh -R, its own key, `camrelay camera add
#   --ssh-key`) to one sshd with camrelay's drop-in; one varnishd with
#   vcl/default.vcl and the built vmod_camrelay (tests/lib/relay_fixture.sh);
#   VIEWERS viewers (tests/soak/soak_viewers.js) that join, stay 3-20 s, say
#   bye and leave, and join again, each with its own key; every message
#   numbered and checked (tests/soak/protocol.js).
#
# Meanwhile, every RELOAD_EVERY s a VCL reload (varnishadm vcl.load, vcl.use,
# vcl.discard of every other VCL not in use); every FLAP_EVERY s one camera's
# ssh is killed (its camrelay-tunnel reconnects; the viewers of that camera
# are cut); every REVOKE_EVERY s `camrelay camera revoke` of one camera, new
# keys for its viewers and a reload (its viewers are cut by the module);
# every ISSUE_EVERY s a new key for one viewer (`camrelay key issue`). Once
# a second: varnishd's manager and child, sshd (the listener, and with all
# its sessions), their RSS, open files and threads, the module's counters
# (varnishstat -j) and the machine's load, into a CSV.
#
# Pass: over the second half (the first is warm-up), no figure grows beyond
# noise (a least-squares line through it: the growth it gives over that
# half must stay within max(the figure's floor, 3 standard errors)), and
# every message is accounted for (tests/soak/account.js: none lost, none
# corrupt, every cut and refusal one the soak caused), no child restart,
# the module's viewer count back to 0 once the viewers have left.
#
# Usage: bench/soak.sh [--minutes N] [--no-write]
#   --minutes N   how long (default 30); the ctest test soak (label soak)
#                 runs 2 minutes with --no-write
#   --no-write    print the report only; the CSV and plot go to
#                 $BUILD_DIR/soak instead of bench/results
# Environment: CAMERAS (4), VIEWERS (8), RATE (20 data messages a second per
# viewer), RELOAD_EVERY (4), FLAP_EVERY (20), REVOKE_EVERY (30), ISSUE_EVERY
# (10), FLAP_MIN_AGE (65: only a camera whose ssh has been up this long is
# flapped), BUILD_DIR (build), BENCHMARKS_FILE, NO_BUILD=1 (use BUILD_DIR as
# it is), OUT_DIR (where the CSV and plot go).
# Needs root (sshd, a throwaway account), varnish, openssh-server and -client,
# node with tests/e2e's node_modules (ws), jq; gnuplot (gnuplot-nox) for the plot.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
MINUTES=30
write=1
while [ $# -gt 0 ]; do
    case $1 in
        --minutes) MINUTES=${2:-}; shift 2 || { echo "soak.sh: --minutes needs a value" >&2; exit 2; } ;;
        --no-write) write=0; shift ;;
        *) echo "usage: bench/soak.sh [--minutes N] [--no-write]" >&2; exit 2 ;;
    esac
done
CAMERAS=${CAMERAS:-4}
VIEWERS=${VIEWERS:-8}
RATE=${RATE:-20}
RELOAD_EVERY=${RELOAD_EVERY:-4}
FLAP_EVERY=${FLAP_EVERY:-20}
REVOKE_EVERY=${REVOKE_EVERY:-30}
ISSUE_EVERY=${ISSUE_EVERY:-10}
FLAP_MIN_AGE=${FLAP_MIN_AGE:-65}
for n in MINUTES CAMERAS VIEWERS RATE RELOAD_EVERY FLAP_EVERY REVOKE_EVERY ISSUE_EVERY; do
    [[ ${!n} =~ ^[1-9][0-9]*$ ]] || { echo "soak.sh: $n must be a positive integer" >&2; exit 2; }
done
[[ $FLAP_MIN_AGE =~ ^[0-9]+$ ]] || { echo "soak.sh: FLAP_MIN_AGE must be a number of seconds" >&2; exit 2; }
[ "$VIEWERS" -le 250 ] || { echo "soak.sh: at most 250 viewers (one loopback address each)" >&2; exit 2; }
BUILD_DIR=$(cd "${BUILD_DIR:-$top/build}" && pwd)
BENCHMARKS_FILE=${BENCHMARKS_FILE:-$top/BENCHMARKS.md}
if [ "$write" = 1 ]; then OUT_DIR=${OUT_DIR:-$top/bench/results}; else OUT_DIR=${OUT_DIR:-$BUILD_DIR/soak}; fi
DURATION=$((MINUTES * 60))
command_line="bench/soak.sh --minutes $MINUTES$([ "$write" = 1 ] || echo ' --no-write')"
# shellcheck source=common.sh
source "$top/bench/common.sh"

[ "$(id -u)" = 0 ] || skip "needs root (sshd and a throwaway account)"
for tool in varnishd varnishadm varnishstat jq node ssh /usr/sbin/sshd; do
    command -v "$tool" >/dev/null || skip "$tool is not installed"
done
export NODE_PATH=$top/tests/e2e/node_modules
[ -d "$NODE_PATH/ws" ] || skip "tests/e2e/node_modules has no ws (npm ci in tests/e2e, or tools/dev/install-deps.sh)"
SOAK=$top/tests/soak

bench_workdir
bench_relay_available || die "$BENCH_RELAY_MISSING"
# The run uses its own copies of what it built: a build tree shared with
# other work may be rebuilt meanwhile (a module half written when a reload
# loads it, a command being relinked when a camera reconnects).
mkdir -p "$TMP/bin" "$TMP/vmod"
for f in "$CAMRELAY_CLI" "$CAMRELAY_SESSION" "$CAMRELAY_SSH_SETUP" "$CAMRELAY_CONNECT"; do
    [ ! -e "$f" ] || cp "$f" "$TMP/bin/"
done
cp "$CAMRELAY_MODULE" "$TMP/vmod/"
CAMRELAY_CLI=$TMP/bin/camrelay
CAMRELAY_SESSION=$TMP/bin/camrelay-session
CAMRELAY_SSH_SETUP=$TMP/bin/camrelay-ssh-setup
[ ! -e "$TMP/bin/camrelay-connect" ] || export CAMRELAY_CONNECT=$TMP/bin/camrelay-connect
mkdir -p "$OUT_DIR" "$TMP/keys"
! declare -F bench_cpu_mark >/dev/null || bench_cpu_mark soak-start
load_start=$(cut -d' ' -f1-3 /proc/loadavg)

# --- the relay, the cameras, their tunnels and keys
bench_relay_start
declare -a CAMPORT LISTEN TUNNEL
names=()
for i in $(seq 1 "$CAMERAS"); do
    CAMPORT[i]=$(free_port)
    names+=("cam$i=${CAMPORT[i]}")
done
node "$SOAK/soak_camera.js" --log "$TMP/cameras.jsonl" --rate "$RATE" "${names[@]}" >"$TMP/cameras.log" 2>&1 &
CAMERAS_PID=$!
started "$CAMERAS_PID"
for i in $(seq 1 "$CAMERAS"); do wait_for_port "${CAMPORT[i]}" 10 "$CAMERAS_PID"; done

# cam_retry ARG...: the camrelay command, tried again after a second if it
# fails (on a shared build tree another build may be relinking it)
cam_retry() {
    cam "$@" 2>"$TMP/cam-retry.err" || { sleep 1; cam "$@" 2>"$TMP/cam-retry.err"; } ||
        { sleep 1; cam "$@" 2>"$TMP/cam-retry.err"; }
}

camera_of_slot() { echo "cam$(($1 % CAMERAS + 1))"; }
# issue_key SLOT: a new key for the viewer of that slot, replacing its file
# at once (the viewers read it at each join). Keys issued in the same second
# differ by their lifetime: one key lets in one viewer at a time.
issue_key() {
    local camera
    camera=$(camera_of_slot "$1")
    cam_retry key issue --camera "$camera" --ttl "$((7200 + $1))s" >"$TMP/keys/.new" || {
        echo "key issue for $camera failed: $(cat "$TMP/cam-retry.err")" >>"$TMP/control-errors.log"
        return 1
    }
    mv "$TMP/keys/.new" "$TMP/keys/$camera.$1"
}
# Tunnel ports drawn at random from 25000-29999 (camera add alone takes the
# first free one from 20000): other suites running on the same machine take
# those, and one could take a port while its camera is away.
tunnel_port() {
    local port _
    for _ in $(seq 1 100); do
        port=$((25000 + RANDOM % 5000))
        port_free "$port" && ! grep -qx "$port" "$TMP/.ports" 2>/dev/null && echo "$port" >>"$TMP/.ports" &&
            echo "$port" && return 0
    done
    die "no free tunnel port"
}
for i in $(seq 1 "$CAMERAS"); do
    relay_add_camera "cam$i" --max-viewers "$VIEWERS" --port "$(tunnel_port)"
    LISTEN[i]=$CAM_PORT
done
for s in $(seq 0 $((VIEWERS - 1))); do issue_key "$s" || die "key issue"; done
for i in $(seq 1 "$CAMERAS"); do
    relay_start_tunnel "cam$i" "${LISTEN[i]}" "127.0.0.1:${CAMPORT[i]}"
    TUNNEL[i]=$TUNNEL_PID
done
for i in $(seq 1 "$CAMERAS"); do wait_for_port "${LISTEN[i]}" 60 "${TUNNEL[i]}"; done
say "$CAMERAS cameras and their tunnels up"

VARNISH_PORT=$(free_port)
mapfile -t params < <(camrelay_varnishd_params $((VIEWERS * 4)))
# the module's copy first (a later -p wins over the fixture's vmod_path)
relay_start_varnish "$VARNISH_PORT" "${params[@]}" \
    -p vmod_path="$TMP/vmod:$(pkg-config --variable=vmoddir varnishapi 2>/dev/null || echo /usr/lib/varnish/vmods)"
adm() { varnishadm -n "$VARNISH_DIR" "$@"; }
adm param.show vmod_path | grep -qF "$TMP/vmod:" || die "varnishd does not take the module from $TMP/vmod"
child_pid() {
    local c
    for c in $(children_of "$VARNISH_PID"); do
        [ "$(cat "/proc/$c/comm" 2>/dev/null)" = cache-main ] && echo "$c" && return 0
    done
    return 1
}
wait_for 10 child_pid >/dev/null || die "varnishd has no child"
CHILD=$(child_pid)

# --- once a second: the CSV
CSV=$TMP/soak.csv
# child_log_kib: the pages of varnishd's shared log (vsl_space, 80 MiB) the
# child has touched so far, resident as the ring fills for the first time;
# child_rss_less_log_kib: the child's RSS without them
echo "t,viewers_open,varnishd_rss_kib,varnishd_fds,varnishd_threads,child_rss_kib,child_fds,child_threads,sshd_rss_kib,sshd_fds,sshd_threads,sshd_all_rss_kib,sshd_all_fds,sshd_processes,n_vcl,module_segments,module_viewers,module_allowed,module_viewers_cut,n_pipe,busy_pct,child_log_kib,child_rss_less_log_kib" >"$CSV"
# proc PID: "rss_kib fds threads" of one process
proc() {
    local rss threads
    rss=$(awk '$1 == "VmRSS:" { print $2 }' "/proc/$1/status" 2>/dev/null || true)
    threads=$(awk '$1 == "Threads:" { print $2 }' "/proc/$1/status" 2>/dev/null || true)
    echo "${rss:-0} $(find "/proc/$1/fd" -mindepth 1 -maxdepth 1 2>/dev/null | wc -l) ${threads:-0}"
}
# log_rss PID: KiB of varnishd's shared log mapping resident in PID
log_rss() {
    awk '/^[0-9a-f]+-[0-9a-f]+ / { log_map = index($0, "/_.vsm_child/_.Log") > 0 }
        log_map && $1 == "Rss:" { kib += $2 } END { print kib + 0 }' "/proc/$1/smaps" 2>/dev/null || echo 0
}
# proc_tree PID: "rss_kib fds processes" of a process and its descendants
proc_tree() {
    local pid rss=0 fds=0 n=0 r f _
    for pid in $(tree_of "$1"); do
        read -r r f _ <<<"$(proc "$pid")"
        rss=$((rss + r))
        fds=$((fds + f))
        n=$((n + 1))
    done
    echo "$rss $fds $n"
}
sampler() {
    local start=$1 prev_busy=0 prev_all=0 cpu busy all pct stats next now_us child log
    next=${EPOCHREALTIME/./}
    while [ ! -e "$TMP/stop-sampler" ]; do
        next=$((next + 1000000))
        read -r -a cpu </proc/stat
        busy=$((cpu[1] + cpu[2] + cpu[3] + cpu[6] + cpu[7] + cpu[8]))
        all=$((busy + cpu[4] + cpu[5]))
        pct=
        [ "$prev_all" = 0 ] || pct=$(awk -v b=$((busy - prev_busy)) -v a=$((all - prev_all)) -v n="$(nproc)" \
            'BEGIN { printf "%.0f", (a > 0 ? 100 * n * b / a : 0) }')
        prev_busy=$busy
        prev_all=$all
        stats=$(varnishstat -n "$VARNISH_DIR" -j 2>/dev/null | jq -r '
            (.counters // .) as $c
            | [$c | to_entries[] | select(.key | test("^CAMRELAY\\..*\\.viewers$"))] as $v
            | def sum(re): [$c | to_entries[] | select(.key | test(re)) | .value.value] | add // 0;
            [($c["MAIN.n_vcl"].value // 0), ($v | length), ($v | map(.value.value) | add // 0),
             sum("^CAMRELAY\\..*\\.allowed$"), sum("^CAMRELAY\\..*\\.viewers_cut$"),
             ($c["MAIN.n_pipe"].value // 0)] | join(",")' 2>/dev/null || echo ",,,,,")
        child=$(proc "$CHILD")
        log=$(log_rss "$CHILD")
        printf '%s,%s,%s,%s,%s,%s,%s,%s,%s,%s\n' \
            "$(awk -v a="$(date +%s.%N)" -v b="$start" 'BEGIN { printf "%.1f", a - b }')" \
            "$(jq -r '.open' "$TMP/viewers.status" 2>/dev/null || echo 0)" \
            "$(proc "$VARNISH_PID" | tr ' ' ,)" "${child// /,}" "$(proc "$SSHD_PID" | tr ' ' ,)" \
            "$(proc_tree "$SSHD_PID" | tr ' ' ,)" "$stats" "$pct" "$log" "$((${child%% *} - log))" >>"$CSV"
        # at the next whole second from the first; a sample that took longer
        # than a second starts the next one at once
        now_us=${EPOCHREALTIME/./}
        if [ "$next" -gt "$now_us" ]; then
            sleep "$(awk -v d=$((next - now_us)) 'BEGIN { printf "%.3f", d / 1e6 }')"
        else
            next=$now_us
        fi
    done
}

# --- what the soak does to the relay, logged in events.jsonl for the accounts
EVENTS=$TMP/events.jsonl
: >"$EVENTS"
event() { printf '{"t":%s,"kind":"%s","camera":"%s"}\n' "$(date +%s.%N)" "$1" "${2:-}" >>"$EVENTS"; }
reloads=0
reload() {
    local name v
    reloads=$((reloads + 1))
    name=soak$reloads
    if ! adm vcl.load "$name" "$SOURCE_DIR/vcl/default.vcl" >"$TMP/reload.out" 2>&1 ||
        ! adm vcl.use "$name" >>"$TMP/reload.out" 2>&1; then
        echo "reload $name: $(tr '\n' ' ' <"$TMP/reload.out")" >>"$TMP/control-errors.log"
        return 0
    fi
    event reload
    # Every other VCL not in use goes (one still holding a pipe is
    # discarded once its last pipe ends).
    for v in $(adm vcl.list 2>/dev/null | awk '$1 == "available" { print $NF }'); do
        adm vcl.discard "$v" >/dev/null 2>&1 || echo "vcl.discard $v failed" >>"$TMP/control-errors.log"
    done
}
# process_age PID: seconds since it started
process_age() {
    local start
    start=$(awk '{ sub(/^.*\) /, ""); print $20 }' "/proc/$1/stat" 2>/dev/null) || return 1
    awk -v s="$start" -v hz="$(getconf CLK_TCK)" '{ printf "%d\n", $1 - s / hz }' /proc/uptime
}
# flap FROM: kill the ssh of the first camera from FROM on (round) whose ssh
# has been up FLAP_MIN_AGE s (65): camrelay-tunnel takes a connection that
# ends sooner than 60 s for a network that lets SSH through but cuts it,
# and backs off or tries other transports; a camera on a flaky network is
# not what this measures. Prints the camera's number, or nothing.
flap() {
    local k i ssh_pid age
    for k in $(seq 0 $((CAMERAS - 1))); do
        i=$((($1 + k) % CAMERAS + 1))
        ssh_pid=$(relay_tunnel_ssh_pid "${TUNNEL[i]}") || continue
        age=$(process_age "$ssh_pid") || continue
        [ "$age" -ge "$FLAP_MIN_AGE" ] || continue
        event flap "cam$i"
        kill -KILL "$ssh_pid" 2>/dev/null || true
        # who holds the tunnel's port a few seconds later (for the record)
        { sleep 3; echo "cam$i ${LISTEN[i]} +3s: $(ss -Htlnp "sport = :${LISTEN[i]}" | tr -s ' ' | cut -c1-200)"; } \
            >>"$TMP/flaps.log" 2>&1 &
        echo "$i"
        return 0
    done
}
revoke() {
    local camera=cam$1 s
    event revoke "$camera"
    cam_retry camera revoke "$camera" >/dev/null ||
        { echo "camera revoke $camera failed: $(cat "$TMP/cam-retry.err")" >>"$TMP/control-errors.log"; return 0; }
    cp "$TMP/keys/$camera.$(($1 - 1))" "$TMP/keys/.revoked"
    for s in $(seq $(($1 - 1)) "$CAMERAS" $((VIEWERS - 1))); do issue_key "$s" || true; done
    reload
    # offered to the viewers as a key that must be refused only now that the
    # relay has loaded the revocation
    mv "$TMP/keys/.revoked" "$TMP/keys/revoked.$camera"
}
control() {
    local now next_reload next_flap next_revoke next_issue flaps=0 revokes=0 issued=0 flapped
    now=$(date +%s)
    next_reload=$((now + RELOAD_EVERY))
    next_flap=$((now + FLAP_EVERY / 2))
    next_revoke=$((now + REVOKE_EVERY))
    next_issue=$((now + ISSUE_EVERY))
    while [ ! -e "$TMP/stop-control" ]; do
        now=$(date +%s)
        if [ "$now" -ge "$next_flap" ]; then
            if flapped=$(flap "$flaps") && [ -n "$flapped" ]; then
                flaps=$((flaps + 1))
                next_flap=$((now + FLAP_EVERY))
            else
                next_flap=$((now + 1))
            fi
        fi
        if [ "$now" -ge "$next_revoke" ]; then
            # not the camera flapped last: one cause per cut
            revoke $(((revokes + CAMERAS / 2) % CAMERAS + 1))
            revokes=$((revokes + 1))
            next_revoke=$((now + REVOKE_EVERY))
            next_reload=$((now + RELOAD_EVERY))
        fi
        if [ "$now" -ge "$next_reload" ]; then
            reload
            next_reload=$((now + RELOAD_EVERY))
        fi
        if [ "$now" -ge "$next_issue" ]; then
            if issue_key $((issued % VIEWERS)); then event issue "$(camera_of_slot $((issued % VIEWERS)))"; fi
            issued=$((issued + 1))
            next_issue=$((now + ISSUE_EVERY))
        fi
        sleep 0.5
    done
    echo "$reloads $flaps $revokes $issued" >"$TMP/control.counts"
}

# --- the run
say "soaking for $MINUTES min: $CAMERAS cameras, $VIEWERS viewers at $RATE messages a second, a reload every ${RELOAD_EVERY}s, a flap every ${FLAP_EVERY}s, a revoke every ${REVOKE_EVERY}s, a key every ${ISSUE_EVERY}s"
started_at=$(date -u '+%Y-%m-%d %H:%M UTC')
start=$(date +%s.%N)
sampler "$start" &
SAMPLER_PID=$!
started "$SAMPLER_PID"
node "$SOAK/soak_viewers.js" --relay "127.0.0.1:$VARNISH_PORT" --cameras "$(seq -s, -f 'cam%g' 1 "$CAMERAS")" \
    --keys "$TMP/keys" --viewers "$VIEWERS" --log "$TMP/viewers.jsonl" --status "$TMP/viewers.status" \
    >"$TMP/viewers.log" 2>&1 &
VIEWERS_PID=$!
started "$VIEWERS_PID"
control &
CONTROL_PID=$!
started "$CONTROL_PID"
sleep "$DURATION"

# --- the end: no more events, the viewers say bye and leave
touch "$TMP/stop-control"
wait "$CONTROL_PID" || true
kill -TERM "$VIEWERS_PID" 2>/dev/null || true
wait_for 30 bash -c "! kill -0 $VIEWERS_PID 2>/dev/null" || say "the viewers did not leave within 30 s"
wait "$VIEWERS_PID" 2>/dev/null || true
module_viewers_zero() {
    [ "$(varnishstat -n "$VARNISH_DIR" -j | jq '[(.counters // .) | to_entries[] |
        select(.key | test("^CAMRELAY\\..*\\.viewers$")) | .value.value] | add // 0')" = 0 ]
}
wait_for 10 module_viewers_zero || true
sleep 2
touch "$TMP/stop-sampler"
wait "$SAMPLER_PID" || true
! declare -F bench_cpu_mark >/dev/null || bench_cpu_mark soak-end
load_end=$(cut -d' ' -f1-3 /proc/loadavg)
read -r n_reloads n_flaps n_revokes n_issued <"$TMP/control.counts"

# --- verdicts
node "$SOAK/account.js" "$TMP/viewers.jsonl" "$TMP/cameras.jsonl" "$EVENTS" >"$TMP/account.json"
acct() { jq -r "$1" "$TMP/account.json"; }
failures=()
while IFS= read -r f; do [ -z "$f" ] || failures+=("messages: $f"); done < <(acct '.failures[]')
final_child=$(child_pid || echo none)
[ "$final_child" = "$CHILD" ] || failures+=("varnishd's child changed ($CHILD -> $final_child): it restarted")
module_viewers_zero || failures+=("the module still counts viewers after they all left")
[ ! -s "$TMP/control-errors.log" ] || failures+=("$(head -3 "$TMP/control-errors.log" | tr '\n' ' ')")
[ "$(acct .admitted)" -gt 0 ] || failures+=("no viewer got in")
up=0
for i in $(seq 1 "$CAMERAS"); do wait_for 40 port_in_use "${LISTEN[i]}" && up=$((up + 1)); done
[ "$up" = "$CAMERAS" ] || failures+=("only $up of $CAMERAS tunnels up at the end")
# sshd: as many processes as when the soak began (each camera's session
# gone with its ssh), once the last reconnect has settled
sshd_start=$(awk -F, 'NR == 2 { print $14 }' "$CSV")
settled() { [ "$(proc_tree "$SSHD_PID" | cut -d' ' -f3)" = "$sshd_start" ]; }
wait_for 20 settled || failures+=("sshd has $(proc_tree "$SSHD_PID" | cut -d' ' -f3) processes at the end, $sshd_start at the start")
sshd_end=$(proc_tree "$SSHD_PID" | cut -d' ' -f3)

# The growth fit: each figure over the second half, with its floor (what
# its noise is on this machine: viewers joining and leaving move varnishd's
# heap and descriptors, a camera reconnecting adds or removes a whole sshd
# session), in the figure's unit.
declare -A FLOOR=(
    [varnishd_rss_kib]=1024 [varnishd_fds]=4 [varnishd_threads]=2
    [child_rss_less_log_kib]=2048 [child_fds]=24 [child_threads]=24
    [sshd_rss_kib]=512 [sshd_fds]=4 [sshd_threads]=1
    [sshd_all_rss_kib]=4096 [sshd_all_fds]=8 [sshd_processes]=6
    [n_vcl]=4 [module_segments]=4
)
FIT_FROM=$((DURATION / 2))
# fit COLUMN FLOOR [BY]: "slope_per_minute growth 3_standard_errors bound ok"
# over the second half; with BY (a column), only the samples where BY has
# its most common value there (sshd with all its cameras connected).
fit() {
    awk -F, -v col="$1" -v from="$FIT_FROM" -v to="$DURATION" -v floor="$2" -v by="${3:-}" '
        NR == 1 { for (i = 1; i <= NF; i++) { if ($i == col) c = i; if ($i == by) k = i }; next }
        $1 >= from && $1 <= to && $c != "" {
            m++; tx[m] = $1; ty[m] = $c; if (k) { key[m] = $k; seen[$k]++ }
        }
        END {
            if (k) for (v in seen) if (seen[v] > best) { best = seen[v]; mode = v }
            for (i = 1; i <= m; i++) {
                if (k && key[i] != mode) continue
                n++; x[n] = tx[i]; y[n] = ty[i]; sx += tx[i]; sy += ty[i]
            }
            if (n < 3) { print "nan nan nan nan 0"; exit }
            mx = sx / n; my = sy / n
            for (i = 1; i <= n; i++) { sxx += (x[i] - mx) ^ 2; sxy += (x[i] - mx) * (y[i] - my) }
            b = sxy / sxx; a = my - b * mx
            for (i = 1; i <= n; i++) r += (y[i] - a - b * x[i]) ^ 2
            se = sqrt(r / (n - 2) / sxx)
            span = to - from
            growth = b * span
            bound = floor > 3 * se * span ? floor : 3 * se * span
            printf "%.1f %.1f %.1f %.1f %d\n", b * 60, growth, 3 * se * span, bound, growth <= bound
        }' "$CSV"
}
# value COLUMN AT: the figure of the sample nearest to AT seconds
value() {
    awk -F, -v col="$1" -v at="$2" '
        NR == 1 { for (i = 1; i <= NF; i++) if ($i == col) c = i; next }
        $1 <= at + 0.6 { v = $c } END { print v }' "$CSV"
}
growth_rows=""
for col in varnishd_rss_kib child_rss_kib child_log_kib child_rss_less_log_kib sshd_rss_kib sshd_all_rss_kib \
    varnishd_fds child_fds sshd_fds sshd_all_fds varnishd_threads child_threads sshd_threads sshd_processes n_vcl \
    module_segments; do
    by=
    case $col in sshd_all_*) by=sshd_processes ;; esac
    read -r per_min growth _ bound ok <<<"$(fit "$col" "${FLOOR[$col]:-0}" "$by")"
    verdict=ok
    if [ -z "${FLOOR[$col]:-}" ]; then
        # the child's RSS with its shared log, and the log: shown, not held
        bound="–"
        verdict="shown: the log's pages fill in up to vsl_space"
    elif [ "$ok" != 1 ]; then
        verdict="**grew**"
        failures+=("$col grew by $growth over the second half (bound $bound)")
    fi
    growth_rows+="| $col | $(value "$col" 10) | $(value "$col" "$FIT_FROM") | $(value "$col" "$DURATION") | $per_min | $growth | $bound | $verdict |
"
done

# --- the plot
PNG=$OUT_DIR/soak.png
cp "$CSV" "$OUT_DIR/soak.csv"
if command -v gnuplot >/dev/null; then
    gnuplot -e "csv='$OUT_DIR/soak.csv'; png='$PNG'; half=$FIT_FROM; title='camrelay soak, $started_at, $MINUTES min'" \
        "$SOAK/plot.gp" 2>"$TMP/gnuplot.err" || failures+=("gnuplot: $(head -c 300 "$TMP/gnuplot.err")")
else
    say "gnuplot is not installed (gnuplot-nox): no plot"
    PNG=
fi

# --- the report
if declare -F bench_cpu_line >/dev/null; then
    machine_load=$(bench_cpu_line soak-start soak-end)
else
    machine_load="load average $load_start at the start, $load_end at the end"
fi
busy_mean=$(awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == "busy_pct") c = i; next }
    $c != "" { s += $c; n++ } END { printf "%.0f", n ? s / n : 0 }' "$CSV")
interval=$(awk -F, 'NR == 2 { a = $1 } NR > 2 { b = $1; n++ } END { printf "%.1f", n ? (b - a) / n : 0 }' "$CSV")
refusals=$(acct '.refused | to_entries | map("\(.value) × \(.key)") | join(", ") | if . == "" then "none" else . end')
verdict="passed"
[ ${#failures[@]} = 0 ] || verdict="**failed**: $(printf '%s; ' "${failures[@]}")"
plot_line=""
[ -z "$PNG" ] || plot_line="![soak: RSS, open files, threads and viewers over time](${PNG#"$top"/})"
section=$(cat <<MD
<!-- reliability-soak:begin (bench/soak.sh writes this part; edits inside are lost) -->
### Soak

A real relay kept busy: nothing may grow, no message may be lost. $CAMERAS stand-in cameras
(\`tests/soak/soak_camera.js\`) behind their own \`camrelay-tunnel\` to one sshd with camrelay's drop-in, one
varnishd with \`vcl/default.vcl\` and vmod_camrelay (\`tests/lib/relay_fixture.sh\`); $VIEWERS viewers
(\`tests/soak/soak_viewers.js\`, Node \`ws\`) that join, stay 3–20 s, say bye and leave, and join again, each
getting $RATE numbered, patterned data messages a second and sending 5 upstream that the camera echoes. Meanwhile a
VCL reload (\`vcl.load\`, \`vcl.use\`, \`vcl.discard\` of the others) every $RELOAD_EVERY s, one camera's ssh
killed every $FLAP_EVERY s (its tunnel comes back by itself; its viewers are cut), \`camrelay camera revoke\`
of one camera with new keys and a reload every $REVOKE_EVERY s (its viewers are cut by the module), a
new key (\`camrelay key issue\`) every $ISSUE_EVERY s. Sampled once a second (every $interval s on average: a sample
takes a while on a busy machine): varnishd's manager and child, sshd (the listener, and with all its
sessions: "sshd_all"), the module's counters (\`varnishstat -j\`).

- $started_at, machine: $(machine_line); software: $(software_line)
- Command: \`$command_line\`, $(if [ "$(nice)" -gt 0 ]; then echo "under \`nice -n $(nice)\` (relay, cameras and viewers below other jobs' priority: the machine was shared)"; else echo "at normal priority"; fi)
- Load: $machine_load; the machine's cores were $busy_mean % busy on average (of $(($(nproc) * 100)) %)
- Done: $n_reloads reloads, $n_flaps camera flaps, $n_revokes revocations, $n_issued keys issued besides; sshd
  had $sshd_start processes at the start and $sshd_end at the end (every flapped camera's old session gone)
- Verdict: $verdict

Messages (\`tests/soak/account.js\`): $(acct .sessions) viewer sessions, $(acct .admitted) let in: $(acct .orderly)
ended in order, every one with all its data messages and echoes; $(acct .cut) cut by a flap or a revocation of their
camera. $(acct .data_sent) data messages sent by the cameras, $(acct .data_received) received in sequence and intact,
$(acct .in_flight_at_cuts) in flight when their session was cut (each cut session got an unbroken prefix of what
was sent); $(acct .upstream_sent) upstream messages, $(acct .echoes) echoed back, $(acct .upstream_in_flight_at_cuts)
in flight at cuts; $(acct .corrupt) corrupt or out of order. Refused joins: $refusals (each explained by a flap or
a revocation of its camera, or a key still held for a moment by the viewer's previous session:
$(acct 'if .longest_key_busy_s > 0 then "at most \(.longest_key_busy_s) s" else "never" end')); $(acct .negative) joins with a forged or revoked key, all refused.

Growth over the second half (from $FIT_FROM s; the first is warm-up): the slope of a least-squares line,
the growth it gives over that half, and the bound it must stay under: the figure's floor (its noise
here: viewers joining and leaving move varnishd's heap and descriptors, a camera reconnecting adds or
removes a whole sshd session) or 3 standard errors of the fit, whichever is larger. RSS in KiB.
varnishd's child is held without its shared log (\`child_rss_less_log_kib\`): the log is an 80 MiB
ring (vsl_space) mapped from a file, whose pages become resident as the ring is written the first time
round, so the child's RSS rises with it however long the relay runs, until all 80 MiB are in.

| figure | at 10 s | at $FIT_FROM s | at $DURATION s | slope per minute | growth over the half | bound | |
|---|---|---|---|---|---|---|---|
$growth_rows
$plot_line

The figures of every second: \`${OUT_DIR#"$top"/}/soak.csv\`. CI runs the short form, ctest \`soak\` (label
\`soak\`): \`bench/soak.sh --minutes 2 --no-write\`, the same checks over 2 minutes.
<!-- reliability-soak:end -->
MD
)
publish_part Reliability reliability-soak "$section"
if [ ${#failures[@]} -gt 0 ]; then
    for f in "${failures[@]}"; do fail "$f"; done
    exit 1
fi
ok "soak passed"
