#!/usr/bin/env bash
# Fault: a camera freezes (SIGSTOP on its server process) with viewers
# attached; its tunnel (camrelay-tunnel, ssh) stays up, so nothing closes by
# itself. varnishd runs the relay's parameters with pipe_timeout=5 (the
# relay's 30 s, shortened for the test). Expected: the frozen camera's
# viewers are cut and their slots, pipes and the worker threads those hold
# are freed within pipe_timeout of the last byte; the other camera's viewer
# streams on without a lost message or a stall; after SIGCONT the camera
# serves new viewers again, up to its max-viewers and not one more.
#
# Also measured, and asserted as it is: a viewer that keeps sending (16
# bytes a second, as a viewer's controls may) to the frozen camera keeps
# its pipe busy, so pipe_timeout (varnishd's idle timeout, of both
# directions) never ends it: it holds its slot for as long as the camera
# stays frozen, and streams on, nothing lost, once the camera runs again.
#   camera_freeze_test.sh BUILD_DIR
set -uo pipefail
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh" "$@"
faults_need sshd

PIPE_TIMEOUT=5
faults_tunnels
tunnelled_camera frozen --max-viewers 3
tunnelled_camera other --max-viewers 2
start_cameras frozen.log "frozen=${CPORT[frozen]}"
frozen_pid=$CAMERAS_PID
start_cameras other.log "other=${CPORT[other]}"
start_tunnels frozen other

relay_port=$(free_port)
faults_params "$PIPE_TIMEOUT"
relay_start_varnish "$relay_port" "${PARAMS[@]}"
check "varnishd runs with pipe_timeout $PIPE_TIMEOUT" \
    eval "varnishadm -n '$VARNISH_DIR' param.show pipe_timeout | grep -q 'Value is: $PIPE_TIMEOUT'"
url() { echo "ws://127.0.0.1:$relay_port/$1/?k=$2"; }
keys frozen 7
kf=("${KEYS[@]}")
keys other 1
ko=("${KEYS[@]}")

start_viewers quiet "$(viewer_spec 1 f1 "$(url frozen "${kf[0]}")")" "$(viewer_spec 2 f2 "$(url frozen "${kf[1]}")")" \
    "$(viewer_spec 3 o1 "$(url other "${ko[0]}")")"
start_viewers chatty --send-every 1000 "$(viewer_spec 4 c1 "$(url frozen "${kf[2]}")")"
wait_for 20 all_streaming quiet && wait_for 20 all_streaming chatty ||
    die "viewers not streaming: $(cat "$TMP/quiet.status" "$TMP/chatty.status")"
check "before: 4 viewers, 4 pipes" eval '[ "$(vstat CAMRELAY.*.viewers)" = 4 ] && [ "$(vstat MAIN.n_pipe)" = 4 ]'
sleep 1

# --- the fault
t0=$(now_ms)
kill -STOP "$frozen_pid"
freed() { [ "$(vstat MAIN.n_pipe)" = 2 ] && [ "$(vstat CAMRELAY.*.viewers)" = 2 ]; }
if wait_for $((PIPE_TIMEOUT + 10)) freed; then
    took=$(seconds_since "$t0")
    check "the quiet viewers' slots and pipes freed ${took} s after the freeze (within pipe_timeout + 3 s)" \
        awk -v t="$took" -v l=$((PIPE_TIMEOUT + 3)) 'BEGIN { exit !(t <= l) }'
else
    took=">$((PIPE_TIMEOUT + 10))"
    fail "slots not freed: $(vstat MAIN.n_pipe) pipes, $(vstat 'CAMRELAY.*.viewers') viewers"
fi
check "the quiet viewers of the frozen camera were cut" wait_for 3 \
    eval '[ "$(vfield quiet f1 2)" = closed ] && [ "$(vfield quiet f2 2)" = closed ]'
sleep 3 # longer than that, frozen still
check "the busy viewer of the frozen camera still holds its pipe ($PIPE_TIMEOUT s + 3 s on)" \
    eval '[ "$(vfield chatty c1 2)" = streaming ] && [ "$(vstat MAIN.n_pipe)" = 2 ]'
check "the other camera's viewer streams on" \
    eval '[ "$(vfield quiet o1 2)" = streaming ] && [ $(($(now_ms) - $(vfield quiet o1 10))) -lt 2000 ]'

# --- the camera runs again
t1=$(now_ms)
kill -CONT "$frozen_pid"
start_viewers after "$(viewer_spec 5 f3 "$(url frozen "${kf[3]}")")" "$(viewer_spec 6 f4 "$(url frozen "${kf[4]}")")"
if wait_for 20 all_streaming after; then
    back=$(seconds_since "$t1" "$(vmax after 12)")
    ok "after SIGCONT new viewers stream ${back} s later"
else
    back=">20"
    fail "no new viewer streams after SIGCONT: $(cat "$TMP/after.status")"
fi
check "the busy viewer streams again once the camera runs" \
    wait_for 5 eval '[ $(($(now_ms) - $(vfield chatty c1 10))) -lt 1000 ]'
out=$(node "$STREAM" probe 127.0.0.20 "$(url frozen "${kf[5]}")")
check "the camera has its 3 viewers again and refuses a 4th: $out" grep -q '"reason":"too_many_viewers"' <<<"$out"
check "4 viewers, 4 pipes" eval '[ "$(vstat CAMRELAY.*.viewers)" = 4 ] && [ "$(vstat MAIN.n_pipe)" = 4 ]'
stall=$(vfield chatty c1 15)
finish_viewers quiet
finish_viewers chatty
finish_viewers after
check "the other camera's viewer: connected throughout, every message, longest stall $(vfield quiet o1 15) ms" \
    eval '[ "$(vfield quiet o1 13)" = ok ] && [ "$(vfield quiet o1 4)" = 0 ] && [ "$(vfield quiet o1 15)" -lt 3000 ]'
check "the busy viewer: connected throughout, every message (stalled ${stall} ms)" \
    eval '[ "$(vfield chatty c1 13)" = ok ] && [ "$(vfield chatty c1 4)" = 0 ]'
check "the new viewers: every message" test "$(vcount after 13 ok)" = 2

result=PASS
[ "$KIT_FAILED" = 0 ] || result=FAIL
figure "camera frozen (SIGSTOP) with viewers attached, pipe_timeout=$PIPE_TIMEOUT" \
    "${took} s to free its slots; ${back} s to serve after SIGCONT" \
    "$result: quiet viewers' slots and pipes freed by pipe_timeout; other camera untouched; a viewer that keeps sending holds its slot while frozen (pipe never idle)"
kit_finish
