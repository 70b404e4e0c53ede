# shellcheck shell=bash
# tests/firewall/lib.sh: the firewall suite's network, sourced first by each
# script of tests/firewall (bash) with the script's arguments.
#
# A camera and a relay, each in a network namespace of its own that this
# file creates, joined by one veth pair and nothing else (no route to the
# host or the Internet):
#
#   camera namespace  10.77.0.2 --veth-- 10.77.0.1 relay namespace
#     nftables egress rules                sshd (:22 and 127.0.0.1:SSHD_PORT)
#     camera.js on localhost:9001          haproxy on 10.77.0.1:443 (TLS, SSH)
#     camrelay-tunnel, ssh,                varnishd on 127.0.0.1 (viewers)
#     camrelay-connect              10.77.0.3 tinyproxy (the company proxy)
#
# The relay is called relay.camrelay.test: /etc/hosts in both namespaces
# says so (ip netns exec binds /etc/netns/NS/hosts over /etc/hosts), and the
# relay's certificate, from a test CA, is for that name. The camera
# namespace's system CA store (/etc/ssl, bound the same way) holds only the
# test CA, so the camera checks the relay's certificate exactly as it would
# check a public one: no setting for it in the camera's config.
#
# Sourcing it in the test's own process (on the host): skips (77) unless
# root with ip, nft, tinyproxy and haproxy; removes what a killed earlier run
# left (namespaces and accounts named crfwPID whose PID is gone); creates
# the namespaces; runs the same script again inside the relay namespace
# (FW_INSIDE set), waits for it and returns its status; at exit, whatever
# the way out, stops what still runs in the namespaces, deletes them, their
# /etc/netns files, the relay's account and the work directory. Sourcing it
# inside: the kit (tests/lib/kit.sh), the relay fixture
# (tests/lib/relay_fixture.sh), the work directory, and the functions below.
#
# Camera side
#   fw_cam COMMAND...          run in the camera namespace
#   fw_cam_reach HOST PORT     a TCP connection from the camera opens (3 s)
#   fw_egress POLICY RULE...   the camera's egress rules: loopback, the
#                              nft RULEs, everything else dropped (POLICY
#                              drop: silence, as most company firewalls) or
#                              refused (reject: TCP reset, ICMP otherwise)
#   fw_net_port22 / fw_net_443_only / fw_net_proxy_only POLICY /
#   fw_net_tls_only reset|drop   the networks of the scenarios
# The proxy (tinyproxy in the relay namespace, on FW_PROXY_ADDR)
#   fw_proxy_config [USER PASSWORD]   CONNECT to port 443 only, from the
#                              camera's network only; Basic auth when given
#   fw_proxy_start / fw_proxy_stop / fw_proxy_restart   (log $TMP/tinyproxy.log)
# TLS
#   fw_make_tls                a test CA, the relay's certificate
#                              ($FW_TLS_DIR/relay.pem: certificate + key),
#                              the CA as the camera's system CA store

FW_PREFIX=crfw
FW_RELAY_ADDR=10.77.0.1
FW_CAMERA_ADDR=10.77.0.2
FW_PROXY_ADDR=10.77.0.3
FW_PROXY_PORT=3128
FW_RELAY_NAME=relay.camrelay.test
FW_HOSTS="127.0.0.1 localhost
::1 localhost ip6-localhost ip6-loopback
$FW_RELAY_ADDR $FW_RELAY_NAME"

# --- on the host: the namespaces around the run

fw_say() { printf '%s: %s\n' "$(basename "$0" .sh)" "$*" >&2; }
fw_skip() {
    fw_say "SKIP: $*"
    exit 77
}

# Everything of run ID (crfwPID): processes left in its namespaces, the
# namespaces (and so the veth pair), their /etc/netns files, the account,
# the work directory.
fw_remove_network() {
    local id=$1 ns pids
    for ns in "$id-camera" "$id-relay"; do
        if [ -e "/run/netns/$ns" ]; then
            pids=$(ip netns pids "$ns" 2>/dev/null)
            # shellcheck disable=SC2086 # a list of pids
            [ -z "$pids" ] || kill -KILL $pids 2>/dev/null
            ip netns del "$ns" 2>/dev/null || fw_say "could not delete network namespace $ns"
        fi
        rm -rf "/etc/netns/$ns"
    done
    if getent passwd "$id" >/dev/null; then
        userdel "$id" 2>/dev/null || fw_say "could not remove the test account $id"
    fi
    # the kit removes the work directory unless KEEP_TEST_DIR is set
    [ -n "${KEEP_TEST_DIR:-}" ] || rm -rf "/run/camrelay-$id"
    return 0
}

