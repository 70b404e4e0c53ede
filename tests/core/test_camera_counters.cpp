// The per-camera counters' logic in the core (relay.hpp): the PipeAcct
// record's byte counts and a tunnel's history.
#include <gtest/gtest.h>

#include "camrelay/relay.hpp"

namespace camrelay {
namespace {

TEST(PipeAcct, ReadsTheBytesEachWay) {
    const auto bytes = parse_pipe_acct("271 312 5 86");
    ASSERT_TRUE(bytes.has_value());
    EXPECT_EQ(bytes->in, 5u);
    EXPECT_EQ(bytes->out, 86u);
}

TEST(PipeAcct, ReadsSixtyFourBitCounts) {
    const auto bytes = parse_pipe_acct("0 0 18446744073709551615 4294967296");
    ASSERT_TRUE(bytes.has_value());
    EXPECT_EQ(bytes->in, 18446744073709551615u);
    EXPECT_EQ(bytes->out, 4294967296u);
}

TEST(PipeAcct, RefusesAnythingElse) {
    for (const char* text : {"", "1 2 3", "1 2 3 4 5", "1 2 3 4 ", " 1 2 3 4", "1  2 3 4", "1 2 3 x", "1 2 -3 4",
                             "1 2 3 18446744073709551616", "1\t2 3 4"})
        EXPECT_FALSE(parse_pipe_acct(text).has_value()) << '"' << text << '"';
}

TEST(TunnelHistory, FirstLookSetsTheStateWithoutAChange) {
    TunnelHistory h;
    EXPECT_FALSE(h.seen());
    h.observe(true, 1000);
    EXPECT_TRUE(h.seen());
    EXPECT_TRUE(h.up());
    EXPECT_EQ(h.changed(), 0);
    EXPECT_EQ(h.connects(), 0u);
    h.observe(true, 1001);
    EXPECT_EQ(h.changed(), 0);
}

TEST(TunnelHistory, CountsComingUpAndRemembersWhen) {
    TunnelHistory h;
    h.observe(false, 1000);
    h.observe(false, 1001);
    h.observe(true, 1002);
    EXPECT_TRUE(h.up());
    EXPECT_EQ(h.changed(), 1002);
    EXPECT_EQ(h.connects(), 1u);
    h.observe(true, 1003);
    EXPECT_EQ(h.changed(), 1002);
    h.observe(false, 1010);
    EXPECT_FALSE(h.up());
    EXPECT_EQ(h.changed(), 1010);
    EXPECT_EQ(h.connects(), 1u);  // going down is not a connect
    h.observe(true, 1020);
    EXPECT_EQ(h.connects(), 2u);
    EXPECT_EQ(h.connects_last_hour(1020), 2u);
}

TEST(TunnelHistory, LastHourForgetsOlderConnectsToTheMinute) {
    TunnelHistory h;
    const std::int64_t minute_start = 1'700'000'040;  // 60 divides it
    const std::int64_t t0 = minute_start + 20;
    h.observe(false, t0);
    for (int i = 0; i < 3; ++i) {  // three connects within one minute
        h.observe(true, t0 + 2 * i + 1);
        h.observe(false, t0 + 2 * i + 2);
    }
    h.observe(true, t0 + 1800);  // one half an hour later
    EXPECT_EQ(h.connects(), 4u);
    EXPECT_EQ(h.connects_last_hour(t0 + 1800), 4u);
    // The first minute's connects count for 60 minutes from its start.
    EXPECT_EQ(h.connects_last_hour(minute_start + 3599), 4u);
    EXPECT_EQ(h.connects_last_hour(minute_start + 3600), 1u);
    EXPECT_EQ(h.connects_last_hour(t0 + 1800 + 3600), 0u);
    EXPECT_EQ(h.connects(), 4u);  // the total never forgets
}

TEST(TunnelHistory, ABucketReusedAnHourLaterStartsAgain) {
    TunnelHistory h;
    const std::int64_t t0 = 1'700'000'000 - 1'700'000'000 % 60;
    h.observe(false, t0);
    h.observe(true, t0 + 1);
    h.observe(false, t0 + 2);
    h.observe(true, t0 + 3600 + 1);  // the same bucket, an hour later
    EXPECT_EQ(h.connects_last_hour(t0 + 3600 + 1), 1u);
    EXPECT_EQ(h.connects(), 2u);
}

TEST(TunnelHistory, ATimeBeforeTheCountedMinutesCountsNothingNewer) {
    TunnelHistory h;
    h.observe(false, 6000);
    h.observe(true, 6001);
    EXPECT_EQ(h.connects_last_hour(5000), 0u);  // the clock went back: the future is not "the last hour"
}

}  // namespace
}  // namespace camrelay
