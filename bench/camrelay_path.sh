# Path (d) of bench/run.sh: camrelay's own relay, sourced by run.sh.
#
#   viewer -> varnishd with vcl/default.vcl and vmod_camrelay (route, key,
#   tunnel and viewer checks; k= stripped) -> 127.0.0.1:LISTEN held by sshd
#   with camrelay's drop-in (tools/tunnel/sshd_config.d/camrelay.conf) for a
#   throwaway forwarding account made by camrelay-ssh-setup -> the camera's
#   camrelay-tunnel -> the camera
#
# The camera and key are made with the camrelay command, as an operator
# would: `camera add --ssh-key`, `key issue`. Everything lives in $TMP and
# the account is removed on exit (THROWAWAY_USER).

CAMRELAY_MODULE=$BUILD_DIR/vmod/libvmod_camrelay.so
CAMRELAY_CLI=$BUILD_DIR/tools/camrelay/camrelay
CAMRELAY_SESSION=$BUILD_DIR/tools/tunnel/camrelay-session
CAMRELAY_SSH_SETUP=$BUILD_DIR/tools/tunnel/camrelay-ssh-setup
CAMRELAY_TUNNEL=$top/tools/tunnel/camrelay-tunnel
CAMRELAY_DROPIN=$top/tools/tunnel/sshd_config.d/camrelay.conf

# Builds what (d) needs; true if it is all there, else CAMRELAY_MISSING says why.
camrelay_path_available() {
    CAMRELAY_MISSING=
    if [ ! -d "$top/vmod" ] || [ ! -d "$top/tools/tunnel" ] || [ ! -f "$top/vcl/default.vcl" ]; then
        CAMRELAY_MISSING="vmod/, vcl/default.vcl or tools/tunnel/ is not in this tree yet"
        return 1
    fi
    [ "$(id -u)" = 0 ] || { CAMRELAY_MISSING="needs root (a throwaway account, sshd)"; return 1; }
    say "(d) building vmod_camrelay, camrelay, camrelay-session"
    cmake --build "$BUILD_DIR" -j2 --target vmod_camrelay camrelay camrelay-session >"$TMP/build-d.log" 2>&1 ||
        say "(d) the build failed: $(grep -m1 -i error "$TMP/build-d.log" || tail -1 "$TMP/build-d.log")"
    local f
    for f in "$CAMRELAY_MODULE" "$CAMRELAY_CLI" "$CAMRELAY_SESSION" "$CAMRELAY_SSH_SETUP" "$CAMRELAY_TUNNEL" \
        "$CAMRELAY_DROPIN"; do
        [ -e "$f" ] || { CAMRELAY_MISSING="${f#"$top"/} is not built or not there yet"; return 1; }
    done
    return 0
}

# Starts sshd, the tunnel and varnishd; sets CAMRELAY_URL (with a key) and
# CAMRELAY_RELAY_PIDS.
camrelay_path_start() {
    export CAMRELAY_CONFIG=$TMP/camrelay-etc
    export CAMRELAY_SESSION_PROGRAM=$CAMRELAY_SESSION
    local cli=("$CAMRELAY_CLI" --config "$CAMRELAY_CONFIG")
    THROWAWAY_USER="crbench$$"
    "$CAMRELAY_SSH_SETUP" --user "$THROWAWAY_USER" --config-dir "$CAMRELAY_CONFIG" --session "$CAMRELAY_SESSION" \
        >"$TMP/ssh-setup.log" 2>&1 || { say "(d) camrelay-ssh-setup: $(cat "$TMP/ssh-setup.log")"; return 1; }
    chmod 0755 "$CAMRELAY_CONFIG"

    local sshd_port
    sshd_port=$(free_port)
    ssh-keygen -q -t ed25519 -N '' -C relay -f "$TMP/camrelay_host_key"
    sed -e "s/^Match User camrelay-cam\$/Match User $THROWAWAY_USER/" \
        -e "s|/etc/camrelay/ssh/authorized_keys|$CAMRELAY_CONFIG/ssh/authorized_keys|" \
        "$CAMRELAY_DROPIN" >"$TMP/camrelay-dropin.conf"
    cat >"$TMP/camrelay_sshd_config" <<CONF
Include $TMP/camrelay-dropin.conf
Port $sshd_port
ListenAddress 127.0.0.1
HostKey $TMP/camrelay_host_key
PidFile $TMP/camrelay_sshd.pid
AllowUsers $THROWAWAY_USER
UsePAM no
KbdInteractiveAuthentication no
PrintMotd no
LogLevel ERROR
CONF
    [ -d /run/sshd ] || mkdir -m 0755 /run/sshd
    /usr/sbin/sshd -t -f "$TMP/camrelay_sshd_config" >"$TMP/camrelay_sshd.log" 2>&1 ||
        { say "(d) sshd -t: $(cat "$TMP/camrelay_sshd.log")"; return 1; }
    /usr/sbin/sshd -D -e -f "$TMP/camrelay_sshd_config" >>"$TMP/camrelay_sshd.log" 2>&1 &
    local sshd_pid=$!
    started $sshd_pid
    wait_for_port "$sshd_port"

    "${cli[@]}" secret new >"$TMP/secret.log" 2>&1 || { say "(d) secret new: $(cat "$TMP/secret.log")"; return 1; }
    ssh-keygen -q -t ed25519 -N '' -C cam1@camera -f "$TMP/cam1.key"
    "${cli[@]}" camera add cam1 --ssh-key "$TMP/cam1.key.pub" --ssh-user "$THROWAWAY_USER" \
        --relay "127.0.0.1:$sshd_port" --relay-host-key "$TMP/camrelay_host_key.pub" >"$TMP/camera-add.out" 2>&1 ||
        { say "(d) camera add: $(cat "$TMP/camera-add.out")"; return 1; }
    local listen
    listen=$(sed -n 's/^LISTEN=//p' "$TMP/camera-add.out")
    grep '^\[127\.0\.0\.1\]:' "$TMP/camera-add.out" >"$TMP/cam1.known_hosts" || true
    [ -n "$listen" ] || { say "(d) camera add printed no LISTEN="; return 1; }

    "$CAMRELAY_TUNNEL" --relay "$THROWAWAY_USER@127.0.0.1:$sshd_port" --identity "$TMP/cam1.key" \
        --known-hosts "$TMP/cam1.known_hosts" --listen "$listen" --target "127.0.0.1:$CAMPORT" \
        2>"$TMP/camrelay-tunnel.log" &
    started $!
    wait_for_port "$listen" 15

    local vd
    vd=$(free_port)
    CAMRELAY_CONFIG=$CAMRELAY_CONFIG start_varnish camrelay "$vd" -f "$top/vcl/default.vcl" -p vcl_path="$top/vcl" \
        -p vmod_path="$BUILD_DIR/vmod:$(pkg-config --variable=vmoddir varnishapi)" -p vsl_mask=-ReqURL \
        -p pipe_timeout=30
    CAMRELAY_URL=$("${cli[@]}" key issue --camera cam1 --ttl 1h --url "ws://127.0.0.1:$vd/cam1/") ||
        { say "(d) key issue failed"; return 1; }
    CAMRELAY_RELAY_PIDS="$VARNISH_PID,$sshd_pid"
    return 0
}
