# shellcheck shell=bash
# What bench/run.sh and bench/load.sh share; sourced with top (the source
# tree), BUILD_DIR and BENCH_NAME (for messages) set:
#   bench_build TARGET...   builds camrelay-bench and TARGETs in BUILD_DIR
#   bench_workdir           $TMP, cleanup on exit and on SIGINT/SIGTERM
#                           (tests/camrelay-bench/lib.sh), the throwaway account
#                           (THROWAWAY_USER) removed too
#   start_varnish, stop_varnish, machine_line, software_line,
#   write_section FILE NAME TEXT   (a marker-delimited part of BENCHMARKS.md)

say() { printf '%s: %s\n' "$BENCH_NAME" "$*" >&2; }

BENCH=$BUILD_DIR/tools/camrelay-bench/camrelay-bench

# bench_build [TARGET...]: camrelay-bench at least; an older build is used if
# this one fails. NO_BUILD=1: only what BUILD_DIR already has (the tests).
bench_build() {
    [ "${NO_BUILD:-0}" = 1 ] && return 0
    say "building camrelay-bench${1:+ and $*} in $BUILD_DIR"
    mkdir -p "$BUILD_DIR"
    if ! { cmake -S "$top" -B "$BUILD_DIR" >"$BUILD_DIR.configure.log" 2>&1 &&
           cmake --build "$BUILD_DIR" -j2 --target camrelay-bench "$@" >"$BUILD_DIR.build.log" 2>&1; }; then
        [ -x "$BENCH" ] || { cat "$BUILD_DIR.configure.log" "$BUILD_DIR.build.log" >&2 2>/dev/null; exit 1; }
        say "the build failed (see $BUILD_DIR.build.log); using the camrelay-bench built before"
        return 0
    fi
    rm -f "$BUILD_DIR.configure.log" "$BUILD_DIR.build.log"
}

# sshd's StrictModes refuses an authorized_keys file below a world-writable
# directory such as /tmp, where the build tree may well be (a CI clone): as
# root (the only way sshd runs here) work files go under /run, whose every
# ancestor is root's and 0755, else under the build tree.
bench_workdir() {
    local base=$BUILD_DIR/bench-run
    [ "$(id -u)" = 0 ] && base=/run/camrelay-bench
    mkdir -p "$base"
    chmod 0755 "$base"
    # shellcheck source=../tests/camrelay-bench/lib.sh
    TMPDIR=$base source "$top/tests/camrelay-bench/lib.sh"
    chmod 0755 "$TMP"
    THROWAWAY_USER=
    trap bench_finish EXIT
}

bench_finish() {
    cleanup
    if [ -n "$THROWAWAY_USER" ]; then
        # userdel refuses while a process of the account still exits.
        for _ in $(seq 1 20); do userdel "$THROWAWAY_USER" 2>/dev/null && break; sleep 0.2; done
    fi
}

# start_varnish NAME PORT ARGS...: varnishd in the foreground of a background
# job; sets VARNISH_PID once it answers HTTP.
start_varnish() {
    local name=$1 port=$2
    shift 2
    varnishd -F -n "$TMP/varnish-$name" -a "127.0.0.1:$port" -j none -s malloc,64m -T none "$@" \
        >"$TMP/varnishd-$name.log" 2>&1 &
    VARNISH_PID=$!
    started $VARNISH_PID
    for _ in $(seq 1 100); do
        kill -0 $VARNISH_PID 2>/dev/null || fail "varnishd ($name) died: $(tail -5 "$TMP/varnishd-$name.log")"
        [ -n "$(ss -Htln "sport = :$port")" ] && return 0
        sleep 0.1
    done
    fail "varnishd ($name) does not listen on $port"
}

# stop_varnish: the varnishd of the last start_varnish, and its child.
stop_varnish() {
    local pid
    for pid in $(tree_of "$VARNISH_PID"); do kill -TERM "$pid" 2>/dev/null || true; done
    wait "$VARNISH_PID" 2>/dev/null || true
}

machine_line() {
    echo "$(nproc) CPUs, $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1), Linux $(uname -r)"
}

software_line() {
    echo "$(varnishd -V 2>&1 | head -1 | sed 's/ revision [^)]*//'), $(ssh -V 2>&1 | cut -d, -f1)"
}

# write_section FILE NAME TEXT: TEXT (which starts with the line
# "<!-- NAME:begin ..." and ends with "<!-- NAME:end -->") replaces the old
# section of that name in FILE, or is appended.
write_section() {
    local file=$1 name=$2 text=$3
    [ -f "$file" ] || printf '# camrelay benchmarks\n\n' >"$file"
    if grep -q "^<!-- $name:begin" "$file"; then
        printf '%s\n' "$text" >"$TMP/section.md"
        awk -v section_file="$TMP/section.md" -v begin="^<!-- $name:begin" -v end="^<!-- $name:end" '
            $0 ~ begin {
                while ((getline line < section_file) > 0) print line
                skipping = 1
                next
            }
            $0 ~ end { skipping = 0; next }
            !skipping { print }' "$file" >"$TMP/benchmarks.md"
        cat "$TMP/benchmarks.md" >"$file"
    else
        printf '\n%s\n' "$text" >>"$file"
    fi
    say "wrote the results to $file"
}
