#!/usr/bin/env bash
# camrelay key issue / key check, with secret rotation, retirement and camera
# revocation.
source "$(dirname "$0")/lib.sh"

conf=$(new_config)
run --config "$conf" camera add cam1 --port 18080
require_ok
run --config "$conf" camera add cam2 --port 18081
require_ok

# No secret yet: a configuration error.
run --config "$conf" key issue --camera cam1 --ttl 1h
expect_rc 3 "issue without a secret"
expect_err_has "no primary signing secret"
expect_err_has "camrelay secret new"

run --config "$conf" secret new --id first
require_ok

# check_key KEY CAMERA RC WHAT [ARG...]: `camrelay key check KEY --camera
# CAMERA ARG...` exits with status RC.
check_key() {
    run --config "$conf" key check "$1" --camera "$2" "${@:5}"
    expect_rc "$3" "$4"
}

# --- issue: the key alone on stdout, in the v1 format.
now=$(date +%s)
run --config "$conf" key issue --camera cam1 --ttl 12h
require_ok
expect_out_matches '^v1\.cam1\.first\.[1-9][0-9]*\.[1-9][0-9]*\.[A-Za-z0-9_-]{43}$'
key=$OUT
IFS=. read -r _ _ _ issued expires _ <<<"$key"
expect_true "issued is now" test $((issued - now)) -ge 0 -a $((issued - now)) -le 5
expect_true "expires is issued + 12h" test $((expires - issued)) -eq 43200
expect_err_lacks "v1."

check_key "$key" cam1 0 "a fresh key is allowed"
expect_out "allowed"

# --- durations: strict.
for ttl in 30s 15m 12h 7d 2w 521w 3653d; do
    run --config "$conf" key issue --camera cam1 --ttl "$ttl" --now 1700000000
    expect_rc 0 "--ttl $ttl"
done
run --config "$conf" key issue --camera cam1 --ttl 2w --now 1700000000
IFS=. read -r _ _ _ issued_2w expires_2w _ <<<"$OUT"
expect_true "2w is 14 days" test $((expires_2w - issued_2w)) -eq 1209600
expect_true "--now sets the issue time" test "$issued_2w" -eq 1700000000
for ttl in 0s 0 0m 5 1.5h 5M '5 m' ' 5m' -5m 1h30m 3654d 522w 99999999999999999999s h '' 05m 1y; do
    run --config "$conf" key issue --camera cam1 --ttl "$ttl"
    expect_rc 2 "--ttl '$ttl' refused"
    expect_out ""
done

# --- refusals of issue.
run --config "$conf" key issue --camera nosuch --ttl 1h
expect_rc 4 "issue for an unknown camera"
expect_err_has "unknown camera 'nosuch'"
expect_out ""
run --config "$conf" key issue --camera Cam1 --ttl 1h
expect_rc 2 "issue for an invalid camera id"
run --config "$conf" key issue --ttl 1h
expect_rc 2 "issue without --camera"
expect_err_has "option --camera is required"
run --config "$conf" key issue --camera cam1
expect_rc 2 "issue without --ttl"
run --config "$conf" key issue --camera cam1 --ttl 1h --secret nosuch
expect_rc 4 "issue with an unknown secret"

