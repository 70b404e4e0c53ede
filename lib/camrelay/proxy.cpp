// camrelay library: HTTP proxy URL, CONNECT request and answer (proxy.hpp).
#include "camrelay/proxy.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <optional>
#include <stdexcept>

#include "camrelay/base64.hpp"
#include "camrelay/routing.hpp"
#include "camrelay/text.hpp"

namespace camrelay::proxy {

namespace {

constexpr std::size_t kMaxReason = 120;  // of a reason phrase in a message

bool is_control(char c) {
    const auto u = static_cast<unsigned char>(c);
    return u < 0x20 || u == 0x7f;
}

bool is_digit(char c) { return c >= '0' && c <= '9'; }

bool is_name_char(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || is_digit(c) || c == '-' || c == '_';
}

// Dot-separated labels of 1 to 63 name characters, none starting or ending
// with '-', 253 characters at most, a final dot (the root) allowed.
bool valid_name(std::string_view name) {
    if (!name.empty() && name.back() == '.') name.remove_suffix(1);
    if (name.empty() || name.size() > 253) return false;
    std::size_t label = 0;  // characters of the current label so far
    char previous = '.';
    for (const char c : name) {
        if (c == '.') {
            if (label == 0 || previous == '-') return false;
            label = 0;
        } else if (!is_name_char(c) || (c == '-' && label == 0) || ++label > 63) {
            return false;
        }
        previous = c;
    }
    return label > 0 && previous != '-';
}

bool valid_address(int family, std::string_view text) {
    unsigned char address[sizeof(in6_addr)];
    return inet_pton(family, std::string(text).c_str(), address) == 1;
}

std::string lower_ascii(std::string_view s) {
    std::string out(s);
    for (char& c : out)
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    return out;
}

constexpr const char* kShape = "http://[USER[:PASSWORD]@]HOST[:PORT]";

std::string shape_error(std::string_view what) { return std::string(what) + ": the proxy URL is " + kShape; }

// USER[:PASSWORD] of the URL into `url`; the reason on failure.
std::optional<std::string> read_credentials(std::string_view userinfo, Url& url) {
    const std::size_t colon = userinfo.find(':');
    const auto user = percent_decode(userinfo.substr(0, colon));
    const auto password =
        percent_decode(colon == std::string_view::npos ? std::string_view() : userinfo.substr(colon + 1));
    if (!user || !password) return "bad percent-encoding in the proxy user or password";
    if (user->empty()) return std::string("no proxy user before the password: the proxy URL is ") + kShape;
    if (user->find(':') != std::string::npos) return "the proxy user may not hold ':' (RFC 7617)";
    if (std::any_of(user->begin(), user->end(), is_control) ||
        std::any_of(password->begin(), password->end(), is_control)) {
        return "the proxy user and password may not hold control characters (RFC 7617)";
    }
    url.user = *user;
    url.password = *password;
    return std::nullopt;
}

// HOST[:PORT] of the URL into `url`; the reason on failure.
std::optional<std::string> read_endpoint(std::string_view rest, Url& url) {
    std::string_view host = rest;
    std::optional<std::string_view> port;
    if (!rest.empty() && rest.front() == '[') {
        const std::size_t close = rest.find(']');
        if (close == std::string_view::npos) return "the proxy URL opens '[' for an IPv6 address and never closes it";
        host = rest.substr(1, close - 1);
        if (host.find(':') == std::string_view::npos || !valid_address(AF_INET6, host)) {
            return "the proxy URL's [HOST] is not an IPv6 address";
        }
        const std::string_view after = rest.substr(close + 1);
        if (!after.empty() && after.front() != ':') return shape_error("text after the proxy's [IPv6 address]");
        if (!after.empty()) port = after.substr(1);
    } else if (const std::size_t colon = rest.find(':'); colon != std::string_view::npos) {
        if (rest.find(':', colon + 1) != std::string_view::npos) {
            return "an IPv6 proxy address goes in brackets: http://[ADDRESS]:PORT";
        }
        host = rest.substr(0, colon);
        port = rest.substr(colon + 1);
    }
    if (host.empty()) return shape_error("no proxy host");
    if (!valid_host(host)) return "the proxy URL's host is not a host name or address";
    // An empty port is the default one (RFC 3986 section 3.2.3).
    if (port && !port->empty()) {
        const text::Decimal value = text::read_port(*port);
        if (value.error != text::DecimalError::none || value.value == 0) {
            return "the proxy URL's port is not a number from 1 to 65535";
        }
        url.port = static_cast<std::uint16_t>(value.value);
    }
    url.host = host;
    return std::nullopt;
}

// The reason phrase as a message may show it.
std::string printable_reason(std::string_view reason) {
    std::string out;
    for (const char c : text::trim_blanks(reason)) {
        if (out.size() == kMaxReason) {
            out += "...";
            break;
        }
        const auto u = static_cast<unsigned char>(c);
        out.push_back(u >= 0x20 && u < 0x7f ? c : (c == '\t' ? ' ' : '?'));
    }
    return out;
}

// "HTTP/d.d ddd[ reason]"; nullopt if the line is not one.
std::optional<Status> read_status_line(std::string_view line) {
    // "HTTP/" was checked as it arrived.
    if (line.size() < 12 || !is_digit(line[5]) || line[6] != '.' || !is_digit(line[7]) || line[8] != ' ') {
        return std::nullopt;
    }
    const std::string_view code = line.substr(9, 3);
    if (!std::all_of(code.begin(), code.end(), is_digit) || code[0] < '1' || code[0] > '5') return std::nullopt;
    if (line.size() > 12 && line[12] != ' ') return std::nullopt;
    Status status;
    status.code = static_cast<int>(text::read_decimal(code, 599).value);
    status.reason = printable_reason(line.substr(std::min<std::size_t>(line.size(), 13)));
    return status;
}

}  // namespace

bool valid_host(std::string_view host) {
    if (host.find(':') != std::string_view::npos) return valid_address(AF_INET6, host);
    if (!host.empty() && std::all_of(host.begin(), host.end(), [](char c) { return is_digit(c) || c == '.'; })) {
        return valid_address(AF_INET, host);  // "10.1.2" is no address, and no name either
    }
    return valid_name(host);
}

std::string host_port(std::string_view host, std::uint16_t port) {
    std::string out;
    if (host.find(':') != std::string_view::npos) {
        out.append("[").append(host).append("]");
    } else {
        out.append(host);
    }
    return out.append(":").append(std::to_string(port));
}

std::variant<Url, std::string> parse_url(std::string_view text) {
    if (text.empty()) return shape_error("empty");
    if (std::any_of(text.begin(), text.end(), [](char c) { return c == ' ' || is_control(c); })) {
        return std::string(
            "blanks and control characters may not stand in the proxy URL (percent-encode them in the user and "
            "password)");
    }
    const std::size_t scheme_end = text.find("://");
    if (scheme_end == std::string_view::npos) return shape_error("no http://");
    const std::string scheme = lower_ascii(text.substr(0, scheme_end));
    if (scheme == "https") {
        return std::string("https:// proxies (TLS to the proxy) are not supported: give the proxy's http:// address");
    }
    if (scheme.rfind("socks", 0) == 0) return std::string("SOCKS proxies are not supported: give an HTTP proxy");
    if (scheme != "http") return shape_error("not http://");

    Url url;
    std::string_view rest = text.substr(scheme_end + 3);
    // The last '@' ends the credentials: a raw '@' in a password still works.
    if (const std::size_t at = rest.rfind('@'); at != std::string_view::npos) {
        if (auto error = read_credentials(rest.substr(0, at), url)) return *error;
        rest.remove_prefix(at + 1);
    }
    if (!rest.empty() && rest.back() == '/') rest.remove_suffix(1);
    if (rest.find_first_of("/?#") != std::string_view::npos) return shape_error("a path, query or fragment");
    if (auto error = read_endpoint(rest, url)) return *error;
    return url;
}

std::string connect_request(const Url& proxy, std::string_view host, std::uint16_t port) {
    if (!valid_host(host)) throw std::invalid_argument("connect_request: not a host name or address");
    const std::string target = host_port(host, port);
    std::string request = "CONNECT " + target + " HTTP/1.1\r\nHost: " + target + "\r\nUser-Agent: camrelay-connect\r\n";
    if (proxy.has_credentials()) {
        const std::string pair = proxy.user + ":" + proxy.password;
        request += "Proxy-Authorization: Basic ";
        request +=
            base64::encode(reinterpret_cast<const std::uint8_t*>(pair.data()), pair.size(), base64::Alphabet::standard);
        request += "\r\n";
    }
    return request + "\r\n";
}

std::size_t AnswerReader::feed(std::string_view bytes) {
    static constexpr std::string_view kHttp = "HTTP/";
    std::size_t taken = 0;
    while (state_ == State::reading && taken < bytes.size()) {
        const char c = bytes[taken++];
        head_.push_back(c);
        if (head_.size() <= kHttp.size() && c != kHttp[head_.size() - 1]) {
            fail("its answer is not HTTP (is it an HTTP proxy?)");
        } else if (c == '\n') {
            end_line();
        } else if (head_.size() >= kMaxAnswerHead) {
            fail("the head of its answer is larger than " + std::to_string(kMaxAnswerHead) + " bytes");
        }
    }
    return taken;
}

void AnswerReader::end_line() {
    std::string_view line(head_.data() + line_start_, head_.size() - line_start_ - 1);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    const bool first = line_start_ == 0;
    line_start_ = head_.size();
    if (std::any_of(line.begin(), line.end(), [](char c) { return c != '\t' && is_control(c); })) {
        fail("its answer holds a control character");
    } else if (first) {
        const auto status = read_status_line(line);
        if (status) status_ = *status;
        if (!status) fail("its answer does not start with an HTTP status line");
    } else if (line.empty()) {
        state_ = State::complete;
    } else {
        const std::size_t colon = line.find(':');
        const std::string_view name = line.substr(0, colon);
        if (colon == std::string_view::npos || name.empty() || name.find_first_of(" \t") != std::string_view::npos) {
            fail("its answer has a malformed header line");
        }
    }
}

void AnswerReader::fail(std::string message) {
    state_ = State::failed;
    error_ = std::move(message);
}

std::string refusal(const Status& status, bool sent_credentials) {
    std::string text = "proxy refused CONNECT: " + std::to_string(status.code);
    if (!status.reason.empty()) text.append(" ").append(status.reason);
    const char* hint = nullptr;
    switch (status.code) {
        case 401:  // what some proxies (tinyproxy) answer to wrong credentials
        case 407:
            hint = sent_credentials ? "check the proxy user and password"
                                    : "the proxy wants a user and password: http://USER:PASSWORD@HOST:PORT";
            break;
        case 403: hint = "the proxy may allow CONNECT only to some ports, such as 443"; break;
        case 405:
        case 501: hint = "the proxy does not allow CONNECT"; break;
        case 500: hint = "the proxy failed, or could not reach the relay"; break;  // tinyproxy: refused
        case 502:
        case 503:
        case 504: hint = "the proxy could not reach the relay"; break;
        default: break;
    }
    if (hint != nullptr) text.append(" (").append(hint).append(")");
    return text;
}

}  // namespace camrelay::proxy
