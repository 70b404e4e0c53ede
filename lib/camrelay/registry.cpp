// camrelay core: cameras.conf and secrets.conf, parsing and line-preserving
// editing (see registry.hpp for the grammar).
#include "camrelay/registry.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>

#include "camrelay/ids.hpp"

namespace camrelay {

namespace {

constexpr std::size_t kMaxLineLength = 4096;
constexpr std::size_t kMaxConfigFileSize = 16 * 1024 * 1024;
constexpr std::size_t kMaxSocketPath = 107;  // sun_path holds 108 bytes with the NUL
constexpr std::uint64_t kMaxUnixTime = 999'999'999'999;
constexpr std::string_view kSshKeyPrefix = "ssh-key=";

std::string make_what(const std::string& file, int line, const std::string& reason) {
    if (line > 0) return file + ":" + std::to_string(line) + ": " + reason;
    return file + ": " + reason;
}

// Text from a config file, quoted for an error message. Only used for
// cameras.conf content and ids, never for secrets.conf values.
std::string quote(std::string_view s) {
    constexpr std::size_t kShown = 64;
    std::string out = "\"";
    out.append(s.substr(0, kShown));
    if (s.size() > kShown) out.append("...");
    out.push_back('"');
    return out;
}

bool is_blank(char c) { return c == ' ' || c == '\t'; }

struct Line {
    std::string_view raw;   // the line without its '\n'
    std::string_view body;  // raw without a trailing '\r'
    bool has_newline = false;
    int number = 0;
};

std::vector<Line> split_lines(std::string_view text) {
    std::vector<Line> lines;
    std::size_t start = 0;
    int number = 1;
    while (start < text.size()) {
        std::size_t nl = text.find('\n', start);
        Line l;
        l.number = number++;
        if (nl == std::string_view::npos) {
            l.raw = text.substr(start);
            start = text.size();
        } else {
            l.raw = text.substr(start, nl - start);
            l.has_newline = true;
            start = nl + 1;
        }
        l.body = l.raw;
        if (!l.body.empty() && l.body.back() == '\r') l.body.remove_suffix(1);
        lines.push_back(l);
    }
    return lines;
}

// Length, NUL and control bytes, before anything else looks at the line.
void check_line_bytes(const Line& l, const std::string& file) {
    if (l.raw.size() > kMaxLineLength)
        throw ConfigError(file, l.number, "line is longer than " + std::to_string(kMaxLineLength) + " bytes");
    for (char c : l.body) {
        auto u = static_cast<unsigned char>(c);
        if (u == 0) throw ConfigError(file, l.number, "NUL byte in line");
        if ((u < 0x20 && c != '\t') || u == 0x7f) {
            char buf[8];
            std::snprintf(buf, sizeof buf, "0x%02x", u);
            throw ConfigError(file, l.number, std::string("control character ") + buf + " in line");
        }
    }
}

struct Token {
    std::string_view text;
    std::size_t pos = 0;  // offset in the line
    std::size_t end() const { return pos + text.size(); }
};

struct Tokens {
    std::vector<Token> list;
    std::size_t comment_pos = std::string_view::npos;  // where '#' starts a comment
};

// Blank-separated words; '#' at the start of a word starts a comment; a word
// starting with "ssh-key=" takes the rest of the line, trailing blanks trimmed.
Tokens tokenize(std::string_view body) {
    Tokens t;
    std::size_t i = 0;
    const std::size_t n = body.size();
    while (i < n) {
        while (i < n && is_blank(body[i])) ++i;
        if (i >= n) break;
        if (body[i] == '#') {
            t.comment_pos = i;
            break;
        }
        std::size_t start = i;
        if (body.substr(i, kSshKeyPrefix.size()) == kSshKeyPrefix) {
            std::size_t end = n;
            while (end > start && is_blank(body[end - 1])) --end;
            t.list.push_back({body.substr(start, end - start), start});
            break;
        }
        while (i < n && !is_blank(body[i])) ++i;
        t.list.push_back({body.substr(start, i - start), start});
    }
    return t;
}

// Unsigned decimal, no sign, no leading zero except "0" itself.
std::optional<std::uint64_t> parse_decimal(std::string_view s, std::uint64_t max) {
    if (s.empty() || s.size() > 19) return std::nullopt;
    if (s.size() > 1 && s.front() == '0') return std::nullopt;
    std::uint64_t v = 0;
    for (char c : s) {
        if (c < '0' || c > '9') return std::nullopt;
        v = v * 10 + static_cast<std::uint64_t>(c - '0');
    }
    if (v > max) return std::nullopt;
    return v;
}

bool valid_dns_name(std::string_view name) {
    if (name.empty() || name.size() > 253) return false;
    std::size_t start = 0;
    std::string_view last;
    while (true) {
        std::size_t dot = name.find('.', start);
        std::string_view label = name.substr(start, dot == std::string_view::npos ? name.npos : dot - start);
        if (label.empty() || label.size() > 63 || label.front() == '-' || label.back() == '-') return false;
        for (char c : label) {
            bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-';
            if (!ok) return false;
        }
        last = label;
        if (dot == std::string_view::npos) break;
        start = dot + 1;
    }
    // An all-digit last label is a malformed IPv4 address, not a name.
    for (char c : last)
        if (c < '0' || c > '9') return true;
    return false;
}

// HOST:PORT with HOST an IPv4 address, [IPv6] or a DNS name. The host is
// returned without brackets.
bool parse_upstream(std::string_view v, std::string& host, std::uint16_t& port) {
    std::string_view h;
    std::string_view p;
    if (!v.empty() && v.front() == '[') {
        std::size_t close = v.find(']');
        if (close == std::string_view::npos || close + 1 >= v.size() || v[close + 1] != ':') return false;
        h = v.substr(1, close - 1);
        p = v.substr(close + 2);
        in6_addr a6;
        if (h.empty() || inet_pton(AF_INET6, std::string(h).c_str(), &a6) != 1) return false;
    } else {
        std::size_t colon = v.rfind(':');
        if (colon == std::string_view::npos) return false;
        h = v.substr(0, colon);
        p = v.substr(colon + 1);
        if (h.find(':') != std::string_view::npos) return false;  // IPv6 needs brackets
        bool numeric = !h.empty() && h.find_first_not_of("0123456789.") == std::string_view::npos;
        if (numeric) {
            in_addr a4;
            if (inet_pton(AF_INET, std::string(h).c_str(), &a4) != 1) return false;
        } else if (!valid_dns_name(h)) {
            return false;
        }
    }
    auto n = parse_decimal(p, 65535);
    if (!n || *n == 0) return false;
    host.assign(h);
    port = static_cast<std::uint16_t>(*n);
    return true;
}

bool is_tunnel_option(std::string_view name) { return name == "port" || name == "socket" || name == "upstream"; }

bool is_camera_option(std::string_view name) {
    return is_tunnel_option(name) || name == "max-viewers" || name == "revoke-before" || name == "legacy-sha256" ||
           name == "ssh-key";
}

std::string option_name(std::string_view token) {
    std::size_t eq = token.find('=');
    return std::string(token.substr(0, eq));
}

struct RegistryParse {
    Registry registry;
    int default_line = 0;
};

struct Seen {
    std::string id;
    int line;
};

Camera parse_camera(const Tokens& t, const Line& l, const std::string& file) {
    const auto& tok = t.list;
    if (tok.size() < 2) throw ConfigError(file, l.number, "camera needs an id and a tunnel (port=, socket= or upstream=)");
    Camera cam;
    cam.line = l.number;
    if (!valid_camera_id(tok[1].text))
        throw ConfigError(file, l.number,
                          "invalid camera id " + quote(tok[1].text) +
                              " (1 to 63 characters of a-z, 0-9 and '-', not starting or ending with '-')");
    cam.id.assign(tok[1].text);
    const std::string cam_q = quote(cam.id);
    bool have_tunnel = false;
    std::string tunnel_opt;
    std::vector<std::string> seen;
    for (std::size_t i = 2; i < tok.size(); ++i) {
        std::string_view word = tok[i].text;
        std::size_t eq = word.find('=');
        if (eq == std::string_view::npos)
            throw ConfigError(file, l.number,
                              "unexpected " + quote(word) + " for camera " + cam_q + " (options are name=value)");
        std::string name(word.substr(0, eq));
        std::string_view value = word.substr(eq + 1);
        if (!is_camera_option(name))
            throw ConfigError(file, l.number, "unknown option " + quote(name) + " for camera " + cam_q);
        for (const auto& s : seen)
            if (s == name) throw ConfigError(file, l.number, "repeated option " + quote(name) + " for camera " + cam_q);
        seen.push_back(name);
        if (value.empty()) throw ConfigError(file, l.number, "empty value for " + quote(name) + " of camera " + cam_q);
        if (is_tunnel_option(name)) {
            if (have_tunnel)
                throw ConfigError(file, l.number,
                                  "camera " + cam_q + " has two tunnels (" + tunnel_opt + "= and " + name +
                                      "=); give exactly one of port=, socket=, upstream=");
            have_tunnel = true;
            tunnel_opt = name;
        }
        if (name == "port") {
            auto n = parse_decimal(value, 65535);
            if (!n || *n == 0) throw ConfigError(file, l.number, "invalid port " + quote(value) + " (1 to 65535)");
            cam.tunnel.kind = Tunnel::Kind::port;
            cam.tunnel.host = "127.0.0.1";
            cam.tunnel.port = static_cast<std::uint16_t>(*n);
        } else if (name == "socket") {
            if (value.front() != '/')
                throw ConfigError(file, l.number, "socket path " + quote(value) + " is not absolute");
            if (value.size() > kMaxSocketPath)
                throw ConfigError(file, l.number,
                                  "socket path is longer than " + std::to_string(kMaxSocketPath) + " bytes");
            cam.tunnel.kind = Tunnel::Kind::socket;
            cam.tunnel.path.assign(value);
        } else if (name == "upstream") {
            cam.tunnel.kind = Tunnel::Kind::upstream;
            if (!parse_upstream(value, cam.tunnel.host, cam.tunnel.port))
                throw ConfigError(file, l.number,
                                  "invalid upstream " + quote(value) +
                                      " (HOST:PORT with an IPv4 address, [IPv6] or DNS name, port 1 to 65535)");
        } else if (name == "max-viewers") {
            auto n = parse_decimal(value, kMaxMaxViewers);
            if (!n || *n == 0)
                throw ConfigError(file, l.number,
                                  "invalid max-viewers " + quote(value) + " (1 to " + std::to_string(kMaxMaxViewers) +
                                      ")");
            cam.max_viewers = static_cast<unsigned>(*n);
        } else if (name == "revoke-before") {
            auto n = parse_decimal(value, kMaxUnixTime);
            if (!n)
                throw ConfigError(file, l.number,
                                  "invalid revoke-before " + quote(value) + " (Unix seconds, at most 12 digits)");
            cam.keys.revoke_before = static_cast<std::int64_t>(*n);
        } else if (name == "legacy-sha256") {
            auto bytes = hex_decode(value);
            if (!bytes || bytes->size() != Digest{}.size())
                throw ConfigError(file, l.number, "legacy-sha256 of camera " + cam_q + " must be 64 hex digits");
            Digest d{};
            std::copy(bytes->begin(), bytes->end(), d.begin());
            cam.keys.legacy_sha256 = d;
        } else if (name == "ssh-key") {
            cam.ssh_key.assign(value);
        }
    }
    if (!have_tunnel)
        throw ConfigError(file, l.number, "camera " + cam_q + " has no tunnel (port=, socket= or upstream=)");
    return cam;
}

RegistryParse parse_registry_full(std::string_view text, const std::string& file) {
    RegistryParse out;
    Registry& reg = out.registry;
    std::map<std::string, int, std::less<>> ids;
    std::map<std::uint16_t, Seen> ports;
    std::map<std::string, Seen, std::less<>> sockets;
    for (const Line& l : split_lines(text)) {
        check_line_bytes(l, file);
        Tokens t = tokenize(l.body);
        if (t.list.empty()) continue;
        std::string_view directive = t.list[0].text;
        if (directive == "default") {
            if (t.list.size() != 2) throw ConfigError(file, l.number, "default takes exactly one camera id");
            if (out.default_line != 0)
                throw ConfigError(file, l.number,
                                  "second default (first on line " + std::to_string(out.default_line) + ")");
            if (!valid_camera_id(t.list[1].text))
                throw ConfigError(file, l.number, "invalid camera id " + quote(t.list[1].text) + " in default");
            reg.default_camera.assign(t.list[1].text);
            out.default_line = l.number;
        } else if (directive == "camera") {
            Camera cam = parse_camera(t, l, file);
            if (auto it = ids.find(cam.id); it != ids.end())
                throw ConfigError(file, l.number,
                                  "duplicate camera id " + quote(cam.id) + " (first defined on line " +
                                      std::to_string(it->second) + ")");
            if (cam.tunnel.kind == Tunnel::Kind::port) {
                if (auto it = ports.find(cam.tunnel.port); it != ports.end())
                    throw ConfigError(file, l.number,
                                      "port " + std::to_string(cam.tunnel.port) + " is already used by camera " +
                                          quote(it->second.id) + " (line " + std::to_string(it->second.line) + ")");
                ports.emplace(cam.tunnel.port, Seen{cam.id, l.number});
            } else if (cam.tunnel.kind == Tunnel::Kind::socket) {
                if (auto it = sockets.find(cam.tunnel.path); it != sockets.end())
                    throw ConfigError(file, l.number,
                                      "socket " + quote(cam.tunnel.path) + " is already used by camera " +
                                          quote(it->second.id) + " (line " + std::to_string(it->second.line) + ")");
                sockets.emplace(cam.tunnel.path, Seen{cam.id, l.number});
            }
            ids.emplace(cam.id, l.number);
            reg.cameras.push_back(std::move(cam));
        } else {
            throw ConfigError(file, l.number,
                              "unknown directive " + quote(directive) + " (expected camera or default)");
        }
    }
    if (out.default_line != 0 && ids.find(reg.default_camera) == ids.end())
        throw ConfigError(file, out.default_line,
                          "default camera " + quote(reg.default_camera) + " is not defined by a camera line");
    return out;
}

// --- editing helpers

std::string join_lines(const std::vector<Line>& lines, std::size_t skip_a = std::string_view::npos,
                       std::size_t skip_b = std::string_view::npos) {
    std::string out;
    for (std::size_t i = 0; i < lines.size(); ++i) {
        if (i == skip_a || i == skip_b) continue;
        out.append(lines[i].raw);
        if (lines[i].has_newline) out.push_back('\n');
    }
    return out;
}

// Text with `line` appended as a new last line.
std::string append_line(std::string_view text, std::string_view line) {
    std::string out(text);
    if (!out.empty() && out.back() != '\n') out.push_back('\n');
    out.append(line);
    out.push_back('\n');
    return out;
}

// Rebuild the text with line `index` replaced by `replacement` (which may
// hold several lines); the original line terminator is kept.
std::string replace_line(const std::vector<Line>& lines, std::size_t index, std::string_view replacement) {
    std::string out;
    for (std::size_t i = 0; i < lines.size(); ++i) {
        if (i == index) {
            out.append(replacement);
            // keep a CRLF line CRLF
            if (lines[i].raw.size() != lines[i].body.size()) out.push_back('\r');
        } else {
            out.append(lines[i].raw);
        }
        if (lines[i].has_newline) out.push_back('\n');
    }
    return out;
}

bool same_camera(const Camera& a, const Camera& b) {
    if (a.id != b.id || a.tunnel.kind != b.tunnel.kind || a.max_viewers != b.max_viewers ||
        a.keys.revoke_before != b.keys.revoke_before || a.keys.legacy_sha256 != b.keys.legacy_sha256 ||
        a.ssh_key != b.ssh_key)
        return false;
    switch (a.tunnel.kind) {
        case Tunnel::Kind::port: return a.tunnel.port == b.tunnel.port;
        case Tunnel::Kind::socket: return a.tunnel.path == b.tunnel.path;
        case Tunnel::Kind::upstream: return a.tunnel.host == b.tunnel.host && a.tunnel.port == b.tunnel.port;
    }
    return false;
}

bool has_line_breaking_byte(std::string_view s) {
    for (char c : s) {
        auto u = static_cast<unsigned char>(c);
        if (u < 0x20 || u == 0x7f) return true;
    }
    return false;
}

// Bytes a secrets.conf line may hold, checked before tokenising so a
// malformed line never reaches an error message.
void check_secret_id_arg(std::string_view id, const std::string& file) {
    if (!valid_secret_id(id)) throw ConfigError(file, 0, "invalid secret id");
}

}  // namespace

ConfigError::ConfigError(std::string file, int line, std::string reason)
    : std::runtime_error(make_what(file, line, reason)), file_(std::move(file)), line_(line), reason_(std::move(reason)) {}

std::string Tunnel::describe() const {
    switch (kind) {
        case Kind::port: return "port=" + std::to_string(port);
        case Kind::socket: return "socket=" + path;
        case Kind::upstream:
            if (host.find(':') != std::string::npos) return "upstream=[" + host + "]:" + std::to_string(port);
            return "upstream=" + host + ":" + std::to_string(port);
    }
    return {};
}

const Camera* Registry::find(std::string_view id) const {
    for (const Camera& c : cameras)
        if (c.id == id) return &c;
    return nullptr;
}

Registry parse_registry(std::string_view text, const std::string& file) {
    return std::move(parse_registry_full(text, file).registry);
}

SecretSet parse_secrets(std::string_view text, const std::string& file) {
    SecretSet set;
    std::map<std::string, int, std::less<>> ids;
    int primary_line = 0;
    std::string primary_id;
    for (const Line& l : split_lines(text)) {
        check_line_bytes(l, file);
        Tokens t = tokenize(l.body);
        if (t.list.empty()) continue;
        // Nothing from a secrets.conf line is echoed except a valid id.
        if (t.list.size() < 2)
            throw ConfigError(file, l.number, "expected \"<secret-id> <64 hex digits> [primary]\"");
        std::string_view id = t.list[0].text;
        if (!valid_secret_id(id))
            throw ConfigError(file, l.number, "invalid secret id (1 to 32 characters of A-Z, a-z, 0-9, '_' and '-')");
        auto bytes = hex_decode(t.list[1].text);
        if (!bytes || bytes->size() != kSecretBytes) {
            if (bytes) OPENSSL_cleanse(bytes->data(), bytes->size());
            throw ConfigError(file, l.number,
                              "secret " + std::string(id) + " must be " + std::to_string(kSecretBytes * 2) +
                                  " hex digits");
        }
        bool primary = false;
        if (t.list.size() == 3 && t.list[2].text == "primary") {
            primary = true;
        } else if (t.list.size() >= 3) {
            OPENSSL_cleanse(bytes->data(), bytes->size());
            throw ConfigError(file, l.number,
                              "unexpected text after secret " + std::string(id) + " (only \"primary\" may follow)");
        }
        if (auto it = ids.find(id); it != ids.end()) {
            OPENSSL_cleanse(bytes->data(), bytes->size());
            throw ConfigError(file, l.number,
                              "duplicate secret id \"" + std::string(id) + "\" (first defined on line " +
                                  std::to_string(it->second) + ")");
        }
        if (primary && primary_line != 0) {
            OPENSSL_cleanse(bytes->data(), bytes->size());
            throw ConfigError(file, l.number,
                              "second primary secret \"" + std::string(id) + "\" (\"" + primary_id + "\" on line " +
                                  std::to_string(primary_line) + " is already primary)");
        }
        if (primary) {
            primary_line = l.number;
            primary_id.assign(id);
        }
        ids.emplace(std::string(id), l.number);
        try {
            set.add(Secret{std::string(id), std::move(*bytes), primary});
        } catch (const std::invalid_argument& e) {
            throw ConfigError(file, l.number, e.what());
        }
    }
    return set;
}

namespace {

// Read an open descriptor to the end, then close it.
std::string read_fd(int fd, const std::string& path) {
    std::string out;
    char buf[65536];
    while (true) {
        ssize_t n = ::read(fd, buf, sizeof buf);
        if (n < 0) {
            if (errno == EINTR) continue;
            int err = errno;
            ::close(fd);
            throw ConfigError(path, 0, std::string("cannot read: ") + std::strerror(err));
        }
        if (n == 0) break;
        if (out.size() + static_cast<std::size_t>(n) > kMaxConfigFileSize) {
            ::close(fd);
            throw ConfigError(path, 0, "file is larger than " + std::to_string(kMaxConfigFileSize) + " bytes");
        }
        out.append(buf, static_cast<std::size_t>(n));
    }
    ::close(fd);
    OPENSSL_cleanse(buf, sizeof buf);  // the buffer may have held secrets
    return out;
}

}  // namespace

std::string read_file(const std::string& path) {
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) throw ConfigError(path, 0, std::string("cannot open: ") + std::strerror(errno));
    return read_fd(fd, path);
}

