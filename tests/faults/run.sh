#!/usr/bin/env bash
# tests/faults/run.sh [--out FILE] [BUILD_DIR]: every fault test in turn
# (the ctest label "faults"), then the table for BENCHMARKS.md's
# "Reliability" section on stdout: fault | recovery time | result, a row per
# figure the tests print (FIGURE: lines; sshd_restart has two), and a row
# for a test that was skipped or failed before printing one.
#   --out FILE   write the table to FILE too (Markdown)
# BUILD_DIR defaults to build. A test's output is in LOGDIR/NAME.log (the
# directory is said at the end; kept when a test failed). Needs what the
# tests need: root, varnishd, node with tests/e2e's ws, openssh.
# Exit status: 0 when none failed (skipped ones do not count), else 1.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out=
if [ "${1:-}" = --out ]; then
    out=${2:?--out needs a file}
    shift 2
fi
build=$(cd "${1:-$here/../../build}" && pwd) || exit 2
logs=$(mktemp -d "${TMPDIR:-/tmp}/camrelay-faults.XXXXXX")
figures=$logs/figures
: >"$figures"
failed=0
for t in child_kill sshd_restart camera_freeze disk_full boot_config reload_broken; do
    printf 'faults: %-14s ' "$t" >&2
    start=$(date +%s)
    rows=$(grep -c '' "$figures")
    FAULTS_FIGURES=$figures bash "$here/${t}_test.sh" "$build" >"$logs/$t.log" 2>&1
    rc=$?
    case $rc in
        0) status=PASS ;;
        77) status=SKIP ;;
        *) status=FAIL failed=1 ;;
    esac
    printf '%s (%s s)\n' "$status" $(($(date +%s) - start)) >&2
    if [ "$(grep -c '' "$figures")" = "$rows" ]; then
        why=$(grep -m1 -E 'SKIP:|FAIL:' "$logs/$t.log" | sed 's/^[^:]*: //')
        printf '%s|%s|%s\n' "$t" "-" "$status${why:+: $why}" >>"$figures"
    fi
done
table() {
    echo "| fault | recovery time | result |"
    echo "|---|---|---|"
    awk -F'|' '{ printf "| %s | %s | %s |\n", $1, $2, $3 }' "$figures"
}
table
[ -z "$out" ] || table >"$out"
if [ "$failed" = 0 ]; then
    rm -rf "$logs"
else
    echo "faults: logs in $logs" >&2
fi
exit "$failed"
