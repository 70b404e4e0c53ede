#!/usr/bin/env bash
# The https port as camrelay setup runs it: haproxy with the built
# tools/setup/haproxy.cfg and setup's environment (relay_start_haproxy) in
# front of the relay fixture (sshd with camrelay's drop-in and a forwarding
# account, varnishd with vcl/default.vcl, the built module and a TLS listen
# socket). Through that one port:
#   - a camera's tunnel over plain SSH (ssh -p HTTPS_PORT -R), and a wss://
#     viewer that exchanges binary WebSocket messages with that camera;
#     haproxy's log has the camera's address (sshd only sees 127.0.0.1)
#   - a camera's tunnel over SSH inside TLS (ssh -o ProxyCommand='openssl
#     s_client ...'), and a viewer of that camera; with camrelay-connect
#     built, its tls transport too, and its probe of ssh-443 and tls
#   - varnishd sees TLS: a page load over https is answered, not redirected
#     (while the same over plain HTTP is)
#   - varnishd sees each viewer's address: viewers from 127.0.0.2 and
#     127.0.0.3 get separate buckets of the refusal throttle (the first is
#     throttled after 20 bad keys, the second still gets its own 403)
#   - a client that sends nothing reaches sshd; one that sends something
#     else is closed
#   port443_test.sh BUILD_DIR
set -uo pipefail
# shellcheck source=../lib/relay_suite.sh
source "$(dirname "$0")/../lib/relay_suite.sh" "$@"

why=$(relay_why_not)
[ -z "$why" ] || skip "$why"
for tool in haproxy openssl curl node; do
    command -v "$tool" >/dev/null || skip "$tool is not installed"
done
[ -d "$here/node_modules/ws" ] || skip "tests/e2e/node_modules missing (npm ci in tests/e2e)"
why=$(relay_why_not_built)
[ -z "$why" ] || die "$why"
# sshd's StrictModes refuses keys below /tmp: the work directory below /run.
rmdir "$TMP" && relay_workdir camrelay-e2e

relay_setup
relay_start_sshd
cam secret new >/dev/null || die "secret new"
relay_add_camera cam1
cam1_listen=$CAM_PORT
relay_add_camera cam2
cam2_listen=$CAM_PORT

# A test CA and the relay's certificate (localhost, 127.0.0.1), as
# camrelay setup installs it: key and chain in one file of the TLS folder.
ca=$TMP/ca
mkdir -p "$ca" "$TMP/tls"
make_certificates() {
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$ca/ca.key" \
        -out "$ca/ca.pem" -days 2 -subj "/CN=camrelay port443 test CA" \
        -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" &&
        openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$ca/relay.key" \
            -out "$ca/relay.csr" -subj "/CN=localhost" &&
        printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n' >"$ca/ext.cnf" &&
        openssl x509 -req -in "$ca/relay.csr" -CA "$ca/ca.pem" -CAkey "$ca/ca.key" -CAcreateserial \
            -days 2 -extfile "$ca/ext.cnf" -out "$ca/relay.crt" &&
        cat "$ca/relay.key" "$ca/relay.crt" >"$TMP/tls/relay.pem" &&
        chmod 0600 "$TMP/tls/relay.pem"
}
make_certificates >"$TMP/openssl.out" 2>&1 || die "test certificates: $(cat "$TMP/openssl.out")"

# The cameras' servers, then the relay: varnishd (HTTP on its port, TLS
# from haproxy on a Unix socket) and haproxy on the https port.
cam1_server=$(free_port)
cam2_server=$(free_port)
for p in "$cam1_server" "$cam2_server"; do
    node "$here/camera.js" "$p" 8 >>"$TMP/camera.log" 2>&1 &
    started $!
done
http_port=$(free_port)
https_port=$(free_port)
tls_socket=$TMP/varnish-tls.sock
# as camrelay setup starts varnishd with TLS: page loads over plain HTTP
# are redirected to the https port
export CAMRELAY_HTTPS_PORT=$https_port
mapfile -t params < <(camrelay_varnishd_params 1000)
relay_start_varnish "$http_port" "${params[@]}" -t 0 \
    -a "tls=$tls_socket,PROXY,user=varnish,group=haproxy,mode=660"
relay_start_haproxy "$https_port" "$tls_socket" "$TMP/tls"
for p in "$cam1_server" "$cam2_server"; do wait_for_port "$p"; done
https=https://127.0.0.1:$https_port

