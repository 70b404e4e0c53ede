# shellcheck shell=bash
# What bench/*.sh share; sourced with top (the source tree) and BUILD_DIR
# set. The test kit (tests/lib/kit.sh: say, die, free_port, started,
# wait_for_port, start_varnish, ...) and the relay fixture
# (tests/lib/relay_fixture.sh: camrelay's relay, as camrelay setup makes it),
# and:
#   bench_options SCRIPT FLAG... -- ARG...   the script's flags
#   bench_positive SCRIPT NAME...   each variable NAME holds a whole number
#                             above 0, or "SCRIPT: NAME must be a positive
#                             integer", exit 2
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
#   bench_cpu_mark NAME       the CPU time the machine and this script (with
#                             all its descendants, the reaped ones too) used
#                             so far, and the load average, kept as NAME
#   bench_cpu_line FROM TO    between two marks: how busy the machine was,
#                             this benchmark's share and other jobs'
#   bench_article_sshd ADDR   the article's relay: an sshd on ADDR (port
#                             ARTICLE_SSHD_PORT, pid ARTICLE_SSHD_PID) that
#                             lets root in with the key $TMP/pf_rsa, made as
#                             the article says (`ssh-keygen -t rsa`)
#   article_ssh ADDR PORT CAMPORT   ARTICLE_SSH: the command of the
#                             article's camera tunnel, `ssh -N -R
#                             PORT:localhost:CAMPORT` to that sshd on ADDR,
#                             with OpenSSH's defaults
#   bench_median_json FILTER FILE...   the median (lower of the two middle
#                             values) of a jq FILTER over the FILEs whose
#                             run succeeded (.ok), or "" if none did

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

bench_article_sshd() {
    ARTICLE_SSHD_PORT=$(free_port)
    ssh-keygen -q -t ed25519 -N '' -f "$TMP/article_host_key"
    ssh-keygen -q -t rsa -N '' -f "$TMP/pf_rsa"   # the article's `ssh-keygen -t rsa`
    cp "$TMP/pf_rsa.pub" "$TMP/article_authorized_keys"
    cat >"$TMP/article_sshd_config" <<CONF
Port $ARTICLE_SSHD_PORT
ListenAddress $1
HostKey $TMP/article_host_key
AuthorizedKeysFile $TMP/article_authorized_keys
PidFile $TMP/article_sshd.pid
PermitRootLogin prohibit-password
AllowUsers root
UsePAM no
PasswordAuthentication no
KbdInteractiveAuthentication no
PrintMotd no
LogLevel ERROR
CONF
    [ -d /run/sshd ] || mkdir -m 0755 /run/sshd
    /usr/sbin/sshd -D -e -f "$TMP/article_sshd_config" >"$TMP/article_sshd.log" 2>&1 &
    ARTICLE_SSHD_PID=$!
    started $ARTICLE_SSHD_PID
    wait_for_port "$ARTICLE_SSHD_PORT" 10 $ARTICLE_SSHD_PID
}

article_ssh() {
    # shellcheck disable=SC2034 # for the caller
    ARTICLE_SSH=(ssh -F /dev/null -N -R "$2:localhost:$3" -p "$ARTICLE_SSHD_PORT" -i "$TMP/pf_rsa" \
        -o BatchMode=yes -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR \
        -o ExitOnForwardFailure=yes "root@$1")
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

# /proc/stat's first line: user nice system idle iowait irq softirq steal;
# ticks of every core added up, as /proc/PID/stat's are.
declare -gA BENCH_CPU=()
bench_cpu_mark() {
    local cpu ours
    read -r -a cpu </proc/stat
    # utime, stime, cutime and cstime of each live process below this
    # script: a live process's c*time holds only its reaped children's
    ours=$({ cat /proc/[0-9]*/stat 2>/dev/null || true; } | awk -v self=$$ '
        {
            pid = $1
            rest = $0
            sub(/^.*\) /, "", rest)
            split(rest, f, " ")
            up[pid] = f[2]
            used[pid] = f[12] + f[13] + f[14] + f[15]
        }
        END {
            for (pid in used) {
                p = pid
                for (hops = 0; hops < 64 && p != self && (p in up); hops++) p = up[p]
                if (p == self) sum += used[pid]
            }
            print sum + 0
        }')
    BENCH_CPU[$1]="$((cpu[1] + cpu[2] + cpu[3] + cpu[6] + cpu[7] + cpu[8])) \
$((cpu[1] + cpu[2] + cpu[3] + cpu[4] + cpu[5] + cpu[6] + cpu[7] + cpu[8])) $ours $(cut -d' ' -f1 /proc/loadavg)"
}

bench_cpu_line() {
    awk -v from="${BENCH_CPU[$1]}" -v to="${BENCH_CPU[$2]}" -v cores="$(nproc)" 'BEGIN {
        split(from, a, " ")
        split(to, b, " ")
        if (b[2] <= a[2]) { print "no CPU figures"; exit }
        scale = 100 * cores / (b[2] - a[2])
        busy = (b[1] - a[1]) * scale
        ours = (b[3] - a[3]) * scale
        others = busy > ours ? busy - ours : 0
        printf "the machine was %.0f %% busy (%d cores: %d %%), this benchmark %.0f %% and other jobs %.0f %% (%% of one core); load average %s at the start, %s at the end\n",
            busy, cores, 100 * cores, ours, others, a[4], b[4]
    }'
}

bench_median_json() {
    local filter=$1
    shift
    [ $# -gt 0 ] || { echo ""; return 0; }
    jq -rs "[.[] | select(.ok == true) | $filter | numbers] | sort |
        if length == 0 then \"\" else .[(length - 1) / 2 | floor] end" "$@" 2>/dev/null || echo ""
}

# publish_part HEADING NAME TEXT: publish_section for a part of the
# "## HEADING" section of BENCHMARKS_FILE (bench/ct.sh and bench/soak.sh
# write parts of "## Reliability"). TEXT starts with "<!-- NAME:begin ..."
# and ends with "<!-- NAME:end -->"; the heading is added at the end of the
# file if it is not there; a part already there is replaced where it is, a
# new one goes at the end of that section.
publish_part() {
    local heading=$1 name=$2 text=$3 file=$BENCHMARKS_FILE
    echo
    printf '%s\n' "$text" | sed '1d;$d'
    [ "${write:-1}" != 0 ] || return 0
    [ -f "$file" ] || printf '# camrelay benchmarks\n' >"$file"
    grep -qx "## $heading" "$file" || printf '\n## %s\n' "$heading" >>"$file"
    if grep -q "^<!-- $name:begin" "$file"; then
        write_section "$file" "$name" "$text"
        return 0
    fi
    printf '%s\n' "$text" >"$TMP/part.md"
    awk -v part_file="$TMP/part.md" -v heading="## $heading" '
        function put(line) {
            if (!blank) print ""
            while ((getline line < part_file) > 0) print line
            done = 1
        }
        in_section && !done && /^## / { put(); print "" }
        { print; blank = ($0 == "") }
        $0 == heading { in_section = 1 }
        END { if (in_section && !done) put() }' "$file" >"$TMP/benchmarks.md"
    cat "$TMP/benchmarks.md" >"$file"
    say "wrote the results to $file"
}

bench_positive() {
    local script=$1 name
    shift
    for name in "$@"; do
        case ${!name:-} in
            '' | 0* | *[!0-9]*) echo "$script: $name must be a positive integer" >&2; exit 2 ;;
        esac
    done
}
