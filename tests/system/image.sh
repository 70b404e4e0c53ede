#!/usr/bin/env bash
# tests/system/image.sh KIND DIR: prints the path of a bookworm root file
# system for a booted test machine (KIND relay or camera), built with
# mmdebstrap from Debian's archive once and cached under DIR/images/KEY,
# KEY being a hash of its inputs (suite, mirror, package list, this file).
# The machines have no network to the archive: whatever the README's steps
# install from Debian must be in the image already. The relay's packages
# are debian/control's Depends of varnish-camrelay and camrelay, what it
# Recommends (haproxy) and Suggests that the README's steps use (certbot;
# ufw, the firewall camrelay setup prefers).
set -euo pipefail
kind=$1
dir=$2
suite=bookworm
mirror=${CAMRELAY_SYSTEM_MIRROR:-http://deb.debian.org/debian}
common=(systemd systemd-sysv dbus iproute2 procps iputils-ping ca-certificates less)
case $kind in
relay)
	# control: varnish-camrelay Depends varnish-modules; camrelay Depends
	# adduser openssh-server openssl varnish, Recommends haproxy, Suggests
	# certbot, ufw | nftables; checks: curl, ss (iproute2)
	packages=("${common[@]}" varnish varnish-modules adduser openssh-server openssh-client openssl
		haproxy certbot ufw curl)
	;;
camera)
	# camrelay-tunnel Depends adduser openssh-client; the camera stand-in
	# (camrelay-bench from the camrelay package) needs libssl3
	packages=("${common[@]}" adduser openssh-client libssl3)
	;;
*)
	echo "usage: $0 relay|camera DIR" >&2
	exit 2
	;;
esac
key=$( { printf '%s\n' "$kind" "$suite" "$mirror" "${packages[@]}"; cat "$0"; } | sha256sum | cut -c1-16)
root=$dir/images/$kind-$key/root
if [ -e "$root/.complete" ]; then
	printf '%s\n' "$root"
	exit 0
fi
mkdir -p "$dir/images"
tmp=$(mktemp -d "$dir/images/.$kind-$key.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
echo "image: building $kind ($suite, ${#packages[@]} packages) in $dir/images/$kind-$key" >&2
# The archive's package lists stay in the image (apt install of the
# project's .debs resolves their dependencies from what is installed).
mmdebstrap --variant=minbase --skip=cleanup/apt/lists --include="$(IFS=,; echo "${packages[*]}")" \
	"$suite" "$tmp/root" "$mirror" >"$tmp/mmdebstrap.log" 2>&1 || {
	tail -n 30 "$tmp/mmdebstrap.log" >&2
	exit 1
}
# Stock machine settings a server has: a machine id made at first boot,
# no getty on a console nobody reads.
: >"$tmp/root/etc/machine-id"
rm -f "$tmp/root/etc/systemd/system/getty.target.wants/"*
touch "$tmp/root/.complete"
rm -rf "$dir/images/$kind-$key"
mv "$tmp" "$dir/images/$kind-$key"
trap - EXIT
printf '%s\n' "$dir/images/$kind-$key/root"
