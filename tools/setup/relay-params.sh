# shellcheck shell=sh
# The varnishd arguments of a camrelay relay, beyond its listen addresses,
# VCL, management address and secret, and the connections haproxy takes on
# the https port: the one place they are written.
# camrelay setup reads the installed copy (in camrelay's data directory,
# /usr/share/camrelay/relay-params.sh); tools/dev/demo.sh, the test kit's
# relay fixture (tests/lib/relay_fixture.sh: the tunnel and e2e tests),
# tests/packaging (which checks the installed relay against it) and
# bench/*.sh read this one. POSIX sh, sourced; defines two functions and
# does nothing else.
#
#   camrelay_varnishd_params MAX_VIEWERS
#       prints the arguments, one word per line (bash: mapfile -t ARRAY)
#   camrelay_https_connections MAX_VIEWERS
#       prints how many connections haproxy takes on the https port at once
#       (CAMRELAY_MAXCONN of haproxy.cfg)
#
# Worker threads: each piped viewer holds one for its whole life, so every
# pool gets room for all viewers plus other traffic (vmod_camrelay(3),
# PITFALLS). pipe_sess_max: past MAX_VIEWERS pipes a viewer gets a 503 at
# once, and page loads and ACME checks still find a thread; without it they
# wait for a pipe to end (BENCHMARKS.md, "Tuning"; bench/load.sh --tuning
# measures these). Camera pages (no key) need threads too, bounded for all
# cameras together by the relay's page_connections_total (default 40; each
# holds a client and a fetch thread): at most 80, whatever an attacker
# sends and however many cameras there are (more get 503 busy or 429 at
# once, threadless). The 100 threads above MAX_VIEWERS hold them with room;
# raise both together (vmod_camrelay(3), PITFALLS; BENCHMARKS.md, "A dead
# camera"). pipe_timeout=30 and vsl_mask=-ReqURL: see
# vcl/default.vcl. The cache itself stores nothing of a relay's traffic
# (pipe and pass): 64 MB of malloc storage is plenty.

camrelay_varnishd_params() {
	_crp_max=$(($1 + 100))
	[ "$_crp_max" -ge 500 ] || _crp_max=500
	printf '%s\n' \
		-p vsl_mask=-ReqURL \
		-p pipe_timeout=30 \
		-p thread_pools=2 \
		-p thread_pool_min=50 \
		-p "thread_pool_max=$_crp_max" \
		-p "pipe_sess_max=$1" \
		-s malloc,64m
	unset _crp_max
}

# The https port carries viewers (past MAX_VIEWERS varnishd answers 503
# itself, which needs the connection), page loads and ACME checks (the same
# 100 as the spare threads above) and cameras' tunnels on port 443 (room
# for as many as viewers). Past it, new connections wait in the kernel's
# queue. A TLS connection is two inside haproxy: its own limit is twice this.
camrelay_https_connections() {
	echo $((2 * $1 + 100))
}
