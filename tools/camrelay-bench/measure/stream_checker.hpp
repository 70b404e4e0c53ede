// camrelay-bench: the receiving end of one stream. Checks every data
// message (header, length, payload pattern), follows the sequence numbers
// and records one-way latency from the send timestamps.
#pragma once

#include <cstdint>
#include <span>

#include "bench_message.hpp"
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

class StreamChecker {
public:
    // `stream_id` is the id of the viewer's stream request (0: the camera's
    // own stream). Messages of the default stream that arrive before the
    // request took effect are checked but not counted as the stream.
    explicit StreamChecker(std::uint32_t stream_id) : stream_id_(stream_id) {}

    DataCheck on_message(std::span<const std::uint8_t> message, std::uint64_t received_ns, LatencyHistogram& latency);

    const StreamTally& tally() const { return tally_; }

private:
    void follow_sequence(std::uint64_t sequence);

    std::uint32_t stream_id_;
    bool sequence_started_ = false;
    std::uint64_t next_sequence_ = 0;
    StreamTally tally_;
};

}  // namespace camrelay::bench
