#!/usr/bin/env bash
# The demo camera watched in a real browser through a real relay: the demo
# camera (camrelay-bench serve --mode demo) behind its tunnel
# (camrelay-tunnel from the settings `camrelay camera add` printed, sshd
# with camrelay's drop-in and a forwarding account), varnishd with the
# shipped vcl/default.vcl, the built module and the relay's parameters.
# Headless Chromium opens the browser link `camrelay key issue --url`
# prints (demo_page.js): the camera's page, passed by the relay inside its
# sandbox for camera pages, must open its WebSocket with the link's key and
# draw frames: the frame counter grows, the frame rate is above 0, the
# latency is shown, two screenshots of the canvas differ, and the colour
# bars have their colours; with a wrong key it says it was refused. The
# page's screenshot is kept as $TMP/demo.png, and copied to
# DEMO_SCREENSHOT=FILE when set (docs/demo.png comes from it).
#   demo_page_test.sh BUILD_DIR
set -uo pipefail
# shellcheck source=../lib/relay_suite.sh
source "$(dirname "$0")/../lib/relay_suite.sh" "$@"

why=$(relay_why_not)
[ -z "$why" ] || skip "$why"
[ -x /usr/bin/chromium ] || skip "no /usr/bin/chromium (Debian package chromium)"
[ -d "$here/node_modules/playwright-core" ] || skip "run npm ci in tests/browser (tools/dev/install-deps.sh)"
why=$(relay_why_not_built)
[ -z "$why" ] || die "$why"
bench=$BUILD_DIR/tools/camrelay-bench/camrelay-bench
[ -x "$bench" ] || die "$bench is not built"
# sshd's StrictModes refuses keys below /tmp: the work directory below /run.
rmdir "$TMP" && relay_workdir camrelay-browser

relay_setup
relay_start_sshd
cam secret new >/dev/null || die "secret new"
relay_add_camera demo
camera_server=$(free_port)
"$bench" serve --listen "127.0.0.1:$camera_server" --mode demo >"$TMP/camera.log" 2>&1 &
started $!
wait_for_port "$camera_server"
relay_start_installed_tunnel demo "127.0.0.1:$camera_server"
wait_for 15 port_in_use "$CAM_PORT" || die "the demo camera's tunnel did not come up"
relay_port=$(free_port)
mapfile -t params < <(camrelay_varnishd_params 100)
relay_start_varnish "$relay_port" "${params[@]}" -t 0

links=$(cam key issue --camera demo --ttl 1h --url "http://127.0.0.1:$relay_port/demo/") || die "key issue"
browser=$(sed -n 's/^browser  *//p' <<<"$links")
[[ $browser == "http://127.0.0.1:$relay_port/demo/?k=v1.demo."* ]] || die "no browser link in: $links"
mac=${browser##*.}

out=$(node "$here/demo_page.js" "$browser" "$TMP/demo.png" "$TMP/profile" 2>"$TMP/browser.log") || true
printf '%s\n' "${out//$mac/<MAC>}" >&2
printf '%s\n' "$out" >"$TMP/result.json"
field() { # field JS_EXPRESSION_ON_r: prints it
    node -e 'const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
console.log(String(eval(process.argv[2])))' "$TMP/result.json" "$1"
}
is_true() { test "$(field "$1")" = true; }

check "browser ran" test -z "$(field 'r.error || ""')"
check "the page runs inside the relay's sandbox (origin null)" test "$(field 'r.origin')" = null
check "no script error on the page" test "$(field 'r.errors.length')" = 0
check "frames arrive" is_true 'r.first.frames >= 5'
check "the frame counter grows" is_true 'r.second.frames >= r.first.frames + 10'
check "the camera's frame numbers go on" is_true 'r.second.lastFrame > r.first.lastFrame'
check "the frame rate is above 0 (about 12)" is_true 'r.second.fps > 5 && r.second.fps < 20'
check "the page shows the frame rate" is_true 'Number(r.shown.fps) > 5'
check "the latency is measured and shown" \
    is_true 'r.second.latencyMs >= 0 && r.second.latencyMs < 1000 && / ms$/.test(r.shown.latency)'
check "the page says it is live" test "$(field 'r.shown.status')" = live
check "the picture changes (two canvas screenshots differ)" is_true 'r.canvasChanged'
check "the canvas is 320x180" test "$(field 'r.pixels.size.join("x")')" = 320x180
check "colour bars in their colours (75% white, yellow)" \
    test "$(field 'r.pixels.bar0.join(",") + " " + r.pixels.bar1.join(",")')" = "191,191,191 191,191,0"
check "with a wrong key the page says it was refused, and draws nothing" \
    is_true 'r.refused.frames === 0 && /^refused or not reachable: an expired or wrong key/.test(r.refused.shown)'
check "screenshot saved, a PNG under 200 KiB" \
    bash -c '[ "$(head -c 8 "$1" | od -An -tx1 | tr -d " ")" = 89504e470d0a1a0a ] && [ "$(stat -c %s "$1")" -lt 204800 ]' \
    _ "$TMP/demo.png"

# The relay passed the page sandboxed, and kept the key out of the shared log.
headers=$(curl -sS -D - -o /dev/null "http://127.0.0.1:$relay_port/demo/")
check "the camera's page is sandboxed" grep -qi '^content-security-policy: .*sandbox allow-scripts' <<<"$headers"
varnishlog -n "$VARNISH_DIR" -d >"$TMP/vsl.txt"
check "the key's MAC never reached the shared log" bash -c "! grep -qF -- '$mac' '$TMP/vsl.txt'"

if [ -n "${DEMO_SCREENSHOT:-}" ]; then
    cp "$TMP/demo.png" "$DEMO_SCREENSHOT" && say "screenshot copied to $DEMO_SCREENSHOT"
fi
kit_finish
