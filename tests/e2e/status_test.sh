#!/usr/bin/env bash
# camrelay status against a real relay: the fixture's sshd with camrelay's
# drop-in and a forwarding account, camrelay-tunnel for each camera,
# varnishd with vcl/default.vcl and the built module. A test client opens
# viewers and collects refusals; status (the table, --json, --check,
# --watch) must agree with what it did, and with varnishstat:
#   - N viewers connected now, then the bytes each way once they have gone,
#     exactly: each viewer sends UP bytes into its pipe and its camera sends
#     the 101 answer and DOWN bytes (raw pipes, so every byte is known)
#   - K refusals of each reason: key_missing, key_expired,
#     key_bad_signature, too_many_viewers, offline
#   - --check exits 1 naming the camera whose tunnel is down, 0 once it is
#     up; a tunnel stopped and started again is one reconnect
#   - --watch redraws until q
#   status_test.sh BUILD_DIR
set -uo pipefail
# shellcheck source=../lib/relay_suite.sh
source "$(dirname "$0")/../lib/relay_suite.sh" "$@"

why=$(relay_why_not)
[ -z "$why" ] || skip "$why"
for tool in python3 curl jq; do
    command -v "$tool" >/dev/null || skip "$tool is not installed"
done
why=$(relay_why_not_built)
[ -z "$why" ] || die "$why"
# sshd's StrictModes refuses keys below /tmp: the work directory below /run.
rmdir "$TMP" && relay_workdir camrelay-e2e

N=2        # viewers of cam1
UP=70000   # bytes each viewer sends into its pipe
DOWN=90000 # bytes its camera sends after the 101 answer
ANSWER=$'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n'

# A camera: answers an upgrade with ANSWER and DOWN bytes, then reads until
# the viewer goes; answers anything else with a small page.
cat >"$TMP/camera.py" <<'EOF'
import socket, sys, threading
port, down = int(sys.argv[1]), int(sys.argv[2])
answer = sys.argv[3].encode()
def serve(c):
    buf = b""
    while b"\r\n\r\n" not in buf:
        d = c.recv(4096)
        if not d:
            c.close()
            return
        buf += d
    if b"upgrade: websocket" not in buf.lower():
        c.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\npage")
        c.close()
        return
    c.sendall(answer + b"d" * down)
    while c.recv(65536):
        pass
    c.close()
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", port))
s.listen(64)
while True:
    c, _ = s.accept()
    threading.Thread(target=serve, args=(c,), daemon=True).start()
EOF
# A viewer: upgrades, reads the camera's answer and DOWN bytes, sends UP
# bytes, says "open", and stays until the file HOLD is gone.
cat >"$TMP/viewer.py" <<'EOF'
import os, socket, sys, time
port, path, up, down, hold = int(sys.argv[1]), sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
s = socket.create_connection(("127.0.0.1", port))
s.sendall(("GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
           "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n" % path).encode())
buf = b""
while b"\r\n\r\n" not in buf:
    d = s.recv(4096)
    if not d:
        sys.exit("closed before an answer: %r" % buf)
    buf += d
head, rest = buf.split(b"\r\n\r\n", 1)
if not head.startswith(b"HTTP/1.1 101"):
    sys.exit("refused: %r" % head.split(b"\r\n")[0])
got = len(rest)
while got < down:
    d = s.recv(65536)
    if not d:
        sys.exit("closed after %d bytes" % got)
    got += len(d)
s.sendall(b"u" * up)
print("open", flush=True)
while os.path.exists(hold):
    time.sleep(0.1)
s.close()
EOF

relay_setup
relay_start_sshd
cam secret new >/dev/null || die "secret new"
declare -A listen server
for c in cam1 cam2 cam3; do
    # Ports of the work directory's own (camera add would pick the first
    # free one of 20000-29999, which a suite running beside this one may
    # take before the tunnel does).
    relay_add_camera "$c" --port "$(free_port)"
    listen[$c]=$CAM_PORT
    server[$c]=$(free_port)
    python3 "$TMP/camera.py" "${server[$c]}" "$DOWN" "$ANSWER" >>"$TMP/camera-$c.log" 2>&1 &
    started $!
done
declare -A tunnel
start_tunnel() {
    relay_start_tunnel "$1" "${listen[$1]}" "127.0.0.1:${server[$1]}"
    tunnel[$1]=$TUNNEL_PID
}
# cam1's and cam2's tunnels are up before varnishd starts; cam3's is not.
start_tunnel cam1
start_tunnel cam2
for c in cam1 cam2; do wait_for 20 port_in_use "${listen[$c]}" || die "$c's tunnel did not come up"; done
relay_port=$(free_port)
mapfile -t params < <(camrelay_varnishd_params 1000)
relay_start_varnish "$relay_port" "${params[@]}" -t 0
for c in cam1 cam2 cam3; do wait_for_port "${server[$c]}"; done

