# shellcheck shell=bash
# tests/wan/lib.sh: a camera and a relay on either side of an emulated WAN,
# for tests/wan/wan_test.sh and bench/wan.sh. Sourced by bash.
#
#   camera namespace  10.77.0.2 --wan0== wanem ==wan0-- 10.77.0.1  relay namespace
#
# Two network namespaces of this run (WAN_ID-camera, WAN_ID-relay; WAN_ID is
# crwanPID), joined only by wanem (tests/wan/wanem.cpp, built in BUILD_DIR):
# a user-space link with a profile per direction, because this kernel may
# have no sch_netem. Both namespaces use cubic (a Debian or Raspberry Pi OS
# camera's default; WAN_CAMERA_CC and WAN_RELAY_CC choose another) and
# fq_codel on wan0 (systemd's default qdisc on such machines), whatever the
# host's defaults.
#
# On the host (wan_outer "$@", first): skips (77) unless root with ip and
# /dev/net/tun; removes what a killed earlier run left (namespaces named
# crwanPID whose PID is gone); creates the namespaces; runs the same script
# again inside the relay namespace (WAN_INSIDE set) and returns its status;
# at exit, whatever the way out, stops what still runs in the namespaces
# and deletes them.
#
# Inside the relay namespace, after the kit (tests/lib/kit.sh):
#   wan_cam COMMAND...        run in the camera namespace
#   wan_start AB BA [SEED]    wanem with profile AB from camera to relay and
#                             BA back (tests/wan/wan_link.hpp: "delay=40ms,
#                             jitter=10ms,loss=1%,rate=2mbit,queue=1s"...);
#                             stops the one before; sets WAN_PID. Its
#                             counters: $TMP/wanem.stats after wan_stop or
#                             wan_stats
#   wan_down / wan_up         the link fails (everything dropped) / comes back
#   wan_stats                 the counters written now (SIGHUP)
#   wan_stop                  wanem stops (the link is gone)
#   wan_counter DIR KEY       a counter from $TMP/wanem.stats (DIR ab: camera
#                             to relay, ba: back; KEY in, passed, lost,
#                             queue_full, down, ...)
#   wan_drained [BYTES]       the camera's TCP send queues towards the relay
#                             hold at most BYTES (default 16384)
# camrelay's tunnel across the WAN (with tests/lib/relay_fixture.sh: the
# fixture's sshd started with "ListenAddress $WAN_RELAY_ADDR", which
# net.ipv4.ip_nonlocal_bind lets it bind before wanem runs)
#   wan_add_camera NAME CAMPORT [OPTION...]   `camrelay camera add NAME
#                             --ssh-key ... --relay WAN_RELAY_ADDR:SSHD_PORT
#                             OPTION...`; what it printed for the camera,
#                             installed as on the camera ($TMP/NAME.conf with
#                             TARGET localhost:CAMPORT, and
#                             WAN_TUNNEL_CONF's lines, "KEY=VALUE;..." after
#                             it; $TMP/NAME.known_hosts); sets CAM_PORT
#   wan_start_tunnel NAME     camrelay-tunnel --config $TMP/NAME.conf in the
#                             camera namespace with a service's clean
#                             environment (log $TMP/tunnel-NAME.log); sets
#                             TUNNEL_PID

WAN_PREFIX=crwan
WAN_RELAY_ADDR=10.77.0.1
WAN_CAMERA_ADDR=10.77.0.2

wan_say() { printf '%s: %s\n' "$(basename "$0" .sh)" "$*" >&2; }

wan_remove_network() {
    local id=$1 ns pids
    for ns in "$id-camera" "$id-relay"; do
        [ -e "/run/netns/$ns" ] || continue
        pids=$(ip netns pids "$ns" 2>/dev/null)
        # shellcheck disable=SC2086 # a list of pids
        [ -z "$pids" ] || kill -KILL $pids 2>/dev/null
        ip netns del "$ns" 2>/dev/null || wan_say "could not delete network namespace $ns"
    done
    return 0
}

wan_sweep_stale() {
    local id
    for id in $(ip netns list 2>/dev/null | cut -d' ' -f1 | sed 's/-[a-z]*$//' | grep -x "${WAN_PREFIX}[0-9][0-9]*" |
        sort -u); do
        kill -0 "${id#"$WAN_PREFIX"}" 2>/dev/null && continue
        wan_say "removing what the killed run $id left"
        wan_remove_network "$id"
    done
}

# wan_set_cc NS CC: the namespace's default congestion control. Only the
# first namespace may default to one that is not in the (global)
# tcp_allowed_congestion_control list, so such a CC is allowed for the moment
# it takes, then the list is as it was (under a lock: runs at once).
wan_set_cc() {
    local ns=$1 cc=$2
    ip netns exec "$ns" sysctl -q -w "net.ipv4.tcp_congestion_control=$cc" 2>/dev/null && return 0
    (
        flock 9 || exit 1
        allowed=$(sysctl -n net.ipv4.tcp_allowed_congestion_control) || exit 1
        sysctl -q -w net.ipv4.tcp_allowed_congestion_control="$allowed $cc" || exit 1
        status=0
        ip netns exec "$ns" sysctl -q -w "net.ipv4.tcp_congestion_control=$cc" || status=$?
        sysctl -q -w net.ipv4.tcp_allowed_congestion_control="$allowed"
        exit "$status"
    ) 9>/run/lock/camrelay-wan-cc.lock
}