fw_sweep_stale() {
    local id pid
    for id in $({ ip netns list 2>/dev/null | cut -d' ' -f1 | sed 's/-[a-z]*$//'; getent passwd | cut -d: -f1; } |
        grep -x "${FW_PREFIX}[0-9][0-9]*" | sort -u); do
        pid=${id#"$FW_PREFIX"}
        kill -0 "$pid" 2>/dev/null && continue
        fw_say "removing what the killed run $id left"
        fw_remove_network "$id"
    done
}

fw_write_etc() {
    local ns=$1 _
    # another run may remove an empty /etc/netns between the two steps of mkdir -p
    for _ in 1 2 3; do mkdir -p "/etc/netns/$ns" && break; done
    printf '%s\n' "$FW_HOSTS" >"/etc/netns/$ns/hosts"
}

fw_make_network() {
    local id=$1 ns
    ip netns add "$id-relay" 2>/dev/null || return 1
    ip netns add "$id-camera" || return 1
    ip link add name "$id-r" netns "$id-relay" type veth peer name "$id-c" netns "$id-camera" || return 1
    ip -n "$id-relay" addr add "$FW_RELAY_ADDR/24" dev "$id-r" || return 1
    ip -n "$id-relay" addr add "$FW_PROXY_ADDR/24" dev "$id-r" || return 1
    ip -n "$id-camera" addr add "$FW_CAMERA_ADDR/24" dev "$id-c" || return 1
    for ns in relay camera; do
        ip -n "$id-$ns" link set lo up || return 1
        ip -n "$id-$ns" link set "$id-${ns:0:1}" up || return 1
        fw_write_etc "$id-$ns" || return 1
    done
    # the camera's system CA store: fw_make_tls puts the test CA in it
    mkdir -p "/etc/netns/$id-camera/ssl/certs" "/etc/netns/$id-camera/ssl/private" || return 1
    [ ! -e /etc/ssl/openssl.cnf ] || cp /etc/ssl/openssl.cnf "/etc/netns/$id-camera/ssl/" || return 1
}

fw_outer_exit() {
    local status=$?
    trap - EXIT INT TERM
    if [ -n "${FW_CHILD:-}" ] && kill -0 "$FW_CHILD" 2>/dev/null; then
        kill -TERM "$FW_CHILD" 2>/dev/null
        wait "$FW_CHILD" 2>/dev/null
    fi
    fw_remove_network "$FW_ID"
    # empty once no run uses it (whichever run made it)
    rmdir /etc/netns 2>/dev/null
    exit "$status"
}

fw_outer() {
    local tool status
    [ "$(id -u)" = 0 ] || fw_skip "needs root (network namespaces, nftables, an account, sshd)"
    for tool in ip nft tinyproxy haproxy; do
        command -v "$tool" >/dev/null || fw_skip "$tool is not installed (tools/dev/install-deps.sh)"
    done
    fw_sweep_stale
    FW_ID=$FW_PREFIX$$
    FW_CHILD=
    trap fw_outer_exit EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM
    fw_make_network "$FW_ID" || fw_skip "cannot make network namespaces and a veth pair here"
    # In the background, so that a signal reaches the trap at once.
    FW_INSIDE=$FW_ID RELAY_USER=$FW_ID ip netns exec "$FW_ID-relay" "$BASH" "$0" "$@" &
    FW_CHILD=$!
    wait "$FW_CHILD"
    status=$?
    FW_CHILD=
    exit "$status"
}

if [ -z "${FW_INSIDE:-}" ]; then
    fw_outer "$@"
fi

# --- inside the relay namespace

FW_CAMERA_NS=$FW_INSIDE-camera
here=$(cd "$(dirname "$0")" && pwd)
SOURCE_DIR=${SOURCE_DIR:-$(cd "$here/../.." && pwd)}
BUILD_DIR=${BUILD_DIR:-$SOURCE_DIR/build}
# shellcheck source=../lib/kit.sh
source "$SOURCE_DIR/tests/lib/kit.sh"
# shellcheck source=../lib/relay_fixture.sh
source "$SOURCE_DIR/tests/lib/relay_fixture.sh"
# a base of its own: parallel runs never remove it under each other
relay_workdir "camrelay-$FW_INSIDE"

fw_cam() { ip netns exec "$FW_CAMERA_NS" "$@"; }

fw_cam_reach() {
    # shellcheck disable=SC2016 # expanded by the inner bash
    fw_cam timeout 3 bash -c 'exec 3<>"/dev/tcp/$0/$1"' "$1" "$2" 2>/dev/null
}

fw_egress() {
    local policy=$1 rule
    shift
    {
        # replace the table in one transaction
        echo "add table inet camrelay_fw"
        echo "delete table inet camrelay_fw"
        echo "table inet camrelay_fw {"
        echo "  chain egress {"
        echo "    type filter hook output priority 0; policy drop;"
        echo "    oif lo accept"
        for rule in "$@"; do echo "    $rule"; done
        if [ "$policy" = reject ]; then
            echo "    meta l4proto tcp reject with tcp reset"
            echo "    reject with icmpx type admin-prohibited"
        fi
        echo "  }"
        echo "}"
    } >"$TMP/nft-egress.conf"
    fw_cam nft -f "$TMP/nft-egress.conf" || die "nft refused $TMP/nft-egress.conf"
}

# (e) today's network: SSH (22) and HTTPS (443) to the relay
fw_net_port22() { fw_egress drop "ip daddr $FW_RELAY_ADDR tcp dport { 22, 443 } accept"; }
# (a) only TCP 443 out
fw_net_443_only() { fw_egress drop "ip daddr $FW_RELAY_ADDR tcp dport 443 accept"; }
# (b), (c) only the proxy
fw_net_proxy_only() { fw_egress "$1" "ip daddr $FW_PROXY_ADDR tcp dport $FW_PROXY_PORT accept"; }
# (d) 443 out, but a filter there that lets only TLS through: a packet whose
# payload starts "SSH-" (a plain SSH version line) ends its connection
# (reset) or is dropped, silently (drop)
fw_net_tls_only() {
    local verdict="reject with tcp reset"
    [ "$1" = reset ] || verdict=drop
    fw_egress drop "tcp dport 443 @ih,0,32 0x5353482d $verdict" "ip daddr $FW_RELAY_ADDR tcp dport 443 accept"
}

# --- the proxy

# shellcheck disable=SC2120 # the credentials are optional
fw_proxy_config() {
    {
        cat <<EOF
Port $FW_PROXY_PORT
Listen $FW_PROXY_ADDR
Timeout 600
LogLevel Connect
MaxClients 100
Allow $FW_CAMERA_ADDR/24
ConnectPort 443
DisableViaHeader Yes
EOF
        [ $# = 0 ] || echo "BasicAuth $1 $2"
    } >"$TMP/tinyproxy.conf"
}

fw_proxy_start() {
    # -d: in the foreground, the log on standard error
    tinyproxy -d -c "$TMP/tinyproxy.conf" >>"$TMP/tinyproxy.log" 2>&1 &
    PROXY_PID=$!
    started "$PROXY_PID"
    wait_for_port "$FW_PROXY_PORT" 10 "$PROXY_PID"
}

fw_proxy_stop() {
    stop "$PROXY_PID"
    PROXY_PID=
    wait_for 10 port_free "$FW_PROXY_PORT" || die "tinyproxy did not stop"
}

fw_proxy_restart() {
    fw_proxy_stop
    fw_proxy_start
}

# --- TLS

fw_make_tls() {
    local ca=$TMP/ca store=/etc/netns/$FW_CAMERA_NS/ssl/certs
    FW_TLS_DIR=$TMP/tls
    FW_CA=$ca/ca.pem
    mkdir -p "$ca" "$FW_TLS_DIR" || die "mkdir"
    {
        openssl req -x509 -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
            -subj "/CN=camrelay firewall test CA" -keyout "$ca/ca.key" -out "$FW_CA" \
            -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign &&
            openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=$FW_RELAY_NAME" \
                -keyout "$ca/relay.key" -out "$ca/relay.csr" &&
            printf '%s\n' "subjectAltName=DNS:$FW_RELAY_NAME" "extendedKeyUsage=serverAuth" \
                "basicConstraints=CA:FALSE" >"$ca/relay.ext" &&
            openssl x509 -req -in "$ca/relay.csr" -CA "$FW_CA" -CAkey "$ca/ca.key" \
                -set_serial "0x$(openssl rand -hex 8)" -days 2 -extfile "$ca/relay.ext" -out "$ca/relay.crt"
    } >"$TMP/openssl.out" 2>&1 || die "openssl: $(cat "$TMP/openssl.out")"
    cat "$ca/relay.crt" "$ca/relay.key" >"$FW_TLS_DIR/relay.pem"
    chmod 0600 "$FW_TLS_DIR/relay.pem"
    { cp "$FW_CA" "$store/ca-certificates.crt" && openssl rehash "$store" >/dev/null 2>&1; } ||
        die "cannot install the test CA in the camera's CA store"
}

# --- the relay, the camera's tunnel, the viewer

E2E=$SOURCE_DIR/tests/e2e
CAMRELAY_CONNECT_BUILT=$BUILD_DIR/tools/tunnel/camrelay-connect
# What the camera's tunnel runs with: a clean environment, as a service's
# (no proxy variable of the machine running the test), and camrelay-connect
# from the build tree (installed, it sits next to camrelay-tunnel).
FW_CAMERA_ENV=(PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8
    "CAMRELAY_CONNECT=$CAMRELAY_CONNECT_BUILT")

fw_why_not() {
    local why
    why=$(relay_why_not)
    [ -z "$why" ] || { echo "$why"; return 0; }
    command -v varnishd >/dev/null || { echo "varnishd is not installed"; return 0; }
    command -v openssl >/dev/null || { echo "openssl is not installed"; return 0; }
    command -v curl >/dev/null || { echo "curl is not installed (the proxy's answers to CONNECT)"; return 0; }
    command -v node >/dev/null || { echo "node is not installed (WebSocket camera and viewer)"; return 0; }
    [ -d "$E2E/node_modules/ws" ] || echo "tests/e2e/node_modules missing (npm ci in tests/e2e)"
}

# The relay as camrelay setup makes it, in this namespace: sshd (the
# fixture's, also on FW_RELAY_ADDR:22), a signing secret, camera cam1 added
# with --ssh-key as an operator would (what it printed for the camera:
# $TMP/printed.conf and $TMP/cam1.known_hosts), varnishd with the module,
# haproxy on FW_RELAY_ADDR:443, tinyproxy (no auth yet), the test CA; and on
# the camera its WebSocket server (tests/e2e/camera.js) on localhost:9001,
# where the printed TARGET points. Sets CAM_PORT, VIEWER_PORT, KEY.
fw_start_relay() {
    local out=$TMP/add-cam1.out params=()
    RELAY_CLIENT_ALIVE=2
    relay_setup "ListenAddress $FW_RELAY_ADDR:22"
    relay_start_sshd
    cam secret new >/dev/null || die "secret new"
    relay_new_key cam1
    cam camera add cam1 --ssh-key "$TMP/cam1.key.pub" --ssh-user "$RELAY_USER" --relay "$FW_RELAY_NAME" \
        --relay-host-key "$TMP/hostkey.pub" >"$out" 2>&1 || die "camera add: $(cat "$out")"
    CAM_PORT=$(sed -n 's/^LISTEN=//p' "$out")
    [ -n "$CAM_PORT" ] || die "camera add printed no LISTEN="
    # "3. /etc/camrelay-tunnel/cam1.conf ..." then the file, up to "4. ..."
    sed -n '/^3\. \/.*\.conf/,/^4\. /p' "$out" | sed '1d;$d' >"$TMP/printed.conf"
    grep -q "^RELAY=$RELAY_USER@$FW_RELAY_NAME" "$TMP/printed.conf" || die "no camera settings in $out"
    sed -n '/^2\. /{n;p;}' "$out" >"$TMP/cam1.known_hosts"
    grep -q "^$FW_RELAY_NAME " "$TMP/cam1.known_hosts" || die "no known_hosts line for $FW_RELAY_NAME in $out"
    fw_make_tls
    VIEWER_PORT=$(free_port)
    mapfile -t params < <(camrelay_varnishd_params 100)
    # as camrelay setup starts varnishd: TLS from haproxy on a Unix socket
    export CAMRELAY_HTTPS_PORT=443
    relay_start_varnish "$VIEWER_PORT" "${params[@]}" -t 0 \
        -a "tls=$TMP/varnish-tls.sock,PROXY,user=varnish,group=haproxy,mode=660"
    relay_start_haproxy "$FW_RELAY_ADDR:443" "$TMP/varnish-tls.sock" "$FW_TLS_DIR"
    fw_proxy_config
    fw_proxy_start
    fw_cam node "$E2E/camera.js" 9001 4 >"$TMP/camera.log" 2>&1 &
    started $!
    # shellcheck disable=SC2016 # expanded by the inner bash
    wait_for 10 fw_cam bash -c '[ -n "$(ss -Htln "sport = :9001")" ]' || die "the camera's server did not start"
    KEY=$(cam key issue --camera cam1 --ttl 1h) || die "key issue"
}

# fw_camera_conf NAME [KEY=VALUE]: what camera add printed, as $TMP/NAME.conf,
# with at most this one line changed: KEY's line, set or commented out
# (#KEY=), becomes KEY=VALUE; without one, the line is added.
fw_camera_conf() {
    local conf=$TMP/$1.conf line done=
    if [ $# = 1 ]; then
        cp "$TMP/printed.conf" "$conf"
    else
        while IFS= read -r line; do
            if [ -z "$done" ] && { [ "${line%%=*}" = "${2%%=*}" ] || [ "${line%%=*}" = "#${2%%=*}" ]; }; then
                echo "$2"
                done=1
            else
                echo "$line"
            fi
        done <"$TMP/printed.conf" >"$conf"
        [ -n "$done" ] || echo "$2" >>"$conf"
    fi
    [ "$(diff "$TMP/printed.conf" "$conf" | grep -c '^>')" -le 1 ] || die "$conf: more than one line changed"
    echo "$conf"
}

# fw_start_tunnel LABEL CONF [VAR=VALUE...]: camrelay-tunnel --config CONF
# on the camera, with these environment variables (log $TMP/tunnel-LABEL.log,
# TUNNEL_LOG). The key and the pinned host key are where the test keeps them
# (on a camera: /etc/camrelay-tunnel/, as printed): the only difference.
fw_start_tunnel() {
    local label=$1 conf=$2
    shift 2
    TUNNEL_LOG=$TMP/tunnel-$label.log
    FW_T0=$EPOCHREALTIME
    fw_cam env -i "${FW_CAMERA_ENV[@]}" "$@" "$CAMRELAY_TUNNEL" --config "$conf" --identity "$TMP/cam1.key" \
        --known-hosts "$TMP/cam1.known_hosts" 2>>"$TUNNEL_LOG" &
    TUNNEL_PID=$!
    started "$TUNNEL_PID"
}

fw_stop_tunnel() {
    stop "$TUNNEL_PID"
    TUNNEL_PID=
    wait_for 10 port_free "$CAM_PORT" || die "the tunnel's port stayed open after the tunnel stopped"
}

fw_tunnel_up() { port_in_use "$CAM_PORT"; }

# Seconds (one decimal) since FW_T0, an EPOCHREALTIME.
fw_elapsed() {
    local d=$((${EPOCHREALTIME//[!0-9]/} - ${FW_T0//[!0-9]/}))
    printf '%d.%d' $((d / 1000000)) $((d / 100000 % 10))
}

# The tunnel's log names the transport auto chose: "using TRANSPORT (...)".
fw_uses() { grep -F "using $1 (" "$TUNNEL_LOG" || { tail -n 20 "$TUNNEL_LOG"; return 1; }; }

fw_viewer() {
    local status=0
    node "$E2E/viewer.js" "ws://127.0.0.1:$VIEWER_PORT/cam1/live?k=$KEY" --push 4 --count 50 \
        >"$TMP/viewer.out" 2>&1 || status=$?
    cat "$TMP/viewer.out" >>"$TMP/viewers.txt"
    [ "$status" = 0 ] && grep -q '"ok":true' "$TMP/viewer.out" && return 0
    cat "$TMP/viewer.out"
    return 1
}
