// The opening handshake, both sides, against RFC 6455's own example.
#include <gtest/gtest.h>

#include <array>
#include <cstring>

#include "protocol/handshake.hpp"
#include "protocol/http_head.hpp"

namespace camrelay::bench::ws {
namespace {

http::Head parse(http::HeadKind kind, const std::string& text) {
    http::HeadParser parser(kind);
    parser.feed({reinterpret_cast<const std::uint8_t*>(text.data()), text.size()});
    EXPECT_TRUE(parser.complete()) << parser.error();
    return parser.head();
}

std::string request_with(const std::string& replace, const std::string& by) {
    std::string r =
        "GET /chat HTTP/1.1\r\nHost: server.example.com\r\nUpgrade: websocket\r\n"
        "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
        "Sec-WebSocket-Version: 13\r\n\r\n";
    if (!replace.empty()) r.replace(r.find(replace), replace.size(), by);
    return r;
}

TEST(Handshake, AcceptValueOfTheRfcExample) {
    // RFC 6455 section 1.3.
    EXPECT_EQ(accept_for_key("dGhlIHNhbXBsZSBub25jZQ=="), "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
}

TEST(Handshake, KeyIsTheBase64OfTheNonce) {
    std::array<std::uint8_t, 16> nonce{};
    std::memcpy(nonce.data(), "the sample nonce", 16);
    EXPECT_EQ(make_key(nonce), "dGhlIHNhbXBsZSBub25jZQ==");
    EXPECT_TRUE(is_valid_key(make_key(nonce)));
}

TEST(Handshake, KeyShape) {
    EXPECT_TRUE(is_valid_key("AAAAAAAAAAAAAAAAAAAAAA=="));
    EXPECT_FALSE(is_valid_key(""));
    EXPECT_FALSE(is_valid_key("dGhlIHNhbXBsZSBub25jZQ="));   // 23 characters
    EXPECT_FALSE(is_valid_key("dGhlIHNhbXBsZSBub25jZQ=A"));  // padding
    EXPECT_FALSE(is_valid_key("dGhlIHNhbXBsZSBub25j!Q=="));  // not base64
    EXPECT_FALSE(is_valid_key("dGhlIHNhbXBsZSBub25jZQ==AAAA"));
}

TEST(Handshake, ClientRequestIsAValidUpgrade) {
    std::string text = build_upgrade_request("/x?k=1&e=2", "127.0.0.1:8080", "dGhlIHNhbXBsZSBub25jZQ==");
    http::Head head = parse(http::HeadKind::request, text);
    EXPECT_EQ(head.method, "GET");
    EXPECT_EQ(head.target, "/x?k=1&e=2");
    EXPECT_EQ(head.find("Host"), "127.0.0.1:8080");
    RequestVerdict v = judge_request(head);
    ASSERT_EQ(v.kind, RequestVerdict::Kind::upgrade);
    EXPECT_EQ(v.accept, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
}

TEST(Handshake, ServerAcceptsTheRfcExampleRequest) {
    RequestVerdict v = judge_request(parse(http::HeadKind::request, request_with("", "")));
    ASSERT_EQ(v.kind, RequestVerdict::Kind::upgrade);
    http::Head response = parse(http::HeadKind::response, upgrade_response(v.accept));
    EXPECT_EQ(response.status, 101);
    EXPECT_EQ(check_upgrade_response(response, "dGhlIHNhbXBsZSBub25jZQ=="), std::nullopt);
}

TEST(Handshake, HeaderNamesAndTokensAreCaseInsensitive) {
    std::string r = request_with("Upgrade: websocket", "upgrade: WebSocket");
    r.replace(r.find("Connection: Upgrade"), 19, "connection: keep-alive, UPGRADE");
    EXPECT_EQ(judge_request(parse(http::HeadKind::request, r)).kind, RequestVerdict::Kind::upgrade);
}

TEST(Handshake, PlainRequestsAreNotUpgrades) {
    http::Head head = parse(http::HeadKind::request, "GET /index.html HTTP/1.1\r\nHost: a\r\n\r\n");
    EXPECT_EQ(judge_request(head).kind, RequestVerdict::Kind::plain_http);
}

TEST(Handshake, BrokenUpgradesAreRefused) {
    struct Case {
        std::string replace, by;
        int status;
    };
    const Case cases[] = {
        {"GET", "POST", 405},
        {"HTTP/1.1\r\nHost", "HTTP/1.0\r\nHost", 400},
        {"Host: server.example.com\r\n", "", 400},
        {"Connection: Upgrade", "Connection: keep-alive", 400},
        {"Sec-WebSocket-Version: 13", "Sec-WebSocket-Version: 8", 426},
        {"Sec-WebSocket-Version: 13\r\n", "", 426},
        {"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n", "", 400},
        {"dGhlIHNhbXBsZSBub25jZQ==", "short", 400},
    };
    for (const auto& c : cases) {
        RequestVerdict v = judge_request(parse(http::HeadKind::request, request_with(c.replace, c.by)));
        EXPECT_EQ(v.kind, RequestVerdict::Kind::refuse) << c.by;
        EXPECT_EQ(v.status, c.status) << c.by;
        EXPECT_FALSE(v.reason.empty());
    }
}

TEST(Handshake, ClientRejectsBadResponses) {
    const std::string key = "dGhlIHNhbXBsZSBub25jZQ==";
    const std::string good =
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n";
    EXPECT_EQ(check_upgrade_response(parse(http::HeadKind::response, good + "\r\n"), key), std::nullopt);
    auto bad = [&](const std::string& text) {
        return check_upgrade_response(parse(http::HeadKind::response, text), key);
    };
    EXPECT_NE(bad("HTTP/1.1 200 OK\r\n\r\n"), std::nullopt);
    EXPECT_NE(bad("HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\n"
                  "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n"),
              std::nullopt);
    EXPECT_NE(bad("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                  "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n"),
              std::nullopt);
    EXPECT_NE(bad("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                  "Sec-WebSocket-Accept: AAAAAAAAAAAAAAAAAAAAAAAAAAA=\r\n\r\n"),
              std::nullopt);
    EXPECT_NE(bad(good + "Sec-WebSocket-Extensions: permessage-deflate\r\n\r\n"), std::nullopt);
    EXPECT_NE(bad(good + "Sec-WebSocket-Protocol: chat\r\n\r\n"), std::nullopt);
}

TEST(Handshake, SimpleResponseHasALengthAndClosesTheConnection) {
    http::Head head =
        parse(http::HeadKind::response, simple_response(403, "Forbidden", "text/plain", "no\n", "X-A: b\r\n"));
    EXPECT_EQ(head.status, 403);
    EXPECT_EQ(head.find("Content-Length"), "3");
    EXPECT_TRUE(head.has_token("Connection", "close"));
    EXPECT_EQ(head.find("x-a"), "b");
}

}  // namespace
}  // namespace camrelay::bench::ws
