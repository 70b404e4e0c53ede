#!/usr/bin/env bash
# The Debian packages, built, installed and used as an admin would, on this
# machine, loopback only:
#   build     dpkg-buildpackage in a copy of the tree (the checkout stays
#             clean), lintian without errors; a second version (+test2)
#   install   apt-get install ./*.deb: account, /etc/camrelay, modes
#   vtc       tests/vtc against the installed module (system vmoddir only)
#             and the installed VCL
#   setup     camrelay setup with a certificate from a test CA on high
#             ports; a second run changes nothing
#   relay     a camera (camera add --ssh-key) behind camrelay-tunnel and the
#             forwarding account: wss:// through haproxy, ws:// on the HTTP
#             port, a wrong key gets 403, page loads redirect to https;
#             the camera's key reaches the forwarding account's sshd on the
#             https port, with plain SSH and with SSH inside TLS
#   browser   headless Chromium loads the camera's page over https through
#             the relay, its wss:// WebSocket exchanges binary messages; a
#             wrong key is refused
#   certbot   the deploy hook installs a renewed certificate, haproxy reloads
#             and keeps an open viewer
#   hitch     a relay set up while hitch served https: setup stops hitch
#             (and under systemd disables it and removes its drop-in)
#   upgrade   the second version installed over the first: registry,
#             secrets and issued keys keep working
#   purge     removes what the packages created, and nothing else
#
# Needs root (it installs packages and creates system accounts): otherwise
# it prints why and exits 77 (skipped). Restores the machine at the end.
#   tests/packaging/packaging_test.sh [SOURCE_DIR]
# Environment: PKG_TEST_KEEP=1 (or KEEP_TEST_DIR=1) keeps the work directory.
set -uo pipefail

src=$(cd "${1:-$(dirname "$0")/../..}" && pwd)
here=$src/tests/packaging
# shellcheck source=../lib/kit.sh
source "$src/tests/lib/kit.sh"
# shellcheck source=../../tools/setup/relay-params.sh
. "$src/tools/setup/relay-params.sh"

[ "$(id -u)" = 0 ] || skip "they install packages and create system accounts, run as root"
for tool in dpkg-buildpackage apt-get lintian haproxy varnishtest node chromium openssl ssh ssh-keygen curl; do
	command -v "$tool" >/dev/null 2>&1 || skip "$tool is missing (tools/dev/install-deps.sh installs it)"
done
if [ ! -d "$here/node_modules/playwright-core" ] || [ ! -d "$src/tests/e2e/node_modules/ws" ]; then
	skip "node modules missing (npm ci in tests/packaging and tests/e2e; tools/dev/install-deps.sh does it)"
fi
if dpkg-query -W -f='${Status}' camrelay 2>/dev/null | grep -q 'ok installed'; then
	skip "camrelay is already installed on this machine; these tests install and purge it themselves"
fi

# Loopback ports of this test.
HTTP_PORT=${PKG_TEST_HTTP_PORT:-28480}
HTTPS_PORT=$((HTTP_PORT + 1))
SSH_PORT=$((HTTP_PORT + 2))
CAMERA_PORT=$((HTTP_PORT + 3))
TUNNEL_PORT=$((HTTP_PORT + 4))

[ "${PKG_TEST_KEEP:-0}" != 1 ] || KEEP_TEST_DIR=1
kit_workdir
work=$TMP
log=$work/log
mkdir -p "$log"
packages=(camrelay varnish-camrelay camrelay-tunnel)

# At exit, after the kit stopped our processes (camera, tunnel): what the
# packages and setup started and created, and the sentinels.
restore_machine() {
	if [ -x /usr/libexec/camrelay/camrelay-setup ]; then
		/usr/libexec/camrelay/camrelay-setup --stop >/dev/null 2>&1
	fi
	if dpkg-query -W -f='${Status}' camrelay 2>/dev/null | grep -q installed ||
		dpkg-query -W -f='${Status}' varnish-camrelay camrelay-tunnel 2>/dev/null | grep -q installed; then
		DEBIAN_FRONTEND=noninteractive apt-get purge -y -qq "${packages[@]}" >/dev/null 2>&1
	fi
	rm -f /etc/ssh/sshd_config.d/zz-camrelay-test-sentinel.conf /etc/varnish/camrelay-test-sentinel
	rm -f /etc/camrelay-tunnel/zz-packaging-test.key
	rmdir /etc/camrelay-tunnel 2>/dev/null
}
kit_on_exit restore_machine

# ------------------------------------------------------------------ build

build_dir=$work/build/camrelay
mkdir -p "$build_dir"
# The tree as git sees it (tracked and new files, not ignored ones).
(cd "$src" && git ls-files -co --exclude-standard -z | grep -zv -e '^build' -e '/node_modules/' |
	xargs -0 cp --parents -t "$build_dir") || die "copy the source tree"

build_packages() {
	(cd "$build_dir" && dpkg-buildpackage -us -uc -b -j2 "$@")
}
if ! check "build: dpkg-buildpackage -us -uc -b" build_packages; then
	exit 1
