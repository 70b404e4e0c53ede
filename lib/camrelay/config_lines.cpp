// camrelay core: the line syntax of the configuration files
// (config_lines.hpp).
#include "camrelay/config_lines.hpp"

#include <cstdio>

#include "camrelay/config.hpp"
#include "camrelay/text.hpp"

namespace camrelay::config_lines {

namespace {

constexpr std::string_view kSshKeyPrefix = "ssh-key=";

}  // namespace

std::vector<Line> split_lines(std::string_view text) {
    std::vector<Line> lines;
    std::size_t start = 0;
    int number = 1;
    while (start < text.size()) {
        std::size_t nl = text.find('\n', start);
        Line l;
        l.number = number++;
        if (nl == std::string_view::npos) {
            l.raw = text.substr(start);
            start = text.size();
        } else {
            l.raw = text.substr(start, nl - start);
            l.has_newline = true;
            start = nl + 1;
        }
        l.body = l.raw;
        if (!l.body.empty() && l.body.back() == '\r') l.body.remove_suffix(1);
        lines.push_back(l);
    }
    return lines;
}

void check_line_bytes(const Line& l, const std::string& file) {
    if (l.raw.size() > kMaxLineLength)
        throw ConfigError(file, l.number, "line is longer than " + std::to_string(kMaxLineLength) + " bytes");
    for (char c : l.body) {
        auto u = static_cast<unsigned char>(c);
        if (u == 0) throw ConfigError(file, l.number, "NUL byte in line");
        if ((u < 0x20 && c != '\t') || u == 0x7f) {
            char buf[8];
            std::snprintf(buf, sizeof buf, "0x%02x", u);
            throw ConfigError(file, l.number, std::string("control character ") + buf + " in line");
        }
    }
}

Tokens tokenize(std::string_view body) {
    Tokens t;
    std::size_t i = 0;
    const std::size_t n = body.size();
    while (i < n) {
        while (i < n && text::is_blank(body[i])) ++i;
        if (i >= n) break;
        if (body[i] == '#') {
            t.comment_pos = i;
            break;
        }
        std::size_t start = i;
        if (body.substr(i, kSshKeyPrefix.size()) == kSshKeyPrefix) {
            // The word itself is not blank: trimming only drops trailing blanks.
            t.list.push_back({text::trim_blanks(body.substr(start)), start});
            break;
        }
        while (i < n && !text::is_blank(body[i])) ++i;
        t.list.push_back({body.substr(start, i - start), start});
    }
    return t;
}

std::string quote(std::string_view s) {
    constexpr std::size_t kShown = 64;
    std::string out = "\"";
    out.append(s.substr(0, kShown));
    if (s.size() > kShown) out.append("...");
    out.push_back('"');
    return out;
}

}  // namespace camrelay::config_lines
