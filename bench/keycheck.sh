#!/usr/bin/env bash
# What a key check costs varnishd, side by side in one run and one varnishd:
#   nocheck   the relay's request path answering a small synthetic 200,
#             without any key check (the baseline)
#   camrelay  the same with vmod_camrelay's check (relay.decide: route, v1 key,
#             constant-time HMAC-SHA256, tunnel state)
#   digest    the same check written in VCL the do-it-yourself way: regsub
#             to pull e= and k= out of the URL, digest.hmac_sha256 from
#             vmod_digest, then != (not constant-time)
# Each VCL is loaded once; rounds interleave them (vcl.use) so that machine
# noise hits all three alike. Reports requests per second and the ratio to
# nocheck, and the core's per-check cost from core_bench. Writes a section of
# BENCHMARKS.md.
#   bench/keycheck.sh [BUILD_DIR] [--no-write]
#   env: ROUNDS (3), SECONDS_PER_RUN (5), CONNECTIONS (16), BENCHMARKS_FILE
# bench/run.sh runs it at the end.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
write=1
build_arg=
for arg in "$@"; do
  case $arg in
    --no-write) write=0 ;;
    -*) echo "usage: bench/keycheck.sh [BUILD_DIR] [--no-write]" >&2; exit 2 ;;
    *) build_arg=$arg ;;
  esac
done
build=$(cd "${build_arg:-$top/build}" && pwd)
BUILD_DIR=$build
rounds=${ROUNDS:-3}
secs=${SECONDS_PER_RUN:-5}
conns=${CONNECTIONS:-16}
BENCHMARKS_FILE=${BENCHMARKS_FILE:-$top/BENCHMARKS.md}
cli="$build/tools/camrelay/camrelay"
vmoddir=$(pkg-config --variable=vmoddir varnishapi)
for tool in wrk varnishd "$cli"; do
  command -v "$tool" >/dev/null || { echo "keycheck: $tool missing" >&2; exit 2; }
done
[ -f "$vmoddir/libvmod_digest.so" ] || { echo "keycheck: vmod_digest missing (apt-get install varnish-vmod-digest)" >&2; exit 2; }

# shellcheck source=common.sh
source "$top/bench/common.sh"
kit_workdir

cam_port=$(free_port)
port=$(free_port)
conf="$TMP/conf"
mkdir -p "$conf"
"$cli" --config "$conf" secret new --id bench >/dev/null
"$cli" --config "$conf" camera add cam1 --port "$cam_port" >/dev/null
key=$("$cli" --config "$conf" key issue --camera cam1 --ttl 1d)
# Something listens where the tunnel would land, so the check says "up".
python3 -c 'import socket,sys,time; s=socket.socket(); s.bind(("127.0.0.1",int(sys.argv[1]))); s.listen(); time.sleep(86400)' "$cam_port" &
started $!

# The do-it-yourself key: e=EXPIRY&k=hex HMAC-SHA256("secret", "cam1:" EXPIRY).
expiry=4102444800
diy_mac=$(printf 'cam1:%s' "$expiry" | openssl dgst -sha256 -mac HMAC -macopt key:diysecret -r | cut -d' ' -f1)

common='
vcl 4.1;
import std;
import vsthrottle;
backend default none;
sub vcl_synth {
	set resp.http.Content-Type = "text/plain";
	set resp.body = "ok";
	return (deliver);
}
'
# The relay'"'"'s request path up to its decision, with CHECK in its place.
recv() {
  cat <<VCL
sub vcl_recv {
	if (vsthrottle.blocked("camrelay-refusals:" + client.ip, 20, 60s, 120s) > 0s) {
		return (synth(429));
	}
	$1
	return (synth(200));
}
VCL
}
{ echo "$common"; recv ''; } >"$TMP/nocheck.vcl"
{ echo "$common"; echo 'import camrelay;'; echo "sub vcl_init { new relay = camrelay.relay(config_dir = \"$conf\"); }"
  recv 'relay.decide(key = true, viewer = false);
	if (!relay.allowed()) { return (synth(relay.status())); }'; } >"$TMP/camrelay.vcl"
{ echo "$common"; echo 'import digest;'
  recv 'set req.http.x-e = regsub(req.url, "^.*[?&]e=([0-9]+).*$", "\1");
	set req.http.x-k = regsub(req.url, "^.*[?&]k=([0-9a-f]+).*$", "\1");
	if (digest.hmac_sha256("diysecret", "cam1:" + req.http.x-e) != "0x" + req.http.x-k) {
		return (synth(403));
	}'; } >"$TMP/digest.vcl"

# varnishd as a relay runs it (tools/setup/relay-params.sh)
mapfile -t relay_params < <(camrelay_varnishd_params 1000)
start_varnish keycheck "$port" -f "$TMP/nocheck.vcl" -p vmod_path="$build/vmod:$vmoddir" "${relay_params[@]}"
adm() { varnishadm -n "$VARNISH_DIR" "$@" >/dev/null; }
adm vcl.load nocheck_vcl "$TMP/nocheck.vcl"
adm vcl.load camrelay_vcl "$TMP/camrelay.vcl"
adm vcl.load digest_vcl "$TMP/digest.vcl"

declare -A url=(
  [nocheck]="http://127.0.0.1:$port/cam1/?k=$key"
  [camrelay]="http://127.0.0.1:$port/cam1/?k=$key"
  [digest]="http://127.0.0.1:$port/cam1/?e=$expiry&k=$diy_mac"
)
# Every variant must answer 200, or we would measure refusals.
for v in nocheck camrelay digest; do
  adm vcl.use "${v}_vcl"
  code=$(curl -s -o /dev/null -w '%{http_code}' "${url[$v]}")
  [ "$code" = 200 ] || { echo "keycheck: $v answers $code, not 200" >&2; exit 1; }
done

declare -A runs=()
for r in $(seq "$rounds"); do
  for v in nocheck camrelay digest; do
    adm vcl.use "${v}_vcl"
    rps=$(wrk -t1 -c"$conns" -d"${secs}s" "${url[$v]}" | awk '/^Requests\/sec/ {print $2}')
    runs[$v]="${runs[$v]:-} $rps"
    echo "round $r  $v  $rps req/s"
  done
done
median() { tr ' ' '\n' | grep . | sort -g | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
base=$(median <<<"${runs[nocheck]}")
table="| VCL | median req/s | runs | vs. no check |
|---|---|---|---|"
for v in nocheck camrelay digest; do
  m=$(median <<<"${runs[$v]}")
  ratio=$(awk -v a="$m" -v b="$base" 'BEGIN {printf "%.1f%%", 100 * a / b}')
  table+="
| $v | $m |${runs[$v]} | $ratio |"
done

# The core's own cost per check (Google Benchmark), if it was built.
core=""
if [ -x "$build/tests/core/core_bench" ]; then
  core=$("$build/tests/core/core_bench" --benchmark_filter='CheckKey|Decide' --benchmark_repetitions=3 \
    --benchmark_report_aggregates_only=true 2>/dev/null | awk '/_median/ {print "| " $1 " | " $4 " " $5 " |"}')
fi

section="<!-- keycheck:begin (bench/keycheck.sh writes this section) -->
## What a key check costs

$(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(varnishd -V 2>&1 | head -1).
Command: \`bench/keycheck.sh\` (wrk -t1 -c$conns -d${secs}s per run, $rounds interleaved rounds, one varnishd, \`vcl.use\` between runs).

$table
${core:+
Per check in the core (\`core_bench\`, median of 3, CPU time):

| benchmark | time |
|---|---|
$core}
<!-- keycheck:end -->"
publish_section keycheck "$section"
