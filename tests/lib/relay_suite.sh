# shellcheck shell=bash
# The opening of the suites that run a relay from a build tree (tests/e2e,
# tests/browser). Sourced first, with the script's arguments:
#   source "$(dirname "$0")/../lib/relay_suite.sh" "$@"
# Sets here (the script's folder), SOURCE_DIR, BUILD_DIR (the first
# argument), sources the kit and the relay fixture, and makes $TMP (0755:
# varnishd's worker user reads the configuration below it).
#   relay_config [ARGS...]  a configuration directory $TMP/conf, exported as
#                           CAMRELAY_CONFIG, with one signing secret
#                           (`camrelay secret new ARGS...`)
#   relay_camera NAME [OPTIONS...]
#                           `camrelay camera add NAME` on a free port, which
#                           it prints: port=$(relay_camera cam1) || die ...
here=$(cd "$(dirname "$0")" && pwd)
SOURCE_DIR=$(cd "$here/../.." && pwd)
BUILD_DIR=$(cd "${1:?usage: ${0##*/} BUILD_DIR}" && pwd)
# shellcheck source=kit.sh
source "$SOURCE_DIR/tests/lib/kit.sh"
# shellcheck source=relay_fixture.sh
source "$SOURCE_DIR/tests/lib/relay_fixture.sh"
kit_workdir

relay_config() {
    export CAMRELAY_CONFIG="$TMP/conf"
    mkdir -p "$CAMRELAY_CONFIG"
    cam secret new "$@" >/dev/null || die "secret new $*"
}

relay_camera() {
    local port
    port=$(free_port) || return 1
    cam camera add "$1" --port "$port" "${@:2}" >/dev/null || return 1
    echo "$port"
}
