// camrelay-bench protocol: WebSocket messages from a byte stream (no I/O).
//
// Wraps FrameParser and applies the message-level rules: fragments of one
// data message are joined (control frames may come in between), a
// continuation needs an open message and a new data frame needs none, text
// must be UTF-8, a close frame carries nothing or a valid code plus a UTF-8
// reason, and a message may not grow past the size limit. After a close
// frame the reader stops: RFC 6455 allows no data after it.
//
// A data frame that is a whole message and arrives in one feed() is handed
// to the handler straight from the input buffer, without a copy.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "frame_parser.hpp"

namespace camrelay::bench::ws {

class MessageHandler {
public:
    virtual ~MessageHandler() = default;
    // A complete text or binary message. The bytes are valid until the
    // handler returns.
    virtual void on_message(Opcode opcode, std::span<const std::uint8_t> payload) = 0;
    virtual void on_ping(std::span<const std::uint8_t> payload) = 0;
    virtual void on_pong(std::span<const std::uint8_t> payload) = 0;
    // `code` is empty when the close frame had no payload.
    virtual void on_close(std::optional<std::uint16_t> code, std::string_view reason) = 0;
};

class MessageReader : private FrameSink {
public:
    static constexpr std::size_t kDefaultMaxMessage = 64u << 20;

    explicit MessageReader(MaskRule rule, std::size_t max_message = kDefaultMaxMessage);

    // Parses `bytes` (unmasking them in place) and calls the handler. Returns
    // false once the reader has stopped: a close frame came (closed()), the
    // input broke a rule (error()), or stop() was called from a handler.
    bool feed(std::span<std::uint8_t> bytes, MessageHandler& handler);

    void stop() { stopped_ = true; }
    bool closed() const { return closed_; }
    const std::optional<ProtocolError>& error() const;

private:
    bool on_frame_begin(const FrameHeader& header) override;
    bool on_frame_payload(std::span<std::uint8_t> chunk) override;
    bool on_frame_end() override;
    bool finish_control();
    bool fail(std::uint16_t code, std::string message);

    FrameParser parser_;
    std::size_t max_message_;
    MessageHandler* handler_ = nullptr;
    FrameHeader frame_;
    bool message_open_ = false;  // a fragmented data message awaits continuations
    Opcode message_opcode_ = Opcode::binary;
    std::vector<std::uint8_t> message_;
    std::vector<std::uint8_t> control_;
    std::span<std::uint8_t> direct_;
    bool closed_ = false;
    bool stopped_ = false;
    std::optional<ProtocolError> error_;
};

}  // namespace camrelay::bench::ws
