#!/usr/bin/env bash
# Cameras behind firewalls: a camera whose network lets out only some of
# what the tunnel could use still gets its tunnel up with the settings
# `camrelay camera add --ssh-key` printed (TRANSPORT auto), changed by one
# line at most, and a viewer then exchanges binary WebSocket messages with
# it through varnishd. Real parts only, in network namespaces (lib.sh): the
# camera behind nftables egress rules, the relay (sshd, varnishd with the
# module, haproxy on 443 from tools/setup/haproxy.cfg), Debian's tinyproxy
# as the company proxy.
#
#   firewall_test.sh [SCENARIO...]    (SOURCE_DIR, BUILD_DIR from ctest)
#
#   e  port 22 open: auto keeps today's path (ssh to port 22)
#   a  only TCP 443 out: ssh-443; with RETRY_BETTER=5, the tunnel moves
#      to ssh on port 22 once the firewall opens it
#   b  only the proxy (https_proxy in the environment), which allows
#      CONNECT to port 443 only: ssh-443+proxy; back after a proxy restart
#   c  the same proxy with Basic auth (PROXY= with the credentials): none
#      gives 407, wrong ones a clear line and back-off, never a tight loop,
#      and the password is never in the log or a process list; good ones
#      work, and come back after a proxy restart
#   d  443 out through a filter that passes only TLS (it resets a
#      connection that sends "SSH-"): TRANSPORT=ssh-443 fails,
#      TRANSPORT=tls gets through, auto picks tls; a wss viewer through
#      haproxy on 443 too
#   d-drop  the same with a filter that silently drops what starts "SSH-"
# Without SCENARIO all run, on one relay: between scenarios only the
# camera's egress rules, the proxy's settings and the camera's config
# change. Each tunnel's time from start to up is printed, and only bound
# generously (the suite checks behaviour; figures are the benchmarks'):
# 30 s, 60 s for coming back after a proxy restart (back-off included).
set -uo pipefail
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"

why=$(fw_why_not)
[ -z "$why" ] || skip "$why"
why=$(relay_why_not_built)
[ -z "$why" ] || die "$why"
[ -x "$CAMRELAY_CONNECT_BUILT" ] || die "$CAMRELAY_CONNECT_BUILT is not built"

scenarios=("$@")
[ $# -gt 0 ] || scenarios=(e a d d-drop b c)
for s in "${scenarios[@]}"; do
    case $s in a | b | c | d | d-drop | e) ;; *) die "unknown scenario '$s' (a b c d d-drop e)" ;; esac
done

fw_start_relay
PROXY_URL=http://$FW_PROXY_ADDR:$FW_PROXY_PORT
TIMES=()

blocked() { ! fw_cam_reach "$@"; }

# The camera's CONNECT through the proxy: the status the proxy answers.
connect_status() {
    fw_cam curl -s -o /dev/null -m 3 -w '%{http_connect}' -p -x "$PROXY_URL" "telnet://$FW_RELAY_NAME:$1" </dev/null
}
proxy_allows() { [ "$(connect_status "$1")" = 200 ]; }
proxy_refuses() { [ "$(connect_status "$1")" = "$2" ]; }

# up WHAT [TRANSPORT]: the tunnel started last comes up within 30 s (the
# time is recorded), auto's log line names TRANSPORT, and a viewer gets
# through; false if one of these failed.
up() {
    local what=$1 transport=${2:-} t held=0 within=30
    if wait_for "$within" fw_tunnel_up; then
        t=$(fw_elapsed)
        ok "$what: tunnel up in $t s"
        TIMES+=("$what: up in $t s")
    else
        fail "$what: tunnel not up within $within s"
        tail -n 10 "$TUNNEL_LOG" | sed 's/^/     | /' >&2
        return 1
    fi
    [ -z "$transport" ] || check "$what: the log says which transport: using $transport" fw_uses "$transport" ||
        held=1
    check "$what: a viewer with a key exchanges binary messages with the camera" fw_viewer || held=1
    return "$held"
}

