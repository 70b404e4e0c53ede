// The camera's rate control: down when the send queue grows, up slowly when
// it drains, always within its limits.
#include <gtest/gtest.h>

#include "commands/rate_control.hpp"

namespace camrelay::bench {
namespace {

constexpr std::uint64_t kFrame = 33'333'333;  // 30 frames a second
constexpr RateLimits kLimits{500'000, 4'000'000};

TEST(RateControl, StartsAtItsMaximumAndStaysThereWhileTheQueueIsEmpty) {
    RateControl rc(kLimits, 0);
    EXPECT_EQ(rc.bitrate_bps(), 4'000'000);
    std::uint64_t sent = 0;
    for (std::uint64_t t = 0; t < 5'000'000'000; t += kFrame) {
        sent += 16'000;
        EXPECT_EQ(rc.on_frame(t, 0, sent), 4'000'000);
    }
}

TEST(RateControl, AGrowingQueueLowersTheBitrateAtMostEveryHold) {
    RateControl rc(kLimits, 0);
    // 4 Mbit/s for 100 ms is 50 kB: a queue of 200 kB is far too long.
    const double first = rc.on_frame(kFrame, 200'000, 0);
    EXPECT_LE(first, 4'000'000 * RateControl::kDecrease + 1);
    // Within the hold the queue has not had time to show the cut.
    EXPECT_EQ(rc.on_frame(2 * kFrame, 200'000, 0), first);
    const double second = rc.on_frame(kFrame + RateControl::kDecreaseHoldNs, 200'000, 0);
    EXPECT_LT(second, first);
}

TEST(RateControl, ACutFollowsTheRateTheQueueDrainedAt) {
    // The path carries 1 Mbit/s (125 kB a second) and the queue grows.
    RateControl rc(kLimits, 0);
    std::uint64_t t = 0, sent = 0;
    for (int i = 0; i < 20; ++i, t += kFrame) {
        sent += 125'000 * kFrame / 1'000'000'000;
        rc.on_frame(t, 10'000 + 9'000 * static_cast<std::uint64_t>(i), sent);
    }
    EXPECT_NEAR(rc.drain_bps(), 1'000'000, 20'000);
    EXPECT_LE(rc.bitrate_bps(), 1'000'000 * RateControl::kDecrease * 1.03);
    EXPECT_GE(rc.bitrate_bps(), kLimits.min_bps);
}

TEST(RateControl, NeverBelowItsMinimum) {
    RateControl rc(kLimits, 0);
    for (std::uint64_t t = 0; t < 20'000'000'000; t += kFrame) rc.on_frame(t, 10'000'000, 0);
    EXPECT_EQ(rc.bitrate_bps(), kLimits.min_bps);
}

TEST(RateControl, RisesSlowlyOnceTheQueueDrains) {
    RateControl rc(kLimits, 0);
    std::uint64_t t = 0;
    for (; t < 6'000'000'000; t += kFrame) rc.on_frame(t, 10'000'000, 0);
    ASSERT_EQ(rc.bitrate_bps(), kLimits.min_bps);
    const std::uint64_t drained = t;
    // No rise during the hold after the last cut.
    for (; t < drained + RateControl::kIncreaseHoldNs / 2; t += kFrame) rc.on_frame(t, 0, 0);
    EXPECT_EQ(rc.bitrate_bps(), kLimits.min_bps);
    // Then about 8 % a second: after 5 more seconds well under 2x.
    for (; t < drained + RateControl::kIncreaseHoldNs + 5'000'000'000; t += kFrame) rc.on_frame(t, 0, 0);
    EXPECT_GT(rc.bitrate_bps(), kLimits.min_bps * 1.3);
    EXPECT_LT(rc.bitrate_bps(), kLimits.min_bps * 1.6);
    // And never above the maximum.
    for (; t < drained + 200'000'000'000; t += kFrame) rc.on_frame(t, 0, 0);
    EXPECT_EQ(rc.bitrate_bps(), kLimits.max_bps);
}

TEST(RateControl, HalfOfMaxQueueIsTooLongEvenIfItIsLittleVideo) {
    // 16 kB is 32 ms at 4 Mbit/s, short of 100 ms, but half of --max-queue 24K.
    RateControl limited(kLimits, 24'000);
    EXPECT_LT(limited.on_frame(kFrame, 16'000, 0), kLimits.max_bps);
    RateControl unlimited(kLimits, 0);
    EXPECT_EQ(unlimited.on_frame(kFrame, 16'000, 0), kLimits.max_bps);
}

TEST(RateControl, AQueueBetweenLowAndHighHoldsTheBitrate) {
    RateControl rc(kLimits, 0);
    rc.on_frame(0, 200'000, 0);
    const double cut = rc.bitrate_bps();
    // 30 kB is between 20 ms and 100 ms of video at about 3.4 Mbit/s.
    for (std::uint64_t t = kFrame; t < 10'000'000'000; t += kFrame) rc.on_frame(t, 30'000, 0);
    EXPECT_EQ(rc.bitrate_bps(), cut);
}

}  // namespace
}  // namespace camrelay::bench