# --- check: expired, wrong camera, tampered, malformed, missing.
check_key "$key" cam1 1 "expired at the expiry second" --now "$expires"
expect_out_matches '^refused: expired \(expired [0-9]{4}-[0-9]{2}-[0-9]{2} [0-9:]{8} UTC, now\)$'
check_key "$key" cam1 1 "expired 3 hours ago" --now $((expires + 3 * 3600))
expect_out_matches '^refused: expired \(expired .* UTC, 3 hours ago\)$'
check_key "$key" cam1 0 "valid one second before expiry" --now $((expires - 1))
check_key "$key" cam2 1 "wrong camera"
expect_out "refused: wrong_camera (the key is for camera cam1, not cam2)"
mac=${key##*.}
expect_out_lacks "$mac"
tampered="${key%.*}.${mac:0:42}$( [[ ${mac:42:1} == A ]] && echo Q || echo A)"
check_key "$tampered" cam1 1 "tampered MAC"
expect_out_has "refused: bad_signature"
expect_out_lacks "${mac:0:20}"
longer=$(printf '%s' "$key" | sed 's/^\(v1\.cam1\.first\.[0-9]*\)\.[0-9]*/\1.9999999999/')
check_key "$longer" cam1 1 "extended expiry"
expect_out_has "refused: bad_signature"
check_key not-a-key cam1 1 "malformed"
expect_out "refused: malformed (not a v1 key, and camera cam1 has no legacy key)"
check_key "" cam1 1 "empty key"
expect_out_has "refused: missing"
check_key "$key" nosuch 4 "check against an unknown camera"
run --config "$conf" key check "$key"
expect_rc 2 "check without --camera"
expect_err_lacks "$mac"
check_key "$key" cam1 2 "bad --now" --now soon
# From standard input.
run_with_stdin "$key"$'\n' --config "$conf" key check - --camera cam1
expect_rc 0 "key from stdin"
expect_out "allowed"

# --- rotation: old and new keys both pass.
run --config "$conf" secret rotate --id second
require_ok
run --config "$conf" key issue --camera cam1 --ttl 1h
require_ok
new_key=$OUT
expect_out_matches '^v1\.cam1\.second\.'
check_key "$key" cam1 0 "old key after rotate"
check_key "$new_key" cam1 0 "new key after rotate"
# --secret signs with a non-primary secret.
run --config "$conf" key issue --camera cam1 --ttl 1h --secret first
expect_out_matches '^v1\.cam1\.first\.'

# --- retirement: the old key now names an unknown secret.
run --config "$conf" secret retire first
require_ok
check_key "$key" cam1 1 "old key after retire"
expect_out "refused: unknown_secret (signed with secret 'first', which is not in secrets.conf (retired?))"
check_key "$new_key" cam1 0 "new key after retire"

# --- revocation: keys issued before revoke-before are refused.
run --config "$conf" key issue --camera cam2 --ttl 1d --now $((now - 100))
require_ok
old_cam2=$OUT
run --config "$conf" key issue --camera cam1 --ttl 1d --now $((now - 100))
require_ok
old_cam1=$OUT
run --config "$conf" camera revoke cam2 --before "$((now - 10))"
require_ok
check_key "$old_cam2" cam2 1 "revoked"
expect_out_matches '^refused: revoked \(issued .* UTC, before camera cam2.s revoke-before .* UTC\)$'
check_key "$old_cam1" cam1 0 "revoking cam2 leaves cam1's keys alone"
run --config "$conf" key issue --camera cam2 --ttl 1h
require_ok
check_key "$OUT" cam2 0 "a key issued after the revocation works"
# Issuing a key that would be born revoked is refused.
run --config "$conf" key issue --camera cam2 --ttl 1h --now $((now - 100))
expect_rc 4 "key issued before revoke-before"

# --- revoke covers every key issued so far, in its own second and from a
# clock running a little ahead too; a key issued right after it works.
run --config "$conf" key issue --camera cam2 --ttl 1h
require_ok
same_second=$OUT
run --config "$conf" key issue --camera cam2 --ttl 1h --now $(($(date +%s) + 2))
require_ok
ahead=$OUT
run --config "$conf" key check "$ahead" --camera cam2
expect_rc 0 "a key issued 2 s ahead (clock skew) is allowed"
run --config "$conf" camera revoke cam2
require_ok
run --config "$conf" key check "$same_second" --camera cam2
expect_rc 1 "a key minted just before the revocation is revoked"
run --config "$conf" key check "$ahead" --camera cam2
expect_rc 1 "a key issued ahead of the revocation's second is revoked"
expect_out_matches '^refused: revoked \(issued .* UTC, before camera cam2.s revoke-before .* UTC\)$'
run --config "$conf" key issue --camera cam2 --ttl 1h
require_ok
fresh=$OUT
run --config "$conf" key check "$fresh" --camera cam2
expect_rc 0 "a key issued right after the revocation works"
run --config "$conf" key check "$fresh" --camera cam2 --now "$now"
expect_rc 1 "... but not before the revocation"

# A key dated into the future would outlive every revocation: refused.
run --config "$conf" key issue --camera cam1 --ttl 1d --now $((now + 86400))
require_ok
future=$OUT
run --config "$conf" key check "$future" --camera cam1
expect_rc 1 "a key issued a day ahead is refused"
expect_out_matches '^refused: revoked \(issued .* UTC, more than 60 s ahead of the relay.s clock: no revocation could cover it\)$'
run --config "$conf" key check "$future" --camera cam1 --now $((now + 86400))
expect_rc 0 "... and works from its issue time on"

# --- --url: the camera's two links, for a person (its page) and for
# programs (its WebSocket): one address, k= appended correctly, the scheme
# swapped (http <-> ws, https <-> wss) whichever one BASE names.
links_of() {
    run --config "$conf" key issue --camera cam1 --ttl 1h --now 1700000000 --url "$1" "${@:2}"
}
# expect_links BROWSER WEBSOCKET: the two labelled lines and nothing else.
expect_links() {
    expect_rc 0 "the links"
    expect_out "browser    $1"$'\n'"websocket  $2"
}
run --config "$conf" key issue --camera cam1 --ttl 1h --now 1700000000
plain=$OUT
plain_mac=${plain##*.}
links_of "ws://relay.example.com/cam1/"
expect_links "http://relay.example.com/cam1/?k=$plain" "ws://relay.example.com/cam1/?k=$plain"
links_of "wss://relay.example.com/cam1/?quality=high"
expect_links "https://relay.example.com/cam1/?quality=high&k=$plain" "wss://relay.example.com/cam1/?quality=high&k=$plain"
links_of "https://relay.example.com/cam1/"
expect_links "https://relay.example.com/cam1/?k=$plain" "wss://relay.example.com/cam1/?k=$plain"
links_of "http://127.0.0.1:8080/demo/"
expect_links "http://127.0.0.1:8080/demo/?k=$plain" "ws://127.0.0.1:8080/demo/?k=$plain"
links_of "HTTPS://cam1.relay.example.com/"
expect_links "https://cam1.relay.example.com/?k=$plain" "wss://cam1.relay.example.com/?k=$plain"
links_of "ws://relay.example.com/cam1/?"
expect_links "http://relay.example.com/cam1/?k=$plain" "ws://relay.example.com/cam1/?k=$plain"
links_of "ws://relay.example.com/cam1/?a=1&"
expect_links "http://relay.example.com/cam1/?a=1&k=$plain" "ws://relay.example.com/cam1/?a=1&k=$plain"
links_of "ws://relay.example.com/cam1/?kk=1&ok=2"
expect_links "http://relay.example.com/cam1/?kk=1&ok=2&k=$plain" "ws://relay.example.com/cam1/?kk=1&ok=2&k=$plain"
# A fragment stays on the browser link, after k=; a WebSocket link has none.
links_of "https://relay.example.com/view.html#cam1"
expect_links "https://relay.example.com/view.html?k=$plain#cam1" "wss://relay.example.com/view.html?k=$plain"
links_of "ws://relay.example.com/cam1/?k=old"
expect_rc 2 "--url with a k= already"
expect_err_has "already has a k= parameter"
links_of "ws://relay.example.com/cam1/?a=1&%6B=old"
expect_rc 2 "--url with a percent-encoded k="
for bad in "ws://relay.example.com/cam 1/" "ftp://relay.example.com/cam1/" "relay.example.com/cam1/" \
    "https:///cam1/" "https://" "https://?x=1" "javascript:alert(1)//"; do
    links_of "$bad"
    expect_rc 2 "--url '$bad' refused"
    expect_out ""
done
links_of "ftp://relay.example.com/cam1/"
expect_err_has "--url must start with https://, wss://, http:// or ws://"
links_of "https:///cam1/"
expect_err_has "no host name"

# --json: one object, for scripts; the links with --url.
json_start="{\"camera\": \"cam1\", \"secret\": \"second\", \"issued\": 1700000000, \"expires\": 1700003600"
run --config "$conf" key issue --camera cam1 --ttl 1h --now 1700000000 --json
expect_rc 0 "--json"
expect_out "$json_start, \"key\": \"$plain\"}"
links_of "wss://relay.example.com/cam1/" --json
expect_rc 0 "--json --url"
expect_out "$json_start, \"key\": \"$plain\", \"browser\": \"https://relay.example.com/cam1/?k=$plain\", \"websocket\": \"wss://relay.example.com/cam1/?k=$plain\"}"
if command -v jq >/dev/null; then
    expect_true "--json parses" test "$(jq -r .websocket <<<"$OUT")" = "wss://relay.example.com/cam1/?k=$plain"
fi

# --- --qr: the browser link as a QR code (qrencode), after the two lines.
links_of "https://relay.example.com/cam1/" --qr --json
expect_rc 2 "--qr with --json"
run --config "$conf" key issue --camera cam1 --ttl 1h --qr
expect_rc 2 "--qr without --url"
expect_err_has "--qr needs --url"
# links_with_path PATH ARG...: links_of with camrelay (alone) run with PATH.
printf '%s\n' '#!/bin/sh' 'PATH=$QR_PATH exec "$REAL_CAMRELAY" "$@"' >"$WORK/camrelay-with-path"
chmod +x "$WORK/camrelay-with-path"
export REAL_CAMRELAY=$CAMRELAY
links_with_path() {
    QR_PATH=$1 CAMRELAY=$WORK/camrelay-with-path links_of "${@:2}"
}
# Without qrencode: a clear error, nothing on stdout.
mkdir -p "$WORK/no-qrencode"
links_with_path "$WORK/no-qrencode" "https://relay.example.com/cam1/" --qr
expect_rc 5 "--qr without qrencode"
expect_err_has "--qr needs the qrencode program, which is not in PATH"
expect_err_has "apt install qrencode"
expect_out ""
# qrencode gets the link on its standard input, never on its command line
# (which every user of the machine can read); its failure is one.
mkdir -p "$WORK/fake-qrencode"
printf '%s\n' '#!/bin/sh' "printf '%s\\n' \"\$*\" >'$WORK/qrencode.args'" "cat >'$WORK/qrencode.stdin'" \
    'echo "(QR code)"' 'exit "${FAKE_QRENCODE_EXIT:-0}"' >"$WORK/fake-qrencode/qrencode"
chmod +x "$WORK/fake-qrencode/qrencode"
links_with_path "$WORK/fake-qrencode:$PATH" "https://relay.example.com/cam1/" --qr
expect_rc 0 "--qr with a stand-in qrencode"
expect_out "browser    https://relay.example.com/cam1/?k=$plain"$'\n'"websocket  wss://relay.example.com/cam1/?k=$plain"$'\n'"(QR code)"
expect_true "qrencode reads the browser link on stdin" \
    test "$(cat "$WORK/qrencode.stdin")" = "https://relay.example.com/cam1/?k=$plain"
expect_true "qrencode's arguments: text output, no key" test "$(cat "$WORK/qrencode.args")" = "-t UTF8"
FAKE_QRENCODE_EXIT=3 links_with_path "$WORK/fake-qrencode:$PATH" "https://relay.example.com/cam1/" --qr
expect_rc 5 "qrencode failing"
expect_err_has "qrencode failed (exit status 3)"
if command -v qrencode >/dev/null; then
    links_of "https://relay.example.com/cam1/" --qr
    expect_rc 0 "--qr"
    qr=$(tail -n +3 <<<"$OUT")
    expect_true "the first two lines are the links" test "$(head -n 2 <<<"$OUT")" = \
        "browser    https://relay.example.com/cam1/?k=$plain"$'\n'"websocket  wss://relay.example.com/cam1/?k=$plain"
    # Unicode half blocks only, every line as wide, 21 modules high at least.
    expect_true "the QR code is drawn with half blocks" \
        bash -c '! LC_ALL=C.UTF-8 grep -qv "^[█▀▄ ]*\$" <<<"$1"' _ "$qr"
    expect_true "the QR code's lines are as wide" \
        test "$(while IFS= read -r line; do printf '%s\n' "$line" | LC_ALL=C.UTF-8 wc -m; done <<<"$qr" | sort -u | wc -l)" = 1
    expect_true "the QR code is 21 modules high at least" test "$(wc -l <<<"$qr")" -ge 11
    # Decoded back (a module is a character wide and half a character
    # high), it is the browser link.
    if command -v zbarimg >/dev/null && command -v python3 >/dev/null; then
        printf '%s\n' "$qr" >"$WORK/qr.txt"
        python3 - "$WORK/qr.txt" "$WORK/qr.pbm" <<'PY'
import sys
# 1 is a dark module; qrencode -t UTF8 draws light ones
halves = {"\u2588": (0, 0), " ": (1, 1), "\u2580": (0, 1), "\u2584": (1, 0)}
rows = []
for line in open(sys.argv[1], encoding="utf-8").read().splitlines():
    rows += [[halves[c][0] for c in line], [halves[c][1] for c in line]]
scale = 4
with open(sys.argv[2], "w") as out:
    out.write("P1\n%d %d\n" % (len(rows[0]) * scale, len(rows) * scale))
    for row in rows:
        out.write((" ".join(str(m) for m in row for _ in range(scale)) + "\n") * scale)
PY
        decoded=$(zbarimg -q --raw "$WORK/qr.pbm" 2>/dev/null)
        expect_true "the QR code decodes to the browser link" \
            test "$decoded" = "https://relay.example.com/cam1/?k=$plain"
    else
        say "no zbarimg (zbar-tools) or python3: the QR code's shape is checked, not its content"
    fi
else
    say "no qrencode: --qr checked with a stand-in only"
fi
# The key went to stdout only, never to stderr.
for extra in --qr --json; do
    links_of "https://relay.example.com/cam1/" "$extra"
    expect_err_lacks "$plain_mac"
done

# --- legacy keys: a camera with a fixed key accepts it.
run_with_stdin 'fixed-key-123' --config "$conf" camera add old-cam --port 18090 --legacy-key-file -
require_ok
check_key fixed-key-123 old-cam 0 "legacy key"
expect_out "allowed"
check_key fixed-key-124 old-cam 1 "wrong legacy key"
expect_out "refused: bad_signature (does not match camera old-cam's legacy key)"
expect_out_lacks "fixed-key-124"

# A secrets.conf others can read is refused, as the relay refuses it.
chmod 0644 "$conf/secrets.conf"
run --config "$conf" key issue --camera cam1 --ttl 1h
expect_rc 3 "world-readable secrets.conf"
expect_err_has "world-readable"
chmod 0640 "$conf/secrets.conf"

kit_finish
