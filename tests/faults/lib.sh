# shellcheck shell=bash
# tests/faults/lib.sh: what the fault tests share. Sourced first, with the
# script's arguments:
#   source "$(dirname "$0")/lib.sh" "$@"        (the first: BUILD_DIR)
# Sets here, SOURCE_DIR, BUILD_DIR, sources the kit (tests/lib/kit.sh) and
# the relay fixture (tests/lib/relay_fixture.sh), and makes the work
# directory $TMP below /run (sshd's StrictModes; 0755: varnishd's worker
# reads the configuration below it).
#
#   faults_need relay|sshd|cli   skip (77) unless root and what the test
#                             runs is there: relay: varnishd and its tools,
#                             node with tests/e2e's ws, the built pieces;
#                             sshd: those, openssh-server and -client; cli:
#                             the built camrelay only. Then the work
#                             directory ($TMP)
#   faults_config             a configuration directory $TMP/conf, exported
#                             as CAMRELAY_CONFIG, with one signing secret
#   faults_tunnels            the relay's sshd (relay_setup, its
#                             CAMRELAY_CONFIG) and a signing secret
#   tunnelled_camera NAME [OPTION...]   `camera add NAME --ssh-key`
#                             (relay_add_camera) on a free tunnel port
#                             (TPORT[NAME]); a free port for its server
#                             (CPORT[NAME])
#   start_tunnels NAME...     their camrelay-tunnel (TPID[NAME]), until every
#                             tunnel port listens
#   varnish_child             varnishd's child (cache-main) pid
#   faults_params [PIPE_TIMEOUT]   the relay's varnishd parameters
#                             (relay-params.sh) in PARAMS, for 1000 viewers,
#                             pipe_timeout changed when given
#   start_cameras LOG NAME=PORT... [--rate N]   stream.js cameras in one
#                             process (CAMERAS_PID), every port listening
#   start_viewers NAME [--reconnect] [--send-every MS] SPEC...   stream.js
#                             viewers in one process; status $TMP/NAME.status
#                             (a line per viewer, see stream.js), log
#                             $TMP/NAME.log; VIEWERS_PID (and VIEWER_PIDS[NAME])
#   finish_viewers NAME       FIN to every viewer, wait for the accounting
#   vfield NAME VIEWER COLUMN one column of a viewer's status line (1: name,
#                             2: state, 3: opens, 4: closes, 5: refusals,
#                             6: last status, 7: received, 8: gaps,
#                             9: corrupt, 10: last message ms, 11: closed
#                             ms, 12: resumed ms, 13: end, 14: camera,
#                             15: longest stall ms)
#   vcount NAME COLUMN VALUE  how many viewers have VALUE in COLUMN
#   vmax NAME COLUMN          the largest value of COLUMN
#   all_streaming NAME [SINCE_MS]   every viewer streaming (resumed after
#                             SINCE_MS when given)
#   viewer_spec N NAME URL    "NAME,127.0.0.(N+10),URL": viewer N's address
#   vstat COUNTER             a varnishstat counter of $VARNISH_DIR, summed
#                             over the fields it matches (CAMRELAY.*.viewers)
#   keys CAMERA N             N keys of CAMERA, all different (KEYS array)
#   now_ms, seconds_since MS [TO_MS]   Unix milliseconds; seconds from MS
#                             to TO_MS (default now), as x.y
#   setup_copy [varnishd]     camrelay setup's program as built, run on the
#                             built camrelay, for CAMRELAY_SETUP_PROGRAM;
#                             prints its path. It ends with a sentinel
#                             error right after its configuration check:
#                             the steps after it change this machine (the
#                             cameras' account, sshd, the firewall).
#                             varnishd: one that runs only the varnishd step,
#                             for systemd (CAMRELAY_SETUP_INIT=systemd, with
#                             a stand-in systemctl first in PATH): the
#                             drop-in goes to $TMP/systemd
#   figure FAULT RECOVERY RESULT   a line of the faults table: said, and
#                             appended to $FAULTS_FIGURES when set (run.sh)

here=$(cd "$(dirname "$0")" && pwd)
SOURCE_DIR=$(cd "$here/../.." && pwd)
BUILD_DIR=$(cd "${1:?usage: ${0##*/} BUILD_DIR}" && pwd)
# shellcheck source=../lib/kit.sh
source "$SOURCE_DIR/tests/lib/kit.sh"
# shellcheck source=../lib/relay_fixture.sh
source "$SOURCE_DIR/tests/lib/relay_fixture.sh"
STREAM=$here/stream.js
declare -A VIEWER_PIDS TPORT CPORT TPID
unset https_proxy HTTPS_PROXY CAMRELAY_PROXY

faults_need() {
    local tool why
    [ "$(id -u)" = 0 ] || skip "needs root (varnishd's worker user, mounts, a throwaway account, sshd)"
    if [ "$1" = cli ]; then
        [ -x "$CAMRELAY_CLI" ] || skip "$CAMRELAY_CLI is not built"
    else
        for tool in varnishd varnishadm varnishstat node ss; do
            command -v "$tool" >/dev/null || skip "$tool is not installed"
        done
        [ -d "$SOURCE_DIR/tests/e2e/node_modules/ws" ] || skip "tests/e2e/node_modules missing (npm ci in tests/e2e)"
        why=$(relay_why_not_built)
        [ -z "$why" ] || skip "$why"
    fi
    if [ "$1" = sshd ]; then
        why=$(relay_why_not)
        [ -z "$why" ] || skip "$why"
    fi
    relay_workdir camrelay-faults
}

