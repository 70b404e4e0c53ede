// camrelay-bench protocol: WebSocket frame layout (RFC 6455 section 5.2)
// and the encoding side: headers with 7, 16 or 64-bit lengths, masking.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

namespace camrelay::bench::ws {

enum class Opcode : std::uint8_t {
    continuation = 0x0,
    text = 0x1,
    binary = 0x2,
    close = 0x8,
    ping = 0x9,
    pong = 0xA,
};

using MaskKey = std::array<std::uint8_t, 4>;

inline constexpr std::size_t kMaxHeaderSize = 14;  // 2 + 8 (64-bit length) + 4 (mask)
inline constexpr std::size_t kMaxControlPayload = 125;

bool is_control(Opcode op);
// True for the six opcodes RFC 6455 defines; the others are reserved.
bool is_defined_opcode(std::uint8_t op);

struct FrameHeader {
    bool fin = true;
    std::uint8_t rsv = 0;  // RSV1..RSV3 as bits 2..0
    Opcode opcode = Opcode::binary;
    bool masked = false;
    MaskKey mask{};
    std::uint64_t length = 0;
};

// Bytes a header takes for this payload length.
std::size_t header_size(std::uint64_t length, bool masked);

// Writes the header with the shortest length encoding; returns its size.
std::size_t encode_header(const FrameHeader& header, std::span<std::uint8_t, kMaxHeaderSize> out);

// XORs `data` with the mask. `offset` is where data[0] sits in the frame's
// payload, so a payload can be (un)masked in pieces.
void apply_mask(std::span<std::uint8_t> data, const MaskKey& mask, std::uint64_t offset = 0);

// Appends one whole frame to `out`; the payload is masked when `mask` is set.
void append_frame(std::vector<std::uint8_t>& out, Opcode opcode, std::span<const std::uint8_t> payload, bool fin = true,
                  const std::optional<MaskKey>& mask = std::nullopt);

}  // namespace camrelay::bench::ws
