#!/usr/bin/env bash
# Fault: varnishd's child (the cache process) killed with SIGKILL while
# viewers stream, and restarted by varnishd's manager. Two cameras behind
# camrelay-tunnel tunnels to a real sshd, varnishd with vcl/default.vcl, the
# built module and the relay's parameters, one VCL reload done before (the
# new child gets both VCLs again), four viewers that reconnect as browsers
# do. Expected: the viewers are cut once, connect again and stream again
# (every message of each connection in order); the tunnels never notice;
# afterwards the slots and counters are those of the viewers connected: a
# camera with max-viewers N admits N again and refuses the next, before and
# after all viewers left (no slot leaked), and the module's viewer gauge and
# varnishd's pipe count match. Prints the recovery time: from the kill to
# the last viewer streaming again.
#   child_kill_test.sh BUILD_DIR
set -uo pipefail
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh" "$@"
faults_need sshd

LIMIT=60 # seconds for the last viewer to stream again (behavioural bound)
faults_tunnels
tunnelled_camera cam1 --max-viewers 3
tunnelled_camera cam2 --max-viewers 2
start_cameras cameras.log "cam1=${CPORT[cam1]}" "cam2=${CPORT[cam2]}"
start_tunnels cam1 cam2
t1=${TPID[cam1]}
t2=${TPID[cam2]}
# shellcheck disable=SC2034 # read by a check's eval
ssh1=$(relay_tunnel_ssh_pid "$t1") && ssh2=$(relay_tunnel_ssh_pid "$t2") || die "no ssh under camrelay-tunnel"

relay_port=$(free_port)
faults_params
relay_start_varnish "$relay_port" "${PARAMS[@]}"
adm() { varnishadm -n "$VARNISH_DIR" "$@"; }
adm vcl.load r1 "$SOURCE_DIR/vcl/default.vcl" >/dev/null && adm vcl.use r1 >/dev/null || die "vcl reload"
url() { echo "ws://127.0.0.1:$relay_port/$1/?k=$2"; }

keys cam1 5
k1=("${KEYS[@]}")
keys cam2 4
k2=("${KEYS[@]}")
specs=("$(viewer_spec 1 a1 "$(url cam1 "${k1[0]}")")" "$(viewer_spec 2 a2 "$(url cam1 "${k1[1]}")")"
    "$(viewer_spec 3 a3 "$(url cam1 "${k1[2]}")")" "$(viewer_spec 4 b1 "$(url cam2 "${k2[0]}")")")
start_viewers live --reconnect "${specs[@]}"
wait_for 20 all_streaming live || die "viewers not streaming: $(cat "$TMP/live.status")"
check "before: the module counts 4 viewers, varnishd 4 pipes" \
    eval '[ "$(vstat CAMRELAY.*.viewers)" = 4 ] && [ "$(vstat MAIN.n_pipe)" = 4 ]'
sleep 1

# probe N CAMERA KEY: one upgrade from address N: its status and reason.
probe() { node "$STREAM" probe "127.0.0.$(($1 + 10))" "$(url "$2" "$3")"; }
child=$(varnish_child) || die "no cache-main under varnishd $VARNISH_PID"

# --- the fault
t0=$(now_ms)
kill -KILL "$child"
new_child() {
    local c
    c=$(varnish_child) && [ "$c" != "$child" ] && port_in_use "$relay_port"
}
wait_for 30 new_child || die "the manager did not start a new child"
child_back=$(seconds_since "$t0")
if wait_for "$LIMIT" all_streaming live "$t0"; then
    recovery=$(seconds_since "$t0" "$(vmax live 12)")
    ok "all 4 viewers stream again ${recovery} s after the kill (new child after ${child_back} s)"
else
    recovery=">$LIMIT"
    fail "viewers not back within $LIMIT s: $(cat "$TMP/live.status")"
fi
cat "$TMP/live.status" >&2
check "each viewer was cut exactly once" test "$(vcount live 4 1)" = 4
check "no message missing, repeated or corrupt on any connection" \
    eval '[ "$(vmax live 8)" = 0 ] && [ "$(vmax live 9)" = 0 ]'
check "the manager counts one child killed, two started" \
    eval '[ "$(vstat MGT.child_died)" = 1 ] && [ "$(vstat MGT.child_start)" = 2 ]'
check "the reloaded VCL is active in the new child" eval "adm vcl.list | grep -Eq '^active +[a-z]+ +[a-z]+ +[0-9]+ +r1\$'"
check "after: the module counts 4 viewers, varnishd 4 pipes" \
    wait_for 5 eval '[ "$(vstat CAMRELAY.*.viewers)" = 4 ] && [ "$(vstat MAIN.n_pipe)" = 4 ]'
out=$(probe 20 cam1 "${k1[3]}")
check "cam1 (max 3, 3 viewers) refuses a 4th: $out" grep -q '"reason":"too_many_viewers"' <<<"$out"
out=$(probe 21 cam2 "${k2[1]}")
check "cam2 (max 2, 1 viewer) admits a 2nd: $out" grep -q '"status":101' <<<"$out"
check "the tunnels never noticed (same ssh processes)" \
    eval '[ "$(relay_tunnel_ssh_pid "$t1")" = "$ssh1" ] && [ "$(relay_tunnel_ssh_pid "$t2")" = "$ssh2" ]'

# --- every viewer leaves: no slot stays taken
finish_viewers live
check "each viewer got every message of its last connection (FIN/END)" test "$(vcount live 13 ok)" = 4
check "all gone: the module counts 0 viewers, varnishd 0 pipes" \
    wait_for 10 eval '[ "$(vstat CAMRELAY.*.viewers)" = 0 ] && [ "$(vstat MAIN.n_pipe)" = 0 ]'
# N again, not fewer: the cameras' full quota, then one more is refused
specs=("$(viewer_spec 1 a1 "$(url cam1 "${k1[0]}")")" "$(viewer_spec 2 a2 "$(url cam1 "${k1[1]}")")"
    "$(viewer_spec 3 a3 "$(url cam1 "${k1[2]}")")" "$(viewer_spec 4 b1 "$(url cam2 "${k2[0]}")")"
    "$(viewer_spec 5 b2 "$(url cam2 "${k2[2]}")")")
start_viewers full "${specs[@]}"
check "cam1 admits 3 again and cam2 2" wait_for 20 all_streaming full
out=$(probe 22 cam1 "${k1[4]}")
check "cam1 refuses a 4th again: $out" grep -q '"reason":"too_many_viewers"' <<<"$out"
out=$(probe 23 cam2 "${k2[3]}")
check "cam2 refuses a 3rd: $out" grep -q '"reason":"too_many_viewers"' <<<"$out"
check "the module counts 5 viewers, varnishd 5 pipes" \
    wait_for 5 eval '[ "$(vstat CAMRELAY.*.viewers)" = 5 ] && [ "$(vstat MAIN.n_pipe)" = 5 ]'
finish_viewers full
check "and they got every message" test "$(vcount full 13 ok)" = 5

result=PASS
[ "$KIT_FAILED" = 0 ] || result=FAIL
figure "varnishd child SIGKILLed mid-stream, restarted by the manager" "${recovery} s (new child ${child_back} s)" \
    "$result: 4/4 viewers cut once and back, no message lost per connection; max-viewers admitted again, one more refused; viewer gauge and n_pipe match"
kit_finish