wan_make_network() {
    local id=$1 ns cc
    ip netns add "$id-relay" 2>/dev/null || return 1
    ip netns add "$id-camera" || return 1
    for ns in relay camera; do
        ip -n "$id-$ns" link set lo up || return 1
        cc=WAN_${ns^^}_CC
        wan_set_cc "$id-$ns" "${!cc:-cubic}" || { wan_say "cannot set ${!cc:-cubic} in $id-$ns"; return 1; }
    done
    ip netns exec "$id-relay" sysctl -q -w net.ipv4.ip_nonlocal_bind=1 || return 1
}

wan_outer_exit() {
    local status=$?
    trap - EXIT INT TERM
    if [ -n "${WAN_CHILD:-}" ] && kill -0 "$WAN_CHILD" 2>/dev/null; then
        kill -TERM "$WAN_CHILD" 2>/dev/null
        wait "$WAN_CHILD" 2>/dev/null
    fi
    wan_remove_network "$WAN_ID"
    exit "$status"
}

wan_outer() {
    local status
    if [ "$(id -u)" != 0 ]; then
        wan_say "SKIP: needs root (network namespaces, TUN devices, sshd)"
        exit 77
    fi
    command -v ip >/dev/null || { wan_say "SKIP: ip (iproute2) is not installed"; exit 77; }
    [ -c /dev/net/tun ] || { wan_say "SKIP: no /dev/net/tun"; exit 77; }
    wan_sweep_stale
    WAN_ID=$WAN_PREFIX$$
    WAN_CHILD=
    trap wan_outer_exit EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM
    wan_make_network "$WAN_ID" || { wan_say "SKIP: cannot make network namespaces here"; exit 77; }
    WAN_INSIDE=$WAN_ID ip netns exec "$WAN_ID-relay" "$BASH" "$0" "$@" &
    WAN_CHILD=$!
    wait "$WAN_CHILD"
    status=$?
    WAN_CHILD=
    exit "$status"
}

# --- inside the relay namespace (after the kit)

WANEM=${BUILD_DIR:-}/tests/wan/wanem
WAN_CAMERA_NS=${WAN_INSIDE:-}-camera
WAN_RELAY_NS=${WAN_INSIDE:-}-relay
WAN_PID=

wan_cam() { ip netns exec "$WAN_CAMERA_NS" "$@"; }

wan_start() {
    local ab=$1 ba=$2 seed=${3:-1} ns
    [ -z "$WAN_PID" ] || wan_stop
    [ -x "$WANEM" ] || die "$WANEM is not built"
    echo up >"$TMP/wan.control"
    rm -f "$TMP/wanem.stats" "$TMP/wanem.out"
    "$WANEM" --a "$WAN_CAMERA_NS:wan0:$WAN_CAMERA_ADDR" --b "$WAN_RELAY_NS:wan0:$WAN_RELAY_ADDR" --ab "$ab" \
        --ba "$ba" --seed "$seed" --control "$TMP/wan.control" --stats "$TMP/wanem.stats" \
        >"$TMP/wanem.out" 2>>"$TMP/wanem.log" &
    WAN_PID=$!
    started "$WAN_PID"
    wait_for 10 grep -qs '^wanem: ready' "$TMP/wanem.out" || die "wanem did not start: $(tail -3 "$TMP/wanem.log")"
    # fq_codel where tc can set it (a camera's usual qdisc); the link works without
    if command -v tc >/dev/null; then
        for ns in "$WAN_CAMERA_NS" "$WAN_RELAY_NS"; do
            ip netns exec "$ns" tc qdisc replace dev wan0 root fq_codel 2>/dev/null || true
        done
    fi
}

wan_down() { echo down >"$TMP/wan.control"; }
wan_up() { echo up >"$TMP/wan.control"; }

wan_stats() {
    rm -f "$TMP/wanem.stats"
    kill -HUP "$WAN_PID" 2>/dev/null || return 1
    wait_for 5 test -s "$TMP/wanem.stats"
}

wan_stop() {
    [ -n "$WAN_PID" ] || return 0
    stop "$WAN_PID"
    WAN_PID=
}

wan_counter() {
    awk -v dir="$1" -v key="$2" '$1 == dir { for (i = 2; i <= NF; i++) { split($i, kv, "="); if (kv[1] == key) print kv[2] } }' \
        "$TMP/wanem.stats"
}

wan_drained() {
    local max=${1:-16384} queued
    queued=$(wan_cam ss -Htn state established dst "$WAN_RELAY_ADDR" | awk '{ s += $2 } END { print s + 0 }')
    [ "$queued" -le "$max" ]
}

wan_add_camera() {
    local name=$1 camport=$2 out=$TMP/add-$1.out line extra=()
    shift 2
    RELAY_SSH_ADDR=$WAN_RELAY_ADDR relay_add_camera "$name" "$@"
    sed -n '/^RELAY=/,/^TARGET=/p' "$out" | sed "s/^TARGET=.*/TARGET=localhost:$camport/" >"$TMP/$name.conf"
    grep -q "^RELAY=$RELAY_USER@$WAN_RELAY_ADDR" "$TMP/$name.conf" || die "camera add $name printed no settings"
    IFS=';' read -r -a extra <<<"${WAN_TUNNEL_CONF:-}"
    for line in "${extra[@]}"; do
        [ -z "$line" ] || echo "$line" >>"$TMP/$name.conf"
    done
    grep "^\[$WAN_RELAY_ADDR\]:" "$out" >"$TMP/$name.known_hosts" || die "camera add $name printed no host key"
}

wan_start_tunnel() {
    wan_cam env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8 \
        "CAMRELAY_CONNECT=$CAMRELAY_CONNECT" "$CAMRELAY_TUNNEL" --config "$TMP/$1.conf" --identity "$TMP/$1.key" \
        --known-hosts "$TMP/$1.known_hosts" 2>>"$TMP/tunnel-$1.log" &
    TUNNEL_PID=$!
    started "$TUNNEL_PID"
}
