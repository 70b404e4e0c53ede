// camrelay-bench: the demo camera's frames.
#include "demo_frame.hpp"

#include <cstring>

namespace camrelay::bench {

namespace {

constexpr std::uint8_t kMagic[4] = {'C', 'R', 'D', '1'};
constexpr std::uint8_t kBitsPerPixel = 4;

void put16(std::uint8_t* at, std::uint16_t value) {
    for (int i = 0; i < 2; ++i) at[i] = static_cast<std::uint8_t>(value >> (8 * i));
}
void put64(std::uint8_t* at, std::uint64_t value) {
    for (int i = 0; i < 8; ++i) at[i] = static_cast<std::uint8_t>(value >> (8 * i));
}
std::uint64_t get(const std::uint8_t* at, int bytes) {
    std::uint64_t value = 0;
    for (int i = bytes - 1; i >= 0; --i) value = value << 8 | at[i];
    return value;
}

}  // namespace

// SMPTE-like colour bars at 75%, their second row, white and the band's
// colours (demo_picture.cpp names each index).
const std::array<std::array<std::uint8_t, 3>, kDemoColours> kDemoPalette = {{
    {0, 0, 0},        // black
    {191, 191, 191},  // 75% white
    {191, 191, 0},    // yellow
    {0, 191, 191},    // cyan
    {0, 191, 0},      // green
    {191, 0, 191},    // magenta
    {191, 0, 0},      // red
    {0, 0, 191},      // blue
    {255, 255, 255},  // white
    {22, 24, 38},     // the band under the bars
    {0, 33, 76},      // (not drawn)
    {50, 0, 106},     // (not drawn)
    {19, 19, 19},     // near black
    {255, 140, 0},    // the ball
    {150, 150, 160},  // grey text
    {70, 72, 90},     // the second hand's track
}};

void write_demo_frame(std::span<std::uint8_t> message, std::uint64_t frame, std::uint64_t sent_unix_us,
                      std::span<const std::uint8_t> indices) {
    std::uint8_t* out = message.data();
    std::memcpy(out, kMagic, 4);
    put16(out + 4, kDemoWidth);
    put16(out + 6, kDemoHeight);
    put64(out + 8, frame);
    put64(out + 16, sent_unix_us);
    out[24] = kBitsPerPixel;
    out[25] = static_cast<std::uint8_t>(kDemoColours);
    put16(out + 26, static_cast<std::uint16_t>(kDemoHeaderSize));
    for (std::size_t i = 0; i < kDemoColours; ++i)
        std::memcpy(out + kDemoFixedHeader + 3 * i, kDemoPalette[i].data(), 3);
    std::uint8_t* pixels = out + kDemoHeaderSize;
    for (std::size_t i = 0; i < kDemoPixels / 2; ++i) {
        pixels[i] = static_cast<std::uint8_t>((indices[2 * i] & 0x0f) << 4 | (indices[2 * i + 1] & 0x0f));
    }
}

std::optional<DemoFrameHeader> read_demo_frame(std::span<const std::uint8_t> message) {
    if (message.size() < kDemoFixedHeader || std::memcmp(message.data(), kMagic, 4) != 0) return std::nullopt;
    const std::uint8_t* in = message.data();
    DemoFrameHeader header;
    header.width = static_cast<std::uint16_t>(get(in + 4, 2));
    header.height = static_cast<std::uint16_t>(get(in + 6, 2));
    header.frame = get(in + 8, 8);
    header.sent_unix_us = get(in + 16, 8);
    const std::size_t colours = in[25];
    const std::size_t header_length = get(in + 26, 2);
    const std::size_t pixels = std::size_t{header.width} * header.height;
    if (in[24] != kBitsPerPixel || colours == 0 || colours > 16 || header_length != kDemoFixedHeader + 3 * colours ||
        pixels == 0 || pixels % 2 != 0 || message.size() != header_length + pixels / 2) {
        return std::nullopt;
    }
    return header;
}

}  // namespace camrelay::bench
