#!/usr/bin/env bash
# --help on every command and subcommand, --version, usage errors, and the man
# page source covering every command and exit status.
source "$(dirname "$0")/lib.sh"

COMMANDS=("camera add" "camera remove" "camera list" "camera default" "camera revoke"
          "secret new" "secret rotate" "secret list" "secret show" "secret retire"
          "key issue" "key check")

run --help
expect_rc 0 "camrelay --help"
expect_out_has "Usage: camrelay [--config DIR] COMMAND"
for command in "${COMMANDS[@]}"; do expect_out_has "  $command "; done
for status in 0 1 2 3 4 5; do expect_out_has "  $status  "; done
expect_out_has "CAMRELAY_CONFIG"
main_help=$OUT

run -h
expect_rc 0
expect_out "$main_help"

run help
expect_rc 0
expect_out "$main_help"

run --version
expect_rc 0
expect_out_matches '^camrelay [0-9]+\.[0-9]+\.[0-9]+$'

for group in camera secret key; do
    run "$group" --help
    expect_rc 0 "$group --help"
    expect_out_has "Usage: camrelay [--config DIR] $group COMMAND"
    run help "$group"
    expect_rc 0 "help $group"
    expect_out_has "Usage: camrelay [--config DIR] $group COMMAND"
    # A group without a command is a usage error, pointing at its help.
    run "$group"
    expect_rc 2 "$group without a command"
    expect_err_prefixed
    expect_err_has "Try 'camrelay $group --help'."
done

for command in "${COMMANDS[@]}"; do
    # shellcheck disable=SC2086 # split "camera add" into two words
    run $command --help
    expect_rc 0 "$command --help"
    expect_out_has "Usage: camrelay [--config DIR] $command"
    expect_out_has "Exit status:"
    # Help wins wherever it stands among the options, and needs no configuration.
    # shellcheck disable=SC2086
    run $command --camera x -h
    expect_rc 0 "$command ... -h"
    expect_out_has "Usage: camrelay [--config DIR] $command"
    # shellcheck disable=SC2086
    run help $command
    expect_rc 0 "help $command"
    expect_out_has "Usage: camrelay [--config DIR] $command"
    # shellcheck disable=SC2086
    run $command --no-such-option
    expect_rc 2 "$command --no-such-option"
    expect_err_has "unknown option '--no-such-option'"
    expect_err_has "Try 'camrelay $command --help'."
done

run camera add --help
expect_out_has "--legacy-key-file FILE"
run key issue --help
expect_out_has "30s, 15m, 12h, 7d, 2w"

# Usage errors.
run
expect_rc 2 "no command"
expect_err_has "camrelay: no command given"
run frobnicate
expect_rc 2 "unknown command"
expect_err_has "camrelay: unknown command 'frobnicate'"
run camera frobnicate
expect_rc 2 "unknown subcommand"
expect_err_has "camrelay: camera: unknown command 'frobnicate'"
run --frobnicate camera list
expect_rc 2 "unknown global option"
run --config
expect_rc 2 "--config without a value"
run --config "" camera list
expect_rc 2 "empty --config"
run camera remove
expect_rc 2 "missing argument"
expect_err_has "missing argument"
run camera remove a b
expect_rc 2 "extra argument"
expect_err_has "unexpected argument 'b'"
run camera list --json --json
expect_rc 2 "repeated option"
expect_err_has "given twice"
run camera list --json=yes
expect_rc 2 "value for a flag"
run key issue --camera
expect_rc 2 "option without its value"
expect_err_has "needs a value"
# After "--", --help is an argument, not a request for help.
run --config "$(new_config)" camera remove -- --help
expect_rc 2 "--help after --"
expect_err_has "invalid camera id '--help'"

# The man page source documents every command and exit status.
if [[ -n ${MAN_SOURCE:-} ]]; then
    man_text=$(cat "$MAN_SOURCE")
    for command in "${COMMANDS[@]}"; do
        read -r group name <<<"$command"
        [[ $man_text == *"**$group $name**"* ]] && pass || fail "camrelay.1.rst does not document '$command'"
    done
    for status in 0 1 2 3 4 5; do
        [[ $man_text == *$'\n'"**$status**"$'\n'* ]] && pass || fail "camrelay.1.rst does not document exit status $status"
    done
fi
if [[ -n ${MAN_PAGE:-} ]]; then
    { [[ -s $MAN_PAGE ]] && grep -q '^\.TH' "$MAN_PAGE"; } && pass || fail "the built man page $MAN_PAGE is missing or not troff"
fi

# Commands carried out by another installed program: the program gets the
# arguments as given, and a missing one is an I/O error naming its package.
stand_in=$(mktemp /tmp/camrelay-stand-in.XXXXXX)
printf '#!/bin/sh\necho "stand-in: $*"\n' >"$stand_in"
chmod 755 "$stand_in"
CAMRELAY_TUNNEL_PROGRAM=$stand_in run tunnel --relay cam@relay --listen 20001
expect_rc 0 "tunnel through its program"
expect_out "stand-in: --relay cam@relay --listen 20001"
CAMRELAY_SETUP_PROGRAM=$stand_in run --config /etc/x setup --no-firewall
expect_rc 0 "setup through its program"
expect_out "stand-in: --config /etc/x --no-firewall"
rm -f "$stand_in"
CAMRELAY_TUNNEL_PROGRAM=/nonexistent/camrelay-tunnel run tunnel --help
expect_rc 5 "tunnel without its program"
expect_err_has "is the camrelay-tunnel package installed?"

kit_finish
