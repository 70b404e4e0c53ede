#!/usr/bin/env bash
# tests/system/run.sh [--short | --long] [--keep]: the README's "Deploy a
# relay" on booted machines (systemd as PID 1 in systemd-nspawn), then what
# real operations do to it. Three networks joined by a router namespace:
#
#   relay machine 10.77.1.2 ─┐                ┌─ camera machine 10.77.2.2
#   (relay.example.com)      ├─ router ───────┤  (camrelay-tunnel, and a
#                            │  (forwarding)  │   Picam360 stand-in on 9001)
#                            └─ viewer 10.77.3.2 (a namespace on this host:
#                                 Chromium, camrelay-bench, a WebSocket viewer)
#
#   prepare   bookworm roots built with mmdebstrap, cached in
#             $CAMRELAY_SYSTEM_DIR/images/KIND-HASH (default
#             /var/tmp/camrelay-system; HASH of the package list and
#             tests/system/image.sh), each run on an overlay of its own; the
#             project's .debs built with dpkg-buildpackage from a copy of the
#             checkout (tests/system/build-debs.sh)
#   readme    the README's commands # 1 .. # 6, read from README.md and run
#             as printed (1-4, 6 on the relay, 5 on the camera after copying
#             the files step 4 printed); substituted: certbot is a stand-in
#             (tests/system/certbot-standin) that serves and verifies the
#             http-01 challenge through varnishd and issues from a test CA
#   viewer    camrelay-bench, a WebSocket viewer and headless Chromium (the
#             test CA in its NSS store) watch cam1 over wss:// from the
#             viewer network; first-frame time measured
#   relay     the http->https redirect keeps no key in a cache; camera
#             changes leave no old VCLs behind; camrelay setup run again
#             says "unchanged"; no warning from the daemons in the journal
#   reboot    the relay rebooted (1, --long: 5): its services come back by
#             themselves, the camera's tunnel returns, the same link plays
#             again; relay boot to camera online measured; setup after the
#             reboot changes nothing
#   --long    also: the camera rebooted; the camera's link down 60 s and
#             back (5 times), link-back to camera online measured; apt
#             upgrade to a newer build with a viewer watching
#   purge     apt purge camrelay (then varnish-camrelay) on the relay and
#             camrelay-tunnel on the camera leave both machines clean
#
# Durations on a 2-core machine with the images cached: --short (the
# ctest test system_short) about 3 min, half of it building the packages
# (2 min 36 s measured; 50 s with CAMRELAY_SYSTEM_DEBS); --long about 22 min
# (19.5 min with CAMRELAY_SYSTEM_DEBS: each reboot and link drop waits
# until the tunnel held 65 s, and each link stays down 60 s). The first
# run builds the images (about 2.5 min, needs Debian's archive). Needs root, systemd-nspawn, mmdebstrap, ip netns,
# node, chromium, certutil (libnss3-tools): else exit 77 (skipped). Leaves
# nothing behind (machines, namespaces, mounts) unless --keep (the work
# directory is kept then, not the machines).
# CAMRELAY_SYSTEM_DEBS=DIR uses packages built before by
# tests/system/build-debs.sh SOURCE DIR [--upgrade] instead of building;
# --long with CAMRELAY_SYSTEM_REBOOTS=N and CAMRELAY_SYSTEM_LINK_DROPS=N
# (5 each) reboots and drops fewer times; CAMRELAY_SYSTEM_PAUSE=1 keeps the machines up after a failed check until
# $TMP/pause is removed; CAMRELAY_SYSTEM_RESULTS=FILE appends this run's figures to FILE.
# Figures: the last lines ("figure: ...") and $TMP/figures, for BENCHMARKS.md.
set -uo pipefail
# All of it in one group, read before it runs: an edit of this file during a run cannot change it.
{

here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../.." && pwd)
export KIT_NAME=system
# shellcheck source=../lib/kit.sh
source "$src/tests/lib/kit.sh"

long=0
for arg in "$@"; do
	case $arg in
	--long) long=1 ;;
	--short) long=0 ;;
	--keep) KEEP_TEST_DIR=1 ;;
	*)
		sed -n '2,/^set -uo/p' "$0" | sed '$d; s/^# \{0,1\}//'
		exit 2
		;;
	esac
done
base=${CAMRELAY_SYSTEM_DIR:-/var/tmp/camrelay-system}

[ "$(id -u)" = 0 ] || skip "it boots machines and creates network namespaces: run as root"
for tool in systemd-nspawn mmdebstrap nsenter setpriv capsh ip dpkg-buildpackage dpkg-deb node chromium certutil openssl curl; do
	command -v "$tool" >/dev/null 2>&1 || skip "$tool is missing (tools/dev/install-deps.sh installs it)"
done
[ -d "$src/tests/packaging/node_modules/playwright-core" ] && [ -d "$src/tests/e2e/node_modules/ws" ] ||
	skip "node modules missing (npm ci in tests/packaging and tests/e2e; tools/dev/install-deps.sh does it)"
probe_ns=crsys-probe-$$
ip netns add "$probe_ns" 2>/dev/null || skip "cannot create network namespaces here"
ip netns del "$probe_ns"

kit_workdir "$base/runs"
work=$TMP
id=$$
declare -A NS=([router]=crsys$id-router [relay]=crsys$id-relay [camera]=crsys$id-camera [viewer]=crsys$id-viewer)
RELAY_IP=10.77.1.2
CAMERA_IP=10.77.2.2
VIEWER_IP=10.77.3.2
NAME=relay.example.com
figures=$work/figures
: >"$figures"

step() { say "== $*"; }
# The figures of this run, one a line: what, value, how measured.
figure() {
	printf '%s\n' "$*" >>"$figures"
	say "figure: $*"
}

# ------------------------------------------------------------ machines

# A machine: an overlay of its cached image ($work/NAME/root), booted by
# systemd-nspawn in its network namespace. A reboot inside ends nspawn
# with status 133: the loop boots the same root again, as a real machine
# comes back with its disk. $work/NAME/boots has each boot's start time.
machine_prepare() {  # machine_prepare NAME IMAGE
	local name=$1 image=$2 dir=$work/$1
	mkdir -p "$dir/upper" "$dir/overlay-work" "$dir/root"
	mount -t overlay overlay -o "lowerdir=$image,upperdir=$dir/upper,workdir=$dir/overlay-work" "$dir/root" ||
		die "$name: cannot mount an overlay of $image"
	echo "$dir/root" >>"$work/mounts"
	# The root is an overlay the host mounted: nothing in it for systemd-remount-fs to
	# remount (it failed now and then in systemd-nspawn here, with no message)
	ln -sf /dev/null "$dir/root/etc/systemd/system/systemd-remount-fs.service"
}

