#!/bin/sh
# Compile VCL with varnishd -C, so the shipped files and the manual's
# EXAMPLE never rot.
#   compile_vcl.sh VARNISHD VMOD_PATH WORKDIR VCC_FILE VCL_FILE...
# VCL files are compiled as they are, except camrelay.vcl: it is meant to be
# included, so it is compiled included in a VCL that only adds a backend,
# with vcc_err_unref=off (nothing calls its subroutines there).
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
	case $(basename "$f") in
	camrelay.vcl)
		printf 'vcl 4.1;\nbackend default none;\ninclude "%s";\n' "$f" >"$work/include-camrelay.vcl"
		compile "$(basename "$f")" "$work/include-camrelay.vcl" -p vcc_err_unref=off ;;
	*) compile "$(basename "$f")" "$f" ;;
	esac
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
