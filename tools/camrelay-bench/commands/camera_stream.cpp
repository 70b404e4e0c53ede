// camrelay-bench: a camera's stream on one connection.
#include "camera_stream.hpp"

#include "../io/clock.hpp"

namespace camrelay::bench {

namespace {
constexpr int kMaxCatchUp = 64;  // messages sent at once when behind the pace
}

CameraStream::~CameraStream() { stop(); }

void CameraStream::start(const StreamRequest& request) {
    stop();
    request_ = request;
    if (request.interval_ns == 0) {
        on_drained();
        return;
    }
    // Streams of one camera do not tick together (each viewer has its own
    // encoder): stream ids spread the first messages over the interval, so
    // that many streams do not queue behind each other in bursts.
    const double phase = static_cast<double>(std::uint32_t(request.stream_id * 0x9E3779B9u)) / 4294967296.0;
    next_due_ns_ = monotonic_ns() + static_cast<std::uint64_t>(phase * static_cast<double>(request.interval_ns));
    on_timer();
}

void CameraStream::stop() {
    if (timer_) loop_.cancel(*timer_);
    timer_.reset();
    request_.reset();
}

void CameraStream::send_one() {
    auto message = connection_.begin_message(ws::Opcode::binary, request_->message_size);
    write_data_message(message, DataHeader{request_->message_size, sequence_++, monotonic_ns(), request_->stream_id});
    connection_.end_message();
}

void CameraStream::on_drained() {
    if (!request_ || request_->interval_ns != 0) return;
    std::size_t sent = 0;
    while (connection_.can_send() && !connection_.write_blocked() && sent < kBurstBytes) {
        send_one();
        sent += request_->message_size;
    }
    if (connection_.can_send()) connection_.want_drain();
}

void CameraStream::on_timer() {
    timer_.reset();
    if (!request_ || !connection_.can_send()) return;
    const std::uint64_t now = monotonic_ns();
    int sent = 0;
    while (next_due_ns_ <= now && connection_.can_send()) {
        if (sent == kMaxCatchUp) {
            // Far behind (the process was not scheduled): start the pace again from now.
            skipped_ += (now - next_due_ns_) / request_->interval_ns + 1;
            next_due_ns_ = now + request_->interval_ns;
            break;
        }
        if (connection_.buffered() >= kMaxBacklog) {
            ++skipped_;
        } else {
            send_one();
            ++sent;
        }
        next_due_ns_ += request_->interval_ns;
    }
    if (connection_.can_send()) timer_ = loop_.at(next_due_ns_, [this] { on_timer(); });
}

}  // namespace camrelay::bench
