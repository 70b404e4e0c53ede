#!/usr/bin/env bash
# camrelay-bench over wss:// through a real TLS terminator: haproxy in tcp
# mode, as on the relay's https port, in front of `camrelay-bench serve`,
# with a throwaway CA made by openssl (make_test_pki). Round trips, a stream
# and a short load, every message checked; SNI; TLS 1.2; the certificate
# checks, which must refuse another CA, the system's CAs and a certificate
# for another name, saying which certificate and why; --insecure, which
# must say so; a handshake that never ends, bounded by --connect-timeout.
BENCH=$1
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
command -v haproxy >/dev/null || die "haproxy not found (apt-get install haproxy)"
command -v openssl >/dev/null || die "openssl not found"

pki=$TMP/pki
make_test_pki "$pki"
start_camera camera --mode echo

tls_port=$(free_port)   # the relay's https port: TLS 1.2 and 1.3, ALPN http/1.1
sni_port=$(free_port)   # passes only connections that sent SNI "localhost"
tls12_port=$(free_port) # TLS 1.2 at most
tls11_port=$(free_port) # TLS 1.1 only
other_port=$(free_port) # a certificate for elsewhere.example
plain_port=$(free_port) # no TLS: ws:// through haproxy
cat >"$TMP/haproxy.cfg" <<EOF
global
    maxconn 200
defaults
    mode tcp
    timeout connect 5s
    timeout client 30s
    timeout server 30s
    default_backend camera
frontend wss
    bind 127.0.0.1:$tls_port ssl crt $pki/server.pem alpn http/1.1
frontend sni
    bind 127.0.0.1:$sni_port ssl crt $pki/server.pem alpn http/1.1
    tcp-request session reject unless { ssl_fc_sni -m str localhost }
frontend tls12
    bind 127.0.0.1:$tls12_port ssl crt $pki/server.pem alpn http/1.1 ssl-max-ver TLSv1.2
frontend tls11
    bind 127.0.0.1:$tls11_port ssl crt $pki/server.pem ssl-min-ver TLSv1.1 ssl-max-ver TLSv1.1 ciphers DEFAULT@SECLEVEL=0
frontend elsewhere
    bind 127.0.0.1:$other_port ssl crt $pki/elsewhere.pem alpn http/1.1
frontend plain
    bind 127.0.0.1:$plain_port
backend camera
    server camera 127.0.0.1:$CAMERA_PORT
EOF
haproxy -c -q -f "$TMP/haproxy.cfg" || die "haproxy refuses its configuration"
haproxy -db -f "$TMP/haproxy.cfg" >"$TMP/haproxy.log" 2>&1 &
haproxy_pid=$!
started $haproxy_pid
for port in $tls_port $sni_port $tls12_port $tls11_port $other_port $plain_port; do
    wait_for_port "$port" 10 "$haproxy_pid"
done

wss=wss://127.0.0.1:$tls_port
ca=(--ca "$pki/ca.pem")
verified=".tls.version == \"TLSv1.3\" and .tls.alpn == \"http/1.1\" and .tls.verified == true"
verified+=" and .tls.trusted == \"$pki/ca.pem\""

