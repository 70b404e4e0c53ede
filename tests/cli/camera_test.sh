#!/usr/bin/env bash
# camrelay camera add / remove / list / default / revoke.
source "$(dirname "$0")/lib.sh"

conf=$(new_config)
cameras="$conf/cameras.conf"

# --- add: creates cameras.conf, one line per camera, mode 0644.
run --config "$conf" camera add cam1 --port 18080
require_ok "first camera"
expect_out "added camera cam1 (port=18080, at most 2 viewers)"
expect_true "cameras.conf created" test -f "$cameras"
expect_mode 644 "$cameras"
expect_true "cam1 line written" grep -qx "camera cam1 port=18080" "$cameras"

run --config "$conf" camera add cam2 --socket /run/camrelay/cam2.sock --max-viewers 5
require_ok "socket camera"
run --config "$conf" camera add relay-b --upstream relay-b.example.com:8080
require_ok "upstream camera, DNS name"
run --config "$conf" camera add v6 --upstream '[2001:db8::1]:80' --max-viewers=1
require_ok "upstream camera, IPv6, --opt=value form"
expect_out "added camera v6 (upstream=[2001:db8::1]:80, at most 1 viewer)"
# Options may come before the id.
run --config "$conf" camera add --port 18081 cam3
require_ok "options before the id"

# Comments and blank lines survive every edit.
printf '# cameras of the north site\n\n' >"$WORK/header"
cat "$WORK/header" "$cameras" >"$WORK/with-comments"
cp "$WORK/with-comments" "$cameras"
run --config "$conf" camera add cam4 --port 18082
require_ok
expect_true "comment kept after add" grep -qx "# cameras of the north site" "$cameras"

# --- refused edits: exit 4, the files unchanged byte for byte.
touch "$conf/secrets.conf"
chmod 0640 "$conf/secrets.conf"
cp "$cameras" "$WORK/cameras.before"
cp "$conf/secrets.conf" "$WORK/secrets.before"
run --config "$conf" camera add cam1 --port 19000
expect_rc 4 "duplicate id"
expect_err_prefixed
expect_err_has "camera 'cam1' already exists ($cameras:3)"
expect_same_file "$cameras" "$WORK/cameras.before"
expect_same_file "$conf/secrets.conf" "$WORK/secrets.before"
run --config "$conf" camera add cam9 --port 18080
expect_rc 4 "port in use"
expect_err_has "port 18080 is already used by camera 'cam1'"
expect_same_file "$cameras" "$WORK/cameras.before"
run --config "$conf" camera add cam9 --socket /run/camrelay/cam2.sock
expect_rc 4 "socket in use"
expect_err_has "socket /run/camrelay/cam2.sock is already used by camera 'cam2'"
expect_same_file "$cameras" "$WORK/cameras.before"
# No temporary file left behind by a refused edit.
expect_true "no stray files" test "$(ls -A "$conf" | sort | tr '\n' ' ')" = "cameras.conf secrets.conf "

# --- bad ids and values: usage errors (2), file unchanged.
for bad_id in '../x' 'Cam1' 'a b' "$(printf 'a%.0s' {1..64})" '-cam' 'cam-' '' 'cam_1' 'cam.1'; do
    run --config "$conf" camera add --port 19001 -- "$bad_id"
    expect_rc 2 "bad id '$bad_id'"
    expect_err_has "invalid camera id"
done
run --config "$conf" camera add "$(printf 'a%.0s' {1..63})" --port 19002
expect_rc 0 "63-character id is fine"
cp "$cameras" "$WORK/cameras.before"
for bad_port in 0 65536 -1 abc 80x '' 99999999999999999999999 0080 ' 80'; do
    run --config "$conf" camera add cam9 --port "$bad_port"
    expect_rc 2 "bad port '$bad_port'"
done
for bad_viewers in 0 1001 x -3; do
    run --config "$conf" camera add cam9 --port 19003 --max-viewers "$bad_viewers"
    expect_rc 2 "bad --max-viewers '$bad_viewers'"
done
run --config "$conf" camera add cam9
expect_rc 2 "no tunnel"
expect_err_has "--port PORT, --socket PATH or --upstream HOST:PORT"
run --config "$conf" camera add cam9 --port 19004 --socket /run/x.sock
expect_rc 2 "two tunnels"
expect_err_has "only one of"
run --config "$conf" camera add cam9 --socket relative/path.sock
expect_rc 2 "relative socket path"
run --config "$conf" camera add cam9 --socket '/run/x.sock max-viewers=9'
expect_rc 2 "socket path with a space"
run --config "$conf" camera add cam9 --socket "/run/$(printf 'x%.0s' {1..120}).sock"
expect_rc 2 "socket path too long for sun_path"
for bad_upstream in 'example.com' 'example.com:0' '::1:80' 'host name:80' 'exa#mple.com:80' '256.1.1.1:80'; do
    run --config "$conf" camera add cam9 --upstream "$bad_upstream"
    expect_rc 2 "bad upstream '$bad_upstream'"
