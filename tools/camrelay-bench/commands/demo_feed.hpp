// camrelay-bench: the demo camera's one picture source (`serve --mode
// demo`). Like a camera's encoder it makes one frame every interval while
// anyone watches and sends that same frame to every viewer; a viewer whose
// connection still holds a whole frame unsent misses the next one (its
// frame numbers show the gap), so a slow viewer sees live frames, never an
// ever later picture, and never slows the others down.
#pragma once

#include <cstdint>
#include <optional>
#include <unordered_map>
#include <vector>

#include "../io/event_loop.hpp"
#include "../io/ws_connection.hpp"

namespace camrelay::bench {

struct DemoViewerTally {
    std::uint64_t sent = 0;     // frames sent to this viewer
    std::uint64_t skipped = 0;  // frames it missed, its connection full
};

class DemoFeed {
public:
    DemoFeed(EventLoop& loop, std::uint64_t interval_ns);
    ~DemoFeed();
    DemoFeed(const DemoFeed&) = delete;
    DemoFeed& operator=(const DemoFeed&) = delete;

    // A viewer to send frames to from the next frame on.
    void add(WsConnection& connection);
    // No more frames to it; what it was sent.
    DemoViewerTally remove(WsConnection& connection);

private:
    void on_timer();
    void send_frame(std::uint64_t frame);

    EventLoop& loop_;
    std::uint64_t interval_ns_;
    std::uint64_t start_ns_;  // frame n is due at start_ns_ + n * interval_ns_
    std::uint64_t next_frame_ = 0;
    std::optional<EventLoop::TimerId> timer_;
    std::unordered_map<WsConnection*, DemoViewerTally> viewers_;
    std::vector<std::uint8_t> indices_;
    std::vector<std::uint8_t> message_;
};

}  // namespace camrelay::bench
