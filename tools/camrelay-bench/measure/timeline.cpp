// camrelay-bench: a stream second by second.
#include "timeline.hpp"

#include <algorithm>

namespace camrelay::bench {

void Timeline::add(std::uint64_t received_ns, std::uint64_t sent_ns, std::size_t bytes,
                   const std::optional<CameraState>& camera) {
    const auto raw = static_cast<std::int64_t>(received_ns - sent_ns);
    if (steps_.empty()) {
        first_ns_ = received_ns;
        base_raw_ = raw;  // sums relative to it stay small whatever the clocks' offset
    }
    const std::size_t index = received_ns > first_ns_ ? (received_ns - first_ns_) / step_ns_ : 0;
    if (index >= steps_.size()) steps_.resize(index + 1);
    Step& step = steps_[index];
    step.raw_max = step.messages == 0 ? raw : std::max(step.raw_max, raw);
    step.raw_sum += raw - base_raw_;
    ++step.messages;
    step.bytes += bytes;
    if (camera) step.camera = camera;
}

std::vector<TimelinePoint> Timeline::points(std::int64_t correction_ns) const {
    std::vector<TimelinePoint> out;
    const double step_s = static_cast<double>(step_ns_) / 1e9;
    for (std::size_t i = 0; i < steps_.size(); ++i) {
        const Step& s = steps_[i];
        TimelinePoint p;
        p.start_s = static_cast<double>(i) * step_s;
        p.messages = s.messages;
        p.bytes = s.bytes;
        p.received_mbps = static_cast<double>(s.bytes) * 8 / 1e6 / step_s;
        p.camera = s.camera;
        if (s.messages > 0) {
            const double mean = static_cast<double>(s.raw_sum) / static_cast<double>(s.messages) +
                                static_cast<double>(base_raw_ + correction_ns);
            p.latency_mean_ms = std::max(0.0, mean) / 1e6;
            p.latency_max_ms = static_cast<double>(std::max<std::int64_t>(0, s.raw_max + correction_ns)) / 1e6;
        }
        out.push_back(p);
    }
    return out;
}

}  // namespace camrelay::bench
