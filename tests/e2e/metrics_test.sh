#!/usr/bin/env bash
# camrelay metrics against a real relay: the fixture's sshd and forwarding
# account, camrelay-tunnel for two cameras (one with a hyphen in its id,
# which Debian's prometheus-varnish-exporter cannot name), varnishd with
# vcl/default.vcl and the built module, WebSocket viewers (Node ws). Then:
#   - GET /metrics over HTTP has each camera's metrics with a camera label,
#     with the values the test caused: N admitted, K refused of each reason,
#     the tunnels up, the bytes; and they equal camrelay status --json's
#   - the Grafana dashboard parses, and every metric its queries name is
#     one the scrape has; with Prometheus installed, Prometheus scrapes the
#     endpoint and every query of the dashboard returns data
#   - the metrics read as nobody in the varnish group (how setup runs them)
#   metrics_test.sh BUILD_DIR
set -uo pipefail
# shellcheck source=../lib/relay_suite.sh
source "$(dirname "$0")/../lib/relay_suite.sh" "$@"

why=$(relay_why_not)
[ -z "$why" ] || skip "$why"
for tool in curl jq node python3; do
    command -v "$tool" >/dev/null || skip "$tool is not installed"
done
[ -d "$here/node_modules/ws" ] || skip "node modules missing (npm ci in tests/e2e)"
why=$(relay_why_not_built)
[ -z "$why" ] || die "$why"
dashboard=$SOURCE_DIR/tools/setup/grafana/camrelay-dashboard.json
# sshd's StrictModes refuses keys below /tmp: the work directory below /run.
rmdir "$TMP" && relay_workdir camrelay-e2e

relay_setup
relay_start_sshd
cam secret new >/dev/null || die "secret new"
declare -A listen server
for c in cam1 front-door cam3; do
    relay_add_camera "$c" --port "$(free_port)"
    listen[$c]=$CAM_PORT
    server[$c]=$(free_port)
    node "$here/camera.js" "${server[$c]}" 8 >>"$TMP/camera-$c.log" 2>&1 &
    started $!
done
# cam1's and front-door's tunnels up; cam3's never.
for c in cam1 front-door; do
    relay_start_tunnel "$c" "${listen[$c]}" "127.0.0.1:${server[$c]}"
    wait_for 20 port_in_use "${listen[$c]}" || die "$c's tunnel did not come up"
done
relay_port=$(free_port)
mapfile -t params < <(camrelay_varnishd_params 1000)
relay_start_varnish "$relay_port" "${params[@]}"

metrics_port=$(free_port)
cam metrics -n "$VARNISH_DIR" --listen "127.0.0.1:$metrics_port" 2>"$TMP/metrics.log" &
started $!
wait_for_port "$metrics_port" 10 || die "camrelay metrics did not listen: $(cat "$TMP/metrics.log")"

# --- what the test client does
viewer() { node "$here/viewer.js" "ws://127.0.0.1:$relay_port/$1/?k=$2" --count 5 "${@:3}"; }
upgrade() {
    curl -s -o /dev/null -w '%{http_code}' -H 'Upgrade: websocket' -H 'Connection: Upgrade' \
        "http://127.0.0.1:$relay_port$1"
}
declare -A admitted=([cam1]=3 [front-door]=2)
for c in cam1 front-door; do
    key=$(cam key issue --camera "$c" --ttl 1h) || die "key issue $c"
    for i in $(seq 1 "${admitted[$c]}"); do
        check "$c: viewer $i exchanges messages through the relay" viewer "$c" "$key"
    done
