# Shared by the camrelay command tests: run the real binary against temporary
# configuration directories and check what it prints and how it exits.
# A failed check is reported and counted; the script goes on and, at the end,
# `finish` exits non-zero if any check failed.
set -euo pipefail

CAMRELAY=${CAMRELAY:?set CAMRELAY to the camrelay binary}
WORK=$(mktemp -d "${TMPDIR:-/tmp}/camrelay-cli-test.XXXXXX")
BACKGROUND_PIDS=()
cleanup() {
    local pid
    for pid in "${BACKGROUND_PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
    rm -rf "$WORK"
}
trap cleanup EXIT

# A command that forgets --config must never reach the real /etc/camrelay.
export CAMRELAY_CONFIG="$WORK/no-such-directory"

CHECKS=0
FAILURES=0
OUT=""
ERR=""
RC=0
LAST=""

# A new, empty configuration directory; prints its path.
new_config() {
    mktemp -d "$WORK/config.XXXXXX"
}

# camrelay ARGS...: sets OUT, ERR and RC.
run() {
    LAST="camrelay $*"
    set +e
    "$CAMRELAY" "$@" >"$WORK/stdout" 2>"$WORK/stderr" </dev/null
    RC=$?
    set -e
    OUT=$(cat "$WORK/stdout")
    ERR=$(cat "$WORK/stderr")
}

# run_with_stdin TEXT ARGS...: like run, with TEXT on standard input.
run_with_stdin() {
    local input=$1
    shift
    LAST="camrelay $* <<< (input)"
    set +e
    printf '%s' "$input" | "$CAMRELAY" "$@" >"$WORK/stdout" 2>"$WORK/stderr"
    RC=$?
    set -e
    OUT=$(cat "$WORK/stdout")
    ERR=$(cat "$WORK/stderr")
}

fail() {
    FAILURES=$((FAILURES + 1))
    {
        echo "FAIL: $*"
        echo "  command: $LAST"
        echo "  exit status: $RC"
        echo "  stdout: $(printf '%s' "$OUT" | head -c 2000)"
        echo "  stderr: $(printf '%s' "$ERR" | head -c 2000)"
    } >&2
}

expect_rc() {
    CHECKS=$((CHECKS + 1))
    [[ $RC -eq $1 ]] || fail "expected exit status $1${2:+ ($2)}"
}

expect_out() {
    CHECKS=$((CHECKS + 1))
    [[ $OUT == "$1" ]] || fail "expected stdout to be exactly: $1"
}

expect_out_has() {
    CHECKS=$((CHECKS + 1))
    [[ $OUT == *"$1"* ]] || fail "expected stdout to contain: $1"
}

expect_out_lacks() {
    CHECKS=$((CHECKS + 1))
    [[ $OUT != *"$1"* ]] || fail "expected stdout not to contain: $1"
}

expect_out_matches() {
    CHECKS=$((CHECKS + 1))
    [[ $OUT =~ $1 ]] || fail "expected stdout to match the regex: $1"
}

expect_err_has() {
    CHECKS=$((CHECKS + 1))
    [[ $ERR == *"$1"* ]] || fail "expected stderr to contain: $1"
}

expect_err_lacks() {
    CHECKS=$((CHECKS + 1))
    [[ $ERR != *"$1"* ]] || fail "expected stderr not to contain: $1"
}

# Every error line starts with "camrelay: ".
expect_err_prefixed() {
    CHECKS=$((CHECKS + 1))
    [[ $ERR == "camrelay: "* ]] || fail "expected stderr to start with 'camrelay: '"
}

# expect_true DESCRIPTION COMMAND...: the command must succeed.
expect_true() {
    local description=$1
    shift
    CHECKS=$((CHECKS + 1))
    "$@" || fail "$description"
}

expect_same_file() {
    CHECKS=$((CHECKS + 1))
    cmp -s "$1" "$2" || fail "$1 changed (expected byte-for-byte equal to $2)"
}

expect_mode() {
    CHECKS=$((CHECKS + 1))
    local mode
    mode=$(stat -c %a "$2")
    [[ $mode == "$1" ]] || fail "expected $2 to have mode $1, has $mode"
}

# The run must succeed; stop the script if not, since later checks build on it.
require_ok() {
    expect_rc 0 "${1:-}"
    if [[ $RC -ne 0 ]]; then
        echo "aborting: a setup step failed" >&2
        finish
    fi
}

finish() {
    echo "$(basename "$0"): $CHECKS checks, $FAILURES failed"
    if [[ $FAILURES -ne 0 ]]; then exit 1; fi
    exit 0
}
