// UTF-8 validation of text messages and close reasons.
#include <gtest/gtest.h>

#include "protocol/utf8.hpp"

namespace camrelay::bench::ws {
namespace {

TEST(Utf8, AcceptsValidText) {
    for (const char* s : {"", "plain ASCII", "\xC2\xA9", "\xE2\x82\xAC", "\xED\x9F\xBF", "\xEE\x80\x80",
                          "\xF0\x90\x80\x80", "\xF4\x8F\xBF\xBF", "\xCE\xBA\xE1\xBD\xB9\xCF\x83\xCE\xBC\xCE\xB5"}) {
        EXPECT_TRUE(is_valid_utf8(std::string_view(s))) << s;
    }
}

TEST(Utf8, RejectsInvalidText) {
    for (const char* s : {"\x80", "\xBF", "\xC0\x80", "\xC1\xBF", "\xC2", "\xC2\x41", "\xE0\x80\x80", "\xE0\x9F\xBF",
                          "\xED\xA0\x80", "\xED\xBF\xBF", "\xE2\x82", "\xF0\x80\x80\x80", "\xF0\x8F\xBF\xBF",
                          "\xF4\x90\x80\x80", "\xF5\x80\x80\x80", "\xFF",
                          "a\xFE"
                          "b"}) {
        EXPECT_FALSE(is_valid_utf8(std::string_view(s))) << s;
    }
}

TEST(Utf8, PrefixNeverCutsACharacter) {
    std::string s =
        "ab\xE2\x82\xAC"
        "cd";
    EXPECT_EQ(utf8_prefix_length(s, 2), 2u);
    EXPECT_EQ(utf8_prefix_length(s, 3), 2u);
    EXPECT_EQ(utf8_prefix_length(s, 4), 2u);
    EXPECT_EQ(utf8_prefix_length(s, 5), 5u);
    EXPECT_EQ(utf8_prefix_length(s, 100), s.size());
}

}  // namespace
}  // namespace camrelay::bench::ws
