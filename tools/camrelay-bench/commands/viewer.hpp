// camrelay-bench: one viewer, the client end of a WebSocket (ws:// or
// wss://): connects and upgrades (WsConnector), then talks through a
// WsConnection. The run modes
// react to its events through the callbacks.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "../io/event_loop.hpp"
#include "../io/tls.hpp"
#include "../io/ws_connection.hpp"
#include "../io/ws_connector.hpp"
#include "../protocol/ws_url.hpp"

namespace camrelay::bench {

class Viewer : private WsConnection::Listener {
public:
    enum class State { idle, connecting, open, closed, failed };

    std::function<void(Viewer&)> on_open;
    std::function<void(Viewer&, ws::Opcode, std::span<const std::uint8_t>)> on_receive;
    std::function<void(Viewer&)> on_end;  // closed or failed

    // `tls`, shared by the viewers of a run, is needed for a wss:// URL.
    Viewer(EventLoop& loop, ws::Url url, const TlsClient* tls = nullptr)
        : loop_(loop), url_(std::move(url)), tls_(tls) {}
    ~Viewer() override { stop_probes(); }
    Viewer(const Viewer&) = delete;
    Viewer& operator=(const Viewer&) = delete;

    void connect(std::uint64_t deadline_ns);
    // Read at most this many bytes a second once open (0: no limit).
    void set_read_limit(std::uint64_t bytes_per_s) { read_limit_ = bytes_per_s; }
    // Sends a clock probe (bench_message.hpp) `hz` times a second while
    // open; the camera's answers come to on_receive.
    void start_clock_probes(double hz);
    std::uint64_t clock_probes_sent() const { return probes_sent_; }
    void stop_probes();

    State state() const { return state_; }
    bool is_open() const { return state_ == State::open; }
    bool ended() const { return state_ == State::closed || state_ == State::failed; }
    WsConnection& connection() { return *connection_; }
    const ws::Url& url() const { return url_; }
    // Why connecting failed (state failed).
    const std::string& failure() const { return failure_; }
    // How the connection ended (state closed).
    const CloseInfo& close_info() const { return close_info_; }
    std::uint64_t opened_ns() const { return opened_ns_; }

private:
    void on_message(WsConnection&, ws::Opcode opcode, std::span<const std::uint8_t> payload) override;
    void on_closed(WsConnection&, const CloseInfo& info) override;
    void on_connected(std::variant<Upgraded, std::string> result);
    void probe_at(std::uint64_t when, std::uint64_t interval_ns);

    EventLoop& loop_;
    ws::Url url_;
    const TlsClient* tls_;
    State state_ = State::idle;
    std::unique_ptr<WsConnector> connector_;
    std::unique_ptr<WsConnection> connection_;
    std::string failure_;
    CloseInfo close_info_;
    std::uint64_t opened_ns_ = 0;
    std::uint64_t read_limit_ = 0;
    std::uint64_t probes_sent_ = 0;
    std::optional<EventLoop::TimerId> probe_timer_;
};

// Closes every open viewer (1000, "done") and runs the loop until all have
// ended or the closing handshake timed out. Replaces their on_end.
void close_viewers(EventLoop& loop, const std::vector<Viewer*>& viewers);

}  // namespace camrelay::bench
