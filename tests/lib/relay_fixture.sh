# shellcheck shell=bash
# tests/lib/relay_fixture.sh: one camrelay relay on loopback, as camrelay
# setup and camrelay-ssh-setup would make it, for the tunnel and e2e tests,
# bench/*.sh and tools/tunnel/measure.sh:
#
#   viewer -> varnishd with vcl/default.vcl, the built vmod_camrelay and the
#   relay's parameters (tools/setup/relay-params.sh) -> 127.0.0.1:LISTEN held
#   by sshd with camrelay's drop-in (tools/tunnel/sshd_config.d/camrelay.conf,
#   adapted to the work directory) for a throwaway forwarding account made by
#   camrelay-ssh-setup -> the camera's camrelay-tunnel -> the camera
#
# Cameras and keys are made with the camrelay command, as an operator would.
# Sourced after tests/lib/kit.sh, with SOURCE_DIR and BUILD_DIR set; the
# functions after relay_workdir need the work directory ($TMP).
#
#   relay_workdir NAME        the kit's work directory, below /run/NAME as
#                             root: sshd's StrictModes refuses an
#                             authorized_keys file below a world-writable
#                             directory such as /tmp, and every ancestor of
#                             /run is root's and 0755
#   relay_why_not             why this machine cannot run sshd here (root,
#                             openssh-server, openssh-client), or nothing
#   relay_why_not_built       the first piece not built or not there, or nothing
#   relay_setup [LINE...]     the account (RELAY_USER, default crt$$, removed
#                             at exit), CAMRELAY_CONFIG=$TMP/etc, a host key,
#                             $TMP/sshd_config: the drop-in's Include first,
#                             then the LINEs (sshd keeps the first value of a
#                             keyword), then lines as in Debian's sshd_config.
#                             RELAY_CLIENT_ALIVE=N: ClientAliveInterval N in
#                             the drop-in. Sets SSHD_PORT, AUTH_KEYS,
#                             RELAY_KNOWN_HOSTS (the host key, pinned)
#   relay_start_sshd, relay_stop_sshd   (SSHD_PID; log $TMP/sshd.log)
#   relay_new_key NAME        a camera key pair $TMP/NAME.key(.pub)
#   relay_add_camera NAME [OPTION...]   a new key and `camrelay camera add
#                             NAME --ssh-key ... OPTION...`; its output in
#                             $TMP/add-NAME.out; sets CAM_PORT (LISTEN=);
#                             the camera reaches sshd at RELAY_SSH_ADDR
#                             (127.0.0.1)
#   relay_start_installed_tunnel NAME TARGET   the settings camera add
#                             printed, installed as on the camera
#                             ($TMP/NAME.conf, NAME.known_hosts; only the
#                             file locations and the target differ), and
#                             camrelay-tunnel --config run from them; sets
#                             TUNNEL_PID
#   relay_start_tunnel NAME PORT [TARGET]   camrelay-tunnel with NAME's key
#                             (target default 127.0.0.1:9; log
#                             $TMP/tunnel-NAME.log); sets TUNNEL_PID
#   relay_tunnel_ssh_pid PID  the ssh process of a camrelay-tunnel
#   relay_ssh NAME [SSH_OPTION...] [-- COMMAND...]   ssh to the relay with
#                             NAME's key, never prompting, host key pinned,
#                             stdin closed, at most 20 s; relay_ssh_bg: the
#                             same without time limit, replacing the shell
#                             that runs it (run it with &: $! is ssh)
#   relay_start_varnish PORT [VARNISHD_ARG...]   varnishd with default.vcl
#                             and the module, CAMRELAY_CONFIG; the ARGs are
#                             the relay's parameters, e.g. from
#                             `camrelay_varnishd_params N` (relay-params.sh)
#   relay_start_haproxy [ADDR:]PORT VARNISH_TLS_SOCKET TLS_DIR   haproxy on
#                             ADDR:PORT (default 127.0.0.1; the https port;
#                             ":PORT" for every address) from the built
#                             haproxy.cfg, with the environment camrelay
#                             setup gives it: SSH to the fixture's sshd,
#                             TLS with TLS_DIR's *.pem to varnishd's socket
#                             (varnishd -a tls=SOCKET,PROXY,user=varnish,
#                             group=haproxy,mode=660). RELAY_HAPROXY_CFG:
#                             another configuration file. Log (a line per
#                             connection) $TMP/haproxy.log; sets HAPROXY_PID.
#                             With -dR (no SO_REUSEPORT) it fails on a port
#                             that is taken, rather than sharing it
#   cam ARG...                the camrelay command on CAMRELAY_CONFIG

