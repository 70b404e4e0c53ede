// cameras.conf and secrets.conf: parsing, errors with line numbers, loading
// (core); editing and atomic writes (admin).
#include <gtest/gtest.h>

#include <sys/stat.h>

#include <cstdlib>
#include <string>

#include "camrelay/admin/atomic_file.hpp"
#include "camrelay/admin/config_edit.hpp"
#include "camrelay/registry.hpp"
#include "camrelay/secrets.hpp"
#include "test_util.hpp"

using namespace camrelay;

namespace {

const std::string kFile = "cameras.conf";

// Parse `text`, expect a ConfigError on `line` whose reason contains `part`.
void expect_error(const std::string& text, int line, const std::string& part) {
    try {
        parse_registry(text, kFile);
        ADD_FAILURE() << "accepted:\n" << text.substr(0, 300);
    } catch (const ConfigError& e) {
        EXPECT_EQ(e.file(), kFile);
        EXPECT_EQ(e.line(), line) << e.what();
        EXPECT_NE(e.reason().find(part), std::string::npos) << "reason: " << e.reason() << "\nwanted: " << part;
        EXPECT_EQ(std::string(e.what()), kFile + ":" + std::to_string(line) + ": " + e.reason());
    }
}

const std::string kHex1 = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";
const std::string kHex2 = "6262626262626262626262626262626262626262626262626262626262626262";

void expect_secrets_error(const std::string& text, int line, const std::string& part) {
    try {
        parse_secrets(text, "secrets.conf");
        ADD_FAILURE() << "accepted:\n" << text;
    } catch (const ConfigError& e) {
        EXPECT_EQ(e.line(), line) << e.what();
        EXPECT_NE(e.reason().find(part), std::string::npos) << e.what();
        // Never the secret, not even a part of it.
        EXPECT_EQ(std::string(e.what()).find("0a0b0c0d"), std::string::npos) << e.what();
        EXPECT_EQ(std::string(e.what()).find("62626262"), std::string::npos) << e.what();
    }
}

const std::string kSample =
    "# camrelay cameras\n"
    "\n"
    "camera cam1 port=18080   # front door\n"
    "camera cam2 socket=/run/camrelay/cam2.sock max-viewers=5 revoke-before=1700000000\n"
    "\tcamera  back-yard\tupstream=10.0.0.2:8080\n"
    "camera cam4 upstream=[::1]:80 legacy-sha256=D7ECDF25EAF3DEBA0F2628771DBDD22D4138AB6CF38F91ED02A2CA0DEC7C8AB7\n"
    "camera cam5 upstream=relay2.example.com:443 ssh-key=ssh-ed25519 AAAAC3Nza user@cam5 # not a comment  \n"
    "   # indented comment\n"
    "default cam1 # the default\n";

// A camera's line in kSample and its TCP tunnel (port= or upstream=).
void expect_tcp_camera(const Camera& c, int line, Tunnel::Kind kind, const std::string& host, std::uint16_t port) {
    EXPECT_EQ(c.line, line) << c.id;
    EXPECT_EQ(c.tunnel.kind, kind) << c.id;
    EXPECT_EQ(c.tunnel.host, host) << c.id;
    EXPECT_EQ(c.tunnel.port, port) << c.id;
}

}  // namespace

