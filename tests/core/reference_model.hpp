// The reference model of the per-request path: the straightforward
// versions of base64url decoding, percent-decoding, query parameter removal,
// routing and the key check, one obvious step at a time. The optimised code
// in lib/camrelay is held to them by tests/core/test_hot_path.cpp (generated
// inputs) and by the fuzz targets in tests/fuzz (libFuzzer's inputs).
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "camrelay/crypto.hpp"
#include "camrelay/ids.hpp"
#include "camrelay/key.hpp"
#include "camrelay/routing.hpp"

namespace camrelay::test::ref {

inline int b64_value(char c) {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '-') return 62;
    if (c == '_') return 63;
    return -1;
}

inline std::optional<std::vector<std::uint8_t>> base64url_decode(std::string_view text) {
    if (text.size() % 4 == 1) return std::nullopt;
    std::vector<std::uint8_t> out;
    std::uint32_t acc = 0;
    int bits = 0;
    for (char c : text) {
        int v = b64_value(c);
        if (v < 0) return std::nullopt;
        acc = (acc << 6) | static_cast<std::uint32_t>(v);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out.push_back(static_cast<std::uint8_t>((acc >> bits) & 0xff));
        }
    }
    if ((acc & ((1u << bits) - 1)) != 0) return std::nullopt;
    return out;
}

