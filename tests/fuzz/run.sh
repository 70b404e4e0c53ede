#!/usr/bin/env bash
# Fuzzes every target of tests/fuzz for a bounded time and prints, per
# target, the executions and coverage of libFuzzer's final stats.
#
#   tests/fuzz/run.sh [options] [SECONDS_PER_TARGET]    (default 60)
#     --build-dir DIR   the fuzz build to use (default: build-fuzz in the
#                       checkout); configured with CAMRELAY_FUZZ=ON and clang
#                       if it is not a build yet, its fuzz targets built
#     --only NAME       this target only (key, route, ...); repeatable
#     --merge           add what the run found to the committed corpus
#                       (tests/fuzz/corpus/NAME), minimised with -merge=1
#     --keep            keep the work folder of every target, not only of
#                       those with a finding
#
# One target at a time, one job, one worker, each on a copy of its corpus
# (the committed corpus only grows with --merge). Any crash, failed check,
# sanitizer report, leak, timeout (25 s for one input) or memory limit
# (2.5 GB) is a finding: the run ends with status 1 and names the input to
# reproduce it with (fuzz_NAME FILE). Run it niced on a shared machine:
#   nice -n 10 tests/fuzz/run.sh 300
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
build=$top/build-fuzz
seconds=60
merge=0
keep=0
only=()
while [ $# -gt 0 ]; do
  case $1 in
    --build-dir) build=$(realpath -m "$2"); shift 2 ;;
    --only) only+=("$2"); shift 2 ;;
    --merge) merge=1; shift ;;
    --keep) keep=1; shift ;;
    -h | --help) sed -n '2,/^set -e/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    -*) echo "run.sh: unknown option $1" >&2; exit 2 ;;
    *) seconds=$1; shift ;;
  esac
done
case $seconds in '' | *[!0-9]* | 0) echo "run.sh: SECONDS_PER_TARGET must be a positive number" >&2; exit 2 ;; esac

if [ ! -f "$build/CMakeCache.txt" ]; then
  cmake -S "$top" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_C_COMPILER=clang \
    -DCMAKE_CXX_COMPILER=clang++ -DCAMRELAY_WERROR=ON -DCAMRELAY_FUZZ=ON -DCAMRELAY_BUILD_TESTS=OFF >/dev/null
fi
grep -q '^CAMRELAY_FUZZ:BOOL=ON' "$build/CMakeCache.txt" || {
  echo "run.sh: $build is not a fuzz build (CAMRELAY_FUZZ=ON)" >&2
  exit 2
}
cmake --build "$build" -j"$(nproc)" --target fuzz_targets >/dev/null

if [ ${#only[@]} -eq 0 ]; then
  for src in "$top"/tests/fuzz/fuzz_*.cpp; do
    name=${src##*/fuzz_}
    only+=("${name%.cpp}")
  done
fi

work_root=$(mktemp -d "${TMPDIR:-/tmp}/camrelay-fuzz-XXXXXX")
results=()
failed=0
echo "fuzzing ${#only[@]} targets, ${seconds} s each (work folder $work_root)"
for name in "${only[@]}"; do
  bin=$build/tests/fuzz/fuzz_$name
  corpus=$top/tests/fuzz/corpus/$name
  [ -x "$bin" ] || { echo "run.sh: no target $bin" >&2; exit 2; }
  [ -d "$corpus" ] || { echo "run.sh: no corpus $corpus" >&2; exit 2; }
  work=$work_root/$name
  mkdir -p "$work/corpus"
  cp -r "$corpus/." "$work/corpus/"
  status=0
  # -jobs=1 -workers=1: one fuzzing process, its output in $work/fuzz-0.log.
  (cd "$work" && UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 "$bin" \
    -max_total_time="$seconds" -jobs=1 -workers=1 -print_final_stats=1 -timeout=25 -rss_limit_mb=2560 \
    -artifact_prefix="$work/" corpus >"$work/driver.log" 2>&1) || status=$?
  log=$work/fuzz-0.log
  [ -f "$log" ] || log=$work/driver.log
  stats=$(grep -a -E '(DONE|pulse|NEW|REDUCE|INITED) +cov:' "$log" | tail -n 1 || true)
  cov=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$stats")
  ft=$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$stats")
  corp=$(sed -n 's/.* corp: \([0-9]*\)\/.*/\1/p' <<<"$stats")
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -n 1)
  artifacts=$(find "$work" -maxdepth 1 \( -name 'crash-*' -o -name 'leak-*' -o -name 'timeout-*' \
    -o -name 'oom-*' -o -name 'slow-unit-*' \) -print)
  result=ok
  if [ "$status" != 0 ] || [ -n "$artifacts" ] || [ -z "$execs" ] ||
    grep -a -q -E 'ERROR: (AddressSanitizer|LeakSanitizer|libFuzzer)|runtime error:|fuzz check failed' "$log"; then
    result=FINDING
    failed=1
    echo
    echo "== fuzz_$name: finding (exit status $status); the end of $log:"
    tail -n 40 "$log"
    for a in $artifacts; do echo "reproduce: $bin $a"; done
  elif [ "$merge" = 1 ]; then
    before=$(find "$corpus" -type f | wc -l)
    (cd "$work" && "$bin" -merge=1 -timeout=25 "$corpus" "$work/corpus" >"$work/merge.log" 2>&1)
    result="ok, +$(($(find "$corpus" -type f | wc -l) - before)) merged"
  fi
  results+=("$(printf '%-16s %6ss %12s %8s %6s %7s %7s  %s' "$name" "$seconds" "${execs:--}" "${rate:--}" \
    "${cov:--}" "${ft:--}" "${corp:--}" "$result")")
  [ "$keep" = 1 ] || [ "$result" = FINDING ] || rm -rf "$work"
done

echo
printf '%-16s %7s %12s %8s %6s %7s %7s  %s\n' target time executions exec/s cov ft corpus result
printf '%s\n' "${results[@]}"
if [ "$failed" = 1 ]; then
  echo "fuzz: FINDINGS (inputs and logs kept in $work_root)"
  exit 1
fi
[ "$keep" = 1 ] || rmdir "$work_root"
echo "fuzz: no finding"
