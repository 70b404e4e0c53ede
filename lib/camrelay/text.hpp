// camrelay library: the small text pieces every parser and tool shares, so
// that a decimal, a port, a blank or a JSON string means the same thing in
// the configuration files, the command line and camrelay-bench's output.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace camrelay::text {

// The separators of every camrelay file format: space and tab.
constexpr bool is_blank(char c) { return c == ' ' || c == '\t'; }

// `s` without leading and trailing blanks.
std::string_view trim_blanks(std::string_view s);

// The next blank-separated word of `rest` ("" when only blanks are left);
// `rest` moves past it and the blanks that follow.
std::string_view next_word(std::string_view& rest);

// Every blank-separated word of `s`.
std::vector<std::string_view> split_blanks(std::string_view s);

// An unsigned decimal as camrelay writes them: digits only, no sign, no
// leading zero except "0" itself, at most `max`. Never overflows.
std::optional<std::uint64_t> parse_decimal(std::string_view s, std::uint64_t max);

// parse_decimal's reading, with the reason for a refusal, for messages that
// tell it. The first problem met is reported: an empty text, then a leading
// zero, then from the left a character that is not a digit or the digit that
// takes the value past `max`. With `allow_leading_zeros`, "08080" reads as
// 8080 (a port in a URL or in HOST:PORT may be written so).
enum class DecimalError { none, empty, leading_zero, not_digit, too_large };
struct Decimal {
    std::uint64_t value = 0;  // meaningful when error is none
    DecimalError error = DecimalError::none;
};
Decimal read_decimal(std::string_view s, std::uint64_t max, bool allow_leading_zeros = false);

// A TCP port, 1..65535 (0 too when `allow_zero`), as parse_decimal reads it.
std::optional<std::uint16_t> parse_port(std::string_view s, bool allow_zero = false);

// A port as a URL or HOST:PORT writes it: at most five digits, leading zeros
// allowed ("08080" is 8080), at most 65535. A longer text is not_digit (not
// a port at all); 0 reads as 0, for the caller to refuse or allow.
Decimal read_port(std::string_view s);

// `s` as a JSON string, quotes included: '"', '\\' and control characters
// escaped (RFC 8259), every other byte copied as it is.
std::string json_quote(std::string_view s);
// The same appended to `out`.
void append_json_quoted(std::string& out, std::string_view s);

}  // namespace camrelay::text
