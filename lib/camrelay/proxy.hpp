// camrelay library: a camera's way out through an HTTP proxy, for
// camrelay-connect (tools/tunnel/camrelay_connect.cpp): the proxy URL, the
// CONNECT request, the proxy's answer and the messages about them. No I/O.
//
// The proxy URL is http://[USER[:PASSWORD]@]HOST[:PORT][/]: USER and
// PASSWORD may be percent-encoded (a raw '@' or ':' in the password works
// too: the last '@' ends them), HOST is a name, an IPv4 address or an IPv6
// address in brackets, PORT defaults to 80, the http scheme's own port
// (RFC 3986 section 6.2.3, RFC 9110 section 4.2.1; proxies usually listen
// on 3128 or 8080, so give it). https:// (TLS to the proxy) and SOCKS
// proxies are refused, with the reason.
//
// The password stays secret: no message made here holds the user, the
// password or any other part of the URL's text; messages name the proxy by
// Url::redacted(), HOST:PORT.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <variant>

namespace camrelay::proxy {

// The port of an http:// proxy URL that gives none.
constexpr std::uint16_t kDefaultPort = 80;
// The most bytes the head of the proxy's answer to CONNECT may take.
constexpr std::size_t kMaxAnswerHead = 16 * 1024;

// A host that may stand in a CONNECT request and a message: a DNS name
// (letters, digits, '-' and '_' in labels of 1 to 63 characters, 253 at
// most, an optional final dot), an IPv4 address, or an IPv6 address without
// brackets.
bool valid_host(std::string_view host);

// "HOST:PORT", "[HOST]:PORT" for an IPv6 address: how the CONNECT request,
// its Host header and the messages write an endpoint.
std::string host_port(std::string_view host, std::uint16_t port);

struct Url {
    std::string host;  // without brackets
    std::uint16_t port = kDefaultPort;
    std::string user;      // percent-decoded; empty: no credentials
    std::string password;  // percent-decoded; may be empty with a user

    bool has_credentials() const { return !user.empty(); }
    // The proxy as messages show it: HOST:PORT, never the user or password.
    std::string redacted() const { return host_port(host, port); }
};

// Reads a proxy URL; on failure, the reason (which quotes nothing of `text`).
std::variant<Url, std::string> parse_url(std::string_view text);

// The request that asks `proxy` for a tunnel to HOST:PORT (valid_host(host),
// else std::invalid_argument): "CONNECT HOST:PORT HTTP/1.1", Host, and
// Proxy-Authorization: Basic (RFC 7617) when the URL has a user.
std::string connect_request(const Url& proxy, std::string_view host, std::uint16_t port);

// The status line of the proxy's answer.
struct Status {
    int code = 0;        // 100..599
    std::string reason;  // the reason phrase, printable ASCII only, shortened
    bool success() const { return code >= 200 && code <= 299; }
};

// Reads the head of the proxy's answer to CONNECT as it arrives, and takes
// not a byte more: what follows the empty line that ends the head is the
// relay's (an SSH server may speak first). Lines end in CRLF or LF. Garbage
// is refused as soon as it shows (an answer not starting "HTTP/", a bad
// status line, a header line without a name, a control character), and so
// is a head over kMaxAnswerHead bytes.
class AnswerReader {
public:
    // Takes the bytes of `bytes` that belong to the head, up to and
    // including its empty line, and returns how many it took: all of them
    // until the head is complete, none once complete() or failed().
    std::size_t feed(std::string_view bytes);

    bool complete() const { return state_ == State::complete; }
    bool failed() const { return state_ == State::failed; }
    // How many bytes it took so far.
    std::size_t size() const { return head_.size(); }
    const Status& status() const { return status_; }     // when complete()
    const std::string& error() const { return error_; }  // when failed()

private:
    enum class State { reading, complete, failed };

    void end_line();
    void fail(std::string message);

    State state_ = State::reading;
    std::string head_;
    std::size_t line_start_ = 0;
    Status status_;
    std::string error_;
};

// Why the tunnel was not opened, for a proxy that answered CONNECT with a
// status other than 2xx: "proxy refused CONNECT: 407 Proxy Authentication
// Required (check the proxy user and password)"; a hint follows the usual
// refusals (407 and 401, 403, 405, 500 to 504).
std::string refusal(const Status& status, bool sent_credentials);

}  // namespace camrelay::proxy
