// camrelay-bench serve: a camera stand-in until killed or --duration.
#include <signal.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <cstdio>
#include <iostream>
#include <string>

#include "../io/clock.hpp"
#include "../io/socket_util.hpp"
#include "camera_server.hpp"
#include "commands.hpp"

namespace camrelay::bench {

namespace {

// Stops the loop on SIGINT or SIGTERM so the camera can close its
// WebSockets properly and print its totals.
class StopOnSignal : public IoHandler {
public:
    explicit StopOnSignal(EventLoop& loop) : loop_(loop) {
        sigset_t set;
        sigemptyset(&set);
        sigaddset(&set, SIGINT);
        sigaddset(&set, SIGTERM);
        sigprocmask(SIG_BLOCK, &set, nullptr);
        fd_ = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
        if (fd_ >= 0) loop_.watch(fd_, EPOLLIN, *this);
    }
    ~StopOnSignal() override {
        if (fd_ >= 0) {
            loop_.unwatch(fd_);
            close(fd_);
        }
    }
    void on_io(std::uint32_t) override {
        signalfd_siginfo info{};
        while (read(fd_, &info, sizeof info) > 0) {}
        loop_.stop();
    }

private:
    EventLoop& loop_;
    int fd_ = -1;
};

}  // namespace

int serve_command(const std::vector<std::string>& args) {
    ServeOptions options;
    try {
        options = parse_serve_options(args);
    } catch (const UsageError& e) {
        std::cerr << "camrelay-bench: " << e.what() << "\n" << usage_text();
        return kExitUsage;
    }
    std::string host;
    std::uint16_t port = 0;
    if (!split_host_port(options.listen, host, port, true)) {
        std::cerr << "camrelay-bench: --listen: \"" << options.listen << "\" is not HOST:PORT\n";
        return kExitUsage;
    }
    auto resolved = resolve(host, port);
    if (auto* error = std::get_if<std::string>(&resolved)) {
        std::cerr << "camrelay-bench: --listen: " << *error << "\n";
        return kExitFailed;
    }
    auto listening = listen_on(std::get<std::vector<Address>>(resolved).front());
    if (auto* error = std::get_if<std::string>(&listening)) {
        std::cerr << "camrelay-bench: " << *error << "\n";
        return kExitFailed;
    }
    const int fd = std::get<int>(listening);
    signal(SIGPIPE, SIG_IGN);

    EventLoop loop;
    StopOnSignal stop_on_signal(loop);
    CameraServer camera(loop, fd, options);
    if (options.max_queue || options.adapt) {
        // A lab watches what each viewer's stream went through.
        camera.on_stream_end = [](const StreamSummary& s) {
            std::cerr << "camrelay-bench: stream " << s.stream_id << " ended: " << s.sent << " frames sent, "
                      << s.dropped << " dropped at the camera";
            if (s.bitrate) {
                char text[128];
                std::snprintf(text, sizeof text, "; bitrate min %.3f, median %.3f, final %.3f Mbit/s",
                              static_cast<double>(s.bitrate->min_bps) / 1e6,
                              static_cast<double>(s.bitrate->median_bps) / 1e6,
                              static_cast<double>(s.bitrate->final_bps) / 1e6);
                std::cerr << text;
            }
            std::cerr << "\n";
        };
    }
    camera.start();
    const char* mode = options.mode == ServeOptions::Mode::echo     ? "echo"
                       : options.mode == ServeOptions::Mode::stream ? "stream"
                                                                    : "demo";
    std::string live;  // a live camera's options
    if (options.max_queue) live += ", --max-queue " + std::to_string(options.max_queue);
    if (options.adapt) {
        char text[96];
        std::snprintf(text, sizeof text, ", --adapt %g:%g Mbit/s", options.adapt->min_bps / 1e6,
                      options.adapt->max_bps / 1e6);
        live += text;
    }
    if (options.clock_skew_ns) live += ", --clock-skew " + std::to_string(options.clock_skew_ns / 1'000'000) + " ms";
    std::cout << "camrelay-bench: serving on " << local_address(fd).text() << " (mode " << mode << live << ")"
              << std::endl;

    const std::uint64_t forever = ~std::uint64_t{0} >> 1;
    const std::uint64_t until = options.duration_s ? monotonic_ns() + seconds_to_ns(*options.duration_s) : forever;
    loop.run(until);

    camera.shut_down();
    const std::uint64_t grace_end = monotonic_ns() + WsConnection::kCloseTimeoutNs + 500'000'000;
    while (camera.totals().active > 0 && monotonic_ns() < grace_end)
        loop.run(std::min(grace_end, monotonic_ns() + 50'000'000));
    const CameraTotals& t = camera.totals();
    std::cerr << "camrelay-bench: camera done: " << t.websockets << " websockets, " << t.http_requests
              << " plain HTTP requests, " << t.echoed << " messages echoed, " << t.streamed << " streamed, "
              << t.dropped << " dropped (send queue full), " << t.ignored << " viewer messages ignored, "
              << t.clock_probes << " clock probes answered\n";
    return kExitOk;
}

}  // namespace camrelay::bench
