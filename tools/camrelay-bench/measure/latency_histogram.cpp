// camrelay-bench: log-linear latency histogram.
#include "latency_histogram.hpp"

#include <algorithm>
#include <bit>
#include <cmath>
#include <stdexcept>

namespace camrelay::bench {

namespace {
constexpr unsigned kExactBits = 8;                  // 0..255 exact
constexpr std::uint64_t kExact = 1u << kExactBits;  // 256
constexpr std::uint64_t kPerDoubling = kExact / 2;  // 128
}  // namespace

std::size_t LatencyHistogram::bucket_of(std::uint64_t ns) {
    if (ns < kExact) return static_cast<std::size_t>(ns);
    const unsigned top = 63 - static_cast<unsigned>(std::countl_zero(ns));  // >= kExactBits
    const unsigned shift = top - (kExactBits - 1);                          // >= 1
    const std::uint64_t sub = ns >> shift;                                  // 128..255
    return static_cast<std::size_t>(kExact + (shift - 1) * kPerDoubling + (sub - kPerDoubling));
}

std::uint64_t LatencyHistogram::bucket_middle(std::size_t index) {
    if (index < kExact) return index;
    const std::uint64_t rest = index - kExact;
    const unsigned shift = static_cast<unsigned>(rest / kPerDoubling) + 1;
    const std::uint64_t sub = kPerDoubling + rest % kPerDoubling;
    return (sub << shift) + (std::uint64_t{1} << (shift - 1));
}

void LatencyHistogram::add(std::uint64_t ns) {
    const std::size_t b = bucket_of(ns);
    if (b >= buckets_.size()) buckets_.resize(b + 1, 0);
    ++buckets_[b];
    ++count_;
    sum_ += ns;
    min_ = std::min(min_, ns);
    max_ = std::max(max_, ns);
    if (ns > threshold_ns_) ++over_threshold_;
}

void LatencyHistogram::merge(const LatencyHistogram& other) {
    if (other.threshold_ns_ != threshold_ns_) throw std::logic_error("merging histograms with different thresholds");
    if (other.buckets_.size() > buckets_.size()) buckets_.resize(other.buckets_.size(), 0);
    for (std::size_t i = 0; i < other.buckets_.size(); ++i) buckets_[i] += other.buckets_[i];
    count_ += other.count_;
    sum_ += other.sum_;
    min_ = std::min(min_, other.min_);
    max_ = std::max(max_, other.max_);
    over_threshold_ += other.over_threshold_;
}

std::uint64_t LatencyHistogram::quantile(double q) const {
    if (count_ == 0) return 0;
    q = std::clamp(q, 0.0, 1.0);
    const auto rank =
        std::max<std::uint64_t>(1, static_cast<std::uint64_t>(std::ceil(q * static_cast<double>(count_) - 1e-9)));
    if (rank >= count_) return max_;
    if (rank == 1) return min();
    std::uint64_t seen = 0;
    for (std::size_t i = 0; i < buckets_.size(); ++i) {
        seen += buckets_[i];
        if (seen >= rank) return std::clamp(bucket_middle(i), min(), max_);
    }
    return max_;
}

}  // namespace camrelay::bench
