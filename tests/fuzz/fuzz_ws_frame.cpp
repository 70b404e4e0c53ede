// Fuzz target: camrelay-bench's WebSocket frame parser and message reader
// (tools/camrelay-bench/protocol/frame_parser.hpp, message_reader.hpp),
// which read whatever a relay, a camera or a viewer sends. The input is
// the byte stream after the handshake.
//
// Checks, aborting on any disagreement, in both directions (client frames
// must be masked, server frames must not):
//   - the stream fed at once and fed in pieces (sizes drawn from the input)
//     gives the same messages, pings, pongs, close and error: the reader's
//     no-copy path and its reassembly path agree; so with a small message
//     limit;
//   - parse -> encode -> compare: every whole frame the parser reported,
//     written again with encode_header and apply_mask, is exactly the
//     input's bytes (the parser takes only the shortest length encodings);
//   - messages -> frames -> messages: each message written again, split in
//     two fragments with a ping between them, reads back the same, and so
//     does the close frame.
#include <algorithm>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "fuzz_check.hpp"
#include "protocol/close_code.hpp"
#include "protocol/frame.hpp"
#include "protocol/frame_parser.hpp"
#include "protocol/message_reader.hpp"

using namespace camrelay;
using namespace camrelay::bench::ws;

namespace {

using Bytes = std::vector<std::uint8_t>;

struct Message {
    char kind;  // 'm' message, 'i' ping, 'o' pong, 'c' close
    Opcode opcode = Opcode::binary;
    Bytes payload;
    std::optional<std::uint16_t> code;
    bool operator==(const Message&) const = default;
};

class Recorder : public MessageHandler {
public:
    std::vector<Message> got;
    void on_message(Opcode opcode, std::span<const std::uint8_t> p) override {
        got.push_back({'m', opcode, Bytes(p.begin(), p.end()), {}});
    }
    void on_ping(std::span<const std::uint8_t> p) override {
        got.push_back({'i', Opcode::ping, Bytes(p.begin(), p.end()), {}});
    }
    void on_pong(std::span<const std::uint8_t> p) override {
        got.push_back({'o', Opcode::pong, Bytes(p.begin(), p.end()), {}});
    }
    void on_close(std::optional<std::uint16_t> code, std::string_view reason) override {
        got.push_back({'c', Opcode::close, Bytes(reason.begin(), reason.end()), code});
    }
};

struct Reading {
    std::vector<Message> got;
    bool closed = false;
    std::optional<ProtocolError> error;
};

// The whole input at once (chunks null) or in pieces.
Reading read(const Bytes& input, MaskRule rule, std::size_t max_message, fuzz::Chunks* chunks) {
    Bytes buf = input;  // unmasked in place
    MessageReader reader(rule, max_message);
    Recorder rec;
    std::size_t at = 0;
    bool going = true;
    while (going && at < buf.size()) {
        const std::size_t n = chunks ? std::min(chunks->next(300), buf.size() - at) : buf.size();
        going = reader.feed(std::span<std::uint8_t>(buf.data() + at, n), rec);
        at += n;
    }
    Reading r{std::move(rec.got), reader.closed(), reader.error()};
    FUZZ_CHECK(!r.error || !r.error->message.empty());
    FUZZ_CHECK(!r.closed || (!r.got.empty() && r.got.back().kind == 'c'));
    return r;
}

bool same_error(const std::optional<ProtocolError>& a, const std::optional<ProtocolError>& b) {
    return a.has_value() == b.has_value() && (!a || (a->close_code == b->close_code && a->message == b->message));
}

// Whole frames as the parser reports them.
class FrameRecorder : public FrameSink {
public:
    struct Frame {
        FrameHeader header;
        Bytes payload;  // unmasked
        bool whole = false;
    };
    std::vector<Frame> frames;
    bool on_frame_begin(const FrameHeader& header) override {
        frames.push_back({header, {}, false});
        return true;
    }
    bool on_frame_payload(std::span<std::uint8_t> chunk) override {
        frames.back().payload.insert(frames.back().payload.end(), chunk.begin(), chunk.end());
        return true;
    }
    bool on_frame_end() override {
        frames.back().whole = true;
        return true;
    }
};

void check_frames_encode_back(const Bytes& input, MaskRule rule) {
    Bytes buf = input;
    FrameParser parser(rule);
    FrameRecorder rec;
    parser.feed(buf, rec);
    Bytes again;
    for (const auto& f : rec.frames) {
        if (!f.whole) break;
        FUZZ_CHECK(f.header.length == f.payload.size() && f.header.rsv == 0);
        FUZZ_CHECK(f.header.masked == (rule == MaskRule::required));
        std::array<std::uint8_t, kMaxHeaderSize> head{};
        const std::size_t n = encode_header(f.header, head);
        FUZZ_CHECK(n == header_size(f.header.length, f.header.masked));
        again.insert(again.end(), head.begin(), head.begin() + static_cast<std::ptrdiff_t>(n));
        const std::size_t start = again.size();
        again.insert(again.end(), f.payload.begin(), f.payload.end());
        if (f.header.masked) apply_mask(std::span<std::uint8_t>(again.data() + start, f.payload.size()), f.header.mask);
    }
    FUZZ_CHECK(again.size() <= input.size() && std::equal(again.begin(), again.end(), input.begin()));
}

// The messages of a reading written again: each data message in two
// fragments with a ping between them, then the close frame.
void check_messages_encode_back(const Reading& first, MaskRule rule, std::size_t max_message, const Bytes& input) {
    std::optional<MaskKey> mask;
    if (rule == MaskRule::required) {
        MaskKey m{};
        for (std::size_t i = 0; i < m.size() && i < input.size(); ++i) m[i] = input[i];
        mask = m;
    }
    static const Bytes kPing = {'p'};
    Bytes stream;
    std::vector<Message> want;
    for (const Message& m : first.got) {
        if (m.kind == 'm') {
            const std::size_t half = m.payload.size() / 2;
            const std::span<const std::uint8_t> all(m.payload);
            append_frame(stream, m.opcode, all.first(half), false, mask);
            append_frame(stream, Opcode::ping, kPing, true, mask);
            append_frame(stream, Opcode::continuation, all.subspan(half), true, mask);
            want.push_back({'i', Opcode::ping, kPing, {}});
            want.push_back(m);
        } else if (m.kind == 'c') {
            const std::string reason(m.payload.begin(), m.payload.end());
            append_frame(stream, Opcode::close, m.code ? close_payload(*m.code, reason) : Bytes{}, true, mask);
            want.push_back(m);
        } else {
            append_frame(stream, m.kind == 'i' ? Opcode::ping : Opcode::pong, m.payload, true, mask);
            want.push_back(m);
        }
    }
    const Reading again = read(stream, rule, max_message, nullptr);
    FUZZ_CHECK(!again.error);
    FUZZ_CHECK(again.got == want);
    FUZZ_CHECK(again.closed == first.closed);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const Bytes input(data, data + size);
    for (MaskRule rule : {MaskRule::required, MaskRule::forbidden}) {
        for (std::size_t max_message : {MessageReader::kDefaultMaxMessage, std::size_t{64}}) {
            const Reading whole = read(input, rule, max_message, nullptr);
            fuzz::Chunks chunks(data, size);
            const Reading pieces = read(input, rule, max_message, &chunks);
            FUZZ_CHECK(whole.got == pieces.got);
            FUZZ_CHECK(whole.closed == pieces.closed);
            FUZZ_CHECK(same_error(whole.error, pieces.error));
            check_messages_encode_back(whole, rule, max_message, input);
        }
        check_frames_encode_back(input, rule);
    }
    return 0;
}
