# shellcheck shell=bash
# tests/lib/kit.sh: the shell test kit of every suite (tests/*/, bench/*.sh,
# tools/tunnel/measure.sh). Sourced by bash; it sets the EXIT, INT and TERM
# traps, sets no shell options, and works with or without `set -e`.
#
# Results
#   say MSG...              "NAME: MSG" on stderr (NAME: KIT_NAME, by default
#                           the script's name without .sh)
#   ok MSG... / pass        a check held (pass: silently)
#   fail MSG...             a check failed: counted, the script goes on
#                           (a suite may wrap it; kit_fail is the original)
#   die MSG...              a failure that ends the script (exit 1)
#   skip MSG...             this machine cannot run the script: exit 77
#   check NAME COMMAND...   COMMAND in a subshell, then ok or fail; its
#                           output (the last 25 lines) is shown on failure
#   kit_finish              the tally; exit 1 if a check failed, else 0
# At exit, whatever the way out, a failed check turns status 0 into 1.
#
# Work directory
#   kit_workdir [BASE]      a new directory $TMP (mode 0755) below BASE
#                           (default TMPDIR or /tmp), removed at exit with
#                           all in it (KEEP_TEST_DIR=1 keeps it), BASE too
#                           when given and then empty. After a failure the
#                           last lines of every $TMP/*.log are shown.
#   kit_on_exit FUNCTION    run at exit, after the processes are stopped
#
# Processes
#   started PID...          stop these at exit: the last started first,
#                           each with all its descendants
#   stop PID...             stop them now: SIGTERM to each process and its
#                           descendants (SIGCONT too, for a stopped one),
#                           up to 3 s, then SIGKILL; reaped and forgotten
#   kit_cleanup [STATUS]    what exit does (processes, kit_on_exit, $TMP);
#                           for a script that goes on without them
#   children_of PID, tree_of PID, trees_of PID...   from /proc
#
# Ports and waiting
#   free_port               a loopback TCP port nothing listens on, never
#                           twice in one work directory: 30000 up to the
#                           first ephemeral port, so neither an outgoing
#                           connection nor a camera's tunnel (20000-29999)
#                           can hold it
#   port_in_use PORT        something listens on PORT (any address)
#   port_free PORT          nothing does
#   wait_for SECONDS COMMAND...   until COMMAND succeeds (every 0.1 s);
#                           false after SECONDS
#   wait_for_port PORT [SECONDS [PID]]   until something listens on PORT
#                           (10 s), or die; early if process PID ends
#   start_varnish NAME PORT ARG...   varnishd -F on 127.0.0.1:PORT in the
#                           background, instance $TMP/varnish-NAME (set as
#                           VARNISH_DIR), log $TMP/varnishd-NAME.log; sets
#                           VARNISH_PID once it listens

[ -z "${KIT_LOADED:-}" ] || return 0
KIT_LOADED=1
KIT_NAME=${KIT_NAME:-$(basename "$0" .sh)}
KIT_CHECKS=0
KIT_FAILED=0
KIT_PIDS=()
KIT_EXIT_HOOKS=()
KIT_BASE=
TMP=

# --- results

say() { printf '%s: %s\n' "$KIT_NAME" "$*" >&2; }
ok() {
    KIT_CHECKS=$((KIT_CHECKS + 1))
    say "ok: $*"
}
pass() { KIT_CHECKS=$((KIT_CHECKS + 1)); }
kit_fail() {
    KIT_CHECKS=$((KIT_CHECKS + 1))
    KIT_FAILED=$((KIT_FAILED + 1))
    say "FAIL: $*"
}
fail() { kit_fail "$@"; }
die() {
    kit_fail "$@"
    exit 1
}
skip() {
    say "SKIP: $*"
    exit 77
}

# not COMMAND...: succeeds when COMMAND fails. Inside a check, use it
# instead of `! COMMAND`: errexit never fires on a `!` command, so a
# `! COMMAND` on any line but the last could not fail the check.
not() { ! "$@"; }

# check NAME COMMAND...: runs COMMAND in a subshell with errexit, so any
# failing line of a check function fails the check. Callers test check's
# status (if, ||), and in such a context bash ignores errexit in every
# function and subshell below, even a `set -e` there: only a function's
# last line would count. A process substitution starts afresh; it prints
# "passed" only if COMMAND got through, and the log ends with the command
# that failed.
check() {
    local name=$1 log fd result
    shift
    [ -n "$TMP" ] || kit_workdir
    mkdir -p "$TMP/checks"
    log=$TMP/checks/$(printf '%s' "$name" | tr -c 'A-Za-z0-9_.-' '_').log
    # shellcheck disable=SC2016 # expanded when the trap runs
    exec {fd}< <(
        exec 3>&1 >"$log" 2>&1
        set -eE
        trap 'echo "check: failed at line $LINENO: $BASH_COMMAND" >&2' ERR
        "$@" 3>&-
        echo passed >&3
    )
    result=$(cat <&"$fd")
    exec {fd}<&-
    if [ "$result" = passed ]; then
        ok "$name"
        return 0
    fi
    fail "$name"
    sed 's/^/     | /' "$log" | tail -n 25 >&2
    return 1
}

kit_finish() {
    say "$KIT_CHECKS checks, $KIT_FAILED failed"
    [ "$KIT_FAILED" = 0 ] || exit 1
    exit 0
}

# --- work directory and exit

# shellcheck disable=SC2120 # BASE is optional
kit_workdir() {
    local base=${1:-${TMPDIR:-/tmp}}
    if [ -n "${1:-}" ]; then
        { mkdir -p "$base" && chmod 0755 "$base"; } || die "cannot make $base"
        KIT_BASE=$base
    fi
    TMP=$(mktemp -d "$base/$KIT_NAME.XXXXXX") || die "mktemp -d in $base failed"
    chmod 0755 "$TMP"
}

