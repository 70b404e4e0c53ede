// camrelay-bench protocol: WebSocket frame encoding and masking.
#include "frame.hpp"

#include <cstring>

namespace camrelay::bench::ws {

bool is_control(Opcode op) { return (static_cast<std::uint8_t>(op) & 0x8) != 0; }

bool is_defined_opcode(std::uint8_t op) { return op <= 0x2 || (op >= 0x8 && op <= 0xA); }

std::size_t header_size(std::uint64_t length, bool masked) {
    std::size_t size = 2 + (masked ? 4 : 0);
    if (length > 0xFFFF) return size + 8;
    if (length > 125) return size + 2;
    return size;
}

std::size_t encode_header(const FrameHeader& header, std::span<std::uint8_t, kMaxHeaderSize> out) {
    out[0] = static_cast<std::uint8_t>((header.fin ? 0x80 : 0) | ((header.rsv & 0x7) << 4) |
                                       static_cast<std::uint8_t>(header.opcode));
    const std::uint8_t mask_bit = header.masked ? 0x80 : 0;
    std::size_t at = 2;
    if (header.length <= 125) {
        out[1] = static_cast<std::uint8_t>(mask_bit | header.length);
    } else if (header.length <= 0xFFFF) {
        out[1] = mask_bit | 126;
        out[2] = static_cast<std::uint8_t>(header.length >> 8);
        out[3] = static_cast<std::uint8_t>(header.length);
        at = 4;
    } else {
        out[1] = mask_bit | 127;
        for (int i = 0; i < 8; ++i) out[2 + i] = static_cast<std::uint8_t>(header.length >> (56 - 8 * i));
        at = 10;
    }
    if (header.masked) {
        std::memcpy(&out[at], header.mask.data(), 4);
        at += 4;
    }
    return at;
}

void apply_mask(std::span<std::uint8_t> data, const MaskKey& mask, std::uint64_t offset) {
    // Rotate the key so that key[0] applies to data[0], then XOR eight bytes
    // at a time with the key repeated twice.
    std::array<std::uint8_t, 8> wide{};
    for (std::size_t i = 0; i < 8; ++i) wide[i] = mask[(offset + i) % 4];
    std::uint64_t word_mask;
    std::memcpy(&word_mask, wide.data(), 8);
    std::size_t i = 0;
    std::uint8_t* p = data.data();
    for (; i + 8 <= data.size(); i += 8) {
        std::uint64_t w;
        std::memcpy(&w, p + i, 8);
        w ^= word_mask;
        std::memcpy(p + i, &w, 8);
    }
    for (; i < data.size(); ++i) p[i] ^= wide[i % 8];
}

void append_frame(std::vector<std::uint8_t>& out, Opcode opcode, std::span<const std::uint8_t> payload, bool fin,
                  const std::optional<MaskKey>& mask) {
    FrameHeader header;
    header.fin = fin;
    header.opcode = opcode;
    header.masked = mask.has_value();
    if (mask) header.mask = *mask;
    header.length = payload.size();
    std::array<std::uint8_t, kMaxHeaderSize> head{};
    std::size_t head_len = encode_header(header, head);
    std::size_t start = out.size();
    out.resize(start + head_len + payload.size());
    std::memcpy(out.data() + start, head.data(), head_len);
    if (!payload.empty()) std::memcpy(out.data() + start + head_len, payload.data(), payload.size());
    if (mask) apply_mask(std::span<std::uint8_t>(out.data() + start + head_len, payload.size()), *mask);
}

}  // namespace camrelay::bench::ws
