#!/usr/bin/env bash
# No keyless denial of service: a camera that accepts connections and never
# answers (a "black hole"), 200 keyless page requests held open against it
# from 200 addresses, and a viewer of another camera must still be admitted
# and exchange messages at once. Real varnishd, the shipped vcl/default.vcl,
# the built module, the relay's parameters (tools/setup/relay-params.sh) with
# small thread pools (2 x 60 threads) so that a few hundred requests could
# take them all.
#   page_dos_test.sh BUILD_DIR
# PAGE_DOS_VIEWER_TIMEOUT (seconds, default 30): how long the viewer waits,
# to measure how long admission takes without the bound (BENCHMARKS.md).
set -uo pipefail
# shellcheck source=../lib/relay_suite.sh
source "$(dirname "$0")/../lib/relay_suite.sh" "$@"

command -v node >/dev/null || skip "node is not installed"
held=200
relay_port=$(free_port)
relay_config
dead_port=$(relay_camera dead) || die "camera add dead"
live_port=$(relay_camera live) || die "camera add live"
key=$(cam key issue --camera live --ttl 1h) || die "key issue"

node "$here/blackhole.js" "$dead_port" >"$TMP/blackhole.log" 2>&1 &
started $!
node "$here/camera.js" "$live_port" 8 >"$TMP/camera.log" 2>&1 &
started $!
wait_for_port "$dead_port"
wait_for_port "$live_port"
mapfile -t params < <(camrelay_varnishd_params 1000)
relay_start_varnish "$relay_port" "${params[@]}" -t 0 \
    -p thread_pool_min=10 -p thread_pool_max=60
relay="127.0.0.1:$relay_port"

# Before the attack: the viewer works.
out=$(node "$here/viewer.js" "ws://$relay/live/?k=$key" --count 5) || true
check "viewer admitted before the attack" grep -q '"ok":true' <<<"$out"

# The attack: keyless requests for the dead camera's page, held open.
node "$here/hold_pages.js" "http://$relay/dead/index.html" "$held" >"$TMP/hold.log" 2>&1 &
hold_pid=$!
started "$hold_pid"
sleep 1

start=${EPOCHREALTIME//[!0-9]/}
out=$(node "$here/viewer.js" "ws://$relay/live/?k=$key" --count 5 \
    --timeout "${PAGE_DOS_VIEWER_TIMEOUT:-30}") || true
elapsed_us=$((${EPOCHREALTIME//[!0-9]/} - start))
elapsed=$(printf '%d.%03d' $((elapsed_us / 1000000)) $((elapsed_us % 1000000 / 1000)))
echo "$out"
say "viewer of another camera with $held keyless requests held: admitted and done in ${elapsed} s"
check "viewer admitted and echoed during the attack" grep -q '"ok":true' <<<"$out"
check "within 5 s (took ${elapsed} s)" test "$elapsed_us" -lt 5000000

# Every held request gets an answer, none later than the page timeout (10 s)
# plus a margin: the dead camera's page requests are bounded in time.
wait_for 30 bash -c "! kill -0 $hold_pid 2>/dev/null" || true
kill -TERM "$hold_pid" 2>/dev/null
sleep 0.2
hold=$(tail -n 1 "$TMP/hold.log")
say "held requests: $hold"
check "every held request answered" grep -q "\"ended\":$held," <<<"$hold"
slowest=$(sed -n 's/.*"slowest":\([0-9.]*\).*/\1/p' <<<"$hold")
check "the slowest within 15 s (took ${slowest:-?} s)" awk -v s="${slowest:-999}" 'BEGIN { exit !(s < 15) }'
check "past the camera's page limit: 503 busy at once" grep -q '"busy":' <<<"$hold"

# Keyless requests from one address are rate-limited.
codes=$(for _ in $(seq 1 120); do
    curl -s -o /dev/null -w '%{http_code} %header{camrelay-reason}\n' "http://$relay/live/index.html"
done)
check "one address's keyless requests: 200 first" grep -q '^200 ' <<<"$(head -n 1 <<<"$codes")"
check "then 429 page_rate" grep -q '^429 page_rate' <<<"$codes"

kit_finish