fi
mkdir -p "$work/v1"
mv "$work/build"/*.deb "$work/build"/*.changes "$work/build"/*.buildinfo "$work/v1/"
version1=$(dpkg-deb -f "$work"/v1/camrelay_*.deb Version)

lintian_clean() {
	lintian --fail-on error "$work"/v1/*.changes
}
check "build: lintian reports no errors" lintian_clean
check "build: the checkout is untouched" bash -c "cd '$src' && [ ! -e debian/tmp ] && [ ! -e debian/.debhelper ] && ! ls -d obj-* 2>/dev/null"

module_depends() {
	local abi module tools tunnel
	abi=$(sed -n 's/^#define VMOD_ABI_Version "Varnish [^ ]* \([0-9a-f]*\)"/\1/p' /usr/include/varnish/vmod_abi.h)
	module=$(dpkg-deb -c "$work"/v1/varnish-camrelay_*.deb)
	tools=$(dpkg-deb -c "$work"/v1/camrelay_*.deb)
	tunnel=$(dpkg-deb -c "$work"/v1/camrelay-tunnel_*.deb)
	dpkg-deb -f "$work"/v1/varnish-camrelay_*.deb Depends | grep "varnishabi-strict-$abi" &&
		grep 'vmods/libvmod_camrelay.so$' <<<"$module" &&
		grep 'share/camrelay/vcl/default.vcl$' <<<"$module" &&
		grep 'man3/vmod_camrelay.3.gz$' <<<"$module" &&
		grep './usr/bin/camrelay$' <<<"$tools" &&
		grep './usr/bin/camrelay-bench$' <<<"$tools" &&
		grep './etc/camrelay/haproxy.cfg$' <<<"$tools" &&
		grep './etc/ssh/sshd_config.d/camrelay.conf$' <<<"$tools" &&
		grep 'man1/camrelay.1.gz$' <<<"$tools" &&
		grep './usr/bin/camrelay-tunnel$' <<<"$tunnel" &&
		grep './usr/bin/camrelay-connect$' <<<"$tunnel" &&
		grep 'camrelay-tunnel@.service$' <<<"$tunnel" &&
		[ "$(dpkg-deb -f "$work"/v1/camrelay-tunnel_*.deb Architecture)" = "$(dpkg --print-architecture)" ]
}
check "build: the module depends on exactly this Varnish ABI; contents in place" module_depends

# The second version: the same tree, a changelog entry more; the build
# directory is reused (-nc), so only the packaging steps run again.
bump_version() {
	local entry
	entry="camrelay (${version1}+test2) unstable; urgency=medium

  * Upgrade test build.

 -- camrelay developers <dev@camrelay.invalid>  $(date -R)
"
	printf '%s\n' "$entry" | cat - "$build_dir/debian/changelog" >"$build_dir/debian/changelog.new"
	mv "$build_dir/debian/changelog.new" "$build_dir/debian/changelog"
	# debian/files still lists the first version's files
	rm -f "$build_dir/debian/files"
	build_packages -nc
}
check "build: a second version (${version1}+test2)" bump_version
mkdir -p "$work/v2"
mv "$work/build"/*.deb "$work/v2/" 2>/dev/null

# ---------------------------------------------------------------- install

debs_v1=("$work"/v1/varnish-camrelay_*_*.deb "$work"/v1/camrelay_*_*.deb "$work"/v1/camrelay-tunnel_*_*.deb)
# Something of the admin's elsewhere that purge must leave alone.
printf '# camrelay packaging test: must survive the purge\n' >/etc/ssh/sshd_config.d/zz-camrelay-test-sentinel.conf
printf 'sentinel\n' >/etc/varnish/camrelay-test-sentinel

install_v1() {
	DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${debs_v1[@]}"
}
if ! check "install: apt-get install ./*.deb" install_v1; then
	exit 1
fi

installed_state() {
	# forwarding account: no password, home not writable, camrelay-session as shell
	IFS=: read -r _ _ _ _ _ home shell <<<"$(getent passwd camrelay-cam)"
	[ "$home" = / ]
	[ "$shell" = /usr/libexec/camrelay/camrelay-session ]
	[ "$(getent shadow camrelay-cam | cut -d: -f2)" = '*' ]
	[ "$(stat -c %U:%a /)" = root:755 ]
	[ "$(stat -c %U:%G:%a /etc/camrelay)" = root:root:755 ]
	[ "$(stat -c %U:%G:%a /etc/camrelay/secrets.conf)" = root:varnish:640 ]
	[ "$(stat -c %U:%G:%a /etc/camrelay/cameras.conf)" = root:root:644 ]
	[ "$(stat -c %U:%G:%a /etc/camrelay/ssh/authorized_keys)" = root:root:644 ]
	[ "$(camrelay secret list --json)" != "[]" ]
	# conffiles: never overwritten by an upgrade without asking
	dpkg-query -W -f='${Conffiles}\n' camrelay | grep -q ' /etc/camrelay/haproxy.cfg '
	dpkg-query -W -f='${Conffiles}\n' camrelay | grep -q ' /etc/ssh/sshd_config.d/camrelay.conf '
	getent passwd camrelay-tunnel >/dev/null
	[ "$(stat -c %U:%G:%a /etc/camrelay-tunnel)" = root:camrelay-tunnel:750 ]
	/usr/sbin/sshd -t
	camrelay --help | grep -q setup
}
check "install: account, /etc/camrelay owners and modes, first secret, conffiles" installed_state

# -------------------------------------------------- varnishtest, installed

vmoddir=$(pkg-config --variable=vmoddir varnishapi 2>/dev/null || echo /usr/lib/x86_64-linux-gnu/varnish/vmods)
run_vtc() {
	local vtc=$1 name
	name=$(basename "$vtc" .vtc)
	mkdir -p "$work/vtc"
	CAMRELAY_CONFIG=$work/vtc/$name varnishtest -q -p vmod_path="$vmoddir" \
		-Dcamrelay_vcl=/usr/share/camrelay/vcl -Dcamrelay_vcc="$src/vmod/vmod_camrelay.vcc" \
		-Dcamrelay_setup=/usr/libexec/camrelay/camrelay-setup "$vtc"
}
for vtc in "$src"/tests/vtc/*.vtc; do
	check "vtc (installed module and VCL): $(basename "$vtc")" run_vtc "$vtc"
done

# ------------------------------------------------------------------ setup

# A test CA and a server certificate for localhost / 127.0.0.1.
ca=$work/ca
mkdir -p "$ca"
make_cert() {  # make_cert NAME: $ca/NAME.pem = key + certificate
	openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$ca/$1.key" \
		-out "$ca/$1.csr" -subj "/CN=localhost" 2>/dev/null &&
		printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\nbasicConstraints=CA:FALSE\n' >"$ca/ext.cnf" &&
		openssl x509 -req -in "$ca/$1.csr" -CA "$ca/ca.pem" -CAkey "$ca/ca.key" -CAcreateserial -days 2 \
			-extfile "$ca/ext.cnf" -out "$ca/$1.crt" 2>/dev/null &&
		cat "$ca/$1.key" "$ca/$1.crt" >"$ca/$1.pem"
}
make_ca() {
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$ca/ca.key" -out "$ca/ca.pem" \
		-days 2 -subj "/CN=camrelay packaging test CA" \
		-addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null &&
		make_cert server
}
check "setup: a test CA and a certificate for localhost" make_ca

setup_args=(--http-listen "127.0.0.1:$HTTP_PORT" --https-listen "127.0.0.1:$HTTPS_PORT"
	--ssh-port "127.0.0.1:$SSH_PORT" --no-firewall)
check "setup: first run starts varnishd, haproxy and sshd" camrelay setup "${setup_args[@]}" --cert "$ca/server.pem"
second_setup() {
	local out
	out=$(camrelay setup "${setup_args[@]}" --cert "$ca/server.pem") || return 1
	printf '%s\n' "$out"
	printf '%s\n' "$out" | grep -q '0 changed' &&
		! printf '%s\n' "$out" | grep -q ' changed ' &&
		grep -q "https port $HTTPS_PORT too, plain or inside TLS" <<<"$out"
}
check "setup: a second run changes nothing (says unchanged); it tells that cameras reach SSH on the https port" second_setup
# param_is NAME VALUE: varnishd's parameter NAME is VALUE (a mask: has it)
param_is() {
	local got
	got=$(varnishadm param.show "$1" | sed -n 's/^ *Value is: \([^ ]*\).*/\1/p')
	echo "$1: $got"
	case $2 in
	[-+]*) [[ ",$got," == *",$2,"* ]] ;;
	*) [ "$got" = "$2" ] || [ "$got" = "$2.000" ] ;;
	esac
}
daemons_up() {
	for d in varnishd haproxy sshd; do
		kill -0 "$(cat /run/camrelay/$d.pid)"
	done
	[ "$(stat -c %U:%G:%a /run/camrelay/varnish-tls.sock)" = varnish:haproxy:660 ]
	# haproxy's master (the pid file's) runs its workers as user haproxy
	[ "$(ps -o user= --ppid "$(cat /run/camrelay/haproxy.pid)" | sort -u)" = haproxy ]
	ps -o args= -p "$(cat /run/camrelay/haproxy.pid)" | grep -q -- '-f /etc/camrelay/haproxy.cfg'
	# on the https port only (and the TLS frontend's abstract socket): no
	# stats socket
	[ -z "$(ss -Hltnp | grep 'haproxy' | grep -v ":$HTTPS_PORT ")" ]
	[ "$(stat -c %U:%G:%a /etc/camrelay/tls/relay.pem)" = root:root:600 ]
	# every parameter of a relay for 1000 viewers (tools/setup/relay-params.sh)
	local words i
	mapfile -t words < <(camrelay_varnishd_params 1000)
	for ((i = 0; i < ${#words[@]}; i += 2)); do
		[ "${words[i]}" = -p ] || continue
		param_is "${words[i + 1]%%=*}" "${words[i + 1]#*=}"
	done
	[ "$(awk '$1 == "Max" && $3 == "files" { print $4 }' "/proc/$(cat /run/camrelay/varnishd.pid)/limits")" -ge 3024 ]
	ps -o args= -p "$(cat /run/camrelay/varnishd.pid)" | grep -q -- '-f /usr/share/camrelay/vcl/default.vcl'
}
check "setup: daemons running; haproxy as user haproxy, listening on the https port only; TLS socket varnish:haproxy 0660; the relay's parameters for 1000 viewers (pipe_timeout=30, vsl_mask=-ReqURL, pipe_sess_max=1000, threads), open files for 1000 viewers" daemons_up

# ----------------------------------------------------------------- camera

node "$src/tests/e2e/camera.js" "$CAMERA_PORT" 8 >"$log/camera.out" 2>&1 &
started $!
wait_for 10 port_in_use "$CAMERA_PORT" || fail "camera: its server did not start"

cam=$work/camera
mkdir -p "$cam"
add_camera() {
	ssh-keygen -q -t ed25519 -N '' -C cam1 -f "$cam/cam1.key" &&
		camrelay camera add cam1 --port "$TUNNEL_PORT" --ssh-key "$cam/cam1.key.pub" \
			--relay "127.0.0.1:$SSH_PORT" >"$cam/add.out" &&
		cat "$cam/add.out" &&
		grep -q "cam1" /etc/camrelay/ssh/authorized_keys &&
		# the pinned host key line, as camera add printed it
		grep -E '^\[127\.0\.0\.1\]:[0-9]+ ssh-' "$cam/add.out" >"$cam/cam1.known_hosts" &&
		camrelay setup --reload
}
check "camera: camrelay camera add cam1 --ssh-key, VCL reloaded" add_camera
# Reloads discard the VCLs they replace: one stays loaded.
one_vcl() {
	camrelay setup --reload && camrelay setup --reload || return 1
	varnishadm vcl.list
	[ "$(varnishadm vcl.list | grep -c .)" = 1 ] && varnishadm vcl.list | grep -q '^active .* reload_'
}
check "camera: after camrelay setup --reload (three times), varnishd has one VCL loaded, the active one" one_vcl

tunnel_cmd=(camrelay-tunnel --relay "camrelay-cam@127.0.0.1:$SSH_PORT" --identity "$cam/cam1.key"
	--known-hosts "$cam/cam1.known_hosts" --listen "$TUNNEL_PORT" --target "127.0.0.1:$CAMERA_PORT")
"${tunnel_cmd[@]}" >"$log/tunnel.out" 2>&1 &
tunnel_pid=$!
started "$tunnel_pid"
tunnel_up() { camrelay camera list --check >/dev/null 2>&1; }
check "camera: camrelay-tunnel brings the tunnel up" wait_for 20 tunnel_up

key=$(camrelay key issue --camera cam1 --ttl 1h)
# the same key with the first character of its MAC changed: still well
# formed (the last one only carries 4 bits), signature wrong
mac=${key##*.}
if [ "${mac:0:1}" = A ]; then wrong_key=${key%.*}.B${mac:1}; else wrong_key=${key%.*}.A${mac:1}; fi
viewer=$src/tests/e2e/viewer.js

wss_viewer() {
	NODE_EXTRA_CA_CERTS=$ca/ca.pem node "$viewer" "wss://localhost:$HTTPS_PORT/cam1/?k=$key" --count 50 --push 8
}
ws_viewer() {
	node "$viewer" "ws://127.0.0.1:$HTTP_PORT/cam1/?k=$key" --count 50 --push 8
}
wrong_key_ws() {
	node "$viewer" "ws://127.0.0.1:$HTTP_PORT/cam1/?k=$wrong_key" --expect-status 403 &&
		NODE_EXTRA_CA_CERTS=$ca/ca.pem node "$viewer" "wss://localhost:$HTTPS_PORT/cam1/?k=$wrong_key" --expect-status 403
}
check "relay: a wss:// viewer through haproxy, varnishd and the tunnel exchanges binary messages" wss_viewer
check "relay: a ws:// viewer on the HTTP port does too" ws_viewer
check "relay: a wrong key is refused with 403 (ws:// and wss://)" wrong_key_ws
redirects() {
	loc=$(curl -s -o /dev/null -w '%{http_code} %{redirect_url}' "http://localhost:$HTTP_PORT/cam1/viewer.html?x=1")
	echo "$loc"
	[ "$loc" = "307 https://localhost:$HTTPS_PORT/cam1/viewer.html?x=1" ]
	page=$(curl -s --cacert "$ca/ca.pem" "https://localhost:$HTTPS_PORT/cam1/viewer.html")
	grep -q 'camrelayResult' <<<"$page"
	curl -s --cacert "$ca/ca.pem" "https://localhost:$HTTPS_PORT/cam1/hello" | grep -qx 'camera page for /hello'
}
check "relay: plain-HTTP page loads redirect to https; the page loads over https" redirects

# Cameras whose network lets only the web out: the forwarding account's
# sshd on the https port. The session proves the login (camrelay-session
# answers a command with its refusal); the host key stays pinned under the
# SSH port's name.
ssh_443() {  # ssh_443 SSH_OPTION...
	timeout 30 ssh -F /dev/null -T -o BatchMode=yes -o IdentitiesOnly=yes -o IdentityAgent=none \
		-i "$cam/cam1.key" -o StrictHostKeyChecking=yes -o UserKnownHostsFile="$cam/cam1.known_hosts" \
		-o GlobalKnownHostsFile=/dev/null -o HostKeyAlias="[127.0.0.1]:$SSH_PORT" -o ConnectTimeout=10 \
		-p "$HTTPS_PORT" -l camrelay-cam "$@" 127.0.0.1 true </dev/null 2>&1
}
logged_in() {
	echo "$1"
	grep -q 'this account only carries camera tunnels' <<<"$1"
}
plain_ssh_443() { logged_in "$(ssh_443)"; }
check "relay: plain SSH to the https port (haproxy) logs in to the camera account" plain_ssh_443
tls_ssh_443() {
	logged_in "$(ssh_443 -o ProxyCommand="openssl s_client -quiet -verify_return_error -CAfile $ca/ca.pem -servername localhost -connect 127.0.0.1:$HTTPS_PORT")"
}
check "relay: SSH inside TLS to the https port (openssl s_client) logs in to the camera account" tls_ssh_443
connect_ssh_443() {
	logged_in "$(ssh_443 -o ProxyCommand="camrelay-connect --tls-ca $ca/ca.pem --tls-name localhost tls 127.0.0.1 $HTTPS_PORT")"
}
check "relay: SSH inside TLS with camrelay-connect (camrelay-tunnel's package) logs in too" connect_ssh_443

# ---------------------------------------------------------------- browser

spki=$(openssl x509 -in "$ca/server.crt" -pubkey -noout | openssl pkey -pubin -outform der | openssl dgst -sha256 -binary | base64)
browser() {  # browser KEY EXPECT(ok|refused)
	local profile result
	profile=$(mktemp -d "$work/chromium-profile.XXXXXX")
	result=$(cd "$here" && HOME=$profile timeout 90 node browser.js \
		"https://localhost:$HTTPS_PORT/cam1/viewer.html?k=$1" "$spki" "$profile/profile") || {
		echo "$result"
		return 1
	}
	echo "$result"
	case $2 in
	ok) grep -q '"ok":true' <<<"$result" && grep -q '"echoed":5' <<<"$result" ;;
	refused) grep -q '"refused":true' <<<"$result" && grep -q '"page_status":200' <<<"$result" ;;
	esac
}
check "browser: Chromium loads the camera page over https, its wss:// WebSocket exchanges binary messages" browser "$key" ok
check "browser: the same page with a wrong key sees the connection refused" browser "$wrong_key" refused

# ---------------------------------------------------------------- certbot

renewal() {
	live=$work/letsencrypt/live/localhost
	mkdir -p "$live"
	cp "$ca/server.key" "$live/privkey.pem"
	cp "$ca/server.crt" "$live/fullchain.pem"
	camrelay setup "${setup_args[@]}" --cert-dir "$live"
	grep -qx "CERT_DIR=$live" /etc/camrelay/setup.conf
	# a viewer watching while the certificate is renewed (its own key:
	# one viewer per key)
	held_key=$(camrelay key issue --camera cam1 --ttl 1h)
	NODE_EXTRA_CA_CERTS=$ca/ca.pem node "$viewer" "wss://localhost:$HTTPS_PORT/cam1/?k=$held_key" --hold \
		--timeout 120 >"$work/held.out" 2>&1 &
	held=$!
	for _ in $(seq 100); do grep -q '"open":true' "$work/held.out" && break; sleep 0.1; done
	grep -q '"open":true' "$work/held.out"
	# certbot renews: a new certificate, then the deploy hook
	make_cert renewed
	cp "$ca/renewed.key" "$live/privkey.pem"
	cp "$ca/renewed.crt" "$live/fullchain.pem"
	RENEWED_LINEAGE=$live /usr/libexec/camrelay/certbot-deploy-hook 2>&1 | tee "$work/hook.out"
	grep -q 'reloaded haproxy' "$work/hook.out"
	want=$(openssl x509 -in "$ca/renewed.crt" -noout -serial)
	for _ in $(seq 50); do
		got=$(openssl s_client -connect "127.0.0.1:$HTTPS_PORT" -servername localhost </dev/null 2>/dev/null |
			openssl x509 -noout -serial)
		[ "$got" = "$want" ] && break
		sleep 0.2
	done
	echo "served $got, want $want"
	[ "$got" = "$want" ]
	# the reload kept the open viewer
	sleep 1
	cat "$work/held.out"
	not grep -q '"closed"' "$work/held.out"
	kill -0 "$held"
	kill "$held"
	# another lineage is not ours
	RENEWED_LINEAGE=$work/letsencrypt/live/other /usr/libexec/camrelay/certbot-deploy-hook
	NODE_EXTRA_CA_CERTS=$ca/ca.pem node "$viewer" "wss://localhost:$HTTPS_PORT/cam1/?k=$key" --count 5
}
check "certbot: --cert-dir, then the deploy hook installs a renewed certificate; haproxy serves it and keeps the open viewer" renewal

# A relay set up while hitch served https (before haproxy): its hitch, as
# setup left it without systemd (pid file and state; a stand-in process),
# is stopped by the next camrelay setup, which then changes nothing more.
from_hitch() {
	# not our child (setup's daemons are not either): gone once stopped
	(sleep 600 >/dev/null 2>&1 & echo $! >"$work/fake-hitch.pid")
	fake_hitch=$(cat "$work/fake-hitch.pid")
	cp "$work/fake-hitch.pid" /run/camrelay/hitch.pid
	printf 'x\ny\n' >/run/camrelay/hitch.state
	out=$(camrelay setup "${setup_args[@]}")
	printf '%s\n' "$out"
	grep -E '^hitch +changed +stopped \(haproxy serves https now\)' <<<"$out"
	for _ in $(seq 50); do kill -0 "$fake_hitch" 2>/dev/null || break; sleep 0.1; done
	not kill -0 "$fake_hitch" 2>/dev/null
	[ ! -e /run/camrelay/hitch.pid ]
	[ ! -e /run/camrelay/hitch.state ]
	out=$(camrelay setup "${setup_args[@]}")
	printf '%s\n' "$out"
	grep -q '^camrelay setup: 0 changed' <<<"$out"
	not grep -q '^hitch' <<<"$out"
}
check "hitch: a relay that ran hitch gets it stopped by camrelay setup; a second run changes nothing" from_hitch
kill "$(cat "$work/fake-hitch.pid" 2>/dev/null)" 2>/dev/null

# ---------------------------------------------------------------- upgrade

upgrade() {
	cp -a /etc/camrelay/cameras.conf /etc/camrelay/secrets.conf "$work/"
	DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
		"$work"/v2/varnish-camrelay_*_*.deb "$work"/v2/camrelay_*_*.deb "$work"/v2/camrelay-tunnel_*_*.deb
	[ "$(dpkg-query -W -f='${Version}' camrelay)" = "${version1}+test2" ]
	[ "$(dpkg-query -W -f='${Version}' varnish-camrelay)" = "${version1}+test2" ]
	cmp /etc/camrelay/cameras.conf "$work/cameras.conf"
	cmp /etc/camrelay/secrets.conf "$work/secrets.conf"
	getent passwd camrelay-cam >/dev/null
	printf '%s\n' "$key" | camrelay key check - --camera cam1
}
check "upgrade: ${version1}+test2 over ${version1} keeps the registry, secrets and keys" upgrade
after_upgrade() {
	wait_for 20 tunnel_up &&
		NODE_EXTRA_CA_CERTS=$ca/ca.pem node "$viewer" "wss://localhost:$HTTPS_PORT/cam1/?k=$key" --count 20 &&
		node "$viewer" "ws://127.0.0.1:$HTTP_PORT/cam1/?k=$key" --count 20
}
check "upgrade: a key issued before the upgrade still lets a viewer in" after_upgrade

# ------------------------------------- systemd and firewall, stand-ins

# This machine runs no systemd and has no ufw or nft: stand-ins that keep
# state (tests/packaging/fakes) check what setup asks of them, and that a
# second run asks nothing.
fake_path() {  # fake_path NAME TOOL...: a folder with those stand-ins
	local dir=$work/bin-$1 tool
	shift
	mkdir -p "$dir"
	for tool in "$@"; do cp "$here/fakes/$tool" "$dir/"; done
	printf '%s\n' "$dir"
}
with_systemd() {
	export FAKE_STATE=$work/fake-systemd
	local bin out
	bin=$(fake_path systemd systemctl)
	# what setup wrote when hitch served https
	mkdir -p /etc/systemd/system/hitch.service.d
	printf '[Service]\nExecStart=\nExecStart=/usr/sbin/hitch\n' >/etc/systemd/system/hitch.service.d/camrelay.conf
	out=$(PATH=$bin:$PATH CAMRELAY_SETUP_INIT=systemd camrelay setup "${setup_args[@]}" --cert "$ca/server.pem")
	printf '%s\n' "$out"
	grep -qx 'systemctl disable --now hitch' "$FAKE_STATE/calls"
	[ ! -e /etc/systemd/system/hitch.service.d ]
	d=/etc/systemd/system/varnish.service.d/camrelay.conf
	cat "$d"
	grep -qx 'ExecStart=' "$d"
	grep -q "^ExecStart=/usr/sbin/varnishd -j unix,user=vcache -F -a http=127.0.0.1:$HTTP_PORT,HTTP -a tls=/run/camrelay/varnish-tls.sock,PROXY,user=varnish,group=haproxy,mode=660 .*-f /usr/share/camrelay/vcl/default.vcl -p vsl_mask=-ReqURL -p pipe_timeout=30 " "$d"
	grep -qx "Environment=\"CAMRELAY_HTTPS_PORT=$HTTPS_PORT\"" "$d"
	grep -qx 'Environment="CAMRELAY_CONFIG=/etc/camrelay"' "$d"
	# the configuration is checked before varnishd starts: a reason in the journal
	grep -qx 'ExecStartPre=/usr/bin/camrelay --config /etc/camrelay check --user vcache' "$d"
	/usr/bin/camrelay --config /etc/camrelay check --user vcache
	h=/etc/systemd/system/haproxy.service.d/camrelay.conf
	cat "$h"
	grep -qx "Environment=\"CAMRELAY_HTTPS_LISTEN=127.0.0.1:$HTTPS_PORT\"" "$h"
	grep -qx "Environment=\"CAMRELAY_SSH_SERVER=127.0.0.1:$SSH_PORT\"" "$h"
	grep -qx 'Environment="CAMRELAY_VARNISH_TLS=/run/camrelay/varnish-tls.sock"' "$h"
	grep -qx 'Environment="CAMRELAY_TLS_DIR=/etc/camrelay/tls"' "$h"
	grep -qx 'Environment="CAMRELAY_INNER=/run/camrelay/haproxy-tls.sock"' "$h"
	grep -qx 'Environment="CAMRELAY_MAXCONN=2100"' "$h"
	grep -qx 'Environment="CAMRELAY_MAXCONN_TOTAL=4200"' "$h"
	grep -qx 'ExecStart=' "$h"
	grep -qx 'ExecStart=/usr/sbin/haproxy -Ws -f /etc/camrelay/haproxy.cfg -p /run/haproxy.pid -S /run/haproxy-master.sock' "$h"
	grep -qx 'ExecReload=' "$h"
	grep -qx 'ExecReload=/usr/sbin/haproxy -Ws -f /etc/camrelay/haproxy.cfg -c -q' "$h"
	grep -qx 'ExecReload=/bin/kill -USR2 $MAINPID' "$h"
	# the drop-in's environment passes haproxy -c, as systemd's reload runs it
	# shellcheck disable=SC2046 # one word per line
	env $(sed -n 's/^Environment="\(.*\)"$/\1/p' "$h") haproxy -Ws -f /etc/camrelay/haproxy.cfg -c -q
	# a stop signals the manager only (which stops its child, exit 0)
	grep -qx 'KillMode=mixed' "$d"
	# its reload loads the VCL again and discards the old ones
	grep -qx 'ExecReload=' "$d"
	grep -qx 'ExecReload=/usr/libexec/camrelay/camrelay-setup --vcl-reload' "$d"
	grep -qx 'systemctl restart varnish' "$FAKE_STATE/calls"
	grep -qx 'systemctl restart haproxy' "$FAKE_STATE/calls"
	grep -qx 'systemctl enable --now camrelay-reload.path' "$FAKE_STATE/calls"
	: >"$FAKE_STATE/calls"
	out=$(PATH=$bin:$PATH CAMRELAY_SETUP_INIT=systemd camrelay setup "${setup_args[@]}" --cert "$ca/server.pem")
	printf '%s\n' "$out"
	grep -q '^camrelay setup: 0 changed' <<<"$out"
	not grep -E '^systemctl (restart|reload|enable|start|daemon-reload)( |$)' "$FAKE_STATE/calls"
	# what a rerun compares with survives a reboot (/run is emptied): kept
	# in /var/lib/camrelay; and how varnish and haproxy were before setup
	ls -l /var/lib/camrelay
	[ -s /var/lib/camrelay/sshd.state ]
	[ -s /var/lib/camrelay/varnishd.state ]
	[ -z "$(find /run/camrelay -name '*.state')" ]
	[ "$(cat /var/lib/camrelay/varnish.before)" = "no no" ]
	# the summary names the relay as its certificate does
	grep -q 'wss://localhost:' <<<"$out"
	grep -q -- '--ssh-key cam1.key.pub --relay localhost:' <<<"$out"
}
check "setup (systemd): drop-ins for varnish.service (the configuration checked first) and haproxy.service, hitch's removed, reload on camera changes; a second run changes nothing" with_systemd

fw_args=(--http-listen "127.0.0.1:$HTTP_PORT" --https-listen "127.0.0.1:$HTTPS_PORT" --ssh-port "127.0.0.1:$SSH_PORT")
with_ufw() {
	export FAKE_STATE=$work/fake-ufw
	local bin out
	bin=$(fake_path ufw ufw)
	# a rule of the admin's, which purge leaves
	mkdir -p "$FAKE_STATE"
	echo 'ufw allow 2222/tcp' >"$FAKE_STATE/added"
	out=$(PATH=$bin:$PATH camrelay setup "${fw_args[@]}")
	grep -E '^firewall +changed +ufw' <<<"$out"
	cat "$FAKE_STATE/added"
	[ "$(grep -v 2222 "$FAKE_STATE/added" | sort)" = "$(printf 'ufw allow %s/tcp\n' "$HTTP_PORT" "$HTTPS_PORT" "$SSH_PORT" | sort)" ]
	[ "$(cat "$FAKE_STATE/default")" = deny ]
	[ "$(cat "$FAKE_STATE/status")" = active ]
	# SSH is allowed before the firewall goes up
	[ "$(grep -n "allow $SSH_PORT/tcp" "$FAKE_STATE/calls" | cut -d: -f1)" -lt "$(grep -n -- '--force enable' "$FAKE_STATE/calls" | cut -d: -f1)" ]
	out=$(PATH=$bin:$PATH camrelay setup "${fw_args[@]}")
	grep -E '^firewall +unchanged' <<<"$out"
}
check "firewall: with ufw, incoming TCP only to SSH, HTTP and HTTPS; a second run changes nothing" with_ufw
with_nft() {
	export FAKE_STATE=$work/fake-nft
	local bin out
	bin=$(fake_path nft nft)
	out=$(PATH=$bin:$PATH camrelay setup "${fw_args[@]}" 2>&1)
	grep -E '^firewall +changed +nftables' <<<"$out"
	cat /etc/camrelay/nftables.conf
	grep -q 'policy drop;' "$FAKE_STATE/loaded"
	grep -q "tcp dport { $SSH_PORT, $HTTP_PORT, $HTTPS_PORT } accept" "$FAKE_STATE/loaded"
	out=$(PATH=$bin:$PATH camrelay setup "${fw_args[@]}" 2>&1)
	grep -E '^firewall +unchanged' <<<"$out"
	# neither: a clear warning, nothing done. This machine may have the real
	# nft: hidden (in a mount namespace of its own, /dev/null over it, which
	# is not executable), so that the test never loads rules into the
	# running kernel. And a PATH without the sbin folders (`su` without
	# `-`): setup finds its daemons all the same.
	out=$(neither_tool env PATH=/usr/local/bin:/usr/bin:/bin camrelay setup "${fw_args[@]}" 2>&1) ||
		{ printf '%s\n' "$out"; return 1; }
	printf '%s\n' "$out"
	grep -q "warning: no firewall tool (ufw or nft) found" <<<"$out"
	if command -v nft >/dev/null && nft list table inet camrelay >/dev/null 2>&1; then return 1; fi
}
# neither_tool COMMAND...: COMMAND where neither ufw nor nft exists: in a
# mount namespace of its own, /usr/sbin is a tmpfs of links to the real
# one's files but those two (/sbin links to it)
neither_tool() {
	local real=$work/real-sbin
	mkdir -p "$real"
	# shellcheck disable=SC2016 # expanded by the inner bash
	unshare -m bash -c 'set -e
		mount --bind /usr/sbin "$0"
		mount -t tmpfs -o mode=755 camrelay-test /usr/sbin
		for f in "$0"/*; do
			case ${f##*/} in ufw | nft) ;; *) ln -s "$f" "/usr/sbin/${f##*/}" ;; esac
		done
		exec "$@"' "$real" "$@"
}
check "firewall: with nftables, a table inet camrelay with policy drop; without either, a warning" with_nft

