// camrelay-bench: the `serve` side, a stand-in for a Picam360 camera.
// Accepts connections, serves the viewer page over plain HTTP and, once a
// connection is a WebSocket, either echoes every message (echo mode) or
// streams (stream mode). In either mode a viewer's stream request starts
// or changes the stream of its own connection. In demo mode the page is
// demo_page.hpp's and every WebSocket gets the frames of one DemoFeed; the
// viewers' messages are ignored.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <unordered_map>

#include "../io/event_loop.hpp"
#include "../io/http_session.hpp"
#include "../io/ws_connection.hpp"
#include "camera_stream.hpp"
#include "demo_feed.hpp"
#include "options.hpp"

namespace camrelay::bench {

struct CameraTotals {
    std::uint64_t http_requests = 0;  // plain HTTP answered
    std::uint64_t websockets = 0;     // upgrades accepted
    std::uint64_t active = 0;         // open WebSockets now
    std::uint64_t echoed = 0;
    std::uint64_t streamed = 0;
    std::uint64_t dropped = 0;       // frames not sent: the send queue was full
    std::uint64_t ignored = 0;       // viewer messages a streaming camera does not echo
    std::uint64_t clock_probes = 0;  // answered
};

class CameraServer : private IoHandler {
public:
    CameraServer(EventLoop& loop, int listen_fd, const ServeOptions& options);
    ~CameraServer() override;
    CameraServer(const CameraServer&) = delete;
    CameraServer& operator=(const CameraServer&) = delete;

    void start();
    // Closes every WebSocket with 1001 (going away) and stops accepting.
    void shut_down();
    const CameraTotals& totals() const { return totals_; }
    // Called as each stream ends (echo and stream modes).
    std::function<void(const StreamSummary&)> on_stream_end;

private:
    class Session;

    void on_io(std::uint32_t events) override;
    void on_http_finished(HttpSession& session, std::optional<UpgradeRequest> upgrade);
    void on_session_closed(Session& session);

    EventLoop& loop_;
    int listen_fd_;
    ServeOptions options_;
    std::string page_;
    std::unordered_map<HttpSession*, std::unique_ptr<HttpSession>> http_sessions_;
    std::unordered_map<Session*, std::unique_ptr<Session>> sessions_;
    CameraTotals totals_;
    std::unique_ptr<DemoFeed> demo_;  // demo mode
};

}  // namespace camrelay::bench
