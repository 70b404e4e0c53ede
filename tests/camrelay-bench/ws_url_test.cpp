// ws:// URL parsing: what is accepted and the reasons for what is not.
#include <gtest/gtest.h>

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
    EXPECT_NE(bad("wss://h/").find("not supported"), std::string::npos);
    EXPECT_NE(bad("http://h/").find("not ws"), std::string::npos);
    EXPECT_NE(bad("127.0.0.1:8080").find("ws://"), std::string::npos);
    EXPECT_NE(bad("ws://:80/").find("missing host"), std::string::npos);
    EXPECT_NE(bad("ws://h:0/").find("out of range"), std::string::npos);
    EXPECT_NE(bad("ws://h:65536/").find("out of range"), std::string::npos);
    EXPECT_NE(bad("ws://h:8o/").find("not a number"), std::string::npos);
    EXPECT_NE(bad("ws://h:/").find("empty port"), std::string::npos);
    EXPECT_NE(bad("ws://h/#frag").find("fragment"), std::string::npos);
    EXPECT_NE(bad("ws://u@h/").find("user"), std::string::npos);
    EXPECT_NE(bad("ws://h/a b").find("percent-encoded"), std::string::npos);
    EXPECT_NE(bad("ws://[::1/").find("IPv6"), std::string::npos);
}

}  // namespace
}  // namespace camrelay::bench::ws
