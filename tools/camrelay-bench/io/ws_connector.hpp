// camrelay-bench: the client side of the opening handshake on the event
// loop. Connects (trying each address of the host), sends the upgrade
// request and checks the 101 response. When the server refuses, it reads a
// little of the body so the error can say why (a relay's camrelay-reason
// header and its body are quoted). Bounded by a deadline.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <variant>
#include <vector>

#include "event_loop.hpp"
#include "socket_util.hpp"
#include "../protocol/http_head.hpp"
#include "../protocol/ws_url.hpp"

namespace camrelay::bench {

struct Upgraded {
    int fd = -1;
    std::vector<std::uint8_t> early_bytes;  // frames that came with the 101 response
};

class WsConnector : public IoHandler {
public:
    using Done = std::function<void(std::variant<Upgraded, std::string>)>;

    // `done` is called exactly once, never from inside start().
    WsConnector(EventLoop& loop, ws::Url url, std::uint64_t deadline_ns, Done done);
    ~WsConnector() override;
    WsConnector(const WsConnector&) = delete;
    WsConnector& operator=(const WsConnector&) = delete;

    void start();

private:
    enum class Phase { connecting, sending, reading_head, reading_body, done };

    void on_io(std::uint32_t events) override;
    void connect_next(std::string last_error);
    void on_connected();
    void send_request();
    void read_response();
    void on_head_complete(std::span<const std::uint8_t> rest);
    void refused();
    void succeed(std::vector<std::uint8_t> early);
    void fail(std::string error);
    void close_socket();

    EventLoop& loop_;
    ws::Url url_;
    std::uint64_t deadline_ns_;
    Done done_;
    Phase phase_ = Phase::connecting;
    std::vector<Address> addresses_;
    std::size_t next_address_ = 0;
    int fd_ = -1;
    std::string key_;
    std::string request_;
    std::size_t request_sent_ = 0;
    http::HeadParser head_parser_{http::HeadKind::response};
    std::string body_;
    std::size_t body_expected_ = 0;
    EventLoop::TimerId timer_ = 0;
};

}  // namespace camrelay::bench
