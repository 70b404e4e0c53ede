// camrelay-bench: a camera's stream on one connection. Sends data messages
// of a size at a pace (or as fast as the connection takes them), each
// stamped with its sequence number and send time.
//
// When the connection cannot keep up with the pace, messages wait in the
// send queue (their latency shows it) up to a limit; beyond it the camera
// drops frames, as a live encoder does, without using up sequence numbers:
// a viewer sees late messages, never lost ones. The limit is kMaxBacklog
// bytes in this program's own buffer, or with --max-queue the bytes not yet
// sent (this program's buffer and the kernel's unsent bytes). A stream
// whose request asked for it tells the viewer in every data message how
// many frames were dropped so far and the bitrate.
//
// With --adapt MIN:MAX a paced stream's bitrate follows the send queue
// (rate_control.hpp): its frames keep their pace and their size follows the
// bitrate.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "../io/event_loop.hpp"
#include "../io/ws_connection.hpp"
#include "../measure/bench_message.hpp"
#include "../measure/stream_checker.hpp"
#include "rate_control.hpp"

namespace camrelay::bench {

struct StreamSettings {
    std::uint64_t max_queue = 0;      // bytes, 0: queue up to kMaxBacklog
    std::optional<RateLimits> adapt;  // paced streams: bitrate follows the queue
    std::int64_t clock_skew_ns = 0;   // added to the send times stamped
};

// One stream's account, for the camera's report.
struct StreamSummary {
    std::uint32_t stream_id = 0;
    std::uint64_t sent = 0;
    std::uint64_t dropped = 0;
    std::optional<BitrateSummary> bitrate;  // paced streams
};

class CameraStream {
public:
    static constexpr std::size_t kMaxBacklog = 4u << 20;
    static constexpr std::size_t kBurstBytes = 1u << 20;  // as-fast-as-possible: bytes per turn

    CameraStream(EventLoop& loop, WsConnection& connection, StreamSettings settings = {})
        : loop_(loop), connection_(connection), settings_(settings) {}
    ~CameraStream();
    CameraStream(const CameraStream&) = delete;
    CameraStream& operator=(const CameraStream&) = delete;

    // Starts or changes the stream; the sequence numbers carry on.
    void start(const StreamRequest& request);
    void stop();
    // The connection asked for more (after want_drain()).
    void on_drained();

    std::uint64_t messages_sent() const { return sequence_; }
    std::uint64_t dropped() const { return dropped_; }
    StreamSummary summary() const;

private:
    void send_one(std::uint32_t size, std::uint64_t bitrate_bps);
    void on_timer();
    // The paced stream's next frame: its size and bitrate.
    std::pair<std::uint32_t, std::uint64_t> next_frame(std::uint64_t now);

    EventLoop& loop_;
    WsConnection& connection_;
    StreamSettings settings_;
    std::optional<StreamRequest> request_;
    std::optional<RateControl> rate_;
    std::uint64_t sequence_ = 0;
    std::uint64_t dropped_ = 0;
    std::uint64_t next_due_ns_ = 0;
    std::optional<EventLoop::TimerId> timer_;
    std::uint32_t stream_id_ = 0;
    std::uint64_t nominal_bps_ = 0;        // a paced stream's bitrate without --adapt
    std::vector<std::uint64_t> bitrates_;  // with --adapt: of every frame, sent or dropped
};

}  // namespace camrelay::bench