status() { cam status -n "$VARNISH_DIR" "$@"; }
json() { status --json >"$TMP/status.json" 2>"$TMP/status.err" && cat "$TMP/status.json"; }
# field CAMERA JQ_PATH: one camera's field in status --json
field() { json | jq -r --arg c "$1" ".cameras[] | select(.id == \$c) | $2"; }
stat_of() { varnishstat -n "$VARNISH_DIR" -1 -f "CAMRELAY_CAMERA.$1" | awk '{ print $2 }'; }
# is CAMERA JQ_PATH VALUE: that field is VALUE now (for wait_for and check)
is() {
    local got
    got=$(field "$1" "$2")
    echo "$1 $2: $got (expected $3)"
    test "$got" = "$3"
}
stat_is() {
    local got
    got=$(stat_of "$1")
    echo "CAMRELAY_CAMERA.$1: $got (expected $2)"
    test "$got" = "$2"
}
table_has() { status | grep -qE "$1"; }
upgrade() {
    curl -s -o /dev/null -w '%{http_code}' -H 'Upgrade: websocket' -H 'Connection: Upgrade' \
        "http://127.0.0.1:$relay_port$1"
}

# --- N viewers, and the refusals
keys=()
for i in $(seq 1 $((N + 1))); do
    keys+=("$(cam key issue --camera cam1 --ttl $((3600 + i))s)") || die "key issue"
done
touch "$TMP/hold"
for i in $(seq 1 "$N"); do
    python3 "$TMP/viewer.py" "$relay_port" "/cam1/?k=${keys[$((i - 1))]}" "$UP" "$DOWN" "$TMP/hold" \
        >"$TMP/viewer-$i.log" 2>&1 &
    started $!
done
for i in $(seq 1 "$N"); do
    wait_for 20 grep -q open "$TMP/viewer-$i.log" || die "viewer $i: $(cat "$TMP/viewer-$i.log")"
done
json >/dev/null
check "status --json parses" jq -e '.counters == true and (.cameras | length) == 3' "$TMP/status.json"
check "status: $N viewers of cam1 now" is cam1 .viewers "$N"
check "status: cam1 has $N of 2 places taken" is cam1 '"\(.viewers)/\(.max_viewers)"' "$N/2"
check "status: a viewer is there now" table_has '^cam1 .* now '
rows() { status | awk 'NR == 1 && /^CAMERA/ { h = 1 } /^cam[123] / { n++ } /^TOTAL / { t = 1 } END { exit !(h && n == 3 && t) }'; }
check "status: the table has a row per camera and totals" rows

