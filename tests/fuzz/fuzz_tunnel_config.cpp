// Fuzz target: the camera tunnel's configuration where C++ writes or reads
// it (lib/camrelay/admin/ssh_access.hpp, tools/tunnel/camrelay_session.cpp):
// the camera's KEY=VALUE file (format_tunnel_config, read by the
// camrelay-tunnel script), the camera's authorized_keys line whose
// command= starts camrelay-session, which splits it back into camera id
// and port, and the camera's known_hosts line. The input is eleven
// newline-separated fields: relay, identity, known_hosts, listen port,
// target, camera id, tunnel port, session program, relay host, ssh port,
// https port.
//
// Checks, aborting on any disagreement:
//   - the tunnel file, read back the way camrelay-tunnel's read_config
//     reads it, gives every setting exactly once and unchanged (no value
//     can add a line or a setting), also with its PROXY= and TLS_CA= lines
//     uncommented, or format_tunnel_config refused;
//   - the authorized_keys line has exactly the four options written, and
//     its command= split as camrelay-session splits it gives the program,
//     the camera id and the port (nothing a value could add), or
//     format_authorized_key refused;
//   - the known_hosts line gives back the host and port, or was refused;
//   - text::read_port and parse_port agree with a plain reading of ports;
//   - refusals are SshAccessError with a message.
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "camrelay/admin/ssh_access.hpp"
#include "camrelay/ids.hpp"
#include "camrelay/text.hpp"
#include "fuzz_check.hpp"

using namespace camrelay;

