// ws:// URL parsing: what is accepted and the reasons for what is not.
#include <gtest/gtest.h>

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
    Url u = ok("ws://127.0.0.1:8080/cam1/?k=v1.abc&e=5");
    EXPECT_EQ(u.host, "127.0.0.1");
    EXPECT_EQ(u.port, 8080);
    EXPECT_EQ(u.target, "/cam1/?k=v1.abc&e=5");
    EXPECT_EQ(u.host_header(), "127.0.0.1:8080");
    Url d = ok("ws://relay.example");
    EXPECT_EQ(d.port, 80);
    EXPECT_EQ(d.target, "/");
    EXPECT_EQ(d.host_header(), "relay.example");
    Url q = ok("WS://h:1?x=1");
    EXPECT_EQ(q.target, "/?x=1");
    Url v6 = ok("ws://[::1]:9001/x");
    EXPECT_EQ(v6.host, "::1");
    EXPECT_EQ(v6.port, 9001);
    EXPECT_EQ(v6.host_header(), "[::1]:9001");
}

TEST(WsUrl, RefusedWithAReason) {
    // Each URL, and a part of the reason it is refused with.
    const std::pair<const char*, const char*> refused[] = {
        {"wss://h/", "not supported"},  {"http://h/", "not ws"},           {"127.0.0.1:8080", "ws://"},
        {"ws://:80/", "missing host"},  {"ws://h:0/", "out of range"},     {"ws://h:65536/", "out of range"},
        {"ws://h:8o/", "not a number"}, {"ws://h:/", "empty port"},        {"ws://h/#frag", "fragment"},
        {"ws://u@h/", "user"},          {"ws://h/a b", "percent-encoded"}, {"ws://[::1/", "IPv6"}};
    for (const auto& [url, reason] : refused) EXPECT_NE(bad(url).find(reason), std::string::npos) << url;
}

}  // namespace
}  // namespace camrelay::bench::ws
