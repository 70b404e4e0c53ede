// The per-request path (base64url_decode_into, parse_key, loggable_key,
// check_key, percent_decode, remove_query_param, route_request,
// Relay::decide) was rewritten for speed. These tests hold it to the
// behaviour of the straightforward versions it replaced, kept as a
// reference model in reference_model.hpp (the fuzz targets in tests/fuzz
// use it too), on many generated inputs (fixed seeds: repeatable).
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
#include "reference_model.hpp"
#include "test_util.hpp"

using namespace camrelay;

namespace {

namespace ref = camrelay::test::ref;

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
