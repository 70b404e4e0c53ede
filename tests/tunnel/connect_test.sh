#!/usr/bin/env bash
# camrelay-connect against a real HTTP proxy and real TLS, on loopback:
#   - tinyproxy with Basic credentials and CONNECT allowed to some ports only;
#   - a test CA and an "intercepting proxy" CA made by openssl req/x509;
#   - fake relays (Python, its ssl module): SSH servers that greet first and
#     echo, an https port that, like the relay's haproxy, takes TLS or plain
#     SSH, a silent server, a TLS front to a real sshd, and a "proxy" that
#     sends its answer and the relay's greeting in one write;
#   - as root, a real sshd (tests/lib/relay_fixture.sh) reached by a real ssh
#     through --fdpass and through tls, both via the proxy.
# Checks the bytes both ways, the half-close, the refusals and their
# messages (never the proxy password, not in ps either), TCP_NODELAY, the
# certificate checks, the socket passing and the probe's choice.
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"

CONNECT=$BUILD_DIR/tools/tunnel/camrelay-connect
[ -x "$CONNECT" ] || die "$CONNECT is not built"
for tool in tinyproxy openssl python3; do
	command -v "$tool" >/dev/null || skip "$tool is not installed"
done
python3 -c 'import socket, ssl; socket.recv_fds' 2>/dev/null || skip "python3 >= 3.9 with ssl is needed"

PASSWORD=Pa55-w0rd.x # tinyproxy's BasicAuth takes [-A-Za-z0-9._] only
BAD_PASSWORD=Wr0ng-pw.x
GREETING=$'SSH-2.0-camrelay-test\r'

# --- certificates: the relay's, from a test CA; an intercepting proxy's
mkca() {
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj "/O=camrelay tests/CN=$2" \
		-keyout "$TMP/$1.key" -out "$TMP/$1.pem" 2>>"$TMP/openssl.log" || die "openssl req: CA $1"
}
mkcert() { # NAME CA SUBJECT-ALT-NAMES
	openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=relay.test" \
		-keyout "$TMP/$1.key" -out "$TMP/$1.csr" 2>>"$TMP/openssl.log" || die "openssl req: $1"
	printf 'subjectAltName=%s\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n' "$3" >"$TMP/$1.ext"
	openssl x509 -req -in "$TMP/$1.csr" -CA "$TMP/$2.pem" -CAkey "$TMP/$2.key" -CAcreateserial -days 2 \
		-extfile "$TMP/$1.ext" -out "$TMP/$1.pem" 2>>"$TMP/openssl.log" || die "openssl x509: $1"
}
mkca ca "camrelay test CA"
mkca icpt "Corp Intercepting Proxy CA"
mkcert relay ca "DNS:relay.test,IP:127.0.0.1"
mkcert intercepted icpt "DNS:relay.test,IP:127.0.0.1"

# --- the fake relays
cat >"$TMP/fake_relay.py" <<'PY'
import socket, ssl, sys, threading

GREETING = b"SSH-2.0-camrelay-test\r\n"

def copy(src, dst):
    try:
        while data := src.recv(65536):
            dst.sendall(data)
        dst.shutdown(socket.SHUT_WR)
    except OSError:
        pass

