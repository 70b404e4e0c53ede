// camrelay-bench protocol: ws:// URLs (RFC 6455 section 3).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <variant>

namespace camrelay::bench::ws {

struct Url {
    std::string host;  // without brackets for IPv6 literals
    std::uint16_t port = 80;
    std::string target = "/";  // path and query, as sent in the request line
    std::string text;          // the URL as given

    // The Host header value: host, plus ":port" unless it is 80.
    std::string host_header() const;
};

// Parses `ws://host[:port][/path][?query]`. On failure returns the reason
// (without the URL itself).
std::variant<Url, std::string> parse_url(std::string_view text);

}  // namespace camrelay::bench::ws
