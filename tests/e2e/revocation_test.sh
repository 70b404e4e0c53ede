#!/usr/bin/env bash
# Revocation reaches live viewers (vmod_camrelay(3), REVOCATION OF LIVE
# VIEWERS): a real varnishd with the shipped vcl/default.vcl and the built
# module, three Node ws cameras, viewers that stay connected
# (viewer.js --hold). In turn: a key that expires, `camera revoke` + reload,
# `secret retire` + reload, `camera remove` + reload each end the viewers
# they concern within 5 s (of the expiry, of the reload's vcl.use), and no
# other viewer.
#   revocation_test.sh BUILD_DIR
set -uo pipefail
# shellcheck source=../lib/relay_suite.sh
source "$(dirname "$0")/../lib/relay_suite.sh" "$@"

LIMIT=5 # seconds from the expiry or the reload to the viewer's close
relay_config --id s1
cam secret new --id s2 >/dev/null || die "secret new s2"
declare -A port
for c in cam1 cam2 cam3; do
    port[$c]=$(free_port)
    cam camera add "$c" --port "${port[$c]}" --max-viewers 4 >/dev/null || die "camera add $c"
done
ttl=8
short=$(cam key issue --camera cam1 --ttl ${ttl}s) || die "key issue (short)"
expires=$(cut -d. -f5 <<<"$short")
long1=$(cam key issue --camera cam1 --ttl 1h) || die "key issue cam1"
long2=$(cam key issue --camera cam2 --ttl 1h) || die "key issue cam2"
by_s2=$(cam key issue --camera cam2 --ttl 1h --secret s2) || die "key issue cam2 s2"
long3=$(cam key issue --camera cam3 --ttl 1h) || die "key issue cam3"

for c in cam1 cam2 cam3; do
    node "$here/camera.js" "${port[$c]}" 0 >"$TMP/camera-$c.log" 2>&1 &
    started $!
done
relay_port=$(free_port)
mapfile -t params < <(camrelay_varnishd_params 1000)
relay_start_varnish "$relay_port" "${params[@]}" -t 0
for c in cam1 cam2 cam3; do wait_for_port "${port[$c]}"; done

# hold NAME CAMERA KEY: a viewer that stays connected, its lines in $TMP/NAME.
hold() {
    node "$here/viewer.js" "ws://127.0.0.1:$relay_port/$2/?k=$3" --hold --timeout 600 >"$TMP/$1" 2>&1 &
    started $!
    wait_for 10 grep -q '"open":true' "$TMP/$1" || die "viewer $1: $(cat "$TMP/$1")"
}
is_open() { grep -q '"open":true' "$TMP/$1" && ! grep -q '"closed"' "$TMP/$1"; }
closed_at() { sed -n 's/.*"closed":true,"at":\([0-9.]*\).*/\1/p' "$TMP/$1"; }
# cut_within NAME SINCE WHAT: NAME closes within LIMIT s of SINCE (Unix s).
cut_within() {
    local name=$1 since=$2 what=$3 deadline at
    deadline=$(($(date +%s) + LIMIT + 3))
    while is_open "$name" && [ "$(date +%s)" -lt "$deadline" ]; do sleep 0.1; done
    at=$(closed_at "$name")
    if [ -z "$at" ]; then
        fail "$what: viewer $name still connected"
        return
    fi
    local took
    took=$(awk -v a="$at" -v s="$since" 'BEGIN { printf "%.2f", a - s }')
    say "$what: viewer $name closed ${took} s after"
    check "$what: $name closed within $LIMIT s (${took} s)" awk -v t="$took" -v l="$LIMIT" 'BEGIN { exit !(t <= l) }'
}
# still_open WHAT NAME...: those viewers are still connected.
still_open() {
    local what=$1 n
    shift
    for n in "$@"; do check "$what: viewer $n untouched" is_open "$n"; done
}
# reload: vcl.load + vcl.use (what camrelay-reload does); prints when done.
reload() {
    local name
    name=r$(date +%s%N)
    varnishadm -n "$VARNISH_DIR" vcl.load "$name" "$SOURCE_DIR/vcl/default.vcl" >"$TMP/reload.log" 2>&1 ||
        die "vcl.load: $(cat "$TMP/reload.log")"
    varnishadm -n "$VARNISH_DIR" vcl.use "$name" >>"$TMP/reload.log" 2>&1 || die "vcl.use"
    date +%s.%N
}

hold short cam1 "$short"
hold v1 cam1 "$long1"
hold v2 cam2 "$long2"
hold v2s2 cam2 "$by_s2"
hold v3 cam3 "$long3"

# (1) Expiry, no reload: only the short key's viewer.
cut_within short "$expires" "key expiry"
still_open "key expiry" v1 v2 v2s2 v3

# (2) camera revoke cam1 + reload: cam1's viewer, not the others.
cam camera revoke cam1 >/dev/null || die "camera revoke"
t=$(reload)
cut_within v1 "$t" "camera revoke + reload"
still_open "camera revoke" v2 v2s2 v3

# (3) secret retire s2 + reload: the viewer of the key s2 signed.
cam secret retire s2 >/dev/null || die "secret retire"
t=$(reload)
cut_within v2s2 "$t" "secret retire + reload"
still_open "secret retire" v2 v3

# (4) camera remove cam2 + reload: cam2's viewer.
cam camera remove cam2 >/dev/null 2>"$TMP/remove.log" || die "camera remove: $(cat "$TMP/remove.log")"
t=$(reload)
cut_within v2 "$t" "camera remove + reload"
still_open "camera remove" v3

# The cuts are counted and logged (never the MAC).
stats=$(varnishstat -n "$VARNISH_DIR" -1 -f 'CAMRELAY.*.viewers_cut' 2>&1)
echo "$stats"
cuts=$(awk '{ n += $2 } END { print n + 0 }' <<<"$stats")
check "viewers_cut counts the 4 cuts (got $cuts)" test "$cuts" -eq 4
varnishlog -n "$VARNISH_DIR" -d -g raw >"$TMP/vsl.txt"
check "cut logged" grep -q 'viewer cut: key_revoked camera=cam1' "$TMP/vsl.txt"
check "MAC never logged" bash -c "! grep -qF -- '${long1##*.}' '$TMP/vsl.txt'"

kit_finish
