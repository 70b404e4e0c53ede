// The shared text pieces: blanks, words, decimals, ports and JSON strings.
#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

#include "camrelay/text.hpp"

using namespace camrelay;
using text::DecimalError;

namespace {

std::vector<std::string_view> words(std::string_view s) { return text::split_blanks(s); }

DecimalError error_of(std::string_view s, std::uint64_t max, bool allow_leading_zeros = false) {
    return text::read_decimal(s, max, allow_leading_zeros).error;
}

}  // namespace

TEST(Text, BlanksAreSpaceAndTab) {
    for (int c = 0; c < 256; ++c) EXPECT_EQ(text::is_blank(static_cast<char>(c)), c == ' ' || c == '\t') << c;
}

TEST(Text, TrimBlanks) {
    EXPECT_EQ(text::trim_blanks(""), "");
    EXPECT_EQ(text::trim_blanks(" \t "), "");
    EXPECT_EQ(text::trim_blanks("a"), "a");
    EXPECT_EQ(text::trim_blanks(" \ta b\t "), "a b");
    EXPECT_EQ(text::trim_blanks("\ra\n"), "\ra\n");  // line ends are not blanks
}

TEST(Text, NextWordMovesPastTheWordAndItsBlanks) {
    std::string_view rest = "  one\ttwo  three ";
    EXPECT_EQ(text::next_word(rest), "one");
    EXPECT_EQ(rest, "two  three ");
    EXPECT_EQ(text::next_word(rest), "two");
    EXPECT_EQ(rest, "three ");
    EXPECT_EQ(text::next_word(rest), "three");
    EXPECT_EQ(rest, "");
    EXPECT_EQ(text::next_word(rest), "");
    EXPECT_EQ(rest, "");

    rest = " \t ";
    EXPECT_EQ(text::next_word(rest), "");
    EXPECT_EQ(rest, "");
}

TEST(Text, SplitBlanks) {
    EXPECT_EQ(words(""), std::vector<std::string_view>{});
    EXPECT_EQ(words(" \t"), std::vector<std::string_view>{});
    EXPECT_EQ(words("a"), std::vector<std::string_view>{"a"});
    EXPECT_EQ(words(" a  b\t\tc\r "), (std::vector<std::string_view>{"a", "b", "c\r"}));
}

TEST(Text, ParseDecimal) {
    EXPECT_EQ(text::parse_decimal("0", 10), 0u);
    EXPECT_EQ(text::parse_decimal("7", 10), 7u);
    EXPECT_EQ(text::parse_decimal("65535", 65535), 65535u);
    EXPECT_EQ(text::parse_decimal("65536", 65535), std::nullopt);
    EXPECT_EQ(text::parse_decimal("9", 8), std::nullopt);
    EXPECT_EQ(text::parse_decimal("7", 5), std::nullopt);  // a one-digit max
    EXPECT_EQ(text::parse_decimal("0", 0), 0u);
    for (const char* bad : {"", "00", "01", "+1", "-1", " 1", "1 ", "1a", "0x1", "1.0", "1e3", "１"})
        EXPECT_EQ(text::parse_decimal(bad, 1000000), std::nullopt) << bad;

    constexpr std::uint64_t kMax = std::numeric_limits<std::uint64_t>::max();
    EXPECT_EQ(text::parse_decimal("18446744073709551615", kMax), kMax);
    EXPECT_EQ(text::parse_decimal("18446744073709551616", kMax), std::nullopt);  // one more: no overflow
    EXPECT_EQ(text::parse_decimal("99999999999999999999999", kMax), std::nullopt);
}