done
good=$(cam key issue --camera front-door --ttl 1h) || die "key issue"
mac=${good##*.}
bad=${good%.*}.$([ "${mac:0:1}" = A ] && echo B || echo A)${mac:1}
key3=$(cam key issue --camera cam3 --ttl 1h) || die "key issue cam3"
for _ in 1 2 3; do check "cam1 without a key: 403" test "$(upgrade /cam1/)" = 403; done
for _ in 1 2; do check "front-door with a bad signature: 403" test "$(upgrade "/front-door/?k=$bad")" = 403; done
check "cam3 without its tunnel: 503" test "$(upgrade "/cam3/?k=$key3")" = 503

# --- the scrape, over HTTP
scrape() { curl -s -f "http://127.0.0.1:$metrics_port/metrics" >"$TMP/metrics.txt"; }
# value METRIC LABELS: the sample's value ("" when absent)
value() {
    local sample=$1
    [ -z "$2" ] || sample="$1{$2}"
    awk -v s="$sample" '$1 == s { print $2 }' "$TMP/metrics.txt"
}
# has METRIC LABELS WANT
has() {
    local got
    scrape || return 1
    got=$(value "$1" "$2")
    echo "$1{$2} = ${got:-absent} (expected $3)"
    test "$got" = "$3"
}
# the viewers' pipes are counted when they end
wait_for 10 has camrelay_camera_viewers 'camera="cam1"' 0
check "scrape: camrelay_up 1" has camrelay_up '' 1
check "scrape: text format 0.0.4" bash -c "curl -s -D - -o /dev/null http://127.0.0.1:$metrics_port/metrics | grep -qi '^content-type: text/plain; version=0.0.4'"
for c in cam1 front-door; do
    check "scrape: $c admitted ${admitted[$c]}" has camrelay_camera_admitted_total "camera=\"$c\"" "${admitted[$c]}"
    check "scrape: $c's tunnel up" has camrelay_camera_tunnel_up "camera=\"$c\"" 1
    check "scrape: $c has no viewer now" has camrelay_camera_viewers "camera=\"$c\"" 0
done
check "scrape: cam3's tunnel down" has camrelay_camera_tunnel_up 'camera="cam3"' 0
check "scrape: cam1 refused 3, key_missing" has camrelay_camera_refused_total 'camera="cam1",reason="key_missing"' 3
check "scrape: front-door refused 2, key_bad_signature" \
    has camrelay_camera_refused_total 'camera="front-door",reason="key_bad_signature"' 2
check "scrape: cam3 refused 1, offline" has camrelay_camera_refused_total 'camera="cam3",reason="offline"' 1
check "scrape: cam1 refused nothing else" has camrelay_camera_refused_total 'camera="cam1",reason="offline"' 0
bytes_moved() { scrape && [ "$(value camrelay_camera_bytes_to_viewers_total 'camera="cam1"')" -gt 0 ] &&
    [ "$(value camrelay_camera_bytes_from_viewers_total 'camera="cam1"')" -gt 0 ]; }
check "scrape: bytes to and from cam1's viewers" bytes_moved
check "scrape: every sample has a camera label but camrelay_up and camrelay_cameras" \
    test "$(grep -v '^#' "$TMP/metrics.txt" | grep -v '^camrelay_up \|^camrelay_cameras ' | grep -vc '{camera="')" = 0

# --- the same as camrelay status --json
cam status -n "$VARNISH_DIR" --json >"$TMP/status.json" 2>"$TMP/status.err" || die "status: $(cat "$TMP/status.err")"
scrape || die "scrape"
# One line per (camera, field, value) from each side, compared whole.
jq -r '.cameras[] | .id as $c |
    "\($c) admitted \(.admitted)", "\($c) viewers \(.viewers)", "\($c) bytes_to_viewers \(.bytes_to_viewers)",
    "\($c) bytes_from_viewers \(.bytes_from_viewers)",
    (.refusals | to_entries[] | "\($c) \(.key) \(.value)")' "$TMP/status.json" | sort >"$TMP/from-status"
awk '
    match($0, /^camrelay_camera_(admitted_total|viewers|bytes_to_viewers_total|bytes_from_viewers_total)\{camera="([^"]*)"\} /) {
        split($1, a, /[{"]/); name = a[1]; sub(/^camrelay_camera_/, "", name); sub(/_total$/, "", name)
        print a[3], name, $2 }
    /^camrelay_camera_refused_total\{/ { split($1, a, /"/); print a[2], a[4], $2 }' "$TMP/metrics.txt" |
    sort >"$TMP/from-metrics"
check "metrics and status --json agree on admissions, viewers, bytes and every refusal reason" \
    diff "$TMP/from-status" "$TMP/from-metrics"
check "...for all 3 cameras" test "$(cut -d' ' -f1 "$TMP/from-metrics" | sort -u | wc -l)" = 3

# --- the reader's rights: nobody in the varnish group, as setup runs it
if getent group varnish >/dev/null && command -v setpriv >/dev/null; then
    as_nobody() {
        local out
        out=$(setpriv --reuid nobody --regid varnish --clear-groups "$CAMRELAY_CLI" metrics -n "$VARNISH_DIR" 2>&1)
        head -n 3 <<<"$out"
        grep -qx 'camrelay_up 1' <<<"$out"
    }
    check "metrics read as nobody in the varnish group" as_nobody
fi

# --- the Grafana dashboard
check "dashboard: parses as JSON, with panels and queries" \
    jq -e '(.panels | length) > 5 and ([.. | .expr? // empty] | length) > 5' "$dashboard"
# Metric names of the queries: identifiers not followed by "(" (functions)
# nor inside {...} or [...], minus PromQL keywords.
jq -r '(.. | .expr? // empty), .templating.list[].query.query' "$dashboard" >"$TMP/exprs"
python3 - "$TMP/exprs" >"$TMP/names" <<'EOF'
import re, sys
keywords = {"by", "without", "on", "ignoring", "group_left", "group_right", "and", "or", "unless",
            "offset", "bool", "sum", "rate", "increase", "label_values", "camera", "reason"}
for expr in open(sys.argv[1]):
    expr = re.sub(r'\{[^}]*\}|\[[^\]]*\]|"[^"]*"', " ", expr)
    expr = re.sub(r"\bby\s*\([^)]*\)", " ", expr)
    for m in re.finditer(r"(?<![a-zA-Z0-9_:])[a-zA-Z_:][a-zA-Z0-9_:]*(?![a-zA-Z0-9_:]|\s*\()", expr):
        if m.group(0) not in keywords:
            print(m.group(0))
EOF
sort -u "$TMP/names" -o "$TMP/names"
grep -v '^#' "$TMP/metrics.txt" | sed 's/[{ ].*//' | sort -u >"$TMP/served"
check "dashboard: its queries name $(wc -l <"$TMP/names") metrics" test "$(wc -l <"$TMP/names")" -ge 8
check "dashboard: every metric its queries name is served ($(comm -23 "$TMP/names" "$TMP/served" | tr '\n' ' '))" \
    test -z "$(comm -23 "$TMP/names" "$TMP/served")"

# Prometheus itself, when installed: it scrapes camrelay metrics, and every
# query of the dashboard (with $camera as all of them) returns data.
if command -v prometheus >/dev/null; then
    prom_port=$(free_port)
    cat >"$TMP/prometheus.yml" <<EOF
global: { scrape_interval: 1s }
scrape_configs:
  - job_name: camrelay
    static_configs: [ { targets: ["127.0.0.1:$metrics_port"] } ]
EOF
    prometheus --config.file="$TMP/prometheus.yml" --storage.tsdb.path="$TMP/prometheus" \
        --web.listen-address="127.0.0.1:$prom_port" >"$TMP/prometheus.log" 2>&1 &
    started $!
    wait_for_port "$prom_port" 20 || die "prometheus did not start: $(tail -5 "$TMP/prometheus.log")"
    query() { curl -s -f "http://127.0.0.1:$prom_port/api/v1/query" --data-urlencode "query=$1"; }
    scraped() { query 'camrelay_camera_admitted_total{camera="front-door"}' | jq -e '.data.result[0].value[1] == "2"'; }
    check "prometheus: scrapes front-door's admissions (2)" wait_for 20 scraped
    has_data() { query "$1" | jq -e '.status == "success" and (.data.result | length) > 0'; }
    sleep 3 # rate() needs two samples
    while read -r expr; do
        case $expr in label_values*) continue ;; esac
        q=${expr//\$camera/.*}
        # "> 0" filters keep only what moved: without it, the query has data
        q=${q% > 0}
        check "prometheus: $q returns data" has_data "$q"
    done <"$TMP/exprs"
fi

kit_finish
