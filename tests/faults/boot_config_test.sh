#!/usr/bin/env bash
# Fault: cameras.conf (or secrets.conf) broken or unreadable when varnishd
# starts. The module's vcl_init fails, and varnishd started as a daemon
# (camrelay setup without systemd) says only "CLI result = 300": the reason
# goes to syslog. Expected: the operator gets the reason, FILE:LINE:
#   - on the standard error of `camrelay setup` (its start path checks the
#     configuration with `camrelay check` first, as varnishd's worker user,
#     and starts nothing when it fails);
#   - in the journal under systemd: the varnish.service drop-in setup writes
#     runs that check as ExecStartPre (its output is what the journal
#     keeps), and varnishd runs with -F, whose stderr (also the journal's)
#     has the manager's "Message:" with the reason.
# A file only root may read is what varnishd's worker (vcache) cannot read:
# the check reads as vcache and says so. A good configuration passes.
#   boot_config_test.sh BUILD_DIR
set -uo pipefail
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh" "$@"
faults_need relay

faults_config
cam camera add cam1 --port "$(free_port)" >/dev/null || die "camera add"
conf=$CAMRELAY_CONFIG/cameras.conf
secrets=$CAMRELAY_CONFIG/secrets.conf
good=$(cat "$conf")
SETUP=$(setup_copy) || die "no setup program"
relay_port=$(free_port)
faults_params
vmoddir=$(pkg-config --variable=vmoddir varnishapi 2>/dev/null || echo /usr/lib/varnish/vmods)
# boot NAME [VARNISHD_ARG...]: varnishd with the relay's VCL, module and
# parameters, expected to fail at boot; its output in $TMP/NAME.out/.err
boot() {
    local name=$1
    shift
    timeout 60 varnishd -n "$TMP/varnish-$name" -a "127.0.0.1:$relay_port" -f "$SOURCE_DIR/vcl/default.vcl" \
        -p vcl_path="$SOURCE_DIR/vcl" -p vmod_path="$BUILD_DIR/vmod:$vmoddir" "${PARAMS[@]}" "$@" \
        >"$TMP/$name.out" 2>"$TMP/$name.err"
}
# setup: camrelay setup's start path, as without systemd; its stdout and
# stderr in $TMP/setup.out/.err, its status in $rc
run_setup() {
    CAMRELAY_SETUP_PROGRAM=$SETUP CAMRELAY_SETUP_INIT=direct CAMRELAY_RUN_DIR=$TMP/run \
        cam setup --vcl "$SOURCE_DIR/vcl/default.vcl" --http-listen "127.0.0.1:$relay_port" --no-tls --no-firewall \
        >"$TMP/setup.out" 2>"$TMP/setup.err"
    rc=$?
    say "camrelay setup: exit $rc: $(cat "$TMP/setup.err")"
}
nothing_started() { port_free "$relay_port" && [ ! -e "$TMP/run/varnishd.pid" ]; }

# the varnishd step alone, as under systemd: the drop-in it writes
mkdir -p "$TMP/bin"
printf '#!/bin/sh\necho "$*" >>%q\n[ "$1" != is-active ] || exit 3\n' "$TMP/systemctl.log" >"$TMP/bin/systemctl"
chmod 0755 "$TMP/bin/systemctl"
# (setup compiles the VCL first, where an installed module is found; this
# one names the built module)
printf 'vcl 4.1;\nimport camrelay from "%s";\nbackend default none;\nsub vcl_init { new relay = camrelay.relay(); }\n' \
    "$CAMRELAY_MODULE" >"$TMP/relay.vcl"
if [ -s /etc/varnish/secret ]; then
    dropin_setup=$(setup_copy varnishd) || die "no setup program"
    PATH=$TMP/bin:$PATH CAMRELAY_SETUP_PROGRAM=$dropin_setup CAMRELAY_SETUP_INIT=systemd CAMRELAY_RUN_DIR=$TMP/run \
        cam setup --vcl "$TMP/relay.vcl" --http-listen "127.0.0.1:$relay_port" --no-tls \
        >"$TMP/dropin.out" 2>&1 || die "setup's varnishd step (systemd): $(cat "$TMP/dropin.out")"
    dropin=$TMP/systemd/varnish.service.d/camrelay.conf
    cat "$dropin" >&2
    pre=$(sed -n 's/^ExecStartPre=//p' "$dropin")
    check "the varnish.service drop-in checks first: ExecStartPre=$pre" \
        eval '[ "$pre" = "$CAMRELAY_CLI --config $CAMRELAY_CONFIG check --user vcache" ]'
    check "and runs varnishd in the foreground (-F: its stderr is the journal's)" grep -q '^ExecStart=.* -F ' "$dropin"
