// Fuzz target: the camera's HTTP proxy URL (lib/camrelay/proxy.hpp), from
// the camera's settings or its environment (https_proxy), read by
// camrelay-connect. The input is the URL's text.
//
// Checks, aborting on any disagreement:
//   - a refusal quotes nothing of the URL, which may hold a password: every
//     reason is one of a small fixed set of texts (a reason built from the
//     input would make the set grow without bound), with no control
//     character;
//   - an accepted URL has a valid host, a port from 1 to 65535 and a user
//     whenever it has a password; written again (credentials
//     percent-encoded, an IPv6 host in brackets, the port explicit) it
//     reads back the same;
//   - its CONNECT request is the four or five lines it should be, with
//     nothing a user or password could add, and its Basic credentials
//     decode to USER:PASSWORD.
#include <cstdint>
#include <set>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "camrelay/base64.hpp"
#include "camrelay/proxy.hpp"
#include "fuzz_check.hpp"

using namespace camrelay;

namespace {

void check_reason(const std::string& reason) {
    static std::set<std::string> reasons;
    reasons.insert(reason);
    FUZZ_CHECK(!reason.empty() && reasons.size() <= 64);
    for (char c : reason) FUZZ_CHECK(static_cast<unsigned char>(c) >= 0x20 && c != 0x7f);
}

// Every byte but the unreserved ones (RFC 3986) as %XX.
std::string percent_encode(std::string_view s) {
    static constexpr char kHex[] = "0123456789ABCDEF";
    std::string out;
    for (char c : s) {
        const auto u = static_cast<unsigned char>(c);
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '.' ||
            c == '_' || c == '~') {
            out.push_back(c);
        } else {
            out.push_back('%');
            out.push_back(kHex[u >> 4]);
            out.push_back(kHex[u & 15]);
        }
    }
    return out;
}

std::string write_url(const proxy::Url& u) {
    std::string out = "http://";
    if (u.has_credentials()) {
        out += percent_encode(u.user);
        if (!u.password.empty()) out += ":" + percent_encode(u.password);
        out += "@";
    }
    return out + proxy::host_port(u.host, u.port);
}

std::vector<std::string_view> crlf_lines(std::string_view text) {
    std::vector<std::string_view> lines;
    while (!text.empty()) {
        const std::size_t end = text.find("\r\n");
        FUZZ_CHECK(end != std::string_view::npos);
        lines.push_back(text.substr(0, end));
        text.remove_prefix(end + 2);
    }
    return lines;
}

void check_connect(const proxy::Url& u, std::string_view host, std::uint16_t port) {
    const std::string request = proxy::connect_request(u, host, port);
    const std::vector<std::string_view> lines = crlf_lines(request);
    const std::string target = proxy::host_port(host, port);
    const std::size_t count = u.has_credentials() ? 5 : 4;
    FUZZ_CHECK(lines.size() == count && lines.back().empty());
    FUZZ_CHECK(lines[0] == "CONNECT " + target + " HTTP/1.1" && lines[1] == "Host: " + target);
    FUZZ_CHECK(lines[2] == "User-Agent: camrelay-connect");
    for (std::string_view line : lines)
        for (char c : line) FUZZ_CHECK(c != '\r' && c != '\n' && c != '\0');
    if (u.has_credentials()) {
        constexpr std::string_view kBasic = "Proxy-Authorization: Basic ";
        FUZZ_CHECK(lines[3].substr(0, kBasic.size()) == kBasic);
        const auto pair = base64::decode(lines[3].substr(kBasic.size()), base64::Alphabet::standard);
        FUZZ_CHECK(pair && std::string(pair->begin(), pair->end()) == u.user + ":" + u.password);
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text = fuzz::as_text(data, size);
    const auto parsed = proxy::parse_url(text);
    if (const auto* reason = std::get_if<std::string>(&parsed)) {
        check_reason(*reason);
        return 0;
    }
    const proxy::Url& u = std::get<proxy::Url>(parsed);
    FUZZ_CHECK(proxy::valid_host(u.host) && u.port != 0);
    FUZZ_CHECK(u.has_credentials() || u.password.empty());
    FUZZ_CHECK(u.redacted() == proxy::host_port(u.host, u.port));

    const auto again = proxy::parse_url(write_url(u));
    const auto* back = std::get_if<proxy::Url>(&again);
    FUZZ_CHECK(back && back->host == u.host && back->port == u.port && back->user == u.user &&
               back->password == u.password);

    check_connect(u, "relay.example.com", 443);
    check_connect(u, u.host, u.port);
    return 0;
}
