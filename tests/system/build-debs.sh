#!/usr/bin/env bash
# tests/system/build-debs.sh SOURCE_DIR OUT [--upgrade]: the project's
# Debian packages built with dpkg-buildpackage from a copy of the checkout
# (tracked and new files, as git sees them; the checkout stays clean) into
# OUT/v1; with --upgrade also a newer version (the changelog bumped in the
# copy: VERSION+sys2) into OUT/v2, reusing the build (-nc).
set -euo pipefail
src=$(cd "$1" && pwd)
out=$2
upgrade=${3:-}
rm -rf "$out"
mkdir -p "$out/tree/camrelay" "$out/v1"
tree=$out/tree/camrelay
(cd "$src" && git ls-files -co --exclude-standard -z | grep -zv -e '^build' -e '/node_modules/' |
	xargs -0 cp --parents -t "$tree")
build() { (cd "$tree" && dpkg-buildpackage -us -uc -b -j2 "$@") >>"$out/build.log" 2>&1; }
build || { tail -n 40 "$out/build.log" >&2; exit 1; }
rm -f "$out"/tree/*-dbgsym_*.deb
mv "$out"/tree/*.deb "$out/v1/"
rm -f "$out"/tree/*.changes "$out"/tree/*.buildinfo
if [ "$upgrade" = --upgrade ]; then
	v1=$(dpkg-deb -f "$out"/v1/camrelay_*.deb Version)
	mkdir -p "$out/v2"
	{
		printf 'camrelay (%s+sys2) unstable; urgency=medium\n\n  * Upgrade test build.\n\n' "$v1"
		printf ' -- camrelay developers <dev@camrelay.invalid>  %s\n\n' "$(date -R)"
		cat "$tree/debian/changelog"
	} >"$tree/debian/changelog.new"
	mv "$tree/debian/changelog.new" "$tree/debian/changelog"
	rm -f "$tree/debian/files"
	build -nc || { tail -n 40 "$out/build.log" >&2; exit 1; }
	rm -f "$out"/tree/*-dbgsym_*.deb
	mv "$out"/tree/*.deb "$out/v2/"
fi
ls "$out"/v*/