done
expect_same_file "$cameras" "$WORK/cameras.before"

# --- legacy key: only its SHA-256 is stored.
printf 'my-old-fixed-key\n' >"$WORK/legacy"
run --config "$conf" camera add legacy1 --port 19010 --legacy-key-file "$WORK/legacy"
require_ok "legacy key from a file"
expect_out_has "legacy key"
digest=$(printf 'my-old-fixed-key' | sha256sum | cut -d' ' -f1)
expect_true "legacy-sha256 stored" grep -q "^camera legacy1 port=19010 legacy-sha256=$digest\$" "$cameras"
expect_true "the legacy key itself is not stored" bash -c "! grep -q my-old-fixed-key '$cameras'"
run_with_stdin 'from-stdin' --config "$conf" camera add legacy2 --port 19011 --legacy-key-file -
require_ok "legacy key from stdin"
digest=$(printf 'from-stdin' | sha256sum | cut -d' ' -f1)
expect_true "legacy-sha256 from stdin" grep -q "legacy2 port=19011 legacy-sha256=$digest" "$cameras"
run_with_stdin '' --config "$conf" camera add legacy3 --port 19012 --legacy-key-file -
expect_rc 2 "empty legacy key"
run_with_stdin 'v1.looks.like.a.signed.key' --config "$conf" camera add legacy3 --port 19012 --legacy-key-file -
expect_rc 2 "legacy key that looks like a v1 key"
run --config "$conf" camera add legacy3 --port 19012 --legacy-key-file "$WORK/no-such-file"
expect_rc 5 "unreadable legacy key file"

# --- concurrent edits all land: camrelay runs take turns on the directory.
parallel=$(new_config)
pids=()
for n in $(seq 1 12); do
    "$CAMRELAY" --config "$parallel" camera add "par$n" --port $((20000 + n)) >/dev/null 2>"$WORK/par$n.err" &
    pids+=($!)
done
for pid in "${pids[@]}"; do wait "$pid" || fail "a concurrent camera add failed: $(cat "$WORK"/par*.err)"; done
[[ $(grep -c '^camera par' "$parallel/cameras.conf") -eq 12 ]] && pass ||
    fail "12 concurrent camera adds left $(grep -c '^camera par' "$parallel/cameras.conf") cameras"

# --- list
run --config "$conf" camera list
require_ok
expect_out_matches $'^ID +TUNNEL +MAX-VIEWERS +DEFAULT +STATUS\n'
expect_out_matches $'\ncam1 +port=18080 +2 +down'
expect_out_matches $'\ncam2 +socket=/run/camrelay/cam2.sock +5 +down'
expect_out_matches $'\nrelay-b +upstream=relay-b.example.com:8080 +2 +remote'
run --config "$conf" camera list --check
expect_rc 1 "list --check with tunnels down"
run --config "$conf" camera list --json
require_ok
expect_out_has '{"id": "cam1", "tunnel": "port=18080", "max_viewers": 2, "default": false, "status": "down", "revoke_before": 0, "legacy_key": false}'
expect_out_has '"id": "legacy1", "tunnel": "port=19010", "max_viewers": 2, "default": false, "status": "down", "revoke_before": 0, "legacy_key": true}'
if command -v python3 >/dev/null; then
    printf '%s' "$OUT" | python3 -c 'import json,sys; d=json.load(sys.stdin); assert isinstance(d, list) and len(d) == 9, d' && pass ||
        fail "camera list --json is not a JSON array of 9 cameras"
fi

# A tunnel is up when something listens on its port or socket. The cameras
# are added first: adding one where something already listens is refused.
if command -v python3 >/dev/null; then
    live=$(new_config)
    port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    run --config "$live" camera add up-tcp --port "$port"
    require_ok
    run --config "$live" camera add up-unix --socket "$WORK/live.sock"
    require_ok
    python3 - "$WORK/ready" "$port" "$WORK/live.sock" <<'PY' &
