// Latency histogram: quantiles within the promised precision.
#include <gtest/gtest.h>

#include <cmath>

#include "measure/latency_histogram.hpp"

namespace camrelay::bench {
namespace {

TEST(LatencyHistogram, EmptyIsAllZero) {
    LatencyHistogram h;
    EXPECT_EQ(h.count(), 0u);
    EXPECT_EQ(h.quantile(0.5), 0u);
    EXPECT_EQ(h.max(), 0u);
    EXPECT_EQ(h.min(), 0u);
}

TEST(LatencyHistogram, SmallValuesAreExact) {
    LatencyHistogram h;
    for (std::uint64_t v = 1; v <= 100; ++v) h.add(v);
    EXPECT_EQ(h.quantile(0.5), 50u);
    EXPECT_EQ(h.quantile(0.99), 99u);
    EXPECT_EQ(h.quantile(1.0), 100u);
    EXPECT_EQ(h.quantile(0.0), 1u);
    EXPECT_DOUBLE_EQ(h.mean(), 50.5);
}

TEST(LatencyHistogram, QuantilesWithinHalfAPercent) {
    LatencyHistogram h;
    // 1000 samples from 0.1 ms to 100 ms.
    for (int i = 1; i <= 1000; ++i) h.add(static_cast<std::uint64_t>(i) * 100'000);
    auto near = [](std::uint64_t got, double want) {
        return std::fabs(static_cast<double>(got) - want) <= want * 0.005;
    };
    EXPECT_TRUE(near(h.quantile(0.5), 50'000'000)) << h.quantile(0.5);
    EXPECT_TRUE(near(h.quantile(0.99), 99'000'000)) << h.quantile(0.99);
    EXPECT_TRUE(near(h.quantile(0.999), 99'900'000)) << h.quantile(0.999);
    EXPECT_EQ(h.max(), 100'000'000u);
    EXPECT_EQ(h.quantile(1.0), 100'000'000u);
}

TEST(LatencyHistogram, OverThresholdIsExact) {
    LatencyHistogram h(10'000'000);
    h.add(10'000'000);  // not above
    h.add(10'000'001);
    h.add(40'000'000);
    h.add(1);
    EXPECT_EQ(h.over_threshold(), 2u);
}

TEST(LatencyHistogram, Merge) {
    LatencyHistogram a, b;
    for (int i = 0; i < 10; ++i) a.add(1000);
    for (int i = 0; i < 30; ++i) b.add(5'000'000'000ull);
    a.merge(b);
    EXPECT_EQ(a.count(), 40u);
    EXPECT_EQ(a.max(), 5'000'000'000u);
    EXPECT_EQ(a.min(), 1000u);
    EXPECT_NEAR(static_cast<double>(a.quantile(0.25)), 1000, 1000 * 0.005);
    EXPECT_NEAR(static_cast<double>(a.quantile(0.5)), 5e9, 5e9 * 0.005);
    EXPECT_EQ(a.over_threshold(), 30u);
    LatencyHistogram other_threshold(1);
    EXPECT_THROW(a.merge(other_threshold), std::logic_error);
}

TEST(LatencyHistogram, HugeValues) {
    LatencyHistogram h;
    h.add(~std::uint64_t{0} >> 1);
    EXPECT_EQ(h.quantile(0.5), ~std::uint64_t{0} >> 1);
}

}  // namespace
}  // namespace camrelay::bench