faults_config() {
    export CAMRELAY_CONFIG=$TMP/conf
    mkdir -p "$CAMRELAY_CONFIG"
    cam secret new >/dev/null || die "secret new"
}

faults_tunnels() {
    relay_setup
    relay_start_sshd
    cam secret new >/dev/null || die "secret new"
}

tunnelled_camera() {
    local name=$1
    shift
    relay_add_camera "$name" --port "$(free_port)" "$@"
    TPORT[$name]=$CAM_PORT
    CPORT[$name]=$(free_port)
}

start_tunnels() {
    local name
    for name in "$@"; do
        relay_start_tunnel "$name" "${TPORT[$name]}" "127.0.0.1:${CPORT[$name]}"
        TPID[$name]=$TUNNEL_PID
    done
    for name in "$@"; do wait_for_port "${TPORT[$name]}" 30 "${TPID[$name]}"; done
}

varnish_child() {
    local c
    for c in $(children_of "$VARNISH_PID"); do
        [ "$(cat "/proc/$c/comm" 2>/dev/null)" = cache-main ] && echo "$c" && return 0
    done
    return 1
}

faults_params() {
    mapfile -t PARAMS < <(camrelay_varnishd_params 1000)
    [ -n "${1:-}" ] || return 0
    local i
    for i in "${!PARAMS[@]}"; do
        [[ ${PARAMS[i]} != pipe_timeout=* ]] || PARAMS[i]=pipe_timeout=$1
    done
}

start_cameras() {
    local log=$1 spec
    shift
    node "$STREAM" camera "$@" >"$TMP/$log" 2>&1 &
    CAMERAS_PID=$!
    started "$CAMERAS_PID"
    for spec in "$@"; do
        [[ $spec == *=* ]] || continue
        wait_for_port "${spec#*=}" 10 "$CAMERAS_PID"
    done
}

start_viewers() {
    local name=$1
    shift
    rm -f "$TMP/$name.status"
    node "$STREAM" viewers --status "$TMP/$name.status" "$@" >"$TMP/$name.log" 2>&1 &
    VIEWERS_PID=$!
    VIEWER_PIDS[$name]=$VIEWERS_PID
    started "$VIEWERS_PID"
    wait_for 10 test -s "$TMP/$name.status" || die "viewers $name wrote no status"
}

finish_viewers() {
    kill -USR2 "${VIEWER_PIDS[$1]}" || die "viewers $1 are not running"
    wait_for 20 grep -qx finished "$TMP/$1.status" || die "viewers $1 did not finish: $(cat "$TMP/$1.status")"
}

vfield() { awk -v v="$2" -v c="$3" '$1 == v { print $c }' "$TMP/$1.status"; }
vcount() { awk -v c="$2" -v x="$3" '$1 != "finished" && $c == x { n++ } END { print n + 0 }' "$TMP/$1.status"; }
vmax() { awk -v c="$2" '$1 != "finished" && $c > m { m = $c } END { printf "%.0f\n", m }' "$TMP/$1.status"; }
all_streaming() {
    awk -v since="${2:-0}" '$1 != "finished" { n++; if ($2 == "streaming" && $12 > since) s++ } END { exit !(n > 0 && n == s) }' \
        "$TMP/$1.status"
}

viewer_spec() { printf '%s,127.0.0.%d,%s\n' "$2" $(($1 + 10)) "$3"; }

vstat() {
    varnishstat -n "$VARNISH_DIR" -1 -f "$1" 2>/dev/null |
        awk -v want="$1" '{ n = split(want, w, "."); m = split($1, f, ".") } f[m] == w[n] { s += $2 } END { printf "%.0f\n", s }'
}

keys() {
    local i
    KEYS=()
    # keys minted in one second differ by their lifetime: one per viewer
    # (a key opens one viewer at a time)
    for i in $(seq 1 "$2"); do KEYS+=("$(cam key issue --camera "$1" --ttl $((7200 + i))s)") || die "key issue $1"; done
}

setup_copy() {
    local copy=$TMP/camrelay-setup${1:+-$1} edits
    edits=(-e "s|^CAMRELAY=.*|CAMRELAY=$CAMRELAY_CLI|"
        -e 's|^\tstep_ssh_account$|\tdie "stopped by the fault test after the configuration check"|')
    [ "${1:-}" != varnishd ] || edits+=(-e "s|^SYSTEMD_DIR=.*|SYSTEMD_DIR=$TMP/systemd|"
        -e "s|^RELAY_PARAMS=.*|RELAY_PARAMS=$SOURCE_DIR/tools/setup/relay-params.sh|"
        -e 's|^\tstep_settings$|\tstep_varnishd; exit 0|')
    sed "${edits[@]}" "$BUILD_DIR/tools/setup/camrelay-setup" >"$copy" && chmod 0755 "$copy" || return 1
    grep -q 'stopped by the fault test' "$copy" && grep -qx "CAMRELAY=$CAMRELAY_CLI" "$copy" || return 1
    [ "${1:-}" != varnishd ] || grep -q 'step_varnishd; exit 0' "$copy" || return 1
    echo "$copy"
}

now_ms() { date +%s%3N; }
seconds_since() { awk -v a="$1" -v b="${2:-$(now_ms)}" 'BEGIN { printf "%.1f", (b - a) / 1000 }'; }

figure() {
    say "FIGURE: $1 | $2 | $3"
    [ -z "${FAULTS_FIGURES:-}" ] || printf '%s|%s|%s\n' "$1" "$2" "$3" >>"$FAULTS_FIGURES"
}
