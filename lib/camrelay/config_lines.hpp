// camrelay core: the line syntax cameras.conf and secrets.conf share, for
// their parsers (registry.cpp, secrets.cpp) and their line-preserving
// editors (admin/config_edit.cpp). The rules themselves are specified in
// vmod_camrelay(3), section CONFIGURATION FILES.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace camrelay::config_lines {

inline constexpr std::size_t kMaxLineLength = 4096;

struct Line {
    std::string_view raw;   // the line without its '\n'
    std::string_view body;  // raw without a trailing '\r'
    bool has_newline = false;
    int number = 0;
};

// The lines of `text` (a last line without '\n' too), numbered from 1.
std::vector<Line> split_lines(std::string_view text);

// Length, NUL and control bytes, before anything else looks at the line:
// throws ConfigError(file, line number, reason).
void check_line_bytes(const Line& line, const std::string& file);

struct Token {
    std::string_view text;
    std::size_t pos = 0;  // offset in the line
    std::size_t end() const { return pos + text.size(); }
};

struct Tokens {
    std::vector<Token> list;
    std::size_t comment_pos = std::string_view::npos;  // where '#' starts a comment
};

// Blank-separated words; '#' at the start of a word starts a comment; a word
// starting with "ssh-key=" takes the rest of the line, trailing blanks trimmed.
Tokens tokenize(std::string_view body);

// Text from a config file, quoted for an error message and cut after 64
// bytes. Only for cameras.conf content and ids, never for secrets.conf values.
std::string quote(std::string_view s);

}  // namespace camrelay::config_lines