TEST(Registry, ParsesAGoodFile) {
    Registry r = parse_registry(kSample, kFile);
    ASSERT_EQ(r.cameras.size(), 5u);
    EXPECT_EQ(r.default_camera, "cam1");
    EXPECT_EQ(r.default_line, 9);

    const Camera* c1 = r.find("cam1");
    ASSERT_NE(c1, nullptr);
    expect_tcp_camera(*c1, 3, Tunnel::Kind::port, "127.0.0.1", 18080);
    EXPECT_EQ(c1->max_viewers, kDefaultMaxViewers);
    EXPECT_EQ(c1->keys.revoke_before, 0);
    EXPECT_FALSE(c1->keys.legacy_sha256.has_value());
    EXPECT_EQ(c1->ssh_key, "");

    const Camera* c2 = r.find("cam2");
    ASSERT_NE(c2, nullptr);
    EXPECT_EQ(c2->tunnel.kind, Tunnel::Kind::socket);
    EXPECT_EQ(c2->tunnel.path, "/run/camrelay/cam2.sock");
    EXPECT_EQ(c2->max_viewers, 5u);
    EXPECT_EQ(c2->keys.revoke_before, 1700000000);

    const Camera* c3 = r.find("back-yard");
    ASSERT_NE(c3, nullptr);
    expect_tcp_camera(*c3, 5, Tunnel::Kind::upstream, "10.0.0.2", 8080);

    const Camera* c4 = r.find("cam4");
    ASSERT_NE(c4, nullptr);
    EXPECT_EQ(c4->tunnel.host, "::1");
    EXPECT_EQ(c4->tunnel.port, 80);
    ASSERT_TRUE(c4->keys.legacy_sha256.has_value());
    EXPECT_EQ(*c4->keys.legacy_sha256, sha256("open-sesame"));

    const Camera* c5 = r.find("cam5");
    ASSERT_NE(c5, nullptr);
    EXPECT_EQ(c5->tunnel.host, "relay2.example.com");
    EXPECT_EQ(c5->ssh_key, "ssh-ed25519 AAAAC3Nza user@cam5 # not a comment");

    EXPECT_EQ(r.find("cam9"), nullptr);
    EXPECT_EQ(r.find(""), nullptr);
}

TEST(Registry, EmptyAndCommentOnlyFiles) {
    EXPECT_TRUE(parse_registry("", kFile).cameras.empty());
    Registry r = parse_registry("# nothing\n\n   \n\t# more\n", kFile);
    EXPECT_TRUE(r.cameras.empty());
    EXPECT_EQ(r.default_camera, "");
    EXPECT_EQ(r.default_line, 0);
}

TEST(Registry, CrlfLinesAndNoFinalNewline) {
    Registry r = parse_registry("camera cam1 port=1\r\ncamera cam2 port=2\r\ndefault cam2", kFile);
    ASSERT_EQ(r.cameras.size(), 2u);
    EXPECT_EQ(r.cameras[1].tunnel.port, 2);
    EXPECT_EQ(r.default_camera, "cam2");
}

TEST(Registry, TunnelDescribe) {
    Registry r = parse_registry(kSample, kFile);
    EXPECT_EQ(r.find("cam1")->tunnel.describe(), "port=18080");
    EXPECT_EQ(r.find("cam2")->tunnel.describe(), "socket=/run/camrelay/cam2.sock");
    EXPECT_EQ(r.find("back-yard")->tunnel.describe(), "upstream=10.0.0.2:8080");
    EXPECT_EQ(r.find("cam4")->tunnel.describe(), "upstream=[::1]:80");
    EXPECT_EQ(r.find("cam5")->tunnel.describe(), "upstream=relay2.example.com:443");
}

TEST(RegistryErrors, DuplicateIdNamesBothLines) {
    const std::string text = "# header\n\ncamera cam1 port=1\n\n\n# again\ncamera cam1 port=2\n";
    try {
        parse_registry(text, kFile);
        FAIL() << "accepted";
    } catch (const ConfigError& e) {
        EXPECT_STREQ(e.what(), "cameras.conf:7: duplicate camera id \"cam1\" (first defined on line 3)");
    }
}

TEST(RegistryErrors, MissingFieldsAndGarbage) {
    expect_error("camera\n", 1, "needs an id");
    expect_error("# ok\ncamera cam1\n", 2, "no tunnel");
    expect_error("camera cam1 max-viewers=3\n", 1, "no tunnel");
    expect_error("hello world\n", 1, "unknown directive \"hello\"");
    expect_error("camera cam1 port=1\ncameras cam2 port=2\n", 2, "unknown directive");
    expect_error("camera cam1 port=1 extra\n", 1, "unexpected \"extra\"");
    expect_error("camera cam1 port=1 foo=1\n", 1, "unknown option \"foo\"");
    expect_error("camera cam1 port=1 Port=2\n", 1, "unknown option \"Port\"");
    expect_error("camera cam1 port=1 max-viewers=3 max-viewers=4\n", 1, "repeated option \"max-viewers\"");
    expect_error("camera cam1 port=1 socket=/x\n", 1, "two tunnels");
    expect_error("camera cam1 port=1 port=2\n", 1, "repeated option \"port\"");
    expect_error("camera cam1 port=\n", 1, "empty value");
    expect_error("camera cam1 port=80#comment\n", 1, "invalid port");
    expect_error("default\n", 1, "exactly one");
    expect_error("camera cam1 port=1\ndefault cam1 cam2\n", 2, "exactly one");
}

