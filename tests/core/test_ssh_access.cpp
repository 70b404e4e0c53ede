// The core's SSH access functions (lib/camrelay/admin/ssh_access.hpp): public key
// validation, the camera's authorized_keys line, editing authorized_keys,
// port choice, the camera-side settings.
#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "camrelay/registry.hpp"
#include "camrelay/admin/ssh_access.hpp"
#include "test_util.hpp"

namespace camrelay {
namespace {

// Generated with ssh-keygen (OpenSSH 9.2).
const std::string kEd25519 = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIAhwq/xKOu27G6tiO/xhScGebLDFW3W0poAZKWuJcZVG ed@cam";
const std::string kEd25519Fingerprint = "SHA256:2pzG6/jABkJJVSkhPxazLy7RgCeqHgSDWsy8/0XRJ2I";
const std::string kEcdsa256 =
    "ecdsa-sha2-nistp256 AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBMT3piJlxraGM2oKvEwkgRRTKdXeUe+0IA1n67Sz"
    "SobeRnxoNPs9x8lYJtUeopBzVN3kTKFiBpc8JDbAQLn/IWU= e256";
const std::string kEcdsa384 =
    "ecdsa-sha2-nistp384 AAAAE2VjZHNhLXNoYTItbmlzdHAzODQAAAAIbmlzdHAzODQAAABhBF/C+9Vp2C1bbUCNIkjtqAFx6vFZSKa8tEDpPddn"
    "NNEkmXUawyklnv3raSatfX7UEaI47vToxWJD2gzpYsPiihUVRzNkX5eNjr6LJUfS5ifj+uSy5rKavw6xFQAo5Gy9AA== e384";
const std::string kEcdsa521 =
    "ecdsa-sha2-nistp521 AAAAE2VjZHNhLXNoYTItbmlzdHA1MjEAAAAIbmlzdHA1MjEAAACFBACfnFw3Gg3+N76Oufbtma0BuFsvMFAei/Ctf4qv"
    "a/9NZp99ZFEaGEuckCt2CIdt0OyZL7kbHXh178t8szmu1YMVBQDuBX4C3TFR7i1bJYnNTzoSqbAIyWAPDi4V2gLl6K3RdlagKMO1QhRyHzYWJj2E"
    "w7wjKK02d2qjPohjFQrF3tA+mg== e521";
const std::string kRsa2048 =
    "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQDT4G8F+eN9LyJztv/wz5jJ6+ZHhWkXQY17dk8Z7WQy3qtTijiLoBUegHgEFkbdYvZj40TCh6y"
    "K5RwnSX/S2SfVbH4J3ZVuQeXaKDZi2LQaDculycq/UJ5wsooDC7C5DzY/mu7lPBVf7i4ld/2sK6vA3Q+QWJJ6+YJ344fuJsX4v/TZ/kYKRwBqcZV"
    "JlE5Va2fKt+sfVX4mgpv1/sk32Z3AVfCqtrFABZuSDPOjfP/VU5HSizOKVqoRODIyQgFE3PwbhFofubMRpFcYAiw+R4dAS8rhxF8mm+umlfv/j9n"
    "L+AcUDRZs5W50u97lL9LhIGWhVQZg4oGVMom9Az16YfPV r2048";
const std::string kRsa1024 =
    "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAAAgQDBr7qG62qVyl+1Yz6OU5tYsjB6/BPK83HHK/tc4VqqK8YzCQiyohhHzvGU7zeVLESp7k/2vhl"
    "msgqIQqam/znV2eB3D9OuQs8I7ScQuVQ/7Szl0NxTOAZubrY89jMwJSGchuTMx/qh0oXxsieW4DktGi6l74vV3GuJ0mFbknCgfQ== r1024";
const std::string kOtherEd25519 =
    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIMUJW1cH4xlluWz12pR3IYy6pmXUeC5Xr+CcckoUyU91 other";

// --- building key blobs by hand, for types ssh-keygen cannot make here
std::string wire_string(const std::string& s) {
    std::string out(4, '\0');
    out[0] = static_cast<char>((s.size() >> 24) & 0xff);
    out[1] = static_cast<char>((s.size() >> 16) & 0xff);
    out[2] = static_cast<char>((s.size() >> 8) & 0xff);
    out[3] = static_cast<char>(s.size() & 0xff);
    return out + s;
}

std::string b64(const std::string& in) {
    static const char* a = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string out;
    std::size_t i = 0;
    for (; i + 2 < in.size(); i += 3) {
        unsigned v = (static_cast<unsigned char>(in[i]) << 16) | (static_cast<unsigned char>(in[i + 1]) << 8) |
                     static_cast<unsigned char>(in[i + 2]);
        out += a[v >> 18];
        out += a[(v >> 12) & 63];
        out += a[(v >> 6) & 63];
        out += a[v & 63];
    }
    if (in.size() - i == 1) {
        unsigned v = static_cast<unsigned char>(in[i]) << 16;
        out += a[v >> 18];
        out += a[(v >> 12) & 63];
        out += "==";
    } else if (in.size() - i == 2) {
        unsigned v = (static_cast<unsigned char>(in[i]) << 16) | (static_cast<unsigned char>(in[i + 1]) << 8);
        out += a[v >> 18];
        out += a[(v >> 12) & 63];
        out += a[(v >> 6) & 63];
        out += '=';
    }
    return out;
}

std::string point(std::size_t coord) { return std::string(1, '\x04') + std::string(2 * coord, '\x11'); }

std::string reason(const std::string& text) {
    try {
        parse_ssh_public_key(text);
    } catch (const SshAccessError& e) {
        return e.what();
    }
    return "(accepted)";
}

TEST(ParsePublicKey, AcceptsEveryKindOpenSshMakes) {
    struct Case {
        const std::string* line;
        const char* type;
        unsigned bits;
        const char* comment;
    } cases[] = {
        {&kEd25519, "ssh-ed25519", 256, "ed@cam"},
        {&kEcdsa256, "ecdsa-sha2-nistp256", 256, "e256"},
        {&kEcdsa384, "ecdsa-sha2-nistp384", 384, "e384"},
        {&kEcdsa521, "ecdsa-sha2-nistp521", 521, "e521"},
        {&kRsa2048, "ssh-rsa", 2048, "r2048"},
    };
    for (const auto& c : cases) {
        SCOPED_TRACE(c.type);
        auto k = parse_ssh_public_key(*c.line + "\n");
        EXPECT_EQ(k.type, c.type);
        EXPECT_EQ(k.bits, c.bits);
        EXPECT_EQ(k.comment, c.comment);
    }
}

TEST(ParsePublicKey, SecurityKeys) {
    const std::string ed = "sk-ssh-ed25519@openssh.com";
    auto k = parse_ssh_public_key(
        ed + " " + b64(wire_string(ed) + wire_string(std::string(32, 'k')) + wire_string("ssh:")) + " token");
    EXPECT_EQ(k.type, ed);
    const std::string ec = "sk-ecdsa-sha2-nistp256@openssh.com";
    k = parse_ssh_public_key(
        ec + " " + b64(wire_string(ec) + wire_string("nistp256") + wire_string(point(32)) + wire_string("ssh:")));
    EXPECT_EQ(k.type, ec);
    EXPECT_EQ(k.comment, "");
    // the application string is part of the format
    EXPECT_NE(reason(ed + " " + b64(wire_string(ed) + wire_string(std::string(32, 'k')))), "(accepted)");
}

TEST(ParsePublicKey, CommentWithBlanksAndLineEnds) {
    EXPECT_EQ(parse_ssh_public_key(kEd25519 + " more words\r\n").comment, "ed@cam more words");
    EXPECT_EQ(parse_ssh_public_key("  " + kEd25519 + "\n\n").type, "ssh-ed25519");
    auto bare = kEd25519.substr(0, kEd25519.rfind(' '));
    EXPECT_EQ(parse_ssh_public_key(bare).comment, "");
}

TEST(ParsePublicKey, Fingerprint) { EXPECT_EQ(parse_ssh_public_key(kEd25519).fingerprint(), kEd25519Fingerprint); }

TEST(ParsePublicKey, RefusesWhatIsNotOnePublicKey) {
    EXPECT_NE(reason("").find("empty"), std::string::npos);
    EXPECT_NE(reason(" \n").find("empty"), std::string::npos);
    EXPECT_NE(reason(kEd25519 + "\n" + kEcdsa256).find("several lines"), std::string::npos);
    EXPECT_NE(reason("-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQ\n"
                     "-----END OPENSSH PRIVATE KEY-----\n")
                  .find("private key"),
              std::string::npos);
    EXPECT_NE(reason("---- BEGIN SSH2 PUBLIC KEY ----\nAAAA\n---- END SSH2 PUBLIC KEY ----").find("RFC 4716"),
              std::string::npos);
    EXPECT_NE(reason("command=\"/bin/sh\" " + kEd25519).find("options"), std::string::npos);
    EXPECT_NE(reason("restrict " + kEd25519).find("options"), std::string::npos);
    EXPECT_NE(reason("no-pty,permitopen=\"x:1\" " + kEd25519).find("options"), std::string::npos);
    EXPECT_NE(reason("hello world").find("unknown key type"), std::string::npos);
    EXPECT_NE(reason("ssh-dss AAAAB3NzaC1kc3MAAACBAKR0").find("DSA"), std::string::npos);
    EXPECT_NE(reason("ssh-ed25519-cert-v01@openssh.com AAAA").find("not supported"), std::string::npos);
    EXPECT_NE(reason("ssh-ed25519").find("missing"), std::string::npos);
    EXPECT_NE(reason(std::string("ssh-ed25519 AAAA\0AAAA x", 23)).find("control"), std::string::npos);
    EXPECT_NE(reason(kEd25519 + std::string(20000, 'x')).find("over"), std::string::npos);
}

TEST(ParsePublicKey, RefusesBadBase64) {
    const std::string blob = kEd25519.substr(12, kEd25519.rfind(' ') - 12);
    EXPECT_NE(reason("ssh-ed25519 " + blob.substr(1)).find("base64"), std::string::npos);  // length
    EXPECT_NE(reason("ssh-ed25519 " + blob.substr(0, 10) + "*" + blob.substr(11)).find("base64"),
              std::string::npos);                                                         // alphabet
    EXPECT_NE(reason("ssh-ed25519 " + blob + "====").find("base64"), std::string::npos);  // padding
    // non-canonical: the unused bits of the last character must be zero
    std::string ec = kEcdsa256.substr(0, kEcdsa256.rfind(' '));
    ASSERT_EQ(ec.substr(ec.size() - 2), "U=");
    EXPECT_EQ(reason(ec), "(accepted)");
    ec[ec.size() - 2] = 'V';
    EXPECT_NE(reason(ec).find("base64"), std::string::npos);
}

TEST(ParsePublicKey, RefusesBlobsThatDoNotMatchTheLine) {
    // the embedded type names another algorithm
    const std::string ecdsa_blob = kEcdsa256.substr(20, kEcdsa256.rfind(' ') - 20);
    EXPECT_NE(reason("ssh-ed25519 " + ecdsa_blob).find("'ecdsa-sha2-nistp256' key"), std::string::npos);
    EXPECT_NE(reason("ecdsa-sha2-nistp384 " + ecdsa_blob).find("line says"), std::string::npos);
    // an embedded type name that is not one we know is not shown: it could
    // hold a terminal escape sequence (found by tests/fuzz/fuzz_ssh_public_key)
    const std::string e = "ssh-ed25519";
    const std::string escape = "\x1b]0;owned\x07\x1b[2J";
    const std::string hostile = reason(e + " " + b64(wire_string(escape) + wire_string(std::string(32, 'k'))));
    EXPECT_EQ(hostile, "the key data is not a 'ssh-ed25519' key: it names another, unknown type");
    EXPECT_EQ(hostile.find('\x1b'), std::string::npos);
    // wrong curve name inside, wrong point size, trailing bytes, truncation
    const std::string t = "ecdsa-sha2-nistp256";
    EXPECT_NE(reason(t + " " + b64(wire_string(t) + wire_string("nistp384") + wire_string(point(32)))).find("curve"),
              std::string::npos);
    EXPECT_NE(reason(t + " " + b64(wire_string(t) + wire_string("nistp256") + wire_string(point(48)))).find("point"),
              std::string::npos);
    EXPECT_NE(reason(e + " " + b64(wire_string(e) + wire_string(std::string(32, 'k')) + "x")).find("trailing"),
              std::string::npos);
    EXPECT_NE(reason(e + " " + b64(wire_string(e) + wire_string(std::string(31, 'k')))).find("malformed"),
              std::string::npos);
    EXPECT_NE(reason(e + " " + b64(wire_string(e))).find("malformed"), std::string::npos);
    EXPECT_NE(reason(e + " " + b64(std::string("\0\0\0\x40", 4) + e)).find("truncated"), std::string::npos);
}

TEST(ParsePublicKey, RsaSizeAndShape) {
    EXPECT_NE(reason(kRsa1024).find("1024 bits"), std::string::npos);
    const std::string r = "ssh-rsa";
    std::string n = std::string(1, '\0') + std::string(1, '\x80') + std::string(255, '\x01');  // 2048 bits, odd
    EXPECT_EQ(parse_ssh_public_key(r + " " + b64(wire_string(r) + wire_string("\x01\x00\x01") + wire_string(n))).bits,
              2048u);
    // negative modulus (no leading zero before a high bit)
    EXPECT_NE(
        reason(r + " " + b64(wire_string(r) + wire_string("\x01\x00\x01") + wire_string(n.substr(1)))).find("modulus"),
        std::string::npos);
    // even exponent
    EXPECT_NE(reason(r + " " + b64(wire_string(r) + wire_string("\x02") + wire_string(n))).find("exponent"),
              std::string::npos);
}

// Every prefix and every one-byte change of real keys: accepted or refused
// with SshAccessError, nothing else (the suite also runs under ASan+UBSan).
TEST(ParsePublicKey, EveryPrefixAndByteFlip) {
    for (const auto* line : {&kEd25519, &kEcdsa256, &kEcdsa521, &kRsa2048}) {
        for (std::size_t n = 0; n <= line->size(); ++n) {
            try {
                parse_ssh_public_key(line->substr(0, n));
            } catch (const SshAccessError&) {}
        }
        for (std::size_t i = 0; i < line->size(); ++i) {
            for (char c : {'A', '/', '=', ' ', '\n', '\x80'}) {
                std::string m = *line;
                m[i] = c;
                try {
                    auto k = parse_ssh_public_key(m);
                    EXPECT_FALSE(k.type.empty());
                } catch (const SshAccessError&) {}
            }
        }
    }
}

CameraAccess access(const std::string& id, std::uint16_t port) {
    return CameraAccess{id, port, "/usr/libexec/camrelay/camrelay-session"};
}

TEST(AuthorizedKeyLine, RestrictsEverything) {
    auto line = format_authorized_key(parse_ssh_public_key(kEd25519), access("cam1", 20001));
    EXPECT_EQ(line,
              "restrict,port-forwarding,permitlisten=\"127.0.0.1:20001\","
              "command=\"/usr/libexec/camrelay/camrelay-session cam1 20001\" " +
                  kEd25519.substr(0, kEd25519.rfind(' ')) + " camrelay-camera=cam1");
    EXPECT_EQ(line.find("pty"), std::string::npos);  // no terminal re-enabled
}

TEST(AuthorizedKeyLine, RefusesBadAccess) {
    auto key = parse_ssh_public_key(kEd25519);
    EXPECT_THROW(format_authorized_key(key, access("Cam1", 20001)), SshAccessError);
    EXPECT_THROW(format_authorized_key(key, access("cam1", 22)), SshAccessError);
    EXPECT_THROW(format_authorized_key(key, CameraAccess{"cam1", 20001, "camrelay-session"}), SshAccessError);
    EXPECT_THROW(format_authorized_key(key, CameraAccess{"cam1", 20001, "/x\" /bin/sh"}), SshAccessError);
    EXPECT_THROW(format_authorized_key(key, CameraAccess{"cam1", 20001, "/a b"}), SshAccessError);
}

const std::string kExisting =
    "# hand-written, keep me\n"
    "\n"
    "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAAAgQDB operator@laptop\r\n"
    "from=\"10.0.0.0/8\",command=\"echo \\\"a b\\\"\" " +
    kOtherEd25519 +
    "\n"
    "  # indented comment\t\n";

TEST(AuthorizedKeysEdit, AddKeepsEveryOtherLineByteForByte) {
    auto key = parse_ssh_public_key(kEd25519);
    auto out = authorized_keys_add(kExisting, key, access("cam1", 20001));
    ASSERT_EQ(out.substr(0, kExisting.size()), kExisting);
    EXPECT_EQ(out.substr(kExisting.size()), format_authorized_key(key, access("cam1", 20001)) + "\n");
    // a last line without line end gets one, its bytes otherwise kept
    auto no_eol = kExisting.substr(0, kExisting.size() - 1);
    auto out2 = authorized_keys_add(no_eol, key, access("cam1", 20001));
    EXPECT_EQ(out2, out);
    EXPECT_EQ(authorized_keys_add("", key, access("cam1", 20001)),
              format_authorized_key(key, access("cam1", 20001)) + "\n");
}

TEST(AuthorizedKeysEdit, ParseFindsKeysBehindOptions) {
    auto keys =
        parse_authorized_keys(authorized_keys_add(kExisting, parse_ssh_public_key(kEd25519), access("cam1", 20001)));
    ASSERT_EQ(keys.size(), 3u);
    EXPECT_EQ(keys[0].line, 3);
    EXPECT_EQ(keys[0].key.type, "ssh-rsa");
    EXPECT_EQ(keys[1].line, 4);
    EXPECT_EQ(keys[1].options, "from=\"10.0.0.0/8\",command=\"echo \\\"a b\\\"\"");
    EXPECT_EQ(keys[1].key.text(), kOtherEd25519.substr(0, kOtherEd25519.rfind(' ')));
    EXPECT_EQ(keys[1].camera_id, "");
    EXPECT_EQ(keys[2].camera_id, "cam1");
    EXPECT_EQ(keys[2].line, 6);
}

TEST(AuthorizedKeysEdit, RefusesDuplicates) {
    auto key = parse_ssh_public_key(kEd25519);
    auto one = authorized_keys_add(kExisting, key, access("cam1", 20001));
    try {
        authorized_keys_add(one, parse_ssh_public_key(kEd25519), access("cam2", 20002));
        FAIL() << "same key accepted twice";
    } catch (const SshAccessError& e) {
        EXPECT_NE(std::string(e.what()).find("camera cam1"), std::string::npos) << e.what();
    }
    // the same key with another comment is the same key
    EXPECT_THROW(authorized_keys_add(one, parse_ssh_public_key(kEd25519.substr(0, kEd25519.rfind(' ')) + " x"),
                                     access("cam2", 20002)),
                 SshAccessError);
    // a key already in the file for something else
    EXPECT_THROW(authorized_keys_add(kExisting, parse_ssh_public_key(kOtherEd25519), access("cam2", 20002)),
                 SshAccessError);
    // the camera already has a line
    EXPECT_THROW(authorized_keys_add(one, parse_ssh_public_key(kEcdsa256), access("cam1", 20003)), SshAccessError);
}

TEST(AuthorizedKeysEdit, RemoveTakesOnlyTheCamerasLine) {
    auto key = parse_ssh_public_key(kEd25519);
    auto two = authorized_keys_add(authorized_keys_add(kExisting, key, access("cam1", 20001)),
                                   parse_ssh_public_key(kEcdsa256), access("cam2", 20002));
    int removed = -1;
    auto back = authorized_keys_remove(two, "cam1", &removed);
    EXPECT_EQ(removed, 1);
    EXPECT_EQ(back, kExisting + format_authorized_key(parse_ssh_public_key(kEcdsa256), access("cam2", 20002)) + "\n");
    EXPECT_EQ(authorized_keys_remove(back, "cam2", &removed), kExisting);
    EXPECT_EQ(authorized_keys_remove(kExisting, "cam9", &removed), kExisting);
    EXPECT_EQ(removed, 0);
    // "camrelay-camera=cam1" does not match cam10
    auto ten = authorized_keys_add(kExisting, key, access("cam10", 20010));
    EXPECT_EQ(authorized_keys_remove(ten, "cam1", &removed), ten);
}

TEST(Registry, CameraWithSshKey) {
    Registry r;
    Camera a;
    a.id = "cam1";
    a.ssh_key = kEd25519.substr(0, kEd25519.rfind(' '));
    Camera b;
    b.id = "cam2";
    r.cameras = {a, b};
    EXPECT_EQ(camera_with_ssh_key(r, parse_ssh_public_key(kEd25519)), "cam1");
    EXPECT_EQ(camera_with_ssh_key(r, parse_ssh_public_key(kEd25519), "cam1"), std::nullopt);
    EXPECT_EQ(camera_with_ssh_key(r, parse_ssh_public_key(kEcdsa256)), std::nullopt);
}

TEST(Ports, PickSkipsCamerasAndListeners) {
    Registry r;
    for (std::uint16_t p : {20000, 20001, 20003}) {
        Camera c;
        c.id = std::string("c").append(std::to_string(p));
        c.tunnel.port = p;
        r.cameras.push_back(c);
    }
    auto none = [](std::uint16_t) { return false; };
    EXPECT_EQ(pick_tunnel_port(r, none), 20002);
    EXPECT_EQ(pick_tunnel_port(r, [](std::uint16_t p) { return p == 20002; }), 20004);
    EXPECT_EQ(pick_tunnel_port(r, none, 20000, 20001), std::nullopt);
}

TEST(Ports, LoopbackPortInUse) {
    int fd = -1;
    std::uint16_t port = 0;
    ASSERT_NO_FATAL_FAILURE(test::bind_loopback(fd, port));
    ASSERT_EQ(::listen(fd, 1), 0);
    EXPECT_TRUE(loopback_port_in_use(port));
    ::close(fd);
    EXPECT_FALSE(loopback_port_in_use(port));
}

// Tunnel holders: whatever listens where a camera's tunnel lands. This
// process listens itself, so it finds itself, and never counts as an SSH
// connection to end.
int listening_socket(int family, sockaddr* address, socklen_t length) {
    const int fd = ::socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0 || ::bind(fd, address, length) != 0 || ::listen(fd, 1) != 0) ADD_FAILURE() << "listen";
    return fd;
}

bool holds(const std::vector<TunnelHolder>& holders, pid_t pid) {
    for (const auto& h : holders)
        if (h.pid == pid) return true;
    return false;
}

TEST(TunnelHolders, TheProcessListeningOnTheCamerasPort) {
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    const int fd = listening_socket(AF_INET, reinterpret_cast<sockaddr*>(&a), sizeof a);
    socklen_t len = sizeof a;
    ASSERT_EQ(::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len), 0);
    Tunnel tunnel;
    tunnel.port = ntohs(a.sin_port);
    const auto holders = tunnel_holders(tunnel);
    ASSERT_TRUE(holds(holders, ::getpid()));
    for (const auto& h : holders) EXPECT_FALSE(h.ssh_connection()) << h.comm;