# tunnel NAME LISTEN SERVER SSH_OPTION...: NAME's camera tunnel (ssh -N -R
# LISTEN to SERVER) to the https port, the relay's host key pinned under its
# SSH port's name; its log $TMP/tunnel-NAME.log; sets TUNNEL_PID.
tunnel() {
    local name=$1 listen=$2 server=$3
    shift 3
    ssh -F /dev/null -N -T -o BatchMode=yes -o IdentitiesOnly=yes -o IdentityAgent=none \
        -i "$TMP/$name.key" -o StrictHostKeyChecking=yes -o UserKnownHostsFile="$RELAY_KNOWN_HOSTS" \
        -o GlobalKnownHostsFile=/dev/null -o HostKeyAlias="[127.0.0.1]:$SSHD_PORT" \
        -o ConnectTimeout=10 -o ExitOnForwardFailure=yes -o ServerAliveInterval=10 \
        -R "127.0.0.1:$listen:127.0.0.1:$server" -p "$https_port" -l "$RELAY_USER" "$@" 127.0.0.1 \
        </dev/null 2>>"$TMP/tunnel-$name.log" &
    TUNNEL_PID=$!
    started "$TUNNEL_PID"
}
key1=$(cam key issue --camera cam1 --ttl 1h) || die "key issue cam1"
key2=$(cam key issue --camera cam2 --ttl 1h) || die "key issue cam2"
viewer() { NODE_EXTRA_CA_CERTS=$ca/ca.pem node "$here/viewer.js" "$@"; }

# --- plain SSH on the https port (from 127.0.0.4, the camera's address)
tunnel cam1 "$cam1_listen" "$cam1_server" -b 127.0.0.4
check "plain SSH to the https port: cam1's tunnel (ssh -R) is up" wait_for 15 port_in_use "$cam1_listen"
wss_viewer() {
    local out
    out=$(viewer "wss://127.0.0.1:$https_port/cam1/live?k=$key1" --count 50 --push 8)
    echo "$out"
    grep -q '"ok":true' <<<"$out" && grep -q '"cameraUrl":"/live"' <<<"$out"
}
check "a wss:// viewer through haproxy, varnishd and the SSH-on-443 tunnel exchanges binary messages" wss_viewer
logged_route() { grep -E "$1" "$TMP/haproxy.log"; }
check "haproxy logs the connected camera's address and route (127.0.0.4 -> sshd)" \
    logged_route '127\.0\.0\.4:[0-9]+ .* camrelay-https camrelay-sshd/sshd '

# --- SSH inside TLS on the https port
tls_command="openssl s_client -quiet -verify_return_error -CAfile $ca/ca.pem -servername localhost -connect 127.0.0.1:$https_port"
tunnel cam2 "$cam2_listen" "$cam2_server" -o ProxyCommand="$tls_command"
check "SSH inside TLS to the https port: cam2's tunnel is up" wait_for 15 port_in_use "$cam2_listen"
tls_viewer() {
    local out
    out=$(viewer "wss://127.0.0.1:$https_port/cam2/?k=$key2" --count 20)
    echo "$out"
    grep -q '"ok":true' <<<"$out"
}
check "a viewer of cam2 reaches it through its SSH-in-TLS tunnel" tls_viewer
stop "$TUNNEL_PID"
check "haproxy logs the ended SSH-in-TLS connection (the TLS frontend -> sshd)" \
    wait_for 5 logged_route ' camrelay-tls~ camrelay-sshd/sshd '
wait_for 10 port_free "$cam2_listen" || die "cam2's tunnel port was not freed"
connect=$BUILD_DIR/tools/tunnel/camrelay-connect
if [ -x "$connect" ]; then
    tunnel cam2 "$cam2_listen" "$cam2_server" \
        -o ProxyCommand="$connect --tls-ca $ca/ca.pem --tls-name localhost tls 127.0.0.1 $https_port"
    check "SSH inside TLS with camrelay-connect tls: cam2's tunnel is up" wait_for 15 port_in_use "$cam2_listen"
    check "a viewer of cam2 reaches it through camrelay-connect's tunnel" tls_viewer
    stop "$TUNNEL_PID"
    probe() {
        local out
        out=$("$connect" --tls-ca "$ca/ca.pem" --tls-name localhost --only "$1" probe 127.0.0.1 "$SSHD_PORT" \
            "$https_port" 2>&1)
        echo "$out"
        [ "$out" = "$1" ]
    }
    check "camrelay-connect probe: ssh-443 answers through haproxy" probe ssh-443
    check "camrelay-connect probe: tls answers through haproxy" probe tls
