// camrelay-bench: the camera stand-in.
#include "camera_server.hpp"

#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>

#include "../io/clock.hpp"
#include "../io/socket_util.hpp"
#include "../protocol/close_code.hpp"
#include "demo_page.hpp"
#include "viewer_page.hpp"

namespace camrelay::bench {

class CameraServer::Session : public WsConnection::Listener {
public:
    Session(CameraServer& server, UpgradeRequest upgrade)
        : server_(server),
          connection_(server.loop_, std::make_unique<PlainTransport>(upgrade.fd), WsConnection::Role::server, *this,
                      upgrade.response),
          stream_(server.loop_, connection_,
                  StreamSettings{server.options_.max_queue, server.options_.adapt, server.options_.clock_skew_ns}),
          early_(std::move(upgrade.early_bytes)) {}

    void start() {
        connection_.start(early_);
        early_.clear();
        if (server_.demo_) {
            server_.demo_->add(connection_);
            return;
        }
        if (server_.options_.mode == ServeOptions::Mode::stream && !streaming_) {
            stream_.start(StreamRequest{0, server_.options_.size, server_.options_.pace.interval_ns});
        }
    }

    void on_message(WsConnection& connection, ws::Opcode opcode, std::span<const std::uint8_t> payload) override {
        if (server_.demo_) {
            ++server_.totals_.ignored;
            return;
        }
        if (auto probe = decode_clock_probe(payload)) {
            const auto skew = static_cast<std::uint64_t>(server_.options_.clock_skew_ns);
            const std::uint64_t received = monotonic_ns() + skew;
            connection.send(ws::Opcode::binary, encode_clock_reply(ClockReply{probe->number, probe->viewer_sent_ns,
                                                                              received, monotonic_ns() + skew}));
            ++server_.totals_.clock_probes;
            return;
        }
        if (looks_like_stream_request(payload)) {
            if (auto request = decode_stream_request(payload)) {
                streaming_ = true;
                stream_.start(*request);
            } else {
                connection.close(ws::close_code::policy_violation, "malformed stream request");
            }
            return;
        }
        if (server_.options_.mode == ServeOptions::Mode::stream || streaming_) {
            ++server_.totals_.ignored;
            return;
        }
        connection.send(opcode, payload);
        ++server_.totals_.echoed;
    }

    void on_drained(WsConnection&) override { stream_.on_drained(); }

    void on_closed(WsConnection&, const CloseInfo&) override {
        if (server_.demo_) {
            const DemoViewerTally demo = server_.demo_->remove(connection_);
            server_.totals_.streamed += demo.sent;
            server_.totals_.dropped += demo.skipped;
        }
        server_.totals_.streamed += stream_.messages_sent();
        server_.totals_.dropped += stream_.dropped();
        if (!server_.demo_ && stream_.messages_sent() + stream_.dropped() > 0 && server_.on_stream_end)
            server_.on_stream_end(stream_.summary());
        stream_.stop();
        server_.on_session_closed(*this);
    }

    void close(std::uint16_t code, std::string_view reason) { connection_.close(code, reason); }

private:
    CameraServer& server_;
    WsConnection connection_;
    CameraStream stream_;
    std::vector<std::uint8_t> early_;
    bool streaming_ = false;
};

CameraServer::CameraServer(EventLoop& loop, int listen_fd, const ServeOptions& options)
    : loop_(loop),
      listen_fd_(listen_fd),
      options_(options),
      page_(options.mode == ServeOptions::Mode::demo ? demo_page() : viewer_page()) {
    if (options.mode == ServeOptions::Mode::demo) demo_ = std::make_unique<DemoFeed>(loop, options.pace.interval_ns);
}

CameraServer::~CameraServer() {
    sessions_.clear();
    demo_.reset();
    http_sessions_.clear();
    if (listen_fd_ >= 0) {
        loop_.unwatch(listen_fd_);
        ::close(listen_fd_);
    }
}

void CameraServer::start() { loop_.watch(listen_fd_, EPOLLIN, *this); }

void CameraServer::shut_down() {
    if (listen_fd_ >= 0) {
        loop_.unwatch(listen_fd_);
        ::close(listen_fd_);
        listen_fd_ = -1;
    }
    for (auto& [key, session] : sessions_) session->close(ws::close_code::going_away, "camera shutting down");
}

void CameraServer::on_io(std::uint32_t) {
    for (;;) {
        int fd = accept4(listen_fd_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno == EINTR || errno == ECONNABORTED) continue;
            return;  // EAGAIN, or out of descriptors: try again on the next event
        }
        set_nodelay(fd);
        auto session = std::make_unique<HttpSession>(
            loop_, fd, page_,
            [this](HttpSession& s, std::optional<UpgradeRequest> upgrade) { on_http_finished(s, std::move(upgrade)); });
        HttpSession* key = session.get();
        http_sessions_.emplace(key, std::move(session));
        key->start();
    }
}

void CameraServer::on_http_finished(HttpSession& http, std::optional<UpgradeRequest> upgrade) {
    HttpSession* key = &http;
    loop_.defer([this, key] { http_sessions_.erase(key); });
    if (!upgrade) {
        ++totals_.http_requests;
        return;
    }
    ++totals_.websockets;
    ++totals_.active;
    auto session = std::make_unique<Session>(*this, std::move(*upgrade));
    Session* raw = session.get();
    sessions_.emplace(raw, std::move(session));
    raw->start();
}

void CameraServer::on_session_closed(Session& session) {
    --totals_.active;
    Session* key = &session;
    loop_.defer([this, key] { sessions_.erase(key); });
}

}  // namespace camrelay::bench