    // Not an SSH connection: left running, reported, still listening.
    const ClosedTunnel closed = close_tunnel_holders(tunnel, std::chrono::milliseconds(100));
    EXPECT_EQ(closed.closed, 0);
    EXPECT_TRUE(holds(closed.others, ::getpid()));
    EXPECT_TRUE(closed.still_listening);
    EXPECT_TRUE(loopback_port_in_use(tunnel.port));
    ::close(fd);
    EXPECT_TRUE(tunnel_holders(tunnel).empty());
    EXPECT_FALSE(close_tunnel_holders(tunnel).still_listening);
}

TEST(TunnelHolders, TheIpv6WildcardHoldsTheLoopbackPortToo) {
    sockaddr_in6 a{};
    a.sin6_family = AF_INET6;
    a.sin6_addr = in6addr_any;
    const int fd = ::socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) GTEST_SKIP() << "no IPv6";
    ::close(fd);
    const int listener = listening_socket(AF_INET6, reinterpret_cast<sockaddr*>(&a), sizeof a);
    socklen_t len = sizeof a;
    ASSERT_EQ(::getsockname(listener, reinterpret_cast<sockaddr*>(&a), &len), 0);
    Tunnel tunnel;
    tunnel.port = ntohs(a.sin6_port);
    EXPECT_TRUE(holds(tunnel_holders(tunnel), ::getpid()));
    ::close(listener);
}

