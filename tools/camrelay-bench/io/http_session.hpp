// camrelay-bench: the server side of one TCP connection until it becomes a
// WebSocket. Reads the request head; a valid upgrade is handed over with its
// 101 response; a plain GET or HEAD gets the viewer page (a camera serves
// its viewer page on the same port); anything else an HTTP error. Any path
// and query are accepted, as the relay forwards them.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "event_loop.hpp"
#include "../protocol/http_head.hpp"

namespace camrelay::bench {

struct UpgradeRequest {
    int fd = -1;
    std::string response;                   // the 101 response, still to be sent
    std::vector<std::uint8_t> early_bytes;  // bytes after the request head
    std::string target;                     // path and query
};

class HttpSession : public IoHandler {
public:
    static constexpr std::uint64_t kHeadTimeoutNs = 10'000'000'000;

    // `finished` is called once: with the upgrade, or with nullopt when the
    // session answered plain HTTP or failed. The owner then destroys the
    // session through EventLoop::defer().
    using Finished = std::function<void(HttpSession&, std::optional<UpgradeRequest>)>;

    HttpSession(EventLoop& loop, int fd, const std::string& page, Finished finished);
    ~HttpSession() override;
    HttpSession(const HttpSession&) = delete;
    HttpSession& operator=(const HttpSession&) = delete;

    void start();

private:
    void on_io(std::uint32_t events) override;
    void read_head();
    void respond(std::string response);
    void write_response();
    void end(std::optional<UpgradeRequest> upgrade);

    EventLoop& loop_;
    int fd_;
    const std::string& page_;
    Finished finished_;
    http::HeadParser parser_{http::HeadKind::request};
    std::string response_;
    std::size_t response_sent_ = 0;
    bool responding_ = false;
    bool ended_ = false;
    EventLoop::TimerId timer_ = 0;
};

}  // namespace camrelay::bench
