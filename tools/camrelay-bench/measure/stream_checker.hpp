// camrelay-bench: the receiving end of one stream. Checks every data
// message (header, length, payload pattern), follows the sequence numbers
// and records one-way latency from the send timestamps. It also takes the
// camera's answers to clock probes (clock_offset.hpp) and what the camera
// says in its data messages (frames it dropped, its bitrate).
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "bench_message.hpp"
#include "clock_offset.hpp"
#include "latency_histogram.hpp"

namespace camrelay::bench {

struct StreamTally {
    std::uint64_t messages = 0;        // valid data messages of the requested stream
    std::uint64_t bytes = 0;           // their sizes added up
    std::uint64_t lost = 0;            // sequence numbers skipped
    std::uint64_t out_of_order = 0;    // sequence numbers at or below one seen before
    std::uint64_t corrupt = 0;         // bad length or payload
    std::uint64_t unexpected = 0;      // messages that are not data messages at all
    std::uint64_t before_request = 0;  // valid messages of the camera's default stream

    void add(const StreamTally& other);
    std::uint64_t errors() const { return lost + out_of_order + corrupt + unexpected; }
};

// What the camera said in the stream's data messages (a stream request
// with camera_state set).
struct CameraView {
    std::uint64_t messages = 0;               // messages that carried it
    std::uint64_t dropped = 0;                // frames dropped at the camera, the latest count
    std::vector<std::uint64_t> bitrates_bps;  // the camera's bitrate, one per message
};

// Bitrates over a stream, in order: the smallest, the median, the last.
struct BitrateSummary {
    std::uint64_t min_bps = 0;
    std::uint64_t median_bps = 0;
    std::uint64_t final_bps = 0;
};
// nullopt for none.
std::optional<BitrateSummary> summarize_bitrates(const std::vector<std::uint64_t>& bitrates_bps);

// One-way latencies kept as arrival minus send time (two clocks, so
// possibly negative) until the clock offset is known.
class OneWayLog {
public:
    void add(std::uint64_t received_ns, std::uint64_t sent_ns) {
        raw_.push_back(static_cast<std::int64_t>(received_ns - sent_ns));
    }
    // Adds every latency, corrected by `correction_ns` (latency_correction),
    // to `histogram`; what comes out below 0 counts as 0.
    void fill(LatencyHistogram& histogram, std::int64_t correction_ns) const;
    std::size_t size() const { return raw_.size(); }

private:
    std::vector<std::int64_t> raw_;
};

class StreamChecker {
public:
    // `stream_id` is the id of the viewer's stream request (0: the camera's
    // own stream). Messages of the default stream that arrive before the
    // request took effect are checked but not counted as the stream.
    explicit StreamChecker(std::uint32_t stream_id) : stream_id_(stream_id) {}

    // Latency straight into `latency`: camera and viewer share a clock.
    DataCheck on_message(std::span<const std::uint8_t> message, std::uint64_t received_ns, LatencyHistogram& latency);
    // Latency into `log` (if not null), to be corrected by the clock offset.
    // A clock reply goes to the offset estimate and returns ok.
    DataCheck on_message(std::span<const std::uint8_t> message, std::uint64_t received_ns, OneWayLog* log);

    const StreamTally& tally() const { return tally_; }
    const CameraView& camera() const { return camera_; }
    const ClockOffsetEstimator& clock() const { return clock_; }
    std::uint64_t clock_replies() const { return clock_replies_; }
    // The send time and camera state of the last valid message of the
    // stream (when on_message counted one).
    std::uint64_t last_sent_ns() const { return last_sent_ns_; }
    const std::optional<CameraState>& last_camera() const { return last_camera_; }

private:
    // The message's send time if it is a valid message of this stream.
    std::optional<std::uint64_t> check(std::span<const std::uint8_t> message, DataCheck& check);
    void follow_sequence(std::uint64_t sequence);

    std::uint32_t stream_id_;
    bool sequence_started_ = false;
    std::uint64_t next_sequence_ = 0;
    StreamTally tally_;
    CameraView camera_;
    ClockOffsetEstimator clock_;
    std::uint64_t clock_replies_ = 0;
    std::uint64_t last_sent_ns_ = 0;
    std::optional<CameraState> last_camera_;
};

}  // namespace camrelay::bench