Registry load_registry(const std::string& path) { return parse_registry(read_file(path), path); }

SecretSet load_secrets(const std::string& path) {
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        if (errno == ENOENT) return SecretSet{};  // no secrets: only legacy keys work
        throw ConfigError(path, 0, std::string("cannot open: ") + std::strerror(errno));
    }
    // Check the file we opened, not the name: no race with a rename.
    struct stat st;
    if (::fstat(fd, &st) != 0) {
        int err = errno;
        ::close(fd);
        throw ConfigError(path, 0, std::string("cannot stat: ") + std::strerror(err));
    }
    if (!S_ISREG(st.st_mode)) {
        ::close(fd);
        throw ConfigError(path, 0, "not a regular file");
    }
    if ((st.st_mode & 007) != 0) {
        ::close(fd);
        char mode[8];
        std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(st.st_mode & 07777));
        std::string what = (st.st_mode & 004) && (st.st_mode & 002) ? "world-readable and world-writable"
                           : (st.st_mode & 004)                     ? "world-readable"
                           : (st.st_mode & 002)                     ? "world-writable"
                                                                    : "accessible to others";
        throw ConfigError(path, 0,
                          "secrets file is " + what + " (mode " + mode +
                              "); refusing to use it: chmod 0640 it (owner root, group varnish)");
    }
    std::string text = read_fd(fd, path);
    try {
        SecretSet set = parse_secrets(text, path);
        OPENSSL_cleanse(text.data(), text.size());
        return set;
    } catch (...) {
        OPENSSL_cleanse(text.data(), text.size());
        throw;
    }
}

