#!/usr/bin/env bash
# The sshd drop-in as sshd itself reads it (sshd -T): for the forwarding
# account every restriction applies, even though the global lines after the
# Include (as in Debian's sshd_config) say otherwise; other accounts keep
# the global settings. And the account camrelay-ssh-setup made.
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"

need_sshd
relay_setup

effective() {
	"$SSHD" -T -f "$TMP/sshd_config" -C "user=$1,host=camera.example,addr=192.0.2.7,laddr=127.0.0.1,lport=$SSHD_PORT"
}
effective "$RELAY_USER" >"$TMP/account.txt" || die "sshd -T for the account failed"
effective root >"$TMP/root.txt" || die "sshd -T for root failed"

expect() {
	_file=$1
	shift
	if grep -qixF -- "$*" "$_file"; then
		ok "${_file##*/}: $*"
	else
		fail "${_file##*/}: want '$*', got '$(grep -i "^${1%% *} " "$_file")'"
	fi
}
A=$TMP/account.txt
expect "$A" "authorizedkeysfile $AUTH_KEYS"
expect "$A" "authenticationmethods publickey"
expect "$A" "passwordauthentication no"
expect "$A" "kbdinteractiveauthentication no"
expect "$A" "hostbasedauthentication no"
expect "$A" "allowtcpforwarding remote"
expect "$A" "permitopen none"
expect "$A" "permitlisten 127.0.0.1:*"
expect "$A" "gatewayports no"
expect "$A" "allowstreamlocalforwarding no"
expect "$A" "allowagentforwarding no"
expect "$A" "x11forwarding no"
expect "$A" "permittunnel no"
expect "$A" "permittty no"
expect "$A" "permituserrc no"
expect "$A" "maxsessions 1"
expect "$A" "clientaliveinterval 1"
expect "$A" "clientalivecountmax 2"
expect "$A" "ipqos af41 af41"
# other accounts: untouched
R=$TMP/root.txt
expect "$R" "x11forwarding yes"
expect "$R" "allowtcpforwarding yes"
expect "$R" "permittty yes"
expect "$R" "authorizedkeysfile .ssh/authorized_keys .ssh/authorized_keys2"
# the shipped file's own timing values (the test shortens the interval)
grep -q '^[[:space:]]*ClientAliveInterval 5$' "$CAMRELAY_DROPIN" &&
	grep -q '^[[:space:]]*ClientAliveCountMax 2$' "$CAMRELAY_DROPIN" &&
	ok "shipped drop-in: ClientAliveInterval 5, ClientAliveCountMax 2" || fail "shipped ClientAlive values"

# the account made by camrelay-ssh-setup
IFS=: read -r _name _pw _uid _gid _gecos home shell <<EOF
$(getent passwd "$RELAY_USER")
EOF
[ "$home" = / ] && ok "account home: / (not writable by it)" || fail "home '$home'"
[ "$shell" = "$CAMRELAY_SESSION" ] && ok "account shell: camrelay-session" || fail "shell '$shell'"
pw=$(getent shadow "$RELAY_USER" | cut -d: -f2)
[ "$pw" = "*" ] && ok "password field '*': no password, not locked" || fail "password field '$pw'"
[ "$_uid" -lt 1000 ] && ok "system account (uid $_uid)" || fail "uid $_uid"
[ "$(stat -c '%U %a' "$AUTH_KEYS")" = "root 644" ] && ok "authorized_keys root-owned 0644" ||
	fail "authorized_keys: $(stat -c '%U %a' "$AUTH_KEYS")"
[ "$(stat -c '%U %a' "${AUTH_KEYS%/*}")" = "root 755" ] && ok "its directory root-owned 0755" ||
	fail "ssh dir: $(stat -c '%U %a' "${AUTH_KEYS%/*}")"
# running setup again changes nothing and does not fail
"$CAMRELAY_SSH_SETUP" --user "$RELAY_USER" --config-dir "$CAMRELAY_CONFIG" --session "$CAMRELAY_SESSION" >/dev/null 2>&1 &&
	ok "camrelay-ssh-setup runs again" || fail "second camrelay-ssh-setup failed"

# the session program, run by hand, refuses to be a shell
out=$("$CAMRELAY_SESSION" -c "/bin/sh -c id" 2>&1) && fail "session program ran '-c /bin/sh -c id'"
case $out in
	*uid=*) fail "session program ran a command: $out" ;;
	*) ok "camrelay-session -c '/bin/sh -c id': $out" ;;
esac
out=$(SSH_ORIGINAL_COMMAND=id "$CAMRELAY_SESSION" cam1 20001 2>&1) && fail "session program ran with a client command"
case $out in
	*"only carries camera tunnels"*) ok "client command refused: $out" ;;
	*) fail "client command: $out" ;;
esac

kit_finish
