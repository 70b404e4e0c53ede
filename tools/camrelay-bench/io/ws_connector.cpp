// camrelay-bench: client handshake.
#include "ws_connector.hpp"

#include <openssl/rand.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cctype>
#include <utility>

#include "clock.hpp"
#include "../protocol/handshake.hpp"

namespace camrelay::bench {

namespace {

constexpr std::size_t kMaxBodyQuote = 400;
constexpr std::uint64_t kBodyWaitNs = 1'000'000'000;

// Collapses whitespace and cuts the text for a one-line error message.
std::string one_line(std::string_view text) {
    std::string out;
    for (char c : text) {
        bool space = std::isspace(static_cast<unsigned char>(c)) != 0;
        if (space && (out.empty() || out.back() == ' ')) continue;
        out.push_back(space ? ' ' : (std::isprint(static_cast<unsigned char>(c)) ? c : '?'));
    }
    while (!out.empty() && out.back() == ' ') out.pop_back();
    if (out.size() > kMaxBodyQuote) out = out.substr(0, kMaxBodyQuote) + "...";
    return out;
}

}  // namespace

WsConnector::WsConnector(EventLoop& loop, ws::Url url, const TlsClient* tls, std::uint64_t deadline_ns, Done done)
    : loop_(loop), url_(std::move(url)), tls_(tls), deadline_ns_(deadline_ns), done_(std::move(done)) {}

WsConnector::~WsConnector() {
    loop_.cancel(timer_);
    close_socket();
}

void WsConnector::start() {
    std::array<std::uint8_t, 16> nonce{};
    RAND_bytes(nonce.data(), static_cast<int>(nonce.size()));
    key_ = ws::make_key(nonce);
    request_ = ws::build_upgrade_request(url_.target, url_.host_header(), key_);
    timer_ = loop_.at(deadline_ns_, [this] {
        switch (phase_) {
            case Phase::connecting: fail("timed out connecting"); break;
            case Phase::securing: fail("timed out in the TLS handshake with " + peer() + " (is it a TLS port?)"); break;
            case Phase::reading_body: refused(); break;
            default: fail("timed out waiting for the upgrade response"); break;
        }
    });
    if (url_.secure && tls_ == nullptr) {
        loop_.defer([this] { fail("wss:// without TLS settings"); });
        return;
    }
    auto resolved = resolve(url_.host, url_.port);
    if (auto* error = std::get_if<std::string>(&resolved)) {
        std::string text = *error;
        loop_.defer([this, text] { fail(text); });
        return;
    }
    addresses_ = std::get<std::vector<Address>>(resolved);
    loop_.defer([this] { connect_next(""); });
}

void WsConnector::close_socket() {
    if (transport_) {
        loop_.unwatch(transport_->fd());
        transport_.reset();
    }
    if (fd_ < 0) return;
    loop_.unwatch(fd_);
    ::close(fd_);
    fd_ = -1;
}

std::string WsConnector::peer() const { return next_address_ > 0 ? addresses_[next_address_ - 1].text() : url_.host; }

void WsConnector::wait_for(std::uint32_t events) {
    if (events == watching_) return;
    watching_ = events;
    loop_.rewatch(transport_->fd(), events, *this);
}

void WsConnector::connect_next(std::string last_error) {
    if (phase_ == Phase::done) return;
    close_socket();
    while (next_address_ < addresses_.size()) {
        const Address& address = addresses_[next_address_++];
        auto started = start_connect(address);
        if (auto* error = std::get_if<std::string>(&started)) {
            last_error = "cannot connect to " + address.text() + ": " + *error;
            continue;
        }
        fd_ = std::get<int>(started);
        watching_ = EPOLLOUT;
        loop_.watch(fd_, watching_, *this);
        return;
    }
    fail(last_error);
}

void WsConnector::on_io(std::uint32_t events) {
    switch (phase_) {
        case Phase::connecting: {
            int error = socket_error(fd_);
            if (error != 0 || (events & (EPOLLERR | EPOLLHUP))) {
                const Address& address = addresses_[next_address_ - 1];
                connect_next("cannot connect to " + address.text() + ": " + error_text(error ? error : ECONNREFUSED));
                return;
            }
            on_connected();
            return;
        }
        case Phase::securing: secure(); return;
        case Phase::sending: send_request(); return;
        case Phase::reading_head:
        case Phase::reading_body: read_response(); return;
        case Phase::done: return;
    }
}

void WsConnector::on_connected() {
    // The transport takes the socket over; the loop watches it still.
    const int fd = std::exchange(fd_, -1);
    if (url_.secure) {
        transport_ = tls_->wrap(fd, url_.host);
        phase_ = Phase::securing;
        secure();
        return;
    }
    transport_ = std::make_unique<PlainTransport>(fd);
    phase_ = Phase::sending;
    send_request();
}

void WsConnector::secure() {
    const IoResult r = transport_->handshake();
    if (r.status == IoResult::Status::again) {
        wait_for(r.wait);
        return;
    }
    if (r.status != IoResult::Status::done) {
        fail("TLS handshake with " + peer() + " failed: " + r.error);
        return;
    }
    phase_ = Phase::sending;
    send_request();
}

void WsConnector::send_request() {
    const IoResult r = transport_->write(std::span<const std::uint8_t>(
        reinterpret_cast<const std::uint8_t*>(request_.data()) + request_sent_, request_.size() - request_sent_));
    request_sent_ += r.bytes;
    if (r.status == IoResult::Status::again) {
        wait_for(r.wait);
        return;
    }
    if (r.status != IoResult::Status::done) {
        fail("sending the upgrade request failed: " + r.error);
        return;
    }
    phase_ = Phase::reading_head;
    wait_for(EPOLLIN);
    // A TLS transport may hold the response already.
    if (transport_->has_buffered_input()) read_response();
}

void WsConnector::read_response() {
    std::array<std::uint8_t, 16384> buffer{};
    while (phase_ == Phase::reading_head || phase_ == Phase::reading_body) {
        const IoResult r = transport_->read(buffer);
        if (r.status == IoResult::Status::again) {
            wait_for(r.wait);
            return;
        }
        if (r.status != IoResult::Status::done) {
            if (phase_ == Phase::reading_body) {
                refused();
            } else {
                fail(r.status == IoResult::Status::closed ? "connection closed before the upgrade response"
                                                          : "receiving the upgrade response failed: " + r.error);
            }
            return;
        }
        std::span<const std::uint8_t> bytes(buffer.data(), r.bytes);
        if (phase_ == Phase::reading_body) {
            body_.append(bytes.begin(), bytes.end());
            if (body_.size() >= body_expected_) refused();
            continue;
        }
        std::size_t used = head_parser_.feed(bytes);
        if (head_parser_.failed()) {
            fail("bad upgrade response: " + head_parser_.error());
            return;
        }
        if (head_parser_.complete()) on_head_complete(bytes.subspan(used));
    }
}

void WsConnector::on_head_complete(std::span<const std::uint8_t> rest) {
    const http::Head& head = head_parser_.head();
    if (head.status == 101) {
        if (auto problem = ws::check_upgrade_response(head, key_)) {
            fail("bad upgrade response: " + *problem);
            return;
        }
        succeed(std::vector<std::uint8_t>(rest.begin(), rest.end()));
        return;
    }
    // Refused: read up to kMaxBodyQuote bytes of the body to quote it.
    phase_ = Phase::reading_body;
    body_expected_ = kMaxBodyQuote;
    if (auto length = head.find("Content-Length")) {
        std::size_t declared = 0;
        for (char c : *length) {
            if (!std::isdigit(static_cast<unsigned char>(c))) break;
            declared = std::min<std::size_t>(declared * 10 + static_cast<std::size_t>(c - '0'), kMaxBodyQuote);
        }
        body_expected_ = declared;
    }
    body_.assign(rest.begin(), rest.end());
    if (body_.size() >= body_expected_) {
        refused();
        return;
    }
    loop_.cancel(timer_);
    timer_ = loop_.at(std::min(deadline_ns_, monotonic_ns() + kBodyWaitNs), [this] { refused(); });
}

void WsConnector::refused() {
    const http::Head& head = head_parser_.head();
    std::string text = "upgrade refused: HTTP " + std::to_string(head.status);
    if (!head.reason.empty()) text += " " + head.reason;
    if (auto reason = head.find("camrelay-reason")) text += "; camrelay-reason: " + std::string(*reason);
    std::string body = one_line(std::string_view(body_).substr(0, std::min(body_.size(), body_expected_)));
    if (!body.empty()) text += "; body: " + body;
    fail(text);
}

void WsConnector::succeed(std::vector<std::uint8_t> early) {
    phase_ = Phase::done;
    loop_.cancel(timer_);
    loop_.unwatch(transport_->fd());
    done_(Upgraded{std::move(transport_), std::move(early)});
}

void WsConnector::fail(std::string error) {
    if (phase_ == Phase::done) return;
    phase_ = Phase::done;
    loop_.cancel(timer_);
    close_socket();
    done_(std::move(error));
}

}  // namespace camrelay::bench