std::string config_dir(std::string_view explicit_dir) {
    if (!explicit_dir.empty()) return std::string(explicit_dir);
    if (const char* env = std::getenv(kConfigDirEnv); env != nullptr && *env != '\0') return env;
    return kDefaultConfigDir;
}

// --- editing

std::string format_camera_line(const Camera& camera) {
    std::string line = "camera " + camera.id + " " + camera.tunnel.describe();
    if (camera.max_viewers != kDefaultMaxViewers) line += " max-viewers=" + std::to_string(camera.max_viewers);
    if (camera.keys.revoke_before != 0) line += " revoke-before=" + std::to_string(camera.keys.revoke_before);
    if (camera.keys.legacy_sha256) line += " legacy-sha256=" + hex_encode(*camera.keys.legacy_sha256);
    if (!camera.ssh_key.empty()) line += " ssh-key=" + camera.ssh_key;  // last: it takes the rest of the line
    return line;
}

std::string registry_add_camera(std::string_view text, const Camera& camera, const std::string& file) {
    parse_registry(text, file);  // refuse to build on a broken file
    if (camera.ssh_key.size() != 0 &&
        (has_line_breaking_byte(camera.ssh_key) || is_blank(camera.ssh_key.front()) || is_blank(camera.ssh_key.back())))
        throw ConfigError(file, 0, "ssh-key must be one line without leading or trailing blanks");
    std::string line = format_camera_line(camera);
    if (has_line_breaking_byte(line)) throw ConfigError(file, 0, "camera line would contain control characters");
    std::string out = append_line(text, line);
    Registry reg = parse_registry(out, file);
    const Camera* added = reg.find(camera.id);
    if (added == nullptr || !same_camera(*added, camera))
        throw ConfigError(file, 0, "camera " + quote(camera.id) + " cannot be written as given");
    return out;
}