def serve(conn, mode, args, ctx):
    try:
        if mode == "mux":  # like the relay's https port: TLS, or plain SSH
            conn.settimeout(5)
            tls = conn.recv(1, socket.MSG_PEEK) == b"\x16"
            conn.settimeout(None)
            if tls:
                conn = ctx.wrap_socket(conn, server_side=True)
        elif mode in ("tls", "fwd"):
            conn = ctx.wrap_socket(conn, server_side=True)
        if mode == "silent":
            while conn.recv(65536):
                pass
            return
        if mode == "deaf":  # greets, but the client's bytes never arrive
            conn.sendall(GREETING)
            while conn.recv(65536):
                pass
            return
        if mode == "fwd":  # TLS in front of a real sshd
            back = socket.create_connection(("127.0.0.1", int(args[0])))
            t = threading.Thread(target=copy, args=(back, conn), daemon=True)
            t.start()
            copy(conn, back)
            t.join()
            back.close()
            return
        if mode == "oneshot":  # a proxy whose 200 and the relay's greeting come in one write
            head = b""
            while not head.endswith(b"\r\n\r\n"):
                byte = conn.recv(1)
                if not byte:
                    return
                head += byte
            with open(args[0], "wb") as f:
                f.write(head)
            conn.sendall(b"HTTP/1.1 200 Connection established\r\nVia: test\r\n\r\n" + GREETING)
        else:
            conn.sendall(GREETING)
        first = conn.recv(65536)
        if first.startswith(b"SSH-2.0-"):
            # like sshd: its first binary packet (KEXINIT, message 20) once
            # it has read the client's version line
            conn.sendall(b"\x00\x00\x00\x0c\x0a\x14" + bytes(10))
            first = first[first.find(b"\n") + 1:]
        if first:
            conn.sendall(first)
        while data := conn.recv(65536):
            conn.sendall(data)
    except (OSError, ssl.SSLError):
        pass
    finally:
        conn.close()

def listen(spec):
    mode, port, *args = spec.split(":")
    ctx = None
    if mode in ("mux", "tls", "fwd"):
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(args[0], args[1])
        args = args[2:]
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.1", int(port)))
    s.listen(32)
    def loop():
        while True:
            c, _ = s.accept()
            threading.Thread(target=serve, args=(c, mode, args, ctx), daemon=True).start()
    threading.Thread(target=loop, daemon=True).start()

for spec in sys.argv[1:]:
    listen(spec)
threading.Event().wait()
PY

# Receives the socket camrelay-connect --fdpass passes (as ssh would), then
# reads the greeting from it and gets an echo.
cat >"$TMP/fd_receiver.py" <<'PY'
import socket, subprocess, sys
ours, theirs = socket.socketpair()
child = subprocess.Popen(sys.argv[1:], stdin=theirs.fileno(), stdout=theirs.fileno())
theirs.close()
data, fds, _, _ = socket.recv_fds(ours, 16, 4)
status = child.wait()
print("status", status, "data", data.hex(), "fds", len(fds))
s = socket.socket(fileno=fds[0])
s.settimeout(5)
got = b""
while not got.endswith(b"\n"):
    got += s.recv(4096)
s.sendall(b"ping\n")
while not got.endswith(b"ping\n"):
    got += s.recv(4096)
print("got", got.decode().replace("\r", "\\r").replace("\n", "\\n"))
PY

P_SSH=$(free_port)     # an SSH server; the proxy forbids CONNECT to it
P_GREET=$(free_port)   # an SSH server the proxy allows
P_HTTPS=$(free_port)   # TLS (the test CA's certificate) or plain SSH
P_ICPT=$(free_port)    # TLS with the intercepting CA's certificate
P_SILENT=$(free_port)  # accepts, never says anything
P_DEAF=$(free_port)    # greets, never hears the client (a filter eats it)
P_ONESHOT=$(free_port) # a proxy that answers and greets in one write
P_CLOSED=$(free_port)  # nothing
P_CLOSED2=$(free_port) # nothing
P_PROXY=$(free_port)   # tinyproxy
specs=("ssh:$P_SSH" "ssh:$P_GREET" "mux:$P_HTTPS:$TMP/relay.pem:$TMP/relay.key"
	"tls:$P_ICPT:$TMP/intercepted.pem:$TMP/intercepted.key" "silent:$P_SILENT" "deaf:$P_DEAF" "oneshot:$P_ONESHOT:$TMP/oneshot.head")
allowed=("$P_GREET" "$P_HTTPS" "$P_ICPT" "$P_CLOSED")

