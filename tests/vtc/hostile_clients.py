#!/usr/bin/env python3
# Raw HTTP clients from several loopback addresses against the shipped
# default.vcl, for hostile_clients.vtc (varnishtest's own clients cannot
# choose their source address). Usage: hostile_clients.py ADDR PORT
# Prints each step; exits 1 at the first unexpected answer.
import socket
import sys
import time

ADDR, PORT = sys.argv[1], int(sys.argv[2])

KEYS = {
    "cam1": "v1.cam1.s1.1700000000.2014496000.tC6CTP4y59sqNr23uz4qDATYbbh4T_6sd3NzEvGPMSw",
    "cam1b": "v1.cam1.s1.1700000001.2014496001.ZYV3SlOuGcYTAPkAKZ5_Qi4c9Lr-lUGX2HNmOOQgJoM",
    "solo0": "v1.solo.s1.1700000000.2014496000.ZqiVluPwMZpoManJVSgfr9WluPW1UsFMAvvg4GNTlJ0",
    "solo1": "v1.solo.s1.1700000001.2014496001.kEAeLef10xWfSKzg4Z3KchWXqsusCz6jfddMxQUjopc",
    "off": "v1.off.s1.1700000000.2014496000.-CadG9w6URS6rwazDnP3l1_l7RsRkqcnvli2XZIGq8A",
    "big0": "v1.big.s1.1700000000.2014496000.zu0pHzStKEfFD_o5u_TdCEV7jrji2zsTDwx-tihqWeM",
    "big1": "v1.big.s1.1700000001.2014496001.8cdRnBecMI_B2-XMLFkfpmzwJNPROnrleZYNk0vdWTk",
    "big2": "v1.big.s1.1700000002.2014496002.9Pcp6TSJWwg7hM9im2qBm-ELIZVhVDMY5A_KAf94Ky8",
    "big3": "v1.big.s1.1700000003.2014496003.PEjjHH59GrysF7juQcScXKwDYKzEFRNp-PSJheLF6AI",
    "big4": "v1.big.s1.1700000004.2014496004.3ssadUVt1FFfGCRioQugIKXeqW552wBheKeT4HCduNY",
    "big5": "v1.big.s1.1700000005.2014496005.QLSlEi3D_XJFhuH_QFAhExs0-BxD5-g5x_zUDFXHa4k",
}
BAD_KEY = "v1.cam1.s1.1700000000.2014496000.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"


def request(src, path, method="GET", upgrade=True, connection="Upgrade", keep=False):
    """One request on a new connection from `src`: (status, camrelay-reason[, socket])."""
    s = socket.create_connection((ADDR, PORT), timeout=10, source_address=(src, 0))
    head = method + " " + path + " HTTP/1.1\r\nHost: relay.example.com\r\n"
    if upgrade:
        head += "Upgrade: websocket\r\nSec-WebSocket-Version: 13\r\n"
        head += "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
    if connection:
        head += "Connection: " + connection + "\r\n"
    s.sendall((head + "\r\n").encode())
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = s.recv(4096)
        if not chunk:
            break
        data += chunk
    lines = data.split(b"\r\n\r\n")[0].decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1]) if lines and len(lines[0].split()) > 1 else 0
    reason = ""
    for line in lines[1:]:
        name, _, value = line.partition(":")
        if name.strip().lower() == "camrelay-reason":
            reason = value.strip()
    if keep:
        return status, reason, s
    s.close()
    return status, reason


def expect(what, got, want_status, want_reason=None):
    status, reason = got[0], got[1]
    ok = status == want_status and (want_reason is None or reason == want_reason)
    print(("ok   " if ok else "FAIL ") + what + ": " + str(status) + " " + reason, flush=True)
    if not ok:
        print("     wanted " + str(want_status) + " " + str(want_reason or ""), flush=True)
        sys.exit(1)


def viewer(src, key_name, camera=None):
    camera = camera or KEYS[key_name].split(".")[1]
    return request(src, "/" + camera + "/?k=" + KEYS[key_name], keep=True)


def eventually(what, attempt, want_status, want_reason=None):
    """The count of a closed pipe is given back when varnishd ends its task."""
    for _ in range(50):
        got = attempt()
        if got[0] == want_status:
            break
        if len(got) > 2:
            got[2].close()
        time.sleep(0.1)
    expect(what, got, want_status, want_reason)
    return got


