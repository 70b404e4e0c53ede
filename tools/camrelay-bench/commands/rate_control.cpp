// camrelay-bench: a camera's rate control.
#include "rate_control.hpp"

#include <algorithm>
#include <cmath>

namespace camrelay::bench {

namespace {
double bytes_of(double bps, std::uint64_t ns) { return bps / 8 * static_cast<double>(ns) / 1e9; }
}  // namespace

RateControl::RateControl(RateLimits limits, std::uint64_t max_queue_bytes)
    : limits_(limits), max_queue_(max_queue_bytes), bitrate_(limits.max_bps) {}

double RateControl::drain_bps() const {
    if (sent_.size() < 2) return 0;
    const auto& [t0, b0] = sent_.front();
    const auto& [t1, b1] = sent_.back();
    if (t1 - t0 < kRateWindowNs / 4) return 0;
    return static_cast<double>(b1 - b0) * 8 * 1e9 / static_cast<double>(t1 - t0);
}

double RateControl::on_frame(std::uint64_t now_ns, std::uint64_t queued_bytes, std::uint64_t sent_bytes) {
    sent_.emplace_back(now_ns, sent_bytes);
    while (sent_.size() > 2 && now_ns - sent_[1].first >= kRateWindowNs) sent_.pop_front();

    double high = bytes_of(bitrate_, kHighDelayNs);
    if (max_queue_ > 0) high = std::min(high, static_cast<double>(max_queue_) / 2);
    const double low = std::min(high / 2, bytes_of(bitrate_, kLowDelayNs));
    const double queued = static_cast<double>(queued_bytes);

    if (queued > high) {
        if (!decreased_ || now_ns - last_decrease_ns_ >= kDecreaseHoldNs) {
            const double drained = drain_bps();
            const double base = drained > 0 ? std::min(drained, bitrate_) : bitrate_;
            bitrate_ = base * kDecrease;
            last_decrease_ns_ = now_ns;
            decreased_ = true;
        }
    } else if (queued < low && last_frame_ns_ != 0 && (!decreased_ || now_ns - last_decrease_ns_ >= kIncreaseHoldNs)) {
        const double seconds = static_cast<double>(now_ns - last_frame_ns_) / 1e9;
        bitrate_ *= std::pow(kIncreasePerSecond, std::min(seconds, 1.0));
    }
    bitrate_ = std::clamp(bitrate_, limits_.min_bps, limits_.max_bps);
    last_frame_ns_ = now_ns;
    return bitrate_;
}

}  // namespace camrelay::bench
