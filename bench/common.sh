# shellcheck shell=bash
# What bench/*.sh share; sourced with top (the source tree) and BUILD_DIR
# set. The test kit (tests/lib/kit.sh: say, die, free_port, started,
# wait_for_port, start_varnish, ...) and the relay fixture
# (tests/lib/relay_fixture.sh: camrelay's relay, as camrelay setup makes it),
# and:
#   bench_options SCRIPT FLAG... -- ARG...   the script's flags
#   bench_build [TARGET...]   builds camrelay-bench and TARGETs in BUILD_DIR
#   bench_workdir             $TMP (below /run/camrelay-bench as root),
#                             everything stopped and removed at exit, the
#                             fixture's throwaway account too; cameras
#                             (tests/camrelay-bench/lib.sh: start_camera)
#   bench_relay_available     builds what camrelay's relay needs; true if it
#                             can run here, else BENCH_RELAY_MISSING says why
#   bench_relay_start [LINE...]   the fixture's account, a signing secret and
#                             sshd (LINEs go into its sshd_config)
#   machine_line, software_line,
#   write_section FILE NAME TEXT   (a marker-delimited part of BENCHMARKS.md)
#   publish_section NAME TEXT      TEXT printed (without its marker lines),
#                             and written to BENCHMARKS_FILE unless write=0

SOURCE_DIR=${top:?}
BENCH=${BUILD_DIR:?}/tools/camrelay-bench/camrelay-bench
# shellcheck source=../tests/lib/kit.sh
source "$top/tests/lib/kit.sh"
# shellcheck source=../tests/lib/relay_fixture.sh
source "$top/tests/lib/relay_fixture.sh"
RELAY_USER=crbench$$

# bench_options SCRIPT FLAG... -- ARG...: the flags of bench/SCRIPT, each
# optional, with their defaults set by the script. Each ARG must be a FLAG:
# --no-NAME sets the variable NAME to 0, --NAME sets it to 1. Anything else:
# "usage: bench/SCRIPT [FLAG]...", exit 2.
bench_options() {
    local usage="usage: bench/$1" flags=() flag arg name
    shift
    while [ "$1" != -- ]; do
        flags+=("$1")
        usage+=" [$1]"
        shift
    done
    shift
    for arg in "$@"; do
        name=
        for flag in "${flags[@]}"; do
            if [ "$arg" = "$flag" ]; then name=${flag#--}; fi
        done
        if [ -z "$name" ]; then
            echo "$usage" >&2
            exit 2
        elif [ "${name#no-}" != "$name" ]; then
            printf -v "${name#no-}" 0
        else
            printf -v "$name" 1
        fi
    done
}

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

bench_workdir() {
    relay_workdir camrelay-bench
    # shellcheck source=../tests/camrelay-bench/lib.sh
    source "$top/tests/camrelay-bench/lib.sh"
}

bench_relay_available() {
    BENCH_RELAY_MISSING=$(relay_why_not)
    [ -z "$BENCH_RELAY_MISSING" ] || return 1
    if [ "${NO_BUILD:-0}" != 1 ]; then
        say "building vmod_camrelay, camrelay, camrelay-session"
        cmake --build "$BUILD_DIR" -j2 --target vmod_camrelay camrelay camrelay-session >"$TMP/build-relay.out" 2>&1 ||
            say "the build failed: $(grep -m1 -i error "$TMP/build-relay.out" || tail -1 "$TMP/build-relay.out")"
    fi
    BENCH_RELAY_MISSING=$(relay_why_not_built)
    [ -z "$BENCH_RELAY_MISSING" ]
}

bench_relay_start() {
    relay_setup "LogLevel ERROR" "$@"
    cam secret new >"$TMP/secret.out" 2>&1 || die "secret new: $(cat "$TMP/secret.out")"
    relay_start_sshd
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

publish_section() {
    echo
    printf '%s\n' "$2" | sed '1d;$d'
    [ "${write:-1}" = 0 ] || write_section "$BENCHMARKS_FILE" "$1" "$2"
}