no_tls() {
	local out pid
	pid=$(cat /run/camrelay/haproxy.pid)
	out=$(camrelay setup "${setup_args[@]}" --no-tls)
	printf '%s\n' "$out"
	grep -E '^haproxy +changed +stopped \(no TLS\)' <<<"$out"
	for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
	not kill -0 "$pid" 2>/dev/null
	not port_in_use "$HTTPS_PORT"
	out=$(camrelay setup "${setup_args[@]}" --cert "$ca/server.pem")
	printf '%s\n' "$out"
	grep -E '^haproxy +changed +started ' <<<"$out"
	NODE_EXTRA_CA_CERTS=$ca/ca.pem node "$viewer" "wss://localhost:$HTTPS_PORT/cam1/?k=$key" --count 5
}
check "setup: --no-tls stops haproxy, a certificate again starts it" no_tls

# Prometheus metrics: camrelay metrics as a daemon (nobody, group varnish)
# on loopback, cam1's counters with a camera label; a second run changes
# nothing; under systemd a drop-in for camrelay-metrics.service; then
# --no-metrics stops it.
METRICS_PORT=$((HTTP_PORT + 5))
metrics() {
	local out pid
	out=$(camrelay setup "${setup_args[@]}" --metrics "$METRICS_PORT")
	printf '%s\n' "$out"
	grep -E "^metrics +changed +started metrics \(pid [0-9]+\) on http://127.0.0.1:$METRICS_PORT/metrics" <<<"$out"
	curl -sf "http://127.0.0.1:$METRICS_PORT/metrics" | grep -x 'camrelay_camera_tunnel_up{camera="cam1"} 1'
	pid=$(cat /run/camrelay/metrics.pid)
	[ "$(ps -o user=,group= -p "$pid" | tr -s ' ')" = "nobody varnish" ]
	if ss -Hltn "sport = :$METRICS_PORT" | grep -v '127.0.0.1:'; then return 1; fi
	grep -qx "METRICS=$METRICS_PORT" /etc/camrelay/setup.conf
	out=$(camrelay setup "${setup_args[@]}")
	grep -q '^camrelay setup: 0 changed' <<<"$out"
	FAKE_STATE=$work/fake-systemd-metrics PATH=$(fake_path systemd systemctl):$PATH CAMRELAY_SETUP_INIT=systemd \
		camrelay setup "${setup_args[@]}"
	grep -qx "ExecStart=/usr/bin/camrelay metrics --listen 127.0.0.1:$METRICS_PORT" \
		/etc/systemd/system/camrelay-metrics.service.d/camrelay.conf
	grep -qx 'systemctl restart camrelay-metrics' "$work/fake-systemd-metrics/calls"
	out=$(camrelay setup "${setup_args[@]}" --no-metrics)
	printf '%s\n' "$out"
	grep -E '^metrics +changed +stopped' <<<"$out"
	if kill -0 "$pid" 2>/dev/null; then return 1; fi
	not port_in_use "$METRICS_PORT"
}
check "metrics: setup --metrics serves each camera's metrics on loopback (as nobody, group varnish); a drop-in under systemd; --no-metrics stops it" metrics

