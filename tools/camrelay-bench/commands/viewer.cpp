// camrelay-bench: one viewer.
#include "viewer.hpp"

#include <algorithm>

#include "../io/clock.hpp"
#include "../measure/bench_message.hpp"
#include "../protocol/close_code.hpp"

namespace camrelay::bench {

void Viewer::connect(std::uint64_t deadline_ns) {
    state_ = State::connecting;
    connector_ = std::make_unique<WsConnector>(
        loop_, url_, tls_, deadline_ns, [this](std::variant<Upgraded, std::string> r) { on_connected(std::move(r)); });
    connector_->start();
}

void Viewer::on_connected(std::variant<Upgraded, std::string> result) {
    // The connector is done: let it go once its callback has returned.
    loop_.defer([connector = std::shared_ptr<WsConnector>(std::move(connector_))] {});
    if (auto* error = std::get_if<std::string>(&result)) {
        state_ = State::failed;
        failure_ = *error;
        if (on_end) on_end(*this);
        return;
    }
    auto& up = std::get<Upgraded>(result);
    state_ = State::open;
    opened_ns_ = monotonic_ns();
    WsConnection::Listener& listener = *this;
    connection_ = std::make_unique<WsConnection>(loop_, std::move(up.transport), WsConnection::Role::client, listener);
    if (read_limit_ != 0) connection_->set_read_limit(read_limit_);
    connection_->start(up.early_bytes);
    if (state_ == State::open && on_open) on_open(*this);
}

void Viewer::start_clock_probes(double hz) {
    stop_probes();
    if (hz <= 0) return;
    const auto interval = static_cast<std::uint64_t>(1e9 / hz);
    probe_at(monotonic_ns(), interval);
}

void Viewer::probe_at(std::uint64_t when, std::uint64_t interval_ns) {
    probe_timer_ = loop_.at(when, [this, when, interval_ns] {
        probe_timer_.reset();
        if (!is_open() || !connection_->can_send()) return;
        const auto number = static_cast<std::uint32_t>(probes_sent_++);
        connection_->send(ws::Opcode::binary, encode_clock_probe(ClockProbe{number, monotonic_ns()}));
        probe_at(std::max(when + interval_ns, monotonic_ns()), interval_ns);
    });
}

void Viewer::stop_probes() {
    if (probe_timer_) loop_.cancel(*probe_timer_);
    probe_timer_.reset();
}

void Viewer::on_message(WsConnection&, ws::Opcode opcode, std::span<const std::uint8_t> payload) {
    if (on_receive) on_receive(*this, opcode, payload);
}

void Viewer::on_closed(WsConnection&, const CloseInfo& info) {
    stop_probes();
    state_ = State::closed;
    close_info_ = info;
    if (on_end) on_end(*this);
}

void close_viewers(EventLoop& loop, const std::vector<Viewer*>& viewers) {
    auto all_ended = [&viewers] {
        return std::all_of(viewers.begin(), viewers.end(),
                           [](const Viewer* v) { return v->ended() || v->state() == Viewer::State::idle; });
    };
    for (Viewer* v : viewers) {
        v->on_end = [&](Viewer&) {
            if (all_ended()) loop.stop();
        };
        v->stop_probes();
        if (v->is_open()) v->connection().close(ws::close_code::normal, "done");
    }
    if (!all_ended()) loop.run(monotonic_ns() + WsConnection::kCloseTimeoutNs + 500'000'000);
}

}  // namespace camrelay::bench
