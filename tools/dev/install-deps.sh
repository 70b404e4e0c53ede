#!/usr/bin/env bash
# Installs everything camrelay needs to build and to run every test, on a
# fresh Debian bookworm / Ubuntu machine. Safe to run again: it only installs
# what is missing. Needs root (or sudo).
set -euo pipefail

packages=(
  # build
  build-essential cmake pkg-config libvarnishapi-dev libssl-dev python3-docutils
  libgtest-dev libbenchmark-dev
  # the clang builds and the formatting check (tools/dev/test.sh)
  clang clang-format
  # run and test: the data plane, the camera transport, load and browser tests
  varnish varnish-modules varnish-vmod-digest openssh-server openssh-client wrk hitch openssl
  chromium iproute2 procps psmisc curl ca-certificates jq shellcheck
  # https and SSH on one port (haproxy); cameras behind firewalls: a real HTTP
  # proxy and egress rules in network namespaces (tests/firewall); hitch is
  # what the https path is measured against (bench/transports.sh)
  haproxy tinyproxy nftables
  # the emulated WAN's test (tests/wan) pings through it
  iputils-ping
  # camrelay-bench's wss test counts its socket writes
  strace
  # the soak's plot (bench/soak.sh)
  gnuplot-nox
  # tests/e2e/metrics_test.sh: Prometheus scrapes camrelay metrics and runs
  # every query of the Grafana dashboard
  prometheus
  # camrelay key issue --qr draws QR codes; tests/cli/key_test.sh decodes them
  qrencode zbar-tools
  # packaging
  debhelper dpkg-dev fakeroot lintian git
  # booted test machines (tests/system): systemd-nspawn, their images from
  # Debian's archive, Chromium's NSS store for the test CA
  systemd-container mmdebstrap libnss3-tools
)
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  packages+=(nodejs npm)
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
if [ ${#missing[@]} -gt 0 ]; then
  echo "camrelay: installing ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
# clang's sanitizer runtimes (the clang-asan build): a package of their own
# on Debian bookworm and later, part of clang's on older releases.
if ! dpkg-query -W -f='${Status}' libclang-rt-dev 2>/dev/null | grep -q "install ok installed" &&
  apt-cache show libclang-rt-dev >/dev/null 2>&1; then
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends libclang-rt-dev >/dev/null
fi

# Packages install services that may start on their default ports; camrelay's
# tests start their own instances on loopback high ports instead.
for svc in varnish varnishncsa hitch haproxy tinyproxy prometheus; do
  if command -v systemctl >/dev/null 2>&1 && systemctl is-active --quiet "$svc" 2>/dev/null; then
    $SUDO systemctl stop "$svc" || true
  fi
done

# Node packages for the interop and browser tests (lock files are committed).
top=$(cd "$(dirname "$0")/../.." && pwd)
for dir in "$top"/tests/*/; do
  if [ -f "$dir/package-lock.json" ]; then
    (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error)
  fi
done
echo "camrelay: dependencies ready"
