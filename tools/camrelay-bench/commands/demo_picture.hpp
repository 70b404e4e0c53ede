// camrelay-bench: the demo camera's picture, a test pattern that moves:
// colour bars with a ball bouncing over them, a second hand sweeping a
// track once a second, and a band with the camera's clock (to the hundredth
// of a second) and the frame number, drawn in a 5x7 bitmap font. Pure: the
// same scene always gives the same picture.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

namespace camrelay::bench {

struct DemoScene {
    std::uint64_t frame = 0;
    std::string_view clock;  // "HH:MM:SS.cc", the camera's local time
    double seconds = 0;      // since the camera started: where the moving parts are
};

// Palette indices (demo_frame.cpp's kDemoPalette) the picture uses by name.
namespace demo_colour {
inline constexpr std::uint8_t black = 0, bar_white = 1, yellow = 2, cyan = 3, green = 4, magenta = 5, red = 6, blue = 7,
                              white = 8, band = 9, near_black = 12, ball = 13, grey = 14, track = 15;
}

// Draws `scene` into `indices`: kDemoWidth x kDemoHeight palette indices,
// row by row.
void draw_demo_picture(std::span<std::uint8_t> indices, const DemoScene& scene);

// Draws `text` (digits, ' ', ':', '.', '-' and the capitals of "CAMRELAY
// DEMO FRAME"; anything else as a box) with its top left corner at x, y,
// each font pixel `scale` pixels square. Clipped to the picture.
void draw_demo_text(std::span<std::uint8_t> indices, int x, int y, std::string_view text, int scale,
                    std::uint8_t colour);

// The width `text` takes at `scale`: 6 * scale a character, less the last gap.
int demo_text_width(std::string_view text, int scale);

}  // namespace camrelay::bench
