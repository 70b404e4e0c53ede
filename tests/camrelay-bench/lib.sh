# shellcheck shell=bash
# Shared by the camrelay-bench shell tests and bench/*.sh: the kit
# (tests/lib/kit.sh) on a work directory ($TMP, made unless the caller made
# one), cameras, and small assertions that end the script when they fail.
# Source it with BENCH set to the camrelay-bench binary.
#
#   start_camera NAME ARGS...     `camrelay-bench serve --listen 127.0.0.1:0
#                                 ARGS` in the background; sets CAMERA_PORT
#                                 and CAMERA_PID
#   expect_json FILE JQ_FILTER    the filter must yield true
#   expect_exit CODE COMMAND...   its exit status; stdout and stderr in
#                                 $TMP/last.out and $TMP/last.err
#   expect_in FILE TEXT           TEXT is in FILE
#   article_vcl PORT [LINES]      the article's VCL, as published, for a
#                                 camera on 127.0.0.1:PORT (bench/run.sh's
#                                 paths (b) and (c)); LINES (a test's own
#                                 routes) go first in its vcl_recv
set -euo pipefail

# shellcheck source=../lib/kit.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/kit.sh"
[ -n "$TMP" ] || kit_workdir

start_camera() {
    local name=$1
    shift
    "$BENCH" serve --listen 127.0.0.1:0 "$@" >"$TMP/$name.out" 2>"$TMP/$name.err" &
    CAMERA_PID=$!
    started "$CAMERA_PID"
    wait_for 5 grep -qs "serving on" "$TMP/$name.out" || die "camera $name did not start: $(cat "$TMP/$name.err")"
    # shellcheck disable=SC2034 # for the caller
    CAMERA_PORT=$(sed -n 's/.*serving on 127\.0\.0\.1:\([0-9]*\).*/\1/p' "$TMP/$name.out")
}

expect_json() {
    local file=$1 filter=$2
    if [ "$(jq -r "$filter" "$file")" != "true" ]; then
        echo "--- $file" >&2
        cat "$file" >&2
        die "expected $filter"
    fi
}

expect_exit() {
    local want=$1 got=0
    shift
    "$@" >"$TMP/last.out" 2>"$TMP/last.err" || got=$?
    if [ "$got" != "$want" ]; then
        echo "--- stdout" >&2; cat "$TMP/last.out" >&2
        echo "--- stderr" >&2; cat "$TMP/last.err" >&2
        die "exit $got, expected $want: $*"
    fi
}

expect_in() {
    local file=$1 text=$2
    grep -qF -- "$text" "$file" || { cat "$file" >&2; die "\"$text\" not in $file"; }
}

article_vcl() {
    cat <<VCL
vcl 4.0;

import std;

backend default {
    .host = "127.0.0.1";
    .port = "$1";
}

sub vcl_recv {
VCL
    [ -z "${2:-}" ] || printf '%s\n' "$2"
    cat <<'VCL'
    if (req.http.upgrade ~ "(?i)websocket") {
        #if (!std.fnmatch("*k=your_key", req.url, 0)){
            #return(synth(403, "Access denied"));
        #}

        return (pipe);
    }
    return (pass);
}

sub vcl_pipe {
    if (req.http.upgrade) {
        set bereq.http.upgrade = req.http.upgrade;
        set bereq.http.connection = req.http.connection;
    }
}

sub vcl_backend_response {
}

sub vcl_deliver {
}
VCL
}