else
    say "camrelay-connect is not built: its tls transport is not tried"
fi

# --- varnishd sees TLS: no redirect over https, a redirect over HTTP
https_page() {
    local out
    out=$(curl -sS --cacert "$ca/ca.pem" -w '\n%{http_code}' "$https/cam1/hello")
    echo "$out"
    [ "$out" = "$(printf 'camera page for /hello\n\n200')" ]
}
check "a page load over https is answered, not redirected (PROXY v2 says TLS)" https_page
http_redirect() {
    local out
    out=$(curl -sS -o /dev/null -w '%{http_code} %{redirect_url}' "http://127.0.0.1:$http_port/cam1/hello")
    echo "$out"
    [ "$out" = "307 https://127.0.0.1:$https_port/cam1/hello" ]
}
check "the same page load over plain HTTP is redirected to the https port" http_redirect

# --- varnishd sees each viewer's address: one throttle bucket per address
bad_key=${key1%.*}.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA
# upgrade FROM: a WebSocket upgrade with the bad key from address FROM;
# prints the status and camrelay-reason
upgrade() {
    curl -sS --interface "$1" --cacert "$ca/ca.pem" -o /dev/null -D - \
        -H 'Connection: Upgrade' -H 'Upgrade: websocket' -H 'Sec-WebSocket-Version: 13' \
        -H 'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==' "$https/cam1/?k=$bad_key" |
        awk 'NR == 1 { status = $2 } tolower($1) == "camrelay-reason:" { reason = $2 }
            END { sub(/\r$/, "", reason); print status, reason }'
}
throttled() {
    local i out
    for i in $(seq 20); do
        out=$(upgrade 127.0.0.2)
        [ "$out" = "403 key_bad_signature" ] || { echo "bad key $i from 127.0.0.2: $out"; return 1; }
    done
    out=$(upgrade 127.0.0.2)
    echo "21st bad key from 127.0.0.2: $out"
    [ "$out" = "429 throttled" ]
}
check "20 bad keys from 127.0.0.2 through the https port get 403, the 21st 429 (throttled)" throttled
own_bucket() {
    local out
    out=$(upgrade 127.0.0.3)
    echo "bad key from 127.0.0.3: $out"
    [ "$out" = "403 key_bad_signature" ]
}
check "meanwhile 127.0.0.3's bad key is still answered 403, not 429: its own bucket" own_bucket

# --- the other ways into the port
silent_client() {
    local line
    exec 3<>"/dev/tcp/127.0.0.1/$https_port" || return 1
    IFS= read -r -t 15 line <&3
    exec 3>&-
    echo "after saying nothing: $line"
    [[ $line == SSH-2.0-* ]]
}
check "a client that sends nothing reaches sshd (after the inspect delay)" silent_client
other_bytes() {
    local out
    out=$(printf 'GET / HTTP/1.0\r\n\r\n' | timeout 10 bash -c "exec 3<>/dev/tcp/127.0.0.1/$https_port; cat >&3; cat <&3")
    echo "answer to plain HTTP: '$out'"
    [ -z "$out" ]
}
check "plain HTTP on the https port is closed without an answer" other_bytes

# haproxy's TLS frontend believes the PROXY header on its inner socket: no
# other local user may connect there and claim a viewer's address.
inner_socket_private() {
    local sock=$TMP/haproxy-tls-$https_port.sock out
    stat -c '%F %U %a' "$sock" || return 1
    [ "$(stat -c '%F %U %a' "$sock")" = "socket haproxy 600" ] || return 1
    out=$(runuser -u nobody -- python3 -c '
import socket, sys
s = socket.socket(socket.AF_UNIX)
try:
    s.connect(sys.argv[1])
except PermissionError:
    sys.exit(0)
print("connected")
sys.exit(1)' "$sock" 2>&1)
}
check "haproxy's inner TLS socket is haproxy's alone (0600): another user cannot connect and forge an address" inner_socket_private

kit_finish
