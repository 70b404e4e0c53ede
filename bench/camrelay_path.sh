# shellcheck shell=bash
# camrelay's own relay, path (d) of bench/run.sh and the relay of
# bench/load.sh; sourced after bench/common.sh.
#
#   viewer -> varnishd with vcl/default.vcl and vmod_camrelay (route, key,
#   tunnel and viewer checks; k= stripped) -> 127.0.0.1:LISTEN held by sshd
#   with camrelay's drop-in (tools/tunnel/sshd_config.d/camrelay.conf) for a
#   throwaway forwarding account made by camrelay-ssh-setup -> the camera's
#   camrelay-tunnel -> the camera
#
# Cameras and keys are made with the camrelay command, as an operator
# would: `camera add --ssh-key`, `key issue`. Everything lives in $TMP and
# the account is removed on exit (THROWAWAY_USER).
#
#   camrelay_path_available        builds what is needed, or says what is missing
#   camrelay_relay_start [LINE...] the account, a signing secret, sshd (LINEs
#                                  go into its sshd_config)
#   camrelay_camera_add ID CAMPORT [MAX_VIEWERS]
#                                  registers a camera with its own SSH key
#   camrelay_tunnel_start ID       its camrelay-tunnel, not waited for
#   camrelay_varnish_start PORT [VARNISHD_ARG...]
#                                  varnishd with default.vcl and the module
#   camrelay_setup_params N        what `camrelay setup --max-viewers N` adds
#   camrelay_path_start            all of it for one camera (run.sh's (d))

CAMRELAY_MODULE=$BUILD_DIR/vmod/libvmod_camrelay.so
CAMRELAY_CLI=$BUILD_DIR/tools/camrelay/camrelay
CAMRELAY_SESSION=$BUILD_DIR/tools/tunnel/camrelay-session
CAMRELAY_SSH_SETUP=$BUILD_DIR/tools/tunnel/camrelay-ssh-setup
CAMRELAY_TUNNEL=$top/tools/tunnel/camrelay-tunnel
CAMRELAY_DROPIN=$top/tools/tunnel/sshd_config.d/camrelay.conf

# The varnishd parameters the shipped VCL is written for (vcl/camrelay.vcl).
CAMRELAY_VARNISH_PARAMS=(-p vsl_mask=-ReqURL -p pipe_timeout=30)

# camrelay_setup_params N: the worker thread and pipe parameters that
# `camrelay setup --max-viewers N` gives varnishd (tools/setup/camrelay-setup.in:
# keep the two in step; bench/load.sh --tuning measures them).
camrelay_setup_params() {
    local max=$(($1 + 100))
    [ "$max" -ge 500 ] || max=500
    echo "-p thread_pools=2 -p thread_pool_min=50 -p thread_pool_max=$max -p pipe_sess_max=$1"
}

# Builds what (d) needs; true if it is all there, else CAMRELAY_MISSING says why.
camrelay_path_available() {
    CAMRELAY_MISSING=
    if [ ! -d "$top/vmod" ] || [ ! -d "$top/tools/tunnel" ] || [ ! -f "$top/vcl/default.vcl" ]; then
        CAMRELAY_MISSING="vmod/, vcl/default.vcl or tools/tunnel/ is not in this tree yet"
        return 1
    fi
    [ "$(id -u)" = 0 ] || { CAMRELAY_MISSING="needs root (a throwaway account, sshd)"; return 1; }
    if [ "${NO_BUILD:-0}" != 1 ]; then
        say "building vmod_camrelay, camrelay, camrelay-session"
        cmake --build "$BUILD_DIR" -j2 --target vmod_camrelay camrelay camrelay-session >"$TMP/build-d.log" 2>&1 ||
            say "the build failed: $(grep -m1 -i error "$TMP/build-d.log" || tail -1 "$TMP/build-d.log")"
    fi
    local f
    for f in "$CAMRELAY_MODULE" "$CAMRELAY_CLI" "$CAMRELAY_SESSION" "$CAMRELAY_SSH_SETUP" "$CAMRELAY_TUNNEL" \
        "$CAMRELAY_DROPIN"; do
        [ -e "$f" ] || { CAMRELAY_MISSING="${f#"$top"/} is not built or not there yet"; return 1; }
    done
    return 0
}

camrelay_cli() { "$CAMRELAY_CLI" --config "$CAMRELAY_CONFIG" "$@"; }

