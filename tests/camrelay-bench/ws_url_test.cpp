// ws:// and wss:// URL parsing: what is accepted and the reasons for what is not.
#include <gtest/gtest.h>

#include <cstdint>
#include <utility>

#include "protocol/ws_url.hpp"

namespace camrelay::bench::ws {
namespace {

Url ok(const char* text) {
    auto r = parse_url(text);
    EXPECT_TRUE(std::holds_alternative<Url>(r))
        << text << ": " << (std::holds_alternative<std::string>(r) ? std::get<std::string>(r) : "");
    return std::holds_alternative<Url>(r) ? std::get<Url>(r) : Url{};
}

std::string bad(const char* text) {
    auto r = parse_url(text);
    EXPECT_TRUE(std::holds_alternative<std::string>(r)) << text;
    return std::holds_alternative<std::string>(r) ? std::get<std::string>(r) : "";
}

TEST(WsUrl, Accepted) {
    struct Expected {
        const char* text;
        bool secure;
        const char* host;
        std::uint16_t port;
        const char* target;
        const char* host_header;  // each scheme leaves out its own default port only
    };
    const Expected accepted[] = {
        {"ws://127.0.0.1:8080/cam1/?k=v1.abc&e=5", false, "127.0.0.1", 8080, "/cam1/?k=v1.abc&e=5", "127.0.0.1:8080"},
        {"ws://relay.example", false, "relay.example", 80, "/", "relay.example"},
        {"WS://h:1?x=1", false, "h", 1, "/?x=1", "h:1"},
        {"ws://[::1]:9001/x", false, "::1", 9001, "/x", "[::1]:9001"},
        {"ws://h:443/", false, "h", 443, "/", "h:443"},
        {"wss://relay.example/cam1/?k=v1.abc", true, "relay.example", 443, "/cam1/?k=v1.abc", "relay.example"},
        {"WSS://127.0.0.1:8443?k=1", true, "127.0.0.1", 8443, "/?k=1", "127.0.0.1:8443"},
        {"wss://h:80/", true, "h", 80, "/", "h:80"},
        {"wss://[::1]:443/", true, "::1", 443, "/", "[::1]"},
    };
    for (const Expected& e : accepted) {
        Url u = ok(e.text);
        EXPECT_EQ(u.secure, e.secure) << e.text;
        EXPECT_EQ(u.host, e.host) << e.text;
        EXPECT_EQ(u.port, e.port) << e.text;
        EXPECT_EQ(u.target, e.target) << e.text;
        EXPECT_EQ(u.host_header(), e.host_header) << e.text;
    }
}

TEST(WsUrl, RefusedWithAReason) {
    // Each URL, and a part of the reason it is refused with.
    const std::pair<const char*, const char*> refused[] = {
        {"https://h/", "not ws or wss"}, {"http://h/", "not ws or wss"},    {"127.0.0.1:8080", "wss://"},
        {"wss://h:0/", "out of range"},  {"wss:///x", "missing host"},      {"wss://h/#f", "fragment"},
        {"ws://:80/", "missing host"},   {"ws://h:0/", "out of range"},     {"ws://h:65536/", "out of range"},
        {"ws://h:8o/", "not a number"},  {"ws://h:/", "empty port"},        {"ws://h/#frag", "fragment"},
        {"ws://u@h/", "user"},           {"ws://h/a b", "percent-encoded"}, {"ws://[::1/", "IPv6"}};
    for (const auto& [url, reason] : refused) EXPECT_NE(bad(url).find(reason), std::string::npos) << url;
}

}  // namespace
}  // namespace camrelay::bench::ws