std::string registry_remove_camera(std::string_view text, std::string_view id, const std::string& file) {
    RegistryParse parsed = parse_registry_full(text, file);
    const Camera* cam = parsed.registry.find(id);
    if (cam == nullptr) throw ConfigError(file, 0, "no camera " + quote(id));
    std::vector<Line> lines = split_lines(text);
    std::size_t cam_index = static_cast<std::size_t>(cam->line - 1);
    std::size_t default_index = std::string_view::npos;
    if (parsed.registry.default_camera == id) default_index = static_cast<std::size_t>(parsed.default_line - 1);
    std::string out = join_lines(lines, cam_index, default_index);
    parse_registry(out, file);
    return out;
}

std::string registry_set_default(std::string_view text, std::string_view id, const std::string& file) {
    RegistryParse parsed = parse_registry_full(text, file);
    if (parsed.registry.find(id) == nullptr) throw ConfigError(file, 0, "no camera " + quote(id));
    std::string line = "default " + std::string(id);
    std::string out;
    if (parsed.default_line != 0)
        out = replace_line(split_lines(text), static_cast<std::size_t>(parsed.default_line - 1), line);
    else
        out = append_line(text, line);
    parse_registry(out, file);
    return out;
}

std::string registry_set_option(std::string_view text, std::string_view id, std::string_view option,
                                std::string_view value, const std::string& file) {
    RegistryParse parsed = parse_registry_full(text, file);
    const Camera* cam = parsed.registry.find(id);
    if (cam == nullptr) throw ConfigError(file, 0, "no camera " + quote(id));
    const int line_no = cam->line;
    if (!is_camera_option(option)) throw ConfigError(file, line_no, "unknown option " + quote(option));
    const bool ssh = option == "ssh-key";
    if (has_line_breaking_byte(value)) throw ConfigError(file, line_no, "control character in value of " + quote(option));
    if (!ssh && value.find_first_of(" \t") != std::string_view::npos)
        throw ConfigError(file, line_no, "blank in value of " + quote(option));
    if (ssh && !value.empty() && (is_blank(value.front()) || is_blank(value.back())))
        throw ConfigError(file, line_no, "ssh-key must not start or end with blanks");
    if (value.empty() && is_tunnel_option(option))
        throw ConfigError(file, line_no, "a camera always needs a tunnel; " + quote(option) + " cannot be removed");

    std::vector<Line> lines = split_lines(text);
    const std::size_t index = static_cast<std::size_t>(line_no - 1);
    std::string_view body = lines[index].body;
    Tokens t = tokenize(body);

    // The token to replace: the same option, or for a tunnel any tunnel.
    std::size_t found = std::string_view::npos;
    std::size_t ssh_token = std::string_view::npos;
    for (std::size_t i = 2; i < t.list.size(); ++i) {
        std::string name = option_name(t.list[i].text);
        if (name == option || (is_tunnel_option(option) && is_tunnel_option(name))) found = i;
        if (name == "ssh-key") ssh_token = i;
    }
    const std::string word = std::string(option) + "=" + std::string(value);
    std::string prefix;  // lines to put before the edited line
    std::string edited;
    if (found != std::string_view::npos) {
        const Token& tok = t.list[found];
        if (value.empty()) {
            std::size_t from = t.list[found - 1].end();  // drop the blanks before it too
            bool last = found + 1 == t.list.size() && t.comment_pos == std::string_view::npos;
            // Nothing but blanks can follow the last word: drop them with it.
            edited = std::string(body.substr(0, from)) + (last ? std::string() : std::string(body.substr(tok.end())));
        } else {
            edited = std::string(body.substr(0, tok.pos)) + word + std::string(body.substr(tok.end()));
        }
    } else if (value.empty()) {
        return std::string(text);  // removing an absent option: nothing to do
    } else if (!ssh && ssh_token != std::string_view::npos) {
        std::size_t at = t.list[ssh_token].pos;
        edited = std::string(body.substr(0, at)) + word + " " + std::string(body.substr(at));
    } else {
        std::size_t at = t.list.back().end();
        std::string_view tail = body.substr(at);
        if (ssh && t.comment_pos != std::string_view::npos) {
            // ssh-key= would swallow the comment: move it onto its own line.
            prefix = std::string(body.substr(t.comment_pos));
            if (lines[index].raw.size() != body.size()) prefix.push_back('\r');
            prefix.push_back('\n');
            tail = {};
        }
        edited = std::string(body.substr(0, at)) + " " + word + std::string(tail);
    }
    std::string out = replace_line(lines, index, prefix + edited);
    Registry reg = parse_registry(out, file);
    const Camera* after = reg.find(id);
    if (after == nullptr || (ssh && after->ssh_key != value))
        throw ConfigError(file, line_no, "option " + quote(option) + " cannot be written as given");
    return out;
}

