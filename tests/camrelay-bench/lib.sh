# Shared by the camrelay-bench shell tests and bench/run.sh: free ports,
# background processes that are always stopped (with their children), small
# assertions. Source it with BENCH set to the camrelay-bench binary.
set -euo pipefail

TMP=$(mktemp -d "${TMPDIR:-/tmp}/camrelay-bench.XXXXXX")
STARTED_PIDS=()

# The children of a process, from /proc (field 4 of stat is the parent).
children_of() {
    local stat pid comm state ppid rest
    for stat in /proc/[0-9]*/stat; do
        read -r pid comm state ppid rest 2>/dev/null <"$stat" || continue
        [ "$ppid" = "$1" ] && echo "$pid"
    done
    return 0
}

# A process and its descendants.
tree_of() {
    local child
    echo "$1"
    for child in $(children_of "$1"); do tree_of "$child"; done
}

# The given processes and all their descendants, each root followed by its
# tree, from one read of /proc (bench/load.sh runs hundreds of processes).
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

# Stops the last started first (viewers before the relay, tunnels before
# sshd), waits up to 3 s in all, then kills what is left.
cleanup() {
    local pid i roots=() all=() alive=()
    for ((i = ${#STARTED_PIDS[@]} - 1; i >= 0; i--)); do roots+=("${STARTED_PIDS[i]}"); done
    if [ ${#roots[@]} -gt 0 ]; then
        all=($(trees_of "${roots[@]}"))
        for pid in "${all[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
        for _ in $(seq 1 30); do
            alive=()
            for pid in "${all[@]}"; do kill -0 "$pid" 2>/dev/null && alive+=("$pid"); done
            [ ${#alive[@]} = 0 ] && break
            sleep 0.1
        done
        for pid in "${alive[@]}"; do kill -KILL "$pid" 2>/dev/null || true; done
        for pid in "${STARTED_PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
    fi
    rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

fail() {
    echo "FAIL: $*" >&2
    exit 1
}

# started PID: stop this process at the end.
started() { STARTED_PIDS+=("$1"); }

# A TCP port nobody listens on, 20000-59999 on loopback.
free_port() {
    local port
    for _ in $(seq 1 200); do
        port=$((20000 + RANDOM % 40000))
        if [ -z "$(ss -Htln "sport = :$port")" ]; then
            echo "$port"
            return 0
        fi
    done
    fail "no free port found"
}

# wait_for_port PORT [SECONDS]: until something listens on it.
wait_for_port() {
    local port=$1 tries=$((${2:-10} * 10))
    for _ in $(seq 1 "$tries"); do
        [ -n "$(ss -Htln "sport = :$port")" ] && return 0
        sleep 0.1
    done
    fail "nothing listens on port $port"
}

# start_camera NAME ARGS...: runs `camrelay-bench serve --listen
# 127.0.0.1:0 ARGS` in the background; sets CAMERA_PORT and CAMERA_PID.
start_camera() {
    local name=$1
    shift
    "$BENCH" serve --listen 127.0.0.1:0 "$@" >"$TMP/$name.out" 2>"$TMP/$name.err" &
    CAMERA_PID=$!
    started "$CAMERA_PID"
    for _ in $(seq 1 50); do
        if grep -q "serving on" "$TMP/$name.out" 2>/dev/null; then
            CAMERA_PORT=$(sed -n 's/.*serving on 127\.0\.0\.1:\([0-9]*\).*/\1/p' "$TMP/$name.out")
            return 0
        fi
        sleep 0.1
    done
    fail "camera $name did not start: $(cat "$TMP/$name.err")"
}

# expect_json FILE JQ_FILTER: the filter must yield true.
expect_json() {
    local file=$1 filter=$2
    if [ "$(jq -r "$filter" "$file")" != "true" ]; then
        echo "--- $file" >&2
        cat "$file" >&2
        fail "expected $filter"
    fi
}

# expect_exit CODE COMMAND...: runs it, stdout/stderr to $TMP/last.{out,err}.
expect_exit() {
    local want=$1 got=0
    shift
    "$@" >"$TMP/last.out" 2>"$TMP/last.err" || got=$?
    if [ "$got" != "$want" ]; then
        echo "--- stdout" >&2; cat "$TMP/last.out" >&2
        echo "--- stderr" >&2; cat "$TMP/last.err" >&2
        fail "exit $got, expected $want: $*"
    fi
}

expect_in() {
    local file=$1 text=$2
    grep -qF -- "$text" "$file" || { cat "$file" >&2; fail "\"$text\" not in $file"; }
}
