// A stream second by second: messages land in the second they arrived in,
// with the camera's last word and the latency corrected at the end.
#include <gtest/gtest.h>

#include "measure/timeline.hpp"

namespace camrelay::bench {
namespace {

constexpr std::uint64_t kSecond = 1'000'000'000;

TEST(Timeline, EmptyHasNoPoints) { EXPECT_TRUE(Timeline().points(0).empty()); }

TEST(Timeline, StepsFromTheFirstMessageWithGapsKept) {
    Timeline t;
    const std::uint64_t start = 50 * kSecond;
    t.add(start, start - 10'000'000, 1000, CameraState{0, 4'000'000});
    t.add(start + kSecond / 2, start + kSecond / 2 - 30'000'000, 3000, CameraState{2, 3'000'000});
    t.add(start + 2 * kSecond + 1, start + 2 * kSecond - 5'000'000, 500, std::nullopt);
    auto points = t.points(0);
    ASSERT_EQ(points.size(), 3u);
    EXPECT_EQ(points[0].messages, 2u);
    EXPECT_EQ(points[0].bytes, 4000u);
    EXPECT_DOUBLE_EQ(points[0].received_mbps, 0.032);
    ASSERT_TRUE(points[0].camera);
    EXPECT_EQ(*points[0].camera, (CameraState{2, 3'000'000}));  // the last word of the second
    EXPECT_DOUBLE_EQ(points[0].latency_mean_ms, 20);
    EXPECT_DOUBLE_EQ(points[0].latency_max_ms, 30);
    EXPECT_EQ(points[1].messages, 0u);  // nothing arrived: still a point
    EXPECT_DOUBLE_EQ(points[1].start_s, 1);
    EXPECT_FALSE(points[1].camera);
    EXPECT_EQ(points[2].messages, 1u);
    EXPECT_DOUBLE_EQ(points[2].latency_max_ms, 5.000001);
}

TEST(Timeline, LatencyOfAnotherClockIsCorrected) {
    // A camera days ahead: raw differences are hugely negative.
    const std::uint64_t ahead = 200'000ull * kSecond;
    Timeline t;
    for (std::uint64_t i = 0; i < 100; ++i) {
        const std::uint64_t received = 10 * kSecond + i * 10'000'000;
        t.add(received, received + ahead - 7'000'000, 100, std::nullopt);
    }
    auto points = t.points(static_cast<std::int64_t>(ahead));
    ASSERT_EQ(points.size(), 1u);
    EXPECT_NEAR(points[0].latency_mean_ms, 7, 1e-6);
    EXPECT_NEAR(points[0].latency_max_ms, 7, 1e-6);
    EXPECT_EQ(t.points(0)[0].latency_max_ms, 0);  // uncorrected: below 0, shown as 0
}

}  // namespace
}  // namespace camrelay::bench