std::string format_secret_line(const Secret& secret) {
    std::string line = secret.id + " " + hex_encode(secret.bytes.data(), secret.bytes.size());
    if (secret.primary) line += " primary";
    return line;
}

std::string secrets_add(std::string_view text, const Secret& secret, const std::string& file) {
    parse_secrets(text, file);
    check_secret_id_arg(secret.id, file);
    if (secret.bytes.size() != kSecretBytes)
        throw ConfigError(file, 0, "a secret must be " + std::to_string(kSecretBytes) + " bytes long");
    std::string out = append_line(text, format_secret_line(secret));
    parse_secrets(out, file);
    return out;
}

std::string secrets_set_primary(std::string_view text, std::string_view id, const std::string& file) {
    SecretSet set = parse_secrets(text, file);
    if (set.find(id) == nullptr) throw ConfigError(file, 0, "no secret \"" + std::string(id) + "\"");
    std::vector<Line> lines = split_lines(text);
    std::string out;
    for (const Line& l : lines) {
        Tokens t = tokenize(l.body);
        std::string line(l.raw);
        if (t.list.size() >= 2) {
            bool is_target = t.list[0].text == id;
            bool is_primary = t.list.size() == 3;  // the file parsed: a third token is "primary"
            if (is_target && !is_primary) {
                std::size_t at = t.list[1].end();
                line = std::string(l.raw.substr(0, at)) + " primary" + std::string(l.raw.substr(at));
            } else if (!is_target && is_primary) {
                std::size_t from = t.list[1].end();
                line = std::string(l.raw.substr(0, from)) + std::string(l.raw.substr(t.list[2].end()));
            }
        }
        out.append(line);
        if (l.has_newline) out.push_back('\n');
        OPENSSL_cleanse(line.data(), line.size());
    }
    parse_secrets(out, file);
    return out;
}