# Removal under systemd (stand-in): camrelay's units stopped and disabled,
# the drop-ins gone, varnish and haproxy put back as they were before setup
# took them over (here: neither enabled nor active, as the stand-in had
# them); the configuration stays.
remove_systemd() {
	export FAKE_STATE=$work/fake-systemd
	: >"$FAKE_STATE/calls"
	cat /var/lib/camrelay/varnish.before /var/lib/camrelay/haproxy.before
	PATH=$(fake_path systemd systemctl):$PATH CAMRELAY_SETUP_INIT=systemd /usr/libexec/camrelay/camrelay-setup --remove
	cat "$FAKE_STATE/calls"
	for unit in camrelay-reload.path camrelay-reload.service camrelay-metrics.service camrelay-firewall.service; do
		grep -qx "systemctl disable --now $unit" "$FAKE_STATE/calls"
	done
	for unit in varnish haproxy camrelay-metrics; do
		[ ! -e "/etc/systemd/system/$unit.service.d" ]
	done
	grep -qx 'systemctl disable varnish' "$FAKE_STATE/calls"
	grep -qx 'systemctl stop varnish' "$FAKE_STATE/calls"
	grep -qx 'systemctl stop haproxy' "$FAKE_STATE/calls"
	not grep -qx 'systemctl restart varnish' "$FAKE_STATE/calls"
	[ ! -e /var/lib/camrelay/varnish.before ]
	[ ! -e /var/lib/camrelay/haproxy.before ]
	[ -f /etc/camrelay/cameras.conf ]
	[ -f /etc/camrelay/setup.conf ]
}
check "remove (systemd stand-in): camrelay's units stopped and disabled, drop-ins removed, varnish and haproxy as they were before setup" remove_systemd