# K refusals of each reason (fewer than the throttle's 20 key failures)
expired=$(cam key issue --camera cam2 --ttl 60s --now $(($(date +%s) - 3600))) || die "key issue (expired)"
good2=$(cam key issue --camera cam2 --ttl 1h) || die "key issue cam2"
mac=${good2##*.}
bad2=${good2%.*}.$([ "${mac:0:1}" = A ] && echo B || echo A)${mac:1}
good3=$(cam key issue --camera cam3 --ttl 1h) || die "key issue cam3"
declare -A want=([key_missing]=3 [key_expired]=2 [key_bad_signature]=1)
for _ in 1 2 3; do check "key_missing is 403" test "$(upgrade /cam2/)" = 403; done
for _ in 1 2; do check "key_expired is 403" test "$(upgrade "/cam2/?k=$expired")" = 403; done
check "key_bad_signature is 403" test "$(upgrade "/cam2/?k=$bad2")" = 403
check "cam1's third viewer: too_many_viewers (429)" test "$(upgrade "/cam1/?k=${keys[$N]}")" = 429
check "cam3 without its tunnel: offline (503)" test "$(upgrade "/cam3/?k=$good3")" = 503
for reason in "${!want[@]}"; do
    check "status: cam2 refused ${want[$reason]} as $reason" is cam2 ".refusals.$reason" "${want[$reason]}"
done
check "status: cam2 refused 6 in all" is cam2 .refused 6
check "status: cam1 refused 1, too_many_viewers" is cam1 '"\(.refused) \(.refusals.too_many_viewers)"' "1 1"
check "status: cam3 refused 1, offline" is cam3 '"\(.refused) \(.refusals.offline)"' "1 1"
check "status: the totals add up: 8 refused" test "$(json | jq .totals.refused)" = 8
check "status: the table says why cam2 refused" \
    table_has '^cam2 .* 6 \(key_missing 3, key_bad_signature 1, key_expired 2\)$'

# --- the viewers go: slots free, bytes counted exactly
rm -f "$TMP/hold"
wait_for 20 is cam1 .viewers 0 || fail "cam1's viewers did not go"
to=$((N * (${#ANSWER} + DOWN)))
from=$((N * UP))
wait_for 10 is cam1 .bytes_to_viewers "$to"
check "status: $to bytes to cam1's viewers" is cam1 .bytes_to_viewers "$to"
check "status: $from bytes from them" is cam1 .bytes_from_viewers "$from"
check "status: cam1 admitted $N" is cam1 .admitted "$N"
check "status and varnishstat agree on the bytes" \
    test "$(stat_of cam1.bytes_to_viewers) $(stat_of cam1.bytes_from_viewers)" = "$to $from"
check "status and varnishstat agree on the refusals" stat_is cam2.key_missing 3
check "status: cam1's last viewer left seconds ago" test $(($(date +%s) - $(field cam1 .last_viewer))) -lt 60

# --- --check, tunnels going and coming back
status --check >"$TMP/check.out" 2>&1
check "--check exits 1 while cam3's tunnel is down" test $? = 1
check "--check names cam3" grep -q '^camera cam3: tunnel down' "$TMP/check.out"
check "--check names only it" test "$(wc -l <"$TMP/check.out")" = 1
start_tunnel cam3
check "--check exits 0 once cam3's tunnel is up" wait_for 20 status --check
check "--check says all are up" test "$(status --check)" = "all 3 tunnels up"
wait_for 5 stat_is cam3.tunnel_connects 1
check "cam3: one reconnect in the last hour" is cam3 .reconnects_last_hour 1
check "cam3: up since a moment ago" test $(($(date +%s) - $(field cam3 .tunnel_since))) -lt 60
check "cam1: up since before varnishd counted" is cam1 '"\(.tunnel_since) \(.tunnel_since_at_least != null)"' "null true"

stop "${tunnel[cam1]}"
wait_for 20 port_free "${listen[cam1]}" || die "cam1's tunnel did not go"
wait_for 5 stat_is cam1.tunnel 0 || fail "the module did not see cam1's tunnel go"
status --check >"$TMP/check.out" 2>&1
check "--check exits 1 when cam1's tunnel is down" test $? = 1
check "--check names cam1" grep -q '^camera cam1: tunnel down for ' "$TMP/check.out"
check "status: cam1 down" is cam1 .tunnel down
start_tunnel cam1
check "cam1's tunnel is back" wait_for 30 status --check
wait_for 5 stat_is cam1.tunnel_connects 1
check "cam1: one reconnect in the last hour" is cam1 .reconnects_last_hour 1
check "cam2: none" is cam2 .reconnects_last_hour 0
check "totals: 2 reconnects, 3 up" test "$(json | jq -c '[.totals.reconnects_last_hour, .totals.up]')" = "[2,3]"

# --- --watch: redraws in place in a terminal until q; plain frames otherwise
cat >"$TMP/watch_in_pty.py" <<'EOF'
import os, pty, select, sys, time
pid, fd = pty.fork()
if pid == 0:
    os.execv(sys.argv[1], sys.argv[1:])
out, t0, sent = b"", time.time(), False
while time.time() - t0 < 20:
    if select.select([fd], [], [], 0.1)[0]:
        try:
            d = os.read(fd, 65536)
        except OSError:
            break
        if not d:
            break
        out += d
    if not sent and out.count(b"\x1b[H") >= 2:
        os.write(fd, b"q")
        sent = True
_, st = os.waitpid(pid, 0)
print(os.WEXITSTATUS(st) if os.WIFEXITED(st) else -1, out.count(b"\x1b[H"), int(b"cam3" in out))
EOF
result=$(python3 "$TMP/watch_in_pty.py" "$CAMRELAY_CLI" status -n "$VARNISH_DIR" --watch 1)
read -r code frames rows <<<"$result"
check "--watch in a terminal: q ends it with status 0 ($result)" test "$code" = 0
check "--watch in a terminal: redrawn in place ($frames frames)" test "$frames" -ge 2
check "--watch in a terminal: the cameras are drawn" test "$rows" = 1
timeout 3 "$CAMRELAY_CLI" status -n "$VARNISH_DIR" --watch 1 </dev/null >"$TMP/watch.out" 2>&1
check "--watch elsewhere: a frame a second ($(grep -c '^TOTAL' "$TMP/watch.out"))" \
    test "$(grep -c '^TOTAL' "$TMP/watch.out")" -ge 2

# --- without varnishd: the tunnels only, said on stderr
stop "$VARNISH_PID"
status >"$TMP/alone.out" 2>"$TMP/alone.err"
check "without varnishd status still exits 0" test $? = 0
check "...and says why the counters are missing" grep -q "varnishd's counters cannot be read" "$TMP/alone.err"
check "...and shows the tunnels" grep -qE '^cam1 +up ' "$TMP/alone.out"
status --json >"$TMP/alone.json" 2>/dev/null
check "--json says counters false" jq -e '.counters == false and .cameras[0].viewers == null' "$TMP/alone.json"

kit_finish
