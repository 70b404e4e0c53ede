#!/bin/sh
# Compile VCL with varnishd -C, so the shipped files and the manual's
# EXAMPLE never rot.
#   compile_vcl.sh VARNISHD VMOD_PATH WORKDIR VCC_FILE VCL_FILE...
# A complete VCL (one that declares "backend default") is compiled as it is.
# Other files (camrelay.vcl) are meant to be included: each is compiled
# included in a VCL that only adds a backend, with vcc_err_unref=off
# (nothing calls their subroutines there).
set -eu
varnishd=$1 vmod_path=$2 work=$3 vcc=$4
shift 4
rm -rf "$work"
mkdir -p "$work"
fail=0

compile() {  # compile NAME FILE [varnishd args]
	name=$1 file=$2
	shift 2
	if "$varnishd" -C -n "$work/varnishd" -p vmod_path="$vmod_path" "$@" \
	    -f "$file" >"$work/$name.c" 2>"$work/$name.err"; then
		echo "ok   $name"
	else
		echo "FAIL $name"
		cat "$work/$name.err"
		fail=1
	fi
}

for f in "$@"; do
	name=$(basename "$f")
	if grep -Eq '^[[:space:]]*backend[[:space:]]+default[[:space:];{]' "$f"; then
		compile "$name" "$f"
	else
		printf 'vcl 4.1;\nbackend default none;\ninclude "%s";\n' "$f" >"$work/include-$name"
		compile "$name" "$work/include-$name" -p vcc_err_unref=off
	fi
done

# The EXAMPLE section of the manual: the literal block after "EXAMPLE",
# from its "vcl 4.1;" line to the first line that is not indented.
awk '
	/^EXAMPLE$/ { in_example = 1; next }
	in_example && /^    vcl 4\.1;/ { in_code = 1 }
	in_code && /^[^ \t]/ { exit }
	in_code { sub(/^    /, ""); print }
' "$vcc" >"$work/example.vcl"
if ! grep -q "new relay = camrelay.relay" "$work/example.vcl"; then
	echo "FAIL example: no EXAMPLE found in $vcc"
	fail=1
else
	compile example.vcl "$work/example.vcl"
fi
exit $fail
