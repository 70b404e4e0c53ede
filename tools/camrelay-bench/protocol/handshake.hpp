// camrelay-bench protocol: the WebSocket opening handshake (RFC 6455
// section 4), both sides, as pure functions over HTTP heads and strings.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "http_head.hpp"

namespace camrelay::bench::ws {

// Appended to Sec-WebSocket-Key before hashing (RFC 6455 section 1.3).
inline constexpr std::string_view kAcceptGuid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

// Sec-WebSocket-Key for a 16-byte random nonce.
std::string make_key(std::span<const std::uint8_t, 16> nonce);

// Sec-WebSocket-Accept for a key: base64(SHA-1(key + GUID)).
std::string accept_for_key(std::string_view key);

// True if `key` is the base64 text of 16 bytes (22 characters and "==").
bool is_valid_key(std::string_view key);

// The client's upgrade request. `target` is path and query ("/x?k=1"),
// `host` the Host field ("127.0.0.1:8080").
std::string build_upgrade_request(std::string_view target, std::string_view host, std::string_view key);

// What a server makes of a request head.
struct RequestVerdict {
    enum class Kind {
        upgrade,     // a valid WebSocket upgrade: answer with upgrade_response(accept)
        plain_http,  // not an upgrade: serve it as HTTP
        refuse,      // a broken upgrade: answer `status` with `reason`
    };
    Kind kind = Kind::plain_http;
    int status = 0;
    std::string reason;
    std::string accept;
};
RequestVerdict judge_request(const http::Head& request);

std::string upgrade_response(std::string_view accept);

// A complete HTTP/1.1 response with a text body that closes the connection.
// `extra_headers` are full lines, each ending in CRLF.
std::string simple_response(int status, std::string_view reason, std::string_view content_type, std::string_view body,
                            std::string_view extra_headers = {}, bool head_only = false);

// Client side: checks a 101 response against the key that was sent.
// Returns an error text, or nullopt if the upgrade is complete.
std::optional<std::string> check_upgrade_response(const http::Head& response, std::string_view key);

}  // namespace camrelay::bench::ws
