#!/usr/bin/env bash
# camrelay-bench as a live camera, through real TCP connections on
# loopback: a camera with a send queue limit drops frames for a viewer that
# reads slower than it streams, and the viewer reports them apart from
# losses; an adapting camera lowers its bitrate instead; the clock offset
# between camera and viewer (one machine) comes out within its uncertainty
# of 0 and is not applied.
BENCH=$1
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"

# Usage errors.
expect_exit 2 "$BENCH" serve --listen 127.0.0.1:0 --adapt 4:1
expect_in "$TMP/last.err" "--adapt: MIN 4 is above MAX"
expect_exit 2 "$BENCH" serve --listen 127.0.0.1:0 --adapt 4
expect_exit 2 "$BENCH" serve --listen 127.0.0.1:0 --mode demo --max-queue 64K
expect_exit 2 "$BENCH" run ws://127.0.0.1:1/ --mode stream --clock sometimes
expect_exit 0 "$BENCH" --help
expect_in "$TMP/last.out" "--max-queue BYTES"
expect_in "$TMP/last.out" "--read-mbps R"

# 8 Mbit/s to a viewer that reads 2: the camera drops frames.
start_camera dropping --max-queue 32K
port=$CAMERA_PORT
expect_exit 0 "$BENCH" run "ws://127.0.0.1:$port/cam1/" --mode stream --mbps 8 --size 16K --read-mbps 2 \
    --duration 2 --json
expect_json "$TMP/last.out" '.ok and .lost == 0 and .camera.dropped > 10 and .camera.bitrate_mbps.median == 8'
expect_json "$TMP/last.out" '.received_mbps < 4'
# One machine, one clock: the offset is within its uncertainty and not applied.
expect_json "$TMP/last.out" '.clock.estimated == 1 and .clock.replies > 0 and .clock.corrected == 0'
expect_json "$TMP/last.out" '(.clock.offset_ms | fabs) <= .clock.uncertainty_ms'
# A viewer that keeps up: nothing dropped; and the table.
expect_exit 0 "$BENCH" run "ws://127.0.0.1:$port/cam1/" --mode stream --mbps 2 --size 4K --duration 1
expect_in "$TMP/last.out" "camera dropped  0 frames"
expect_in "$TMP/last.out" "clock offset"
kill -TERM "$CAMERA_PID"
wait_for 4 grep -qs "camera done" "$TMP/dropping.err" || die "the camera did not report"
grep -Eq "stream 1 ended: [0-9]+ frames sent, [1-9][0-9]* dropped at the camera" "$TMP/dropping.err" ||
    die "the camera's report has no drops: $(cat "$TMP/dropping.err")"
grep -Eq "camera done: .* [1-9][0-9]* dropped \(send queue full\)" "$TMP/dropping.err" ||
    die "the camera's totals have no drops: $(cat "$TMP/dropping.err")"

# An adapting camera comes down to what the viewer takes.
start_camera adapting --adapt 0.25:8 --max-queue 64K
expect_exit 0 "$BENCH" run "ws://127.0.0.1:$CAMERA_PORT/" --mode stream --rate 30 --read-mbps 1 --duration 3 --json
expect_json "$TMP/last.out" '.ok and .camera.bitrate_mbps.final < 4 and .camera.bitrate_mbps.min >= 0.25'
expect_json "$TMP/last.out" '.camera.bitrate_mbps.min < 2'
# Second by second with --timeline: the camera's bitrate in each second.
expect_exit 0 "$BENCH" run "ws://127.0.0.1:$CAMERA_PORT/" --mode stream --rate 30 --read-mbps 1 --duration 2 \
    --timeline --json
expect_json "$TMP/last.out" '(.timeline | length) >= 2 and .timeline[0].start_s == 0 and .timeline[0].messages > 0'
expect_json "$TMP/last.out" '[.timeline[] | select(.messages > 0) | .camera_mbps > 0] | all'

# Load viewers get the camera's state and the clock too.
expect_exit 0 "$BENCH" run "ws://127.0.0.1:$CAMERA_PORT/" --mode load --viewers 2 --mbps 1 --duration 1 --json
expect_json "$TMP/last.out" '.ok and .camera.viewers == 2 and .clock.estimated == 2'

# A camera whose clock is a day behind: the offset is found and corrects
# the latency (auto), or is left out (same) and the latency is a day.
start_camera skewed --clock-skew -86400000
expect_exit 0 "$BENCH" run "ws://127.0.0.1:$CAMERA_PORT/" --mode stream --mbps 2 --size 4K --duration 1 --json
expect_json "$TMP/last.out" '.ok and .clock.corrected == 1 and .latency_ms.max < 10000'
expect_json "$TMP/last.out" '(.clock.offset_ms + 86400000 | fabs) <= .clock.uncertainty_ms'
expect_exit 0 "$BENCH" run "ws://127.0.0.1:$CAMERA_PORT/" --mode stream --mbps 2 --size 4K --duration 1 --clock same \
    --json
expect_json "$TMP/last.out" '.clock.corrected == 0 and .latency_ms.p50 > 86000000'

echo "live: ok"
