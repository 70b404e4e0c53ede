#!/usr/bin/env bash
# The shell scripts of the tree: bash -n and shellcheck on bench/*.sh, the
# test kit (tests/lib) and the suites that use it (the tunnel suite checks
# its own scripts, tests/tunnel/script_test.sh), and tools/dev; then (as
# root) bench/load.sh on 2 cameras for 2 seconds without writing
# BENCHMARKS.md: sshd, a throwaway account, tunnels and varnishd with the
# module come up from a fresh build, the viewers get every message, and
# nothing is left running or behind afterwards.
#   scripts_test.sh SOURCE_DIR BUILD_DIR
set -euo pipefail
src=$1
build=$2
# shellcheck source=../lib/kit.sh
source "$src/tests/lib/kit.sh"

cd "$src"
scripts=(bench/*.sh tests/lib/*.sh tests/cli/*.sh tests/camrelay-bench/*.sh tests/e2e/*.sh
    tests/packaging/*.sh tools/dev/*.sh)
for f in "${scripts[@]}"; do bash -n "$f" || die "bash -n $f"; done
ok "bash -n: ${scripts[*]}"
if command -v shellcheck >/dev/null; then
    shellcheck -x -P SCRIPTDIR -S warning "${scripts[@]}" || die "shellcheck"
    ok "shellcheck: ${scripts[*]}"
else
    say "shellcheck not installed: only bash -n"
fi
cd - >/dev/null

if [ "$(id -u)" != 0 ]; then
    say "not root: bench/load.sh (sshd, a throwaway account) left out"
    exit 0
fi
accounts() { getent passwd | grep -c '^crbench' || true; }
accounts_before=$(accounts)
out=$(CAMERAS=2 VIEWERS=2 MBPS=2 SECONDS=2 NO_BUILD=1 BUILD_DIR=$build "$src/bench/load.sh" --no-write 2>&1) ||
    { printf '%s\n' "$out" >&2; die "bench/load.sh failed"; }
for want in "| connections | 4 of 4 open, 0 failed, 0 dropped" "0 lost, 0 out of order, 0 corrupt"; do
    grep -qF -- "$want" <<<"$out" || { printf '%s\n' "$out" >&2; die "bench/load.sh: no \"$want\""; }
done
ok "bench/load.sh, 2 cameras x 2 viewers"
[ "$(accounts)" = "$accounts_before" ] || die "bench/load.sh left its throwaway account"
if pgrep -f /run/camrelay-bench/ >/dev/null; then
    pgrep -af /run/camrelay-bench/ >&2
    die "bench/load.sh left processes running"
fi
[ -z "$(ls -A /run/camrelay-bench 2>/dev/null)" ] || die "bench/load.sh left files in /run/camrelay-bench"
ok "nothing left behind"
