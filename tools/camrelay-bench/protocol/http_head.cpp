// camrelay-bench protocol: HTTP/1.1 head parser.
#include "http_head.hpp"

#include <algorithm>
#include <cctype>

#include "camrelay/text.hpp"

namespace camrelay::bench::http {

namespace {

char lower(char c) { return static_cast<char>(std::tolower(static_cast<unsigned char>(c))); }

bool is_token_char(char c) {
    if (std::isalnum(static_cast<unsigned char>(c))) return true;
    return std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

bool is_http_version(std::string_view v) {
    return v.size() == 8 && v.substr(0, 5) == "HTTP/" && std::isdigit(static_cast<unsigned char>(v[5])) &&
           v[6] == '.' && std::isdigit(static_cast<unsigned char>(v[7]));
}

bool has_control_chars(std::string_view s) {
    return std::any_of(s.begin(), s.end(), [](char c) {
        auto u = static_cast<unsigned char>(c);
        return (u < 0x20 && c != '\t') || u == 0x7f;
    });
}

}  // namespace

bool iequals(std::string_view a, std::string_view b) {
    return a.size() == b.size() &&
           std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) { return lower(x) == lower(y); });
}

std::optional<std::string_view> Head::find(std::string_view name) const {
    for (const auto& h : headers) {
        if (iequals(h.name, name)) return std::string_view(h.value);
    }
    return std::nullopt;
}

bool Head::has_token(std::string_view name, std::string_view token) const {
    for (const auto& h : headers) {
        if (!iequals(h.name, name)) continue;
        std::string_view rest = h.value;
        while (!rest.empty()) {
            auto comma = rest.find(',');
            std::string_view item = camrelay::text::trim_blanks(rest.substr(0, comma));
            if (iequals(item, token)) return true;
            if (comma == std::string_view::npos) break;
            rest.remove_prefix(comma + 1);
        }
    }
    return false;
}

HeadParser::HeadParser(HeadKind kind, std::size_t limit) : kind_(kind), limit_(limit) {}

std::size_t HeadParser::feed(std::span<const std::uint8_t> bytes) {
    std::size_t used = 0;
    while (state_ == State::reading && used < bytes.size()) {
        char c = static_cast<char>(bytes[used++]);
        raw_.push_back(c);
        if (c != '\n') {
            if (raw_.size() >= limit_) fail("HTTP head larger than " + std::to_string(limit_) + " bytes");
            continue;
        }
        std::string_view line(raw_.data() + line_start_, raw_.size() - line_start_ - 1);
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        if (line.empty() && line_start_ != 0) {
            finish();
        } else if (line.empty()) {
            fail("HTTP head starts with an empty line");
        } else {
            line_start_ = raw_.size();
        }
    }
    return used;
}

void HeadParser::finish() {
    std::string_view all(raw_);
    bool first = true;
    while (!all.empty()) {
        auto nl = all.find('\n');
        std::string_view line = all.substr(0, nl);
        all.remove_prefix(nl + 1);
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        if (line.empty()) break;
        bool ok = first ? parse_start_line(line) : parse_header_line(line);
        if (!ok) return;
        first = false;
    }
    state_ = State::complete;
}

bool HeadParser::parse_start_line(std::string_view line) {
    if (has_control_chars(line)) {
        fail("control character in the HTTP start line");
        return false;
    }
    auto sp1 = line.find(' ');
    if (sp1 == std::string_view::npos) {
        fail("malformed HTTP start line \"" + std::string(line) + "\"");
        return false;
    }
    std::string_view first = line.substr(0, sp1);
    std::string_view rest = line.substr(sp1 + 1);
    if (kind_ == HeadKind::request) {
        auto sp2 = rest.find(' ');
        std::string_view target = rest.substr(0, sp2);
        std::string_view version = sp2 == std::string_view::npos ? std::string_view() : rest.substr(sp2 + 1);
        if (first.empty() || !std::all_of(first.begin(), first.end(), is_token_char) || target.empty() ||
            target.find(' ') != std::string_view::npos || !is_http_version(version)) {
            fail("malformed HTTP request line \"" + std::string(line) + "\"");
            return false;
        }
        head_.method = first;
        head_.target = target;
        head_.version = version;
        return true;
    }
    auto sp2 = rest.find(' ');
    std::string_view code = rest.substr(0, sp2);
    if (!is_http_version(first) || code.size() != 3 ||
        !std::all_of(code.begin(), code.end(), [](char c) { return std::isdigit(static_cast<unsigned char>(c)); })) {
        fail("malformed HTTP status line \"" + std::string(line) + "\"");
        return false;
    }
    head_.version = first;
    head_.status = (code[0] - '0') * 100 + (code[1] - '0') * 10 + (code[2] - '0');
    head_.reason = sp2 == std::string_view::npos ? std::string_view() : rest.substr(sp2 + 1);
    return true;
}

bool HeadParser::parse_header_line(std::string_view line) {
    if (line.front() == ' ' || line.front() == '\t') {
        fail("obsolete line folding in HTTP header");
        return false;
    }
    auto colon = line.find(':');
    std::string_view name = line.substr(0, colon);
    if (colon == std::string_view::npos || name.empty() || !std::all_of(name.begin(), name.end(), is_token_char)) {
        fail("malformed HTTP header line \"" + std::string(line) + "\"");
        return false;
    }
    std::string_view value = camrelay::text::trim_blanks(line.substr(colon + 1));
    if (has_control_chars(value)) {
        fail("control character in HTTP header " + std::string(name));
        return false;
    }
    head_.headers.push_back({std::string(name), std::string(value)});
    return true;
}

void HeadParser::fail(std::string message) {
    state_ = State::failed;
    error_ = std::move(message);
}

}  // namespace camrelay::bench::http