else
    say "no /etc/varnish/secret: the systemd drop-in is not written here (setup would create the secret)"
    pre=
fi
# journal WHAT: what ExecStartPre prints (systemd splits the line at blanks)
journal() {
    local words
    read -ra words <<<"$pre"
    "${words[@]}" >"$TMP/journal.out" 2>"$TMP/journal.err"
}

# expect WHAT REASON: every start path fails with REASON
expect() {
    local what=$1 reason=$2 status
    boot foreground -F
    status=$?
    say "varnishd -F, $what: exit $status: $(grep -v '^Debug' "$TMP/foreground.err" | tr '\n' ' ')"
    check "$what: varnishd -F does not start and its stderr has the reason" \
        eval '[ "$status" != 0 ] && grep -qF "$reason" "$TMP/foreground.err"'
    grep -q 'vmod_camrelay: ' "$TMP/foreground.err" &&
        say "(the module's own line: $(grep 'vmod_camrelay: ' "$TMP/foreground.err" | head -n 1))"
    boot daemon -P "$TMP/varnishd-daemon.pid"
    status=$?
    if [ "$status" = 0 ] && [ -s "$TMP/varnishd-daemon.pid" ]; then
        started "$(cat "$TMP/varnishd-daemon.pid")" # it started: stop it at exit
        fail "$what: varnishd as a daemon started"
    fi
    say "varnishd as a daemon, $what: exit $status, stdout: $(tr '\n' ' ' <"$TMP/daemon.out")stderr: $(tr '\n' ' ' <"$TMP/daemon.err")"
    grep -qF "$reason" "$TMP/daemon.out" "$TMP/daemon.err" || say "(varnishd as a daemon does not tell why)"
    run_setup
    check "$what: camrelay setup fails with the reason on stderr, starts nothing" \
        eval '[ "$rc" = 1 ] && grep -qF "$reason" "$TMP/setup.err" &&
            grep -q "varnishd cannot load the configuration" "$TMP/setup.err" && nothing_started'
    check "$what: and stops before changing anything else" \
        eval '! grep -q "stopped by the fault test" "$TMP/setup.err"'
    if [ -n "$pre" ]; then
        journal
        status=$?
        check "$what: ExecStartPre fails (the start with it) and its stderr, the journal's, has the reason" \
            eval '[ "$status" = 3 ] && grep -qF "$reason" "$TMP/journal.err"'
    fi
}

# --- broken
line=$(($(grep -c '' "$conf") + 1))
printf 'camera cam2 port=%s max-viewer=4\n' "$(free_port)" >>"$conf"
expect "broken cameras.conf" "$conf:$line: unknown option \"max-viewer\" for camera \"cam2\""

# --- unreadable by varnishd's worker (root only)
printf '%s\n' "$good" >"$conf"
chmod 0600 "$conf"
expect "cameras.conf readable by root only" "$conf: cannot open: Permission denied"
chmod 0644 "$conf"

# --- secrets.conf unreadable by varnishd's worker (group root)
chgrp root "$secrets"
expect "secrets.conf not in group varnish" "$secrets: cannot open: Permission denied"
chgrp varnish "$secrets"

# --- good: the check passes, setup goes on
run_setup
check "good: camrelay setup passes the check (says so) and goes on" \
    eval 'grep -q "^configuration .*varnishd can load cameras.conf and secrets.conf (read as user vcache)" "$TMP/setup.out" &&
        grep -q "stopped by the fault test" "$TMP/setup.err"'
if [ -n "$pre" ]; then
    check "good: ExecStartPre passes" journal
fi
t=$(now_ms)
cam check >/dev/null
check_ms=$(($(now_ms) - t))

result=PASS
[ "$KIT_FAILED" = 0 ] || result=FAIL
figure "cameras.conf broken / unreadable, secrets.conf unreadable at varnishd's start" "n/a (refused before start; check ${check_ms} ms)" \
    "$result: FILE:LINE reason on camrelay setup's stderr and in ExecStartPre's output (the journal); nothing started"
kit_finish
