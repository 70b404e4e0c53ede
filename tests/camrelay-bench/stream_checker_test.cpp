// Receiving-end checks: losses, reordering and corruption are counted.
#include <gtest/gtest.h>

#include <vector>

#include "measure/stream_checker.hpp"

namespace camrelay::bench {
namespace {

std::vector<std::uint8_t> message(std::uint64_t sequence, std::uint32_t stream, std::uint64_t sent_ns = 1000) {
    std::vector<std::uint8_t> m(64);
    write_data_message(m, DataHeader{64, sequence, sent_ns, stream});
    return m;
}

TEST(StreamChecker, CleanStream) {
    StreamChecker c(5);
    LatencyHistogram latency;
    for (std::uint64_t s = 0; s < 10; ++s) EXPECT_EQ(c.on_message(message(s, 5, 1000), 3000, latency), DataCheck::ok);
    EXPECT_EQ(c.tally().messages, 10u);
    EXPECT_EQ(c.tally().bytes, 640u);
    EXPECT_EQ(c.tally().errors(), 0u);
    EXPECT_EQ(latency.count(), 10u);
    EXPECT_EQ(latency.max(), 2000u);
}

TEST(StreamChecker, GapsAndReordering) {
    StreamChecker c(1);
    LatencyHistogram latency;
    for (std::uint64_t s : {0, 1, 4, 3, 5, 5, 9}) c.on_message(message(s, 1), 2000, latency);
    EXPECT_EQ(c.tally().lost, 2u + 3u);     // 2, 3 missing at first (3 came late), then 6, 7, 8
    EXPECT_EQ(c.tally().out_of_order, 2u);  // the late 3 and the repeated 5
    EXPECT_EQ(c.tally().messages, 7u);
}

TEST(StreamChecker, AStreamThatDoesNotStartAtZeroLostItsBeginning) {
    StreamChecker c(1);
    LatencyHistogram latency;
    c.on_message(message(3, 1), 2000, latency);
    EXPECT_EQ(c.tally().lost, 3u);
}

TEST(StreamChecker, DefaultStreamBeforeTheRequestIsNotCounted) {
    StreamChecker c(2);
    LatencyHistogram latency;
    c.on_message(message(0, 0), 2000, latency);
    c.on_message(message(1, 0), 2000, latency);
    c.on_message(message(2, 2), 2000, latency);
    EXPECT_EQ(c.tally().before_request, 2u);
    EXPECT_EQ(c.tally().messages, 1u);
    EXPECT_EQ(c.tally().lost, 0u);
    EXPECT_EQ(latency.count(), 1u);
}

TEST(StreamChecker, CorruptAndForeignMessages) {
    StreamChecker c(1);
    LatencyHistogram latency;
    auto m = message(0, 1);
    m[40] ^= 1;
    EXPECT_EQ(c.on_message(m, 2000, latency), DataCheck::bad_payload);
    std::vector<std::uint8_t> text{'h', 'i'};
    EXPECT_EQ(c.on_message(text, 2000, latency), DataCheck::not_data);
    c.on_message(message(1, 1), 2000, latency);
    EXPECT_EQ(c.tally().corrupt, 1u);
    EXPECT_EQ(c.tally().unexpected, 1u);
    EXPECT_EQ(c.tally().lost, 0u);  // the corrupt one still had its sequence number
    EXPECT_EQ(c.tally().errors(), 2u);
}

TEST(StreamChecker, WhatTheCameraSaysIsKeptAndDropsAreNotLosses) {
    StreamChecker c(1);
    OneWayLog log;
    std::vector<std::uint8_t> m(100);
    // Frames dropped at the camera use no sequence number.
    const std::uint64_t dropped[] = {0, 0, 3, 3, 7};
    const std::uint64_t bitrates[] = {4'000'000, 3'400'000, 2'000'000, 2'100'000, 2'200'000};
    for (std::uint64_t s = 0; s < 5; ++s) {
        write_data_message(m, DataHeader{100, s, 1000, 1}, CameraState{dropped[s], bitrates[s]});
        EXPECT_EQ(c.on_message(m, 2000, &log), DataCheck::ok);
    }
    EXPECT_EQ(c.tally().lost, 0u);
    EXPECT_EQ(c.tally().messages, 5u);
    EXPECT_EQ(c.camera().messages, 5u);
    EXPECT_EQ(c.camera().dropped, 7u);
    auto summary = summarize_bitrates(c.camera().bitrates_bps);
    ASSERT_TRUE(summary);
    EXPECT_EQ(summary->min_bps, 2'000'000u);
    EXPECT_EQ(summary->median_bps, 2'200'000u);
    EXPECT_EQ(summary->final_bps, 2'200'000u);
    EXPECT_EQ(log.size(), 5u);
    EXPECT_FALSE(summarize_bitrates({}));
}

TEST(StreamChecker, AMalformedClockReplyIsUnexpected) {
    StreamChecker c(1);
    auto reply = encode_clock_reply(ClockReply{1, 2, 3, 4});
    reply.push_back(0);
    EXPECT_EQ(c.on_message(reply, 10, nullptr), DataCheck::not_data);
    EXPECT_EQ(c.tally().unexpected, 1u);
    EXPECT_EQ(c.clock_replies(), 0u);
}

}  // namespace
}  // namespace camrelay::bench
