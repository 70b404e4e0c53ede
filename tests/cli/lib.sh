# shellcheck shell=bash
# Shared by the camrelay command tests: run the real binary against temporary
# configuration directories and check what it prints and how it exits.
# A failed check is reported and counted (tests/lib/kit.sh); the script goes
# on and, at the end, `kit_finish` exits non-zero if any check failed.
set -euo pipefail
# The checks below are `CONDITION && pass || fail ...`: pass never fails.
# shellcheck disable=SC2015

CAMRELAY=${CAMRELAY:?set CAMRELAY to the camrelay binary}
# shellcheck source=../lib/kit.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/kit.sh"
kit_workdir
WORK=$TMP

# A command that forgets --config must never reach the real /etc/camrelay.
export CAMRELAY_CONFIG="$WORK/no-such-directory"

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

# fail MESSAGE: a failed check, with the last run's command and output.
fail() {
    kit_fail "$*
  command: $LAST
  exit status: $RC
  stdout: $(printf '%s' "$OUT" | head -c 2000)
  stderr: $(printf '%s' "$ERR" | head -c 2000)"
}

expect_rc() {
    [[ $RC -eq $1 ]] && pass || fail "expected exit status $1${2:+ ($2)}"
}

expect_out() {
    [[ $OUT == "$1" ]] && pass || fail "expected stdout to be exactly: $1"
}

expect_out_has() {
    [[ $OUT == *"$1"* ]] && pass || fail "expected stdout to contain: $1"
}

expect_out_lacks() {
    [[ $OUT != *"$1"* ]] && pass || fail "expected stdout not to contain: $1"
}

expect_out_matches() {
    [[ $OUT =~ $1 ]] && pass || fail "expected stdout to match the regex: $1"
}

expect_err_has() {
    [[ $ERR == *"$1"* ]] && pass || fail "expected stderr to contain: $1"
}

expect_err_lacks() {
    [[ $ERR != *"$1"* ]] && pass || fail "expected stderr not to contain: $1"
}

# Every error line starts with "camrelay: ".
expect_err_prefixed() {
    [[ $ERR == "camrelay: "* ]] && pass || fail "expected stderr to start with 'camrelay: '"
}

# expect_true DESCRIPTION COMMAND...: the command must succeed.
expect_true() {
    local description=$1
    shift
    "$@" && pass || fail "$description"
}

expect_same_file() {
    cmp -s "$1" "$2" && pass || fail "$1 changed (expected byte-for-byte equal to $2)"
}

expect_mode() {
    local mode
    mode=$(stat -c %a "$2")
    [[ $mode == "$1" ]] && pass || fail "expected $2 to have mode $1, has $mode"
}

# The run must succeed; stop the script if not, since later checks build on it.
require_ok() {
    expect_rc 0 "${1:-}"
    [[ $RC -eq 0 ]] || die "aborting: a setup step failed"
}
