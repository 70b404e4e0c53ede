// camrelay-bench: server-side HTTP handling before the upgrade.
#include "http_session.hpp"

#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cerrno>

#include "clock.hpp"
#include "socket_util.hpp"
#include "../protocol/handshake.hpp"

namespace camrelay::bench {

HttpSession::HttpSession(EventLoop& loop, int fd, const std::string& page, Finished finished)
    : loop_(loop), fd_(fd), page_(page), finished_(std::move(finished)) {}

HttpSession::~HttpSession() {
    loop_.cancel(timer_);
    if (fd_ >= 0) {
        loop_.unwatch(fd_);
        ::close(fd_);
    }
}

void HttpSession::start() {
    loop_.watch(fd_, EPOLLIN, *this);
    timer_ = loop_.at(monotonic_ns() + kHeadTimeoutNs, [this] { end(std::nullopt); });
}

void HttpSession::on_io(std::uint32_t) {
    if (ended_) return;
    if (responding_) {
        write_response();
    } else {
        read_head();
    }
}

void HttpSession::read_head() {
    std::array<std::uint8_t, 4096> buffer{};
    for (;;) {
        ssize_t n = ::recv(fd_, buffer.data(), buffer.size(), 0);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
        if (n <= 0) {
            end(std::nullopt);
            return;
        }
        std::span<const std::uint8_t> bytes(buffer.data(), static_cast<std::size_t>(n));
        std::size_t used = parser_.feed(bytes);
        if (parser_.failed()) {
            respond(ws::simple_response(400, "Bad Request", "text/plain", parser_.error() + "\n"));
            return;
        }
        if (!parser_.complete()) continue;
        const http::Head& head = parser_.head();
        ws::RequestVerdict verdict = ws::judge_request(head);
        switch (verdict.kind) {
            case ws::RequestVerdict::Kind::upgrade: {
                UpgradeRequest up;
                up.fd = fd_;
                up.response = ws::upgrade_response(verdict.accept);
                up.early_bytes.assign(bytes.begin() + static_cast<std::ptrdiff_t>(used), bytes.end());
                up.target = head.target;
                loop_.unwatch(fd_);
                fd_ = -1;
                end(std::move(up));
                return;
            }
            case ws::RequestVerdict::Kind::refuse: {
                std::string extra = verdict.status == 426 ? "Sec-WebSocket-Version: 13\r\n" : "";
                respond(ws::simple_response(verdict.status, verdict.status == 426 ? "Upgrade Required" : "Bad Request",
                                            "text/plain", verdict.reason + "\n", extra));
                return;
            }
            case ws::RequestVerdict::Kind::plain_http:
                if (head.method == "GET" || head.method == "HEAD") {
                    respond(
                        ws::simple_response(200, "OK", "text/html; charset=utf-8", page_, "", head.method == "HEAD"));
                } else {
                    respond(ws::simple_response(405, "Method Not Allowed", "text/plain", "GET or HEAD only\n",
                                                "Allow: GET, HEAD\r\n"));
                }
                return;
        }
    }
}

void HttpSession::respond(std::string response) {
    responding_ = true;
    response_ = std::move(response);
    loop_.rewatch(fd_, EPOLLOUT, *this);
    write_response();
}

void HttpSession::write_response() {
    if (send_pending(fd_, response_.data(), response_.size(), response_sent_) == EAGAIN) return;
    // All sent, or the client is gone.
    ::shutdown(fd_, SHUT_WR);
    end(std::nullopt);
}

void HttpSession::end(std::optional<UpgradeRequest> upgrade) {
    if (ended_) return;
    ended_ = true;
    loop_.cancel(timer_);
    if (fd_ >= 0) {
        loop_.unwatch(fd_);
        ::close(fd_);
        fd_ = -1;
    }
    finished_(*this, std::move(upgrade));
}

}  // namespace camrelay::bench