machine_boot() {  # machine_boot NAME
	local name=$1 dir=$work/$1
	rm -f "$dir/stop"
	(
		while :; do
			date +%s.%N >>"$dir/boots"
			echo "=== boot at $(date +%T.%N)" >>"$work/$name-console.log"
			systemd-nspawn -q -D "$dir/root" -b -M "crsys$id-$name" --register=no --keep-unit \
				--network-namespace-path="/run/netns/${NS[$name]}" --private-network --console=read-only \
				>>"$work/$name-console.log" 2>&1 </dev/null
			rc=$?
			echo "=== nspawn ended with status $rc" >>"$work/$name-console.log"
			[ "$rc" = 133 ] && [ ! -e "$dir/stop" ] || break
		done
	) &
	echo $! >"$dir/loop.pid"
}

# The machine's PID 1 as this host sees it.
machine_leader() {
	local pid status
	[ -s "$work/$1/loop.pid" ] || return 1
	for pid in $(trees_of "$(cat "$work/$1/loop.pid")"); do
		status=$(grep '^NSpid:' "/proc/$pid/status" 2>/dev/null) || continue
		# NSpid: HOSTPID 1 (PID 1 in its own namespace)
		[[ $status =~ ^NSpid:[[:space:]]+[0-9]+[[:space:]]+1$ ]] || continue
		[ "$(cat "/proc/$pid/comm" 2>/dev/null)" = systemd ] || continue
		echo "$pid"
		return 0
	done
	return 1
}

# m NAME COMMAND: runs COMMAND with bash in the machine (all its
# namespaces, root's environment, in /root, no capability its PID 1 lacks),
# as an admin's shell would.
m() {
	local name=$1 leader caps
	shift
	leader=$(machine_leader "$name") || {
		echo "$name: not running"
		return 1
	}
	caps=$(capsh --decode="$(awk '$1 == "CapBnd:" { print $2 }' "/proc/$leader/status")" | sed 's/.*=//; s/cap_//g; s/,/,+/g')
	nsenter -t "$leader" -m -u -i -n -p -C -r -w setpriv --bounding-set="-all,+$caps" env -i HOME=/root \
		LANG=C.UTF-8 TERM=dumb PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin bash -c "cd /root && $*"
}

machine_running() {  # machine_running NAME: booted, every unit started
	local state
	state=$(m "$1" 'timeout 5 systemctl is-system-running' 2>/dev/null)
	[ "$state" = running ] || [ "$state" = degraded ]
}

# machine_up NAME: waits for the boot to finish; no unit failed
machine_up() {
	wait_for 120 machine_running "$1" || {
		echo "$1: not booted after 120 s"
		return 1
	}
	local failed
	failed=$(m "$1" 'systemctl list-units --failed --plain --no-legend')
	[ -z "$failed" ] || {
		echo "$1: failed units: $failed"
		# why: each failed unit's status and journal
		m "$1" "systemctl status --no-pager -n 20 -l $(awk '{ print $1 }' <<<"$failed" | tr '\n' ' ')" || true
		return 1
	}
	echo "$1: $(m "$1" 'systemctl is-system-running') after $(m "$1" 'systemd-analyze 2>/dev/null | head -n 1')"
}

machine_stop() {  # machine_stop NAME: poweroff, else kill
	local name=$1 dir=$work/$1 loop
	[ -s "$dir/loop.pid" ] || return 0
	loop=$(cat "$dir/loop.pid")
	touch "$dir/stop"
	m "$name" 'systemctl poweroff' >/dev/null 2>&1
	for _ in $(seq 150); do kit_running "$loop" || break; sleep 0.1; done
	if kit_running "$loop"; then
		# shellcheck disable=SC2046 # pids
		kill -KILL $(trees_of "$loop") 2>/dev/null
	fi
	wait "$loop" 2>/dev/null
	rm -f "$dir/loop.pid"
}

# machine_reboot NAME: systemctl reboot inside; returns once the new boot
# started (its time in $work/NAME/boots)
machine_reboot() {
	local name=$1 boots
	boots=$(wc -l <"$work/$name/boots")
	m "$name" 'systemctl reboot' || return 1
	wait_for 60 eval "[ \$(wc -l <'$work/$name/boots') -gt $boots ]"
}

cleanup_system() {
	local name ns mnt
	if [ -n "${CAMRELAY_SYSTEM_PAUSE:-}" ] && [ "$KIT_FAILED" != 0 ]; then
		touch "$work/pause"
		say "paused after a failure with the machines up (nsenter -t PID -a, PID 1 of each: $(machine_leader relay) relay, $(machine_leader camera) camera); rm $work/pause to clean up"
		while [ -e "$work/pause" ]; do sleep 2; done
	fi
	for name in camera relay; do machine_stop "$name"; done
	for ns in "${NS[@]}"; do ip netns del "$ns" 2>/dev/null; done
	rm -rf "/etc/netns/${NS[viewer]}"
	if [ -f "$work/mounts" ]; then
		while read -r mnt; do umount "$mnt" 2>/dev/null || umount -l "$mnt"; done <"$work/mounts"
		rm -f "$work/mounts"
	fi
	# the overlays' upper layers: root-owned copies of the machines
	[ -n "${KEEP_TEST_DIR:-}" ] || rm -rf "$work/relay" "$work/camera"
}
kit_on_exit cleanup_system

# ------------------------------------------------------------- prepare

