// The demo camera's pure parts: its frame format, its picture, its options.
#include <gtest/gtest.h>

#include <algorithm>
#include <vector>

#include "commands/demo_frame.hpp"
#include "commands/demo_picture.hpp"
#include "commands/options.hpp"

namespace camrelay::bench {
namespace {

std::vector<std::uint8_t> picture(const DemoScene& scene) {
    std::vector<std::uint8_t> indices(kDemoPixels, 0xff);
    draw_demo_picture(indices, scene);
    return indices;
}

std::uint8_t at(const std::vector<std::uint8_t>& indices, int x, int y) {
    return indices[static_cast<std::size_t>(y) * kDemoWidth + static_cast<std::size_t>(x)];
}

TEST(DemoFrame, SizeIsHeaderPaletteAndFourBitPixels) {
    EXPECT_EQ(kDemoFrameSize, 28u + 48u + 320u * 180u / 2u);
    // A few hundred KiB/s for one viewer at the default frame rate.
    EXPECT_LT(static_cast<double>(kDemoFrameSize) * kDemoDefaultFps / 1024, 400.0);
}

TEST(DemoFrame, RoundTrip) {
    std::vector<std::uint8_t> indices(kDemoPixels);
    for (std::size_t i = 0; i < indices.size(); ++i) indices[i] = static_cast<std::uint8_t>(i * 7 % 16);
    std::vector<std::uint8_t> message(kDemoFrameSize);
    write_demo_frame(message, 0x0102030405060708ull, 1'700'000'000'123'456ull, indices);

    EXPECT_EQ(std::string(message.begin(), message.begin() + 4), "CRD1");
    const auto header = read_demo_frame(message);
    ASSERT_TRUE(header);
    EXPECT_EQ(header->width, 320);
    EXPECT_EQ(header->height, 180);
    EXPECT_EQ(header->frame, 0x0102030405060708ull);
    EXPECT_EQ(header->sent_unix_us, 1'700'000'000'123'456ull);
    EXPECT_EQ(message[8], 0x08);  // little-endian
    // Palette then pixels, the left one in the high nibble.
    EXPECT_EQ(message[28 + 3 * 2], kDemoPalette[2][0]);
    EXPECT_EQ(message[kDemoHeaderSize], (indices[0] << 4) | indices[1]);
    EXPECT_EQ(message[kDemoHeaderSize + 1], (indices[2] << 4) | indices[3]);
    EXPECT_EQ(message.back(), (indices[kDemoPixels - 2] << 4) | indices[kDemoPixels - 1]);
}

TEST(DemoFrame, MalformedFramesAreRefused) {
    std::vector<std::uint8_t> indices(kDemoPixels);
    std::vector<std::uint8_t> good(kDemoFrameSize);
    write_demo_frame(good, 1, 2, indices);
    ASSERT_TRUE(read_demo_frame(good));

    auto changed = [&](std::size_t offset, std::uint8_t value) {
        std::vector<std::uint8_t> bad = good;
        bad[offset] = value;
        return read_demo_frame(bad).has_value();
    };
    EXPECT_FALSE(changed(0, 'X'));   // magic
    EXPECT_FALSE(changed(4, 0x41));  // width: the size no longer matches
    EXPECT_FALSE(changed(24, 8));    // bits per pixel
    EXPECT_FALSE(changed(25, 0));    // no palette
    EXPECT_FALSE(changed(25, 17));   // too many colours
    EXPECT_FALSE(changed(26, 29));   // header length
    std::vector<std::uint8_t> shorter(good.begin(), good.end() - 1);
    EXPECT_FALSE(read_demo_frame(shorter));
    std::vector<std::uint8_t> longer = good;
    longer.push_back(0);
    EXPECT_FALSE(read_demo_frame(longer));
    EXPECT_FALSE(read_demo_frame(std::span<const std::uint8_t>(good.data(), 20)));
}

TEST(DemoPicture, ColourBarsBandAndEveryPixelDrawn) {
    const auto indices = picture(DemoScene{42, "12:34:56.78", 0.0});
    EXPECT_TRUE(std::none_of(indices.begin(), indices.end(), [](std::uint8_t i) { return i >= kDemoColours; }));
    // At 0 s the ball is in the top left corner: the bars' middles are clear.
    using namespace demo_colour;
    const std::uint8_t bars[] = {bar_white, yellow, cyan, green, magenta, red, blue};
    for (int i = 0; i < 7; ++i) EXPECT_EQ(at(indices, i * 320 / 7 + 22, 60), bars[i]) << "bar " << i;
    EXPECT_EQ(at(indices, 2, 178), band);
}

TEST(DemoPicture, SameSceneSamePicture) {
    EXPECT_EQ(picture(DemoScene{7, "01:02:03.04", 1.25}), picture(DemoScene{7, "01:02:03.04", 1.25}));
}

TEST(DemoPicture, TheClockTheFrameNumberAndTheMovingPartsChangeIt) {
    const auto base = picture(DemoScene{7, "01:02:03.04", 1.25});
    EXPECT_NE(base, picture(DemoScene{7, "01:02:03.05", 1.25}));
    EXPECT_NE(base, picture(DemoScene{8, "01:02:03.04", 1.25}));
    EXPECT_NE(base, picture(DemoScene{7, "01:02:03.04", 1.35}));
}

TEST(DemoPicture, TextIsDrawnInItsColourAndClipped) {
    std::vector<std::uint8_t> indices(kDemoPixels, 0);
    draw_demo_text(indices, 10, 10, "8", 2, demo_colour::white);
    // "8": its top row is .###. at 2x: pixels 12..17 of row 10 are set.
    EXPECT_EQ(at(indices, 10, 10), 0);
    EXPECT_EQ(at(indices, 12, 10), demo_colour::white);
    EXPECT_EQ(at(indices, 17, 11), demo_colour::white);
    EXPECT_EQ(at(indices, 18, 10), 0);
    EXPECT_EQ(demo_text_width("12:34", 3), 5 * 18 - 3);
    // Off the edges: nothing written out of bounds, nothing drawn at all
    // when wholly outside.
    std::vector<std::uint8_t> blank(kDemoPixels, 0);
    draw_demo_text(blank, -100, -100, "8", 3, 1);
    draw_demo_text(blank, 5000, 5000, "8", 3, 1);
    EXPECT_EQ(blank, std::vector<std::uint8_t>(kDemoPixels, 0));
    draw_demo_text(blank, 316, 176, "88", 3, 1);
    EXPECT_EQ(at(blank, 319, 176), 1);  // the top of the first "8", cut at the edge
}

TEST(DemoOptions, ServeDemoTakesAFrameRate) {
    ServeOptions o = parse_serve_options({"--listen", "127.0.0.1:0", "--mode", "demo"});
    EXPECT_EQ(o.mode, ServeOptions::Mode::demo);
    EXPECT_EQ(o.pace.interval_ns, 83'333'333u);  // 12 frames a second
    EXPECT_EQ(parse_serve_options({"--listen", "h:1", "--mode", "demo", "--rate", "25"}).pace.interval_ns, 40'000'000u);
    for (auto extra : std::vector<std::vector<std::string>>{
             {"--rate", "max"}, {"--rate", "0.5"}, {"--rate", "61"}, {"--mbps", "4"}, {"--size", "1000"}}) {
        std::vector<std::string> args = {"--listen", "h:1", "--mode", "demo"};
        args.insert(args.end(), extra.begin(), extra.end());
        EXPECT_THROW(parse_serve_options(args), UsageError) << extra[0] << " " << extra[1];
    }
}

TEST(DemoOptions, RunDemoTakesOneUrl) {
    RunOptions o = parse_run_options({"ws://h/cam1/?k=x", "--mode", "demo", "--duration", "2"});
    EXPECT_EQ(o.mode, RunOptions::Mode::demo);
    EXPECT_EQ(o.duration_s, 2);
    EXPECT_THROW(parse_run_options({"ws://h/a", "ws://h/b", "--mode", "demo"}), UsageError);
}

}  // namespace
}  // namespace camrelay::bench
