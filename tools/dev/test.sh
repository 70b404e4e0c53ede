#!/usr/bin/env bash
# Builds camrelay and runs every test suite; this is what CI runs (.ci/run).
#   1. the C++ formatting check (tools/dev/format.sh --check)
#   2. the dev build (GCC, RelWithDebInfo, warnings are errors) and every
#      ctest suite: GoogleTest on lib/, varnishtest against varnishd with the
#      built module, the CLI, camrelay-bench interop, end-to-end WebSocket,
#      real sshd tunnels (ctest arguments pass through: test.sh -L core)
#   3. the Debian packages, built, installed, used and purged
#      (tests/packaging, as root only; PACKAGING_TESTS=0 leaves them out)
#   4. the other builds, all with warnings as errors: GCC Release and Debug,
#      clang Release, and clang Debug with ASan + UBSan, whose unit suites
#      and varnishtest suites run, the latter with the sanitized module in
#      the system's varnishd (OTHER_BUILDS=0 leaves them out)
#   5. the fuzz build (clang, libFuzzer + ASan + UBSan): every fuzz target
#      over its committed corpus, then 30 s of fuzzing each
#      (tests/fuzz/run.sh; FUZZ_TESTS=0 leaves it out)
#   tools/dev/test.sh               install what is missing, then all of the above
#   SKIP_DEPS=1 tools/dev/test.sh   skip the install step
# Build folders: $BUILD_DIR (default build/) and $BUILD_DIR-<name> for steps 4
# and 5.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
build=${BUILD_DIR:-$top/build}
jobs=$(nproc)
[ "${SKIP_DEPS:-0}" = 1 ] || "$top/tools/dev/install-deps.sh"

"$top/tools/dev/format.sh" --check

step() { printf '\n== camrelay test: %s\n' "$*"; }

step "dev build (gcc RelWithDebInfo) and every suite"
cmake -S "$top" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCAMRELAY_WERROR=ON
cmake --build "$build" -j"$jobs"
(cd "$build" && ctest --output-on-failure --timeout 900 "$@")

if [ "${PACKAGING_TESTS:-1}" = 1 ]; then
  step "Debian packages"
  status=0
  "$top/tests/packaging/packaging_test.sh" "$top" || status=$?
  # 77: skipped (not root), the script said why
  [ "$status" = 0 ] || [ "$status" = 77 ] || exit "$status"
fi

# other_build NAME LABELS CMAKE-ARGS...: configures and builds every target
# in $build-NAME; runs the ctest tests labelled LABELS when LABELS is set.
other_build() {
  local name=$1 labels=$2 dir="$build-$1"
  shift 2
  step "$name build"
  cmake -S "$top" -B "$dir" -DCAMRELAY_WERROR=ON "$@" >/dev/null
  cmake --build "$dir" -j"$jobs"
  [ -z "$labels" ] || (cd "$dir" && ctest --output-on-failure --timeout 900 -L "$labels")
}
clang=(-DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++)
if [ "${OTHER_BUILDS:-1}" = 1 ]; then
  other_build gcc-release "" -DCMAKE_BUILD_TYPE=Release
  other_build gcc-debug "" -DCMAKE_BUILD_TYPE=Debug
  other_build clang-release "" -DCMAKE_BUILD_TYPE=Release "${clang[@]}"
  # The module too: each vtc suite runs through tests/vtc/sanitized.sh,
  # which preloads the sanitizer runtime into the (unsanitized) varnishd
  # and fails on any ASan or UBSan report.
  (
    export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
    other_build clang-asan 'core|unit|vtc' -DCMAKE_BUILD_TYPE=Debug -DCAMRELAY_SANITIZE=ON "${clang[@]}"
  )
fi

if [ "${FUZZ_TESTS:-1}" = 1 ]; then
  # 30 s per target keeps this step bounded: 11 targets x 30 s = 5.5 min of
  # fuzzing (keep targets x seconds under ~6 min when adding one); longer
  # runs are tests/fuzz/run.sh SECONDS by hand.
  step "fuzz build (clang, libFuzzer + ASan + UBSan): the corpora, then 30 s of fuzzing per target"
  cmake -S "$top" -B "$build-fuzz" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCAMRELAY_WERROR=ON -DCAMRELAY_FUZZ=ON \
    -DCAMRELAY_BUILD_TESTS=OFF "${clang[@]}" >/dev/null
  cmake --build "$build-fuzz" -j"$jobs" --target fuzz_targets
  (cd "$build-fuzz" && ctest --output-on-failure -L fuzz)
  "$top/tests/fuzz/run.sh" --build-dir "$build-fuzz" 30
fi
step "all passed"