TEST(TunnelHolders, TheProcessListeningOnTheCamerasSocket) {
    sockaddr_un a{};
    a.sun_family = AF_UNIX;
    const std::string path = ::testing::TempDir() + "camrelay-holders-" + std::to_string(::getpid()) + ".sock";
    ASSERT_LT(path.size(), sizeof a.sun_path);
    std::memcpy(a.sun_path, path.c_str(), path.size() + 1);
    ::unlink(path.c_str());
    const int fd = listening_socket(AF_UNIX, reinterpret_cast<sockaddr*>(&a), sizeof a);
    Tunnel tunnel;
    tunnel.kind = Tunnel::Kind::socket;
    tunnel.path = path;
    EXPECT_TRUE(holds(tunnel_holders(tunnel), ::getpid()));
    tunnel.path = path + ".other";
    EXPECT_TRUE(tunnel_holders(tunnel).empty());
    ::close(fd);
    ::unlink(path.c_str());
}

TEST(TunnelHolders, OnlyANonRootSshdIsAConnectionToEnd) {
    EXPECT_TRUE((TunnelHolder{1, 999, "sshd"}).ssh_connection());
    EXPECT_TRUE((TunnelHolder{1, 999, "sshd-session"}).ssh_connection());  // OpenSSH 9.8 and later
    EXPECT_FALSE((TunnelHolder{1, 0, "sshd"}).ssh_connection());           // the listener, a [priv] monitor
    EXPECT_FALSE((TunnelHolder{1, 999, "nc"}).ssh_connection());
    EXPECT_FALSE((TunnelHolder{1, 999, "python3"}).ssh_connection());
}

