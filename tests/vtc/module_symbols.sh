#!/bin/sh
# The module varnishd loads holds camrelay_core only, never the admin
# library (config editing, atomic writes, SSH access), and exports nothing
# but its VMOD descriptor.
#   module_symbols.sh NM MODULE ADMIN_ARCHIVE
# MODULE is libvmod_camrelay.so, ADMIN_ARCHIVE libcamrelay_admin.a. The
# version script hides every symbol from the dynamic table, so the module's
# full symbol table (.symtab, `nm` without -D) is searched: for the admin
# functions named below, and for every function the admin archive defines.
set -eu
nm=$1 module=$2 admin=$3
fail=0

# The demangled names of the symbols FILE defines whose nm type letter is
# one of TYPES (address and type removed), sorted and unique.
names() {  # names FILE TYPES
	"$nm" -C --defined-only "$1" | sed -n "s/^[0-9a-fA-F]* [$2] //p" | LC_ALL=C sort -u
}

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

names "$module" A-Za-z >"$work/module"
if ! grep -q 'Vmod_camrelay_Data' "$work/module"; then
	echo "FAIL $module has no symbol table (stripped?): nothing to check"
	exit 1
fi

# Admin functions by name, whatever their signature.
for f in registry_add_camera registry_remove_camera registry_set_default \
    registry_set_option format_camera_line format_secret_line secrets_add \
    secrets_set_primary secrets_remove write_file_atomically \
    parse_ssh_public_key format_authorized_key parse_authorized_keys \
    authorized_keys_add authorized_keys_remove authorized_keys_path \
    camera_with_ssh_key pick_tunnel_port close_camera_sessions \
    format_tunnel_config format_known_hosts_line; do
	if grep -q "camrelay::$f(" "$work/module"; then
		echo "FAIL admin function in the module: $(grep "camrelay::$f(" "$work/module" | head -n 1)"
		fail=1
	fi
done

# Every function the admin archive itself defines (T: global, not weak; a
# weak W is an inline function any object may carry), by its full signature.
names "$admin" T | grep '^camrelay::' >"$work/admin" || true
if ! grep -q '^camrelay::write_file_atomically(' "$work/admin"; then
	echo "FAIL $admin does not define camrelay::write_file_atomically: wrong archive?"
	fail=1
fi
LC_ALL=C comm -12 "$work/module" "$work/admin" >"$work/both"
if [ -s "$work/both" ]; then
	echo "FAIL the module holds admin code:"
	sed 's/^/     /' "$work/both"
	fail=1
fi

# The dynamic table: Vmod_camrelay_Data and nothing else of ours.
"$nm" -D --defined-only "$module" | awk '{ print $NF }' | LC_ALL=C sort -u >"$work/dynamic"
if [ "$(cat "$work/dynamic")" != "Vmod_camrelay_Data" ]; then
	echo "FAIL the module exports more than Vmod_camrelay_Data:"
	sed 's/^/     /' "$work/dynamic"
	fail=1
fi

if [ "$fail" = 0 ]; then
	echo "ok   no admin symbol among $(wc -l <"$work/module") in the module ($(wc -l <"$work/admin") admin functions checked); only Vmod_camrelay_Data exported"
fi
exit "$fail"
