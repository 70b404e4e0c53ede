#!/usr/bin/env bash
# Fault: the relay's sshd restarted with 10 camera tunnels up (camrelay-tunnel,
# ssh -R), viewers streaming from each tunnelled camera and from two cameras
# that need no tunnel (upstream cameras on the relay's network). Two ways:
#
#  A. The listening sshd only, as `systemctl restart ssh` does (Debian's
#     ssh.service: KillMode=process), or a package upgrade. Each camera's
#     session is its own sshd process, which the listener's end leaves
#     running: the tunnels never drop. Asserted: no tunnel port stops
#     listening (sampled every 0.1 s), the same ssh processes, no viewer cut
#     or message lost; the new listener takes new connections (a camera
#     whose ssh is killed is back through it).
#  B. sshd with every session (a crash, an OOM kill, KillMode=control-group):
#     all 10 tunnels drop, camrelay-tunnel reconnects within its back-off
#     (1 s doubling to 30 s): all 10 back, and their viewers, which
#     reconnect as browsers do, stream again; the other cameras' viewers
#     stream on without a cut, a lost message or a stall.
# Prints the recovery times: A (0 if nothing dropped) and B (from the kill to
# the last tunnelled viewer streaming again).
#   sshd_restart_test.sh BUILD_DIR
set -uo pipefail
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh" "$@"
faults_need sshd

N=10
LIMIT=45 # seconds: the back-off's 30 s cap, with room
faults_tunnels
camera_specs=()
tunnelled=()
for i in $(seq 1 "$N"); do
    tunnelled_camera "t$i"
    tunnelled+=("t$i")
    camera_specs+=("t$i=${CPORT[t$i]}")
done
for i in 1 2; do
    port=$(free_port)
    cam camera add "d$i" --port "$port" >/dev/null || die "camera add d$i"
    camera_specs+=("d$i=$port")
done
start_cameras cameras.log "${camera_specs[@]}"
start_tunnels "${tunnelled[@]}"
tunnel_ports=()
for name in "${tunnelled[@]}"; do tunnel_ports+=("${TPORT[$name]}"); done
tunnels_up() {
    local p
    for p in "${tunnel_ports[@]}"; do port_in_use "$p" || return 1; done
}
ssh_pids() {
    local i
    for i in $(seq 1 "$N"); do relay_tunnel_ssh_pid "${TPID[t$i]}" || echo none; done
}

relay_port=$(free_port)
faults_params
relay_start_varnish "$relay_port" "${PARAMS[@]}"
url() { echo "ws://127.0.0.1:$relay_port/$1/?k=$2"; }
specs=()
for i in $(seq 1 "$N"); do
    keys "t$i" 1
    specs+=("$(viewer_spec "$i" "t$i" "$(url "t$i" "${KEYS[0]}")")")
done
start_viewers tunnelled --reconnect "${specs[@]}"
specs=()
for i in 1 2; do
    keys "d$i" 2
    specs+=("$(viewer_spec $((20 + 2 * i)) "d$i-1" "$(url "d$i" "${KEYS[0]}")")"
        "$(viewer_spec $((21 + 2 * i)) "d$i-2" "$(url "d$i" "${KEYS[1]}")")")
done
start_viewers direct "${specs[@]}"
wait_for 30 all_streaming tunnelled && wait_for 10 all_streaming direct ||
    die "viewers not streaming: $(cat "$TMP/tunnelled.status" "$TMP/direct.status")"
ok "$N tunnelled cameras and 2 others streaming to $((N + 4)) viewers"
sleep 1

# A line for each tunnel port found not listening, every 0.1 s.
sample_ports() {
    local open p
    while :; do
        open=" $(ss -Htln | awk '{ sub(/.*:/, "", $4); printf "%s ", $4 }') "
        for p in "${tunnel_ports[@]}"; do [[ $open == *" $p "* ]] || echo "$(now_ms) $p"; done
        sleep 0.1
    done
}