# As root: a real sshd, and a TLS front to it (the relay's https port).
REAL_SSH=$(relay_why_not)
if [ -z "$REAL_SSH" ]; then
	relay_setup
	relay_start_sshd
	relay_add_camera cam1
	P_FWD=$(free_port)
	specs+=("fwd:$P_FWD:$TMP/relay.pem:$TMP/relay.key:$SSHD_PORT")
	allowed+=("$SSHD_PORT" "$P_FWD")
fi

python3 "$TMP/fake_relay.py" "${specs[@]}" >"$TMP/fake_relay.log" 2>&1 &
started $!
fake_pid=$!
for spec in "${specs[@]}"; do
	port=${spec#*:}
	wait_for_port "${port%%:*}" 10 "$fake_pid"
done

{
	printf 'Port %s\nListen 127.0.0.1\nTimeout 30\nLogLevel Info\nMaxClients 50\nAllow 127.0.0.1\n' "$P_PROXY"
	printf 'BasicAuth camuser %s\n' "$PASSWORD"
	printf 'ConnectPort %s\n' "${allowed[@]}"
} >"$TMP/tinyproxy.conf"
tinyproxy -d -c "$TMP/tinyproxy.conf" >"$TMP/tinyproxy.log" 2>&1 &
started $!
wait_for_port "$P_PROXY" 10 $!

# The password percent-encoded ('-' is %2D): decoded before it is sent.
GOOD_PROXY="http://camuser:Pa55%2Dw0rd.x@127.0.0.1:$P_PROXY"
BAD_PROXY="http://camuser:$BAD_PASSWORD@127.0.0.1:$P_PROXY"
ANON_PROXY="http://127.0.0.1:$P_PROXY"

# --- helpers

no_password() { [[ $1 != *"$PASSWORD"* && $1 != *Pa55%2Dw0rd* && $1 != *"$BAD_PASSWORD"* ]]; }

echoed_or_failed() { grep -q '^ping' "$TMP/$1.out" 2>/dev/null || [ -s "$TMP/$1.err" ]; }

# run NAME PROXY-URL|- ARG...: camrelay-connect ARG... with CAMRELAY_PROXY
# set to PROXY-URL ('-': unset); standard input "ping", held open until the
# echo is back (or an error shows); NAME.out, NAME.err; status in RC.
run() {
	local name=$1 url=$2
	shift 2
	: >"$TMP/$name.out"
	: >"$TMP/$name.err"
	{
		printf 'ping\n'
		wait_for 10 echoed_or_failed "$name" || true
	} | if [ "$url" = - ]; then
		env -u CAMRELAY_PROXY "$CONNECT" "$@"
	else
		CAMRELAY_PROXY=$url "$CONNECT" "$@"
	fi >"$TMP/$name.out" 2>"$TMP/$name.err"
	RC=${PIPESTATUS[1]}
}

# expect_echo NAME WHAT: exit 0, the relay's greeting then the echo, no error.
expect_echo() {
	local out
	out=$(cat -v "$TMP/$1.out")
	if [ "$RC" = 0 ] && [ "$out" = "$(printf '%s\nping' "$GREETING" | cat -v)" ] && [ ! -s "$TMP/$1.err" ]; then
		ok "$2"
	else
		fail "$2: status $RC, output '$out', error '$(cat "$TMP/$1.err")'"
	fi
}

# expect_error NAME WHAT TEXT...: exit 1, one line "camrelay-connect: ..."
# holding every TEXT, nothing on standard output, and no password.
expect_error() {
	local name=$1 what=$2 err t
	shift 2
	err=$(cat "$TMP/$name.err")
	if [ "$RC" != 1 ]; then
		fail "$what: status $RC, not 1: '$err'"
		return
	fi
	if [ "$(wc -l <"$TMP/$name.err")" != 1 ] || [[ $err != "camrelay-connect: "* ]] || [ -s "$TMP/$name.out" ]; then
		fail "$what: not one camrelay-connect line: '$err', output '$(cat -v "$TMP/$name.out")'"
		return
	fi
	for t in "$@"; do
		[[ $err == *"$t"* ]] || {
			fail "$what: no '$t' in '$err'"
			return
		}
	done
	no_password "$err" || {
		fail "$what: the password shows in '$err'"
		return
	}
	ok "$what: $err"
}

# probe NAME PROXY-URL|- ARG...: camrelay-connect ... probe; NAME.out, NAME.err, RC.
probe() {
	local name=$1 url=$2
	shift 2
	if [ "$url" = - ]; then
		env -u CAMRELAY_PROXY "$CONNECT" "$@" >"$TMP/$name.out" 2>"$TMP/$name.err"
	else
		CAMRELAY_PROXY=$url "$CONNECT" "$@" >"$TMP/$name.out" 2>"$TMP/$name.err"
	fi
	RC=$?
}

# expect_winner NAME CANDIDATE WHAT: exit 0, CANDIDATE alone on stdout.
expect_winner() {
	if [ "$RC" = 0 ] && [ "$(cat "$TMP/$1.out")" = "$2" ] && [ ! -s "$TMP/$1.err" ]; then
		ok "$3: $2"
	else
		fail "$3: status $RC, printed '$(cat "$TMP/$1.out")' (want $2), error '$(cat "$TMP/$1.err")'"
	fi
}

# --- tcp, through the proxy

run tcp_proxy "$GOOD_PROXY" --proxy-env tcp 127.0.0.1 "$P_GREET"
expect_echo tcp_proxy "tcp through the proxy (percent-encoded password): greeting and echo"

# The answer to CONNECT and the relay's first bytes in one segment: not a
# byte of the relay's is lost. What the proxy got: CONNECT, Host and the
# decoded credentials.
run oneshot "http://camuser:Pa55%2Dw0rd.x@127.0.0.1:$P_ONESHOT" --proxy-env tcp relay.test 443
expect_echo oneshot "tcp: the relay's bytes right behind the proxy's answer are kept"
want_head=$(printf 'CONNECT relay.test:443 HTTP/1.1\r\nHost: relay.test:443\r\nUser-Agent: camrelay-connect\r\nProxy-Authorization: Basic %s\r\n\r\n' \
	"$(printf 'camuser:%s' "$PASSWORD" | base64)")
[ "$(cat "$TMP/oneshot.head")" = "$want_head" ] && ok "the CONNECT request, Basic credentials decoded" ||
	fail "CONNECT request: $(cat -v "$TMP/oneshot.head")"

# A megabyte each way through the proxy (tinyproxy closes both ways at the
# client's end, so standard input stays open until all is back).
head -c 1000000 /dev/urandom >"$TMP/blob"
size_reached() { [ "$(stat -c %s "$TMP/big.out" 2>/dev/null || echo 0)" -ge $((1000000 + ${#GREETING} + 1)) ]; }
{
	cat "$TMP/blob"
	wait_for 20 size_reached || true
} | CAMRELAY_PROXY=$GOOD_PROXY "$CONNECT" --proxy-env tcp 127.0.0.1 "$P_GREET" >"$TMP/big.out" 2>"$TMP/big.err"
RC=${PIPESTATUS[1]}
if [ "$RC" = 0 ] && tail -c +$((${#GREETING} + 2)) "$TMP/big.out" | cmp -s - "$TMP/blob"; then
	ok "tcp through the proxy: 1 MB both ways"
else
	fail "tcp through the proxy, 1 MB: status $RC, $(stat -c %s "$TMP/big.out") bytes back, $(cat "$TMP/big.err")"
fi

# Direct, with the half-close: standard input's end is passed on (shutdown),
# the echo still comes back whole, and camrelay-connect exits once the relay
# has closed too.
env -u CAMRELAY_PROXY "$CONNECT" tcp 127.0.0.1 "$P_GREET" <"$TMP/blob" >"$TMP/half.out" 2>"$TMP/half.err"
RC=$?
if [ "$RC" = 0 ] && tail -c +$((${#GREETING} + 2)) "$TMP/half.out" | cmp -s - "$TMP/blob"; then
	ok "tcp direct: end of input passed on, 1 MB echoed whole, exit 0"
else
	fail "tcp direct half-close: status $RC, $(stat -c %s "$TMP/half.out") bytes, $(cat "$TMP/half.err")"
fi

# --- the proxy's refusals

run bad_password "$BAD_PROXY" --proxy-env tcp 127.0.0.1 "$P_GREET"
# tinyproxy answers wrong credentials with 401 (none at all: 407)
expect_error bad_password "wrong proxy password refused" "proxy refused CONNECT: 401" \
	"(check the proxy user and password)"
run no_credentials "$ANON_PROXY" --proxy-env tcp 127.0.0.1 "$P_GREET"
expect_error no_credentials "no proxy credentials refused" \
	"proxy refused CONNECT: 407 Proxy Authentication Required (the proxy wants a user and password"
run port_403 "$GOOD_PROXY" --proxy-env tcp 127.0.0.1 "$P_SSH"
expect_error port_403 "CONNECT to a port the proxy forbids" "127.0.0.1:$P_SSH: proxy refused CONNECT: 403" \
	"(the proxy may allow CONNECT only to some ports"
run unreachable "$GOOD_PROXY" --proxy-env tcp 127.0.0.1 "$P_CLOSED"
expect_error unreachable "the proxy cannot reach the relay" "proxy refused CONNECT: 500" "could not reach the relay"
run not_http "http://camuser:$PASSWORD@127.0.0.1:$P_GREET" --proxy-env tcp 127.0.0.1 "$P_GREET"
expect_error not_http "an SSH server as the proxy" "proxy 127.0.0.1:$P_GREET: its answer is not HTTP"
started_at=${EPOCHREALTIME//[!0-9]/}
run silent_proxy "http://camuser:$PASSWORD@127.0.0.1:$P_SILENT" --proxy-env --timeout 1 tcp 127.0.0.1 "$P_GREET"
took=$(((${EPOCHREALTIME//[!0-9]/} - started_at) / 1000))
expect_error silent_proxy "a proxy that never answers" "timed out: the proxy 127.0.0.1:$P_SILENT did not answer CONNECT"
[ "$took" -lt 4000 ] && ok "--timeout 1 held (${took} ms)" || fail "--timeout 1 took ${took} ms"
run proxy_down "http://camuser:$PASSWORD@127.0.0.1:$P_CLOSED2" --proxy-env tcp 127.0.0.1 "$P_GREET"
expect_error proxy_down "no proxy there" "proxy 127.0.0.1:$P_CLOSED2: connection refused"
run relay_down - tcp 127.0.0.1 "$P_CLOSED2"
expect_error relay_down "no relay there" "127.0.0.1:$P_CLOSED2: connection refused"

# --- the password never shows: not in argv (ps), not in a message

mkfifo "$TMP/hold"
CAMRELAY_PROXY=$GOOD_PROXY "$CONNECT" --proxy-env tcp 127.0.0.1 "$P_GREET" <"$TMP/hold" >"$TMP/held.out" 2>"$TMP/held.err" &
held=$!
started "$held"
exec {hold}>"$TMP/hold"
up() { grep -q '^SSH-2.0-camrelay-test' "$TMP/held.out"; }
if wait_for 10 up; then
	procs=$(ps -eo args)
	if [[ $procs == *"camrelay-connect --proxy-env tcp 127.0.0.1 $P_GREET"* ]] && no_password "$procs" &&
		! tr '\0' ' ' <"/proc/$held/cmdline" | grep -qe "$PASSWORD" -e Pa55%2D; then
		ok "ps -eo args shows camrelay-connect, and no password"
	else
		fail "ps: the password shows, or camrelay-connect is not listed"
	fi
	if [ -z "$REAL_SSH" ]; then
		nodelay=$("$PROBE" nodelay "$held")
		if [ -n "$nodelay" ] && ! grep -qv 'nodelay=1$' <<<"$nodelay"; then
			ok "TCP_NODELAY on camrelay-connect's socket"
		else
			fail "TCP_NODELAY: '$nodelay'"
		fi
		tos=$("$PROBE" tos "$held")
		if [ -n "$tos" ] && ! grep -qv 'tos=0x88$' <<<"$tos"; then
			ok "DSCP AF41 (tos 0x88) on camrelay-connect's socket, as ssh's IPQoS=af41"
		else
			fail "DSCP: '$tos'"
		fi
	fi
else
	fail "the held connection did not come up: $(cat "$TMP/held.err")"
fi
exec {hold}>&-
gone() { ! kill -0 "$held" 2>/dev/null; }
if wait_for 10 gone; then
	wait "$held"
	RC=$?
	[ "$RC" = 0 ] && ok "end of input through the proxy: camrelay-connect exits 0" || fail "held connection: status $RC"
else
	fail "camrelay-connect did not end after its input did"
fi

# Settings that hold the password are refused without showing it: exit 2.
# refused WHAT TEXT PROXY-URL|- ARG...
refused() {
	local what=$1 text=$2 url=$3 err
	shift 3
	RC=0
	if [ "$url" = - ]; then
		env -u CAMRELAY_PROXY "$CONNECT" "$@" </dev/null >"$TMP/refused.out" 2>"$TMP/refused.err" || RC=$?
	else
		CAMRELAY_PROXY=$url "$CONNECT" "$@" </dev/null >"$TMP/refused.out" 2>"$TMP/refused.err" || RC=$?
	fi
	err=$(cat "$TMP/refused.err")
	if [ "$RC" = 2 ] && [[ $err == "camrelay-connect: "*"$text"* ]] && no_password "$err"; then
		ok "$what: $err"
	else
		fail "$what: status $RC, '$err'"
	fi
}
refused "an https:// proxy" "https:// proxies (TLS to the proxy) are not supported" \
	"https://camuser:$PASSWORD@127.0.0.1:$P_PROXY" --proxy-env tcp relay.test 443
refused "a bad proxy URL" "port is not a number from 1 to 65535" \
	"http://camuser:$PASSWORD@127.0.0.1:0" --proxy-env tcp relay.test 443
refused "--proxy-env without CAMRELAY_PROXY" "CAMRELAY_PROXY is empty or not set" - --proxy-env tcp relay.test 443
refused "a proxy on the command line" "never given on the command line" \
	- --proxy "http://camuser:$PASSWORD@127.0.0.1:$P_PROXY" tcp relay.test 443
refused "--fdpass to a standard output that is no socket" "standard output is not a socket" \
	- --fdpass tcp 127.0.0.1 "$P_GREET"

# --- tls: the certificate checks

run tls_ca - --tls-ca "$TMP/ca.pem" --tls-name relay.test tls 127.0.0.1 "$P_HTTPS"
expect_echo tls_ca "tls with --tls-ca (the test CA), name relay.test"
run tls_ip - --tls-ca "$TMP/ca.pem" tls 127.0.0.1 "$P_HTTPS"
expect_echo tls_ip "tls with --tls-ca, the address checked against the certificate"
run tls_pinned - --tls-ca "$TMP/relay.pem" --tls-name relay.test tls 127.0.0.1 "$P_HTTPS"
expect_echo tls_pinned "tls with the relay's own certificate pinned (partial chain)"
run tls_proxy "$GOOD_PROXY" --proxy-env --tls-ca "$TMP/ca.pem" --tls-name relay.test tls 127.0.0.1 "$P_HTTPS"
expect_echo tls_proxy "tls through the proxy"
run tls_name - --tls-ca "$TMP/ca.pem" --tls-name other.test tls 127.0.0.1 "$P_HTTPS"
expect_error tls_name "a certificate for another name" \
	"TLS: the relay's certificate is not for other.test (it is for relay.test, 127.0.0.1)"
run tls_intercepted "$GOOD_PROXY" --proxy-env --tls-ca "$TMP/ca.pem" --tls-name relay.test tls 127.0.0.1 "$P_ICPT"
expect_error tls_intercepted "an intercepting proxy's certificate" \
	"TLS: the relay's certificate is not trusted (issued by CN=Corp Intercepting Proxy CA,O=camrelay tests): a TLS-intercepting proxy?" \
	"TLS_ALLOW_INTERCEPT=yes" "SSH host key stays pinned"
run tls_system - --tls-name relay.test tls 127.0.0.1 "$P_HTTPS"
expect_error tls_system "the system's CAs do not know the test CA" \
	"not trusted (issued by CN=camrelay test CA,O=camrelay tests)"
run tls_allow "$GOOD_PROXY" --proxy-env --allow-intercept --tls-name relay.test tls 127.0.0.1 "$P_ICPT"
expect_echo tls_allow "--allow-intercept accepts the intercepting proxy's certificate"
run tls_plain - --tls-ca "$TMP/ca.pem" tls 127.0.0.1 "$P_GREET"
expect_error tls_plain "tls to a port without TLS" "(does port $P_GREET speak TLS?)"

# --- --fdpass: the connected socket handed over as ssh receives it

CAMRELAY_PROXY=$GOOD_PROXY python3 "$TMP/fd_receiver.py" "$CONNECT" --proxy-env --fdpass tcp 127.0.0.1 "$P_GREET" \
	>"$TMP/fdpass.out" 2>"$TMP/fdpass.err"
want=$(printf 'status 0 data 00 fds 1\ngot SSH-2.0-camrelay-test\\r\\nping\\n')
[ "$(cat "$TMP/fdpass.out")" = "$want" ] && ok "--fdpass through the proxy: one byte, one socket, connected" ||
	fail "--fdpass: '$(cat "$TMP/fdpass.out")' $(cat "$TMP/fdpass.err")"

# --- probe

probe all_direct - --tls-ca "$TMP/ca.pem" probe 127.0.0.1 "$P_GREET" "$P_HTTPS"
expect_winner all_direct ssh "probe, everything works: the first"
probe no_ssh - --tls-ca "$TMP/ca.pem" probe 127.0.0.1 "$P_CLOSED" "$P_HTTPS"
expect_winner no_ssh ssh-443 "probe, SSH port closed"
probe only_tls - --tls-ca "$TMP/ca.pem" --only tls probe 127.0.0.1 "$P_GREET" "$P_HTTPS"
expect_winner only_tls tls "probe --only tls"
probe direct_first "$GOOD_PROXY" --proxy-env --tls-ca "$TMP/ca.pem" probe 127.0.0.1 "$P_CLOSED" "$P_HTTPS"
expect_winner direct_first ssh-443 "probe with a proxy: direct before the proxy"
probe via_proxy "$GOOD_PROXY" --proxy-env --tls-ca "$TMP/ca.pem" --only tls+proxy,ssh-443+proxy,ssh+proxy \
	probe 127.0.0.1 "$P_SSH" "$P_HTTPS"
expect_winner via_proxy ssh-443+proxy "probe through the proxy (port $P_SSH forbidden)"
probe tls_only_way "$GOOD_PROXY" --proxy-env --tls-ca "$TMP/ca.pem" --only ssh-443+proxy,tls+proxy \
	probe 127.0.0.1 "$P_SSH" "$P_ICPT"
[ "$RC" = 1 ] && grep -q "ssh-443+proxy: the connection closed\|ssh-443+proxy: no SSH server there" "$TMP/tls_only_way.err" &&
	grep -q "tls+proxy: TLS: the relay's certificate is not trusted (issued by CN=Corp Intercepting Proxy CA" \
		"$TMP/tls_only_way.err" && ok "probe: each candidate's own reason" ||
	fail "probe reasons: status $RC, $(cat "$TMP/tls_only_way.err")"
# A better candidate that connects but never greets: at the deadline the
# best that worked wins, and not before.
started_at=${EPOCHREALTIME//[!0-9]/}
probe deadline - --timeout 2 --tls-ca "$TMP/ca.pem" probe 127.0.0.1 "$P_SILENT" "$P_HTTPS"
took=$(((${EPOCHREALTIME//[!0-9]/} - started_at) / 1000))
expect_winner deadline ssh-443 "probe: a silent better candidate waited for until the deadline"
[ "$took" -ge 1900 ] && [ "$took" -lt 5000 ] && ok "probe waited ${took} ms for the better one" ||
	fail "probe took ${took} ms with --timeout 2"
# A server that greets but never gets the client's version line (a filter
# drops SSH after the relay's haproxy routed the silent connection to sshd):
# not a working path, its reason says so.
probe deaf - --timeout 2 --tls-ca "$TMP/ca.pem" probe 127.0.0.1 "$P_DEAF" "$P_HTTPS"
expect_winner deaf ssh-443 "probe: a server that greets but never hears our greeting is no way in"
probe deaf_only - --timeout 2 --only ssh probe 127.0.0.1 "$P_DEAF" "$P_HTTPS"
expect_error deaf_only "probe: the deaf server's reason" "ssh: timed out: the SSH server greeted but never answered our greeting"
# Once one works, a silent better one gets as long again as that took (2 s
# at least), not the whole deadline.
started_at=${EPOCHREALTIME//[!0-9]/}
probe grace - --timeout 20 --tls-ca "$TMP/ca.pem" probe 127.0.0.1 "$P_SILENT" "$P_HTTPS"
took=$(((${EPOCHREALTIME//[!0-9]/} - started_at) / 1000))
expect_winner grace ssh-443 "probe: a silent better candidate is given up after the grace"
[ "$took" -ge 1900 ] && [ "$took" -lt 10000 ] && ok "probe with --timeout 20 gave the silent one ${took} ms" ||
	fail "probe with --timeout 20 took ${took} ms (want about 2000)"
# All fail: one line naming each candidate and its reason.
probe none "$BAD_PROXY" --proxy-env --tls-ca "$TMP/ca.pem" probe 127.0.0.1 "$P_CLOSED" "$P_CLOSED2"
expect_error none "probe, nothing works" "camrelay-connect: no transport reaches 127.0.0.1: " \
	"ssh: connection refused; ssh-443: connection refused; tls: connection refused; " \
	"ssh+proxy: proxy refused CONNECT: 401" "ssh-443+proxy: proxy refused CONNECT: 401" \
	"tls+proxy: proxy refused CONNECT: 401 Unauthorized (check the proxy user and password)"

# --- a real sshd, a real ssh

if [ -n "$REAL_SSH" ]; then
	say "no real sshd: $REAL_SSH"
else
	probe real_probe - --only ssh probe 127.0.0.1 "$SSHD_PORT" "$P_CLOSED"
	expect_winner real_probe ssh "probe against a real sshd"
	# The camera's session on the relay answers a command with its refusal:
	# the SSH connection was made and the camera's key accepted.
	session_line="camrelay: this account only carries camera tunnels"
	export CAMRELAY_PROXY=$GOOD_PROXY
	out=$(relay_ssh cam1 -o ProxyCommand="$CONNECT --proxy-env --fdpass tcp %h %p" -o ProxyUseFdpass=yes -- true 2>&1)
	[[ $out == *"$session_line"* ]] && ok "ssh -o ProxyUseFdpass=yes through the proxy reaches sshd" ||
		fail "ssh with --fdpass: $out"
	out=$(relay_ssh cam1 -o ProxyCommand="$CONNECT --proxy-env --tls-ca $TMP/ca.pem --tls-name relay.test tls %h $P_FWD" \
		-- true 2>&1)
	[[ $out == *"$session_line"* ]] && ok "ssh through the proxy and TLS reaches sshd" || fail "ssh with tls: $out"
	unset CAMRELAY_PROXY
fi

kit_finish