: "${SOURCE_DIR:?}" "${BUILD_DIR:?}"
SSHD=/usr/sbin/sshd
CAMRELAY_CLI=$BUILD_DIR/tools/camrelay/camrelay
CAMRELAY_SESSION=$BUILD_DIR/tools/tunnel/camrelay-session
CAMRELAY_SSH_SETUP=$BUILD_DIR/tools/tunnel/camrelay-ssh-setup
CAMRELAY_MODULE=$BUILD_DIR/vmod/libvmod_camrelay.so
CAMRELAY_TUNNEL=$SOURCE_DIR/tools/tunnel/camrelay-tunnel
# camrelay-tunnel's helper for transports other than plain ssh (auto probes
# with it first)
export CAMRELAY_CONNECT=${CAMRELAY_CONNECT:-$BUILD_DIR/tools/tunnel/camrelay-connect}
CAMRELAY_DROPIN=$SOURCE_DIR/tools/tunnel/sshd_config.d/camrelay.conf
# shellcheck source=../../tools/setup/relay-params.sh
. "$SOURCE_DIR/tools/setup/relay-params.sh"
RELAY_USER=${RELAY_USER:-crt$$}
RELAY_ACCOUNT_MADE=

relay_workdir() {
    if [ "$(id -u)" = 0 ]; then kit_workdir "/run/$1"; else kit_workdir; fi
}

relay_why_not() {
    if [ "$(id -u)" != 0 ]; then
        echo "needs root (a throwaway account, sshd)"
    elif [ ! -x "$SSHD" ]; then
        echo "openssh-server is not installed"
    elif ! command -v ssh >/dev/null; then
        echo "openssh-client is not installed"
    fi
}

relay_why_not_built() {
    local f
    for f in "$CAMRELAY_MODULE" "$CAMRELAY_CLI" "$CAMRELAY_SESSION" "$CAMRELAY_SSH_SETUP" "$CAMRELAY_TUNNEL" \
        "$CAMRELAY_DROPIN" "$SOURCE_DIR/vcl/default.vcl"; do
        [ -e "$f" ] || { echo "$f is not built or not there"; return 0; }
    done
}

cam() { "$CAMRELAY_CLI" "$@"; }

relay_remove_account() {
    local _
    [ -n "$RELAY_ACCOUNT_MADE" ] || return 0
    # userdel refuses while a process of the account still runs; the
    # account's sessions belong to our sshd and end with it.
    for _ in $(seq 1 20); do
        userdel "$RELAY_USER" 2>/dev/null && break
        sleep 0.2
    done
    ! getent passwd "$RELAY_USER" >/dev/null || say "could not remove the test account $RELAY_USER"
    RELAY_ACCOUNT_MADE=
}