# (1) refusals that are no key failure never block an address.
A = "127.0.0.2"
holder = viewer("127.0.0.9", "solo0")  # solo (max-viewers=1) is full from here on
expect("solo's only viewer", holder, 101)
for i in range(25):
    expect("offline #%d" % i, request(A, "/off/?k=" + KEYS["off"]), 503, "offline")
    expect("camera full #%d" % i, request(A, "/solo/?k=" + KEYS["solo1"]), 429, "too_many_viewers")
    expect("bad request #%d" % i, request(A, "/cam1/?k=%zz"), 400, "bad_request")
    expect("unknown camera #%d" % i, request(A, "/nocam/?k=" + KEYS["cam1"]), 404, "unknown_camera")
    expect("405 upgrade #%d" % i, request(A, "/cam1/", method="POST"), 405, "method_not_allowed")
    expect("405 page #%d" % i, request(A, "/cam1/", method="DELETE", upgrade=False, connection=None), 405,
           "method_not_allowed")
expect("after 150 such refusals, a key failure is answered as such", request(A, "/cam1/?k=" + BAD_KEY), 403,
       "key_bad_signature")
v = viewer(A, "cam1")
expect("after 150 such refusals, a valid key gets in", v, 101)
v[2].close()
holder[2].close()

# (2) key failures block an address for key failures only; (3) per address.
B = "127.0.0.3"
for i in range(20):
    expect("bad key #%d" % i, request(B, "/cam1/?k=" + BAD_KEY), 403, "key_bad_signature")
expect("the 21st bad key is throttled", request(B, "/cam1/?k=" + BAD_KEY), 429, "throttled")
expect("and so is a missing key", request(B, "/cam1/"), 429, "throttled")
v = eventually("a blocked address still gets in with a valid key", lambda: viewer(B, "cam1b"), 101)
v[2].close()
expect("a blocked address still gets an offline answer", request(B, "/off/?k=" + KEYS["off"]), 503, "offline")
expect("another address has its own bucket", request("127.0.0.4", "/cam1/?k=" + BAD_KEY), 403,
       "key_bad_signature")

# (4) one key, one address: never every slot of big (max-viewers=10).
first = viewer("127.0.0.5", "big0")
expect("big0's first viewer", first, 101)
expect("big0 again, from another address", viewer("127.0.0.6", "big0"), 429, "too_many_viewers_for_key")
first[2].close()
v = eventually("big0 once its pipe closed", lambda: viewer("127.0.0.6", "big0"), 101)
v[2].close()
held = []
for name in ("big1", "big2", "big3", "big4"):
    got = viewer("127.0.0.7", name)
    expect(name + " from 127.0.0.7", got, 101)
    held.append(got[2])
expect("a fifth key from 127.0.0.7", viewer("127.0.0.7", "big5"), 429, "too_many_viewers_for_address")
expect("big5 from another address", viewer("127.0.0.8", "big5"), 101)
held.pop().close()
v = eventually("big4 again from 127.0.0.7 once its pipe closed", lambda: viewer("127.0.0.7", "big4"), 101)
for s in held:
    s.close()
v[2].close()

# (5) an Upgrade without the upgrade token in Connection is not piped.
expect("Connection: keep-alive", request("127.0.0.10", "/cam1/?k=" + KEYS["cam1"], connection="keep-alive"), 400,
       "upgrade_without_connection")
expect("no Connection", request("127.0.0.10", "/cam1/?k=" + KEYS["cam1"], connection=None), 400,
       "upgrade_without_connection")
expect("Connection: upgraded", request("127.0.0.10", "/cam1/?k=" + KEYS["cam1"], connection="upgraded"), 400,
       "upgrade_without_connection")
v = request("127.0.0.10", "/cam1/?k=" + KEYS["cam1"], connection="keep-alive, UPGRADE", keep=True)
expect("Connection: keep-alive, UPGRADE", v, 101)
v[2].close()

# (6) dot-segments, raw or encoded, with or without a key.
for path in ("/cam1/../cam1/", "/cam1/./", "/cam1/%2e%2e/x", "/cam1/%2E%2e/x", "/cam1/x/.%2E", "/cam1/a%2f..%2fb",
             "/./cam1/"):
    expect("viewer " + path, request("127.0.0.11", path + "?k=" + KEYS["cam1"]), 400, "bad_request")
    expect("page " + path, request("127.0.0.11", path, upgrade=False, connection=None), 400, "bad_request")
print("all ok")
