// camrelay-bench: the demo camera's frames (`serve --mode demo`), one binary
// WebSocket message each, raw like a real camera's, little-endian:
//
//     offset  size  field
//          0     4  magic "CRD1"
//          4     2  width in pixels (320)
//          6     2  height in pixels (180)
//          8     8  frame number: the camera's, one every frame interval
//                   since it started (a viewer that falls behind, or a
//                   camera that was not scheduled, leaves numbers out)
//         16     8  send time: Unix time in microseconds (CLOCK_REALTIME),
//                   so that a browser on the same machine can tell latency
//         24     1  bits per pixel (4)
//         25     1  colours in the palette, N (16)
//         26     2  header length, 28 + 3 * N: where the pixels start
//         28    3N  the palette, red, green, blue
//         28+3N  .  the pixels, rows top to bottom, two a byte: the left one
//                   in the high nibble
//
// 28,876 bytes a frame: at 12 frames a second, 338 KiB/s for each viewer.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

namespace camrelay::bench {

inline constexpr std::uint16_t kDemoWidth = 320;
inline constexpr std::uint16_t kDemoHeight = 180;
inline constexpr std::size_t kDemoPixels = std::size_t{kDemoWidth} * kDemoHeight;
inline constexpr std::size_t kDemoColours = 16;
inline constexpr std::size_t kDemoFixedHeader = 28;
inline constexpr std::size_t kDemoHeaderSize = kDemoFixedHeader + 3 * kDemoColours;
inline constexpr std::size_t kDemoFrameSize = kDemoHeaderSize + kDemoPixels / 2;
inline constexpr double kDemoDefaultFps = 12;

// The picture's colours (palette indices of demo_picture.hpp).
extern const std::array<std::array<std::uint8_t, 3>, kDemoColours> kDemoPalette;

struct DemoFrameHeader {
    std::uint16_t width = 0;
    std::uint16_t height = 0;
    std::uint64_t frame = 0;
    std::uint64_t sent_unix_us = 0;
};

// Fills `message` (kDemoFrameSize bytes) with the header, the palette and
// `indices` (kDemoPixels palette indices, row by row) packed two a byte.
void write_demo_frame(std::span<std::uint8_t> message, std::uint64_t frame, std::uint64_t sent_unix_us,
                      std::span<const std::uint8_t> indices);

// The header of a well-formed frame of any size: magic, 4 bits per pixel,
// a palette of 1 to 16 colours, and exactly as many bytes as the size says.
std::optional<DemoFrameHeader> read_demo_frame(std::span<const std::uint8_t> message);

}  // namespace camrelay::bench
