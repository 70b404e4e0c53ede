// camrelay-bench protocol: WebSocket message reassembly and validation.
#include "message_reader.hpp"

#include <string>

#include "close_code.hpp"
#include "utf8.hpp"

namespace camrelay::bench::ws {

MessageReader::MessageReader(MaskRule rule, std::size_t max_message) : parser_(rule), max_message_(max_message) {}

const std::optional<ProtocolError>& MessageReader::error() const { return error_ ? error_ : parser_.error(); }

bool MessageReader::feed(std::span<std::uint8_t> bytes, MessageHandler& handler) {
    if (closed_ || stopped_ || error()) return false;
    handler_ = &handler;
    parser_.feed(bytes, *this);
    handler_ = nullptr;
    return !(closed_ || stopped_ || error());
}

bool MessageReader::on_frame_begin(const FrameHeader& header) {
    frame_ = header;
    direct_ = {};
    if (is_control(header.opcode)) {
        control_.clear();
        return !stopped_;
    }
    if (header.opcode == Opcode::continuation) {
        if (!message_open_) return fail(close_code::protocol_error, "continuation frame without a message to continue");
    } else {
        if (message_open_) return fail(close_code::protocol_error, "new data frame inside a fragmented message");
        message_opcode_ = header.opcode;
        message_.clear();
    }
    if (header.length > max_message_ - message_.size()) {
        return fail(close_code::message_too_big,
                    "message larger than the " + std::to_string(max_message_) + "-byte limit");
    }
    message_open_ = !header.fin;
    return !stopped_;
}

bool MessageReader::on_frame_payload(std::span<std::uint8_t> chunk) {
    if (is_control(frame_.opcode)) {
        control_.insert(control_.end(), chunk.begin(), chunk.end());
    } else if (frame_.opcode != Opcode::continuation && frame_.fin && chunk.size() == frame_.length) {
        direct_ = chunk;  // the whole message is in this input: no copy
    } else {
        message_.insert(message_.end(), chunk.begin(), chunk.end());
    }
    return !stopped_;
}

bool MessageReader::on_frame_end() {
    if (is_control(frame_.opcode)) return finish_control();
    if (message_open_) return !stopped_;  // more fragments follow
    std::span<const std::uint8_t> payload = frame_.length > 0 && !direct_.empty()
                                                ? std::span<const std::uint8_t>(direct_)
                                                : std::span<const std::uint8_t>(message_);
    if (message_opcode_ == Opcode::text && !is_valid_utf8(payload)) {
        return fail(close_code::invalid_payload, "text message is not valid UTF-8");
    }
    handler_->on_message(message_opcode_, payload);
    direct_ = {};
    message_.clear();
    return !stopped_;
}

bool MessageReader::finish_control() {
    switch (frame_.opcode) {
        case Opcode::ping: handler_->on_ping(control_); return !stopped_;
        case Opcode::pong: handler_->on_pong(control_); return !stopped_;
        default: break;
    }
    // A close frame.
    if (control_.size() == 1) return fail(close_code::protocol_error, "close frame with a 1-byte payload");
    std::optional<std::uint16_t> code;
    std::string_view reason;
    if (control_.size() >= 2) {
        code = static_cast<std::uint16_t>((control_[0] << 8) | control_[1]);
        if (!is_sendable_close_code(*code)) {
            return fail(close_code::protocol_error, "invalid close code " + std::to_string(*code));
        }
        reason = std::string_view(reinterpret_cast<const char*>(control_.data()) + 2, control_.size() - 2);
        if (!is_valid_utf8(reason)) return fail(close_code::invalid_payload, "close reason is not valid UTF-8");
    }
    closed_ = true;
    handler_->on_close(code, reason);
    return false;
}

bool MessageReader::fail(std::uint16_t code, std::string message) {
    error_ = ProtocolError{code, std::move(message)};
    return false;
}

}  // namespace camrelay::bench::ws
