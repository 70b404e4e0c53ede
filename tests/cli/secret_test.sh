#!/usr/bin/env bash
# camrelay secret new / rotate / list / show / retire.
source "$(dirname "$0")/lib.sh"

conf=$(new_config)
secrets="$conf/secrets.conf"
today=$(date -u +%Y%m%d)

# --- new: the first secret is primary; mode 0640; generated date-based id.
run --config "$conf" secret new
require_ok
expect_out "added secret s${today}a (primary: new keys are signed with it)"
expect_mode 640 "$secrets"
expect_true "one primary line" grep -Eq "^s${today}a [0-9a-f]{64} primary\$" "$secrets"
first_hex=$(awk '{print $2}' "$secrets")
expect_true "the secret is not printed by secret new" test "${OUT/$first_hex/}" = "$OUT"
if [[ $(id -u) -eq 0 ]]; then
    expect_true "owner root" test "$(stat -c %U "$secrets")" = root
    if getent group varnish >/dev/null; then
        expect_true "group varnish" test "$(stat -c %G "$secrets")" = varnish
    fi
    # --group overrides; an unknown group is a usage error.
    other=$(new_config)
    run --config "$other" secret new --group root
    require_ok
    expect_true "--group root" test "$(stat -c %G "$other/secrets.conf")" = root
    run --config "$other" secret new --group no-such-group-here
    expect_rc 2 "unknown --group"
    expect_err_has "no such group 'no-such-group-here'"
fi

# A second secret is not primary; ids keep counting within the day.
run --config "$conf" secret new
require_ok
expect_out_has "added secret s${today}b (not primary"
run --config "$conf" secret new --id web-app_1
require_ok
expect_out_has "added secret web-app_1 (not primary"

# --- refused and bad ids leave the file untouched.
cp "$secrets" "$WORK/secrets.before"
run --config "$conf" secret new --id web-app_1
expect_rc 4 "duplicate secret id"
expect_err_has "secret 'web-app_1' already exists"
expect_same_file "$secrets" "$WORK/secrets.before"
for bad_id in 'a b' '../x' "$(printf 'x%.0s' {1..33})" 'a.b' ''; do
    run --config "$conf" secret new --id "$bad_id"
    expect_rc 2 "bad secret id '$bad_id'"
    expect_err_has "invalid secret id"
done
expect_same_file "$secrets" "$WORK/secrets.before"

# --- list: ids and the primary mark, never a secret.
run --config "$conf" secret list
require_ok
expect_out_matches $'^ID +PRIMARY\n'
expect_out_matches $'\ns'"$today"$'a +\\*\n'
expect_out_matches $'\ns'"$today"'b *'$'\n'
expect_out_has "web-app_1"
while read -r _ hex _; do
    expect_out_lacks "$hex"
    expect_out_lacks "${hex:0:16}"
done <"$secrets"
run --config "$conf" secret list --json
require_ok
expect_out_has "{\"id\": \"s${today}a\", \"primary\": true}"
expect_out_has '{"id": "web-app_1", "primary": false}'
while read -r _ hex _; do expect_out_lacks "${hex:0:16}"; done <"$secrets"

# --- show: the one way to print a secret.
run --config "$conf" secret show "s${today}a"
require_ok
expect_out "$first_hex"
# A full disk on stdout is an I/O error, not a silent success.
if [[ -w /dev/full ]]; then
    set +e
    "$CAMRELAY" --config "$conf" secret show "s${today}a" >/dev/full 2>"$WORK/stderr"
    RC=$?
    set -e
    [[ $RC -eq 5 ]] && pass || fail "secret show into /dev/full exited $RC, expected 5"
fi
run --config "$conf" secret show nosuch
expect_rc 4 "show an unknown secret"
expect_err_has "unknown secret 'nosuch'"
expect_out ""

# --- rotate: a new primary; the old ones stay.
run --config "$conf" secret rotate --id next
require_ok
expect_out_has "secret next is now primary"
expect_out_has "secret s${today}a still verifies the keys already handed out"
expect_true "exactly one primary" test "$(grep -c ' primary$' "$secrets")" = 1
expect_true "the new one is primary" grep -Eq '^next [0-9a-f]{64} primary$' "$secrets"
expect_true "the old one stays" grep -Eq "^s${today}a ${first_hex}\$" "$secrets"
expect_mode 640 "$secrets"
run --config "$conf" secret rotate
require_ok
expect_out_has "secret s${today}c is now primary"
expect_true "still exactly one primary" test "$(grep -c ' primary$' "$secrets")" = 1

# Rotating with no secret at all simply creates the primary.
fresh=$(new_config)
run --config "$fresh" secret rotate
require_ok
expect_true "rotate on an empty directory" grep -Eq "^s${today}a [0-9a-f]{64} primary\$" "$fresh/secrets.conf"

# --- retire: never the primary, never an unknown id.
cp "$secrets" "$WORK/secrets.before"
run --config "$conf" secret retire "s${today}c"
expect_rc 4 "retire the primary"
expect_err_has "is the primary one"
expect_same_file "$secrets" "$WORK/secrets.before"
run --config "$conf" secret retire nosuch
expect_rc 4 "retire an unknown secret"
expect_same_file "$secrets" "$WORK/secrets.before"
run --config "$conf" secret retire "s${today}a"
require_ok
expect_out "retired secret s${today}a: keys signed with it are now refused (unknown_secret)"
expect_true "retired line gone" bash -c "! grep -q '^s${today}a ' '$secrets'"
expect_mode 640 "$secrets"

# Comments in secrets.conf survive edits.
printf '# rotated monthly\n' >>"$secrets"
run --config "$conf" secret new --id commented
require_ok
expect_true "comment kept" grep -qx "# rotated monthly" "$secrets"

# A secrets.conf others can read is rewritten 0640 by the next edit.
chmod 0644 "$secrets"
run --config "$conf" secret retire commented
require_ok
expect_mode 640 "$secrets"

# A broken secrets.conf: configuration error with FILE:LINE, nothing written.
printf 'good %s primary\nbad-line nothex\n' "$first_hex" >"$fresh/secrets.conf"
chmod 0640 "$fresh/secrets.conf"
cp "$fresh/secrets.conf" "$WORK/secrets.before"
run --config "$fresh" secret new
expect_rc 3 "broken secrets.conf"
expect_err_has "camrelay: $fresh/secrets.conf:2: "
expect_err_lacks "nothex"
expect_same_file "$fresh/secrets.conf" "$WORK/secrets.before"
run --config "$fresh" secret list
expect_rc 3

kit_finish