namespace {

// What `write` writes, or nullopt when it refused with an SshAccessError.
// The values are the operator's own (camrelay camera add's options), and a
// refusal quotes the one it refuses: it only has to say something.
template <class Write>
std::optional<std::string> written_or_refused(Write write) {
    return fuzz::parsed_or<SshAccessError>(write, [](const SshAccessError& e) { FUZZ_CHECK(*e.what() != 0); });
}

// A port as a person reads one: 1 to 5 digits, at most 65535.
std::optional<unsigned> plain_port(std::string_view s) {
    if (s.empty() || s.size() > 5) return std::nullopt;
    unsigned v = 0;
    for (char c : s) {
        if (c < '0' || c > '9') return std::nullopt;
        v = v * 10 + static_cast<unsigned>(c - '0');
    }
    if (v > 65535) return std::nullopt;
    return v;
}

std::uint16_t check_ports(std::string_view field) {
    const std::optional<unsigned> want = plain_port(field);
    const text::Decimal got = text::read_port(field);
    FUZZ_CHECK((got.error == text::DecimalError::none) == want.has_value());
    if (want) FUZZ_CHECK(got.value == *want);
    const auto strict = text::parse_port(field);
    const bool canonical = want && *want != 0 && (field.size() == 1 || field.front() != '0');
    FUZZ_CHECK(strict.has_value() == canonical);
    if (strict) FUZZ_CHECK(*strict == *want);
    return want ? static_cast<std::uint16_t>(*want) : 0;
}

// tools/tunnel/camrelay-tunnel's read_config: lines (the last one without
// a line end too), one trailing CR dropped, blank and '#' lines skipped,
// KEY up to the first '=', VALUE after it.
std::map<std::string, std::vector<std::string>> read_like_the_script(std::string_view file) {
    std::map<std::string, std::vector<std::string>> settings;
    while (!file.empty()) {
        const std::size_t nl = file.find('\n');
        std::string_view line = file.substr(0, nl);
        file.remove_prefix(nl == std::string_view::npos ? file.size() : nl + 1);
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        if (line.empty() || line.front() == '#') continue;
        const std::size_t eq = line.find('=');
        FUZZ_CHECK(eq != std::string_view::npos);  // the script would die here
        settings[std::string(line.substr(0, eq))].emplace_back(line.substr(eq + 1));
    }
    return settings;
}

void check_tunnel_file(const std::vector<std::string_view>& f, std::uint16_t listen, std::uint16_t https_port) {
    TunnelSettings s;
    s.relay = f[0];
    s.identity = f[1];
    s.known_hosts = f[2];
    s.listen = listen;
    s.target = f[4];
    s.https_port = https_port;
    auto written = written_or_refused([&] { return format_tunnel_config(s); });
    if (!written) return;
    std::string& file = *written;
    std::map<std::string, std::vector<std::string>> want;
    want["RELAY"] = {s.relay};
    want["IDENTITY"] = {s.identity};
    want["KNOWN_HOSTS"] = {s.known_hosts};
    want["LISTEN"] = {std::to_string(s.listen)};
    want["TARGET"] = {s.target};
    want["TRANSPORT"] = {"auto"};
    want["HTTPS_PORT"] = {std::to_string(s.https_port)};
    FUZZ_CHECK(read_like_the_script(file) == want);

    // The two lines the operator may uncomment say what they should.
    for (std::string_view commented : {"\n#PROXY=", "\n#TLS_CA="}) {
        const std::size_t at = file.find(commented);
        FUZZ_CHECK(at != std::string::npos && file.find(commented, at + 1) == std::string::npos);
        file.erase(at + 1, 1);
    }
    want["PROXY"] = {"http://USER:PASSWORD@PROXY:PORT"};
    want["TLS_CA"] = {s.identity.substr(0, s.identity.rfind('/') + 1) + "relay-ca.pem"};
    FUZZ_CHECK(read_like_the_script(file) == want);
}

// The options of an authorized_keys line as sshd splits them: at commas
// outside double quotes (a backslash escapes a quote inside them).
std::vector<std::string> split_options(std::string_view options) {
    std::vector<std::string> out(1);
    bool quoted = false;
    for (std::size_t i = 0; i < options.size(); ++i) {
        const char c = options[i];
        if (quoted && c == '\\' && i + 1 < options.size() && options[i + 1] == '"') {
            out.back() += '"';
            ++i;
        } else if (c == '"') {
            quoted = !quoted;
        } else if (c == ',' && !quoted) {
            out.emplace_back();
        } else {
            out.back() += c;
        }
    }
    FUZZ_CHECK(!quoted);
    return out;
}

void check_session_command(const std::vector<std::string_view>& f, std::uint16_t port) {
    static const SshPublicKey key =
        parse_ssh_public_key("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIAhwq/xKOu27G6tiO/xhScGebLDFW3W0poAZKWuJcZVG");
    const CameraAccess access{std::string(f[5]), port, std::string(f[7])};
    const auto written = written_or_refused([&] { return format_authorized_key(key, access); });
    if (!written) return;
    const std::string& line = *written;
    FUZZ_CHECK(line.find('\n') == std::string::npos && line.find('\r') == std::string::npos);
    const auto entries = parse_authorized_keys(line);
    FUZZ_CHECK(entries.size() == 1 && entries[0].key.same_key(key) && entries[0].camera_id == access.camera_id);
    const std::vector<std::string> options = split_options(entries[0].options);
    const std::string p = std::to_string(port);
    FUZZ_CHECK(options.size() == 4 && options[0] == "restrict" && options[1] == "port-forwarding" &&
               options[2] == "permitlisten=127.0.0.1:" + p && options[3].rfind("command=", 0) == 0);

    // camrelay-session -c "COMMAND": split on blanks, the first word is
    // the program itself, then exactly a camera id and a port >= 1024.
    const std::vector<std::string_view> words = text::split_blanks(std::string_view(options[3]).substr(8));
    FUZZ_CHECK(words.size() == 3 && words[0] == access.session_program && words[1] == access.camera_id);
    FUZZ_CHECK(valid_camera_id(words[1]));
    const text::Decimal read = text::read_port(words[2]);
    FUZZ_CHECK(read.error == text::DecimalError::none && read.value == port && read.value >= 1024);
}

void check_known_hosts(const std::vector<std::string_view>& f, std::uint16_t port) {
    static const SshPublicKey key =
        parse_ssh_public_key("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIMUJW1cH4xlluWz12pR3IYy6pmXUeC5Xr+CcckoUyU91");
    const auto line = written_or_refused([&] { return format_known_hosts_line(f[8], port, key); });
    if (!line) return;
    std::string_view rest = *line;
    const std::string_view hosts = text::next_word(rest);
    FUZZ_CHECK(rest == key.text());
    // One host pattern: a comma would start a second one.
    FUZZ_CHECK(hosts.find(',') == std::string_view::npos && !hosts.empty());
    if (port == 22) {
        FUZZ_CHECK(hosts == f[8]);
    } else {
        FUZZ_CHECK(hosts == "[" + std::string(f[8]) + "]:" + std::to_string(port));
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::vector<std::string_view> f = fuzz::split_fields(fuzz::as_text(data, size), 11);
    const std::uint16_t listen = check_ports(f[3]);
    const std::uint16_t port = check_ports(f[6]);
    const std::uint16_t ssh_port = check_ports(f[9]);
    const std::uint16_t https_port = check_ports(f[10]);
    check_tunnel_file(f, listen, https_port);
    check_session_command(f, port);
    check_known_hosts(f, ssh_port);
    return 0;
}
