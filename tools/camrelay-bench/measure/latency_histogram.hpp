// camrelay-bench: latency samples in a log-linear histogram.
//
// Values below 256 ns are kept exactly; above, each doubling is split into
// 128 buckets, so a quantile is off by at most 0.4% of its value. Memory
// stays bounded however long a run is. The count above a threshold
// ("round trips over 10 ms") is kept exactly beside the buckets.
#pragma once

#include <cstdint>
#include <vector>

namespace camrelay::bench {

class LatencyHistogram {
public:
    explicit LatencyHistogram(std::uint64_t threshold_ns = 10'000'000) : threshold_ns_(threshold_ns) {}

    void add(std::uint64_t ns);
    // Adds another histogram's samples; both must use the same threshold.
    void merge(const LatencyHistogram& other);

    std::uint64_t count() const { return count_; }
    std::uint64_t min() const { return count_ ? min_ : 0; }
    std::uint64_t max() const { return max_; }
    double mean() const { return count_ ? static_cast<double>(sum_) / static_cast<double>(count_) : 0.0; }
    std::uint64_t threshold_ns() const { return threshold_ns_; }
    // Samples strictly above the threshold.
    std::uint64_t over_threshold() const { return over_threshold_; }

    // The sample at quantile q in [0, 1]: the ceil(q * count)-th smallest
    // sample, as the middle of its bucket; the smallest and the largest are
    // exact. 0 when empty.
    std::uint64_t quantile(double q) const;

private:
    static std::size_t bucket_of(std::uint64_t ns);
    static std::uint64_t bucket_middle(std::size_t index);

    std::uint64_t threshold_ns_;
    std::vector<std::uint64_t> buckets_;
    std::uint64_t count_ = 0;
    std::uint64_t sum_ = 0;
    std::uint64_t min_ = UINT64_MAX;
    std::uint64_t max_ = 0;
    std::uint64_t over_threshold_ = 0;
};

}  // namespace camrelay::bench
