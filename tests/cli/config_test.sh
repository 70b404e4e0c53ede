#!/usr/bin/env bash
# Where the configuration comes from (--config, CAMRELAY_CONFIG) and what a
# broken or missing configuration gives.
source "$(dirname "$0")/lib.sh"

from_env=$(new_config)
from_option=$(new_config)

# CAMRELAY_CONFIG is honoured.
CAMRELAY_CONFIG=$from_env run camera add env-cam --port 18080
require_ok
expect_true "written to \$CAMRELAY_CONFIG" grep -q "^camera env-cam " "$from_env/cameras.conf"
CAMRELAY_CONFIG=$from_env run camera list
expect_out_has "env-cam"

# --config overrides it, in both spellings.
CAMRELAY_CONFIG=$from_env run --config "$from_option" camera add opt-cam --port 18081
require_ok
expect_true "written to --config" grep -q "^camera opt-cam " "$from_option/cameras.conf"
expect_true "not written to \$CAMRELAY_CONFIG" bash -c "! grep -q opt-cam '$from_env/cameras.conf'"
CAMRELAY_CONFIG=$from_env run --config="$from_option" camera list
expect_out_has "opt-cam"
expect_out_lacks "env-cam"
# An empty CAMRELAY_CONFIG is as if unset (default /etc/camrelay): only
# compare what the message names, never touch /etc/camrelay.
CAMRELAY_CONFIG='' run --config "$from_option" camera list
expect_out_has "opt-cam"

# --- a broken cameras.conf: exit 3, FILE:LINE, for every command that reads it.
broken=$(new_config)
printf '# site A\ncamera good port=18080\ncamera bad port=99999\n' >"$broken/cameras.conf"
cp "$broken/cameras.conf" "$WORK/broken.before"
for command in "camera list" "camera add new --port 18082" "camera remove good" "camera default good" \
               "camera revoke good" "key issue --camera good --ttl 1h" "key check x --camera good"; do
    # shellcheck disable=SC2086 # split the command into words
    run --config "$broken" $command
    expect_rc 3 "$command on a broken cameras.conf"
    expect_err_has "camrelay: $broken/cameras.conf:3: "
    expect_same_file "$broken/cameras.conf" "$WORK/broken.before"
done
printf 'camera a port=1\nfrobnicate\n' >"$broken/cameras.conf"
run --config "$broken" camera list
expect_rc 3 "unknown directive"
expect_err_has "$broken/cameras.conf:2: unknown directive"
printf 'camera a port=1\ncamera a port=2\n' >"$broken/cameras.conf"
run --config "$broken" camera list
expect_rc 3 "duplicate id in the file"
expect_err_has "$broken/cameras.conf:2: duplicate camera id"

# --- missing or unusable directory and files: I/O errors (5).
missing="$WORK/does-not-exist"
run --config "$missing" camera add cam1 --port 18080
expect_rc 5 "missing configuration directory"
expect_err_has "configuration directory $missing does not exist"
expect_true "not created" test ! -e "$missing"
run --config "$missing" secret new
expect_rc 5 "secret new in a missing directory"
not_a_file=$(new_config)
mkdir "$not_a_file/cameras.conf"
run --config "$not_a_file" camera list
expect_rc 5 "cameras.conf is a directory"
expect_err_prefixed
read_only=$(new_config)
if [[ $(id -u) -ne 0 ]]; then
    chmod 0555 "$read_only"
    run --config "$read_only" camera add cam1 --port 18080
    expect_rc 5 "read-only configuration directory"
    chmod 0755 "$read_only"
fi

# The default directory is /etc/camrelay: shown by the help, not touched here.
run --help
expect_out_has "/etc/camrelay"

kit_finish
