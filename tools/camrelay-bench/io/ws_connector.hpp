// camrelay-bench: the client side of the opening handshake on the event
// loop. Connects (trying each address of the host), for wss:// runs the TLS
// handshake, sends the upgrade request and checks the 101 response. When
// the server refuses, it reads a little of the body so the error can say
// why (a relay's camrelay-reason header and its body are quoted). All of
// it is bounded by one deadline.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <variant>
#include <vector>

#include "event_loop.hpp"
#include "socket_util.hpp"
#include "tls.hpp"
#include "transport.hpp"
#include "../protocol/http_head.hpp"
#include "../protocol/ws_url.hpp"

namespace camrelay::bench {

struct Upgraded {
    std::unique_ptr<Transport> transport;
    std::vector<std::uint8_t> early_bytes;  // frames that came with the 101 response
};

class WsConnector : public IoHandler {
public:
    using Done = std::function<void(std::variant<Upgraded, std::string>)>;

    // `done` is called exactly once, never from inside start(). `tls` is
    // needed for a wss:// URL.
    WsConnector(EventLoop& loop, ws::Url url, const TlsClient* tls, std::uint64_t deadline_ns, Done done);
    ~WsConnector() override;
    WsConnector(const WsConnector&) = delete;
    WsConnector& operator=(const WsConnector&) = delete;

    void start();

private:
    enum class Phase { connecting, securing, sending, reading_head, reading_body, done };

    void on_io(std::uint32_t events) override;
    void connect_next(std::string last_error);
    void on_connected();
    void secure();
    void send_request();
    void wait_for(std::uint32_t events);
    void read_response();
    void on_head_complete(std::span<const std::uint8_t> rest);
    void refused();
    void succeed(std::vector<std::uint8_t> early);
    void fail(std::string error);
    void close_socket();
    std::string peer() const;  // the address connected to, for messages

    EventLoop& loop_;
    ws::Url url_;
    const TlsClient* tls_;
    std::uint64_t deadline_ns_;
    Done done_;
    Phase phase_ = Phase::connecting;
    std::vector<Address> addresses_;
    std::size_t next_address_ = 0;
    int fd_ = -1;                           // while connecting
    std::unique_ptr<Transport> transport_;  // once connected
    std::uint32_t watching_ = 0;
    std::string key_;
    std::string request_;
    std::size_t request_sent_ = 0;
    http::HeadParser head_parser_{http::HeadKind::response};
    std::string body_;
    std::size_t body_expected_ = 0;
    EventLoop::TimerId timer_ = 0;
};

}  // namespace camrelay::bench