TEST(CameraSide, KnownHostsAndConfig) {
    auto host = parse_ssh_public_key(kEd25519);
    const std::string blob = kEd25519.substr(0, kEd25519.rfind(' '));
    EXPECT_EQ(format_known_hosts_line("relay.example.com", 22, host), "relay.example.com " + blob);
    EXPECT_EQ(format_known_hosts_line("203.0.113.7", 2222, host), "[203.0.113.7]:2222 " + blob);
    EXPECT_EQ(format_known_hosts_line("2001:db8::1", 2222, host), "[2001:db8::1]:2222 " + blob);
    EXPECT_THROW(format_known_hosts_line("a b", 22, host), SshAccessError);
    EXPECT_THROW(format_known_hosts_line("", 22, host), SshAccessError);

    TunnelSettings s;
    s.relay = "camrelay-cam@relay.example.com:22";
    s.identity = "/etc/camrelay-tunnel/cam1.key";
    s.known_hosts = "/etc/camrelay-tunnel/cam1.known_hosts";
    s.listen = 20001;
    auto text = format_tunnel_config(s);
    EXPECT_NE(text.find("\nRELAY=camrelay-cam@relay.example.com:22\n"), std::string::npos);
    EXPECT_NE(text.find("\nLISTEN=20001\n"), std::string::npos);
    EXPECT_NE(text.find("\nTARGET=localhost:9001\n"), std::string::npos);
    // A web-only network needs at most one line changed: auto and the https
    // port are set, the proxy and the TLS trust are one '#' away.
    EXPECT_NE(text.find("\nTRANSPORT=auto\n"), std::string::npos);
    EXPECT_NE(text.find("\nHTTPS_PORT=443\n"), std::string::npos);
    EXPECT_NE(text.find("\n#PROXY=http://USER:PASSWORD@PROXY:PORT\n"), std::string::npos);
    EXPECT_NE(text.find("\n#TLS_CA=/etc/camrelay-tunnel/relay-ca.pem\n"), std::string::npos);
    // Every line is a comment, or one KEY=VALUE that camrelay-tunnel reads.
    std::size_t settings = 0;
    for (std::size_t pos = 0; pos < text.size();) {
        const std::size_t end = text.find('\n', pos);
        ASSERT_NE(end, std::string::npos) << "the last line has no line end";
        const std::string line = text.substr(pos, end - pos);
        pos = end + 1;
        if (line.starts_with("#")) continue;
        ++settings;
        const std::string key = line.substr(0, line.find('='));
        EXPECT_TRUE(key == "RELAY" || key == "IDENTITY" || key == "KNOWN_HOSTS" || key == "LISTEN" || key == "TARGET" ||
                    key == "TRANSPORT" || key == "HTTPS_PORT")
            << line;
    }
    EXPECT_EQ(settings, 7u);
    s.https_port = 8443;
    EXPECT_NE(format_tunnel_config(s).find("\nHTTPS_PORT=8443\n"), std::string::npos);
    s.https_port = 0;
    EXPECT_THROW(format_tunnel_config(s), SshAccessError);
    s.https_port = 443;
    s.identity = "/x\nLISTEN=1";
    EXPECT_THROW(format_tunnel_config(s), SshAccessError);
}

