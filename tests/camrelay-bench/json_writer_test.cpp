// The --json reports' writer: commas, keys, numbers and escaped strings.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>

#include "measure/json_writer.hpp"

namespace camrelay::bench {
namespace {

TEST(JsonWriter, NestsAndSeparates) {
    JsonWriter j;
    j.begin_object().field("mode", "rtt").field("size", std::uint32_t{16384}).field("count", std::uint64_t{7});
    j.field("ok", true).field("failed", false).field("n", -3).null_field("error");
    j.begin_array("errors").value("a").value(2).end_array();
    j.begin_object("relay").end_object();
    j.begin_array("empty").end_array();
    j.end_object();
    EXPECT_EQ(j.text(),
              "{\"mode\":\"rtt\",\"size\":16384,\"count\":7,\"ok\":true,\"failed\":false,\"n\":-3,\"error\":null,"
              "\"errors\":[\"a\",2],\"relay\":{},\"empty\":[]}");
}

TEST(JsonWriter, Numbers) {
    JsonWriter j;
    j.begin_array().end_array();
    EXPECT_EQ(j.text(), "[]");
    JsonWriter k;
    k.begin_object().field("a", 1.5).field("b", 1234567.0).field("c", 0.000125).field("d", std::nan(""));
    k.field("e", HUGE_VAL).end_object();
    EXPECT_EQ(k.text(), "{\"a\":1.5,\"b\":1.23457e+06,\"c\":0.000125,\"d\":null,\"e\":null}");
}

TEST(JsonWriter, FixedDecimalsKeepEveryDigit) {
    JsonWriter j;
    j.begin_object().fixed_field("offset_ms", -86400000.123456, 6).fixed_field("x", std::nan(""), 3).end_object();
    EXPECT_EQ(j.text(), "{\"offset_ms\":-86400000.123456,\"x\":null}");
}

TEST(JsonWriter, EscapesKeysAndStrings) {
    JsonWriter j;
    j.begin_object().field("k\"ey", "line\nbreak\t\\ \x01\x7f caf\xc3\xa9").end_object();
    EXPECT_EQ(j.text(), "{\"k\\\"ey\":\"line\\nbreak\\t\\\\ \\u0001\\u007f caf\xc3\xa9\"}");
}

}  // namespace
}  // namespace camrelay::bench
