#!/usr/bin/env bash
# camrelay-bench through a real varnishd that pipes WebSockets, with the
# article's VCL (upgrade -> pipe copying Upgrade and Connection, the rest
# -> pass) plus one test route that refuses. Checks message integrity
# (sizes, sequence numbers, payload patterns) and a short load run by
# counts only, never by timings.
BENCH=$1
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
command -v varnishd >/dev/null || die "varnishd not found (apt-get install varnish)"

start_camera camera --mode echo
camera_port=$CAMERA_PORT
relay_port=$(free_port)

{
    article_vcl "$camera_port" '    # Test route (not in the article): a refusal with a reason header.
    if (req.url ~ "^/deny") {
        return (synth(403, "Access denied"));
    }'
    cat <<'VCL'

sub vcl_synth {
    set resp.http.camrelay-reason = "test_refusal";
}
VCL
} >"$TMP/relay.vcl"

start_varnish relay "$relay_port" -f "$TMP/relay.vcl" -j none -s malloc,32m -T none
varnish_pid=$VARNISH_PID
code=$(curl -s --max-time 10 -o "$TMP/page.html" -w '%{http_code}' "http://127.0.0.1:$relay_port/x?y=1" || true)
[ "$code" = 200 ] || die "varnishd did not serve the camera page (status $code)"
expect_in "$TMP/page.html" "camrelay-bench camera"

relay="ws://127.0.0.1:$relay_port"

# Round trips of each size through the pipe: every echo checked.
for spec in 32:200 100:200 16K:300 64K:100 1M:10; do
    size=${spec%:*}
    count=${spec#*:}
    expect_exit 0 "$BENCH" run "$relay/x?k=abc&n=$size" --mode rtt --size "$size" --count "$count" --warmup 2 --json
    expect_json "$TMP/last.out" ".completed == $count and .bad_echoes == 0 and .ok == true"
done

# One stream as fast as it goes: sequence and payload of every message.
expect_exit 0 "$BENCH" run "$relay/stream" --mode stream --duration 1 --json
expect_json "$TMP/last.out" '.messages > 0 and .lost == 0 and .out_of_order == 0 and .corrupt == 0 and .unexpected == 0'

# Load: 4 cameras x 2 viewers, 3 s, 4 Mbit/s each, with upstream messages.
expect_exit 0 "$BENCH" run "$relay/cam1/" "$relay/cam2/" "$relay/cam3/?k=x" "$relay/cam4" --mode load \
    --viewers 2 --duration 3 --mbps 4 --relay-pid "$varnish_pid" --json
expect_json "$TMP/last.out" '.viewers == 8 and .connected == 8 and .failed_connections == 0 and .dropped_connections == 0'
expect_json "$TMP/last.out" '.lost == 0 and .out_of_order == 0 and .corrupt == 0 and .unexpected == 0'
expect_json "$TMP/last.out" '.messages > 0 and .upstream_sent > 0 and .relay.processes >= 2 and .ok == true'

# A refused upgrade: status, reason header and body are reported.
expect_exit 1 "$BENCH" run "$relay/deny" --mode rtt
expect_in "$TMP/last.err" "camrelay-bench: $relay/deny: upgrade refused: HTTP 403 Access denied; camrelay-reason: test_refusal; body:"

echo "varnish: ok"