TEST(RegistryErrors, BadCameraIds) {
    for (const char* id : {"Cam1", "cam/1", "..", "%2f", "-cam", "cam-", "cam_1", "cam.1"})
        expect_error(std::string("camera ") + id + " port=1\n", 1, "invalid camera id");
    expect_error("camera " + std::string(64, 'a') + " port=1\n", 1, "invalid camera id");
    EXPECT_NO_THROW(parse_registry("camera " + std::string(63, 'a') + " port=1\n", kFile));
}

TEST(RegistryErrors, Ports) {
    for (const char* p : {"0", "65536", "99999999999999999999", "80a", "-1", "+80", "080", "0x50", " "})
        expect_error(std::string("camera cam1 port=") + p + "\n", 1, "port");
    EXPECT_EQ(parse_registry("camera cam1 port=65535\n", kFile).cameras[0].tunnel.port, 65535);
    EXPECT_EQ(parse_registry("camera cam1 port=1\n", kFile).cameras[0].tunnel.port, 1);
    expect_error("camera cam1 port=18080\ncamera cam2 port=18081\ncamera cam3 port=18080\n", 3,
                 "port 18080 is already used by camera \"cam1\" (line 1)");
}

TEST(RegistryErrors, Sockets) {
    expect_error("camera cam1 socket=run/x.sock\n", 1, "not absolute");
    expect_error("camera cam1 socket=/" + std::string(107, 'a') + "\n", 1, "longer than 107");
    EXPECT_NO_THROW(parse_registry("camera cam1 socket=/" + std::string(106, 'a') + "\n", kFile));
    expect_error("camera cam1 socket=/run/a.sock\ncamera cam2 socket=/run/a.sock\n", 2,
                 "already used by camera \"cam1\"");
    // A port and a socket never collide with each other.
    EXPECT_NO_THROW(parse_registry("camera cam1 socket=/run/a.sock\ncamera cam2 port=1\n", kFile));
}

TEST(RegistryErrors, Upstreams) {
    for (const char* u :
         {"host", "host:", ":80", "[::1]", "[::1]80", "::1:80", "[zz]:80", "[]:80", "999.1.1.1:80", "1.2.3:80",
          "-bad.example:80", "bad-.example:80", "a..b:80", "a_b.example:80", "h:0", "h:65536", "h:http"})
        expect_error(std::string("camera cam1 upstream=") + u + "\n", 1, "invalid upstream");
    Registry r = parse_registry(
        "camera a upstream=192.168.1.10:8080\ncamera b upstream=[2001:db8::1]:443\ncamera c upstream=cam.example:80\n",
        kFile);
    EXPECT_EQ(r.cameras[0].tunnel.host, "192.168.1.10");
    EXPECT_EQ(r.cameras[1].tunnel.host, "2001:db8::1");
    EXPECT_EQ(r.cameras[1].tunnel.describe(), "upstream=[2001:db8::1]:443");
    EXPECT_EQ(r.cameras[2].tunnel.port, 80);
}

TEST(RegistryErrors, Options) {
    expect_error("camera cam1 port=1 max-viewers=0\n", 1, "max-viewers");
    expect_error("camera cam1 port=1 max-viewers=1001\n", 1, "max-viewers");
    expect_error("camera cam1 port=1 max-viewers=two\n", 1, "max-viewers");
    EXPECT_EQ(parse_registry("camera cam1 port=1 max-viewers=1000\n", kFile).cameras[0].max_viewers, 1000u);
    expect_error("camera cam1 port=1 revoke-before=01\n", 1, "revoke-before");
    expect_error("camera cam1 port=1 revoke-before=1000000000000\n", 1, "revoke-before");
    expect_error("camera cam1 port=1 revoke-before=-5\n", 1, "revoke-before");
    EXPECT_EQ(parse_registry("camera cam1 port=1 revoke-before=0\n", kFile).cameras[0].keys.revoke_before, 0);
    expect_error("camera cam1 port=1 legacy-sha256=abcd\n", 1, "64 hex digits");
    expect_error("camera cam1 port=1 legacy-sha256=" + std::string(64, 'g') + "\n", 1, "64 hex digits");
    expect_error("camera cam1 port=1 ssh-key=\n", 1, "empty value");
}