relay_setup() {
    local why dropin=$TMP/camrelay.conf alive=()
    why=$(relay_why_not)
    [ -z "$why" ] || die "$why"
    export CAMRELAY_CONFIG=$TMP/etc
    export CAMRELAY_SESSION_PROGRAM=$CAMRELAY_SESSION
    kit_on_exit relay_remove_account
    RELAY_ACCOUNT_MADE=1
    "$CAMRELAY_SSH_SETUP" --user "$RELAY_USER" --config-dir "$CAMRELAY_CONFIG" --session "$CAMRELAY_SESSION" \
        >"$TMP/ssh-setup.out" 2>&1 || die "camrelay-ssh-setup failed: $(cat "$TMP/ssh-setup.out")"
    chmod 0755 "$CAMRELAY_CONFIG"
    AUTH_KEYS=$CAMRELAY_CONFIG/ssh/authorized_keys
    ssh-keygen -q -t ed25519 -N '' -C relay-host -f "$TMP/hostkey" || die "ssh-keygen"
    # sshd needs its privilege separation directory
    [ -d /run/sshd ] || mkdir -m 0755 /run/sshd
    SSHD_PORT=$(free_port)
    # The real drop-in with the test's account and key file; a short
    # ClientAlive period drops a dead camera within seconds.
    [ -z "${RELAY_CLIENT_ALIVE:-}" ] ||
        alive=(-e "s/^\([[:space:]]*ClientAliveInterval\) .*/\1 $RELAY_CLIENT_ALIVE/")
    sed -e "s/^Match User camrelay-cam\$/Match User $RELAY_USER/" \
        -e "s|/etc/camrelay/ssh/authorized_keys|$AUTH_KEYS|" "${alive[@]}" "$CAMRELAY_DROPIN" >"$dropin"
    { grep -q "^Match User $RELAY_USER\$" "$dropin" && grep -qF "AuthorizedKeysFile $AUTH_KEYS" "$dropin" &&
        { [ -z "${RELAY_CLIENT_ALIVE:-}" ] || grep -q "ClientAliveInterval $RELAY_CLIENT_ALIVE\$" "$dropin"; }; } ||
        die "the drop-in was not adapted"
    # The global part as in Debian's sshd_config, after the Include line:
    # the drop-in's values must win over these.
    {
        cat <<EOF
Include $dropin
Port $SSHD_PORT
ListenAddress 127.0.0.1
HostKey $TMP/hostkey
PidFile $TMP/sshd.pid
AllowUsers $RELAY_USER
EOF
        [ $# = 0 ] || printf '%s\n' "$@"
        cat <<'EOF'
UsePAM no
StrictModes yes
LogLevel VERBOSE
KbdInteractiveAuthentication no
X11Forwarding yes
PrintMotd no
AcceptEnv LANG LC_*
Subsystem sftp /usr/lib/openssh/sftp-server
EOF
    } >"$TMP/sshd_config"
    "$SSHD" -t -f "$TMP/sshd_config" >"$TMP/sshd-t.out" 2>&1 ||
        die "sshd -t refused the configuration: $(cat "$TMP/sshd-t.out")"
    RELAY_KNOWN_HOSTS=$TMP/known_hosts
    printf '[127.0.0.1]:%s %s\n' "$SSHD_PORT" "$(cut -d' ' -f1,2 "$TMP/hostkey.pub")" >"$RELAY_KNOWN_HOSTS"
}

relay_start_sshd() {
    "$SSHD" -D -e -f "$TMP/sshd_config" >>"$TMP/sshd.log" 2>&1 &
    SSHD_PID=$!
    started "$SSHD_PID"
    wait_for_port "$SSHD_PORT" 10 "$SSHD_PID"
}

relay_stop_sshd() {
    stop "$SSHD_PID"
    SSHD_PID=
    wait_for 10 port_free "$SSHD_PORT" || die "sshd did not stop"
}

relay_new_key() {
    ssh-keygen -q -t ed25519 -N '' -C "$1@camera" -f "$TMP/$1.key" || die "ssh-keygen"
}

relay_add_camera() {
    local name=$1 out=$TMP/add-$1.out
    shift
    relay_new_key "$name"
    cam camera add "$name" --ssh-key "$TMP/$name.key.pub" --ssh-user "$RELAY_USER" \
        --relay "${RELAY_SSH_ADDR:-127.0.0.1}:$SSHD_PORT" --relay-host-key "$TMP/hostkey.pub" "$@" >"$out" 2>&1 ||
        die "camera add $name failed: $(cat "$out")"
    CAM_PORT=$(sed -n 's/^LISTEN=//p' "$out")
    [ -n "$CAM_PORT" ] || die "camera add $name printed no LISTEN="
}

relay_start_installed_tunnel() {
    sed -n '/^RELAY=/,/^TARGET=/p' "$TMP/add-$1.out" >"$TMP/$1.conf"
    grep '^\[127\.0\.0\.1\]:' "$TMP/add-$1.out" >"$TMP/$1.known_hosts" || die "camera add $1 printed no host key"
    "$CAMRELAY_TUNNEL" --config "$TMP/$1.conf" --identity "$TMP/$1.key" --known-hosts "$TMP/$1.known_hosts" \
        --target "$2" 2>>"$TMP/tunnel-$1.log" &
    TUNNEL_PID=$!
    started "$TUNNEL_PID"
}

relay_start_tunnel() {
    "$CAMRELAY_TUNNEL" --relay "$RELAY_USER@127.0.0.1:$SSHD_PORT" --identity "$TMP/$1.key" \
        --known-hosts "$RELAY_KNOWN_HOSTS" --listen "$2" --target "${3:-127.0.0.1:9}" \
        2>>"$TMP/tunnel-$1.log" &
    TUNNEL_PID=$!
    started "$TUNNEL_PID"
}

relay_tunnel_ssh_pid() {
    local c
    for c in $(children_of "$1"); do
        [ "$(cat "/proc/$c/comm" 2>/dev/null)" = ssh ] && echo "$c" && return 0
    done
    return 1
}

relay_ssh() {
    (SSH_TIMEOUT=20 relay_ssh_bg "$@")
}
relay_ssh_bg() {
    local key=$1 opts=()
    shift
    while [ $# -gt 0 ] && [ "$1" != -- ]; do
        opts+=("$1")
        shift
    done
    [ $# = 0 ] || shift
    exec ${SSH_TIMEOUT:+timeout "$SSH_TIMEOUT"} ssh -F /dev/null -T -o BatchMode=yes -o IdentitiesOnly=yes \
        -o IdentityAgent=none -i "$TMP/$key.key" -o StrictHostKeyChecking=yes \
        -o UserKnownHostsFile="$RELAY_KNOWN_HOSTS" -o GlobalKnownHostsFile=/dev/null -o ConnectTimeout=10 \
        -p "$SSHD_PORT" -l "$RELAY_USER" "${opts[@]}" 127.0.0.1 "$@" </dev/null
}

relay_start_varnish() {
    local port=$1 vmoddir
    shift
    vmoddir=$(pkg-config --variable=vmoddir varnishapi 2>/dev/null || echo /usr/lib/varnish/vmods)
    CAMRELAY_CONFIG=$CAMRELAY_CONFIG start_varnish relay "$port" -f "$SOURCE_DIR/vcl/default.vcl" \
        -p vcl_path="$SOURCE_DIR/vcl" -p vmod_path="$BUILD_DIR/vmod:$vmoddir" "$@"
}

relay_start_haproxy() {
    local listen=$1 port=${1##*:} cfg=${RELAY_HAPROXY_CFG:-$BUILD_DIR/tools/setup/haproxy.cfg} env
    [ "$listen" != "$port" ] || listen=127.0.0.1:$port
    command -v haproxy >/dev/null || die "haproxy is not installed"
    [ -r "$cfg" ] || die "$cfg is not built"
    env=("CAMRELAY_HTTPS_LISTEN=$listen" "CAMRELAY_SSH_SERVER=127.0.0.1:$SSHD_PORT"
        "CAMRELAY_VARNISH_TLS=$2" "CAMRELAY_TLS_DIR=$3" "CAMRELAY_INNER=$TMP/haproxy-tls-$port.sock"
        "CAMRELAY_LOG=stderr")
    env "${env[@]}" haproxy -c -q -f "$cfg" >"$TMP/haproxy-c.out" 2>&1 ||
        die "haproxy -c refused $cfg: $(cat "$TMP/haproxy-c.out")"
    # -dR: no SO_REUSEPORT, so that a port another test took at the same
    # moment makes haproxy fail instead of sharing the port's connections
    env "${env[@]}" haproxy -db -dR -f "$cfg" >>"$TMP/haproxy.log" 2>&1 &
    HAPROXY_PID=$!
    started "$HAPROXY_PID"
    wait_for_port "$port" 10 "$HAPROXY_PID"
}
