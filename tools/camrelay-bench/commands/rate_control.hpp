// camrelay-bench: a camera's bitrate that follows its send queue, as a live
// encoder's rate control does (serve --adapt MIN:MAX). Pure: it is told the
// time, the bytes waiting in the send queue and the bytes that have left it,
// once per frame, and answers with the bitrate for that frame.
//
//   - The queue is too long when it holds more than kHighDelayNs of video at
//     the current bitrate, or more than half of --max-queue: the path does
//     not carry the bitrate. The bitrate then drops to kDecrease times the
//     rate the queue drained at over the last second (if that is lower than
//     the bitrate), at most once every kDecreaseHoldNs so that a cut shows
//     in the queue before the next.
//   - The queue is drained when it holds less than kLowDelayNs of video:
//     then, from kIncreaseHoldNs after the last cut on, the bitrate grows
//     by kIncreasePerSecond a second, slowly, probing for room.
//   - It stays within MIN..MAX and starts at MAX.
#pragma once

#include <cstdint>
#include <deque>
#include <utility>

namespace camrelay::bench {

struct RateLimits {
    double min_bps = 0;
    double max_bps = 0;
};

class RateControl {
public:
    static constexpr std::uint64_t kHighDelayNs = 100'000'000;
    static constexpr std::uint64_t kLowDelayNs = 20'000'000;
    static constexpr std::uint64_t kDecreaseHoldNs = 250'000'000;
    static constexpr std::uint64_t kIncreaseHoldNs = 1'000'000'000;
    static constexpr std::uint64_t kRateWindowNs = 1'000'000'000;
    static constexpr double kDecrease = 0.85;
    static constexpr double kIncreasePerSecond = 1.08;

    // `max_queue_bytes`: the camera's --max-queue (0: none).
    RateControl(RateLimits limits, std::uint64_t max_queue_bytes);

    // At a frame's time: `queued_bytes` wait to be sent, `sent_bytes` have
    // left the queue since the stream began. Returns the bitrate to use.
    double on_frame(std::uint64_t now_ns, std::uint64_t queued_bytes, std::uint64_t sent_bytes);

    double bitrate_bps() const { return bitrate_; }
    // The rate the queue drained at over the last second, 0 if not known yet.
    double drain_bps() const;

private:
    RateLimits limits_;
    std::uint64_t max_queue_;
    double bitrate_;
    std::uint64_t last_frame_ns_ = 0;
    std::uint64_t last_decrease_ns_ = 0;
    bool decreased_ = false;
    std::deque<std::pair<std::uint64_t, std::uint64_t>> sent_;  // (time, sent bytes), the last second
};

}  // namespace camrelay::bench
