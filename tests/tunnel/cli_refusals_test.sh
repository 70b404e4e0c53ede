#!/usr/bin/env bash
# `camrelay camera add --ssh-key` refuses bad input with a clear message and
# leaves authorized_keys and cameras.conf byte for byte as they were; a good
# add keeps every other line; remove gives back the exact earlier bytes.
# No sshd needed.
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"

HOSTKEY=$TMP/hostkey
ssh-keygen -q -t ed25519 -N '' -C relay -f "$HOSTKEY" || die "ssh-keygen"
mkdir -p "$CAMRELAY_CONFIG/ssh"
AUTH_KEYS=$CAMRELAY_CONFIG/ssh/authorized_keys
CAMERAS=$CAMRELAY_CONFIG/cameras.conf

add() {
	cam camera add "$@" --relay relay.example.com --relay-host-key "$HOSTKEY.pub"
}

# Hand-written lines that must survive every edit.
printf '# operator keys: keep\nssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIMUJW1cH4xlluWz12pR3IYy6pmXUeC5Xr+CcckoUyU91 op@laptop\n' >"$AUTH_KEYS"
printf '# cameras\ncamera legacy port=20000\n' >"$CAMERAS"
ssh-keygen -q -t ed25519 -N '' -C cam1 -f "$TMP/cam1" || die "ssh-keygen"
add cam1 --ssh-key "$TMP/cam1.pub" >"$TMP/add1.out" 2>&1 || die "first add: $(cat "$TMP/add1.out")"
P1=$(sed -n 's/^LISTEN=//p' "$TMP/add1.out")
[ "$P1" = 20001 ] && ok "free port picked: 20001 (20000 is another camera's)" || fail "picked port '$P1'"
grep -q "^camera cam1 port=$P1 ssh-key=ssh-ed25519 " "$CAMERAS" && ok "ssh-key= stored in cameras.conf" ||
	fail "cameras.conf: $(cat "$CAMERAS")"
printf '# operator keys: keep\nssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIMUJW1cH4xlluWz12pR3IYy6pmXUeC5Xr+CcckoUyU91 op@laptop\n' >"$TMP/keep"
head -n 2 "$AUTH_KEYS" | cmp -s - "$TMP/keep" && ok "other authorized_keys lines kept" || fail "other lines changed"
line=$(sed -n 3p "$AUTH_KEYS")
case $line in
	"restrict,port-forwarding,permitlisten=\"127.0.0.1:$P1\",command=\"$CAMRELAY_SESSION cam1 $P1\" ssh-ed25519 "*" camrelay-camera=cam1")
		ok "camera line: $line" ;;
	*) fail "camera line: $line" ;;
esac
grep -q '^\[relay.example.com\]' "$TMP/add1.out" && fail "port 22 written as [host]:22"
grep -q "^relay.example.com ssh-ed25519 " "$TMP/add1.out" && ok "known_hosts line printed" || fail "no known_hosts line"

cp "$AUTH_KEYS" "$TMP/ak.before"
cp "$CAMERAS" "$TMP/cc.before"

# refused CASE EXPECTED-TEXT camrelay-camera-add-args...
refused() {
	_what=$1
	_expect=$2
	shift 2
	if add "$@" >"$TMP/refused.out" 2>&1; then
		fail "$_what: accepted"
	elif ! grep -q -- "$_expect" "$TMP/refused.out"; then
		fail "$_what: message '$(cat "$TMP/refused.out")' lacks '$_expect'"
	elif ! cmp -s "$AUTH_KEYS" "$TMP/ak.before" || ! cmp -s "$CAMERAS" "$TMP/cc.before"; then
		fail "$_what: a file changed"
	else
		ok "$_what refused, files unchanged: $(head -n 1 "$TMP/refused.out")"
	fi
}

