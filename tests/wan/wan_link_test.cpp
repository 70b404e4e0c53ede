// The pure part of wanem: profiles and the scheduler of one direction.
#include "wan_link.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <stdexcept>
#include <vector>

namespace {

constexpr std::int64_t ms = 1000000;

TEST(WanProfile, ParsesEveryKey) {
    wan::Profile p = wan::parse_profile("delay=40ms,jitter=10,reorder=yes,loss=1%,burst=3,rate=2mbit,queue=1s");
    EXPECT_EQ(p.delay_ns, 40 * ms);
    EXPECT_EQ(p.jitter_ns, 10 * ms);
    EXPECT_TRUE(p.reorder);
    EXPECT_DOUBLE_EQ(p.loss, 0.01);
    EXPECT_DOUBLE_EQ(p.burst, 3);
    EXPECT_DOUBLE_EQ(p.rate_bps, 2e6);
    EXPECT_EQ(p.queue_bytes, 250000u);
}

TEST(WanProfile, UnitsAndDefaults) {
    EXPECT_EQ(wan::parse_profile("delay=1.5s").delay_ns, 1500 * ms);
    EXPECT_EQ(wan::parse_profile("delay=250us").delay_ns, 250000);
    EXPECT_DOUBLE_EQ(wan::parse_profile("loss=0.005").loss, 0.005);
    EXPECT_EQ(wan::parse_profile("rate=800kbit,queue=64k").queue_bytes, 64000u);
    // a rate without a queue: one second of it
    EXPECT_EQ(wan::parse_profile("rate=8mbit").queue_bytes, 1000000u);
    wan::Profile clean = wan::parse_profile("clean");
    EXPECT_EQ(clean.delay_ns, 0);
    EXPECT_DOUBLE_EQ(clean.loss, 0);
    EXPECT_FALSE(clean.reorder);
    EXPECT_EQ(wan::parse_profile("").rate_bps, 0);
}

TEST(WanProfile, RefusesNonsense) {
    for (const char* bad : {"delay", "delay=", "delay=x", "delay=4min", "loss=120%", "loss=-1", "rate=3furlongs",
                            "reorder=maybe", "speed=1", "queue=1s", "burst=0.5", "loss=100%,burst=2", "delay=2h"}) {
        EXPECT_THROW(wan::parse_profile(bad), std::invalid_argument) << bad;
    }
}

TEST(WanLink, CleanPassesAtOnce) {
    wan::Link link(wan::parse_profile("clean"), 1);
    EXPECT_EQ(link.admit(5 * ms, 1500), 5 * ms);
    EXPECT_EQ(link.counters().in_packets, 1u);
}

TEST(WanLink, DelayWithoutJitterIsExact) {
    wan::Link link(wan::parse_profile("delay=40ms"), 1);
    for (int i = 0; i < 100; ++i) EXPECT_EQ(link.admit(i * ms, 100), i * ms + 40 * ms);
}

TEST(WanLink, JitterWithoutReorderingKeepsOrder) {
    wan::Link link(wan::parse_profile("delay=40ms,jitter=10ms"), 7);
    std::int64_t last = 0;
    double sum = 0;
    const int n = 20000;
    for (int i = 0; i < n; ++i) {
        std::int64_t now = i * ms / 10;  // 10 000 packets a second
        std::int64_t at = link.admit(now, 100);
        EXPECT_GE(at, last);
        EXPECT_GE(at, now + 10 * ms);  // 40 ms - 3 sigma
        last = at;
        sum += static_cast<double>(at - now);
    }
    // held back behind late packets, the mean delay is above 40 ms
    EXPECT_GT(sum / n, 40.0 * ms);
}

TEST(WanLink, JitterWithReorderingReorders) {
    wan::Link link(wan::parse_profile("delay=20ms,jitter=20ms,reorder=yes"), 7);
    std::int64_t last = 0;
    int earlier = 0;
    double sum = 0, sq = 0;
    const int n = 20000;
    for (int i = 0; i < n; ++i) {
        std::int64_t now = i * ms;
        std::int64_t at = link.admit(now, 100);
        EXPECT_GE(at, now);
        if (at < last) ++earlier;
        last = at;
        double d = static_cast<double>(at - now) / ms;
        sum += d;
        sq += d * d;
    }
    EXPECT_GT(earlier, n / 10);
    double mean = sum / n, sd = std::sqrt(sq / n - mean * mean);
    // a normal of 20 +- 20 ms cut at 0 (and +-3 sigma): mean a bit above 20
    EXPECT_NEAR(mean, 21.7, 1.5);
    EXPECT_NEAR(sd, 17, 3);
}

TEST(WanLink, IndependentLossRatio) {
    wan::Link link(wan::parse_profile("loss=1%"), 3);
    const int n = 200000;
    for (int i = 0; i < n; ++i) link.admit(i, 100);
    EXPECT_NEAR(static_cast<double>(link.counters().lost) / n, 0.01, 0.002);
}

TEST(WanLink, BurstyLossKeepsTheRatioInBursts) {
    wan::Link link(wan::parse_profile("loss=2%,burst=5"), 3);
    const int n = 400000;
    int bursts = 0;
    bool was_lost = false;
    for (int i = 0; i < n; ++i) {
        bool lost = link.admit(i, 100) == wan::Link::dropped;
        if (lost && !was_lost) ++bursts;
        was_lost = lost;
    }
    double lost = static_cast<double>(link.counters().lost);
    EXPECT_NEAR(lost / n, 0.02, 0.005);
    EXPECT_NEAR(lost / bursts, 5, 0.75);
}

TEST(WanLink, SameSeedSameSchedule) {
    auto run = [](std::uint64_t seed) {
        wan::Link link(wan::parse_profile("delay=20ms,jitter=20ms,reorder=yes,loss=5%"), seed);
        std::vector<std::int64_t> out;
        for (int i = 0; i < 1000; ++i) out.push_back(link.admit(i * ms, 1000));
        return out;
    };
    EXPECT_EQ(run(42), run(42));
    EXPECT_NE(run(42), run(43));
}

TEST(WanLink, RateSerializesPackets) {
    // 1 Mbit/s: a 1250-byte packet takes 10 ms on the wire
    wan::Link link(wan::parse_profile("rate=1mbit,queue=100k,delay=5ms"), 1);
    for (int i = 0; i < 10; ++i) EXPECT_EQ(link.admit(0, 1250), (i + 1) * 10 * ms + 5 * ms);
    EXPECT_EQ(link.backlog(0), 12500u);
    EXPECT_EQ(link.backlog(50 * ms), 6250u);
    EXPECT_EQ(link.backlog(200 * ms), 0u);
}

TEST(WanLink, FullQueueDropsTheTail) {
    wan::Link link(wan::parse_profile("rate=1mbit,queue=10000"), 1);
    int passed = 0;
    for (int i = 0; i < 100; ++i)
        if (link.admit(0, 1000) != wan::Link::dropped) ++passed;
    EXPECT_EQ(passed, 10);
    EXPECT_EQ(link.counters().queue_full, 90u);
    // once the queue drains, packets pass again
    EXPECT_NE(link.admit(100 * ms, 1000), wan::Link::dropped);
}

TEST(WanLink, RateHoldsOverTime) {
    // offered 4 Mbit/s into 2 Mbit/s for 10 s: about 2 Mbit/s leaves
    wan::Link link(wan::parse_profile("rate=2mbit,queue=250000"), 1);
    std::int64_t last = 0;
    std::uint64_t bytes = 0;
    for (std::int64_t t = 0; t < 10000 * ms; t += 3 * ms) {
        std::int64_t at = link.admit(t, 1500);
        if (at == wan::Link::dropped) continue;
        bytes += 1500;
        last = at;
    }
    double mbit = static_cast<double>(bytes) * 8 / (static_cast<double>(last) / 1e9) / 1e6;
    EXPECT_NEAR(mbit, 2.0, 0.01);
    // and the queue never held more than a second
    EXPECT_LE(last, 10000 * ms + 1000 * ms + 6 * ms);
}

TEST(WanLink, DownCounts) {
    wan::Link link(wan::parse_profile("clean"), 1);
    link.down_on_entry(100);
    link.down_in_flight();
    EXPECT_EQ(link.counters().in_packets, 1u);
    EXPECT_EQ(link.counters().down, 2u);
}

}  // namespace
