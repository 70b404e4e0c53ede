// camrelay-bench: clock offset between camera and viewer.
#include "clock_offset.hpp"

namespace camrelay::bench {

bool ClockOffsetEstimator::add(std::uint64_t t1, std::uint64_t t2, std::uint64_t t3, std::uint64_t t4) {
    if (t4 < t1 || t3 < t2 || t3 - t2 > t4 - t1) return false;
    const std::uint64_t rtt = (t4 - t1) - (t3 - t2);
    // Differences of the two clocks' readings: any offset, even one of
    // days between two machines' monotonic clocks, fits an int64.
    const std::int64_t out = static_cast<std::int64_t>(t2 - t1);
    const std::int64_t back = static_cast<std::int64_t>(t3 - t4);
    const std::int64_t offset = out / 2 + back / 2 + (out % 2 + back % 2) / 2;
    if (samples_ == 0 || rtt < best_rtt_) {
        best_rtt_ = rtt;
        best_offset_ = offset;
    }
    ++samples_;
    return true;
}

std::optional<ClockEstimate> ClockOffsetEstimator::estimate() const {
    if (samples_ == 0) return std::nullopt;
    return ClockEstimate{best_offset_, best_rtt_ / 2, best_rtt_, samples_};
}

std::int64_t latency_correction(ClockUse use, const std::optional<ClockEstimate>& estimate) {
    if (!estimate || use == ClockUse::same) return 0;
    if (use == ClockUse::estimate) return estimate->offset_ns;
    const std::uint64_t magnitude = estimate->offset_ns < 0 ? 0 - static_cast<std::uint64_t>(estimate->offset_ns)
                                                            : static_cast<std::uint64_t>(estimate->offset_ns);
    return magnitude > estimate->uncertainty_ns ? estimate->offset_ns : 0;
}

}  // namespace camrelay::bench
