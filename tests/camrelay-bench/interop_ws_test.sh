#!/usr/bin/env bash
# camrelay-bench against an independent WebSocket implementation, Node's ws
# package (pinned in package-lock.json; install it with `npm ci` in this
# folder): our client with a ws server (over ws:// and wss://), a ws client
# with our camera.
BENCH=$1
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
here=$(cd "$(dirname "$0")" && pwd)
command -v node >/dev/null || die "node not found (node 20 is needed)"
[ -f "$here/node_modules/ws/package.json" ] || die "Node's ws is not installed: run 'npm ci' in $here"

# Our client, ws server: round trips of several sizes, the echo of every
# other message fragmented by ws, a ping from ws to answer, a clean close;
# over ws://, then over wss:// with Node's TLS (a throwaway CA).
make_test_pki "$TMP/pki"
for scheme in ws wss; do
    tls_files=()
    tls_options=()
    if [ "$scheme" = wss ]; then
        tls_files=("$TMP/pki/server.crt" "$TMP/pki/server.key")
        tls_options=(--ca "$TMP/pki/ca.pem")
    fi
    out=$TMP/ws_server_$scheme.out
    node "$here/ws_echo_server.js" "${tls_files[@]}" >"$out" 2>"$TMP/ws_server_$scheme.err" &
    started $!
    wait_for 5 grep -qs "listening on" "$out" || true
    ws_port=$(sed -n 's/^listening on \([0-9]*\)$/\1/p' "$out")
    [ -n "$ws_port" ] || die "ws server ($scheme) did not start: $(cat "$TMP/ws_server_$scheme.err")"

    for spec in 32:50 100:100 16K:200 64K:50 1M:10; do
        size=${spec%:*}
        count=${spec#*:}
        expect_exit 0 "$BENCH" run "$scheme://127.0.0.1:$ws_port/x?size=$size" --mode rtt --size "$size" \
            --count "$count" --warmup 1 "${tls_options[@]}" --json
        expect_json "$TMP/last.out" ".completed == $count and .bad_echoes == 0 and .ok == true"
    done
    [ "$scheme" = ws ] || expect_json "$TMP/last.out" '.tls.verified == true and .tls.alpn == "http/1.1"'
    sleep 0.2
    expect_in "$out" "connection /x?size=16K"
    expect_in "$out" "pong are you there"
    [ "$(grep -c '^close 1000$' "$out")" = 5 ] || die "ws server ($scheme) saw $(cat "$out")"
done

# A ws client, our camera: echo mode (and a stream asked for), stream mode.
start_camera echo --mode echo
node "$here/ws_client_check.js" echo "ws://127.0.0.1:$CAMERA_PORT/cam1/?k=1" >"$TMP/client.out" 2>&1 ||
    die "ws client against our echo camera: $(cat "$TMP/client.out")"
expect_in "$TMP/client.out" "echo checks: ok"

start_camera stream --mode stream --size 2000 --rate 500
node "$here/ws_client_check.js" stream "ws://127.0.0.1:$CAMERA_PORT/" >"$TMP/client.out" 2>&1 ||
    die "ws client against our streaming camera: $(cat "$TMP/client.out")"
expect_in "$TMP/client.out" "stream checks: ok"

echo "interop_ws: ok"
