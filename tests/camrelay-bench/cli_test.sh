#!/usr/bin/env bash
# camrelay-bench's own command line: usage errors, clear failures, exit
# codes, the camera's HTTP page, and a camera that stops by itself.
BENCH=$1
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"

# Usage: exit 2.
expect_exit 2 "$BENCH"
expect_in "$TMP/last.err" "usage:"
expect_exit 2 "$BENCH" frobnicate
expect_exit 2 "$BENCH" run ws://127.0.0.1:1/ --mode fast
expect_exit 2 "$BENCH" run ws://127.0.0.1:1/
expect_in "$TMP/last.err" "run needs --mode"
expect_exit 2 "$BENCH" run "https://relay.example/x" --mode rtt
expect_in "$TMP/last.err" 'camrelay-bench: bad URL "https://relay.example/x": scheme "https" is not ws or wss'
expect_exit 2 "$BENCH" run "http://127.0.0.1:8080/" --mode rtt
expect_in "$TMP/last.err" 'camrelay-bench: bad URL "http://127.0.0.1:8080/": scheme "http" is not ws or wss'
# TLS options: for wss:// only, one of them, a readable --ca file.
expect_exit 2 "$BENCH" run "ws://127.0.0.1:1/" --mode rtt --insecure
expect_in "$TMP/last.err" "--ca and --insecure are for wss:// URLs"
expect_exit 2 "$BENCH" run "wss://127.0.0.1:1/" --mode rtt --insecure --ca /etc/hostname
expect_in "$TMP/last.err" "give only one of --ca FILE, --insecure"
expect_exit 2 "$BENCH" run "wss://127.0.0.1:1/" --mode rtt --ca "$TMP/missing.pem"
expect_in "$TMP/last.err" "--ca: cannot read \"$TMP/missing.pem\""
echo "not a certificate" >"$TMP/junk.pem"
expect_exit 2 "$BENCH" run "wss://127.0.0.1:1/" --mode rtt --ca "$TMP/junk.pem"
expect_in "$TMP/last.err" "--ca $TMP/junk.pem: no CA certificate could be read from it"

expect_exit 2 "$BENCH" run "ws://127.0.0.1:99999/" --mode rtt
expect_in "$TMP/last.err" "out of range"
expect_exit 2 "$BENCH" serve --listen nowhere
expect_exit 0 "$BENCH" --help
expect_in "$TMP/last.out" "--insecure"

# Nothing listens: exit 1 and say so.
closed=$(free_port)
expect_exit 1 "$BENCH" run "ws://127.0.0.1:$closed/" --mode rtt --connect-timeout 2
expect_in "$TMP/last.err" "camrelay-bench: ws://127.0.0.1:$closed/: cannot connect to 127.0.0.1:$closed: Connection refused"
expect_exit 1 "$BENCH" run "wss://127.0.0.1:$closed/" --mode rtt --connect-timeout 2
expect_in "$TMP/last.err" "camrelay-bench: wss://127.0.0.1:$closed/: cannot connect to 127.0.0.1:$closed: Connection refused"
expect_exit 1 "$BENCH" run "ws://127.0.0.1:$closed/" --mode load --duration 0.2 --json
expect_json "$TMP/last.out" '.failed_connections == 2 and .ok == false'

# A camera: the viewer page over plain HTTP, any path and query.
start_camera echo --mode echo
port=$CAMERA_PORT
curl -sS --max-time 5 -o "$TMP/page.html" -w '%{http_code}' "http://127.0.0.1:$port/some/path?k=abc" >"$TMP/code"
[ "$(cat "$TMP/code")" = 200 ] || die "page status $(cat "$TMP/code")"
expect_in "$TMP/page.html" "camrelay-bench camera"
# A broken upgrade gets an HTTP error, not a WebSocket.
code=$(curl -sS --max-time 5 -o /dev/null -w '%{http_code}' -H "Upgrade: websocket" -H "Connection: Upgrade" \
    -H "Sec-WebSocket-Version: 13" "http://127.0.0.1:$port/")
[ "$code" = 400 ] || die "broken upgrade answered $code"

# rtt in JSON, then the table.
expect_exit 0 "$BENCH" run "ws://127.0.0.1:$port/cam?x=1" --mode rtt --count 100 --json
expect_json "$TMP/last.out" '.mode == "rtt" and .completed == 100 and .bad_echoes == 0 and .ok == true'
expect_json "$TMP/last.out" '.latency_ms.count == 100 and .latency_ms.p50 > 0 and .error == null'
expect_exit 0 "$BENCH" run "ws://127.0.0.1:$port/" --mode rtt --count 10 --size 1M
expect_in "$TMP/last.out" "round trips"
expect_in "$TMP/last.out" "result"

# A camera with --duration stops by itself and reports.
"$BENCH" serve --listen 127.0.0.1:0 --mode stream --duration 1 >"$TMP/short.out" 2>"$TMP/short.err" &
short=$!
started $short
ended() { ! kill -0 "$1" 2>/dev/null; }
wait_for 4 ended "$short" || die "serve --duration 1 still runs after 4 s"
wait $short || die "serve --duration exited $?"
expect_in "$TMP/short.err" "camera done"

# SIGTERM stops a camera cleanly.
start_camera term
pid=$CAMERA_PID
kill -TERM "$pid"
wait_for 4 ended "$pid" || die "serve ignores SIGTERM"
expect_in "$TMP/term.err" "camera done"

echo "cli: ok"
