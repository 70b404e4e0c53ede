#!/usr/bin/env bash
# The benchmark scripts under bench/: bash -n and shellcheck, then (as root)
# bench/load.sh on 2 cameras for 2 seconds without writing BENCHMARKS.md:
# sshd, a throwaway account, tunnels and varnishd with the module come up
# from a fresh build, the viewers get every message, and nothing is left
# running or behind afterwards.
#   scripts_test.sh SOURCE_DIR BUILD_DIR
set -euo pipefail
src=$1
build=$2
fail() { echo "FAIL: $*" >&2; exit 1; }

for f in "$src"/bench/*.sh; do bash -n "$f" || fail "bash -n $f"; done
echo "ok: bash -n bench/*.sh"
if command -v shellcheck >/dev/null; then
    (cd "$src/bench" && shellcheck -x -P SCRIPTDIR -S warning run.sh load.sh keycheck.sh) || fail "shellcheck"
    echo "ok: shellcheck bench/*.sh"
else
    echo "shellcheck not installed: only bash -n"
fi

if [ "$(id -u)" != 0 ]; then
    echo "not root: bench/load.sh (sshd, a throwaway account) left out"
    exit 0
fi
accounts() { getent passwd | grep -c '^crbench' || true; }
accounts_before=$(accounts)
out=$(CAMERAS=2 VIEWERS=2 MBPS=2 SECONDS=2 NO_BUILD=1 BUILD_DIR=$build "$src/bench/load.sh" --no-write 2>&1) ||
    { printf '%s\n' "$out" >&2; fail "bench/load.sh failed"; }
for want in "| connections | 4 of 4 open, 0 failed, 0 dropped" "0 lost, 0 out of order, 0 corrupt"; do
    grep -qF -- "$want" <<<"$out" || { printf '%s\n' "$out" >&2; fail "bench/load.sh: no \"$want\""; }
done
echo "ok: bench/load.sh, 2 cameras x 2 viewers"
[ "$(accounts)" = "$accounts_before" ] || fail "bench/load.sh left its throwaway account"
if pgrep -f /run/camrelay-bench/ >/dev/null; then
    pgrep -af /run/camrelay-bench/ >&2
    fail "bench/load.sh left processes running"
fi
[ -z "$(ls -A /run/camrelay-bench 2>/dev/null)" ] || fail "bench/load.sh left files in /run/camrelay-bench"
echo "ok: nothing left behind"
