// camrelay core: cameras.conf, the camera registry: the model and its parser
// (registry.hpp).
#include "camrelay/registry.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <map>

#include "camrelay/config_lines.hpp"
#include "camrelay/ids.hpp"
#include "camrelay/text.hpp"

namespace camrelay {

using config_lines::Line;
using config_lines::quote;
using config_lines::Tokens;

namespace {

constexpr std::size_t kMaxSocketPath = 107;  // sun_path holds 108 bytes with the NUL
constexpr std::uint64_t kMaxUnixTime = 999'999'999'999;

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
    auto n = text::parse_port(p);
    if (!n) return false;
    host.assign(h);
    port = *n;
    return true;
}

struct Seen {
    std::string id;
    int line;
};

Camera parse_camera(const Tokens& t, const Line& l, const std::string& file) {
    const auto& tok = t.list;
    if (tok.size() < 2)
        throw ConfigError(file, l.number, "camera needs an id and a tunnel (port=, socket= or upstream=)");
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
            auto n = text::parse_port(value);
            if (!n) throw ConfigError(file, l.number, "invalid port " + quote(value) + " (1 to 65535)");
            cam.tunnel.kind = Tunnel::Kind::port;
            cam.tunnel.host = "127.0.0.1";
            cam.tunnel.port = *n;
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
            auto n = text::parse_decimal(value, kMaxMaxViewers);
            if (!n || *n == 0)
                throw ConfigError(
                    file, l.number,
                    "invalid max-viewers " + quote(value) + " (1 to " + std::to_string(kMaxMaxViewers) + ")");
            cam.max_viewers = static_cast<unsigned>(*n);
        } else if (name == "revoke-before") {
            auto n = text::parse_decimal(value, kMaxUnixTime);
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

}  // namespace

bool is_tunnel_option(std::string_view name) { return name == "port" || name == "socket" || name == "upstream"; }

bool is_camera_option(std::string_view name) {
    return is_tunnel_option(name) || name == "max-viewers" || name == "revoke-before" || name == "legacy-sha256" ||
           name == "ssh-key";
}

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
    Registry reg;
    std::map<std::string, int, std::less<>> ids;
    std::map<std::uint16_t, Seen> ports;
    std::map<std::string, Seen, std::less<>> sockets;
    for (const Line& l : config_lines::split_lines(text)) {
        config_lines::check_line_bytes(l, file);
        Tokens t = config_lines::tokenize(l.body);
        if (t.list.empty()) continue;
        std::string_view directive = t.list[0].text;
        if (directive == "default") {
            if (t.list.size() != 2) throw ConfigError(file, l.number, "default takes exactly one camera id");
            if (reg.default_line != 0)
                throw ConfigError(file, l.number,
                                  "second default (first on line " + std::to_string(reg.default_line) + ")");
            if (!valid_camera_id(t.list[1].text))
                throw ConfigError(file, l.number, "invalid camera id " + quote(t.list[1].text) + " in default");
            reg.default_camera.assign(t.list[1].text);
            reg.default_line = l.number;
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
    if (reg.default_line != 0 && ids.find(reg.default_camera) == ids.end())
        throw ConfigError(file, reg.default_line,
                          "default camera " + quote(reg.default_camera) + " is not defined by a camera line");
    return reg;
}

Registry load_registry(const std::string& path) { return parse_registry(read_file(path), path); }

}  // namespace camrelay
