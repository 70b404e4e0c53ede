// The HTTP head parser: any split of the input gives the same head.
#include <gtest/gtest.h>

#include <string>

#include "protocol/http_head.hpp"

namespace camrelay::bench::http {
namespace {

std::span<const std::uint8_t> bytes(const std::string& s) {
    return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

TEST(HttpHead, ParsesARequestAndLeavesWhatFollows) {
    const std::string text =
        "GET /cam1/?k=v1.x HTTP/1.1\r\nHost: relay:80\r\nUpgrade:  websocket \r\n\r\n" + std::string("\x81\x00", 2);
    HeadParser p(HeadKind::request);
    std::size_t used = p.feed(bytes(text));
    ASSERT_TRUE(p.complete()) << p.error();
    EXPECT_EQ(used, text.size() - 2);
    EXPECT_EQ(p.head().method, "GET");
    EXPECT_EQ(p.head().target, "/cam1/?k=v1.x");
    EXPECT_EQ(p.head().version, "HTTP/1.1");
    EXPECT_EQ(p.head().find("upgrade"), "websocket");
    EXPECT_EQ(p.head().find("missing"), std::nullopt);
}

TEST(HttpHead, ParsesAResponseSplitAtEveryByte) {
    const std::string text =
        "HTTP/1.1 403 Forbidden\r\ncamrelay-reason: bad_signature\r\nContent-Length: 5\r\n\r\nhello";
    const std::size_t head_size = text.size() - 5;
    for (std::size_t split = 0; split <= text.size(); ++split) {
        HeadParser p(HeadKind::response);
        std::size_t used = p.feed(bytes(text.substr(0, split)));
        if (!p.complete()) used += p.feed(bytes(text.substr(split)));
        ASSERT_TRUE(p.complete()) << split;
        EXPECT_EQ(used, head_size) << split;
        EXPECT_EQ(p.head().status, 403);
        EXPECT_EQ(p.head().reason, "Forbidden");
        EXPECT_EQ(p.head().find("CAMRELAY-REASON"), "bad_signature");
    }
}

TEST(HttpHead, ByteByByte) {
    const std::string text = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n";
    HeadParser p(HeadKind::response);
    for (char c : text) {
        std::string one(1, c);
        EXPECT_FALSE(p.complete());
        EXPECT_EQ(p.feed(bytes(one)), 1u);
    }
    EXPECT_TRUE(p.complete());
    EXPECT_EQ(p.head().status, 101);
}

TEST(HttpHead, AcceptsBareLineFeedsAndAnEmptyReason) {
    HeadParser p(HeadKind::response);
    p.feed(bytes("HTTP/1.1 101\nUpgrade: websocket\n\n"));
    ASSERT_TRUE(p.complete()) << p.error();
    EXPECT_EQ(p.head().status, 101);
    EXPECT_EQ(p.head().reason, "");
}

TEST(HttpHead, TokenLists) {
    HeadParser p(HeadKind::request);
    p.feed(bytes("GET / HTTP/1.1\r\nConnection: keep-alive\r\nConnection: Upgrade , close\r\n\r\n"));
    ASSERT_TRUE(p.complete());
    EXPECT_TRUE(p.head().has_token("connection", "upgrade"));
    EXPECT_TRUE(p.head().has_token("Connection", "keep-alive"));
    EXPECT_FALSE(p.head().has_token("Connection", "upgra"));
    EXPECT_FALSE(p.head().has_token("Upgrade", "websocket"));
}

TEST(HttpHead, RejectsMalformedHeads) {
    const char* bad_requests[] = {
        "\r\n",         // empty start line
        "GET\r\n\r\n",  // no target
        "GET / HTTP/1.1 extra\r\n\r\n",
        "GET / HTTX/1.1\r\n\r\n",
        "GET / HTTP/1.1\r\nNo colon\r\n\r\n",
        "GET / HTTP/1.1\r\n: empty name\r\n\r\n",
        "GET / HTTP/1.1\r\nBad Name: x\r\n\r\n",
        "GET / HTTP/1.1\r\nA: b\r\n folded\r\n\r\n",
        "GET / HTTP/1.1\r\nA: b\x01\r\n\r\n",
    };
    for (const char* text : bad_requests) {
        HeadParser p(HeadKind::request);
        p.feed(bytes(text));
        EXPECT_TRUE(p.failed()) << text;
        EXPECT_FALSE(p.error().empty());
    }
    HeadParser r(HeadKind::response);
    r.feed(bytes("HTTP/1.1 2x0 OK\r\n\r\n"));
    EXPECT_TRUE(r.failed());
}

TEST(HttpHead, RejectsAHeadAboveTheLimit) {
    HeadParser p(HeadKind::request, 64);
    p.feed(bytes("GET / HTTP/1.1\r\nX: " + std::string(100, 'a') + "\r\n\r\n"));
    EXPECT_TRUE(p.failed());
}

}  // namespace
}  // namespace camrelay::bench::http