# ------------------------------------------------------------------ purge

stop "$tunnel_pid"
daemon_pids=$(cat /run/camrelay/varnishd.pid /run/camrelay/haproxy.pid /run/camrelay/sshd.pid 2>/dev/null)
purge() {
	# a camera key the admin put for camrelay-tunnel: not the package's
	printf 'camera key\n' >/etc/camrelay-tunnel/zz-packaging-test.key
	chown camrelay-tunnel /etc/camrelay-tunnel/zz-packaging-test.key
	chmod 0400 /etc/camrelay-tunnel/zz-packaging-test.key
	# the ufw stand-in as setup saw it (with_ufw). dpkg, not apt-get: apt
	# gives the maintainer scripts its own PATH, without the stand-in (the
	# system suite purges with apt and a real ufw).
	PATH=$work/bin-ufw:$PATH FAKE_STATE=$work/fake-ufw dpkg --purge "${packages[@]}" 2>&1 | tee "$work/purge.out"
	grep -q '^camrelay-tunnel: kept /etc/camrelay-tunnel' "$work/purge.out"
	not getent passwd camrelay-cam
	not getent group camrelay-cam
	not getent passwd camrelay-tunnel
	[ ! -e /etc/camrelay ]
	# the admin's files stay, given to root (the account's id is free now)
	[ "$(stat -c %U:%G /etc/camrelay-tunnel/zz-packaging-test.key)" = root:root ]
	[ "$(ls /etc/camrelay-tunnel)" = zz-packaging-test.key ]
	rm -r /etc/camrelay-tunnel
	[ ! -e /run/camrelay ]
	[ ! -e /etc/ssh/sshd_config.d/camrelay.conf ]
	[ ! -e /etc/systemd/system/varnish.service.d/camrelay.conf ]
	[ ! -e /etc/systemd/system/haproxy.service.d/camrelay.conf ]
	[ ! -e /usr/share/camrelay ]
	[ ! -e /var/lib/camrelay ]
	# exactly the ufw rules setup added are deleted, and ufw, which setup
	# enabled, is disabled again
	cat "$work/fake-ufw/added" "$work/fake-ufw/status" "$work/fake-ufw/default"
	[ "$(cat "$work/fake-ufw/added")" = 'ufw allow 2222/tcp' ]
	[ "$(cat "$work/fake-ufw/status")" = inactive ]
	[ "$(cat "$work/fake-ufw/default")" = allow ]
	# the daemons setup started are stopped
	for pid in $daemon_pids; do not kill -0 "$pid" 2>/dev/null; done
	# what the packages did not create stays
	[ -f /etc/ssh/sshd_config.d/zz-camrelay-test-sentinel.conf ]
	[ -f /etc/varnish/camrelay-test-sentinel ]
	[ -f /etc/varnish/secret ]
	dpkg-query -W -f='${Status}' varnish | grep -q 'ok installed'
	/usr/sbin/sshd -t
}
check "purge: accounts, /etc/camrelay, /var/lib/camrelay, sshd drop-in, generated files and the ufw rules setup added gone; the camera key put in /etc/camrelay-tunnel and the rest stay" purge

kit_finish