kit_on_exit() { KIT_EXIT_HOOKS+=("$1"); }

kit_cleanup() {
    local status=${1:-0} hook log
    kit_stop_all
    for hook in "${KIT_EXIT_HOOKS[@]}"; do "$hook"; done
    KIT_EXIT_HOOKS=()
    [ -n "$TMP" ] || return 0
    if { [ "$status" != 0 ] && [ "$status" != 77 ]; } || [ "$KIT_FAILED" != 0 ]; then
        for log in "$TMP"/*.log; do
            [ -f "$log" ] || continue
            echo "----- ${log##*/}" >&2
            tail -n 40 "$log" >&2
        done
    fi
    if [ -n "${KEEP_TEST_DIR:-}" ]; then
        say "kept $TMP"
    else
        rm -rf "$TMP"
        [ -z "$KIT_BASE" ] || rmdir "$KIT_BASE" 2>/dev/null || true # unless another run uses it
    fi
    TMP=
    return 0
}

kit_exit() {
    local status=$?
    set +e
    kit_cleanup "$status"
    [ "$status" = 0 ] && [ "$KIT_FAILED" != 0 ] && status=1
    exit "$status"
}
trap kit_exit EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# --- processes

started() { KIT_PIDS+=("$@"); }

children_of() {
    local stat pid ppid _
    for stat in /proc/[0-9]*/stat; do
        # field 4 is the parent (the name, field 2, has no blanks for ours)
        read -r pid _ _ ppid _ 2>/dev/null <"$stat" || continue
        [ "$ppid" = "$1" ] && echo "$pid"
    done
    return 0
}

# The given processes and all their descendants, from one read of /proc
# (bench/load.sh runs hundreds of processes): the roots in the order given,
# then their descendants, generation by generation.
trees_of() {
    { cat /proc/[0-9]*/stat 2>/dev/null || true; } | awk -v roots="$*" '
        { pid = $1; rest = $0; sub(/^.*\) /, "", rest); split(rest, f, " "); kids[f[2]] = kids[f[2]] " " pid }
        END {
            n = split(roots, queue, " ")
            for (i = 1; i <= n; i++) {
                if (queue[i] in seen) continue
                seen[queue[i]] = 1
                print queue[i]
                m = split(kids[queue[i]], k, " ")
                for (j = 1; j <= m; j++) queue[++n] = k[j]
            }
        }'
}

tree_of() { trees_of "$1"; }

# A process that exists and is not a zombie (one not reaped yet is done).
kit_running() {
    local stat
    read -r stat 2>/dev/null </proc/"$1"/stat || return 1
    stat=${stat##*) }
    [ "${stat%% *}" != Z ]
}

stop() {
    local pid keep=() all=() alive=() _
    [ $# -gt 0 ] || return 0
    mapfile -t all < <(trees_of "$@")
    for pid in "${all[@]}"; do
        kill -TERM "$pid" 2>/dev/null || true
        kill -CONT "$pid" 2>/dev/null || true
    done
    for _ in $(seq 1 30); do
        alive=()
        for pid in "${all[@]}"; do kit_running "$pid" && alive+=("$pid"); done
        [ ${#alive[@]} = 0 ] && break
        sleep 0.1
    done
    for pid in "${alive[@]}"; do kill -KILL "$pid" 2>/dev/null || true; done
    for pid in "$@"; do wait "$pid" 2>/dev/null || true; done
    for pid in "${KIT_PIDS[@]}"; do
        [[ " $* " == *" $pid "* ]] || keep+=("$pid")
    done
    KIT_PIDS=("${keep[@]}")
    return 0
}

kit_stop_all() {
    local i last_first=()
    for ((i = ${#KIT_PIDS[@]} - 1; i >= 0; i--)); do last_first+=("${KIT_PIDS[i]}"); done
    stop "${last_first[@]}"
}

# --- ports and waiting

port_in_use() { [ -n "$(ss -Htln "sport = :$1")" ]; }
port_free() { ! port_in_use "$1"; }

free_port() {
    local first=30000 last=59999 ephemeral port _
    read -r ephemeral _ </proc/sys/net/ipv4/ip_local_port_range && [ "$ephemeral" -gt 31000 ] &&
        last=$((ephemeral - 1))
    for _ in $(seq 1 200); do
        port=$((first + RANDOM % (last - first + 1)))
        [ -z "$TMP" ] || ! grep -qx "$port" "$TMP/.ports" 2>/dev/null || continue
        port_in_use "$port" && continue
        [ -z "$TMP" ] || echo "$port" >>"$TMP/.ports"
        echo "$port"
        return 0
    done
    die "no free port found"
}

wait_for() {
    local until=$((${EPOCHREALTIME//[!0-9]/} + $1 * 1000000))
    shift
    until "$@"; do
        [ "${EPOCHREALTIME//[!0-9]/}" -lt "$until" ] || return 1
        sleep 0.1
    done
}

kit_listening_or_gone() { port_in_use "$1" || { [ -n "$2" ] && ! kit_running "$2"; }; }
wait_for_port() {
    wait_for "${2:-10}" kit_listening_or_gone "$1" "${3:-}" || die "nothing listens on port $1"
    port_in_use "$1" || die "process $3, which was to listen on port $1, ended"
}

start_varnish() {
    local name=$1 port=$2
    shift 2
    VARNISH_DIR=$TMP/varnish-$name
    varnishd -F -n "$VARNISH_DIR" -a "127.0.0.1:$port" "$@" >"$TMP/varnishd-$name.log" 2>&1 &
    VARNISH_PID=$!
    started "$VARNISH_PID"
    wait_for_port "$port" 10 "$VARNISH_PID"
}
