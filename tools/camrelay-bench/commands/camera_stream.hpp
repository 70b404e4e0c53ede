// camrelay-bench: a camera's stream on one connection. Sends data messages
// of a size at a pace (or as fast as the connection takes them), each
// stamped with its sequence number and send time.
//
// When the connection cannot keep up with the pace, messages wait in the
// send buffer (their latency shows it) up to kMaxBacklog; beyond that the
// camera skips messages, as an encoder drops frames, without using up
// sequence numbers: a viewer sees late messages, never lost ones.
#pragma once

#include <cstdint>
#include <optional>

#include "../io/event_loop.hpp"
#include "../io/ws_connection.hpp"
#include "../measure/bench_message.hpp"

namespace camrelay::bench {

class CameraStream {
public:
    static constexpr std::size_t kMaxBacklog = 4u << 20;
    static constexpr std::size_t kBurstBytes = 1u << 20;  // as-fast-as-possible: bytes per turn

    CameraStream(EventLoop& loop, WsConnection& connection) : loop_(loop), connection_(connection) {}
    ~CameraStream();
    CameraStream(const CameraStream&) = delete;
    CameraStream& operator=(const CameraStream&) = delete;

    // Starts or changes the stream; the sequence numbers carry on.
    void start(const StreamRequest& request);
    void stop();
    // The connection asked for more (after want_drain()).
    void on_drained();

    std::uint64_t messages_sent() const { return sequence_; }
    std::uint64_t skipped() const { return skipped_; }

private:
    void send_one();
    void on_timer();

    EventLoop& loop_;
    WsConnection& connection_;
    std::optional<StreamRequest> request_;
    std::uint64_t sequence_ = 0;
    std::uint64_t skipped_ = 0;
    std::uint64_t next_due_ns_ = 0;
    std::optional<EventLoop::TimerId> timer_;
};

}  // namespace camrelay::bench