TEST(RegistryErrors, Defaults) {
    expect_error("camera cam1 port=1\ndefault cam2\n", 2, "default camera \"cam2\" is not defined");
    expect_error("camera cam1 port=1\ndefault cam1\ndefault cam1\n", 3, "second default (first on line 2)");
    expect_error("default Cam1\ncamera cam1 port=1\n", 1, "invalid camera id");
    // A default may come before its camera.
    EXPECT_EQ(parse_registry("default cam1\ncamera cam1 port=1\n", kFile).default_camera, "cam1");
}

TEST(RegistryErrors, BytesAndLength) {
    expect_error(std::string("camera cam1 port=1\ncamera cam2\0 port=2\n", 39), 2, "NUL byte");
    expect_error(std::string("# comment with \0 inside\n", 24), 1, "NUL byte");
    expect_error("camera cam1 port=1\x01\n", 1, "control character 0x01");
    expect_error("camera cam1\rport=1\n", 1, "control character 0x0d");
    expect_error("camera cam1 port=1\x7f\n", 1, "control character 0x7f");
    expect_error("# " + std::string(4095, 'x') + "\n", 1, "longer than 4096");
    EXPECT_NO_THROW(parse_registry("# " + std::string(4094, 'x') + "\n", kFile));
    // Huge garbage does not crash and names its line.
    expect_error("camera cam1 port=1\n" + std::string(10 * 1024, 'z') + "\n", 2, "longer than 4096");
}