# --- A: the listener alone
before=$(ssh_pids)
listener=$SSHD_PID
mapfile -t sessions < <(trees_of "$listener" | tail -n +2)
started "${sessions[@]}" # theirs to stop at exit once the listener is gone
sample_ports >"$TMP/down-a.txt" &
sampler=$!
started "$sampler"
kill -TERM "$listener"
wait "$listener" 2>/dev/null
wait_for 10 port_free "$SSHD_PORT" || die "the listener did not stop"
relay_start_sshd
sleep 3
stop "$sampler"
survivors=0
for pid in "${sessions[@]}"; do kit_running "$pid" && survivors=$((survivors + 1)); done
say "A: ${#sessions[@]} session processes under the old listener, $survivors still running after it ended"
check "A: no tunnel port stopped listening while the listener restarted" test ! -s "$TMP/down-a.txt"
check "A: the same ssh processes: no tunnel dropped" test "$(ssh_pids)" = "$before"
check "A: no viewer cut" eval '[ "$(vmax tunnelled 4)" = 0 ] && [ "$(vmax direct 4)" = 0 ]'
# the new listener takes a camera that connects again
t_kill=$(now_ms)
kill -KILL "$(relay_tunnel_ssh_pid "${TPID[t1]}")"
back1() { tunnels_up && [ "$(vfield tunnelled t1 12)" -gt "$t_kill" ] && [ "$(vfield tunnelled t1 2)" = streaming ]; }
if wait_for 30 back1; then
    ok "A: the new listener takes a camera whose ssh was killed: its viewer streams again $(seconds_since "$t_kill") s later"
else
    fail "A: t1 not back through the new listener: $(cat "$TMP/tunnel-t1.log")"
fi
recovery_a=0
[ ! -s "$TMP/down-a.txt" ] || recovery_a="dropped"

# --- B: sshd and every session
before=$(ssh_pids)
t0=$(now_ms)
kill -TERM "${sessions[@]}" 2>/dev/null
relay_stop_sshd
relay_start_sshd
all_new() {
    local i now
    now=$(ssh_pids)
    for i in $(seq 1 "$N"); do
        [ "$(sed -n "${i}p" <<<"$now")" != "$(sed -n "${i}p" <<<"$before")" ] || return 1
    done
    tunnels_up
}
if wait_for "$LIMIT" all_new && wait_for "$LIMIT" all_streaming tunnelled "$t0"; then
    recovery_b=$(seconds_since "$t0" "$(vmax tunnelled 12)")
    ok "B: all $N tunnels back and their viewers streaming ${recovery_b} s after sshd was killed"
else
    recovery_b=">$LIMIT"
    fail "B: not all back within $LIMIT s: $(cat "$TMP/tunnelled.status")"
fi
grep -h 'tunnel down' "$TMP"/tunnel-t*.log | sed 's/^/  /' | sort | uniq -c | sort -rn | head -5 >&2
check "B: each tunnelled viewer was cut once (twice for t1, A's kill)" \
    eval '[ "$(vcount tunnelled 4 1)" = $((N - 1)) ] && [ "$(vfield tunnelled t1 4)" = 2 ]'

# --- the cameras without a tunnel never noticed; nothing lost anywhere
finish_viewers tunnelled
finish_viewers direct
check "every tunnelled viewer got every message of its last connection" test "$(vcount tunnelled 13 ok)" = "$N"
check "no message missing or corrupt on any connection" \
    eval '[ "$(vmax tunnelled 8)" = 0 ] && [ "$(vmax tunnelled 9)" = 0 ] && [ "$(vmax direct 8)" = 0 ]'
check "the other cameras' 4 viewers: never cut, every message, longest stall $(vmax direct 15) ms" \
    eval '[ "$(vcount direct 13 ok)" = 4 ] && [ "$(vmax direct 4)" = 0 ] && [ "$(vmax direct 15)" -lt 3000 ]'

result=PASS
[ "$KIT_FAILED" = 0 ] || result=FAIL
figure "sshd restarted with $N tunnels up: listener only (systemctl restart ssh)" "${recovery_a} s (never dropped)" \
    "$result: sessions outlive the listener; no tunnel port down, no viewer cut"
figure "sshd killed with its sessions, $N tunnels up" "${recovery_b} s" \
    "$result: all $N tunnels back within the back-off, their viewers streaming; other cameras' viewers untouched"
kit_finish
