#!/usr/bin/env bash
# The emulated WAN (tests/wan/lib.sh, wanem) really emulates, and camrelay's
# tunnel works across a lossy, delayed one:
#   - delay: a TCP round trip of 100 B messages through a 30 ms + 20 ms link
#     never takes less than 50 ms (the emulator never sends early)
#   - loss: 10 % loss from camera to relay loses 5-15 % of 2000 pings, and
#     wanem's own counts add up (in = passed + lost)
#   - rate: a stream from the camera over a 2 Mbit/s uplink with a 100 kB
#     queue gets through, at less than the rate plus what the queue held
#   - down: nothing passes while the link is down, and pings pass again
#     once it is back
#   - camrelay: over 40 ms each way with 1 % loss, a viewer's binary
#     WebSocket messages reach the camera (camrelay-bench serve on the
#     camera's port 9001) through varnishd with the module, sshd with
#     camrelay's drop-in and camrelay-tunnel run from what `camera add`
#     printed, and every echo comes back intact; so does a 2 Mbit/s stream
# Bounds that hold however busy the machine is: behaviour, not performance.
#   wan_test.sh    (SOURCE_DIR, BUILD_DIR from ctest; root, ip, /dev/net/tun,
#                  ping, varnishd, sshd, ssh, jq, else skipped)
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
SOURCE_DIR=${SOURCE_DIR:-$(cd "$here/../.." && pwd)}
BUILD_DIR=${BUILD_DIR:-$SOURCE_DIR/build}
for tool in ping varnishd jq ssh; do
    command -v "$tool" >/dev/null || { echo "wan_test: SKIP: $tool is not installed" >&2; exit 77; }
done
# shellcheck source=lib.sh
source "$here/lib.sh"
[ -n "${WAN_INSIDE:-}" ] || wan_outer "$@"

# shellcheck source=../lib/kit.sh
source "$SOURCE_DIR/tests/lib/kit.sh"
# shellcheck source=../lib/relay_fixture.sh
source "$SOURCE_DIR/tests/lib/relay_fixture.sh"
relay_workdir "camrelay-$WAN_INSIDE"
BENCH=$BUILD_DIR/tools/camrelay-bench/camrelay-bench
why=$(relay_why_not)
[ -z "$why" ] || skip "$why"
for f in "$WANEM" "$BENCH"; do [ -x "$f" ] || die "$f is not built"; done
why=$(relay_why_not_built)
[ -z "$why" ] || die "$why"

# A camera program on the camera's port 9001 (Picam360's), echoing.
CAMPORT=9001
wan_cam "$BENCH" serve --listen "127.0.0.1:$CAMPORT" --mode echo >"$TMP/camera.out" 2>"$TMP/camera.log" &
started $!
wait_for 10 grep -qs "serving on" "$TMP/camera.out" || die "the camera did not start: $(cat "$TMP/camera.log")"
# And one on the relay's side of the link, for the emulator's own checks.
RELAY_ECHO=$(free_port)
"$BENCH" serve --listen "$WAN_RELAY_ADDR:$RELAY_ECHO" --mode echo >"$TMP/relay-echo.out" 2>"$TMP/relay-echo.log" &
started $!
wait_for 10 grep -qs "serving on" "$TMP/relay-echo.out" || die "the relay's echo did not start: $(cat "$TMP/relay-echo.log")"

# --- delay
wan_start "delay=30ms" "delay=20ms"
min_rtt() {
    wan_cam "$BENCH" run "ws://$WAN_RELAY_ADDR:$RELAY_ECHO/" --mode rtt --size 100 --count 20 --warmup 2 --json \
        >"$TMP/delay.json" || { cat "$TMP/delay.json"; return 1; }
    jq -e '.ok and .latency_ms.min >= 50' "$TMP/delay.json" || { cat "$TMP/delay.json"; return 1; }
}
check "delay: round trips over 30 ms + 20 ms all take 50 ms or more" min_rtt

# --- loss
wan_start "loss=10%" clean 7
lossy_pings() {
    local out sent got
    out=$(wan_cam ping -n -q -c 2000 -i 0.002 -W 1 "$WAN_RELAY_ADDR") || true
    echo "$out"
    sent=$(sed -n 's/^\([0-9]*\) packets transmitted.*/\1/p' <<<"$out")
    got=$(sed -n 's/.* \([0-9]*\) received.*/\1/p' <<<"$out")
    [ "$sent" = 2000 ] && [ "$got" -ge 1700 ] && [ "$got" -le 1900 ]
}
check "loss: 10 % loss from camera to relay loses 100-300 of 2000 pings" lossy_pings
counts_add_up() {
    wan_stats || return 1
    cat "$TMP/wanem.stats"
    local in passed lost
    in=$(wan_counter ab in) passed=$(wan_counter ab passed) lost=$(wan_counter ab lost)
    [ "$in" -ge 2000 ] && [ $((passed + lost)) = "$in" ] && [ "$lost" -ge 100 ] && [ "$lost" -le 300 ] &&
        [ "$(wan_counter ba lost)" = 0 ]
}
check "loss: wanem counts what it lost, in one direction only" counts_add_up