TEST(Text, ReadDecimalSaysWhy) {
    const text::Decimal ok = text::read_decimal("1234", 65535);
    EXPECT_EQ(ok.error, DecimalError::none);
    EXPECT_EQ(ok.value, 1234u);

    EXPECT_EQ(error_of("", 10), DecimalError::empty);
    EXPECT_EQ(error_of("00", 10), DecimalError::leading_zero);
    EXPECT_EQ(error_of("0a", 10), DecimalError::leading_zero);  // the leading zero is seen first
    EXPECT_EQ(error_of("a1", 10), DecimalError::not_digit);
    EXPECT_EQ(error_of("1 ", 10), DecimalError::not_digit);
    EXPECT_EQ(error_of("11", 10), DecimalError::too_large);
    EXPECT_EQ(error_of("99999x", 65535), DecimalError::too_large);  // from the left: too large before the 'x'
    EXPECT_EQ(error_of("9x9999", 65535), DecimalError::not_digit);

    // Leading zeros, when allowed, do not count towards the value.
    EXPECT_EQ(text::read_decimal("08080", 65535, true).value, 8080u);
    EXPECT_EQ(error_of("08080", 65535, true), DecimalError::none);
    EXPECT_EQ(error_of("000", 65535, true), DecimalError::none);
    EXPECT_EQ(error_of("00065536", 65535, true), DecimalError::too_large);
    EXPECT_EQ(error_of("", 65535, true), DecimalError::empty);
    EXPECT_EQ(error_of("0x1", 65535, true), DecimalError::not_digit);

    // parse_decimal is read_decimal without the reason.
    for (const char* s : {"", "0", "00", "7", "65535", "65536", "1a"})
        EXPECT_EQ(text::parse_decimal(s, 65535).has_value(), error_of(s, 65535) == DecimalError::none) << s;
}

TEST(Text, ParsePort) {
    EXPECT_EQ(text::parse_port("1"), 1);
    EXPECT_EQ(text::parse_port("8080"), 8080);
    EXPECT_EQ(text::parse_port("65535"), 65535);
    EXPECT_EQ(text::parse_port("0"), std::nullopt);
    EXPECT_EQ(text::parse_port("0", true), 0);
    for (const char* bad : {"", "65536", "080", "-1", "80 ", "http"})
        EXPECT_EQ(text::parse_port(bad, true), std::nullopt) << bad;
}

TEST(Text, ReadPortAsUrlsWriteIt) {
    EXPECT_EQ(text::read_port("08080").value, 8080u);
    EXPECT_EQ(text::read_port("00001").value, 1u);
    EXPECT_EQ(text::read_port("65535").value, 65535u);
    EXPECT_EQ(text::read_port("0").error, DecimalError::none);  // the caller refuses or allows it
    EXPECT_EQ(text::read_port("65536").error, DecimalError::too_large);
    EXPECT_EQ(text::read_port("008080").error, DecimalError::not_digit);  // six characters: not a port
    EXPECT_EQ(text::read_port("80a").error, DecimalError::not_digit);
    EXPECT_EQ(text::read_port("").error, DecimalError::empty);
}

TEST(Text, JsonQuote) {
    EXPECT_EQ(text::json_quote(""), "\"\"");
    EXPECT_EQ(text::json_quote("cam-1 ok"), "\"cam-1 ok\"");
    EXPECT_EQ(text::json_quote("a\"b\\c/d"), "\"a\\\"b\\\\c/d\"");
    EXPECT_EQ(text::json_quote("\n\r\t"), "\"\\n\\r\\t\"");
    EXPECT_EQ(text::json_quote(std::string_view("\0\x01\x08\x0c\x1f", 5)), "\"\\u0000\\u0001\\u0008\\u000c\\u001f\"");
    EXPECT_EQ(text::json_quote("\x7f"), "\"\\u007f\"");
    EXPECT_EQ(text::json_quote("caf\xc3\xa9 \xff"), "\"caf\xc3\xa9 \xff\"");  // other bytes as they are

    // Every byte: escaped exactly when it must be (and 0x7f).
    for (int c = 0; c < 256; ++c) {
        const std::string quoted = text::json_quote(std::string(1, static_cast<char>(c)));
        const bool escaped = c < 0x20 || c == 0x7f || c == '"' || c == '\\';
        EXPECT_EQ(quoted.size() > 3, escaped) << c;
        EXPECT_EQ(quoted.front(), '"');
        EXPECT_EQ(quoted.back(), '"');
    }

    std::string out = "[";
    text::append_json_quoted(out, "x");
    text::append_json_quoted(out, "\"");
    EXPECT_EQ(out, "[\"x\"\"\\\"\"");
}
