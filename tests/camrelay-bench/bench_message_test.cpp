// Data messages and stream requests: round trips, and every corruption found.
#include <gtest/gtest.h>

#include <vector>

#include "measure/bench_message.hpp"

namespace camrelay::bench {
namespace {

std::vector<std::uint8_t> message(std::size_t size, std::uint64_t sequence, std::uint32_t stream = 3) {
    std::vector<std::uint8_t> m(size);
    write_data_message(m, DataHeader{static_cast<std::uint32_t>(size), sequence, 123456789, stream});
    return m;
}

TEST(BenchMessage, RoundTripOfEverySizeNearTheHeader) {
    for (std::size_t size = kDataHeaderSize; size < kDataHeaderSize + 40; ++size) {
        auto m = message(size, size * 3);
        DataHeader h;
        ASSERT_EQ(check_data_message(m, h), DataCheck::ok) << size;
        EXPECT_EQ(h.length, size);
        EXPECT_EQ(h.sequence, size * 3);
        EXPECT_EQ(h.sent_ns, 123456789u);
        EXPECT_EQ(h.stream_id, 3u);
    }
    DataHeader h;
    EXPECT_EQ(check_data_message(message(16384, 7), h), DataCheck::ok);
}

TEST(BenchMessage, LayoutIsLittleEndian) {
    auto m = message(40, 0x0102);
    EXPECT_EQ(std::string(m.begin(), m.begin() + 4), "CRB1");
    EXPECT_EQ(m[4], 40);
    EXPECT_EQ(m[8], 0x02);
    EXPECT_EQ(m[9], 0x01);
    EXPECT_EQ(m[24], 3);
}

TEST(BenchMessage, EveryChangedByteIsFound) {
    const auto good = message(100, 42);
    for (std::size_t i = 0; i < good.size(); ++i) {
        if (i >= 16 && i < 28) continue;  // send time and stream id: any value is valid
        auto m = good;
        m[i] ^= 0x20;
        DataHeader h;
        EXPECT_NE(check_data_message(m, h), DataCheck::ok) << "byte " << i;
    }
}

TEST(BenchMessage, PayloadDependsOnTheSequence) {
    auto a = message(64, 1), b = message(64, 2);
    EXPECT_FALSE(std::equal(a.begin() + kDataHeaderSize, a.end(), b.begin() + kDataHeaderSize));
    // Another message's payload under this header is found.
    std::copy(b.begin() + kDataHeaderSize, b.end(), a.begin() + kDataHeaderSize);
    DataHeader h;
    EXPECT_EQ(check_data_message(a, h), DataCheck::bad_payload);
}

TEST(BenchMessage, WrongShapes) {
    DataHeader h;
    std::vector<std::uint8_t> short_one(10, 0);
    EXPECT_EQ(check_data_message(short_one, h), DataCheck::not_data);
    auto m = message(64, 1);
    m.pop_back();
    EXPECT_EQ(check_data_message(m, h), DataCheck::bad_length);
    EXPECT_TRUE(looks_like_data_message(message(64, 1)));
    EXPECT_FALSE(looks_like_stream_request(message(64, 1)));
}

TEST(BenchMessage, StreamRequestRoundTrip) {
    StreamRequest r{7, 16384, 32'768'000};
    auto bytes = encode_stream_request(r);
    EXPECT_EQ(bytes.size(), kStreamRequestSize);
    EXPECT_TRUE(looks_like_stream_request(bytes));
    auto back = decode_stream_request(bytes);
    ASSERT_TRUE(back);
    EXPECT_EQ(back->stream_id, 7u);
    EXPECT_EQ(back->message_size, 16384u);
    EXPECT_EQ(back->interval_ns, 32'768'000u);
}

TEST(BenchMessage, BadStreamRequests) {
    EXPECT_FALSE(decode_stream_request(encode_stream_request(StreamRequest{0, 100, 0})));
    EXPECT_FALSE(decode_stream_request(encode_stream_request(StreamRequest{1, 8, 0})));
    EXPECT_FALSE(decode_stream_request(encode_stream_request(StreamRequest{1, 1u << 30, 0})));
    auto bytes = encode_stream_request(StreamRequest{1, 100, 0});
    bytes.push_back(0);
    EXPECT_FALSE(decode_stream_request(bytes));
}

// The camera's state rides in the header of a stream that asked for it;
// the payload pattern follows it and is still checked.
TEST(BenchMessage, CameraStateRoundTripsAndThePayloadIsStillChecked) {
    for (std::size_t size : {kDataHeaderSize + kCameraStateSize, std::size_t{100}, std::size_t{16384}}) {
        std::vector<std::uint8_t> m(size);
        write_data_message(m, DataHeader{static_cast<std::uint32_t>(size), 9, 5, 2}, CameraState{17, 2'500'000});
        EXPECT_EQ(m[28], kCameraStateSize) << size;
        DataHeader h;
        std::optional<CameraState> camera;
        ASSERT_EQ(check_data_message(m, h, &camera), DataCheck::ok) << size;
        ASSERT_TRUE(camera) << size;
        EXPECT_EQ(*camera, (CameraState{17, 2'500'000}));
        EXPECT_EQ(h.sequence, 9u);
        if (size > kDataHeaderSize + kCameraStateSize) {
            m[size - 1] ^= 1;
            EXPECT_EQ(check_data_message(m, h, &camera), DataCheck::bad_payload) << size;
        }
    }
}

TEST(BenchMessage, NoCameraStateInAMessageWithoutRoomOrWithoutAsking) {
    std::vector<std::uint8_t> small(kDataHeaderSize + kCameraStateSize - 1);
    write_data_message(small, DataHeader{0, 1, 5, 2}, CameraState{1, 2});
    DataHeader h;
    std::optional<CameraState> camera = CameraState{};
    EXPECT_EQ(small[28], 0);
    EXPECT_EQ(check_data_message(small, h, &camera), DataCheck::ok);
    EXPECT_FALSE(camera);
    auto plain = message(200, 4);
    EXPECT_EQ(check_data_message(plain, h, &camera), DataCheck::ok);
    EXPECT_FALSE(camera);
}

TEST(BenchMessage, AStateSizeOtherThanTheKnownOneIsCorrupt) {
    std::vector<std::uint8_t> m(100);
    write_data_message(m, DataHeader{100, 1, 5, 2}, CameraState{1, 2});
    DataHeader h;
    m[28] = 8;
    EXPECT_EQ(check_data_message(m, h), DataCheck::bad_payload);
    std::vector<std::uint8_t> short_one(40);
    write_data_message(short_one, DataHeader{40, 1, 5, 2});
    short_one[28] = kCameraStateSize;  // claims more than the message holds
    EXPECT_EQ(check_data_message(short_one, h), DataCheck::bad_payload);
}

TEST(BenchMessage, StreamRequestFlagAndItsOlderForm) {
    auto with = encode_stream_request(StreamRequest{4, 1000, 2'000'000, true});
    EXPECT_EQ(with[12], 1);
    auto decoded = decode_stream_request(with);
    ASSERT_TRUE(decoded);
    EXPECT_TRUE(decoded->camera_state);
    EXPECT_EQ(decoded->interval_ns, 2'000'000u);
    auto without = encode_stream_request(StreamRequest{4, 1000, 2'000'000, false});
    EXPECT_EQ(without[12], 0);  // what an older viewer sends
    ASSERT_TRUE(decode_stream_request(without));
    EXPECT_FALSE(decode_stream_request(without)->camera_state);
    with[12] = 3;  // an unknown flag
    EXPECT_FALSE(decode_stream_request(with));
}

TEST(BenchMessage, ClockProbeAndReply) {
    auto probe = encode_clock_probe(ClockProbe{7, 0x0102030405060708ull});
    EXPECT_EQ(probe.size(), kClockProbeSize);
    EXPECT_EQ(std::string(probe.begin(), probe.begin() + 4), "CRBP");
    EXPECT_TRUE(looks_like_clock_probe(probe));
    auto p = decode_clock_probe(probe);
    ASSERT_TRUE(p);
    EXPECT_EQ(p->number, 7u);
    EXPECT_EQ(p->viewer_sent_ns, 0x0102030405060708ull);
    auto reply = encode_clock_reply(ClockReply{7, 10, 20, 30});
    EXPECT_EQ(std::string(reply.begin(), reply.begin() + 4), "CRBT");
    EXPECT_TRUE(looks_like_clock_reply(reply));
    EXPECT_FALSE(looks_like_data_message(reply));
    auto r = decode_clock_reply(reply);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->number, 7u);
    EXPECT_EQ(r->viewer_sent_ns, 10u);
    EXPECT_EQ(r->camera_received_ns, 20u);
    EXPECT_EQ(r->camera_sent_ns, 30u);
    reply.pop_back();
    EXPECT_FALSE(decode_clock_reply(reply));
    probe.push_back(0);
    EXPECT_FALSE(decode_clock_probe(probe));
}

}  // namespace
}  // namespace camrelay::bench
