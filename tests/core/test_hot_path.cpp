// The per-request path (base64url_decode_into, parse_key, loggable_key,
// check_key, percent_decode, remove_query_param, route_request,
// Relay::decide) was rewritten for speed. These tests hold it to the
// behaviour of the straightforward versions it replaced, kept below as a
// reference model, on many generated inputs (fixed seeds: repeatable).
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "camrelay/crypto.hpp"
#include "camrelay/ids.hpp"
#include "camrelay/key.hpp"
#include "camrelay/relay.hpp"
#include "camrelay/routing.hpp"
#include "test_util.hpp"

using namespace camrelay;

namespace {

// ---------------------------------------------------------------------------
// Reference model: the simple implementations, one obvious step at a time.
namespace ref {

int b64_value(char c) {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '-') return 62;
    if (c == '_') return 63;
    return -1;
}

std::optional<std::vector<std::uint8_t>> base64url_decode(std::string_view text) {
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

int hex_digit(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

std::optional<std::string> percent_decode(std::string_view text) {
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

Removed remove_param(std::string_view url, std::string_view name) {
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

bool has_forbidden_byte(std::string_view s) {
    for (char c : s) {
        auto u = static_cast<unsigned char>(c);
        if (u <= 0x20 || u == 0x7f) return true;
    }
    return false;
}

// The path (before '?') decoded wherever an escape is valid, '\\' read as
// '/', split at '/': is a segment "." or ".."?
bool has_dot_segment(std::string_view url) {
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

std::string to_lower(std::string_view s) {
    std::string out(s);
    for (char& c : out)
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    return out;
}

std::string normalize_host(std::string_view host) {
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

Route refuse(Route r, Route::Status status, std::string reason) {
    r.status = status;
    r.reason = std::move(reason);
    r.camera = nullptr;
    return r;
}

Route named(Route r, const Registry& registry, std::string_view id) {
    if (!valid_camera_id(id)) return refuse(std::move(r), Route::Status::bad_request, "invalid camera id");
    const Camera* cam = registry.find(id);
    if (cam == nullptr)
        return refuse(std::move(r), Route::Status::unknown_camera, "camera " + std::string(id) + " is not registered");
    r.camera = cam;
    return r;
}

Route route_request(const RouteConfig& config, const Registry& registry, std::string_view url, std::string_view host) {
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

std::optional<std::int64_t> parse_time(std::string_view s) {
    if (s.empty() || s.size() > 12 || s.front() == '0') return std::nullopt;
    std::int64_t v = 0;
    for (char c : s) {
        if (c < '0' || c > '9') return std::nullopt;
        v = v * 10 + (c - '0');
    }
    return v;
}

bool has_line_break_or_nul(std::string_view s) {
    for (char c : s)
        if (c == '\0' || c == '\r' || c == '\n') return true;
    return false;
}

std::optional<KeyFields> parse_key(std::string_view key) {
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

KeyVerdict check_key(const SecretSet& secrets, std::string_view key, std::string_view camera, const KeyPolicy& policy,
                     std::int64_t now) {
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
    if (fields->issued < policy.revoke_before) return KeyVerdict::revoked;
    return KeyVerdict::allowed;
}

std::string loggable_key(std::string_view key) {
    if (key.empty()) return {};
    bool v1 = key.substr(0, 3) == "v1.";
    if (key.size() > kMaxKeyLength || has_line_break_or_nul(key) || (v1 && !parse_key(key)))
        return "malformed(len=" + std::to_string(key.size()) + ")";
    if (!v1) return "legacy(len=" + std::to_string(key.size()) + ")";
    return std::string(key.substr(0, key.rfind('.') + 1)) + "*";
}

}  // namespace ref

// ---------------------------------------------------------------------------
// Input generators

using Rng = std::mt19937;

template <class T>
const T& pick(Rng& rng, const std::vector<T>& v) {
    return v[std::uniform_int_distribution<std::size_t>(0, v.size() - 1)(rng)];
}

int roll(Rng& rng, int n) { return std::uniform_int_distribution<int>(0, n - 1)(rng); }

Secret secret_s1() { return Secret{"s1", test::bytes_0_to_31(), true}; }

const std::string& good_key() {
    static const std::string k = issue_key(secret_s1(), "cam1", 1700000000, 1700003600);
    return k;
}

// A key near the valid one: mutated characters, cut, doubled fields...
std::string mutated_key(Rng& rng) {
    static const std::vector<std::string> bits = {
        ".",  "",   "A", "B",   "g",    "-",    "_",   "=",       "+", "/", "%", "0", "1", "9", std::string(1, '\0'),
        "\n", "\r", " ", "v1.", "Cam1", "cam-", "s_2", "\xc3\xa9"};
    std::string k = roll(rng, 8) == 0 ? issue_key(secret_s1(), "front-door", 1, 999'999'999'999) : good_key();
    const int edits = roll(rng, 4);
    for (int e = 0; e < edits; ++e) {
        std::size_t at = static_cast<std::size_t>(roll(rng, static_cast<int>(k.size()) + 1));
        switch (roll(rng, 4)) {
            case 0: k.insert(at, pick(rng, bits)); break;
            case 1:
                if (at < k.size()) k.erase(at, static_cast<std::size_t>(1 + roll(rng, 3)));
                break;
            case 2:
                if (at < k.size()) k[at] = pick(rng, bits).empty() ? 'x' : pick(rng, bits)[0];
                break;
            default: k = k.substr(0, at); break;
        }
    }
    if (roll(rng, 20) == 0) k += std::string(static_cast<std::size_t>(roll(rng, 400)), 'a');
    return k;
}

// The valid key with one field replaced (times equal, zero, too long...).
std::string field_key(Rng& rng) {
    static const std::vector<std::string> fields[5] = {
        {"cam1", "Cam1", "", "-cam", "cam-", "front-door", std::string(63, 'c'), std::string(64, 'c'), "cam_1"},
        {"s1", "old", "nope", "", "S_1-x", std::string(32, 's'), std::string(33, 's'), "s.1", "s%1"},
        {"1700000000", "1700003600", "1700003601", "0", "01700000000", "999999999999", "1000000000000", "",
         "+1700000000", "17000000x0", "1"},
        {"1700003600", "1700000000", "1699999999", "0", "999999999999", "1000000000000", "", "1"},
        {"OQZ4Gy41w2zPnGiH3BsBSMXYgCK2j-G5iizvEtHiqjc", "OQZ4Gy41w2zPnGiH3BsBSMXYgCK2j-G5iizvEtHiqjd",
         "OQZ4Gy41w2zPnGiH3BsBSMXYgCK2j-G5iizvEtHiqj", "OQZ4Gy41w2zPnGiH3BsBSMXYgCK2j-G5iizvEtHiqjcA",
         "OQZ4Gy41w2zPnGiH3BsBSMXYgCK2j-G5iizvEtHiqj=", std::string(43, 'A'), std::string(42, 'A') + "E"}};
    std::string k = "v1";
    for (int i = 0; i < 5; ++i) {
        k += '.';
        k += roll(rng, 3) == 0 ? pick(rng, fields[i]) : fields[i][0];
    }
    return k;
}

std::string random_key(Rng& rng) {
    if (roll(rng, 3) == 0) return field_key(rng);
    switch (roll(rng, 6)) {
        case 0: return good_key();
        case 1:
            return pick(rng,
                        std::vector<std::string>{"", "open-sesame", "v1", "v1.", "V1.x", "x\ny",
                                                 std::string(kMaxKeyLength, 'a'), std::string(kMaxKeyLength + 1, 'a')});
        default: return mutated_key(rng);
    }
}

std::string random_url(Rng& rng) {
    static const std::vector<std::string> firsts = {"cam1", "cam2",   "front-door", "cam9",       "Cam1", "",
                                                    "x",    "cam%31", "-cam",       "index.html", "cam1x"};
    static const std::vector<std::string> rests = {"",        "/",      "/x",      "/a/b",  "/cam2/", "/x.js",
                                                   "/..",     "/./x",   "/%2e%2E", "/%2E/", "/...",   "/.x",
                                                   "/a%2f..", "/a\\..", "/%2e.",   "/%2",   "/.%2",   "/a%5C."};
    static const std::vector<std::string> names = {"k",     "K",     "%6b",  "%6B",  "%6",     "k%",     "cam",
                                                   "%63am", "c%61m", "%63a", "c%61", "%63%61", "camera", "a",
                                                   "",      "%00",   "%6b%", "kk",   "%2k",    "t",      "%6b%00"};
    static const std::vector<std::string> values = {"",     "v1.cam1", "%zz",         "a%00b",  "%41",        "x%2",
                                                    "cam1", "cam2",    "CAM2",        "cam%32", "front-door", "=",
                                                    "a=b",  "%",       "open-sesame", "cam9",   "%76%31.cam1"};
    std::string url = roll(rng, 30) == 0 ? pick(rng, std::vector<std::string>{"", "x", "*", "/a b", "/\x7f"}) : "/";
    url += pick(rng, firsts);
    url += pick(rng, rests);
    if (roll(rng, 4) != 0) {
        url += roll(rng, 15) == 0 ? "??" : "?";
        const int n = roll(rng, 6);
        for (int i = 0; i < n; ++i) {
            if (i > 0) url += roll(rng, 10) == 0 ? "&&" : "&";
            url += pick(rng, names);
            if (roll(rng, 5) != 0) {
                url += "=";
                url += roll(rng, 3) == 0 ? random_key(rng) : pick(rng, values);
            }
        }
        if (roll(rng, 10) == 0) url += "&";
    }
    return url;
}

std::string random_host(Rng& rng) {
    static const std::vector<std::string> hosts = {"",
                                                   "relay.example.com",
                                                   "cam2.relay.example.com",
                                                   "CAM2.Relay.Example.COM.",
                                                   "cam2.relay.example.com:80",
                                                   "[::1]:80",
                                                   "[cam2.relay.example.com]",
                                                   "a.b.relay.example.com",
                                                   "cam9.relay.example.com",
                                                   "x\ty",
                                                   "front-door.relay.example.com.:8443",
                                                   "cam_2.relay.example.com",
                                                   ".relay.example.com",
                                                   "cam2relay.example.com",
                                                   std::string(kMaxHostLength + 1, 'h')};
    return pick(rng, hosts);
}

std::vector<RouteConfig> route_configs() {
    std::vector<RouteConfig> out;
    for (const char* order : {"path,host,query", "query,host,path", "host,path", "path", "query", "host"}) {
        for (const char* param : {"cam", "camera", "k", ""}) {
            for (const char* suffix : {"relay.example.com", ".Relay.Example.com.", "", "."}) {
                RouteConfig c;
                c.order = parse_route_order(order);
                c.query_param = param;
                c.host_suffix = suffix;
                out.push_back(c);
            }
        }
    }
    return out;
}

Registry registry(bool with_default) { return test::three_cameras(with_default ? "default cam2\n" : ""); }

std::string show(std::string_view s) {
    std::string out;
    for (char c : s) {
        auto u = static_cast<unsigned char>(c);
        if (u < 0x20 || u >= 0x7f) {
            char buf[8];
            std::snprintf(buf, sizeof buf, "\\x%02x", u);
            out += buf;
        } else {
            out += c;
        }
    }
    return out;
}

// The rest of what route_request says, once the status is checked: a Route,
// or a RouteResult (the key a view), against the reference's Route.
template <class Result>
void expect_same_route(const Result& got, const Route& want, const std::string& what) {
    EXPECT_EQ(got.reason, want.reason) << what;
    EXPECT_EQ(got.camera, want.camera) << what;
    EXPECT_EQ(got.url, want.url) << what;
    EXPECT_EQ(got.key, want.key) << what;
    EXPECT_EQ(got.key_count, want.key_count) << what;
}

}  // namespace

// ---------------------------------------------------------------------------
// base64url_decode_into

TEST(Base64urlDecodeInto, DecodesWhatEncodeMakes) {
    Rng rng(1);
    for (std::size_t len = 0; len <= 70; ++len) {
        std::vector<std::uint8_t> data(len);
        for (auto& b : data) b = static_cast<std::uint8_t>(roll(rng, 256));
        std::string text = base64url_encode(data.data(), data.size());
        EXPECT_EQ(text.size(), base64url_length(len));
        std::vector<std::uint8_t> out(len + 1, 0xee);
        ASSERT_TRUE(base64url_decode_into(text, out.data(), len)) << text;
        EXPECT_TRUE(std::equal(data.begin(), data.end(), out.begin())) << text;
        EXPECT_EQ(out[len], 0xee) << "wrote past out_len";
    }
}

TEST(Base64urlDecodeInto, KnownMac) {
    // The MAC of tests/core/test_key.cpp's known key.
    Digest d{};
    ASSERT_TRUE(base64url_decode_into("OQZ4Gy41w2zPnGiH3BsBSMXYgCK2j-G5iizvEtHiqjc", d.data(), d.size()));
    EXPECT_EQ(hex_encode(d), "3906781b2e35c36ccf9c6887dc1b0148c5d88022b68fe1b98a2cef12d1e2aa37");
}

TEST(Base64urlDecodeInto, Strict) {
    Digest d{};
    const std::string mac = "OQZ4Gy41w2zPnGiH3BsBSMXYgCK2j-G5iizvEtHiqjc";
    ASSERT_EQ(mac.size(), 43u);
    // Wrong lengths for 32 bytes, whatever the content.
    EXPECT_FALSE(base64url_decode_into(mac.substr(0, 42), d.data(), d.size()));
    EXPECT_FALSE(base64url_decode_into(mac + "A", d.data(), d.size()));
    EXPECT_FALSE(base64url_decode_into(mac + "=", d.data(), d.size()));
    EXPECT_FALSE(base64url_decode_into("", d.data(), d.size()));
    EXPECT_FALSE(base64url_decode_into(mac, d.data(), 31));
    EXPECT_FALSE(base64url_decode_into(mac, d.data(), 33));
    // Every byte outside the alphabet, at every kind of position (full
    // quad, and the 3-character tail).
    for (int c = 0; c < 256; ++c) {
        const char ch = static_cast<char>(c);
        const bool in_alphabet =
            (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '-' || ch == '_';
        for (std::size_t at : {0u, 1u, 2u, 3u, 21u, 40u, 41u, 42u}) {
            std::string t = mac;
            t[at] = ch;
            bool ok = base64url_decode_into(t, d.data(), d.size());
            if (!in_alphabet) {
                EXPECT_FALSE(ok) << "byte " << c << " at " << at;
            }
        }
    }
    // The last character of 32 bytes carries 4 data bits and 2 that must be
    // zero: only every fourth letter of the alphabet may end a MAC.
    static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    for (int v = 0; v < 64; ++v) {
        std::string t = mac;
        t.back() = kAlphabet[v];
        EXPECT_EQ(base64url_decode_into(t, d.data(), d.size()), v % 4 == 0) << t;
    }
    // One trailing byte: 2 characters, the second with 4 zero bits.
    std::uint8_t one = 0;
    for (int v = 0; v < 64; ++v) {
        std::string t = std::string("Q") + kAlphabet[v];
        EXPECT_EQ(base64url_decode_into(t, &one, 1), v % 16 == 0) << t;
    }
    EXPECT_TRUE(base64url_decode_into("QQ", &one, 0) == false);
    EXPECT_TRUE(base64url_decode_into("", &one, 0));
    // Standard base64's '+' and '/' are not URL-safe base64.
    EXPECT_FALSE(base64url_decode_into("+/+/", d.data(), 3));
    EXPECT_TRUE(base64url_decode_into("-_-_", d.data(), 3));
}

TEST(Base64urlDecode, AgreesWithReference) {
    Rng rng(2);
    static const std::string chars = "AQgw-_zZ09+/= .\n";
    for (int i = 0; i < 20000; ++i) {
        std::string t;
        const int len = roll(rng, 14);
        for (int j = 0; j < len; ++j) t += chars[static_cast<std::size_t>(roll(rng, static_cast<int>(chars.size())))];
        EXPECT_EQ(base64url_decode(t), ref::base64url_decode(t)) << show(t);
    }
}

// ---------------------------------------------------------------------------
// Keys

TEST(KeyHotPath, ParseLogAndCheckAgreeWithReference) {
    SecretSet secrets;
    secrets.add(secret_s1());
    secrets.add(Secret{"old", std::vector<std::uint8_t>(32, 7), false});
    KeyPolicy plain;
    KeyPolicy legacy;
    legacy.legacy_sha256 = sha256("open-sesame");
    legacy.revoke_before = 1700000001;
    Rng rng(3);
    int valid = 0;
    for (int i = 0; i < 20000; ++i) {
        const std::string key = random_key(rng);
        auto got = parse_key(key);
        auto want = ref::parse_key(key);
        ASSERT_EQ(got.has_value(), want.has_value()) << show(key);
        if (got) {
            ++valid;
            EXPECT_EQ(got->camera, want->camera);
            EXPECT_EQ(got->secret_id, want->secret_id);
            EXPECT_EQ(got->issued, want->issued);
            EXPECT_EQ(got->expires, want->expires);
            EXPECT_EQ(got->mac, want->mac);
        }
        const std::string log = ref::loggable_key(key);
        EXPECT_EQ(loggable_key(key), log) << show(key);
        for (const KeyPolicy* policy : {&plain, &legacy}) {
            for (std::int64_t now : {1700000100, 1700003600}) {
                for (const char* camera : {"cam1", "front-door"}) {
                    const KeyVerdict v = ref::check_key(secrets, key, camera, *policy, now);
                    EXPECT_EQ(check_key(secrets, key, camera, *policy, now), v) << show(key);
                    std::string both = "stale";
                    EXPECT_EQ(check_key(secrets, key, camera, *policy, now, both), v) << show(key);
                    EXPECT_EQ(both, log) << show(key);
                }
            }
        }
    }
    EXPECT_GT(valid, 1000);  // the generator does reach the MAC
}

TEST(KeyHotPath, LoggableKeyIntoReusesItsString) {
    std::string out(300, 'x');
    loggable_key(good_key(), out);
    EXPECT_EQ(out, "v1.cam1.s1.1700000000.1700003600.*");
    loggable_key("", out);
    EXPECT_EQ(out, "");
    loggable_key("open-sesame", out);
    EXPECT_EQ(out, "legacy(len=11)");
    loggable_key(std::string(8192, 'k'), out);
    EXPECT_EQ(out, "malformed(len=8192)");
}

// ---------------------------------------------------------------------------
// Routing

TEST(RoutingHotPath, PercentDecodeAgreesWithReference) {
    Rng rng(4);
    static const std::vector<std::string> bits = {"%",  "4",   "1",   "g", "0", "a", "F", "+", std::string(1, '\0'),
                                                  "%2", "%41", "%00", "x"};
    for (int i = 0; i < 20000; ++i) {
        std::string t;
        const int n = roll(rng, 7);
        for (int j = 0; j < n; ++j) t += pick(rng, bits);
        EXPECT_EQ(percent_decode(t), ref::percent_decode(t)) << show(t);
    }
}

TEST(RoutingHotPath, PercentDecodeStaysInsideTheView) {
    // The bytes after a view's end are not part of it: "%4" then "1".
    const std::string text = "%41";
    EXPECT_FALSE(percent_decode(std::string_view(text).substr(0, 2)).has_value());
    EXPECT_FALSE(percent_decode(std::string_view(text).substr(0, 1)).has_value());
    EXPECT_EQ(percent_decode(text), "A");
    // The same at the end of a key parameter that is followed by more URL.
    const Registry reg = registry(false);
    RouteResult r;
    route_request(RouteConfig{}, reg, "/cam1/?k=%4&x=1", "", r);
    EXPECT_EQ(r.status, Route::Status::bad_request);
    EXPECT_EQ(r.reason, "invalid percent-encoding in key");
}

TEST(RoutingHotPath, RemoveQueryParamAgreesWithReference) {
    Rng rng(5);
    for (int i = 0; i < 20000; ++i) {
        const std::string url = random_url(rng);
        for (const std::string& name :
             {std::string("k"), std::string("cam"), std::string("a"), std::string(), std::string(1, '\0')}) {
            std::vector<std::string> values = {"before"};
            const std::string got = remove_query_param(url, name, &values);
            ref::Removed want = ref::remove_param(url, name);
            EXPECT_EQ(got, want.url) << show(url) << " name " << show(name);
            want.values.insert(want.values.begin(), "before");
            EXPECT_EQ(values, want.values) << show(url) << " name " << show(name);
            EXPECT_EQ(remove_query_param(url, name, nullptr), want.url);
        }
    }
}

TEST(RoutingHotPath, RouteRequestAgreesWithReference) {
    const Registry plain = registry(false);
    const Registry with_default = registry(true);
    const std::vector<RouteConfig> configs = route_configs();
    Rng rng(6);
    RouteResult reused;  // also checks that nothing leaks from one request to the next
    int ok = 0;
    for (int i = 0; i < 40000; ++i) {
        const std::string url = random_url(rng);
        const std::string host = random_host(rng);
        const RouteConfig& config = pick(rng, configs);
        const Registry& reg = roll(rng, 2) == 0 ? plain : with_default;
        const Route want = ref::route_request(config, reg, url, host);
        const Route got = route_request(config, reg, url, host);
        const std::string what = show(url) + " host " + show(host);
        ASSERT_EQ(got.status, want.status) << what;
        expect_same_route(got, want, what);
        route_request(config, reg, url, host, reused);
        EXPECT_EQ(reused.status, want.status) << what;
        expect_same_route(reused, want, what);
        ok += want.status == Route::Status::ok;
    }
    EXPECT_GT(ok, 5000);
}

TEST(RoutingHotPath, KeyViewsTheUrlUnlessDecoded) {
    const Registry reg = registry(false);
    RouteResult r;
    const std::string url = "/cam1/x?a=1&k=" + good_key() + "&b=2";
    route_request(RouteConfig{}, reg, url, "", r);
    ASSERT_EQ(r.status, Route::Status::ok);
    EXPECT_EQ(r.key, good_key());
    EXPECT_TRUE(r.key.data() >= url.data() && r.key.data() < url.data() + url.size());
    EXPECT_EQ(r.url, "/x?a=1&b=2");
    route_request(RouteConfig{}, reg, "/cam1/?k=v1%2Ecam1", "", r);
    EXPECT_EQ(r.key, "v1.cam1");
    EXPECT_EQ(r.key.data(), r.key_buffer.data());
    EXPECT_EQ(r.url, "/");
}

// ---------------------------------------------------------------------------
// Relay::decide into a reused Decision

TEST(DecideHotPath, ReusedDecisionEqualsAFreshOne) {
    SecretSet secrets;
    secrets.add(secret_s1());
    RouteConfig rc;
    rc.host_suffix = "relay.example.com";
    Relay relay(registry(false), std::move(secrets), rc);
    Rng rng(7);
    Decision reused;
    for (int i = 0; i < 20000; ++i) {
        const std::string url = roll(rng, 3) == 0 ? "/cam1/?k=" + random_key(rng) : random_url(rng);
        const std::string host = random_host(rng);
        const std::int64_t now = roll(rng, 2) == 0 ? 1700000100 : 1700003600;
        const bool require_key = roll(rng, 4) != 0;
        const Decision fresh = relay.decide(url, host, now, require_key);
        relay.decide(reused, url, host, now, require_key);
        const std::string what = show(url) + " host " + show(host);
        ASSERT_EQ(reused.outcome, fresh.outcome) << what;
        EXPECT_EQ(reused.reason, fresh.reason) << what;
        EXPECT_EQ(reused.camera, fresh.camera) << what;
        EXPECT_EQ(reused.url, fresh.url) << what;
        EXPECT_EQ(reused.key_for_log, fresh.key_for_log) << what;
        // And both agree with the reference pieces.
        const Route r = ref::route_request(rc, relay.registry(), url, host);
        EXPECT_EQ(fresh.url, r.url) << what;
        EXPECT_EQ(fresh.key_for_log, ref::loggable_key(r.key)) << what;
    }
}