import os, socket, sys, time
tcp = socket.socket()
tcp.bind(("127.0.0.1", int(sys.argv[2])))
tcp.listen()
unix = socket.socket(socket.AF_UNIX)
unix.bind(sys.argv[3])
unix.listen()
open(sys.argv[1], "w").close()
time.sleep(60)
PY
    listener=$!
    started "$listener"
    wait_for 10 test -e "$WORK/ready"
    run --config "$live" camera list --check
    expect_rc 0 "list --check with every tunnel up"
    expect_out_matches $'\nup-tcp +port='"$port"' +2 +up'
    expect_out_matches $'\nup-unix +socket=[^ ]+live.sock +2 +up'

    # remove ends SSH connections only: another process is left running, with
    # a warning, and the camera is removed all the same.
    run --config "$live" camera remove up-tcp
    require_ok
    expect_err_has "warning: 127.0.0.1:$port is held by pid $listener (python3, uid $(id -u)), which is not an SSH connection: left running"
    expect_true "the listener is left running" kill -0 "$listener"
    run --config "$live" camera remove up-unix
    require_ok
    expect_err_has "warning: $WORK/live.sock is held by pid $listener (python3"

    # A port or socket something listens on is refused, the file untouched:
    # the new camera's viewers would reach whatever holds it.
    cp "$live/cameras.conf" "$WORK/live.before"
    run --config "$live" camera add other --port "$port" --max-viewers 3
    expect_rc 4 "add on a port something listens on"
    expect_err_has "port $port is already in use on this relay (something listens on 127.0.0.1:$port: pid $listener (python3, uid $(id -u)))"
    expect_same_file "$live/cameras.conf" "$WORK/live.before"
    run --config "$live" camera add other --socket "$WORK/live.sock"
    expect_rc 4 "add on a socket something listens on"
    expect_err_has "socket $WORK/live.sock is already in use on this relay"
    expect_same_file "$live/cameras.conf" "$WORK/live.before"
    stop "$listener"
fi

# An empty registry lists nothing and says so on stderr.
empty=$(new_config)
run --config "$empty" camera list
expect_rc 0 "list without cameras.conf"
expect_out ""
expect_err_has "no cameras in $empty/cameras.conf"
run --config "$empty" camera list --json
expect_rc 0
expect_out "[]"

# --- default
run --config "$conf" camera default cam2
require_ok
expect_out "default camera is now cam2"
expect_true "default line" grep -qx "default cam2" "$cameras"
run --config "$conf" camera default cam1
require_ok
expect_true "default replaced, not added" test "$(grep -c '^default' "$cameras")" = 1
run --config "$conf" camera list
expect_out_matches $'\ncam1 +port=18080 +2 +\\* +down'
run --config "$conf" camera list --json
expect_out_has '"id": "cam1", "tunnel": "port=18080", "max_viewers": 2, "default": true'
cp "$cameras" "$WORK/cameras.before"
run --config "$conf" camera default nosuch
expect_rc 4 "default to an unknown camera"
expect_err_has "unknown camera 'nosuch'"
expect_same_file "$cameras" "$WORK/cameras.before"

# --- revoke
run --config "$conf" camera revoke cam2 --before 1700000000
require_ok
expect_out "camera cam2: keys issued before 2023-11-14 22:13:20 UTC are refused"
expect_true "revoke-before written" grep -q "^camera cam2 socket=/run/camrelay/cam2.sock max-viewers=5 revoke-before=1700000000" "$cameras"
run --config "$conf" camera revoke cam2
require_ok
now=$(date +%s)
revoke_before=$(sed -n 's/^camera cam2 .*revoke-before=\([0-9]*\).*/\1/p' "$cameras")
# now + 61: it covers keys issued up to 60 s ahead of the relay's clock (key.hpp)
expect_true "revoke defaults to now + 61 s" test $((revoke_before - now)) -le 61 -a $((revoke_before - now)) -ge 56
expect_out_has "(every key issued so far, clock skew included)"
run --config "$conf" camera revoke cam2 --before now
require_ok
run --config "$conf" camera revoke cam2 --before yesterday
expect_rc 2 "bad --before"
run --config "$conf" camera revoke nosuch
expect_rc 4 "revoke an unknown camera"

# --- remove
run --config "$conf" camera remove cam1
require_ok
expect_out "removed camera cam1 (it was the default camera: there is no default now)"
expect_true "cam1 gone" bash -c "! grep -q '^camera cam1 ' '$cameras'"
expect_true "default gone with it" bash -c "! grep -q '^default' '$cameras'"
expect_true "comment still there" grep -qx "# cameras of the north site" "$cameras"
cp "$cameras" "$WORK/cameras.before"
run --config "$conf" camera remove cam1
expect_rc 4 "remove twice"
expect_err_has "unknown camera 'cam1'"
expect_same_file "$cameras" "$WORK/cameras.before"
run --config "$conf" camera remove ../x
expect_rc 2 "remove a bad id"
expect_mode 644 "$cameras"

