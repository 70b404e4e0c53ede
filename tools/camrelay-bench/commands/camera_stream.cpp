// camrelay-bench: a camera's stream on one connection.
#include "camera_stream.hpp"

#include <algorithm>
#include <cmath>

#include "../io/clock.hpp"

namespace camrelay::bench {

namespace {
constexpr int kMaxCatchUp = 64;  // messages sent at once when behind the pace
constexpr std::uint64_t kMinAdaptedFrame = kDataHeaderSize + kCameraStateSize;
}  // namespace

CameraStream::~CameraStream() { stop(); }

void CameraStream::start(const StreamRequest& request) {
    stop();
    request_ = request;
    stream_id_ = request.stream_id;
    rate_.reset();
    bitrates_.clear();
    nominal_bps_ = request.interval_ns == 0
                       ? 0
                       : static_cast<std::uint64_t>(std::llround(static_cast<double>(request.message_size) * 8e9 /
                                                                 static_cast<double>(request.interval_ns)));
    if (request.interval_ns == 0) {
        on_drained();
        return;
    }
    if (settings_.adapt) rate_.emplace(*settings_.adapt, settings_.max_queue);
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

StreamSummary CameraStream::summary() const {
    StreamSummary s{stream_id_, sequence_, dropped_, summarize_bitrates(bitrates_)};
    if (!s.bitrate && nominal_bps_ != 0) s.bitrate = BitrateSummary{nominal_bps_, nominal_bps_, nominal_bps_};
    return s;
}

void CameraStream::send_one(std::uint32_t size, std::uint64_t bitrate_bps) {
    auto message = connection_.begin_message(ws::Opcode::binary, size);
    std::optional<CameraState> camera;
    if (request_->camera_state) camera = CameraState{dropped_, bitrate_bps};
    const std::uint64_t sent = monotonic_ns() + static_cast<std::uint64_t>(settings_.clock_skew_ns);
    write_data_message(message, DataHeader{size, sequence_++, sent, request_->stream_id}, camera);
    connection_.end_message();
}

void CameraStream::on_drained() {
    if (!request_ || request_->interval_ns != 0) return;
    std::size_t sent = 0;
    while (connection_.can_send() && !connection_.write_blocked() && sent < kBurstBytes) {
        send_one(request_->message_size, 0);
        sent += request_->message_size;
    }
    if (connection_.can_send()) connection_.want_drain();
}

std::pair<std::uint32_t, std::uint64_t> CameraStream::next_frame(std::uint64_t now) {
    if (!rate_) return {request_->message_size, nominal_bps_};
    const double interval_s = static_cast<double>(request_->interval_ns) / 1e9;
    const double bps = rate_->on_frame(now, connection_.queued(), connection_.bytes_gone());
    bitrates_.push_back(static_cast<std::uint64_t>(std::llround(bps)));
    const auto bytes = static_cast<std::uint64_t>(std::llround(bps / 8 * interval_s));
    return {static_cast<std::uint32_t>(std::clamp<std::uint64_t>(bytes, kMinAdaptedFrame, kMaxDataMessage)),
            static_cast<std::uint64_t>(std::llround(bps))};
}

void CameraStream::on_timer() {
    timer_.reset();
    if (!request_ || !connection_.can_send()) return;
    const std::uint64_t now = monotonic_ns();
    int sent = 0;
    while (next_due_ns_ <= now && connection_.can_send()) {
        if (sent == kMaxCatchUp) {
            // Far behind (the process was not scheduled): start the pace again from now.
            dropped_ += (now - next_due_ns_) / request_->interval_ns + 1;
            next_due_ns_ = now + request_->interval_ns;
            break;
        }
        const auto [size, bitrate] = next_frame(now);
        const bool full = settings_.max_queue > 0 ? connection_.queued() >= settings_.max_queue
                                                  : connection_.buffered() >= kMaxBacklog;
        if (full) {
            ++dropped_;
        } else {
            send_one(size, bitrate);
            ++sent;
        }
        next_due_ns_ += request_->interval_ns;
    }
    if (connection_.can_send()) timer_ = loop_.at(next_due_ns_, [this] { on_timer(); });
}

}  // namespace camrelay::bench
