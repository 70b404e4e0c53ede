// The message reader, fed every split of its input: same messages, same
// errors. Bad frames are refused with the right close code.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "protocol/close_code.hpp"
#include "protocol/message_reader.hpp"

namespace camrelay::bench::ws {
namespace {

using Bytes = std::vector<std::uint8_t>;

struct Recorder : MessageHandler {
    std::vector<std::string> events;
    void on_message(Opcode op, std::span<const std::uint8_t> p) override {
        events.push_back((op == Opcode::text ? "text:" : "binary:") + std::string(p.begin(), p.end()));
    }
    void on_ping(std::span<const std::uint8_t> p) override {
        events.push_back("ping:" + std::string(p.begin(), p.end()));
    }
    void on_pong(std::span<const std::uint8_t> p) override {
        events.push_back("pong:" + std::string(p.begin(), p.end()));
    }
    void on_close(std::optional<std::uint16_t> code, std::string_view reason) override {
        events.push_back("close:" + (code ? std::to_string(*code) : std::string("none")) + ":" + std::string(reason));
    }
};

Bytes frame(Opcode op, const std::string& payload, bool fin = true, std::optional<MaskKey> mask = std::nullopt) {
    Bytes out;
    append_frame(out, op, {reinterpret_cast<const std::uint8_t*>(payload.data()), payload.size()}, fin, mask);
    return out;
}

Bytes operator+(Bytes a, const Bytes& b) {
    a.insert(a.end(), b.begin(), b.end());
    return a;
}

struct Outcome {
    std::vector<std::string> events;
    std::optional<ProtocolError> error;
};

// Feeds `input` in the given pieces (a copy: the reader unmasks in place).
Outcome feed_pieces(MaskRule rule, const Bytes& input, const std::vector<std::size_t>& cuts,
                    std::size_t max_message = MessageReader::kDefaultMaxMessage) {
    MessageReader reader(rule, max_message);
    Recorder recorder;
    Bytes copy = input;
    std::size_t at = 0;
    for (std::size_t i = 0; i <= cuts.size(); ++i) {
        std::size_t end = i < cuts.size() ? cuts[i] : copy.size();
        if (!reader.feed(std::span<std::uint8_t>(copy.data() + at, end - at), recorder)) break;
        at = end;
    }
    return {recorder.events, reader.error()};
}

// Checks that every split in two, and byte-by-byte feeding, give the same
// outcome as one feed.
Outcome feed_every_way(MaskRule rule, const Bytes& input, std::size_t max_message = MessageReader::kDefaultMaxMessage) {
    Outcome whole = feed_pieces(rule, input, {}, max_message);
    for (std::size_t split = 0; split <= input.size(); ++split) {
        Outcome two = feed_pieces(rule, input, {split}, max_message);
        EXPECT_EQ(two.events, whole.events) << "split at " << split;
        EXPECT_EQ(two.error.has_value(), whole.error.has_value()) << "split at " << split;
        if (two.error && whole.error) {
            EXPECT_EQ(two.error->close_code, whole.error->close_code);
        }
    }
    std::vector<std::size_t> every;
    for (std::size_t i = 1; i < input.size(); ++i) every.push_back(i);
    Outcome bytewise = feed_pieces(rule, input, every, max_message);
    EXPECT_EQ(bytewise.events, whole.events) << "byte by byte";
    EXPECT_EQ(bytewise.error.has_value(), whole.error.has_value()) << "byte by byte";
    return whole;
}

const MaskKey kMask{0x37, 0xfa, 0x21, 0x3d};

std::string pattern(std::size_t n) {
    std::string s(n, '\0');
    for (std::size_t i = 0; i < n; ++i) s[i] = static_cast<char>('a' + (i * 7) % 26);
    return s;
}

TEST(MessageReader, OneMessageOfEachLengthClassUnmasked) {
    for (std::size_t n : {0u, 1u, 125u, 126u, 127u, 1000u, 65535u, 65536u, 70000u}) {
        Bytes input = frame(Opcode::binary, pattern(n));
        Outcome o = n <= 1000 ? feed_every_way(MaskRule::forbidden, input)
                              : feed_pieces(MaskRule::forbidden, input, {1, 5, 9, n / 2});
        ASSERT_FALSE(o.error) << n << ": " << o.error->message;
        ASSERT_EQ(o.events.size(), 1u) << n;
        EXPECT_EQ(o.events[0], "binary:" + pattern(n)) << n;
    }
}

TEST(MessageReader, OneMessageOfEachLengthClassMasked) {
    for (std::size_t n : {0u, 5u, 125u, 126u, 300u, 65535u, 65536u, 100000u}) {
        Bytes input = frame(Opcode::binary, pattern(n), true, kMask);
        Outcome o = n <= 300 ? feed_every_way(MaskRule::required, input)
                             : feed_pieces(MaskRule::required, input, {3, 11, 14, n / 3});
        ASSERT_FALSE(o.error) << n;
        ASSERT_EQ(o.events.size(), 1u);
        EXPECT_EQ(o.events[0], "binary:" + pattern(n)) << n;
    }
}

TEST(MessageReader, RfcMaskedHello) {
    Bytes input{0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58};
    Outcome o = feed_every_way(MaskRule::required, input);
    EXPECT_EQ(o.events, std::vector<std::string>{"text:Hello"});
}

TEST(MessageReader, FragmentsWithControlFramesBetween) {
    Bytes input = frame(Opcode::text, "Hel", false) + frame(Opcode::ping, "p1") +
                  frame(Opcode::continuation, "l", false) + frame(Opcode::pong, "") + frame(Opcode::continuation, "o") +
                  frame(Opcode::binary, "next");
    Outcome o = feed_every_way(MaskRule::forbidden, input);
    ASSERT_FALSE(o.error);
    EXPECT_EQ(o.events, (std::vector<std::string>{"ping:p1", "pong:", "text:Hello", "binary:next"}));
}

TEST(MessageReader, EmptyFragments) {
    Bytes input =
        frame(Opcode::binary, "", false) + frame(Opcode::continuation, "", false) + frame(Opcode::continuation, "x");
    EXPECT_EQ(feed_every_way(MaskRule::forbidden, input).events, std::vector<std::string>{"binary:x"});
}

TEST(MessageReader, ManyMessagesInOneBuffer) {
    Bytes input;
    std::vector<std::string> expected;
    for (int i = 0; i < 20; ++i) {
        input = input + frame(Opcode::binary, pattern(static_cast<std::size_t>(i * 13)), true, kMask);
        expected.push_back("binary:" + pattern(static_cast<std::size_t>(i * 13)));
    }
    EXPECT_EQ(feed_every_way(MaskRule::required, input).events, expected);
}

TEST(MessageReader, CloseStopsTheReader) {
    Bytes close_frame = frame(Opcode::close, std::string("\x03\xe8", 2) + "bye");
    Outcome o = feed_every_way(MaskRule::forbidden, close_frame + frame(Opcode::binary, "after"));
    ASSERT_FALSE(o.error);
    EXPECT_EQ(o.events, std::vector<std::string>{"close:1000:bye"});
    EXPECT_EQ(feed_every_way(MaskRule::forbidden, frame(Opcode::close, "")).events,
              std::vector<std::string>{"close:none:"});
}

TEST(MessageReader, ClosePayloadEncoding) {
    Bytes payload = close_payload(close_code::going_away, std::string(200, 'r'));
    EXPECT_EQ(payload.size(), kMaxControlPayload);
    EXPECT_EQ(payload[0], 0x03);
    EXPECT_EQ(payload[1], 0xE9);
    // A reason is never cut inside a UTF-8 character.
    std::string euros;
    for (int i = 0; i < 60; ++i) euros += "\xE2\x82\xAC";
    Bytes cut = close_payload(close_code::normal, euros);
    EXPECT_EQ((cut.size() - 2) % 3, 0u);
}

struct BadInput {
    const char* name;
    Bytes bytes;
    MaskRule rule;
    std::uint16_t code;
};

TEST(MessageReader, BadFramesAreRefused) {
    Bytes ok = frame(Opcode::binary, "ok");
    std::vector<BadInput> cases = {
        {"RSV1 set", Bytes{0xC2, 0x00}, MaskRule::forbidden, close_code::protocol_error},
        {"RSV3 set", Bytes{0x92, 0x00}, MaskRule::forbidden, close_code::protocol_error},
        {"reserved data opcode", Bytes{0x83, 0x00}, MaskRule::forbidden, close_code::protocol_error},
        {"reserved control opcode", Bytes{0x8B, 0x00}, MaskRule::forbidden, close_code::protocol_error},
        {"fragmented ping", Bytes{0x09, 0x00}, MaskRule::forbidden, close_code::protocol_error},
        {"ping of 126 bytes", Bytes{0x89, 0x7E, 0x00, 0x7E}, MaskRule::forbidden, close_code::protocol_error},
        {"unmasked from a client", ok, MaskRule::required, close_code::protocol_error},
        {"masked from a server", frame(Opcode::binary, "x", true, kMask), MaskRule::forbidden,
         close_code::protocol_error},
        {"16-bit length for 5 bytes", Bytes{0x82, 0x7E, 0x00, 0x05, 1, 2, 3, 4, 5}, MaskRule::forbidden,
         close_code::protocol_error},
        {"64-bit length for 200 bytes", Bytes{0x82, 0x7F, 0, 0, 0, 0, 0, 0, 0, 200}, MaskRule::forbidden,
         close_code::protocol_error},
        {"64-bit length with the top bit", Bytes{0x82, 0x7F, 0x80, 0, 0, 0, 0, 0, 0, 0}, MaskRule::forbidden,
         close_code::protocol_error},
        {"continuation without a message", frame(Opcode::continuation, "x"), MaskRule::forbidden,
         close_code::protocol_error},
        {"new message inside a fragmented one", frame(Opcode::text, "a", false) + frame(Opcode::text, "b"),
         MaskRule::forbidden, close_code::protocol_error},
        {"text that is not UTF-8", frame(Opcode::text, "\xC3\x28"), MaskRule::forbidden, close_code::invalid_payload},
        {"fragmented text that is not UTF-8",
         frame(Opcode::text, "\xE2\x82", false) + frame(Opcode::continuation, "\x28"), MaskRule::forbidden,
         close_code::invalid_payload},
        {"close with 1 byte", frame(Opcode::close, "\x03"), MaskRule::forbidden, close_code::protocol_error},
        {"close code 1005", frame(Opcode::close, "\x03\xed"), MaskRule::forbidden, close_code::protocol_error},
        {"close code 999", frame(Opcode::close, "\x03\xe7"), MaskRule::forbidden, close_code::protocol_error},
        {"close code 5000", frame(Opcode::close, "\x13\x88"), MaskRule::forbidden, close_code::protocol_error},
        {"close reason not UTF-8", frame(Opcode::close, std::string("\x03\xe8\xff", 3)), MaskRule::forbidden,
         close_code::invalid_payload},
    };
    for (const auto& c : cases) {
        Outcome o = feed_every_way(c.rule, c.bytes + ok);
        ASSERT_TRUE(o.error) << c.name;
        EXPECT_EQ(o.error->close_code, c.code) << c.name;
        EXPECT_FALSE(o.error->message.empty()) << c.name;
        for (const auto& e : o.events) EXPECT_NE(e, "binary:ok") << c.name << ": read past the error";
    }
}

TEST(MessageReader, MessageSizeLimit) {
    Outcome fits = feed_pieces(MaskRule::forbidden, frame(Opcode::binary, pattern(100)), {}, 100);
    EXPECT_FALSE(fits.error);
    Outcome big = feed_every_way(MaskRule::forbidden, frame(Opcode::binary, pattern(101)), 100);
    ASSERT_TRUE(big.error);
    EXPECT_EQ(big.error->close_code, close_code::message_too_big);
    Outcome fragments = feed_every_way(
        MaskRule::forbidden, frame(Opcode::binary, pattern(60), false) + frame(Opcode::continuation, pattern(60)), 100);
    ASSERT_TRUE(fragments.error);
    EXPECT_EQ(fragments.error->close_code, close_code::message_too_big);
}

TEST(MessageReader, HandlerCanStopTheReader) {
    struct Stopper : Recorder {
        MessageReader* reader = nullptr;
        void on_message(Opcode op, std::span<const std::uint8_t> p) override {
            Recorder::on_message(op, p);
            reader->stop();
        }
    };
    MessageReader reader(MaskRule::forbidden);
    Stopper stopper;
    stopper.reader = &reader;
    Bytes input = frame(Opcode::binary, "1") + frame(Opcode::binary, "2");
    EXPECT_FALSE(reader.feed(input, stopper));
    EXPECT_EQ(stopper.events, std::vector<std::string>{"binary:1"});
}

}  // namespace
}  // namespace camrelay::bench::ws