# back_after_proxy_restart WHAT TRANSPORT: the proxy stops (the tunnel goes
# down with it) and starts again: the tunnel comes back by itself.
back_after_proxy_restart() {
    local what=$1 transport=$2 before t
    before=$(grep -cF "using $transport (" "$TUNNEL_LOG")
    fw_proxy_stop
    check "$what: the tunnel goes down with the proxy" wait_for 20 port_free "$CAM_PORT" || return 1
    FW_T0=$EPOCHREALTIME
    fw_proxy_start
    if wait_for 60 fw_tunnel_up; then
        t=$(fw_elapsed)
        ok "$what: tunnel back $t s after the proxy restarted"
        TIMES+=("$what: back $t s after the proxy restarted")
    else
        fail "$what: tunnel not back within 60 s of the proxy's restart"
        return 1
    fi
    check "$what, after the proxy restart: using $transport again" \
        test "$(grep -cF "using $transport (" "$TUNNEL_LOG")" -gt "$before"
    check "$what, after the proxy restart: a viewer gets through" fw_viewer
}

# The command line of the tunnel's ssh (a descendant of camrelay-tunnel).
ssh_command() {
    local pid
    for pid in $(trees_of "$TUNNEL_PID"); do
        [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = ssh ] || continue
        tr '\0' ' ' <"/proc/$pid/cmdline"
        return 0
    done
    return 1
}
direct_ssh_22() {
    local c
    c=$(ssh_command) || { echo "no ssh under camrelay-tunnel"; return 1; }
    echo "$c"
    # no proxy, no TLS; camrelay-connect may only hand ssh the socket it
    # tuned for live video (--fdpass tcp)
    [[ $c == *" -p 22 "* && $c != *--proxy-env* && $c != *" tls %h"* &&
        ($c != *ProxyCommand* || $c == *" --fdpass tcp %h %p "*) ]]
}

scenario_e() {
    local s="(e) port 22 open"
    fw_net_port22
    check "$s: the camera reaches the relay's port 22" fw_cam_reach "$FW_RELAY_NAME" 22
    fw_start_tunnel e "$(fw_camera_conf e)"
    up "$s, auto" ssh
    check "$s: ssh straight to port 22, as before" direct_ssh_22
    fw_stop_tunnel
}

scenario_a() {
    local s="(a) only TCP 443 out"
    fw_net_443_only
    check "$s: port 22 is blocked" blocked "$FW_RELAY_NAME" 22
    check "$s: the proxy is blocked" blocked "$FW_PROXY_ADDR" "$FW_PROXY_PORT"
    check "$s: port 443 is open" fw_cam_reach "$FW_RELAY_NAME" 443
    check "$s: plain SSH on 443 reaches sshd" ssh_on_443
    fw_start_tunnel a "$(fw_camera_conf a)"
    up "$s, auto" ssh-443
    fw_stop_tunnel
    # sshd sees 127.0.0.1: the camera's address is in haproxy's log (a line
    # per connection, when it ends)
    check "$s: haproxy's log has the camera's address on the SSH route" \
        wait_for 10 grep -q "$FW_CAMERA_ADDR:[0-9]* .* camrelay-sshd/" "$TMP/haproxy.log"

    # The network opens up: a tunnel on a worse transport moves to a better
    # one once it answers (RETRY_BETTER seconds later).
    fw_start_tunnel a-opens "$(fw_camera_conf a-opens RETRY_BETTER=5)"
    up "$s, auto, RETRY_BETTER=5" ssh-443 || return
    fw_net_port22
    FW_T0=$EPOCHREALTIME
    if wait_for 30 moved_to_ssh; then
        ok "$s, then port 22 opens: the tunnel moves to ssh within $(fw_elapsed) s"
    else
        fail "$s, then port 22 opens: the tunnel did not move to ssh within 30 s"
    fi
    check "$s, then port 22 opens: ssh straight to port 22" direct_ssh_22
    check "$s, then port 22 opens: a viewer gets through" fw_viewer
    fw_stop_tunnel
}

moved_to_ssh() { fw_tunnel_up && grep -qF "using ssh (" "$TUNNEL_LOG" && direct_ssh_22 >/dev/null; }

scenario_b() {
    local s="(b) only the proxy"
    fw_proxy_config
    fw_proxy_restart
    fw_net_proxy_only drop
    check "$s: port 22 is blocked" blocked "$FW_RELAY_NAME" 22
    check "$s: port 443 is blocked" blocked "$FW_RELAY_NAME" 443
    check "$s: the proxy allows CONNECT to 443" proxy_allows 443
    check "$s: the proxy refuses CONNECT to 22" proxy_refuses 22 403
    # the camera's config as printed; the proxy from the environment
    fw_start_tunnel b "$(fw_camera_conf b)" "https_proxy=$PROXY_URL"
    up "$s, auto with https_proxy" ssh-443+proxy &&
        back_after_proxy_restart "$s" ssh-443+proxy
    fw_stop_tunnel
}

# Processes' command lines, every 0.1 s until stopped, into FILE.
sample_ps() {
    while :; do
        ps -eo args
        sleep 0.1
    done >>"$1" 2>&1 &
    SAMPLER=$!
    started "$SAMPLER"
}

not_in() {
    if grep -nF -- "$1" "$2"; then
        return 1
    fi
    return 0
}

# sampled_clean PASSWORD FILE SEEN: the samples in FILE hold SEEN (they
# were taken while the tunnel ran) and not PASSWORD.
sampled_clean() {
    grep -qF -- "$3" "$2" || { echo "the samples never show $3"; return 1; }
    not_in "$1" "$2"
}

refusals() { grep -c "proxy refused CONNECT" "$TUNNEL_LOG"; }

scenario_c() {
    local s="(c) proxy with Basic auth" user=camera good bad first n
    good=good$RANDOM$RANDOM.pw
    bad=bad$RANDOM$RANDOM.pw
    fw_proxy_config "$user" "$good"
    fw_proxy_restart
    # refused, not dropped: every attempt fails at once, so only the
    # tunnel's back-off spaces them
    fw_net_proxy_only reject
    check "$s: the relay is blocked" blocked "$FW_RELAY_NAME" 443
    check "$s: the proxy asks for credentials" proxy_refuses 443 407

    fw_start_tunnel c-none "$(fw_camera_conf c-none "PROXY=$PROXY_URL")"
    check "$s, no credentials: the log says proxy refused CONNECT: 407" \
        wait_for 20 grep -q "proxy refused CONNECT: 407" "$TUNNEL_LOG"
    fw_stop_tunnel

    sample_ps "$TMP/ps-bad.txt"
    fw_start_tunnel c-bad "$(fw_camera_conf c-bad "PROXY=http://$user:$bad@$FW_PROXY_ADDR:$FW_PROXY_PORT")"
    if wait_for 20 grep -q "proxy refused CONNECT" "$TUNNEL_LOG"; then
        first=$(refusals)
        sleep 10
        n=$(($(refusals) - first + 1))
        # 1 s doubling: attempts at 0, 1, 3, 7 s; a loop without back-off
        # would make dozens
        if [ "$n" -ge 2 ] && [ "$n" -le 5 ]; then
            ok "$s, wrong password: $n attempts in 10 s (back-off, retried)"
        else
            fail "$s, wrong password: $n attempts in 10 s (want 2 to 5)"
        fi
    else
        fail "$s, wrong password: no 'proxy refused CONNECT' line within 20 s"
    fi
    # tinyproxy answers a wrong password with 401, a missing one with 407
    check "$s, wrong password: one clear line" \
        grep -E "proxy refused CONNECT: 40[17].*check the proxy user and password" "$TUNNEL_LOG"
    check "$s, wrong password: no tunnel" test -z "$(ss -Htln "sport = :$CAM_PORT")"
    fw_stop_tunnel
    stop "$SAMPLER"
    check "$s, wrong password: never in the tunnel's log" not_in "$bad" "$TUNNEL_LOG"
    check "$s, wrong password: never in ps -eo args (the tunnel's among them)" \
        sampled_clean "$bad" "$TMP/ps-bad.txt" "$TMP/c-bad.conf"

    sample_ps "$TMP/ps-good.txt"
    fw_start_tunnel c-good "$(fw_camera_conf c-good "PROXY=http://$user:$good@$FW_PROXY_ADDR:$FW_PROXY_PORT")"
    up "$s, good password, auto" ssh-443+proxy &&
        back_after_proxy_restart "$s" ssh-443+proxy
    fw_stop_tunnel
    stop "$SAMPLER"
    check "$s, good password: never in the tunnel's log" not_in "$good" "$TUNNEL_LOG"
    check "$s, good password: never in ps -eo args (the tunnel's ssh and its ProxyCommand among them)" \
        sampled_clean "$good" "$TMP/ps-good.txt" "ProxyCommand=$CAMRELAY_CONNECT_BUILT --proxy-env"
    fw_proxy_config
    fw_proxy_restart
}

# An SSH version line to the relay's 443 from the camera reaches sshd: its
# version line comes back, then its key exchange offer (sshd sends that only
# once it has read the client's version line), within 3 s (less than
# haproxy's wait for a client that says nothing).
ssh_on_443() {
    # reads for 3 s (timeout ends it, status 124): what came back decides
    # shellcheck disable=SC2016 # expanded by the inner bash
    fw_cam timeout 3 bash -c 'exec 3<>"/dev/tcp/$0/443" && printf "SSH-2.0-firewall-test\r\n" >&3 && cat <&3' \
        "$FW_RELAY_NAME" 2>/dev/null | tr -c '[:print:]' . >"$TMP/ssh-on-443.out" || true
    grep -q '^SSH-2\.0-.*curve25519-sha256' "$TMP/ssh-on-443.out"
}
plain_ssh_on_443_fails() { ! ssh_on_443; }
tls_on_443_verified() {
    fw_cam openssl s_client -connect "$FW_RELAY_NAME:443" -servername "$FW_RELAY_NAME" -verify_return_error \
        -verify_hostname "$FW_RELAY_NAME" </dev/null 2>&1 | grep 'Verify return code: 0 (ok)'
}
wss_viewer() {
    NODE_EXTRA_CA_CERTS=$FW_CA node "$E2E/viewer.js" "wss://$FW_RELAY_NAME/cam1/live?k=$KEY" --push 4 --count 50
}

# only_tls NAME FILTER: scenario d with FILTER, what the filter does to a
# packet to 443 that starts "SSH-" (reset or drop)
only_tls() {
    local name=$1 filter=$2 s
    s="($1) only TLS on 443 ($filter)"
    fw_net_tls_only "$filter"
    check "$s: port 22 is blocked" blocked "$FW_RELAY_NAME" 22
    check "$s: plain SSH on 443 is cut" plain_ssh_on_443_fails
    check "$s: TLS on 443 passes, the certificate checks out with the camera's CAs" tls_on_443_verified

    fw_start_tunnel "$name-ssh-443" "$(fw_camera_conf "$name-ssh-443" TRANSPORT=ssh-443)"
    sleep 10
    check "$s, TRANSPORT=ssh-443: no tunnel after 10 s" test -z "$(ss -Htln "sport = :$CAM_PORT")"
    # a reset ends ssh at once; after a silent drop ssh gives up at its
    # ConnectTimeout (15 s)
    check "$s, TRANSPORT=ssh-443: ssh fails and is retried" wait_for 30 grep -q "tunnel down" "$TUNNEL_LOG"
    fw_stop_tunnel

    fw_start_tunnel "$name-tls" "$(fw_camera_conf "$name-tls" TRANSPORT=tls)"
    up "$s, TRANSPORT=tls"
    fw_stop_tunnel

    fw_start_tunnel "$name" "$(fw_camera_conf "$name")"
    up "$s, auto" tls &&
        check "$s: a wss viewer through haproxy on 443" wss_viewer
    fw_stop_tunnel
}

scenario_d() { only_tls d reset; }
scenario_d_drop() { only_tls d-drop drop; }

for s in "${scenarios[@]}"; do
    "scenario_${s//-/_}"
done

for t in "${TIMES[@]}"; do say "time: $t"; done
kit_finish