# Round trips of each size through TLS, every echo checked. 16 KiB and more
# come back as several TLS records in one read: they wait in OpenSSL's
# buffer, which must be drained before waiting on epoll, or the run stalls.
for spec in 32:200 16K:300 64K:100 1M:10; do
    size=${spec%:*}
    count=${spec#*:}
    expect_exit 0 "$BENCH" run "$wss/cam1/?k=abc&n=$size" --mode rtt --size "$size" --count "$count" --warmup 2 \
        --timeout 30 "${ca[@]}" --json
    expect_json "$TMP/last.out" ".completed == $count and .bad_echoes == 0 and .ok == true"
    expect_json "$TMP/last.out" "$verified"
done
ok "rtt over wss://, 32 B to 1 MiB"

# One send per message, as over ws://: the two TLS records of a 16 KiB
# message (a record holds 16 KiB at most) leave together. (strace is not
# among the test dependencies: without it this check is left out, said.)
if command -v strace >/dev/null; then
    # (LeakSanitizer, in a sanitizer build, cannot run under ptrace.)
    ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0 strace -f -qq -e signal=none \
        -e trace=sendto,sendmsg,write,writev -o "$TMP/strace.txt" \
        "$BENCH" run "$wss/" --mode rtt --count 200 --warmup 0 "${ca[@]}" >"$TMP/strace.out" 2>&1 ||
        die "rtt under strace failed: $(cat "$TMP/strace.out")"
    # The transport sends with send(2); write(2), traced for the message,
    # is stdout's (and a sanitizer's).
    sends=$(grep -cE '^([0-9]+ +)?(sendto|sendmsg)\(' "$TMP/strace.txt")
    if [ "$sends" -le 200 ] || [ "$sends" -gt 210 ]; then
        die "$sends sends for 200 round trips over wss://: $(grep -vE '16422|= 16' "$TMP/strace.txt" | head -20)"
    fi
    ok "one send per 16 KiB message ($sends for 200 round trips and the handshakes)"
else
    say "strace not installed: sends per message not counted"
fi

# The table says how the connection was secured.
expect_exit 0 "$BENCH" run "$wss/" --mode rtt --count 20 "${ca[@]}"
expect_in "$TMP/last.out" "tls "
expect_in "$TMP/last.out" "ALPN http/1.1, certificate verified ($pki/ca.pem)"

# One stream as fast as TLS carries it, by host name (SNI and name check).
expect_exit 0 "$BENCH" run "wss://localhost:$tls_port/stream" --mode stream --duration 1 "${ca[@]}" --json
expect_json "$TMP/last.out" '.messages > 0 and .lost == 0 and .out_of_order == 0 and .corrupt == 0 and .ok == true'
expect_json "$TMP/last.out" "$verified"
ok "stream over wss://"

# Load: 2 cameras x 2 viewers sharing one TLS context.
expect_exit 0 "$BENCH" run "$wss/cam1/" "$wss/cam2/" --mode load --duration 2 --mbps 4 "${ca[@]}" --json
expect_json "$TMP/last.out" '.connected == 4 and .failed_connections == 0 and .dropped_connections == 0'
expect_json "$TMP/last.out" '.messages > 0 and .lost == 0 and .corrupt == 0 and .ok == true'
expect_json "$TMP/last.out" "$verified"
ok "load over wss://"

# SNI: sent for a host name; not for an address (RFC 6066), which this
# frontend therefore drops.
expect_exit 0 "$BENCH" run "wss://localhost:$sni_port/" --mode rtt --count 10 "${ca[@]}"
expect_exit 1 "$BENCH" run "wss://127.0.0.1:$sni_port/" --mode rtt --count 10 "${ca[@]}"
ok "SNI"

# TLS 1.2 is enough; TLS 1.1 is refused.
expect_exit 0 "$BENCH" run "wss://127.0.0.1:$tls12_port/" --mode rtt --count 10 "${ca[@]}" --json
expect_json "$TMP/last.out" '.tls.version == "TLSv1.2" and .tls.verified == true'
expect_exit 1 "$BENCH" run "wss://127.0.0.1:$tls11_port/" --mode rtt --count 10 "${ca[@]}"
expect_in "$TMP/last.err" "TLS handshake with 127.0.0.1:$tls11_port failed: "
expect_in "$TMP/last.err" "(camrelay-bench speaks TLS 1.2 and 1.3)"
ok "TLS 1.2, not 1.1"

# Certificates signed by a CA that is not trusted: another CA, or the
# system's CAs (the default). The error names the certificate and the problem.
not_trusted='certificate verify failed: unable to get local issuer certificate (certificate "CN=localhost" issued by "CN=camrelay-bench test CA")'
expect_exit 1 "$BENCH" run "$wss/cam1/" --mode rtt --count 10 --ca "$pki/other-ca.pem"
expect_in "$TMP/last.err" "camrelay-bench: $wss/cam1/: TLS handshake with 127.0.0.1:$tls_port failed: $not_trusted"
expect_in "$TMP/last.err" "trusting only the CAs in $pki/other-ca.pem (--ca FILE trusts another CA, --insecure skips"
expect_exit 1 "$BENCH" run "$wss/cam1/" --mode rtt --count 10
expect_in "$TMP/last.err" "$not_trusted; trusting the system's CAs"
expect_exit 1 "$BENCH" run "$wss/cam1/" "$wss/cam2/" --mode load --duration 0.5 --json
expect_json "$TMP/last.out" '.failed_connections == 4 and .connected == 0 and .tls == null'
# A trusted certificate for another name.
expect_exit 1 "$BENCH" run "wss://127.0.0.1:$other_port/" --mode rtt --count 10 "${ca[@]}"
expect_in "$TMP/last.err" 'certificate verify failed: IP address mismatch (certificate "CN=elsewhere.example" issued by "CN=camrelay-bench test CA"): it is not for "127.0.0.1"'
expect_exit 1 "$BENCH" run "wss://localhost:$other_port/" --mode rtt --count 10 "${ca[@]}"
expect_in "$TMP/last.err" 'certificate verify failed: hostname mismatch (certificate "CN=elsewhere.example"'
ok "untrusted certificates are refused with the reason"

# --insecure: no check at all, and the output says so.
expect_exit 0 "$BENCH" run "wss://localhost:$other_port/" --mode rtt --count 50 --insecure
expect_in "$TMP/last.out" "certificate NOT verified (--insecure)"
expect_in "$TMP/last.err" "warning: --insecure: the server's certificate is not verified"
expect_exit 0 "$BENCH" run "$wss/" --mode stream --duration 0.5 --insecure --json
expect_json "$TMP/last.out" '.tls.verified == false and .tls.trusted == null and .lost == 0 and .ok == true'
ok "--insecure"

# TLS to a port without TLS: the camera waits for an HTTP request that
# never comes; the handshake ends at --connect-timeout.
start=$(date +%s%N)
expect_exit 1 "$BENCH" run "wss://127.0.0.1:$plain_port/" --mode rtt --count 10 --connect-timeout 1 --insecure
elapsed_ms=$((($(date +%s%N) - start) / 1000000))
expect_in "$TMP/last.err" "timed out in the TLS handshake with 127.0.0.1:$plain_port (is it a TLS port?)"
[ "$elapsed_ms" -lt 4000 ] || die "a 1 s connect timeout took $elapsed_ms ms"
# The same port as ws:// works, and says nothing of TLS.
expect_exit 0 "$BENCH" run "ws://127.0.0.1:$plain_port/" --mode rtt --count 10 --json
expect_json "$TMP/last.out" '.tls == null and .ok == true'
ok "handshake bounded by --connect-timeout"

echo "wss: ok"
