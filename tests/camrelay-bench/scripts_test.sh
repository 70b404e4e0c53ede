#!/usr/bin/env bash
# The shell scripts of the tree: bash -n and shellcheck on every one of
# them (the tunnel suite also checks its shipped scripts as POSIX sh,
# tests/tunnel/script_test.sh); then (as
# root) bench/load.sh on 2 cameras for 2 seconds without writing
# BENCHMARKS.md: sshd, a throwaway account, tunnels and varnishd with the
# module come up from a fresh build, the viewers get every message, and
# nothing is left running or behind afterwards. The kit's check itself.
# bench/transports.sh: its options, and (as root) a short run of its first
# two parts (each camera transport, wss:// through haproxy and hitch)
# without writing, in which every path is measured, and after which
# nothing is left behind either.
#   scripts_test.sh SOURCE_DIR BUILD_DIR
set -euo pipefail
src=$1
build=$2
# shellcheck source=../lib/kit.sh
source "$src/tests/lib/kit.sh"

cd "$src"
# every shell script in the tree: the .sh files, and those that are
# installed, generated from .in or run by name without the suffix
scripts=(bench/*.sh tests/*/*.sh tools/*/*.sh .ci/run debian/*.postinst debian/*.postrm
    debian/*.prerm tests/packaging/fakes/* tests/system/certbot-standin tools/setup/camrelay-setup.in
    tools/setup/certbot-deploy-hook.in tools/tunnel/camrelay-ssh-setup.in tools/tunnel/camrelay-tunnel)
for f in "${scripts[@]}"; do bash -n "$f" || die "bash -n $f"; done
ok "bash -n: ${#scripts[@]} scripts"
if command -v shellcheck >/dev/null; then
    # a few scripts per shellcheck, one per core: it takes a while alone
    printf '%s\0' "${scripts[@]}" | xargs -0 -n 6 -P "$(nproc)" shellcheck -x -P SCRIPTDIR -S warning ||
        die "shellcheck"
    ok "shellcheck: ${#scripts[@]} scripts (bench, tests, tools, debian, .ci)"
else
    say "shellcheck not installed: only bash -n"
fi
cd - >/dev/null

# The kit's check: a check function fails on any failing line, not only
# on its last one, and says which line.
fails_early() {
    false
    true
}
kit_out=$(mktemp)
if (check "a check that fails on its first line" fails_early) >"$kit_out" 2>&1; then
    die "kit: check passed a function whose first line failed"
fi
grep -q 'check: failed at line [0-9]*: false$' "$kit_out" || die "kit: no failing line in: $(cat "$kit_out")"
rm "$kit_out"
check "kit: a check that passes" true || die "kit: check failed on true"
ok "kit: check fails a check function on any failing line, and names it"

# bench/transports.sh refuses what it does not know, before doing anything
for args in "--bogus" "--no-write extra"; do
    # shellcheck disable=SC2086  # the words are the arguments
    if out=$("$src/bench/transports.sh" $args 2>&1); then die "bench/transports.sh $args: exit 0"; else status=$?; fi
    [ "$status" = 2 ] && grep -qx 'usage: bench/transports.sh \[--no-write\] \[--no-startup\]' <<<"$out" ||
        die "bench/transports.sh $args: exit $status, $out"
done
if out=$(REPEAT=0 "$src/bench/transports.sh" --no-write 2>&1); then die "REPEAT=0: exit 0"; else status=$?; fi
[ "$status" = 2 ] && grep -q "REPEAT must be a positive integer" <<<"$out" || die "REPEAT=0: exit $status, $out"
ok "bench/transports.sh: unknown arguments and a bad REPEAT are refused (exit 2)"

if [ "$(id -u)" != 0 ]; then
    say "not root: bench/load.sh (sshd, a throwaway account) left out"
    exit 0
fi
accounts() { getent passwd | grep -c '^crbench' || true; }
accounts_before=$(accounts)
# Only what this run makes counts: another bench script may be running.
# (no such directory on a machine that never ran one: an empty list)
work_dirs() { { ls -A /run/camrelay-bench 2>/dev/null || true; } | sort; }
dirs_before=$(work_dirs)
out=$(CAMERAS=2 VIEWERS=2 MBPS=2 SECONDS=2 NO_BUILD=1 BUILD_DIR=$build "$src/bench/load.sh" --no-write 2>&1) ||
    { printf '%s\n' "$out" >&2; die "bench/load.sh failed"; }
for want in "| connections | 4 of 4 open, 0 failed, 0 dropped" "0 lost, 0 out of order, 0 corrupt"; do
    grep -qF -- "$want" <<<"$out" || { printf '%s\n' "$out" >&2; die "bench/load.sh: no \"$want\""; }
done
ok "bench/load.sh, 2 cameras x 2 viewers"
[ "$(accounts)" = "$accounts_before" ] || die "bench/load.sh left its throwaway account"
new_dirs=$(comm -13 <(printf '%s\n' "$dirs_before") <(work_dirs))
[ -z "$new_dirs" ] || die "bench/load.sh left files in /run/camrelay-bench: $new_dirs"
left=$(pgrep -af /run/camrelay-bench/ || true)
for d in $dirs_before; do left=$(grep -vF "/run/camrelay-bench/$d" <<<"$left" || true); done
[ -z "$left" ] || { printf '%s\n' "$left" >&2; die "bench/load.sh left processes running"; }
ok "nothing left behind"

missing=
for tool in haproxy hitch tinyproxy; do command -v "$tool" >/dev/null || missing="$missing $tool"; done
if [ -n "$missing" ]; then
    say "not installed:$missing: bench/transports.sh's short run left out"
    exit 0
fi
tmp=$(mktemp -d)
# in the background: its process id names its throwaway account (crbenchPID)
REPEAT=1 RTT_COUNT=50 STREAM_SECONDS=1 NO_BUILD=1 BUILD_DIR=$build BENCHMARKS_FILE=$tmp/BENCHMARKS.md \
    "$src/bench/transports.sh" --no-write --no-startup >"$tmp/out" 2>&1 &
pid=$!
status=0
wait "$pid" || status=$?
out=$(cat "$tmp/out")
rm "$tmp/out"
[ "$status" = 0 ] || { printf '%s\n' "$out" >&2; die "bench/transports.sh failed (exit $status)"; }
for row in "| ssh | " "| ssh-443 | " "| tls | " "| ssh-443+proxy | " "| tls+proxy | " \
    "| wss:// through hitch (before), " "| wss:// through haproxy (now), "; do
    line=$(grep -F -m 1 -- "$row" <<<"$out" || true)
    # round trips in ms, and where the stream's CPU went
    [[ $line == *" ms | "* && $line != *failed* && $line =~ \|\ [0-9.]+\ /\ [0-9.]+\ /\ [0-9.]+\ /\ [0-9.]+\ \| ]] ||
        { printf '%s\n' "$out" >&2; die "bench/transports.sh: no figures in a row \"$row...\""; }
done
! grep -q 'failed' <<<"$out" || { printf '%s\n' "$out" >&2; die "bench/transports.sh: a measurement failed"; }
grep -q "^Not measured: bench/transports.sh --no-startup" <<<"$out" || die "bench/transports.sh: part 3 not left out"
[ ! -e "$tmp/BENCHMARKS.md" ] || die "bench/transports.sh --no-write wrote $tmp/BENCHMARKS.md"
rmdir "$tmp"
ok "bench/transports.sh, its first two parts, 50 round trips and a 1 s stream on each path"
# (other benchmarks may run meanwhile: only what is this run's)
left=$({ pgrep -af '/run/camrelay-bench/transports\.' || true; ls -d /run/camrelay-bench/transports.* 2>/dev/null || true
    getent passwd "crbench$pid" || true; })
[ -z "$left" ] || die "bench/transports.sh left behind: $left"
ok "bench/transports.sh: nothing left behind"