# --- rate
wan_start "rate=2mbit,queue=100k" clean
rate_capped() {
    local camera_side
    # the stream flows from the camera (its own echo serving a stream request)
    wan_cam "$BENCH" serve --listen "$WAN_CAMERA_ADDR:0" --mode echo >"$TMP/cam-stream.out" 2>&1 &
    local pid=$!
    wait_for 10 grep -qs "serving on" "$TMP/cam-stream.out" || { kill "$pid"; return 1; }
    camera_side=$(sed -n 's/.*serving on \([0-9.]*:[0-9]*\).*/\1/p' "$TMP/cam-stream.out")
    # its JSON decides (.ok below), after the camera side is stopped
    "$BENCH" run "ws://$camera_side/" --mode stream --size 16K --duration 4 --json >"$TMP/rate.json" || true
    kill "$pid"
    wait "$pid" 2>/dev/null || true
    cat "$TMP/rate.json"
    # 4 s at 2 Mbit/s is 1 MB; the queue adds at most 100 kB
    jq -e '.ok and .mb_per_s * 8 < 2.2 and .mb_per_s * 8 > 0.2' "$TMP/rate.json"
}
check "rate: a stream over a 2 Mbit/s uplink passes, at under 2.2 Mbit/s" rate_capped

# --- down
wan_start clean clean
down_drops_all() {
    local out before
    wan_stats || return 1
    before=$(wan_counter ab passed)
    wan_down
    sleep 0.1
    out=$(wan_cam ping -n -q -c 20 -i 0.05 -W 1 "$WAN_RELAY_ADDR") && { echo "$out"; return 1; }
    echo "$out"
    grep -q ' 0 received' <<<"$out" || return 1
    wan_stats && cat "$TMP/wanem.stats" && [ "$(wan_counter ab down)" -ge 20 ] &&
        [ "$(wan_counter ab passed)" = "$before" ]
}
check "down: nothing passes while the link is down" down_drops_all
back_up() {
    wan_up
    sleep 0.1
    wan_cam ping -n -q -c 5 -i 0.05 -W 2 "$WAN_RELAY_ADDR"
}
check "down: pings pass once the link is back" back_up

# --- camrelay's tunnel over 40 ms each way and 1 % loss
wan_start "delay=40ms,jitter=10ms,loss=1%" "delay=40ms,jitter=10ms,loss=1%" 3
RELAY_CLIENT_ALIVE=2
relay_setup "ListenAddress $WAN_RELAY_ADDR"
relay_start_sshd
cam secret new >/dev/null || die "secret new"
wan_add_camera cam1 "$CAMPORT" --max-viewers 4
VIEWER_PORT=$(free_port)
mapfile -t params < <(camrelay_varnishd_params 100)
relay_start_varnish "$VIEWER_PORT" "${params[@]}"
wan_start_tunnel cam1
wait_for 60 port_in_use "$CAM_PORT" || die "the tunnel did not come up within 60 s over the lossy link"
ok "camrelay-tunnel came up over 40 ms + 1 % loss"
URL="ws://127.0.0.1:$VIEWER_PORT/cam1/?k=$(cam key issue --camera cam1 --ttl 1h)"
viewer_echoes() {
    "$BENCH" run "$URL" --mode rtt --size 16K --count 40 --warmup 2 --timeout 120 --json >"$TMP/tunnel-rtt.json"
    cat "$TMP/tunnel-rtt.json"
    # every echo checked by camrelay-bench; each crossed the link twice, at
    # least 10 ms each way (40 ms less the jitter's 3 sigma)
    jq -e '.ok and .completed == 40 and .bad_echoes == 0 and .latency_ms.min >= 20' "$TMP/tunnel-rtt.json"
}
check "camrelay: a viewer's 16 KiB binary messages come back intact across the WAN" viewer_echoes
viewer_stream() {
    "$BENCH" run "$URL" --mode load --viewers 1 --mbps 2 --size 16K --duration 4 --json >"$TMP/tunnel-load.json"
    cat "$TMP/tunnel-load.json"
    jq -e '.ok and .lost == 0 and .corrupt == 0 and .out_of_order == 0 and .messages > 0' "$TMP/tunnel-load.json"
}
check "camrelay: a 2 Mbit/s stream from the camera reaches the viewer, nothing lost" viewer_stream
wan_stats && check "the tunnel's packets really crossed wanem, some lost" \
    test "$(wan_counter ab lost)" -gt 0 -a "$(wan_counter ab passed)" -gt 1000
kit_finish
