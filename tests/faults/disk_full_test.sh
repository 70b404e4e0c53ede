#!/usr/bin/env bash
# Fault: the configuration directory's file system is full (a small tmpfs as
# CAMRELAY_CONFIG, filled up) while the operator edits the configuration.
# Expected: each edit fails with exit status 5 and a message that names the
# file and says "No space left on device"; every file stays byte for byte
# as it was, with no temporary file left behind. Also the edit of two files
# (camera add --ssh-key: cameras.conf, then ssh/authorized_keys) with room
# for the first file but not the second: the first is put back as it was.
# Once there is room again the same edits work.
#   disk_full_test.sh BUILD_DIR
set -uo pipefail
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh" "$@"
faults_need cli

PAGE=$(getconf PAGESIZE)
mnt=$TMP/config
mkdir -p "$mnt"
mount -t tmpfs -o size=128k,mode=0755 camrelay-faults "$mnt" 2>"$TMP/mount.err" ||
    skip "cannot mount a tmpfs here: $(cat "$TMP/mount.err")"
unmount() { umount "$mnt" 2>/dev/null || umount -l "$mnt"; }
kit_on_exit unmount
export CAMRELAY_CONFIG=$mnt
ssh-keygen -q -t ed25519 -N '' -C relay-host -f "$TMP/hostkey" || die "ssh-keygen"
# add_ssh ID: camera add --ssh-key with a new key, port and id from ID
add_ssh() {
    ssh-keygen -q -t ed25519 -N '' -C "$1@camera" -f "$TMP/$1.key" <<<y >/dev/null 2>&1 || die "ssh-keygen"
    cam camera add "$1" --port "$2" --ssh-key "$TMP/$1.key.pub" --relay 127.0.0.1:22 \
        --relay-host-key "$TMP/hostkey.pub" --ssh-user camrelay-cam
}
cam secret new >/dev/null || die "secret new"
cam camera add cam1 --port "$(free_port)" >/dev/null || die "camera add cam1"
add_ssh cam2 "$(free_port)" >/dev/null || die "camera add cam2 --ssh-key"
keys_file=$mnt/ssh/authorized_keys
# authorized_keys grown until one more line needs another page
line=$(tail -n 1 "$keys_file" | wc -c)
n=3
while [ $(($(stat -c %s "$keys_file") + line)) -le "$PAGE" ]; do
    add_ssh "cam$n" "$(free_port)" >/dev/null || die "camera add cam$n"
    n=$((n + 1))
done
say "$((n - 1)) cameras; authorized_keys $(stat -c %s "$keys_file") bytes (a line: $line), cameras.conf $(stat -c %s "$mnt/cameras.conf")"
[ $(($(stat -c %s "$mnt/cameras.conf") + 2 * line)) -lt "$PAGE" ] || die "cameras.conf grew past a page: the test needs it in one"

snapshot() { (cd "$mnt" && find . -path ./filler -prune -o -type f -print0 | sort -z | xargs -0 sha256sum); }
snapshot >"$TMP/before"
fill() { dd if=/dev/zero of="$mnt/filler" bs="$PAGE" 2>/dev/null; true; }
fill
say "filled: $(df -k --output=avail "$mnt" | tail -n 1) KiB left"

# refused FILE COMMAND...: the edit fails with status 5, names FILE and the
# full disk, and leaves every file as it was (nothing added either)
refused() {
    local file=$1 out rc t
    shift
    t=$(now_ms)
    out=$("$@" 2>&1)
    rc=$?
    took=$(($(now_ms) - t))
    [ "$1" != cam ] || [ "$took" -le "$slowest" ] || slowest=$took
    say "$*: exit $rc, ${took} ms: $out"
    check "$*: exit 5, '$file: ... No space left on device', files intact" \
        eval '[ "$rc" = 5 ] && grep -q "$mnt/$file: .*No space left on device" <<<"$out" &&
            snapshot | cmp -s - "$TMP/before"'
}
slowest=0
refused cameras.conf cam camera add cam90 --port "$(free_port)"
refused cameras.conf cam camera remove cam1
refused cameras.conf cam camera revoke cam1
refused cameras.conf cam camera default cam1
refused secrets.conf cam secret new
refused secrets.conf cam secret rotate
refused cameras.conf add_ssh cam91 "$(free_port)"
cam key issue --camera cam1 --ttl 1h >/dev/null && ok "keys are still issued (nothing to write)" || fail "key issue on a full disk"

# room for one page: cameras.conf is written, authorized_keys (one page
# more) is not; cameras.conf must be put back
truncate -s "-$PAGE" "$mnt/filler"
refused ssh/authorized_keys add_ssh cam92 "$(free_port)"
check "no temporary file left" eval '[ -z "$(find "$mnt" -name ".*.tmp*")" ]'
check "every file still loads" cam check --user root

# room again: the same edits work
rm -f "$mnt/filler"
check "room again: camera add works" eval 'cam camera add cam90 --port "$(free_port)" >/dev/null && add_ssh cam91 "$(free_port)" >/dev/null'
check "and the files load" cam check --user root

result=PASS
[ "$KIT_FAILED" = 0 ] || result=FAIL
figure "camera add (and 7 other edits) on a full disk (tmpfs)" "no outage: refused within ${slowest} ms; edits work again once there is room" \
    "$result: 'FILE: cannot write: No space left on device', files byte-identical, no temp file; 2-file edit rolled back"
kit_finish
