// camrelay-bench protocol: incremental WebSocket frame parser.
#include "frame_parser.hpp"

#include <algorithm>

#include "close_code.hpp"

namespace camrelay::bench::ws {

std::size_t FrameParser::feed(std::span<std::uint8_t> bytes, FrameSink& sink) {
    std::size_t used = 0;
    while (!error_ && used < bytes.size()) {
        if (!in_payload_) {
            std::size_t take = std::min(head_need_ - head_have_, bytes.size() - used);
            std::copy_n(bytes.data() + used, take, head_.data() + head_have_);
            head_have_ += take;
            used += take;
            if (head_have_ < head_need_) continue;
            if (head_need_ == 2) {
                if (!check_first_two_bytes()) return used;
                if (head_need_ > 2) continue;  // extended length or mask key follows
            }
            if (!header_complete(sink)) return used;
            continue;
        }
        std::uint64_t left = header_.length - payload_done_;
        std::size_t take = static_cast<std::size_t>(std::min<std::uint64_t>(left, bytes.size() - used));
        std::span<std::uint8_t> chunk(bytes.data() + used, take);
        if (header_.masked) apply_mask(chunk, header_.mask, payload_done_);
        used += take;
        payload_done_ += take;
        if (!sink.on_frame_payload(chunk)) return used;
        if (payload_done_ == header_.length) {
            in_payload_ = false;
            if (!sink.on_frame_end()) return used;
        }
    }
    return used;
}

bool FrameParser::check_first_two_bytes() {
    const std::uint8_t b0 = head_[0], b1 = head_[1];
    header_ = FrameHeader{};
    header_.fin = (b0 & 0x80) != 0;
    header_.rsv = static_cast<std::uint8_t>((b0 >> 4) & 0x7);
    const std::uint8_t op = b0 & 0x0F;
    header_.masked = (b1 & 0x80) != 0;
    const std::uint8_t len7 = b1 & 0x7F;
    if (header_.rsv != 0) return fail(close_code::protocol_error, "RSV bits set without a negotiated extension");
    if (!is_defined_opcode(op)) return fail(close_code::protocol_error, "reserved opcode " + std::to_string(op));
    header_.opcode = static_cast<Opcode>(op);
    if (is_control(header_.opcode)) {
        if (!header_.fin) return fail(close_code::protocol_error, "fragmented control frame");
        if (len7 > kMaxControlPayload) return fail(close_code::protocol_error, "control frame longer than 125 bytes");
    }
    if (rule_ == MaskRule::required && !header_.masked) {
        return fail(close_code::protocol_error, "unmasked frame from a client");
    }
    if (rule_ == MaskRule::forbidden && header_.masked) {
        return fail(close_code::protocol_error, "masked frame from a server");
    }
    head_need_ = 2 + (len7 == 126 ? 2 : len7 == 127 ? 8 : 0) + (header_.masked ? 4 : 0);
    return true;
}

bool FrameParser::header_complete(FrameSink& sink) {
    const std::uint8_t len7 = head_[1] & 0x7F;
    std::size_t at = 2;
    if (len7 == 126) {
        header_.length = (std::uint64_t{head_[2]} << 8) | head_[3];
        at = 4;
        if (header_.length <= 125) return fail(close_code::protocol_error, "16-bit length used for a short frame");
    } else if (len7 == 127) {
        header_.length = 0;
        for (int i = 0; i < 8; ++i) header_.length = (header_.length << 8) | head_[2 + i];
        at = 10;
        if (header_.length >> 63) return fail(close_code::protocol_error, "64-bit length with its top bit set");
        if (header_.length <= 0xFFFF) return fail(close_code::protocol_error, "64-bit length used for a short frame");
    } else {
        header_.length = len7;
    }
    if (header_.masked) std::copy_n(head_.data() + at, 4, header_.mask.data());
    head_have_ = 0;
    head_need_ = 2;
    payload_done_ = 0;
    if (!sink.on_frame_begin(header_)) return false;
    if (header_.length == 0) return sink.on_frame_end();
    in_payload_ = true;
    return true;
}

bool FrameParser::fail(std::uint16_t code, std::string message) {
    error_ = ProtocolError{code, std::move(message)};
    return false;
}

}  // namespace camrelay::bench::ws
