#!/bin/sh
# Runs a vtc suite against a module built with ASan + UBSan
# (CAMRELAY_SANITIZE=ON) and the system's unsanitized varnishd.
#   sanitized.sh RUNTIME VARNISHD COMMAND [ARGS...]
# RUNTIME is the compiler's ASan runtime (clang: libclang_rt.asan-ARCH.so,
# which holds UBSan's too; gcc: libasan.so), VARNISHD the real varnishd.
# COMMAND (varnishtest, compile_vcl.sh) runs with a `varnishd` first in
# PATH that preloads RUNTIME into the real one: the module's instrumented
# code then finds its runtime, and only varnishd and what it starts carry
# it. Every ASan or UBSan report fails the test, whatever the suite saw:
# reports go to files (log_path) that are printed and counted here.
# Leaks are not checked (detect_leaks=0): varnishd's own allocations live
# until exit by design; the core's unit tests check leaks under ASan.
set -eu
runtime=$1 varnishd=$2
shift 2
[ -f "$runtime" ] || {
	echo "sanitized.sh: no sanitizer runtime $runtime" >&2
	exit 2
}
work=$(mktemp -d "${TMPDIR:-/tmp}/camrelay-sanitized-XXXXXX")
trap 'rm -rf "$work"' EXIT
mkdir "$work/bin" "$work/reports"
cat >"$work/bin/varnishd" <<EOF
#!/bin/sh
LD_PRELOAD="$runtime\${LD_PRELOAD:+:\$LD_PRELOAD}" exec "$varnishd" "\$@"
EOF
chmod +x "$work/bin/varnishd"

# Later options win: these override whatever the caller set.
report="log_path=$work/reports/report"
ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0:halt_on_error=1:abort_on_error=1:$report"
UBSAN_OPTIONS="${UBSAN_OPTIONS:+$UBSAN_OPTIONS:}print_stacktrace=1:halt_on_error=1:$report"
PATH="$work/bin:$PATH"
export ASAN_OPTIONS UBSAN_OPTIONS PATH

status=0
"$@" || status=$?
reports=$(find "$work/reports" -type f)
if [ -n "$reports" ]; then
	for r in $reports; do
		echo "== sanitizer report ($r):"
		cat "$r"
	done
	echo "sanitized.sh: $(echo "$reports" | wc -l) sanitizer report(s): FAILED"
	exit 1
fi
exit "$status"
