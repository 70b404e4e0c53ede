// camrelay-bench protocol: HTTP/1.1 request and response heads (no I/O).
//
// The WebSocket handshake is one HTTP request and one response. HeadParser
// is fed bytes as they arrive and stops at the empty line that ends the
// head: whatever follows (WebSocket frames, a response body) is left to the
// caller. Lines may end in CRLF or a bare LF; obsolete line folding and
// heads larger than the limit are refused.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace camrelay::bench::http {

struct Header {
    std::string name;
    std::string value;
};

struct Head {
    // Request line: method, target, version ("HTTP/1.1").
    std::string method;
    std::string target;
    // Status line: version, status, reason. `version` is shared.
    std::string version;
    int status = 0;
    std::string reason;
    std::vector<Header> headers;

    // The first field with this name (case-insensitive), if any.
    std::optional<std::string_view> find(std::string_view name) const;
    // True if any field with this name holds `token` in its comma-separated
    // list (case-insensitive), e.g. has_token("Connection", "upgrade").
    bool has_token(std::string_view name, std::string_view token) const;
};

enum class HeadKind { request, response };

class HeadParser {
public:
    static constexpr std::size_t kDefaultLimit = 16 * 1024;

    explicit HeadParser(HeadKind kind, std::size_t limit = kDefaultLimit);

    // Consumes bytes up to and including the end of the head and returns
    // how many it used; stops early once complete() or failed().
    std::size_t feed(std::span<const std::uint8_t> bytes);

    bool complete() const { return state_ == State::complete; }
    bool failed() const { return state_ == State::failed; }
    const std::string& error() const { return error_; }
    const Head& head() const { return head_; }

private:
    enum class State { reading, complete, failed };

    void finish();
    bool parse_start_line(std::string_view line);
    bool parse_header_line(std::string_view line);
    void fail(std::string message);

    HeadKind kind_;
    std::size_t limit_;
    State state_ = State::reading;
    std::string raw_;
    std::size_t line_start_ = 0;
    Head head_;
    std::string error_;
};

bool iequals(std::string_view a, std::string_view b);

}  // namespace camrelay::bench::http
