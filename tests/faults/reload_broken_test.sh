#!/usr/bin/env bash
# Fault: cameras.conf broken by hand (a typo in an option) and loaded while
# 20 viewers stream from two cameras: `varnishadm vcl.load` as
# varnishreload does, `camrelay setup --reload`, `camrelay check`.
# Expected: every load fails with the FILE:LINE: reason; the running VCL
# stays active and keeps serving; the 20 viewers lose no message (each
# counts and checks the sequence numbers of everything it received, and at
# the end compares the count with what its camera sent), are never cut and
# never stall, and a new viewer is still admitted; once the file is fixed a load succeeds and they stream on.
#   reload_broken_test.sh BUILD_DIR
set -uo pipefail
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh" "$@"
faults_need relay

faults_config
c1=$(free_port)
c2=$(free_port)
cam camera add cam1 --port "$c1" --max-viewers 11 >/dev/null || die "camera add cam1"
cam camera add cam2 --port "$c2" --max-viewers 10 >/dev/null || die "camera add cam2"
start_cameras cameras.log "cam1=$c1" "cam2=$c2"
relay_port=$(free_port)
faults_params
relay_start_varnish "$relay_port" "${PARAMS[@]}"
adm() { varnishadm -n "$VARNISH_DIR" "$@"; }
url() { echo "ws://127.0.0.1:$relay_port/$1/?k=$2"; }
specs=()
for c in 1 2; do
    keys "cam$c" 10
    for i in $(seq 1 10); do specs+=("$(viewer_spec $(((c - 1) * 10 + i)) "v$c-$i" "$(url "cam$c" "${KEYS[i - 1]}")")"); done
done
start_viewers live "${specs[@]}"
wait_for 30 all_streaming live || die "viewers not streaming: $(cat "$TMP/live.status")"
check "20 viewers, 20 pipes" eval '[ "$(vstat CAMRELAY.*.viewers)" = 20 ] && [ "$(vstat MAIN.n_pipe)" = 20 ]'
sleep 1

SETUP=$(setup_copy) || die "no setup program"
new=$(cam key issue --camera cam1 --ttl 1h) || die "key issue"
good=$(cat "$CAMRELAY_CONFIG/cameras.conf")
line=$(($(wc -l <"$CAMRELAY_CONFIG/cameras.conf") + 1))
printf 'camera cam3 port=%s max-viewer=4\n' "$(free_port)" >>"$CAMRELAY_CONFIG/cameras.conf"
reason="cameras.conf:$line: unknown option \"max-viewer\""
active() { adm vcl.list | awk '$1 == "active" { print $NF }'; }
was=$(active)

t0=$(now_ms)
for round in 1 2 3 4 5; do
    out=$(adm vcl.load "broken$round" "$SOURCE_DIR/vcl/default.vcl" 2>&1) && fail "vcl.load $round of a broken registry succeeded"
    grep -qF "$reason" <<<"$out" || fail "vcl.load $round: no FILE:LINE reason: $out"
    sleep 0.5
done
say "vcl.load answered: $(tr '\n' ' ' <<<"$out")"
check "5 vcl.load of the broken registry failed with '$reason'" true
check "the running VCL ($was) stays active, the failed loads are gone" \
    eval '[ "$(active)" = "$was" ] && [ "$(adm vcl.list | grep -c .)" = 1 ]'
out=$(CAMRELAY_SETUP_PROGRAM=$SETUP CAMRELAY_SETUP_INIT=direct CAMRELAY_RUN_DIR=$TMP/run cam setup --reload 2>&1)
rc=$?
say "camrelay setup --reload: $out"
check "camrelay setup --reload refuses with the reason (exit $rc)" \
    eval '[ "$rc" != 0 ] && grep -qF "$reason" <<<"$out" && grep -q "nothing was reloaded" <<<"$out"'
out=$(cam check 2>&1)
rc=$?
check "camrelay check names it (exit $rc): $out" eval '[ "$rc" = 3 ] && grep -qF "$reason" <<<"$out"'
out=$(node "$STREAM" probe 127.0.0.40 "$(url cam1 "$new")")
check "the running VCL still admits a new viewer: $out" grep -q '"status":101' <<<"$out"
check "no viewer cut or stalled while the loads failed" \
    eval '[ "$(vcount live 2 streaming)" = 20 ] && [ "$(vmax live 4)" = 0 ]'
broken_for=$(seconds_since "$t0")

# fixed: the next load works, the viewers stream on
printf '%s\n' "$good" >"$CAMRELAY_CONFIG/cameras.conf"
check "fixed: camrelay check passes" cam check
check "fixed: vcl.load + vcl.use work" eval 'adm vcl.load fixed "$SOURCE_DIR/vcl/default.vcl" && adm vcl.use fixed'
sleep 1
finish_viewers live
check "all 20 viewers got every message the cameras sent (FIN/END)" test "$(vcount live 13 ok)" = 20
check "none cut, none missing, repeated or corrupt" \
    eval '[ "$(vmax live 4)" = 0 ] && [ "$(vmax live 8)" = 0 ] && [ "$(vmax live 9)" = 0 ]'
stall=$(vmax live 15)
check "longest wait between two messages of any viewer: $stall ms (20 a second)" test "$stall" -lt 3000
received=$(awk '$1 != "finished" { n += $7 } END { print n + 0 }' "$TMP/live.status")

result=PASS
[ "$KIT_FAILED" = 0 ] || result=FAIL
figure "vcl.load of a broken registry while 20 viewers stream" "0 s (longest stall ${stall} ms)" \
    "$result: 5 loads + setup --reload refused with FILE:LINE for ${broken_for} s; running VCL kept; $received messages, 0 lost"
kit_finish