inline int hex_digit(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

inline std::optional<std::string> percent_decode(std::string_view text) {
    std::string out;
    for (std::size_t i = 0; i < text.size(); ++i) {
        char c = text[i];
        if (c == '%') {
            if (i + 2 >= text.size()) return std::nullopt;
            int hi = hex_digit(text[i + 1]);
            int lo = hex_digit(text[i + 2]);
            if (hi < 0 || lo < 0) return std::nullopt;
            c = static_cast<char>(hi << 4 | lo);
            i += 2;
        }
        if (c == '\0') return std::nullopt;
        out.push_back(c);
    }
    return out;
}

struct Removed {
    std::string url;
    std::vector<std::string> values;
    bool bad_escape = false;
};

inline Removed remove_param(std::string_view url, std::string_view name) {
    Removed r;
    std::size_t q = url.find('?');
    if (q == std::string_view::npos) {
        r.url.assign(url);
        return r;
    }
    std::string_view query = url.substr(q + 1);
    std::string kept;
    bool first_kept = true;
    bool removed_any = false;
    std::size_t start = 0;
    while (true) {
        std::size_t amp = query.find('&', start);
        std::string_view seg = query.substr(start, amp == std::string_view::npos ? query.npos : amp - start);
        std::size_t eq = seg.find('=');
        std::string_view raw_name = seg.substr(0, eq);
        bool match = raw_name == name;
        if (!match && raw_name.find('%') != std::string_view::npos) {
            auto decoded = percent_decode(raw_name);
            match = decoded && *decoded == name;
        }
        if (match) {
            removed_any = true;
            std::string_view raw_value = eq == std::string_view::npos ? std::string_view{} : seg.substr(eq + 1);
            if (auto v = percent_decode(raw_value)) {
                r.values.push_back(std::move(*v));
            } else {
                r.bad_escape = true;
                r.values.emplace_back(raw_value);
            }
        } else {
            if (!first_kept) kept.push_back('&');
            kept.append(seg);
            first_kept = false;
        }
        if (amp == std::string_view::npos) break;
        start = amp + 1;
    }
    if (!removed_any) {
        r.url.assign(url);
        return r;
    }
    r.url.assign(url.substr(0, q));
    if (!kept.empty()) {
        r.url.push_back('?');
        r.url.append(kept);
    }
    return r;
}

inline bool has_forbidden_byte(std::string_view s) {
    for (char c : s) {
        auto u = static_cast<unsigned char>(c);
        if (u <= 0x20 || u == 0x7f) return true;
    }
    return false;
}

// The path (before '?') decoded wherever an escape is valid, '\\' read as
// '/', split at '/': is a segment "." or ".."?
inline bool has_dot_segment(std::string_view url) {
    const std::string_view path = url.substr(0, url.find('?'));
    std::string decoded;
    for (std::size_t i = 0; i < path.size(); ++i) {
        if (path[i] == '%' && i + 2 < path.size() && hex_digit(path[i + 1]) >= 0 && hex_digit(path[i + 2]) >= 0) {
            decoded += static_cast<char>(hex_digit(path[i + 1]) * 16 + hex_digit(path[i + 2]));
            i += 2;
        } else {
            decoded += path[i];
        }
    }
    for (char& c : decoded)
        if (c == '\\') c = '/';
    std::size_t start = 0;
    while (true) {
        const std::size_t slash = decoded.find('/', start);
        const std::string segment =
            decoded.substr(start, slash == std::string::npos ? std::string::npos : slash - start);
        if (segment == "." || segment == "..") return true;
        if (slash == std::string::npos) return false;
        start = slash + 1;
    }
}

inline std::string to_lower(std::string_view s) {
    std::string out(s);
    for (char& c : out)
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    return out;
}

inline std::string normalize_host(std::string_view host) {
    std::string_view h = host;
    if (!h.empty() && h.front() == '[') {
        std::size_t close = h.find(']');
        h = close == std::string_view::npos ? std::string_view{} : h.substr(1, close - 1);
    } else if (std::size_t colon = h.find(':'); colon != std::string_view::npos) {
        h = h.substr(0, colon);
    }
    if (!h.empty() && h.back() == '.') h.remove_suffix(1);
    return to_lower(h);
}

inline Route refuse(Route r, Route::Status status, std::string reason) {
    r.status = status;
    r.reason = std::move(reason);
    r.camera = nullptr;
    return r;
}

inline Route named(Route r, const Registry& registry, std::string_view id) {
    if (!valid_camera_id(id)) return refuse(std::move(r), Route::Status::bad_request, "invalid camera id");
    const Camera* cam = registry.find(id);
    if (cam == nullptr)
        return refuse(std::move(r), Route::Status::unknown_camera, "camera " + std::string(id) + " is not registered");
    r.camera = cam;
    return r;
}

inline Route route_request(const RouteConfig& config, const Registry& registry, std::string_view url,
                           std::string_view host) {
    Route r;
    if (url.empty()) return refuse(std::move(r), Route::Status::bad_request, "empty URL");
    if (url.size() > kMaxUrlLength)
        return refuse(std::move(r), Route::Status::bad_request,
                      "URL longer than " + std::to_string(kMaxUrlLength) + " bytes");
    if (url.front() != '/') return refuse(std::move(r), Route::Status::bad_request, "URL does not start with /");
    if (has_forbidden_byte(url))
        return refuse(std::move(r), Route::Status::bad_request, "URL contains a space or control character");
    if (has_dot_segment(url))
        return refuse(std::move(r), Route::Status::bad_request, "URL path contains a . or .. segment");
    if (host.size() > kMaxHostLength)
        return refuse(std::move(r), Route::Status::bad_request,
                      "Host header longer than " + std::to_string(kMaxHostLength) + " bytes");
    if (has_forbidden_byte(host))
        return refuse(std::move(r), Route::Status::bad_request, "Host header contains a space or control character");

    Removed k = remove_param(url, "k");
    r.key_count = static_cast<int>(k.values.size());
    if (!k.values.empty()) r.key = std::move(k.values.front());
    if (k.bad_escape) return refuse(std::move(r), Route::Status::bad_request, "invalid percent-encoding in key");
    std::string cleaned = std::move(k.url);

    bool use_query = false;
    for (RouteSource s : config.order) use_query |= s == RouteSource::query;
    std::vector<std::string> cam_values;
    bool cam_bad_escape = false;
    if (use_query && !config.query_param.empty()) {
        Removed c = remove_param(cleaned, config.query_param);
        cleaned = std::move(c.url);
        cam_values = std::move(c.values);
        cam_bad_escape = c.bad_escape;
    }

    const std::size_t qpos = cleaned.find('?');
    const std::string_view path = std::string_view(cleaned).substr(0, qpos);
    const std::size_t seg_end = path.find('/', 1);
    const std::string_view first_segment = path.substr(1, seg_end == std::string_view::npos ? path.npos : seg_end - 1);

    for (RouteSource s : config.order) {
        switch (s) {
            case RouteSource::path: {
                if (first_segment.empty()) break;
                const Camera* cam = registry.find(first_segment);
                if (cam == nullptr) break;
                std::string rest(path.substr(1 + first_segment.size()));
                if (rest.empty()) rest = "/";
                if (qpos != std::string::npos) rest.append(cleaned, qpos, std::string::npos);
                r.camera = cam;
                r.url = std::move(rest);
                return r;
            }
            case RouteSource::host: {
                if (config.host_suffix.empty() || host.empty()) break;
                std::string_view suffix_raw = config.host_suffix;
                while (!suffix_raw.empty() && suffix_raw.front() == '.') suffix_raw.remove_prefix(1);
                while (!suffix_raw.empty() && suffix_raw.back() == '.') suffix_raw.remove_suffix(1);
                if (suffix_raw.empty()) break;
                const std::string suffix = to_lower(suffix_raw);
                const std::string h = normalize_host(host);
                if (h.size() <= suffix.size() + 1 || h.compare(h.size() - suffix.size(), suffix.size(), suffix) != 0 ||
                    h[h.size() - suffix.size() - 1] != '.')
                    break;
                r.url = cleaned;
                return named(std::move(r), registry, std::string_view(h).substr(0, h.size() - suffix.size() - 1));
            }
            case RouteSource::query: {
                if (cam_values.empty()) break;
                if (cam_bad_escape)
                    return refuse(std::move(r), Route::Status::bad_request,
                                  "invalid percent-encoding in " + config.query_param + " parameter");
                if (cam_values.size() > 1)
                    return refuse(std::move(r), Route::Status::bad_request,
                                  "more than one " + config.query_param + " parameter");
                r.url = cleaned;
                return named(std::move(r), registry, cam_values.front());
            }
        }
    }

    if (!registry.default_camera.empty()) {
        if (const Camera* cam = registry.find(registry.default_camera)) {
            r.camera = cam;
            r.url = std::move(cleaned);
            return r;
        }
    }

    bool use_path = false;
    for (RouteSource s : config.order) use_path |= s == RouteSource::path;
    r.url = cleaned;
    if (use_path && !first_segment.empty()) {
        if (!valid_camera_id(first_segment))
            return refuse(std::move(r), Route::Status::bad_request, "invalid camera id");
        return refuse(std::move(r), Route::Status::unknown_camera,
                      "camera " + std::string(first_segment) + " is not registered");
    }
    return refuse(std::move(r), Route::Status::unknown_camera, "no camera named and no default camera");
}

inline std::optional<std::int64_t> parse_time(std::string_view s) {
    if (s.empty() || s.size() > 12 || s.front() == '0') return std::nullopt;
    std::int64_t v = 0;
    for (char c : s) {
        if (c < '0' || c > '9') return std::nullopt;
        v = v * 10 + (c - '0');
    }
    return v;
}

inline bool has_line_break_or_nul(std::string_view s) {
    for (char c : s)
        if (c == '\0' || c == '\r' || c == '\n') return true;
    return false;
}

inline std::optional<KeyFields> parse_key(std::string_view key) {
    if (key.size() > kMaxKeyLength || key.substr(0, 3) != "v1.") return std::nullopt;
    std::array<std::string_view, 5> f;
    std::string_view rest = key.substr(3);
    for (std::size_t i = 0; i < f.size(); ++i) {
        std::size_t dot = rest.find('.');
        if (i + 1 < f.size()) {
            if (dot == std::string_view::npos) return std::nullopt;
            f[i] = rest.substr(0, dot);
            rest.remove_prefix(dot + 1);
        } else {
            if (dot != std::string_view::npos) return std::nullopt;
            f[i] = rest;
        }
    }
    if (!valid_camera_id(f[0]) || !valid_secret_id(f[1])) return std::nullopt;
    auto issued = parse_time(f[2]);
    auto expires = parse_time(f[3]);
    if (!issued || !expires || *expires <= *issued) return std::nullopt;
    if (f[4].size() != 43) return std::nullopt;
    auto mac = base64url_decode(f[4]);
    if (!mac || mac->size() != 32) return std::nullopt;
    KeyFields out;
    out.camera.assign(f[0]);
    out.secret_id.assign(f[1]);
    out.issued = *issued;
    out.expires = *expires;
    std::copy(mac->begin(), mac->end(), out.mac.begin());
    return out;
}

inline KeyVerdict check_key(const SecretSet& secrets, std::string_view key, std::string_view camera,
                            const KeyPolicy& policy, std::int64_t now) {
    if (key.empty()) return KeyVerdict::missing;
    if (key.size() > kMaxKeyLength || has_line_break_or_nul(key)) return KeyVerdict::malformed;
    if (key.substr(0, 3) != "v1.") {
        if (!policy.legacy_sha256) return KeyVerdict::malformed;
        return sha256(key) == *policy.legacy_sha256 ? KeyVerdict::allowed : KeyVerdict::bad_signature;
    }
    auto fields = parse_key(key);
    if (!fields) return KeyVerdict::malformed;
    auto expected =
        secrets.mac(fields->secret_id, key_message(fields->camera, fields->secret_id, fields->issued, fields->expires));
    if (!expected) return KeyVerdict::unknown_secret;
    if (*expected != fields->mac) return KeyVerdict::bad_signature;
    if (now >= fields->expires) return KeyVerdict::expired;
    if (fields->camera != camera) return KeyVerdict::wrong_camera;
    if (fields->issued < policy.revoke_before || fields->issued > now + kMaxIssuedAhead) return KeyVerdict::revoked;
    return KeyVerdict::allowed;
}

inline std::string loggable_key(std::string_view key) {
    if (key.empty()) return {};
    bool v1 = key.substr(0, 3) == "v1.";
    if (key.size() > kMaxKeyLength || has_line_break_or_nul(key) || (v1 && !parse_key(key)))
        return "malformed(len=" + std::to_string(key.size()) + ")";
    if (!v1) return "legacy(len=" + std::to_string(key.size()) + ")";
    return std::string(key.substr(0, key.rfind('.') + 1)) + "*";
}

}  // namespace camrelay::test::ref
