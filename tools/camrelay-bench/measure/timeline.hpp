// camrelay-bench: a stream second by second (run --timeline): what arrived,
// what the camera said, and the one-way latency, for a lab that changes
// the path during a run and watches the camera follow.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "bench_message.hpp"

namespace camrelay::bench {

struct TimelinePoint {
    double start_s = 0;  // from the first message
    std::uint64_t messages = 0;
    std::uint64_t bytes = 0;
    double received_mbps = 0;
    std::optional<CameraState> camera;  // the last message's
    double latency_mean_ms = 0;         // 0 without messages
    double latency_max_ms = 0;
};

class Timeline {
public:
    explicit Timeline(std::uint64_t step_ns = 1'000'000'000) : step_ns_(step_ns) {}

    // One message of the stream: its arrival and send time (two clocks),
    // size, and the camera state it carried.
    void add(std::uint64_t received_ns, std::uint64_t sent_ns, std::size_t bytes,
             const std::optional<CameraState>& camera);

    // Every step from the first message to the last, with one-way latency
    // corrected by `correction_ns` (latency_correction).
    std::vector<TimelinePoint> points(std::int64_t correction_ns) const;

private:
    struct Step {
        std::uint64_t messages = 0;
        std::uint64_t bytes = 0;
        std::int64_t raw_sum = 0;  // less base_raw_ each
        std::int64_t raw_max = 0;
        std::optional<CameraState> camera;
    };
    std::uint64_t step_ns_;
    std::uint64_t first_ns_ = 0;
    std::int64_t base_raw_ = 0;
    std::vector<Step> steps_;
};

}  // namespace camrelay::bench