std::string secrets_remove(std::string_view text, std::string_view id, const std::string& file) {
    parse_secrets(text, file);
    std::vector<Line> lines = split_lines(text);
    for (std::size_t i = 0; i < lines.size(); ++i) {
        Tokens t = tokenize(lines[i].body);
        if (t.list.size() >= 2 && t.list[0].text == id) {
            std::string out = join_lines(lines, i);
            parse_secrets(out, file);
            return out;
        }
    }
    throw ConfigError(file, 0, "no secret \"" + std::string(id) + "\"");
}

void write_file_atomically(const std::string& path, std::string_view content, mode_t mode, uid_t uid, gid_t gid) {
    std::string dir;
    std::string base;
    if (std::size_t slash = path.rfind('/'); slash == std::string::npos) {
        dir = ".";
        base = path;
    } else {
        dir = slash == 0 ? "/" : path.substr(0, slash);
        base = path.substr(slash + 1);
    }
    if (base.empty()) throw ConfigError(path, 0, "not a file name");
    std::string tmp = (dir == "/" ? "" : dir) + "/." + base + ".tmpXXXXXX";
    int fd = ::mkstemp(tmp.data());
    if (fd < 0) throw ConfigError(path, 0, std::string("cannot create a temporary file: ") + std::strerror(errno));
    auto fail = [&](const char* step) {
        int err = errno;
        ::close(fd);
        ::unlink(tmp.c_str());
        throw ConfigError(path, 0, std::string(step) + ": " + std::strerror(err));
    };
    // Restrict the mode before any byte is written, then write everything.
    if (::fchmod(fd, mode) != 0) fail("cannot chmod");
    const char* p = content.data();
    std::size_t left = content.size();
    while (left > 0) {
        ssize_t n = ::write(fd, p, left);
        if (n < 0) {
            if (errno == EINTR) continue;
            fail("cannot write");
        }
        p += n;
        left -= static_cast<std::size_t>(n);
    }
    if ((uid != static_cast<uid_t>(-1) || gid != static_cast<gid_t>(-1)) && ::fchown(fd, uid, gid) != 0)
        fail("cannot chown");
    if (::fchmod(fd, mode) != 0) fail("cannot chmod");  // chown may clear set-id bits
    if (::fsync(fd) != 0) fail("cannot fsync");
    if (::close(fd) != 0) {
        int err = errno;
        ::unlink(tmp.c_str());
        throw ConfigError(path, 0, std::string("cannot close: ") + std::strerror(err));
    }
    if (::rename(tmp.c_str(), path.c_str()) != 0) {
        int err = errno;
        ::unlink(tmp.c_str());
        throw ConfigError(path, 0, std::string("cannot rename into place: ") + std::strerror(err));
    }
    // Make the rename itself durable.
    int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
        int rc = ::fsync(dfd);
        int err = errno;
        ::close(dfd);
        if (rc != 0) throw ConfigError(path, 0, std::string("cannot fsync the directory: ") + std::strerror(err));
    }
}

}  // namespace camrelay
