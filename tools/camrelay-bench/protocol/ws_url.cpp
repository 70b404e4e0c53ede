// camrelay-bench protocol: ws:// and wss:// URL parsing.
#include "ws_url.hpp"

#include <algorithm>
#include <cctype>

#include "camrelay/text.hpp"

namespace camrelay::bench::ws {

std::string Url::host_header() const {
    std::string h = host.find(':') != std::string::npos ? std::string("[").append(host).append("]") : host;
    if (port != default_port()) h.append(":").append(std::to_string(port));
    return h;
}

std::variant<Url, std::string> parse_url(std::string_view text) {
    Url url;
    url.text = text;
    if (std::any_of(text.begin(), text.end(), [](char c) {
            auto u = static_cast<unsigned char>(c);
            return u <= 0x20 || u >= 0x7f;
        })) {
        return std::string("spaces, control characters and non-ASCII bytes must be percent-encoded");
    }
    auto scheme_end = text.find("://");
    if (scheme_end == std::string_view::npos) return std::string("expected ws:// or wss://HOST[:PORT][/PATH][?QUERY]");
    std::string scheme(text.substr(0, scheme_end));
    std::transform(scheme.begin(), scheme.end(), scheme.begin(),
                   [](char c) { return static_cast<char>(std::tolower(static_cast<unsigned char>(c))); });
    if (scheme != "ws" && scheme != "wss") return std::string("scheme \"").append(scheme).append("\" is not ws or wss");
    url.secure = scheme == "wss";
    url.port = url.default_port();
    std::string_view rest = text.substr(scheme_end + 3);
    if (rest.find('#') != std::string_view::npos) return std::string("a WebSocket URL may not have a #fragment");
    auto authority_end = rest.find_first_of("/?");
    std::string_view authority = rest.substr(0, authority_end);
    if (authority_end != std::string_view::npos) {
        std::string_view target = rest.substr(authority_end);
        url.target = target.front() == '?' ? std::string("/").append(target) : std::string(target);
    }
    if (authority.find('@') != std::string_view::npos) return std::string("user information (user@) is not supported");
    std::string_view port_text;
    if (!authority.empty() && authority.front() == '[') {
        auto close = authority.find(']');
        if (close == std::string_view::npos) return std::string("unterminated [IPv6] host");
        url.host = authority.substr(1, close - 1);
        std::string_view after = authority.substr(close + 1);
        if (!after.empty()) {
            if (after.front() != ':') return std::string("unexpected text after [IPv6] host");
            port_text = after.substr(1);
            if (port_text.empty()) return std::string("empty port");
        }
    } else {
        auto colon = authority.find(':');
        url.host = authority.substr(0, colon);
        if (colon != std::string_view::npos) {
            port_text = authority.substr(colon + 1);
            if (port_text.empty()) return std::string("empty port");
        }
    }
    if (url.host.empty()) return std::string("missing host");
    if (!port_text.empty()) {
        // Leading zeros are allowed ("ws://h:08080"), five digits at most: text::read_port.
        const camrelay::text::Decimal port = camrelay::text::read_port(port_text);
        if (port.error == camrelay::text::DecimalError::not_digit) {
            return std::string("port \"").append(port_text).append("\" is not a number");
        }
        if (port.error != camrelay::text::DecimalError::none || port.value == 0) {
            return std::string("port ").append(port_text).append(" out of range 1-65535");
        }
        url.port = static_cast<std::uint16_t>(port.value);
    }
    return url;
}

}  // namespace camrelay::bench::ws