TEST(Secrets, ParsesAndFindsPrimary) {
    SecretSet s = parse_secrets(
        "# signing secrets\n\ns1 " + kHex1 + " primary\nold_2023 " + kHex2 + "   # rotated out soon\n", "secrets.conf");
    ASSERT_EQ(s.all().size(), 2u);
    ASSERT_NE(s.primary(), nullptr);
    EXPECT_EQ(s.primary()->id, "s1");
    EXPECT_EQ(s.find("s1")->bytes, test::bytes_0_to_31());
    EXPECT_EQ(s.find("old_2023")->bytes, std::vector<std::uint8_t>(32, 'b'));
    EXPECT_FALSE(s.find("old_2023")->primary);
    std::string upper = kHex1;
    for (auto& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    EXPECT_EQ(parse_secrets("s1 " + upper + "\n", "x").find("s1")->bytes, test::bytes_0_to_31());
    EXPECT_TRUE(parse_secrets("", "x").empty());
}

TEST(Secrets, ErrorsNeverEchoSecrets) {
    expect_secrets_error("s1\n", 1, "expected");
    expect_secrets_error("s.1 " + kHex1 + "\n", 1, "invalid secret id");
    expect_secrets_error(kHex1 + "\n", 1, "expected");
    expect_secrets_error("s1 " + kHex1.substr(0, 62) + "\n", 1, "64 hex digits");
    expect_secrets_error("s1 " + kHex1 + "00\n", 1, "64 hex digits");
    expect_secrets_error("s1 " + kHex1.substr(0, 63) + "x\n", 1, "64 hex digits");
    expect_secrets_error("s1 " + kHex1 + " secondary\n", 1, "only \"primary\"");
    expect_secrets_error("s1 " + kHex1 + " primary " + kHex2 + "\n", 1, "only \"primary\"");
    expect_secrets_error("s1 " + kHex1 + "\n#\ns1 " + kHex2 + "\n", 3,
                         "duplicate secret id \"s1\" (first defined on line 1)");
    expect_secrets_error("s1 " + kHex1 + " primary\ns2 " + kHex2 + " primary\n", 2, "second primary");
    expect_secrets_error(std::string("s1 ") + kHex1 + std::string("\0\n", 2), 1, "NUL");
}

TEST(Files, LoadRegistryAndMissingFiles) {
    test::TempDir dir;
    std::string path = dir.write("cameras.conf", kSample);
    EXPECT_EQ(load_registry(path).cameras.size(), 5u);
    try {
        load_registry(dir.file("nope.conf"));
        FAIL();
    } catch (const ConfigError& e) {
        EXPECT_EQ(e.line(), 0);
        EXPECT_EQ(e.file(), dir.file("nope.conf"));
        EXPECT_NE(std::string(e.what()).find("No such file"), std::string::npos) << e.what();
    }
    // Errors name the real path.
    std::string bad = dir.write("bad.conf", "camera cam1\n");
    try {
        load_registry(bad);
        FAIL();
    } catch (const ConfigError& e) {
        EXPECT_EQ(std::string(e.what()).rfind(bad + ":1: ", 0), 0u) << e.what();
    }
    EXPECT_TRUE(load_secrets(dir.file("secrets.conf")).empty());  // missing: legacy keys only
}

TEST(Files, LoadSecretsRefusesWorldAccess) {
    test::TempDir dir;
    std::string body = "s1 " + kHex1 + " primary\n";
    std::string path = dir.write("secrets.conf", body, 0640);
    EXPECT_EQ(load_secrets(path).all().size(), 1u);
    ::chmod(path.c_str(), 0600);
    EXPECT_EQ(load_secrets(path).all().size(), 1u);
    struct Case {
        mode_t mode;
        const char* words;
    };
    for (Case c : {Case{0644, "world-readable"}, Case{0642, "world-writable"},
                   Case{0646, "world-readable and world-writable"}, Case{0641, "accessible to others"}}) {
        ::chmod(path.c_str(), c.mode);
        try {
            load_secrets(path);
            ADD_FAILURE() << std::oct << c.mode;
        } catch (const ConfigError& e) {
            EXPECT_EQ(e.line(), 0);
            EXPECT_NE(e.reason().find(c.words), std::string::npos) << e.what();
            EXPECT_NE(e.reason().find("chmod 0640"), std::string::npos) << e.what();
            EXPECT_EQ(std::string(e.what()).find(kHex1), std::string::npos);
        }
    }
    ::chmod(path.c_str(), 0640);
    dir.write("secrets.conf", "s1 nothex\n", 0640);
    EXPECT_THROW(load_secrets(path), ConfigError);
}

TEST(Files, ConfigDir) {
    const char* saved = std::getenv(kConfigDirEnv);
    std::string saved_value = saved ? saved : "";
    ::setenv(kConfigDirEnv, "/srv/camrelay", 1);
    EXPECT_EQ(config_dir("/explicit"), "/explicit");
    EXPECT_EQ(config_dir(), "/srv/camrelay");
    ::setenv(kConfigDirEnv, "", 1);
    EXPECT_EQ(config_dir(), "/etc/camrelay");
    ::unsetenv(kConfigDirEnv);
    EXPECT_EQ(config_dir(), "/etc/camrelay");
    if (saved) ::setenv(kConfigDirEnv, saved_value.c_str(), 1);
}

TEST(Files, WriteFileAtomically) {
    test::TempDir dir;
    std::string path = dir.file("secrets.conf");
    write_file_atomically(path, "one\n", 0640);
    EXPECT_EQ(read_file(path), "one\n");
    struct stat st {};
    ASSERT_EQ(::stat(path.c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 07777, 0640u);
    write_file_atomically(path, std::string("two\0bytes", 9), 0600, ::getuid(), ::getgid());
    EXPECT_EQ(read_file(path), std::string("two\0bytes", 9));
    ASSERT_EQ(::stat(path.c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 07777, 0600u);
    write_file_atomically(path, "", 0644);
    EXPECT_EQ(read_file(path), "");
    // No temporary file left behind.
    int entries = 0;
    for ([[maybe_unused]] auto& e : std::filesystem::directory_iterator(dir.path())) ++entries;
    EXPECT_EQ(entries, 1);
    EXPECT_THROW(write_file_atomically(dir.file("no/such/dir/x"), "x", 0644), ConfigError);
}

// --- editing

TEST(Editing, FormatCameraLine) {
    Camera c;
    c.id = "cam1";
    c.tunnel.kind = Tunnel::Kind::port;
    c.tunnel.port = 18080;
    EXPECT_EQ(format_camera_line(c), "camera cam1 port=18080");
    c.max_viewers = 4;
    c.keys.revoke_before = 1700000000;
    c.keys.legacy_sha256 = sha256("open-sesame");
    c.ssh_key = "ssh-ed25519 AAAAC3Nza cam1@home";
    EXPECT_EQ(format_camera_line(c),
              "camera cam1 port=18080 max-viewers=4 revoke-before=1700000000 "
              "legacy-sha256=d7ecdf25eaf3deba0f2628771dbdd22d4138ab6cf38f91ed02a2ca0dec7c8ab7 "
              "ssh-key=ssh-ed25519 AAAAC3Nza cam1@home");
    // Round trip.
    Registry r = parse_registry(format_camera_line(c) + "\n", kFile);
    const Camera& back = r.cameras.at(0);
    EXPECT_EQ(back.ssh_key, c.ssh_key);
    EXPECT_EQ(back.max_viewers, 4u);
    EXPECT_EQ(back.keys.revoke_before, 1700000000);
    EXPECT_EQ(back.keys.legacy_sha256, c.keys.legacy_sha256);
}

TEST(Editing, AddCameraKeepsEverythingElse) {
    Camera c;
    c.id = "cam9";
    c.tunnel.kind = Tunnel::Kind::socket;
    c.tunnel.path = "/run/camrelay/cam9.sock";
    c.ssh_key = "ssh-ed25519 AAAA # with hash";
    std::string out = registry_add_camera(kSample, c, kFile);
    EXPECT_EQ(out, kSample + "camera cam9 socket=/run/camrelay/cam9.sock ssh-key=ssh-ed25519 AAAA # with hash\n");
    EXPECT_EQ(parse_registry(out, kFile).find("cam9")->ssh_key, "ssh-ed25519 AAAA # with hash");
    // Without a final newline, one is added first.
    EXPECT_EQ(registry_add_camera("# x", c, kFile),
              "# x\ncamera cam9 socket=/run/camrelay/cam9.sock ssh-key=ssh-ed25519 AAAA # with hash\n");
    EXPECT_EQ(registry_add_camera("", c, kFile),
              "camera cam9 socket=/run/camrelay/cam9.sock ssh-key=ssh-ed25519 AAAA # with hash\n");
}

TEST(Editing, AddCameraRefusals) {
    Camera c;
    c.id = "cam1";
    c.tunnel.kind = Tunnel::Kind::port;
    c.tunnel.port = 9999;
    EXPECT_THROW(registry_add_camera(kSample, c, kFile), ConfigError);  // duplicate id
    c.id = "cam9";
    c.tunnel.port = 18080;
    try {
        registry_add_camera(kSample, c, kFile);
        FAIL();
    } catch (const ConfigError& e) {
        EXPECT_NE(e.reason().find("port 18080 is already used"), std::string::npos) << e.what();
    }
    c.tunnel.port = 9999;
    c.id = "Bad/Id";
    EXPECT_THROW(registry_add_camera(kSample, c, kFile), ConfigError);
    c.id = "cam9";
    c.max_viewers = 0;
    EXPECT_THROW(registry_add_camera(kSample, c, kFile), ConfigError);
    c.max_viewers = 2;
    c.ssh_key = "ssh-ed25519 AAAA  ";
    EXPECT_THROW(registry_add_camera(kSample, c, kFile), ConfigError);
    c.ssh_key = "ssh-ed25519 AAAA\ncamera evil port=1";
    EXPECT_THROW(registry_add_camera(kSample, c, kFile), ConfigError);
    c.ssh_key.clear();
    c.tunnel.kind = Tunnel::Kind::socket;
    c.tunnel.path = "relative.sock";
    EXPECT_THROW(registry_add_camera(kSample, c, kFile), ConfigError);
    // A broken file is not edited.
    c.tunnel.path = "/run/ok.sock";
    EXPECT_THROW(registry_add_camera("garbage\n", c, kFile), ConfigError);
    EXPECT_NO_THROW(registry_add_camera(kSample, c, kFile));
}

TEST(Editing, RemoveCamera) {
    std::string out = registry_remove_camera(kSample, "cam2", kFile);
    std::string expected = kSample;
    std::string line = "camera cam2 socket=/run/camrelay/cam2.sock max-viewers=5 revoke-before=1700000000\n";
    expected.erase(expected.find(line), line.size());
    EXPECT_EQ(out, expected);
    // Removing the default camera removes the default line too.
    out = registry_remove_camera(kSample, "cam1", kFile);
    EXPECT_EQ(out.find("default"), std::string::npos);
    EXPECT_EQ(out.find("cam1"), std::string::npos);
    EXPECT_NE(out.find("# indented comment\n"), std::string::npos);
    EXPECT_EQ(parse_registry(out, kFile).default_camera, "");
    EXPECT_THROW(registry_remove_camera(kSample, "cam9", kFile), ConfigError);
    EXPECT_EQ(registry_remove_camera("camera cam1 port=1", "cam1", kFile), "");
}

TEST(Editing, SetDefault) {
    std::string out = registry_set_default(kSample, "cam2", kFile);
    std::string expected = kSample;
    expected.replace(expected.find("default cam1 # the default"), 26, "default cam2");
    EXPECT_EQ(out, expected);
    EXPECT_EQ(registry_set_default("# c\ncamera cam1 port=1\n", "cam1", kFile),
              "# c\ncamera cam1 port=1\ndefault cam1\n");
    EXPECT_EQ(registry_set_default("camera cam1 port=1\r\ndefault cam1\r\n", "cam1", kFile),
              "camera cam1 port=1\r\ndefault cam1\r\n");
    EXPECT_THROW(registry_set_default(kSample, "cam9", kFile), ConfigError);
    EXPECT_THROW(registry_set_default(kSample, "Bad", kFile), ConfigError);
}

TEST(Editing, SetOptionInPlace) {
    // Replace keeps the comment and spacing.
    std::string out = registry_set_option(kSample, "cam2", "max-viewers", "7", kFile);
    std::string expected = kSample;
    expected.replace(expected.find("max-viewers=5"), 13, "max-viewers=7");
    EXPECT_EQ(out, expected);
    // Add a new option: after the last option, before a comment.
    out = registry_set_option(kSample, "cam1", "revoke-before", "1700000000", kFile);
    expected = kSample;
    expected.replace(expected.find("camera cam1 port=18080   # front door"), 37,
                     "camera cam1 port=18080 revoke-before=1700000000   # front door");
    EXPECT_EQ(out, expected);
    EXPECT_EQ(parse_registry(out, kFile).find("cam1")->keys.revoke_before, 1700000000);
    // Before ssh-key=, which must stay last.
    out = registry_set_option(kSample, "cam5", "max-viewers", "3", kFile);
    EXPECT_NE(out.find("camera cam5 upstream=relay2.example.com:443 max-viewers=3 ssh-key=ssh-ed25519"),
              std::string::npos);
    EXPECT_EQ(parse_registry(out, kFile).find("cam5")->ssh_key, "ssh-ed25519 AAAAC3Nza user@cam5 # not a comment");
    // Remove with an empty value.
    out = registry_set_option(kSample, "cam2", "revoke-before", "", kFile);
    EXPECT_NE(out.find("camera cam2 socket=/run/camrelay/cam2.sock max-viewers=5\n"), std::string::npos);
    EXPECT_EQ(registry_set_option(kSample, "cam1", "max-viewers", "", kFile), kSample);
    // Change the tunnel kind.
    out = registry_set_option(kSample, "cam1", "socket", "/run/cam1.sock", kFile);
    EXPECT_NE(out.find("camera cam1 socket=/run/cam1.sock   # front door\n"), std::string::npos);
    EXPECT_EQ(parse_registry(out, kFile).find("cam1")->tunnel.kind, Tunnel::Kind::socket);
}

TEST(Editing, SetSshKeyMovesAComment) {
    std::string out = registry_set_option(kSample, "cam1", "ssh-key", "ssh-ed25519 AAAA cam1", kFile);
    EXPECT_NE(out.find("# front door\ncamera cam1 port=18080 ssh-key=ssh-ed25519 AAAA cam1\n"), std::string::npos)
        << out;
    Registry r = parse_registry(out, kFile);
    EXPECT_EQ(r.find("cam1")->ssh_key, "ssh-ed25519 AAAA cam1");
    // Replace an existing key.
    out = registry_set_option(kSample, "cam5", "ssh-key", "ssh-rsa BBBB", kFile);
    EXPECT_EQ(parse_registry(out, kFile).find("cam5")->ssh_key, "ssh-rsa BBBB");
    // Remove it.
    out = registry_set_option(kSample, "cam5", "ssh-key", "", kFile);
    EXPECT_NE(out.find("camera cam5 upstream=relay2.example.com:443\n"), std::string::npos);
}

TEST(Editing, SetOptionRefusals) {
    EXPECT_THROW(registry_set_option(kSample, "cam9", "max-viewers", "3", kFile), ConfigError);
    EXPECT_THROW(registry_set_option(kSample, "cam1", "colour", "red", kFile), ConfigError);
    EXPECT_THROW(registry_set_option(kSample, "cam1", "max-viewers", "0", kFile), ConfigError);
    EXPECT_THROW(registry_set_option(kSample, "cam1", "max-viewers", "3 port=5", kFile), ConfigError);
    EXPECT_THROW(registry_set_option(kSample, "cam1", "max-viewers", "3\ncamera x port=9", kFile), ConfigError);
    EXPECT_THROW(registry_set_option(kSample, "cam1", "port", "", kFile), ConfigError);
    EXPECT_THROW(registry_set_option(kSample, "cam2", "port", "18080", kFile), ConfigError);  // cam1's port
    EXPECT_THROW(registry_set_option(kSample, "cam1", "ssh-key", "ssh-rsa AAAA ", kFile), ConfigError);
    EXPECT_THROW(registry_set_option(kSample, "cam1", "legacy-sha256", "00", kFile), ConfigError);
}

TEST(Editing, Secrets) {
    const std::string text = "# secrets\ns1 " + kHex1 + " primary  # current\n\nold " + kHex2 + "\n";
    Secret s2{"s2", std::vector<std::uint8_t>(32, 0x11), false};
    EXPECT_EQ(format_secret_line(s2), "s2 " + std::string(64, '1'));
    s2.primary = true;
    EXPECT_EQ(format_secret_line(s2), "s2 " + std::string(64, '1') + " primary");
    EXPECT_THROW(secrets_add(text, s2, "secrets.conf"), ConfigError);  // second primary
    s2.primary = false;
    std::string added = secrets_add(text, s2, "secrets.conf");
    EXPECT_EQ(added, text + "s2 " + std::string(64, '1') + "\n");
    EXPECT_THROW(secrets_add(added, s2, "secrets.conf"), ConfigError);  // duplicate
    EXPECT_THROW(secrets_add(text, Secret{"s3", std::vector<std::uint8_t>(16, 1), false}, "secrets.conf"), ConfigError);
    EXPECT_THROW(secrets_add(text, Secret{"s 3", std::vector<std::uint8_t>(32, 1), false}, "secrets.conf"),
                 ConfigError);

    std::string moved = secrets_set_primary(added, "s2", "secrets.conf");
    EXPECT_EQ(moved,
              "# secrets\ns1 " + kHex1 + "  # current\n\nold " + kHex2 + "\ns2 " + std::string(64, '1') + " primary\n");
    SecretSet set = parse_secrets(moved, "secrets.conf");
    EXPECT_EQ(set.primary()->id, "s2");
    EXPECT_EQ(secrets_set_primary(text, "s1", "secrets.conf"), text);  // already primary
    EXPECT_THROW(secrets_set_primary(text, "nope", "secrets.conf"), ConfigError);

    std::string removed = secrets_remove(moved, "old", "secrets.conf");
    EXPECT_EQ(removed, "# secrets\ns1 " + kHex1 + "  # current\n\ns2 " + std::string(64, '1') + " primary\n");
    try {
        secrets_remove(moved, "nope", "secrets.conf");
        FAIL();
    } catch (const ConfigError& e) {
        EXPECT_EQ(std::string(e.what()).find(kHex1), std::string::npos);
    }
}

TEST(ConfigErrorFormat, WhatIsFileLineReason) {
    ConfigError e("a.conf", 7, "bad thing");
    EXPECT_STREQ(e.what(), "a.conf:7: bad thing");
    EXPECT_EQ(e.file(), "a.conf");
    EXPECT_EQ(e.line(), 7);
    EXPECT_EQ(e.reason(), "bad thing");
    ConfigError whole("b.conf", 0, "missing");
    EXPECT_STREQ(whole.what(), "b.conf: missing");
}