ssh-keygen -q -t ed25519 -N '' -C cam2 -f "$TMP/cam2" || die "ssh-keygen"
printf 'not a key\n' >"$TMP/garbage.pub"
refused "garbage key" "unknown key type" cam2 --ssh-key "$TMP/garbage.pub"
refused "private key" "private key" cam2 --ssh-key "$TMP/cam2"
{ printf 'command="/bin/sh" '; cat "$TMP/cam2.pub"; } >"$TMP/opts.pub"
refused "key with options" "options are not accepted" cam2 --ssh-key "$TMP/opts.pub"
cat "$TMP/cam2.pub" "$TMP/cam1.pub" >"$TMP/two.pub"
refused "two keys" "several lines" cam2 --ssh-key "$TMP/two.pub"
sed 's/AAAA/AAAB/' "$TMP/cam2.pub" >"$TMP/mangled.pub"
refused "mangled key data" "key data" cam2 --ssh-key "$TMP/mangled.pub"
refused "missing key file" "No such file" cam2 --ssh-key "$TMP/nonexistent.pub"
sed 's/ cam1$/ another comment/' "$TMP/cam1.pub" >"$TMP/cam1-again.pub"
refused "key of another camera" "already used by camera 'cam1'" cam2 --ssh-key "$TMP/cam1-again.pub"
sed -n 2p "$TMP/keep" >"$TMP/op.pub"
refused "operator's key" "already in authorized_keys" cam2 --ssh-key "$TMP/op.pub"
refused "camera id in use" "already exists" cam1 --ssh-key "$TMP/cam2.pub"
refused "camera id in use (no ssh)" "already exists" legacy --ssh-key "$TMP/cam2.pub"
refused "port of another camera" "already used by camera 'cam1'" cam2 --port "$P1" --ssh-key "$TMP/cam2.pub"
LP=$(free_port)
hold_port "$LP" 60
refused "port something listens on" "already in use on this relay" cam2 --port "$LP" --ssh-key "$TMP/cam2.pub"
refused "privileged port" "1024" cam2 --port 80 --ssh-key "$TMP/cam2.pub"
refused "socket tunnel with a key" "needs a port tunnel" cam2 --socket /run/x.sock --ssh-key "$TMP/cam2.pub"
refused "bad id" "camera id" Cam2 --ssh-key "$TMP/cam2.pub"
refused "--ssh-user without --ssh-key" "only goes with --ssh-key" cam2 --port 20100 --ssh-user camrelay-cam
refused "bad --ssh-user" "not a user name" cam2 --ssh-key "$TMP/cam2.pub" --ssh-user "-oProxyCommand=x"
# a stale line of the same camera id in authorized_keys (hand-edited file)
printf 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBKUwCIXFMtr2F8WXRsX3NDwS8SLcBArfsp4iN1tu2ud camrelay-camera=cam2\n' >>"$AUTH_KEYS"
cp "$AUTH_KEYS" "$TMP/ak.before"
refused "stale authorized_keys line" "already has a key" cam2 --ssh-key "$TMP/cam2.pub"
sed -i '$d' "$AUTH_KEYS"
cp "$AUTH_KEYS" "$TMP/ak.before"

# a good second camera, then its removal gives back the exact bytes
add cam2 --ssh-key "$TMP/cam2.pub" >"$TMP/add2.out" 2>&1 || die "second add: $(cat "$TMP/add2.out")"
P2=$(sed -n 's/^LISTEN=//p' "$TMP/add2.out")
[ "$P2" = 20002 ] && ok "next free port: 20002" || fail "second port '$P2'"
head -c "$(wc -c <"$TMP/ak.before")" "$AUTH_KEYS" | cmp -s - "$TMP/ak.before" &&
	ok "add appends, every earlier byte kept" || fail "add changed earlier bytes"
cam camera remove cam2 >"$TMP/remove.out" 2>&1 || die "remove: $(cat "$TMP/remove.out")"
cmp -s "$AUTH_KEYS" "$TMP/ak.before" && ok "remove: authorized_keys byte for byte as before" ||
	fail "remove left authorized_keys different"
cmp -s "$CAMERAS" "$TMP/cc.before" && ok "remove: cameras.conf byte for byte as before" ||
	fail "remove left cameras.conf different"
mode=$(stat -c %a "$AUTH_KEYS")
[ "$mode" = 644 ] && ok "authorized_keys mode 0644" || fail "authorized_keys mode $mode"

# a port given explicitly that nothing uses is taken as is
add cam3 --port 24567 --ssh-key "$TMP/cam2.pub" >"$TMP/add3.out" 2>&1 && grep -q '^LISTEN=24567$' "$TMP/add3.out" &&
	ok "explicit free port accepted" || fail "explicit port: $(cat "$TMP/add3.out")"

kit_finish
