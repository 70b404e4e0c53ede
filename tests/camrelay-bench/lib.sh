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
#   make_test_pki DIR             a throwaway CA and certificates (openssl)
#                                 for wss:// tests; see below
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

# make_test_pki DIR: in DIR, a CA "CN=camrelay-bench test CA" (ca.pem), the
# certificate it signed for localhost and 127.0.0.1 (server.crt and
# server.key; server.pem holds both, as haproxy takes them), one it signed
# for elsewhere.example only (elsewhere.pem), and a second CA that signed
# nothing here (other-ca.pem). EC P-256 keys, valid for 2 days.
make_test_pki() {
    local dir=$1
    mkdir -p "$dir"
    (
        set -e
        cd "$dir"
        new_ca() {
            openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj "/CN=$2" \
                -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign \
                -keyout "$1.key" -out "$1.pem"
        }
        issue() {
            openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=$2" \
                -keyout "$1.key" -out "$1.csr"
            printf 'subjectAltName=%s\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n' "$3" >"$1.ext"
            openssl x509 -req -in "$1.csr" -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 -extfile "$1.ext" \
                -out "$1.crt"
            cat "$1.crt" "$1.key" >"$1.pem"
        }
        new_ca ca "camrelay-bench test CA"
        new_ca other-ca "camrelay-bench other CA"
        issue server localhost DNS:localhost,IP:127.0.0.1
        issue elsewhere elsewhere.example DNS:elsewhere.example
    ) >"$dir/openssl.out" 2>&1 || die "making test certificates failed: $(cat "$dir/openssl.out")"
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
