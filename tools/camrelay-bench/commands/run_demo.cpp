// camrelay-bench: demo mode, one viewer of a demo camera. It checks every
// frame as the demo page reads it and times it against this machine's wall
// clock, which is the camera's when both run on one machine.
#include <time.h>

#include "../io/clock.hpp"
#include "demo_frame.hpp"
#include "run_modes.hpp"
#include "viewer.hpp"

namespace camrelay::bench {

namespace {

std::uint64_t unix_us() {
    timespec now{};
    clock_gettime(CLOCK_REALTIME, &now);
    return static_cast<std::uint64_t>(now.tv_sec) * 1'000'000u + static_cast<std::uint64_t>(now.tv_nsec) / 1000u;
}

}  // namespace

DemoResult run_demo(const RunOptions& o, const ws::Url& url, const TlsClient* tls) {
    DemoResult r(seconds_to_ns(o.threshold_ms / 1000));
    r.url = url.text;

    EventLoop loop;
    const std::uint64_t start = monotonic_ns();
    const std::uint64_t deadline = start + seconds_to_ns(o.timeout_s);
    Viewer viewer(loop, url, tls);
    std::optional<std::uint64_t> last_frame;
    std::uint64_t first_ns = 0;
    bool done = false;

    auto finish = [&](std::string error) {
        if (done) return;
        done = true;
        r.error = std::move(error);
        loop.stop();
    };

    viewer.on_open = [&](Viewer& v) { r.tls = v.connection().tls(); };
    viewer.on_receive = [&](Viewer&, ws::Opcode opcode, std::span<const std::uint8_t> payload) {
        if (done) return;
        const std::uint64_t now_us = unix_us();
        const std::optional<DemoFrameHeader> header =
            opcode == ws::Opcode::binary ? read_demo_frame(payload) : std::nullopt;
        if (!header) {
            ++r.bad;
            return;
        }
        if (last_frame && header->frame <= *last_frame) {
            ++r.out_of_order;
            return;
        }
        if (last_frame) r.missed += header->frame - *last_frame - 1;
        last_frame = header->frame;
        r.width = header->width;
        r.height = header->height;
        ++r.frames;
        r.bytes += payload.size();
        r.latency.add(now_us >= header->sent_unix_us ? (now_us - header->sent_unix_us) * 1000 : 0);
        if (r.frames == 1) {
            first_ns = monotonic_ns();
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
            finish("connection closed" + (v.close_info().error.empty() ? std::string() : ": " + v.close_info().error));
    };

    viewer.connect(std::min(deadline, start + seconds_to_ns(o.connect_timeout_s)));
    if (!loop.run(deadline) && !done) finish(r.frames == 0 ? "timed out: no frame arrived" : "timed out");
    if (r.seconds == 0 && first_ns != 0) r.seconds = static_cast<double>(monotonic_ns() - first_ns) / 1e9;
    close_viewers(loop, {&viewer});
    return r;
}

}  // namespace camrelay::bench
