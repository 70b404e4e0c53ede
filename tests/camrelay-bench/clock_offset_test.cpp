// The clock offset estimate: exact with symmetric legs, bounded by half the
// round trip, and kept to the quickest probe when others waited in a queue.
#include <gtest/gtest.h>

#include <cstdlib>

#include "measure/clock_offset.hpp"
#include "measure/stream_checker.hpp"

namespace camrelay::bench {
namespace {

// A probe sent at viewer time `t1` over legs of `out` and `back`
// nanoseconds, held `hold` by a camera whose clock is `offset` ahead.
void probe(ClockOffsetEstimator& e, std::uint64_t t1, std::int64_t offset, std::uint64_t out, std::uint64_t back,
           std::uint64_t hold = 1000) {
    const std::uint64_t t2 = t1 + out + static_cast<std::uint64_t>(offset);
    const std::uint64_t t3 = t2 + hold;
    const std::uint64_t t4 = t1 + out + hold + back;
    ASSERT_TRUE(e.add(t1, t2, t3, t4));
}

TEST(ClockOffset, NothingBeforeTheFirstSample) { EXPECT_FALSE(ClockOffsetEstimator().estimate()); }

TEST(ClockOffset, SymmetricLegsGiveTheOffsetExactly) {
    for (std::int64_t offset : {std::int64_t{0}, std::int64_t{5'000'000}, std::int64_t{-123'456'789},
                                std::int64_t{3} * 86400 * 1'000'000'000}) {  // days apart, two boots
        ClockOffsetEstimator e;
        probe(e, 1'000'000'000'000, offset, 40'000, 40'000);
        auto estimate = e.estimate();
        ASSERT_TRUE(estimate);
        EXPECT_EQ(estimate->offset_ns, offset);
        EXPECT_EQ(estimate->min_rtt_ns, 80'000u);
        EXPECT_EQ(estimate->uncertainty_ns, 40'000u);
    }
}

TEST(ClockOffset, AnyAsymmetryStaysWithinHalfTheRoundTrip) {
    ClockOffsetEstimator e;
    probe(e, 1'000'000, 777, 90'000, 10'000);
    auto estimate = e.estimate();
    ASSERT_TRUE(estimate);
    EXPECT_LE(std::llabs(estimate->offset_ns - 777), static_cast<long long>(estimate->uncertainty_ns));
    EXPECT_EQ(estimate->offset_ns, 777 + 40'000);  // half the difference of the legs
}

TEST(ClockOffset, QueuedProbesAreLeftOutForTheQuickestOne) {
    // The way back queues behind video (up to 300 ms); one probe in a
    // quiet moment is what the estimate comes from.
    ClockOffsetEstimator e;
    const std::int64_t offset = -2'000'000'000;
    std::uint64_t t = 10'000'000'000;
    for (int i = 0; i < 50; ++i, t += 200'000'000)
        probe(e, t, offset, 20'000'000, 20'000'000 + 300'000'000ull * static_cast<std::uint64_t>(i % 7 + 1));
    probe(e, t, offset, 20'000'000, 20'500'000);
    for (int i = 0; i < 50; ++i, t += 200'000'000) probe(e, t, offset, 20'000'000, 25'000'000 + 3'000'000ull * i);
    auto estimate = e.estimate();
    ASSERT_TRUE(estimate);
    EXPECT_EQ(estimate->samples, 101u);
    EXPECT_EQ(estimate->min_rtt_ns, 40'500'000u);
    EXPECT_EQ(estimate->offset_ns, offset - 250'000);
    EXPECT_LE(std::llabs(estimate->offset_ns - offset), static_cast<long long>(estimate->uncertainty_ns));
}

TEST(ClockOffset, TimestampsThatCannotBeOneProbesAreRefused) {
    ClockOffsetEstimator e;
    EXPECT_FALSE(e.add(100, 50, 40, 200));  // sent before it was received
    EXPECT_FALSE(e.add(100, 0, 500, 200));  // held longer than the round trip
    EXPECT_FALSE(e.add(300, 0, 10, 200));   // answered before it was asked
    EXPECT_FALSE(e.estimate());
}

TEST(ClockOffset, CorrectionByUse) {
    const ClockEstimate same_clock{15'000, 40'000, 80'000, 10};       // within its uncertainty
    const ClockEstimate other_clock{-9'000'000, 40'000, 80'000, 10};  // well beyond it
    EXPECT_EQ(latency_correction(ClockUse::automatic, same_clock), 0);
    EXPECT_EQ(latency_correction(ClockUse::automatic, other_clock), -9'000'000);
    EXPECT_EQ(latency_correction(ClockUse::estimate, same_clock), 15'000);
    EXPECT_EQ(latency_correction(ClockUse::same, other_clock), 0);
    EXPECT_EQ(latency_correction(ClockUse::estimate, std::nullopt), 0);
}

TEST(ClockOffset, LatencyOfAnotherClocksTimestampsIsCorrected) {
    // A camera 5 s ahead of the viewer: its messages seem to arrive 5 s
    // before they were sent.
    StreamChecker checker(1);
    OneWayLog log;
    const std::uint64_t ahead = 5'000'000'000;
    std::vector<std::uint8_t> m(64);
    for (std::uint64_t s = 0; s < 3; ++s) {
        const std::uint64_t sent = ahead + 1'000'000'000 + s * 1'000'000;
        write_data_message(m, DataHeader{64, s, sent, 1});
        checker.on_message(m, sent - ahead + 2'000'000, &log);  // 2 ms on the way
    }
    const auto reply = encode_clock_reply(ClockReply{0, 100'000, 100'000 + 500'000 + ahead, 100'000 + 600'000 + ahead});
    EXPECT_EQ(checker.on_message(reply, 100'000 + 1'100'000, &log), DataCheck::ok);
    EXPECT_EQ(checker.tally().messages, 3u);
    EXPECT_EQ(checker.tally().unexpected, 0u);
    EXPECT_EQ(checker.clock_replies(), 1u);
    auto estimate = checker.clock().estimate();
    ASSERT_TRUE(estimate);
    EXPECT_EQ(estimate->offset_ns, static_cast<std::int64_t>(ahead));
    LatencyHistogram latency;
    log.fill(latency, latency_correction(ClockUse::automatic, estimate));
    EXPECT_EQ(latency.count(), 3u);
    EXPECT_EQ(latency.min(), 2'000'000u);
    EXPECT_EQ(latency.max(), 2'000'000u);
    LatencyHistogram uncorrected;
    log.fill(uncorrected, 0);
    EXPECT_EQ(uncorrected.max(), 0u);  // negative, counted as 0
}

}  // namespace
}  // namespace camrelay::bench
