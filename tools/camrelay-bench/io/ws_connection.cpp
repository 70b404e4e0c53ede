// camrelay-bench: an open WebSocket connection.
#include "ws_connection.hpp"

#include <openssl/rand.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>

#include "../protocol/close_code.hpp"
#include "clock.hpp"
#include "socket_util.hpp"

namespace camrelay::bench {

namespace {

constexpr std::size_t kReadChunk = 256 * 1024;
constexpr int kReadsPerEvent = 8;  // then let the other connections run

// One read buffer for every connection of a thread: an event loop runs on
// one thread and a buffer is fully parsed before the next read.
std::vector<std::uint8_t>& read_buffer() {
    thread_local std::vector<std::uint8_t> buffer(kReadChunk);
    return buffer;
}

ws::MaskKey random_mask() {
    ws::MaskKey key{};
    if (RAND_bytes(key.data(), static_cast<int>(key.size())) != 1) {
        // The mask only defeats proxy cache poisoning; carry on if the RNG fails.
        key = {0x5a, 0xa5, 0x3c, 0xc3};
    }
    return key;
}

}  // namespace

WsConnection::WsConnection(EventLoop& loop, std::unique_ptr<Transport> transport, Role role, Listener& listener,
                           std::string_view preamble)
    : loop_(loop),
      transport_(std::move(transport)),
      role_(role),
      listener_(listener),
      reader_(role == Role::server ? ws::MaskRule::required : ws::MaskRule::forbidden) {
    out_.assign(preamble.begin(), preamble.end());
}

WsConnection::~WsConnection() {
    if (close_timer_) loop_.cancel(*close_timer_);
    if (read_timer_) loop_.cancel(*read_timer_);
    if (transport_) loop_.unwatch(transport_->fd());
}

void WsConnection::start(std::span<const std::uint8_t> early_bytes) {
    interest_ = EPOLLIN;
    loop_.watch(transport_->fd(), interest_, *this);
    if (!out_.empty()) flush();
    if (!early_bytes.empty() && state_ != State::closed) {
        std::vector<std::uint8_t> copy(early_bytes.begin(), early_bytes.end());
        bytes_in_ += copy.size();
        feed(copy);
    }
    // TLS records that came with the handshake wait in the transport, where
    // epoll does not see them.
    if (state_ == State::open && transport_->has_buffered_input()) read_available();
}

void WsConnection::send(ws::Opcode opcode, std::span<const std::uint8_t> payload) {
    if (state_ != State::open) return;
    queue_frame(opcode, payload);
    flush();
}

std::span<std::uint8_t> WsConnection::begin_message(ws::Opcode opcode, std::size_t length) {
    ws::FrameHeader header;
    header.opcode = opcode;
    header.length = length;
    message_mask_.reset();
    if (role_ == Role::client) {
        header.masked = true;
        header.mask = random_mask();
        message_mask_ = header.mask;
    }
    std::array<std::uint8_t, ws::kMaxHeaderSize> head{};
    const std::size_t head_size = ws::encode_header(header, head);
    const std::size_t at = out_.size();
    out_.resize(at + head_size + length);
    std::memcpy(out_.data() + at, head.data(), head_size);
    message_start_ = at + head_size;
    return {out_.data() + message_start_, length};
}

void WsConnection::end_message() {
    if (message_mask_) {
        ws::apply_mask(std::span<std::uint8_t>(out_.data() + message_start_, out_.size() - message_start_),
                       *message_mask_);
    }
    if (state_ != State::open) {
        out_.resize(message_start_ - ws::header_size(out_.size() - message_start_, message_mask_.has_value()));
        return;
    }
    flush();
}

void WsConnection::queue_frame(ws::Opcode opcode, std::span<const std::uint8_t> payload) {
    std::optional<ws::MaskKey> mask;
    if (role_ == Role::client) mask = random_mask();
    ws::append_frame(out_, opcode, payload, true, mask);
}

void WsConnection::close(std::uint16_t code, std::string_view reason) {
    if (state_ != State::open) return;
    state_ = State::closing;
    if (read_timer_) {  // a closing handshake reads at full speed
        loop_.cancel(*read_timer_);
        read_timer_.reset();
    }
    read_paused_ = false;
    queue_frame(ws::Opcode::close, ws::close_payload(code, reason));
    arm_close_timer("no close frame from the peer within 2 s");
    flush();
}

void WsConnection::arm_close_timer(std::string error) {
    if (close_timer_) loop_.cancel(*close_timer_);
    close_timer_ = loop_.at(monotonic_ns() + kCloseTimeoutNs, [this, error = std::move(error)] {
        close_timer_.reset();
        abort(error);
    });
}

void WsConnection::abort(std::string error) {
    if (state_ == State::closed) return;
    CloseInfo info = close_info_;
    info.clean = false;
    info.error = std::move(error);
    finish(std::move(info));
}

std::size_t WsConnection::queued() const { return buffered() + (transport_ ? unsent_bytes(transport_->fd()) : 0); }

std::uint64_t WsConnection::bytes_gone() const {
    const std::uint64_t unsent = transport_ ? unsent_bytes(transport_->fd()) : 0;
    return bytes_out_ - std::min<std::uint64_t>(bytes_out_, unsent);
}

void WsConnection::set_read_limit(std::uint64_t bytes_per_s) {
    read_limit_ = bytes_per_s;
    read_tokens_ = 0;
    read_tokens_ns_ = monotonic_ns();
}

std::size_t WsConnection::read_budget() {
    if (read_limit_ == 0 || state_ != State::open || hung_up_) return kReadChunk;
    // A bucket of 20 ms of reading, refilled at the limit.
    const double chunk = std::clamp(static_cast<double>(read_limit_) * 0.01, 1500.0, 65536.0);
    const std::uint64_t now = monotonic_ns();
    read_tokens_ = std::min(
        2 * chunk, read_tokens_ + static_cast<double>(now - read_tokens_ns_) / 1e9 * static_cast<double>(read_limit_));
    read_tokens_ns_ = now;
    if (read_tokens_ >= 1) return static_cast<std::size_t>(std::min(read_tokens_, double(kReadChunk)));
    // Wait until a chunk's worth is there.
    read_paused_ = true;
    const auto wait = static_cast<std::uint64_t>((chunk - read_tokens_) / static_cast<double>(read_limit_) * 1e9);
    if (!read_timer_) read_timer_ = loop_.at(now + wait, [this] { resume_reading(); });
    return 0;
}

void WsConnection::resume_reading() {
    read_timer_.reset();
    read_paused_ = false;
    if (state_ == State::closed) return;
    read_available();
}

void WsConnection::want_drain() {
    drain_wanted_ = true;
    update_interest();
}

void WsConnection::on_io(std::uint32_t events) {
    if (state_ == State::closed) return;
    // A hang-up or an error is read at once, even when a read limit
    // pauses reading (epoll would report it again and again).
    if (events & (EPOLLHUP | EPOLLERR)) {
        hung_up_ = true;
        read_paused_ = false;
    }
    if ((events & (read_waits_for_ | EPOLLHUP | EPOLLERR)) && !read_paused_) read_available();
    if (state_ == State::closed) return;
    if (events & write_waits_for_) {
        flush();
        if (state_ == State::closed) return;
        if (drain_wanted_ && buffered() <= kLowWater && state_ == State::open) {
            drain_wanted_ = false;
            listener_.on_drained(*this);
            if (state_ == State::closed) return;
        }
        update_interest();
    }
}

void WsConnection::read_available() {
    auto& buffer = read_buffer();
    // Socket reads are bounded per event (epoll reports a socket with more
    // again); what the transport has already taken (TLS records) is read
    // to the end, as nothing would report it.
    for (int reads = 0; state_ != State::closed && state_ != State::finishing; ++reads) {
        if (reads >= kReadsPerEvent && !transport_->has_buffered_input()) return;
        const std::size_t budget = read_budget();
        if (budget == 0) break;
        const IoResult r = transport_->read(std::span<std::uint8_t>(buffer.data(), budget));
        if (r.status == IoResult::Status::done) {
            read_waits_for_ = EPOLLIN;
            bytes_in_ += r.bytes;
            if (read_limit_ != 0) read_tokens_ -= static_cast<double>(r.bytes);
            feed(std::span<std::uint8_t>(buffer.data(), r.bytes));
            if (r.bytes < budget && state_ != State::closed && !transport_->has_buffered_input()) break;
            continue;
        }
        if (r.status == IoResult::Status::again) {
            read_waits_for_ = r.wait;
            break;
        }
        CloseInfo info = close_info_;
        info.by_peer = true;
        if (r.status == IoResult::Status::closed) {
            info.clean = close_received_ && state_ != State::open;
            if (!info.clean) info.error = "connection closed without a close frame";
        } else {
            info.error = "receive failed: " + r.error;
        }
        finish(std::move(info));
        return;
    }
    update_interest();
}

void WsConnection::feed(std::span<std::uint8_t> bytes) {
    if (close_received_) return;  // nothing may follow a close frame
    if (reader_.feed(bytes, *this)) return;
    if (state_ == State::closed) return;
    if (const auto& error = reader_.error()) {
        // Tell the peer why, then drop the connection without waiting.
        if (state_ == State::open) queue_frame(ws::Opcode::close, ws::close_payload(error->close_code, error->message));
        close_info_.error = "protocol error from the peer: " + error->message;
        finish_after_flush();
    }
}

void WsConnection::on_message(ws::Opcode opcode, std::span<const std::uint8_t> payload) {
    if (state_ != State::open) return;  // we are closing: the rest is discarded
    listener_.on_message(*this, opcode, payload);
    if (state_ == State::closed) reader_.stop();
}

void WsConnection::on_ping(std::span<const std::uint8_t> payload) {
    if (state_ != State::open) return;
    queue_frame(ws::Opcode::pong, payload);
    flush();
}

void WsConnection::on_pong(std::span<const std::uint8_t>) {}

void WsConnection::on_close(std::optional<std::uint16_t> code, std::string_view reason) {
    close_received_ = true;
    close_info_.code = code;
    close_info_.reason = reason;
    if (state_ == State::open) {
        close_info_.by_peer = true;
        // Echo the peer's code; an empty close frame gets an empty one back.
        std::vector<std::uint8_t> payload;
        if (code) payload = ws::close_payload(*code, "");
        queue_frame(ws::Opcode::close, payload);
    }
    close_info_.clean = true;
    finish_after_flush();
}

void WsConnection::finish_after_flush() {
    state_ = State::finishing;
    arm_close_timer("the peer did not take the last frames within 2 s");
    flush();
}

void WsConnection::flush() {
    const IoResult r =
        transport_->write(std::span<const std::uint8_t>(out_.data() + out_head_, out_.size() - out_head_));
    out_head_ += r.bytes;
    bytes_out_ += r.bytes;
    if (r.status == IoResult::Status::again) {
        write_blocked_ = true;
        write_waits_for_ = r.wait;
        compact();
        update_interest();
        return;
    }
    if (r.status != IoResult::Status::done) {
        CloseInfo info = close_info_;
        info.clean = false;
        info.by_peer = true;
        info.error = "send failed: " + r.error;
        finish(std::move(info));
        return;
    }
    write_blocked_ = false;
    write_waits_for_ = EPOLLOUT;
    out_.clear();
    out_head_ = 0;
    if (state_ == State::finishing) {
        finish(close_info_);
        return;
    }
    update_interest();
}

void WsConnection::compact() {
    // Drop what was sent once it is most of the buffer, so a send buffer
    // that never empties does not grow without bound.
    if (out_head_ >= kLowWater && out_head_ * 2 >= out_.size()) {
        out_.erase(out_.begin(), out_.begin() + static_cast<std::ptrdiff_t>(out_head_));
        out_head_ = 0;
    }
}

void WsConnection::update_interest() {
    if (state_ == State::closed) return;
    // While finishing only the last frames matter: reading more would spin.
    std::uint32_t wanted = state_ == State::finishing || read_paused_ ? 0u : read_waits_for_;
    if (buffered() > 0 || drain_wanted_ || transport_->has_buffered_output()) wanted |= write_waits_for_;
    if (wanted != interest_) {
        interest_ = wanted;
        loop_.rewatch(transport_->fd(), interest_, *this);
    }
}

void WsConnection::finish(CloseInfo info) {
    if (state_ == State::closed) return;
    state_ = State::closed;
    reader_.stop();
    if (close_timer_) {
        loop_.cancel(*close_timer_);
        close_timer_.reset();
    }
    if (read_timer_) {
        loop_.cancel(*read_timer_);
        read_timer_.reset();
    }
    loop_.unwatch(transport_->fd());
    if (info.clean) transport_->end();
    transport_.reset();
    listener_.on_closed(*this, info);
}

}  // namespace camrelay::bench
