// camrelay-bench: stream mode.
#include "../io/clock.hpp"
#include "../measure/stream_checker.hpp"
#include "run_modes.hpp"
#include "viewer.hpp"

namespace camrelay::bench {

namespace {
constexpr std::uint32_t kStreamId = 1;
}

StreamResult run_stream(const RunOptions& o, const ws::Url& url, const TlsClient* tls) {
    StreamResult r(seconds_to_ns(o.threshold_ms / 1000));
    r.url = url.text;
    r.size = o.size;

    EventLoop loop;
    const std::uint64_t start = monotonic_ns();
    const std::uint64_t deadline = start + seconds_to_ns(o.timeout_s);
    Viewer viewer(loop, url, tls);
    viewer.set_read_limit(static_cast<std::uint64_t>(o.read_mbps * 1e6 / 8));
    StreamChecker checker(kStreamId);
    OneWayLog log;
    Timeline timeline;
    std::uint64_t first_ns = 0;
    bool done = false;

    auto finish = [&](std::string error) {
        if (done) return;
        done = true;
        r.error = std::move(error);
        loop.stop();
    };

    viewer.on_open = [&](Viewer& v) {
        r.tls = v.connection().tls();
        auto request = encode_stream_request(StreamRequest{kStreamId, o.size, o.pace.interval_ns, true});
        v.connection().send(ws::Opcode::binary, request);
        v.start_clock_probes(o.probe_hz);
    };
    viewer.on_receive = [&](Viewer&, ws::Opcode, std::span<const std::uint8_t> payload) {
        if (done) return;
        const std::uint64_t now = monotonic_ns();
        if (looks_like_stream_request(payload)) {
            finish("the server echoed the stream request: it is not a camrelay-bench camera");
            return;
        }
        const std::uint64_t before = checker.tally().messages;
        checker.on_message(payload, now, &log);
        if (checker.tally().messages > before)
            timeline.add(now, checker.last_sent_ns(), payload.size(), checker.last_camera());
        if (before == 0 && checker.tally().messages == 1) {
            first_ns = now;
            loop.at(first_ns + seconds_to_ns(o.duration_s), [&] {
                r.seconds = static_cast<double>(monotonic_ns() - first_ns) / 1e9;
                finish("");
            });
        }
    };
    viewer.on_end = [&](Viewer& v) {
        if (v.state() == Viewer::State::failed)
            finish(v.failure());
        else
            finish("connection closed during the stream" +
                   (v.close_info().error.empty() ? std::string() : ": " + v.close_info().error));
    };

    viewer.connect(std::min(deadline, start + seconds_to_ns(o.connect_timeout_s)));
    if (!loop.run(deadline) && !done) {
        finish(checker.tally().messages == 0 ? "timed out: no stream message arrived" : "timed out");
    }
    if (r.seconds == 0 && first_ns != 0) r.seconds = static_cast<double>(monotonic_ns() - first_ns) / 1e9;
    r.tally = checker.tally();
    close_viewers(loop, {&viewer});
    ViewerAccounts accounts(o.clock, r.latency);
    accounts.add(checker, log, viewer.clock_probes_sent());
    r.camera = accounts.camera();
    r.clock = accounts.clock();
    if (o.timeline) r.timeline = timeline.points(latency_correction(o.clock, checker.clock().estimate()));
    return r;
}

}  // namespace camrelay::bench
