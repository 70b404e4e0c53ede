// camrelay-bench: rtt mode.
#include <vector>

#include "../io/clock.hpp"
#include "../measure/bench_message.hpp"
#include "run_modes.hpp"
#include "viewer.hpp"

namespace camrelay::bench {

RttResult run_rtt(const RunOptions& o, const ws::Url& url, const TlsClient* tls) {
    RttResult r(seconds_to_ns(o.threshold_ms / 1000));
    r.url = url.text;
    r.size = o.size;
    r.requested = o.count;
    r.warmup = o.warmup;

    EventLoop loop;
    const std::uint64_t start = monotonic_ns();
    const std::uint64_t deadline = start + seconds_to_ns(o.timeout_s);
    const std::uint64_t total = o.warmup + o.count;
    Viewer viewer(loop, url, tls);
    std::vector<std::uint8_t> message(o.size);
    std::uint64_t in_flight = 0;  // sequence number of the message awaiting its echo
    std::uint64_t sent_ns = 0;
    bool done = false;

    auto prepare = [&](std::uint64_t sequence) {
        write_data_message(message, DataHeader{o.size, sequence, monotonic_ns(), kEchoProbeStreamId});
    };
    auto send = [&] {
        sent_ns = monotonic_ns();
        viewer.connection().send(ws::Opcode::binary, message);
        if (in_flight + 1 < total) prepare(in_flight + 1);  // while the echo travels
    };
    auto finish = [&](std::string error) {
        if (done) return;
        done = true;
        r.error = std::move(error);
        loop.stop();
    };

    viewer.on_open = [&](Viewer& v) {
        r.tls = v.connection().tls();
        prepare(0);
        send();
    };
    viewer.on_receive = [&](Viewer&, ws::Opcode opcode, std::span<const std::uint8_t> payload) {
        const std::uint64_t now = monotonic_ns();
        if (done) return;
        DataHeader header;
        DataCheck check = check_data_message(payload, header);
        if (check == DataCheck::ok && header.stream_id != kEchoProbeStreamId) {
            finish("the server streams instead of echoing (start it with: camrelay-bench serve --mode echo)");
            return;
        }
        if (opcode != ws::Opcode::binary || check != DataCheck::ok || header.sequence != in_flight ||
            header.length != o.size) {
            ++r.bad_echoes;
            if (check == DataCheck::ok && header.sequence != in_flight) return;  // a stray echo: keep waiting
        } else if (in_flight >= o.warmup) {
            r.rtt.add(now - sent_ns);
            ++r.completed;
        }
        if (++in_flight == total) {
            finish("");
            return;
        }
        send();
    };
    viewer.on_end = [&](Viewer& v) {
        if (v.state() == Viewer::State::failed)
            finish(v.failure());
        else
            finish("connection closed after " + std::to_string(r.completed) + " round trips" +
                   (v.close_info().error.empty() ? "" : ": " + v.close_info().error));
    };

    viewer.connect(std::min(deadline, start + seconds_to_ns(o.connect_timeout_s)));
    if (!loop.run(deadline) && !done) {
        finish("timed out after " + std::to_string(r.completed) + " of " + std::to_string(o.count) + " round trips");
    }
    close_viewers(loop, {&viewer});
    return r;
}

}  // namespace camrelay::bench
