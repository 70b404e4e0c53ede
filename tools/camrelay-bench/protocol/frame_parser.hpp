// camrelay-bench protocol: incremental WebSocket frame parser (no I/O).
//
// Fed any split of the byte stream, it reports each frame as begin, payload
// chunks (already unmasked, in place) and end. It enforces the frame-level
// rules of RFC 6455 section 5: no RSV bits (no extension is negotiated), no
// reserved opcodes, control frames unfragmented and at most 125 bytes, the
// shortest length encoding, a 64-bit length below 2^63, and masking in the
// direction the role demands (client to server only).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

#include "frame.hpp"
#include "protocol_error.hpp"

namespace camrelay::bench::ws {

enum class MaskRule {
    required,   // a server reads client frames: each must be masked
    forbidden,  // a client reads server frames: none may be masked
};

class FrameSink {
public:
    virtual ~FrameSink() = default;
    // Each returns false to stop parsing (the sink found an error or is done).
    virtual bool on_frame_begin(const FrameHeader& header) = 0;
    virtual bool on_frame_payload(std::span<std::uint8_t> chunk) = 0;
    virtual bool on_frame_end() = 0;
};

class FrameParser {
public:
    explicit FrameParser(MaskRule rule) : rule_(rule) {}

    // Parses `bytes`, unmasking payload bytes in place. Returns how many
    // bytes were used: all of them, unless the sink stopped or the input
    // broke a rule (then error() is set).
    std::size_t feed(std::span<std::uint8_t> bytes, FrameSink& sink);

    const std::optional<ProtocolError>& error() const { return error_; }

private:
    bool header_complete(FrameSink& sink);
    bool check_first_two_bytes();
    bool fail(std::uint16_t code, std::string message);

    MaskRule rule_;
    std::array<std::uint8_t, kMaxHeaderSize> head_{};
    std::size_t head_have_ = 0;
    std::size_t head_need_ = 2;
    bool in_payload_ = false;
    FrameHeader header_;
    std::uint64_t payload_done_ = 0;
    std::optional<ProtocolError> error_;
};

}  // namespace camrelay::bench::ws