# --- add --ssh-key: the camera's camrelay-tunnel settings work on a network
# that lets only the web out with at most one line changed: TRANSPORT=auto,
# the relay's https port, and a proxy and a TLS trust line one '#' away.
sconf=$(new_config)
printf 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIKc4Z899aE084bVm5A/xP3tSCIb389kmS9PS+DeGg19b cam\n' >"$WORK/cam.pub"
printf 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIKc4Z899aE084bVm5A/xP3tSCIb389kmS9PS+DeGg19c cam\n' >"$WORK/cam2.pub"
printf 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAICrqyCa/eh76JzosCwWiTCpcrT5Lwe45bRa1JxsNrfhn host\n' >"$WORK/host.pub"
ssh_add() {
    run --config "$sconf" camera add "$@" --relay relay.example.com:2222 --relay-host-key "$WORK/host.pub"
}
ssh_add sshcam --ssh-key "$WORK/cam.pub"
require_ok "add --ssh-key"
expect_out_has "
TRANSPORT=auto
HTTPS_PORT=443
"
expect_out_has "
#PROXY=http://USER:PASSWORD@PROXY:PORT
"
expect_out_has "
#TLS_CA=/etc/camrelay-tunnel/relay-ca.pem
"
expect_out_has "'camrelay-connect probe relay.example.com 2222 443' shows which"
# The printed settings, as camrelay-tunnel reads them (files on this machine).
printf '%s\n' "$OUT" | sed -n '/^# camrelay-tunnel settings/,/^#TLS_CA=/p' >"$WORK/cam.conf"
printf 'x\n' >"$WORK/cam.key"
printf '[relay.example.com]:2222 ssh-ed25519 AAAA\n' >"$WORK/cam.known_hosts"
TUNNEL=$(dirname "$0")/../../tools/tunnel/camrelay-tunnel
tunnel_reads() {
    local conf=$1
    shift
    CAMRELAY_CONNECT=/bin/true "$TUNNEL" --config "$conf" --identity "$WORK/cam.key" \
        --known-hosts "$WORK/cam.known_hosts" --print-command "$@"
}
printed=$(tunnel_reads "$WORK/cam.conf" 2>&1) && pass || fail "camrelay-tunnel refuses the printed settings: $printed"
[[ $printed == *"probe relay.example.com 2222 443'"* && $printed == *"# tls"* ]] && pass ||
    fail "camrelay-tunnel's auto from the printed settings: $printed"
# one line changed: the proxy
sed 's|^#PROXY=.*|PROXY=http://cam:secret@proxy.example:3128|' "$WORK/cam.conf" >"$WORK/cam-proxy.conf"
[[ $(diff "$WORK/cam.conf" "$WORK/cam-proxy.conf" | grep -c '^>') == 1 ]] && pass || fail "not one line changed"
printed=$(tunnel_reads "$WORK/cam-proxy.conf" 2>&1) && pass || fail "the proxy line refused: $printed"
[[ $printed == *"# proxy proxy.example:3128"* && $printed == *"# tls+proxy"* && $printed != *secret* ]] && pass ||
    fail "the proxy line: $printed"

# The https port: setup's --https-listen (setup.conf), else 443; --https-port
# wins over both.
printf '# Written by camrelay setup\nHTTP_LISTEN=:80\nHTTPS_LISTEN=127.0.0.1:8443\n' >"$sconf/setup.conf"
ssh_add sshcam2 --ssh-key "$WORK/cam2.pub"
require_ok "add --ssh-key with setup.conf"
expect_out_has "
HTTPS_PORT=8443
"
run --config "$sconf" camera remove sshcam2
require_ok
ssh_add sshcam2 --ssh-key "$WORK/cam2.pub" --https-port 9443
require_ok "add --ssh-key --https-port"
expect_out_has "
HTTPS_PORT=9443
"
run --config "$sconf" camera remove sshcam2
require_ok
for bad_port in 0 65536 x443 ''; do
    ssh_add sshcam3 --ssh-key "$WORK/cam2.pub" --https-port "$bad_port"
    expect_rc 2 "bad --https-port '$bad_port'"
done
run --config "$sconf" camera add plain --port 18090 --https-port 8443
expect_rc 2 "--https-port without --ssh-key"
expect_err_has "--https-port only goes with --ssh-key"

kit_finish