TEST(CameraSide, HttpsPortFromSetupState) {
    EXPECT_EQ(https_port_from_setup(""), kDefaultHttpsPort);
    EXPECT_EQ(https_port_from_setup("# Written by camrelay setup\nHTTP_LISTEN=:80\n"), 443);
    EXPECT_EQ(https_port_from_setup("HTTP_LISTEN=:8080\nHTTPS_LISTEN=:443\n"), 443);
    EXPECT_EQ(https_port_from_setup("HTTPS_LISTEN=127.0.0.1:8443\n"), 8443);
    EXPECT_EQ(https_port_from_setup("HTTPS_LISTEN=[::1]:9443\r\n"), 9443);
    EXPECT_EQ(https_port_from_setup("HTTPS_LISTEN=8443"), 8443);                         // no line end, no address
    EXPECT_EQ(https_port_from_setup("HTTPS_LISTEN=:8443\nHTTPS_LISTEN=:9443\n"), 9443);  // the last one
    // Not a port: the default, never a wrong port
    for (const char* bad : {"HTTPS_LISTEN=\n", "HTTPS_LISTEN=:\n", "HTTPS_LISTEN=:0\n", "HTTPS_LISTEN=:65536\n",
                            "HTTPS_LISTEN=:44x\n", "HTTPS_LISTEN=[::1]\n"})
        EXPECT_EQ(https_port_from_setup(bad), 443) << bad;
    EXPECT_EQ(https_port_from_setup("XHTTPS_LISTEN=:8443\n# HTTPS_LISTEN=:8443\n"), 443);
}

TEST(Paths, SessionProgramAndAuthorizedKeys) {
    EXPECT_EQ(authorized_keys_path("/etc/camrelay"), "/etc/camrelay/ssh/authorized_keys");
    ::unsetenv(kSessionProgramEnv);
    EXPECT_EQ(session_program_path("/usr/libexec/camrelay/camrelay-session"), "/usr/libexec/camrelay/camrelay-session");
    ::setenv(kSessionProgramEnv, "/opt/x/camrelay-session", 1);
    EXPECT_EQ(session_program_path("/usr/libexec/camrelay/camrelay-session"), "/opt/x/camrelay-session");
    ::unsetenv(kSessionProgramEnv);
}

}  // namespace
}  // namespace camrelay
