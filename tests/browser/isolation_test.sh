#!/usr/bin/env bash
# Camera isolation in a real browser: two cameras on one relay origin (path
# routing, the shipped vcl/default.vcl with the built module and the relay's
# parameters), one hostile (tests/browser/cameras.js). Headless Chromium,
# one profile, opens the hostile page, the honest page with a key, then the
# hostile page again (isolation.js). The hostile page must get no service
# worker, no cookie and no storage of the other camera, no request or key of
# it; the honest camera must never receive a key in Referer, and its page
# must still work: script, fetch of its own file, binary WebSocket messages.
#   isolation_test.sh BUILD_DIR
set -uo pipefail
# shellcheck source=../lib/relay_suite.sh
source "$(dirname "$0")/../lib/relay_suite.sh" "$@"

[ -x /usr/bin/chromium ] || skip "no /usr/bin/chromium (Debian package chromium)"
if [ ! -d "$here/node_modules/playwright-core" ] || [ ! -d "$here/node_modules/ws" ]; then
    skip "run npm ci in tests/browser (tools/dev/install-deps.sh)"
fi

relay_port=$(free_port)
relay_config
evil_port=$(relay_camera evil) || die "camera add evil"
good_port=$(relay_camera good) || die "camera add good"
key=$(cam key issue --camera good --ttl 1h) || die "key issue"
mac=${key##*.}

node "$here/cameras.js" "$evil_port" "$good_port" >"$TMP/cameras.log" 2>&1 &
started $!
mapfile -t params < <(camrelay_varnishd_params 100)
relay_start_varnish "$relay_port" "${params[@]}" -t 0
wait_for_port "$evil_port"
wait_for_port "$good_port"
relay="http://127.0.0.1:$relay_port"

out=$(node "$here/isolation.js" "$relay" "$key" "$TMP/profile" 2>"$TMP/browser.log") || true
printf '%s\n' "${out//$mac/<MAC>}" >&2
printf '%s\n' "$out" >"$TMP/result.json"
field() { # field JS_EXPRESSION_ON_r: prints it
    node -e 'const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
console.log(String(eval(process.argv[2])))' "$TMP/result.json" "$1"
}

check "browser ran" test -z "$(field 'r.error || ""')"
# The hostile page: no service worker for the origin, by either URL.
check "hostile page cannot register a service worker" \
    bash -c "[[ \"\$1\" != registered* ]] && [[ \"\$2\" != registered* ]] && [[ \"\$3\" != active* ]]" _ \
    "$(field 'r.evil_first.worker')" "$(field 'r.evil_first.worker_query')" "$(field 'r.evil_first.worker_active')"
check "no service worker in the browser" test "$(field 'r.workers.length')" = 0
check "hostile camera sees no request of the other camera" \
    bash -c "! grep -q '^{\"cam\":\"evil\",\"url\":\"/stolen' '$TMP/cameras.log'"
check "hostile camera never receives the other camera's key" \
    bash -c "! grep '^{\"cam\":\"evil\"' '$TMP/cameras.log' | grep -qF -- '$mac'"
# Cookies and storage: nothing of the honest camera reaches the hostile page.
check "hostile page cannot read the other camera's cookie" \
    bash -c "! grep -q goodsession <<<\"\$1\"" _ "$(field 'r.evil_after.cookie')"
check "hostile page cannot read the other camera's storage" \
    bash -c "! grep -q -e goodkey -e '$mac' <<<\"\$1\"" _ "$(field 'r.evil_after.storage')"
check "no camera cookie kept for the relay's origin" test "$(field 'r.cookies.length')" = 0
check "honest camera receives no cookie" \
    bash -c "! grep '^{\"cam\":\"good\"' '$TMP/cameras.log' | grep -qi '\"cookie\"'"
# Referer: the honest page's own requests carry no key.
check "honest camera receives no Referer with k=" \
    bash -c "! grep '^{\"cam\":\"good\"' '$TMP/cameras.log' | grep -qiE '\"referer\":\"[^\"]*k='"
check "honest camera never receives the key's MAC over HTTP" \
    bash -c "! grep '^{\"cam\":\"good\"' '$TMP/cameras.log' | grep -qF -- '$mac'"
# varnishd logs request headers before any VCL runs: the browser must not
# have sent the key in any header (Referer) that reaches the shared log.
varnishlog -n "$VARNISH_DIR" -d >"$TMP/vsl.txt"
check "the browser put no key in the shared log" bash -c "! grep -qF -- '$mac' '$TMP/vsl.txt'"
# The honest page still works in its sandbox.
check "honest page loaded its script" test "$(field 'r.good.app')" = true
check "honest page fetched its own file" test "$(field 'r.good.fetch')" = true
check "honest page's WebSocket exchanged binary messages" test "$(field 'r.good.ok')" = true

# Without a browser: a Referer carrying a key is cut before the camera, a
# service worker script fetch is refused, refusals carry the policy.
curl -fsS -o /dev/null -H "Referer: $relay/good/viewer.html?k=$key&x=1" "$relay/good/referer-probe" ||
    fail "referer probe"
check "Referer query cut before the camera" \
    bash -c "grep -F '\"url\":\"/referer-probe\"' '$TMP/cameras.log' | grep -qF '\"referer\":\"$relay/good/viewer.html\"'"
status=$(curl -sS -o /dev/null -w '%{http_code}' -H 'Service-Worker: script' "$relay/good/sw.js")
check "service worker script fetch refused (403)" test "$status" = 403
headers=$(curl -sS -D - -o /dev/null "$relay/nocam/")
check "refusals say Referrer-Policy: no-referrer" grep -qi '^referrer-policy: no-referrer' <<<"$headers"
headers=$(curl -sS -D - -o /dev/null "$relay/good/viewer.html")
check "camera answers say Referrer-Policy: no-referrer" grep -qi '^referrer-policy: no-referrer' <<<"$headers"
check "camera answers are sandboxed" grep -qi '^content-security-policy: .*sandbox allow-scripts' <<<"$headers"
check "camera Set-Cookie removed" bash -c "! grep -qi '^set-cookie' <<<\"\$1\"" _ "$headers"

kit_finish
