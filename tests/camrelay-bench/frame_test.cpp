// Frame encoding and masking, against the examples of RFC 6455 section 5.7.
#include <gtest/gtest.h>

#include <numeric>
#include <string>
#include <vector>

#include "protocol/frame.hpp"

namespace camrelay::bench::ws {
namespace {

using Bytes = std::vector<std::uint8_t>;

Bytes frame(Opcode op, const std::string& payload, bool fin = true, std::optional<MaskKey> mask = std::nullopt) {
    Bytes out;
    append_frame(out, op, {reinterpret_cast<const std::uint8_t*>(payload.data()), payload.size()}, fin, mask);
    return out;
}

const MaskKey kRfcMask{0x37, 0xfa, 0x21, 0x3d};

TEST(Frame, RfcExamples) {
    EXPECT_EQ(frame(Opcode::text, "Hello"), (Bytes{0x81, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f}));
    EXPECT_EQ(frame(Opcode::text, "Hello", true, kRfcMask),
              (Bytes{0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58}));
    EXPECT_EQ(frame(Opcode::text, "Hel", false), (Bytes{0x01, 0x03, 0x48, 0x65, 0x6c}));
    EXPECT_EQ(frame(Opcode::continuation, "lo"), (Bytes{0x80, 0x02, 0x6c, 0x6f}));
    EXPECT_EQ(frame(Opcode::ping, "Hello"), (Bytes{0x89, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f}));
    EXPECT_EQ(frame(Opcode::pong, "Hello", true, kRfcMask),
              (Bytes{0x8a, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58}));
}

TEST(Frame, SixteenBitLengthFor256Bytes) {
    Bytes f = frame(Opcode::binary, std::string(256, 'x'));
    ASSERT_EQ(f.size(), 4u + 256u);
    EXPECT_EQ((Bytes{f[0], f[1], f[2], f[3]}), (Bytes{0x82, 0x7E, 0x01, 0x00}));
}

TEST(Frame, SixtyFourBitLengthFor64KiB) {
    Bytes f = frame(Opcode::binary, std::string(65536, 'x'));
    ASSERT_EQ(f.size(), 10u + 65536u);
    EXPECT_EQ(Bytes(f.begin(), f.begin() + 10), (Bytes{0x82, 0x7F, 0, 0, 0, 0, 0, 1, 0, 0}));
}

TEST(Frame, HeaderSizeAtTheLengthClassBoundaries) {
    struct Case {
        std::uint64_t length;
        std::size_t unmasked;
    };
    for (Case c : {Case{0, 2}, Case{125, 2}, Case{126, 4}, Case{0xFFFF, 4}, Case{0x10000, 10}, Case{1ull << 40, 10}}) {
        EXPECT_EQ(header_size(c.length, false), c.unmasked) << c.length;
        EXPECT_EQ(header_size(c.length, true), c.unmasked + 4) << c.length;
        FrameHeader h;
        h.length = c.length;
        h.masked = true;
        std::array<std::uint8_t, kMaxHeaderSize> out{};
        EXPECT_EQ(encode_header(h, out), c.unmasked + 4);
    }
}

TEST(Frame, FortyBitLengthIsBigEndian) {
    FrameHeader h;
    h.length = 0x0102030405ull;
    std::array<std::uint8_t, kMaxHeaderSize> out{};
    ASSERT_EQ(encode_header(h, out), 10u);
    EXPECT_EQ(Bytes(out.begin() + 2, out.begin() + 10), (Bytes{0, 0, 0, 1, 2, 3, 4, 5}));
}

TEST(Frame, MaskingInPiecesEqualsMaskingAtOnce) {
    Bytes data(1000);
    std::iota(data.begin(), data.end(), 0);
    Bytes whole = data;
    apply_mask(whole, kRfcMask);
    for (std::size_t split : {0u, 1u, 3u, 7u, 8u, 9u, 500u, 999u}) {
        Bytes pieces = data;
        apply_mask(std::span<std::uint8_t>(pieces.data(), split), kRfcMask, 0);
        apply_mask(std::span<std::uint8_t>(pieces.data() + split, pieces.size() - split), kRfcMask, split);
        EXPECT_EQ(pieces, whole) << split;
    }
    for (std::size_t i = 0; i < data.size(); ++i) ASSERT_EQ(whole[i], data[i] ^ kRfcMask[i % 4]);
    apply_mask(whole, kRfcMask);
    EXPECT_EQ(whole, data);
}

TEST(Frame, OpcodeClasses) {
    EXPECT_TRUE(is_control(Opcode::close));
    EXPECT_TRUE(is_control(Opcode::ping));
    EXPECT_TRUE(is_control(Opcode::pong));
    EXPECT_FALSE(is_control(Opcode::binary));
    EXPECT_FALSE(is_control(Opcode::continuation));
    for (std::uint8_t op : {0x3, 0x4, 0x5, 0x6, 0x7, 0xB, 0xC, 0xD, 0xE, 0xF}) EXPECT_FALSE(is_defined_opcode(op));
    for (std::uint8_t op : {0x0, 0x1, 0x2, 0x8, 0x9, 0xA}) EXPECT_TRUE(is_defined_opcode(op));
}

}  // namespace
}  // namespace camrelay::bench::ws
