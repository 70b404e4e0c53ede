// camrelay-bench: the demo camera's picture.
#include "demo_picture.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <string>

#include "demo_frame.hpp"

namespace camrelay::bench {

namespace {

using namespace demo_colour;

constexpr int kWidth = kDemoWidth;
constexpr int kHeight = kDemoHeight;
constexpr int kBarsHeight = 100;    // the seven bars
constexpr int kSecondRowEnd = 112;  // the bars' second row
constexpr int kTrackEnd = 116;      // the second hand's track
constexpr int kBallRadius = 11;
constexpr int kGlyphWidth = 5;
constexpr int kGlyphHeight = 7;

// One glyph: its character and seven rows of five pixels, the leftmost in
// bit 4.
struct Glyph {
    char c;
    std::array<std::uint8_t, kGlyphHeight> rows;
};

constexpr std::array<Glyph, 24> kFont = {{
    {'0', {0x0e, 0x11, 0x13, 0x15, 0x19, 0x11, 0x0e}}, {'1', {0x04, 0x0c, 0x04, 0x04, 0x04, 0x04, 0x0e}},
    {'2', {0x0e, 0x11, 0x01, 0x02, 0x04, 0x08, 0x1f}}, {'3', {0x1f, 0x02, 0x04, 0x02, 0x01, 0x11, 0x0e}},
    {'4', {0x02, 0x06, 0x0a, 0x12, 0x1f, 0x02, 0x02}}, {'5', {0x1f, 0x10, 0x1e, 0x01, 0x01, 0x11, 0x0e}},
    {'6', {0x06, 0x08, 0x10, 0x1e, 0x11, 0x11, 0x0e}}, {'7', {0x1f, 0x01, 0x02, 0x04, 0x08, 0x08, 0x08}},
    {'8', {0x0e, 0x11, 0x11, 0x0e, 0x11, 0x11, 0x0e}}, {'9', {0x0e, 0x11, 0x11, 0x0f, 0x01, 0x02, 0x0c}},
    {' ', {0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00}}, {':', {0x00, 0x0c, 0x0c, 0x00, 0x0c, 0x0c, 0x00}},
    {'.', {0x00, 0x00, 0x00, 0x00, 0x00, 0x0c, 0x0c}}, {'-', {0x00, 0x00, 0x00, 0x1f, 0x00, 0x00, 0x00}},
    {'A', {0x0e, 0x11, 0x11, 0x1f, 0x11, 0x11, 0x11}}, {'C', {0x0e, 0x11, 0x10, 0x10, 0x10, 0x11, 0x0e}},
    {'D', {0x1c, 0x12, 0x11, 0x11, 0x11, 0x12, 0x1c}}, {'E', {0x1f, 0x10, 0x10, 0x1e, 0x10, 0x10, 0x1f}},
    {'F', {0x1f, 0x10, 0x10, 0x1e, 0x10, 0x10, 0x10}}, {'L', {0x10, 0x10, 0x10, 0x10, 0x10, 0x10, 0x1f}},
    {'M', {0x11, 0x1b, 0x15, 0x15, 0x11, 0x11, 0x11}}, {'O', {0x0e, 0x11, 0x11, 0x11, 0x11, 0x11, 0x0e}},
    {'R', {0x1e, 0x11, 0x11, 0x1e, 0x14, 0x12, 0x11}}, {'Y', {0x11, 0x11, 0x0a, 0x04, 0x04, 0x04, 0x04}},
}};
constexpr Glyph kBox = {'?', {0x1f, 0x11, 0x11, 0x11, 0x11, 0x11, 0x1f}};

const Glyph& glyph_of(char c) {
    for (const Glyph& glyph : kFont) {
        if (glyph.c == c) return glyph;
    }
    return kBox;
}

void fill(std::span<std::uint8_t> indices, int x0, int y0, int x1, int y1, std::uint8_t colour) {
    x0 = std::max(x0, 0);
    y0 = std::max(y0, 0);
    x1 = std::min(x1, kWidth);
    y1 = std::min(y1, kHeight);
    for (int y = y0; y < y1; ++y) {
        for (int x = x0; x < x1; ++x) indices[static_cast<std::size_t>(y * kWidth + x)] = colour;
    }
}

// 0 to 1 and back to 0 over `period` seconds.
double triangle(double seconds, double period) {
    const double phase = seconds / period - std::floor(seconds / period);
    return phase < 0.5 ? 2 * phase : 2 - 2 * phase;
}

void draw_ball(std::span<std::uint8_t> indices, double seconds) {
    const double cx = kBallRadius + triangle(seconds, 5.0) * (kWidth - 2 * kBallRadius);
    const double cy = kBallRadius + triangle(seconds, 3.1) * (kSecondRowEnd - 2 * kBallRadius);
    for (int y = static_cast<int>(cy) - kBallRadius - 1; y <= static_cast<int>(cy) + kBallRadius + 1; ++y) {
        for (int x = static_cast<int>(cx) - kBallRadius - 1; x <= static_cast<int>(cx) + kBallRadius + 1; ++x) {
            if (x < 0 || y < 0 || x >= kWidth || y >= kHeight) continue;
            const double distance = std::hypot(x + 0.5 - cx, y + 0.5 - cy);
            if (distance <= kBallRadius - 1.5)
                indices[static_cast<std::size_t>(y * kWidth + x)] = ball;
            else if (distance <= kBallRadius)
                indices[static_cast<std::size_t>(y * kWidth + x)] = black;
        }
    }
}

}  // namespace

int demo_text_width(std::string_view text, int scale) {
    return text.empty() ? 0 : static_cast<int>(text.size()) * (kGlyphWidth + 1) * scale - scale;
}

void draw_demo_text(std::span<std::uint8_t> indices, int x, int y, std::string_view text, int scale,
                    std::uint8_t colour) {
    for (char c : text) {
        const Glyph& glyph = glyph_of(c);
        for (int row = 0; row < kGlyphHeight; ++row) {
            for (int column = 0; column < kGlyphWidth; ++column) {
                if ((glyph.rows[static_cast<std::size_t>(row)] >> (kGlyphWidth - 1 - column) & 1) == 0) continue;
                fill(indices, x + column * scale, y + row * scale, x + (column + 1) * scale, y + (row + 1) * scale,
                     colour);
            }
        }
        x += (kGlyphWidth + 1) * scale;
    }
}

void draw_demo_picture(std::span<std::uint8_t> indices, const DemoScene& scene) {
    constexpr std::array<std::uint8_t, 7> bars = {bar_white, yellow, cyan, green, magenta, red, blue};
    constexpr std::array<std::uint8_t, 7> second_row = {blue, near_black, magenta,  near_black,
                                                        cyan, near_black, bar_white};
    for (int i = 0; i < 7; ++i) {
        const int x0 = i * kWidth / 7;
        const int x1 = (i + 1) * kWidth / 7;
        fill(indices, x0, 0, x1, kBarsHeight, bars[static_cast<std::size_t>(i)]);
        fill(indices, x0, kBarsHeight, x1, kSecondRowEnd, second_row[static_cast<std::size_t>(i)]);
    }
    fill(indices, 0, kSecondRowEnd, kWidth, kHeight, band);

    // The second hand: once across the track every second.
    fill(indices, 0, kSecondRowEnd, kWidth, kTrackEnd, track);
    const int hand = static_cast<int>((scene.seconds - std::floor(scene.seconds)) * (kWidth - 8));
    fill(indices, hand, kSecondRowEnd, hand + 8, kTrackEnd, white);

    draw_ball(indices, scene.seconds);

    constexpr std::string_view label = "CAMRELAY DEMO";
    fill(indices, 3, 3, 3 + demo_text_width(label, 1) + 4, 3 + kGlyphHeight + 4, black);
    draw_demo_text(indices, 5, 5, label, 1, white);

    draw_demo_text(indices, (kWidth - demo_text_width(scene.clock, 3)) / 2, 124, scene.clock, 3, white);
    const std::string frame = "FRAME " + std::to_string(scene.frame);
    draw_demo_text(indices, (kWidth - demo_text_width(frame, 2)) / 2, 155, frame, 2, grey);
}

}  // namespace camrelay::bench