step "prepare: images, packages, network"
images_log=$work/images.log
image_of() {  # image_of KIND: the cached root (built if missing)
	"$here/image.sh" "$1" "$base" 2>>"$images_log"
}
if ! relay_image=$(image_of relay) || ! camera_image=$(image_of camera); then
	mirror=${CAMRELAY_SYSTEM_MIRROR:-http://deb.debian.org/debian}
	curl -fsS --max-time 15 -o /dev/null "$mirror/dists/bookworm/Release" ||
		skip "no image in $base/images and Debian's archive ($mirror) is not reachable to build one"
	cat "$images_log" >&2
	die "mmdebstrap could not build the machines' images"
fi
say "images: $relay_image, $camera_image"

debs=$work/debs
build_debs() {
	if [ "$long" = 1 ]; then
		"$here/build-debs.sh" "$src" "$debs" --upgrade
	else
		"$here/build-debs.sh" "$src" "$debs"
	fi
}
if [ -n "${CAMRELAY_SYSTEM_DEBS:-}" ]; then
	# packages built before (tests/system/build-debs.sh SRC DIR [--upgrade])
	debs=$CAMRELAY_SYSTEM_DEBS
	say "packages from $debs (CAMRELAY_SYSTEM_DEBS), not built by this run"
	[ "$long" = 0 ] || [ -d "$debs/v2" ] || die "$debs/v2 missing (build-debs.sh ... --upgrade)"
else
	check "prepare: dpkg-buildpackage -us -uc -b in a copy of the checkout" build_debs || exit 1
fi
version1=$(dpkg-deb -f "$debs"/v1/camrelay_*.deb Version)
# camrelay-bench from the package, for the camera stand-in and the viewer
dpkg-deb -x "$debs"/v1/camrelay_*.deb "$work/camrelay-pkg"
bench=$work/camrelay-pkg/usr/bin/camrelay-bench

# The test CA: the stand-in certbot issues from it; the viewers trust it.
ca=$work/ca
mkdir -p "$ca"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$ca/ca.key" -out "$ca/ca.pem" \
	-days 7 -subj "/CN=camrelay system test CA" -addext "basicConstraints=critical,CA:TRUE" \
	-addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null || die "cannot make the test CA"

network() {
	local n
	for n in "${NS[@]}"; do ip netns add "$n"; done
	for n in relay camera viewer; do
		ip -n "${NS[router]}" link add "$n" type veth peer name host0 netns "${NS[$n]}"
	done
	ip -n "${NS[router]}" addr add 10.77.1.1/24 dev relay || return 1
	ip -n "${NS[router]}" addr add 10.77.2.1/24 dev camera || return 1
	ip -n "${NS[router]}" addr add 10.77.3.1/24 dev viewer || return 1
	ip -n "${NS[relay]}" addr add "$RELAY_IP/24" dev host0 || return 1
	ip -n "${NS[camera]}" addr add "$CAMERA_IP/24" dev host0 || return 1
	ip -n "${NS[viewer]}" addr add "$VIEWER_IP/24" dev host0 || return 1
	for n in "${NS[@]}"; do ip -n "$n" link set lo up; done
	for n in relay camera viewer; do
		ip -n "${NS[router]}" link set "$n" up
		ip -n "${NS[$n]}" link set host0 up
	done
	ip -n "${NS[relay]}" route replace default via 10.77.1.1 || return 1
	ip -n "${NS[camera]}" route replace default via 10.77.2.1 || return 1
	ip -n "${NS[viewer]}" route replace default via 10.77.3.1 || return 1
	ip netns exec "${NS[router]}" sysctl -qw net.ipv4.ip_forward=1 || return 1
	# relay.example.com in the viewer network (ip netns exec mounts it on /etc/hosts)
	mkdir -p "/etc/netns/${NS[viewer]}" || return 1
	printf '127.0.0.1\tlocalhost\n%s\t%s\n' "$RELAY_IP" "$NAME" >"/etc/netns/${NS[viewer]}/hosts" || return 1
	ip netns exec "${NS[viewer]}" ping -c 1 -W 2 10.77.1.1 || return 1
}
check "prepare: namespaces relay $RELAY_IP, camera $CAMERA_IP, viewer $VIEWER_IP, joined by a forwarding router" network ||
	exit 1
vx() { ip netns exec "${NS[viewer]}" "$@"; }  # in the viewer network

machine_prepare relay "$relay_image"
machine_prepare camera "$camera_image"
R=$work/relay/root
C=$work/camera/root
prepare_relay() {
	echo relay >"$R/etc/hostname"
	printf '127.0.0.1\tlocalhost\n127.0.1.1\trelay\n%s\t%s\n' "$RELAY_IP" "$NAME" >"$R/etc/hosts" || return 1
	mkdir -p "$R/var/log/journal" "$R/opt/camrelay-system-test/ca" || return 1
	# the locale a Debian installer writes (pam_env reads it at each SSH login)
	echo 'LANG=C.UTF-8' >"$R/etc/default/locale"
	cp "$ca/ca.pem" "$ca/ca.key" "$R/opt/camrelay-system-test/ca/" || return 1
	install -m 0755 "$here/certbot-standin" "$R/usr/local/bin/certbot" || return 1
	cp "$debs"/v1/*.deb "$R/root/" || return 1
	if [ -d "$debs/v2" ]; then
		mkdir -p "$R/root/upgrade"
		cp "$debs"/v2/*.deb "$R/root/upgrade/"
	fi
}
prepare_camera() {
	echo camera >"$C/etc/hostname"
	printf '127.0.0.1\tlocalhost\n127.0.1.1\tcamera\n%s\t%s\n' "$RELAY_IP" "$NAME" >"$C/etc/hosts" || return 1
	mkdir -p "$C/var/log/journal" "$C/opt/camera-standin" || return 1
	echo 'LANG=C.UTF-8' >"$C/etc/default/locale"
	cp "$bench" "$C/opt/camera-standin/" || return 1
	cp "$debs"/v1/camrelay-tunnel_*.deb "$C/root/" || return 1
	if [ -d "$debs/v2" ]; then
		mkdir -p "$C/root/upgrade"
		cp "$debs"/v2/camrelay-tunnel_*.deb "$C/root/upgrade/"
	fi
	# A Picam360's server: its page and a binary WebSocket stream on port 9001
	cat >"$C/etc/systemd/system/camera-standin.service" <<-'EOF'
		[Unit]
		Description=Camera stand-in on port 9001 (camrelay-bench's demo camera: a page and a binary WebSocket stream, as a Picam360 serves)
		[Service]
		ExecStart=/opt/camera-standin/camrelay-bench serve --listen 127.0.0.1:9001 --mode demo --rate 25
		Restart=always
		[Install]
		WantedBy=multi-user.target
	EOF
	ln -sf /etc/systemd/system/camera-standin.service "$C/etc/systemd/system/multi-user.target.wants/" || return 1
}
check "prepare: the relay's root (relay.example.com -> $RELAY_IP in /etc/hosts, the packages in /root, certbot stand-in in /usr/local/bin)" prepare_relay || exit 1
check "prepare: the camera's root (camrelay-tunnel's package in /root, the Picam360 stand-in as camera-standin.service)" prepare_camera || exit 1

say "substituted for this test: certbot is /usr/local/bin/certbot in the relay (tests/system/certbot-standin): it serves the http-01 challenge on the address and port camrelay setup gives it, verifies it through http://$NAME/ (varnishd) and issues from a test CA, not Let's Encrypt; $NAME is $RELAY_IP in every machine's /etc/hosts"

step "boot"
machine_boot relay
machine_boot camera
check "boot: the relay machine reaches multi-user (systemd in systemd-nspawn), no failed unit" machine_up relay || exit 1
check "boot: the camera machine too" machine_up camera || exit 1
camera_standin() { m camera 'systemctl is-active camera-standin && ss -Hltn | grep -q "127.0.0.1:9001 "'; }
check "boot: the camera stand-in listens on 127.0.0.1:9001 in the camera" wait_for 20 camera_standin

# ------------------------------------------------------- the README

step "readme: the commands of 'Deploy a relay', as README.md prints them"
mapfile -t readme < <(awk '/^## Deploy a relay/ { on = 1; next } /^## / { on = 0 }
	on && /^    .*# [0-9]+[[:space:]]*$/ { sub(/^    /, ""); print }' "$src/README.md")
readme_cmd() {  # readme_cmd N: the line that ends with "# N"
	local line
	for line in "${readme[@]}"; do
		[[ $line =~ \#\ $1[[:space:]]*$ ]] && { printf '%s\n' "$line"; return 0; }
	done
	return 1
}
for n in 1 2 3 4 5 6; do
	readme_cmd "$n" >/dev/null || die "README.md, Deploy a relay: no command ending with '# $n'"
done
[ "${#readme[@]}" = 6 ] || die "README.md, Deploy a relay: ${#readme[@]} numbered commands, expected 6"

# The admin answers apt's question (apt install asks before installing
# more than what was named): the machines' apt says yes by itself.
for r in "$R" "$C"; do
	printf 'APT::Get::Assume-Yes "true";\n' >"$r/etc/apt/apt.conf.d/90camrelay-system-test-yes"
done
say "substituted for this test: apt answers yes by itself (APT::Get::Assume-Yes in /etc/apt/apt.conf.d/90camrelay-system-test-yes), as the admin would at its prompt"

# Keys in output shown: the MAC is cut (no complete key in a log).
mask() { sed -E 's/(k=v1\.[^.[:space:]]+\.[^.[:space:]]+\.[0-9]+\.[0-9]+\.)[A-Za-z0-9_-]+/\1.../g'; }

# readme_step N MACHINE: prints and runs the README's command N in MACHINE;
# its output in $work/step-N.out (mode 0600), shown with keys cut
readme_step() {
	local n=$1 machine=$2 cmd rc=0
	cmd=$(readme_cmd "$n")
	say "README # $n on the $machine: $cmd"
	(umask 077 && m "$machine" "DEBIAN_FRONTEND=noninteractive $cmd" >"$work/step-$n.out" 2>&1) || rc=$?
	mask <"$work/step-$n.out"
	return $rc
}
check "README # 1 (relay): $(readme_cmd 1)" readme_step 1 relay || exit 1
check "README # 2 (relay): $(readme_cmd 2)" readme_step 2 relay || exit 1
grep -E 'certbot stand-in|changed|unchanged|Viewers|relay' "$work/step-2.out" | mask | sed 's/^/    /' >&2
setup_names() {  # the summary names the certificate's name, not the machine's
	grep -E '^(Viewers|  *wss?://|  camrelay camera add|  camrelay key issue)' "$work/step-2.out"
	grep -q "wss://$NAME/" "$work/step-2.out" || return 1
	grep -q -- "--relay $NAME" "$work/step-2.out" || return 1
	not grep -E '(wss?://|--relay )relay[:/ ]' "$work/step-2.out" || return 1
	# the key file README step 3 makes is cam1.key.pub, not cam1.pub
	grep -q -- '--ssh-key cam1.key.pub' "$work/step-2.out" || return 1
	not grep -q 'cam1\.pub' "$work/step-2.out" || return 1
}
check "README # 2: setup's summary names the relay relay.example.com (the certificate's name, not hostname -f 'relay') and the key cam1.key.pub" setup_names
acme_through_varnish() {
	m relay 'cat /var/log/certbot-standin.log' || return 1
	m relay 'grep -q "the CA fetched http://relay.example.com/.well-known/acme-challenge/.* the key authorization matches" /var/log/certbot-standin.log' || return 1
	m relay 'openssl x509 -in /etc/letsencrypt/live/relay.example.com/cert.pem -noout -subject -ext subjectAltName' || return 1
}
check "README # 2: the http-01 challenge was served through varnishd on port 80 and the certificate issued to /etc/letsencrypt/live/$NAME" acme_through_varnish
varnishd_before_certbot() {
	m relay 'grep "when certbot started" /var/log/certbot-standin.log'
	m relay 'grep -q "when certbot started: open" /var/log/certbot-standin.log'
}
check "README # 2: varnishd answered on port 80 when setup started certbot (no race with Let's Encrypt's check)" varnishd_before_certbot
check "README # 3 (relay): $(readme_cmd 3)" readme_step 3 relay || exit 1
check "README # 4 (relay): $(readme_cmd 4)" readme_step 4 relay || exit 1

# What step 4 printed goes on the camera: cam1.key, and the two files.
copy_to_camera() {
	local out=$work/step-4.out t=$C/etc/camrelay-tunnel
	mkdir -p "$t"
	awk '/^2\. .*cam1\.known_hosts/ { getline; print; exit }' "$out" >"$t/cam1.known_hosts" || return 1
	awk '/^3\. .*cam1\.conf/ { on = 1; next } /^4\. / { on = 0 } on' "$out" >"$t/cam1.conf" || return 1
	install -m 0400 "$R/root/cam1.key" "$t/cam1.key" || return 1
	echo "/etc/camrelay-tunnel/cam1.known_hosts:"
	cat "$t/cam1.known_hosts" || return 1
	echo "/etc/camrelay-tunnel/cam1.conf:"
	cat "$t/cam1.conf" || return 1
	grep -q "^\[\?$NAME\]\?\(:22\)\? ssh-ed25519 " "$t/cam1.known_hosts" || return 1
	grep -q "^RELAY=camrelay-cam@$NAME" "$t/cam1.conf" || return 1
	grep -q '^IDENTITY=/etc/camrelay-tunnel/cam1.key' "$t/cam1.conf" || return 1
}
check "README # 4 -> camera: cam1.key and the two files it printed copied into /etc/camrelay-tunnel/" copy_to_camera || exit 1
check "README # 5 (camera): $(readme_cmd 5)" readme_step 5 camera || exit 1
check "README # 6 (relay): $(readme_cmd 6)" readme_step 6 relay || exit 1
link=$(grep -o "wss://$NAME/cam1/?k=[A-Za-z0-9._-]*" "$work/step-6.out" | head -n 1)
[ -n "$link" ] || die "README # 6 printed no wss://$NAME/cam1/?k=... link"
page_link=$(grep -o "https://$NAME/cam1/[^ ]*k=[A-Za-z0-9._-]*" "$work/step-6.out" | head -n 1)

tunnel_up() { m relay 'camrelay camera list --check' >/dev/null 2>&1; }
# camrelay-tunnel starts its back-off (1 s doubling to 30 s) again only
# after a connection held 60 s: each reboot or link drop measured waits
# until the tunnel has been up 65 s, so that one does not inherit the
# back-off of the one before.
mark_online() { date +%s >"$work/online-since"; }
settle() {
	local since
	since=$(cat "$work/online-since" 2>/dev/null || echo 0)
	while [ $(($(date +%s) - since)) -lt 65 ]; do sleep 1; done
}
camera_listed_up() {
	wait_for 30 tunnel_up && mark_online
	m relay 'camrelay camera list'
	m relay 'camrelay camera list' | grep -E '^cam1 .*\bup\b'
}
check "README: camrelay camera list shows cam1's tunnel up" camera_listed_up || exit 1
tunnel_service() { m camera 'systemctl is-enabled camrelay-tunnel@cam1 && systemctl is-active camrelay-tunnel@cam1'; }
check "README # 5: apt install started camrelay-tunnel@cam1 and enabled it (it comes back after a reboot)" tunnel_service

# ------------------------------------------------------------ viewers

step "viewer: wss:// from the viewer network"
new_key() { m relay 'camrelay key issue --camera cam1 --ttl 2h'; }
bench_watch() {
	local key
	key=$(new_key) || return 1
	vx "$bench" run "wss://$NAME/cam1/?k=$key" --mode demo --duration 3 --ca "$ca/ca.pem" 2>&1 | mask
	return "${PIPESTATUS[0]}"
}
check "viewer: camrelay-bench run --mode demo over wss://$NAME/cam1/ receives the camera's frames" bench_watch
first_frame() {  # first_frame LABEL: one new viewer's time to its first frame
	local key out
	key=$(new_key) || return 1
	out=$(vx node "$here/viewer.js" "wss://$NAME/cam1/?k=$key" --ca "$ca/ca.pem" --frames 10) || {
		echo "$out"
		return 1
	}
	echo "$out"
	sed -n 's/.*"first_ms":\([0-9.]*\).*/\1/p' <<<"$out" >>"$work/first-frame-$1"
}
runs=3
[ "$long" = 0 ] || runs=5
for i in $(seq "$runs"); do
	check "viewer: a new WebSocket viewer ($i/$runs) gets 10 binary messages; time to the first measured" first_frame boot
done
median() { sort -n | awk '{ v[NR] = $1 } END { if (NR) print v[int((NR + 1) / 2)] }'; }
if [ -s "$work/first-frame-boot" ]; then
	figure "first frame, new viewer, wss:// over the local link: median $(median <"$work/first-frame-boot") ms of $(wc -l <"$work/first-frame-boot") (all: $(tr '\n' ' ' <"$work/first-frame-boot")ms; target <= 300 ms) [node tests/system/viewer.js]"
fi

chromium_home=$work/chromium
mkdir -p "$chromium_home/.pki/nssdb"
certutil -N --empty-password -d "sql:$chromium_home/.pki/nssdb" &&
	certutil -A -n "camrelay system test CA" -t C,, -i "$ca/ca.pem" -d "sql:$chromium_home/.pki/nssdb" ||
	die "cannot make Chromium's NSS store"
browser() {
	local key out url
	key=$(new_key) || return 1
	url="https://$NAME/cam1/?k=$key"
	out=$(cd "$here" && vx env HOME="$chromium_home" timeout 90 node browser.js "$url" 5) || {
		echo "$out"
		return 1
	}
	echo "$out"
	grep -q '"ok":true' <<<"$out" && grep -q '"page_status":200' <<<"$out"
}
check "viewer: headless Chromium (test CA trusted in its NSS store) loads https://$NAME/cam1/?k=... and its wss:// WebSocket draws the camera's frames" browser
[ -z "$page_link" ] || say "README # 6 printed the page link ${page_link%%k=*}k=... too"

# ----------------------------------------------------------- the relay

step "relay: redirect, VCLs, setup again, journal"
redirect_keeps_no_key() {
	local a b ra rb rn head
	a=$(new_key) || return 1
	b=$(new_key) || return 1
	ra=$(vx curl -s -o /dev/null -w '%{http_code} %{redirect_url}' "http://$NAME/cam1/?k=$a") || return 1
	rb=$(vx curl -s -o /dev/null -w '%{http_code} %{redirect_url}' "http://$NAME/cam1/?k=$b") || return 1
	rn=$(vx curl -s -o /dev/null -w '%{http_code} %{redirect_url}' "http://$NAME/cam1/") || return 1
	printf '%s\n' "key A: $ra" "key B: $rb" "no key: $rn" | mask || return 1
	[[ $ra == 30[1278]" https://$NAME/cam1/?k=$a" ]] || return 1
	[[ $rb == 30[1278]" https://$NAME/cam1/?k=$b" ]] || return 1
	[[ $rn == 30[1278]" https://$NAME/cam1/" ]] || return 1
	# a browser keeps a 301 or 308 (and its Location, the key) unless told not to
	head=$(vx curl -s -o /dev/null -D - "http://$NAME/cam1/?k=$a" | tr -d '\r')
	grep -Ei '^(HTTP/|cache-control:|age:)' <<<"$head"
	grep -qi '^cache-control:.*no-store' <<<"$head" || return 1
}
check "relay: http:// page loads redirect to https:// with the request's own key (none served from varnishd's cache to another viewer) and Cache-Control: no-store (no browser keeps the key)" redirect_keeps_no_key

# VCLs loaded and not discarded (a discarded one still busy with a piped
# connection goes when that connection ends)
vcl_count() { m relay 'varnishadm vcl.list' | grep -v '^discarded' | grep -c .; }
vcls_after_changes() {
	local before after i
	before=$(vcl_count) || return 1
	for i in 2 3 4; do
		m relay "camrelay camera add cam$i --port $((20100 + i)) >/dev/null && sleep 2 && camrelay camera remove cam$i >/dev/null && sleep 2" ||
			return 1
	done
	sleep 3 || return 1
	m relay 'varnishadm vcl.list' || return 1
	after=$(vcl_count) || return 1
	echo "VCLs: $before before, $after after 6 camera changes"
	[ "$after" -le 2 ] || return 1
	m relay 'camrelay camera list --check' || return 1
}
check "relay: camera changes (6 add/remove) reload the VCL without old VCLs piling up (at most 2 loaded and not discarded)" vcls_after_changes

setup_again() {  # setup_again: README # 2 again changes nothing
	local cmd out
	cmd=$(readme_cmd 2)
	out=$(m relay "$cmd" 2>&1)
	printf '%s\n' "$out" | mask
	grep -q 'camrelay setup: 0 changed' <<<"$out" && ! grep -E '^[a-z0-9-]+ +changed ' <<<"$out"
}
check "relay: README # 2 run a second time changes nothing (\"0 changed\", every step unchanged)" setup_again

# Warnings and errors of camrelay's daemons in the relay's journal (all
# boots): none but these known benign ones, each with its reason.
allowed_journal=(
	# certbot.timer of Debian's certbot package may run "certbot renew" (the real one, no network here)
	'certbot\[[0-9]+\]:'
	# haproxy logs each of its proxies' end, at warning level, whenever it stops or reloads
	'haproxy\[[0-9]+\]: Proxy [^ ]+ stopped \(cumulated conns'
	# the camera's TRANSPORT=auto probe (camrelay-connect probe) tries SSH on 22 and 443 at once and
	# closes the connections it does not take, before their key exchange
	'sshd\[[0-9]+\]: error: kex_exchange_identification: Connection closed by remote host'
	# systemd in systemd-nspawn on this host (cgroup v1, name=systemd hierarchy) cannot use
	# cgroup.kill and kills a unit's processes one by one: said for every unit it stops (dbus,
	# systemd-logind, console-getty too), an artefact of the test machine, not of camrelay
	'systemd\[1\]: [^ ]+\.service: Failed to kill control group /system\.slice/[^ ]+, ignoring: Input/output error'
)
journal_clean() {  # journal_clean MACHINE
	local pattern lines
	pattern=$(IFS='|'; echo "${allowed_journal[*]}")
	m "$1" 'journalctl -p warning --no-pager -o short-iso' >"$work/journal-$1.txt"
	lines=$(grep -Ei 'varnish|haproxy|sshd|camrelay|ssh\.service' "$work/journal-$1.txt" | grep -Ev "$pattern" |
		grep -Ev 'varnishd\[[0-9]+\]: (Error: )?Manager got SIGTERM$' | mask || true)
	# varnishd's manager logs "Manager got SIGTERM" at error level whenever it is stopped
	# (upstream varnishd, with Debian's own varnish.service too): allowed right after systemd's
	# "Stopping varnish.service" (within 2 s), a stop someone asked for (setup's first start
	# on port 80, a reboot), and reported otherwise
	lines+=$(m "$1" 'journalctl -u varnish.service --no-pager -o short-unix' | awk '
		/Stopping varnish\.service/ { stops[++n] = $1 }
		/Manager got SIGTERM$/ { sigterm[++k] = $0; at[k] = $1 }
		END {
			for (i = 1; i <= k; i++) {
				asked = 0
				for (j = 1; j <= n; j++) if (at[i] - stops[j] <= 2 && stops[j] - at[i] <= 2) asked = 1
				if (!asked) print "(no stop asked) " sigterm[i]
			}
		}')
	[ -z "$lines" ] || {
		echo "$lines"
		return 1
	}
}
check "relay: journalctl -p warning: no warning or error from varnishd, haproxy, sshd or camrelay's units" journal_clean relay

# ------------------------------------------------------------- reboots

# A viewer that stays: the link README # 6 printed, reconnecting every
# 250 ms whenever its connection closes; its events say when frames flow.
watcher_start() {  # watcher_start NAME URL
	rm -f "$work/watch-$1.events"
	# Not through vx: a shell function run in the background is a subshell,
	# whose pid $! would be; SIGTERM would end that subshell and leave the
	# viewer running, holding a viewer slot of the camera. ip netns exec
	# execs node in its own process, so $! is the viewer itself.
	ip netns exec "${NS[viewer]}" node "$here/viewer.js" "$2" --ca "$ca/ca.pem" --hold 0 --retry-ms 250 \
		--events "$work/watch-$1.events" >"$work/watch-$1.json" 2>&1 &
	echo $! >"$work/watch-$1.pid"
	started "$(cat "$work/watch-$1.pid")"
}
watcher_stop() {  # watcher_stop NAME: its summary
	local pid
	pid=$(cat "$work/watch-$1.pid")
	kill -TERM "$pid" 2>/dev/null
	for _ in $(seq 50); do kit_running "$pid" || break; sleep 0.1; done
	cat "$work/watch-$1.json"
	if kit_running "$pid"; then
		echo "the viewer $1 (pid $pid) still runs 5 s after SIGTERM"
		kill -KILL "$pid" 2>/dev/null
		return 1
	fi
}
# watcher_stopped NAME: it ends on SIGTERM and reports the frames it got
watcher_stopped() {
	local out
	out=$(watcher_stop "$1") || {
		echo "$out"
		return 1
	}
	echo "$out"
	grep -q '"frames":[1-9]' <<<"$out"
}
# frames_after NAME T: the first time after T (epoch s) frames flowed to
# the watcher NAME
frames_after() {
	[ -f "$work/watch-$1.events" ] || return 1
	awk -v t="$2" -F'[:,}]' '/"frames"/ && $2 > t { print $2; found = 1; exit } END { exit !found }' \
		"$work/watch-$1.events"
}
watcher_live() { frames_after "$1" 0 >/dev/null; }
# tunnel_up_after T: polls the relay until camera list --check passes;
# prints the time (epoch s)
tunnel_up_time() {
	local deadline=$((SECONDS + ${1:-90}))
	while [ $SECONDS -lt $deadline ]; do
		if tunnel_up; then
			date +%s.%N
			return 0
		fi
		sleep 0.2
	done
	return 1
}
since() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f\n", b - a }'; }

watcher_start main "$link"
check "reboot: a viewer with README # 6's link watches (frames flow)" wait_for 20 watcher_live main

services_back() {
	machine_up relay || return 1
	# shellcheck disable=SC2016 # expanded in the relay
	m relay 'for u in varnish haproxy ssh camrelay-reload.path; do printf "%s: %s\n" $u "$(systemctl is-active $u)"; done' || return 1
	m relay 'systemctl is-active --quiet varnish haproxy ssh camrelay-reload.path' || return 1
	m relay 'ss -Hltn' | grep -E ':(80|443|22) ' || return 1
}
relay_reboot() {  # relay_reboot I: one reboot, measured
	local t0 t_tunnel t_frames
	settle
	machine_reboot relay || {
		echo "the relay did not reboot"
		return 1
	}
	t0=$(tail -n 1 "$work/relay/boots")
	t_tunnel=$(tunnel_up_time 90) || {
		echo "camera not online 90 s after the relay booted"
		return 1
	}
	wait_for 60 frames_after main "$t0" || {
		echo "the viewer's link plays no frame 60 s after the relay booted"
		return 1
	}
	t_frames=$(frames_after main "$t0")
	mark_online
	echo "relay boot -> camera online (camera list --check): $(since "$t0" "$t_tunnel") s; -> frames at the viewer again: $(since "$t0" "$t_frames") s"
	since "$t0" "$t_tunnel" >>"$work/relay-boot-online"
	since "$t0" "$t_frames" >>"$work/relay-boot-frames"
}
reboots=1
[ "$long" = 0 ] || reboots=${CAMRELAY_SYSTEM_REBOOTS:-5}
step "reboot: the relay, $reboots time(s)"
for i in $(seq "$reboots"); do
	check "reboot $i/$reboots: systemctl reboot on the relay; the camera's tunnel returns and the same viewer link plays again" relay_reboot "$i" &&
		check "reboot $i/$reboots: varnish, haproxy, ssh and camrelay-reload.path came back by themselves; :22, :80, :443 listen" services_back
done
if [ -s "$work/relay-boot-online" ]; then
	figure "relay boot -> camera online (camrelay camera list --check): median $(median <"$work/relay-boot-online") s of $(wc -l <"$work/relay-boot-online") (all: $(tr '\n' ' ' <"$work/relay-boot-online")s; target <= 15 s)"
	figure "relay boot -> frames at a waiting viewer again: median $(median <"$work/relay-boot-frames") s of $(wc -l <"$work/relay-boot-frames") (all: $(tr '\n' ' ' <"$work/relay-boot-frames")s)"
fi
check "reboot: README # 2 run again after the reboot changes nothing (\"0 changed\")" setup_again
check "reboot: a new viewer after the reboot gets frames" first_frame reboot
check "reboot: journalctl -p warning (every boot): no warning or error from the daemons" journal_clean relay

if [ "$long" = 1 ]; then
	step "long: camera reboot, link drops, upgrade"
	camera_reboot() {
		local t0 t_tunnel t_frames
		settle
		machine_reboot camera || return 1
		t0=$(tail -n 1 "$work/camera/boots")
		wait_for 120 machine_running camera
		t_tunnel=$(tunnel_up_time 90) || return 1
		wait_for 60 frames_after main "$t0" || return 1
		t_frames=$(frames_after main "$t0")
		mark_online
		echo "camera boot -> camera online: $(since "$t0" "$t_tunnel") s; -> frames at the viewer: $(since "$t0" "$t_frames") s"
		figure "camera boot -> camera online: $(since "$t0" "$t_tunnel") s, frames at the waiting viewer $(since "$t0" "$t_frames") s"
		m camera 'systemctl is-active camera-standin camrelay-tunnel@cam1'
	}
	check "camera reboot: the tunnel and the stand-in come back by themselves, the viewer's link plays again" camera_reboot
	link_drop() {  # the camera's link down 60 s, then back
		local t0 t_frames t_tunnel t_new
		settle
		ip -n "${NS[router]}" link set camera down
		sleep 60
		t0=$(date +%s.%N)
		ip -n "${NS[router]}" link set camera up
		# online: the relay sees the tunnel (its sshd dropped the dead session
		# during the 60 s) and a new viewer gets frames
		t_tunnel=$(tunnel_up_time 90) || {
			echo "the tunnel is not up 90 s after the link came back"
			return 1
		}
		wait_for 30 first_frame link || return 1
		t_new=$(date +%s.%N)
		mark_online
		# the viewer that watched all along: its connection, piped to a tunnel
		# that died, is closed by varnishd's pipe_timeout (30 s of silence)
		wait_for 60 frames_after main "$t0" || return 1
		t_frames=$(frames_after main "$t0")
		echo "link back -> camera list --check up: +$(since "$t0" "$t_tunnel") s; a new viewer's frames: +$(since "$t0" "$t_new") s; the waiting viewer's: +$(since "$t0" "$t_frames") s"
		since "$t0" "$t_tunnel" >>"$work/link-back"
		since "$t0" "$t_new" >>"$work/link-back-new"
		since "$t0" "$t_frames" >>"$work/link-back-frames"
	}
	drops=${CAMRELAY_SYSTEM_LINK_DROPS:-5}
	for i in $(seq "$drops"); do
		check "link drop $i/$drops: the router's link to the camera down 60 s, then up: the viewer's link plays again" link_drop
	done
	if [ -s "$work/link-back" ]; then
		figure "link back after 60 s down -> camera online (camrelay camera list --check): median $(median <"$work/link-back") s of $(wc -l <"$work/link-back") (all: $(tr '\n' ' ' <"$work/link-back")s; target <= 15 s)"
		figure "link back after 60 s down -> a new viewer's first frame: median $(median <"$work/link-back-new") s (all: $(tr '\n' ' ' <"$work/link-back-new")s)"
		figure "link back after 60 s down -> frames again at the viewer that kept its connection: median $(median <"$work/link-back-frames") s (all: $(tr '\n' ' ' <"$work/link-back-frames")s)"
	fi

	check "long: the viewer that watched the reboots and link drops ends on SIGTERM with its summary (frames > 0)" watcher_stopped main
	upgrade() {  # upgrade MACHINE APT_ARGS: with a viewer watching (its own key)
		local t0 out key
		key=$(new_key) || return 1
		watcher_start upgrade "wss://$NAME/cam1/?k=$key"
		wait_for 20 watcher_live upgrade || {
			echo "the viewer got no frame before the upgrade: $(watcher_stop upgrade)"
			return 1
		}
		t0=$(date +%s.%N)
		say "upgrade on the $1: apt install $2"
		m "$1" "DEBIAN_FRONTEND=noninteractive apt install $2" 2>&1 | tail -n 15
		wait_for 30 tunnel_up
		sleep 5
		out=$(watcher_stop upgrade)
		echo "viewer during the upgrade: $out"
		figure "apt upgrade of the $1 with a viewer watching: $(sed -n 's/.*"disconnects":\([0-9]*\).*"longest_gap_ms":\([0-9]*\).*/disconnected \1 time(s), longest gap \2 ms/p' <<<"$out")"
		grep -q '"ok":true' <<<"$out" &&
			[ "$(sed -n 's/.*"disconnects":\([0-9]*\).*/\1/p' <<<"$out")" -le 1 ] &&
			[ "$(sed -n 's/.*"longest_gap_ms":\([0-9]*\).*/\1/p' <<<"$out")" -le 15000 ]
	}
	check "upgrade: apt install of the newer build (${version1}+sys2) on the relay: the watching viewer is disconnected at most once and plays again within 15 s" upgrade relay './upgrade/varnish-camrelay_*.deb ./upgrade/camrelay_*.deb'
	check "upgrade: the same for camrelay-tunnel on the camera" upgrade camera './upgrade/camrelay-tunnel_*.deb'
	upgraded() {
		m relay 'dpkg-query -W camrelay varnish-camrelay' || return 1
		m camera 'dpkg-query -W camrelay-tunnel' || return 1
		[ "$(m relay "dpkg-query -W -f='\${Version}' camrelay")" = "${version1}+sys2" ] || return 1
		[ "$(m camera "dpkg-query -W -f='\${Version}' camrelay-tunnel")" = "${version1}+sys2" ] || return 1
		services_back || return 1
	}
	check "upgrade: both at ${version1}+sys2; services up" upgraded
	check "upgrade: a new viewer gets frames" first_frame upgrade
	check "upgrade: journalctl -p warning: no warning or error from the daemons" journal_clean relay
else
	check "reboot: the viewer that watched ends on SIGTERM with its summary (frames > 0)" watcher_stopped main
fi

# --------------------------------------------------------------- purge

step "purge"
purge() {  # purge MACHINE PACKAGE
	say "on the $1: apt purge $2"
	m "$1" "DEBIAN_FRONTEND=noninteractive apt purge $2" 2>&1 | tail -n 20
	return "${PIPESTATUS[0]}"
}
check "purge (relay): apt purge camrelay" purge relay camrelay
no_camrelay_units() {
	local units files
	# units still active (a unit stopped and gone from disk may stay listed, inactive, until
	# systemd forgets it)
	units=$(m relay "systemctl list-units --all --plain --no-legend 'camrelay*'" | awk '$3 != "inactive"')
	files=$(m relay "systemctl list-unit-files --no-legend 'camrelay*'; find /etc/systemd /run/systemd/system /lib/systemd/system -name '*camrelay*'")
	echo "units: ${units:-none}"
	echo "unit files: ${files:-none}"
	[ -z "$units" ] && [ -z "$files" ] || return 1
}
check "purge (relay): no camrelay unit left active, enabled or on disk (camrelay-reload.path inactive, no drop-ins)" no_camrelay_units
varnish_stock() {
	m relay 'systemctl is-active varnish || true; ps -o args= -C varnishd || true; varnishadm vcl.list 2>&1 || true' || return 1
	m relay 'ps -o args= -C varnishd || true' | not grep -q camrelay || return 1
	m relay 'varnishadm vcl.list 2>/dev/null || true' | not grep -qi camrelay || return 1
	m relay 'systemctl cat varnish 2>/dev/null || true' | not grep -q camrelay || return 1
}
check "purge (relay): varnish back to Debian's unit and VCL, or stopped (no camrelay VCL loaded)" varnish_stock
nothing_on_web_ports() {
	local l
	l=$(m relay 'ss -Hltnp' | grep -E ':(80|443) ' || true)
	echo "${l:-nothing on :80 or :443}"
	[ -z "$l" ] && ! m relay 'ps -o args= -C haproxy' | grep -q camrelay
}
check "purge (relay): nothing listens on :80 or :443; haproxy runs no camrelay configuration" nothing_on_web_ports
no_firewall_rules() {
	m relay 'ufw status verbose; nft list tables 2>/dev/null || true' || return 1
	m relay 'ufw status' | not grep -E '^(80|443)(/tcp)? ' || return 1
	m relay 'nft list ruleset 2>/dev/null || true' | not grep -qi camrelay || return 1
	# sshd still answers (the admin is not locked out)
	m relay 'systemctl is-active ssh && sshd -t' || return 1
}
check "purge (relay): the firewall rules setup added are gone (ufw: no 80/443 rule; no camrelay nftables table); sshd still runs" no_firewall_rules
no_camrelay_account() {
	not m relay 'getent passwd camrelay-cam' || return 1
	not m relay 'getent group camrelay-cam' || return 1
}
check "purge (relay): the cameras' account camrelay-cam is gone" no_camrelay_account
check "purge (relay): apt purge varnish-camrelay" purge relay varnish-camrelay
no_camrelay_files() {
	local left
	# (varnishd's own copies of the modules it loaded, vmod_cache, are its working files: the
	# varnish check above fails when varnishd still runs camrelay's VCL)
	left=$(m relay 'ls -d /etc/camrelay /run/camrelay /var/lib/camrelay /usr/share/camrelay /usr/libexec/camrelay \
		/etc/ssh/sshd_config.d/camrelay.conf /var/log/camrelay 2>/dev/null; find /etc /usr /var/lib -name "*camrelay*" 2>/dev/null |
		grep -v -e "^/etc/apt/apt.conf.d/90camrelay-system-test-yes$" -e "^/var/lib/varnish/[^/]*/vmod_cache/" || true')
	echo "left: ${left:-nothing}"
	[ -z "$left" ]
}
check "purge (relay): no camrelay file left (/etc, /usr, /var/lib, /run)" no_camrelay_files

check "purge (camera): apt purge camrelay-tunnel" purge camera camrelay-tunnel
tunnel_gone() {
	local procs units
	procs=$(m camera 'ps -eo user:20,args | grep -E "^camrelay-tunnel |camrelay-tunnel |camrelay-connect " | grep -v grep' || true)
	units=$(m camera "systemctl list-units --all --plain --no-legend 'camrelay*'" | awk '$3 != "inactive"')
	units+=$(m camera "find /etc/systemd /lib/systemd -name 'camrelay*' 2>/dev/null")
	echo "processes: ${procs:-none}"
	echo "units: ${units:-none}"
	[ -z "$procs" ] && [ -z "$units" ] || return 1
}
check "purge (camera): camrelay-tunnel@cam1 no longer runs, no camrelay unit active or on disk" tunnel_gone
tunnel_account_gone() { ! m camera 'getent passwd camrelay-tunnel'; }
check "purge (camera): the account camrelay-tunnel is gone" tunnel_account_gone
no_dangling_links() {
	local l
	l=$(m camera 'find /etc/systemd -xtype l')
	echo "dangling: ${l:-none}"
	[ -z "$l" ]
}
check "purge (camera): no dangling link in /etc/systemd (e.g. a wants link to the removed unit)" no_dangling_links
admin_files_kept() {
	m camera 'ls -l /etc/camrelay-tunnel/ 2>&1'
	m camera 'test -f /etc/camrelay-tunnel/cam1.key'
}
check "purge (camera): the key the admin copied in (/etc/camrelay-tunnel/cam1.key) is not deleted" admin_files_kept
check "purge (camera): the camera stand-in still runs (purge touched nothing else)" m camera 'systemctl is-active camera-standin'

say "figures of this run (also in $figures):"
sed 's/^/    /' "$figures" >&2
if [ -n "${CAMRELAY_SYSTEM_RESULTS:-}" ]; then
	{
		echo "# tests/system/run.sh $* on $(hostname) at $(date -u +%FT%TZ), camrelay $version1"
		cat "$figures"
	} >>"$CAMRELAY_SYSTEM_RESULTS"
fi
kit_finish
}
