// camrelay-bench: the offset between a camera's clock and a viewer's, from
// clock probes (NTP's four timestamps, bench_message.hpp):
//
//     t1  the viewer sends a probe          (viewer's clock)
//     t2  the camera receives it            (camera's clock)
//     t3  the camera sends its answer       (camera's clock)
//     t4  the viewer receives the answer    (viewer's clock)
//
//     round trip  delta = (t4 - t1) - (t3 - t2)
//     offset      theta = ((t2 - t1) + (t3 - t4)) / 2   (camera minus viewer)
//
// Whatever the true offset, it lies within theta +- delta / 2 (each leg of
// the round trip is at least 0), so the sample with the smallest round trip
// bounds it best; samples that waited in a queue on the way have larger
// round trips and are left out (NTP's clock filter does the same). The
// estimate is that sample's offset and its uncertainty half its round trip.
//
// A camera's send time t3 on the camera's clock is then t3 - theta on the
// viewer's: one-way latency = t4 - t3 + theta.
#pragma once

#include <cstdint>
#include <optional>

namespace camrelay::bench {

struct ClockEstimate {
    std::int64_t offset_ns = 0;        // camera minus viewer
    std::uint64_t uncertainty_ns = 0;  // half the smallest round trip
    std::uint64_t min_rtt_ns = 0;
    std::uint64_t samples = 0;
};

class ClockOffsetEstimator {
public:
    // One probe's four timestamps; false (and ignored) when they cannot be
    // one probe's (the camera held it longer than the round trip).
    bool add(std::uint64_t t1, std::uint64_t t2, std::uint64_t t3, std::uint64_t t4);

    // nullopt before the first sample.
    std::optional<ClockEstimate> estimate() const;

private:
    std::uint64_t samples_ = 0;
    std::uint64_t best_rtt_ = 0;
    std::int64_t best_offset_ = 0;
};

// How a viewer uses the estimate (run --clock).
enum class ClockUse {
    same,      // camera and viewer share a clock: one-way latency as stamped
    estimate,  // correct by the estimated offset
    automatic  // correct only if the offset is beyond its uncertainty (the clocks differ)
};

// The correction to add to (t4 - t3) for one-way latency.
std::int64_t latency_correction(ClockUse use, const std::optional<ClockEstimate>& estimate);

}  // namespace camrelay::bench
