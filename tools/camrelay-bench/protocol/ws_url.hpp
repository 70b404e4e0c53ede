// camrelay-bench protocol: ws:// and wss:// URLs (RFC 6455 section 3).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <variant>

namespace camrelay::bench::ws {

struct Url {
    bool secure = false;  // wss://: TLS under the WebSocket
    std::string host;     // without brackets for IPv6 literals
    std::uint16_t port = 80;
    std::string target = "/";  // path and query, as sent in the request line
    std::string text;          // the URL as given

    // The scheme's port: 443 for wss://, 80 for ws://.
    std::uint16_t default_port() const { return secure ? 443 : 80; }
    // The Host header value: host, plus ":port" unless it is the scheme's.
    std::string host_header() const;
};

// Parses `ws://host[:port][/path][?query]` and `wss://...` (port 443 by
// default). On failure returns the reason (without the URL itself).
std::variant<Url, std::string> parse_url(std::string_view text);

}  // namespace camrelay::bench::ws