# Sets CAMRELAY_SSHD_PORT and CAMRELAY_SSHD_PID.
camrelay_relay_start() {
    export CAMRELAY_CONFIG=$TMP/camrelay-etc
    export CAMRELAY_SESSION_PROGRAM=$CAMRELAY_SESSION
    THROWAWAY_USER="crbench$$"
    "$CAMRELAY_SSH_SETUP" --user "$THROWAWAY_USER" --config-dir "$CAMRELAY_CONFIG" --session "$CAMRELAY_SESSION" \
        >"$TMP/ssh-setup.log" 2>&1 || { say "camrelay-ssh-setup: $(cat "$TMP/ssh-setup.log")"; return 1; }
    chmod 0755 "$CAMRELAY_CONFIG"
    camrelay_cli secret new >"$TMP/secret.log" 2>&1 || { say "secret new: $(cat "$TMP/secret.log")"; return 1; }

    CAMRELAY_SSHD_PORT=$(free_port)
    ssh-keygen -q -t ed25519 -N '' -C relay -f "$TMP/camrelay_host_key"
    sed -e "s/^Match User camrelay-cam\$/Match User $THROWAWAY_USER/" \
        -e "s|/etc/camrelay/ssh/authorized_keys|$CAMRELAY_CONFIG/ssh/authorized_keys|" \
        "$CAMRELAY_DROPIN" >"$TMP/camrelay-dropin.conf"
    {
        echo "Include $TMP/camrelay-dropin.conf"
        cat <<CONF
Port $CAMRELAY_SSHD_PORT
ListenAddress 127.0.0.1
HostKey $TMP/camrelay_host_key
PidFile $TMP/camrelay_sshd.pid
AllowUsers $THROWAWAY_USER
UsePAM no
KbdInteractiveAuthentication no
PrintMotd no
LogLevel ERROR
CONF
        [ $# = 0 ] || printf '%s\n' "$@"
    } >"$TMP/camrelay_sshd_config"
    [ -d /run/sshd ] || mkdir -m 0755 /run/sshd
    /usr/sbin/sshd -t -f "$TMP/camrelay_sshd_config" >"$TMP/camrelay_sshd.log" 2>&1 ||
        { say "sshd -t: $(cat "$TMP/camrelay_sshd.log")"; return 1; }
    /usr/sbin/sshd -D -e -f "$TMP/camrelay_sshd_config" >>"$TMP/camrelay_sshd.log" 2>&1 &
    CAMRELAY_SSHD_PID=$!
    started $CAMRELAY_SSHD_PID
    wait_for_port "$CAMRELAY_SSHD_PORT"
}

# camrelay_camera_add ID CAMPORT [MAX_VIEWERS]: the camera's key pair
# ($TMP/ID.key), its registration, and its camrelay-tunnel settings; sets
# CAMRELAY_LISTEN (its port on the relay).
camrelay_camera_add() {
    local id=$1 camport=$2 max_viewers=${3:-2}
    ssh-keygen -q -t ed25519 -N '' -C "$id@camera" -f "$TMP/$id.key"
    camrelay_cli camera add "$id" --ssh-key "$TMP/$id.key.pub" --ssh-user "$THROWAWAY_USER" \
        --max-viewers "$max_viewers" --relay "127.0.0.1:$CAMRELAY_SSHD_PORT" \
        --relay-host-key "$TMP/camrelay_host_key.pub" >"$TMP/$id.add.out" 2>&1 ||
        { say "camera add $id: $(cat "$TMP/$id.add.out")"; return 1; }
    CAMRELAY_LISTEN=$(sed -n 's/^LISTEN=//p' "$TMP/$id.add.out")
    [ -n "$CAMRELAY_LISTEN" ] || { say "camera add $id printed no LISTEN="; return 1; }
    grep '^\[127\.0\.0\.1\]:' "$TMP/$id.add.out" >"$TMP/$id.known_hosts" || true
    printf '%s %s\n' "$CAMRELAY_LISTEN" "$camport" >"$TMP/$id.ports"
}

# camrelay_tunnel_start ID: the camera's camrelay-tunnel, in the background;
# sets CAMRELAY_TUNNEL_PID.
camrelay_tunnel_start() {
    local id=$1 listen camport
    read -r listen camport <"$TMP/$id.ports"
    "$CAMRELAY_TUNNEL" --relay "$THROWAWAY_USER@127.0.0.1:$CAMRELAY_SSHD_PORT" --identity "$TMP/$id.key" \
        --known-hosts "$TMP/$id.known_hosts" --listen "$listen" --target "127.0.0.1:$camport" \
        2>"$TMP/$id.tunnel.log" &
    CAMRELAY_TUNNEL_PID=$!
    started $CAMRELAY_TUNNEL_PID
}

# camrelay_varnish_start PORT [VARNISHD_ARG...]: sets VARNISH_PID.
camrelay_varnish_start() {
    local port=$1
    shift
    CAMRELAY_CONFIG=$CAMRELAY_CONFIG start_varnish camrelay "$port" -f "$top/vcl/default.vcl" -p vcl_path="$top/vcl" \
        -p vmod_path="$BUILD_DIR/vmod:$(pkg-config --variable=vmoddir varnishapi)" "${CAMRELAY_VARNISH_PARAMS[@]}" "$@"
}

# One camera on $CAMPORT; sets CAMRELAY_URL (with a key) and CAMRELAY_RELAY_PIDS.
camrelay_path_start() {
    camrelay_relay_start || return 1
    camrelay_camera_add cam1 "$CAMPORT" || return 1
    camrelay_tunnel_start cam1
    wait_for_port "$CAMRELAY_LISTEN" 15

    local vd
    vd=$(free_port)
    # shellcheck disable=SC2046  # a list of options
    camrelay_varnish_start "$vd" $(camrelay_setup_params 1000)
    CAMRELAY_URL=$(camrelay_cli key issue --camera cam1 --ttl 1h --url "ws://127.0.0.1:$vd/cam1/") ||
        { say "key issue failed"; return 1; }
    CAMRELAY_RELAY_PIDS="$VARNISH_PID,$CAMRELAY_SSHD_PID"
    return 0
}
