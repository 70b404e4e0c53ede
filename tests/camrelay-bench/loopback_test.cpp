// The I/O side in one process: a camera (CameraServer on its own thread and
// event loop) and the run modes against it over loopback TCP, plus the
// errors a viewer must explain: refused upgrade, refused connection, silence.
#include <gtest/gtest.h>

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <string>
#include <thread>

#include "commands/camera_server.hpp"
#include "commands/demo_frame.hpp"
#include "commands/run_modes.hpp"
#include "io/clock.hpp"
#include "io/socket_util.hpp"
#include "io/tls.hpp"

namespace camrelay::bench {
namespace {

int listen_loopback() {
    auto addresses = std::get<std::vector<Address>>(resolve("127.0.0.1", 0));
    auto fd = listen_on(addresses.front());
    EXPECT_TRUE(std::holds_alternative<int>(fd));
    return std::get<int>(fd);
}

std::uint16_t port_of(int fd) {
    Address a = local_address(fd);
    return ntohs(reinterpret_cast<const sockaddr_in*>(&a.storage)->sin_port);
}

ws::Url url(std::uint16_t port, const std::string& target = "/cam1/?k=test", const char* scheme = "ws") {
    return std::get<ws::Url>(ws::parse_url(scheme + std::string("://127.0.0.1:") + std::to_string(port) + target));
}

std::unique_ptr<TlsClient> tls_client(TlsSettings settings) {
    auto made = TlsClient::create(settings);
    EXPECT_TRUE(std::holds_alternative<std::unique_ptr<TlsClient>>(made))
        << (std::holds_alternative<std::string>(made) ? std::get<std::string>(made) : "");
    return std::holds_alternative<std::unique_ptr<TlsClient>>(made)
               ? std::move(std::get<std::unique_ptr<TlsClient>>(made))
               : nullptr;
}

// A camera on its own thread, stopped and joined on destruction.
class Camera {
public:
    explicit Camera(ServeOptions options) {
        int fd = listen_loopback();
        port_ = port_of(fd);
        thread_ = std::thread([this, fd, options] {
            EventLoop loop;
            CameraServer server(loop, fd, options);
            server.start();
            while (!stop_) loop.run(monotonic_ns() + 20'000'000);
            server.shut_down();
            const std::uint64_t end = monotonic_ns() + 3'000'000'000ull;
            while (server.totals().active > 0 && monotonic_ns() < end) loop.run(monotonic_ns() + 20'000'000);
        });
    }
    ~Camera() {
        stop_ = true;
        thread_.join();
    }
    std::uint16_t port() const { return port_; }

private:
    std::uint16_t port_ = 0;
    std::atomic<bool> stop_{false};
    std::thread thread_;
};

ServeOptions echo_camera() {
    ServeOptions o;
    o.listen = "127.0.0.1:0";
    return o;
}

RunOptions run_options(RunOptions::Mode mode) {
    RunOptions o;
    o.mode = mode;
    o.connect_timeout_s = 5;
    o.timeout_s = 30;
    return o;
}

TEST(Loopback, RoundTripsOf16KiB) {
    Camera camera(echo_camera());
    RunOptions o = run_options(RunOptions::Mode::rtt);
    o.count = 200;
    RttResult r = run_rtt(o, url(camera.port()));
    EXPECT_EQ(r.error, "");
    EXPECT_EQ(r.completed, 200u);
    EXPECT_EQ(r.bad_echoes, 0u);
    EXPECT_EQ(r.rtt.count(), 200u);
    EXPECT_FALSE(r.failed());
}

TEST(Loopback, RoundTripsOfOneMiBAndOfTheSmallestMessage) {
    Camera camera(echo_camera());
    for (std::uint32_t size : {1u << 20, static_cast<std::uint32_t>(kDataHeaderSize)}) {
        RunOptions o = run_options(RunOptions::Mode::rtt);
        o.count = 20;
        o.warmup = 1;
        o.size = size;
        RttResult r = run_rtt(o, url(camera.port()));
        EXPECT_FALSE(r.failed()) << size << ": " << r.error;
        EXPECT_EQ(r.completed, 20u) << size;
    }
}

TEST(Loopback, StreamFromAnEchoCameraAsked) {
    Camera camera(echo_camera());
    RunOptions o = run_options(RunOptions::Mode::stream);
    o.size = 65536;
    o.duration_s = 0.5;
    StreamResult r = run_stream(o, url(camera.port()));
    EXPECT_EQ(r.error, "");
    EXPECT_GT(r.tally.messages, 10u);
    EXPECT_EQ(r.tally.errors(), 0u);
    EXPECT_GT(r.megabytes_per_s(), 0.0);
}

TEST(Loopback, StreamCameraSwitchesToTheViewersRequest) {
    ServeOptions s = echo_camera();
    s.mode = ServeOptions::Mode::stream;
    s.size = 1000;
    s.pace = Pace{1'000'000};
    Camera camera(s);
    RunOptions o = run_options(RunOptions::Mode::stream);
    o.size = 4096;
    o.duration_s = 0.3;
    StreamResult r = run_stream(o, url(camera.port()));
    EXPECT_FALSE(r.failed()) << r.error;
    EXPECT_EQ(r.tally.errors(), 0u);
}

TEST(Loopback, LoadOfThreeCamerasWithTwoViewersEach) {
    Camera camera(echo_camera());
    RunOptions o = run_options(RunOptions::Mode::load);
    o.urls.assign(3, "");
    o.viewers = 2;
    o.duration_s = 1;
    o.pace = pace_for_mbps(4, o.size);
    o.relay_pids = {getpid()};
    LoadResult r = run_load(o, std::vector<ws::Url>(3, url(camera.port())));
    EXPECT_EQ(r.connected, 6u);
    EXPECT_EQ(r.failed_connections, 0u);
    EXPECT_EQ(r.dropped_connections, 0u);
    EXPECT_EQ(r.tally.errors(), 0u);
    EXPECT_GE(r.tally.messages, 6u * 20u);  // 30 a second each, for about a second
    EXPECT_GT(r.upstream_sent, 0u);
    ASSERT_TRUE(r.relay);
    EXPECT_GT(r.relay->rss_peak_kib, 0u);
    EXPECT_FALSE(r.failed());
}

TEST(Loopback, RttAgainstAStreamingCameraSaysSo) {
    ServeOptions s = echo_camera();
    s.mode = ServeOptions::Mode::stream;
    s.pace = Pace{1'000'000};
    Camera camera(s);
    RttResult r = run_rtt(run_options(RunOptions::Mode::rtt), url(camera.port()));
    EXPECT_NE(r.error.find("streams instead of echoing"), std::string::npos) << r.error;
    EXPECT_TRUE(r.failed());
}

// A server that answers every connection with fixed bytes (or nothing).
class RawServer {
public:
    explicit RawServer(std::string answer) : fd_(listen_loopback()), port_(port_of(fd_)) {
        thread_ = std::thread([this, answer] {
            set_nonblocking(fd_);
            std::vector<int> clients;
            while (!stop_) {
                int c = accept(fd_, nullptr, nullptr);
                if (c >= 0) {
                    clients.push_back(c);
                    char buf[4096];
                    usleep(20000);
                    [[maybe_unused]] auto n = recv(c, buf, sizeof buf, MSG_DONTWAIT);
                    if (!answer.empty()) {
                        [[maybe_unused]] auto m = send(c, answer.data(), answer.size(), MSG_NOSIGNAL);
                        shutdown(c, SHUT_WR);
                    }
                }
                usleep(5000);
            }
            for (int c : clients) close(c);
        });
    }
    ~RawServer() {
        stop_ = true;
        thread_.join();
        close(fd_);
    }
    std::uint16_t port() const { return port_; }

private:
    int fd_;
    std::uint16_t port_;
    std::atomic<bool> stop_{false};
    std::thread thread_;
};

TEST(Loopback, RefusedUpgradeQuotesStatusReasonAndBody) {
    RawServer relay(
        "HTTP/1.1 403 Forbidden\r\ncamrelay-reason: bad_signature\r\nContent-Length: 14\r\n\r\n"
        "Access denied\n");
    RttResult r = run_rtt(run_options(RunOptions::Mode::rtt), url(relay.port()));
    EXPECT_NE(r.error.find("upgrade refused: HTTP 403 Forbidden"), std::string::npos) << r.error;
    EXPECT_NE(r.error.find("camrelay-reason: bad_signature"), std::string::npos) << r.error;
    EXPECT_NE(r.error.find("body: Access denied"), std::string::npos) << r.error;
    EXPECT_TRUE(r.failed());
}

TEST(Loopback, RefusedUpgradeWithABodyUntilClose) {
    RawServer relay("HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\n\r\ncamera offline");
    RttResult r = run_rtt(run_options(RunOptions::Mode::rtt), url(relay.port()));
    EXPECT_NE(r.error.find("HTTP 503 Service Unavailable; body: camera offline"), std::string::npos) << r.error;
}

TEST(Loopback, SilentServerTimesOut) {
    RawServer silent("");
    RunOptions o = run_options(RunOptions::Mode::rtt);
    o.connect_timeout_s = 0.3;
    const std::uint64_t start = monotonic_ns();
    RttResult r = run_rtt(o, url(silent.port()));
    EXPECT_NE(r.error.find("timed out waiting for the upgrade response"), std::string::npos) << r.error;
    EXPECT_LT(monotonic_ns() - start, 3'000'000'000u);
}

// wss:// to servers that do not speak TLS: the handshake fails with a
// reason, or ends at the connect timeout. (TLS that works: wss_test.sh.)
TEST(Loopback, WssToAPlainHttpServerSaysItIsNotTls) {
    RawServer plain("HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n");
    auto tls = tls_client({});
    RttResult r = run_rtt(run_options(RunOptions::Mode::rtt), url(plain.port(), "/", "wss"), tls.get());
    EXPECT_NE(r.error.find("TLS handshake with 127.0.0.1:" + std::to_string(plain.port()) + " failed: "),
              std::string::npos)
        << r.error;
    EXPECT_NE(r.error.find("does not speak TLS"), std::string::npos) << r.error;
    EXPECT_FALSE(r.tls);
}

TEST(Loopback, WssHandshakeEndsAtTheConnectTimeout) {
    RawServer silent("");
    auto tls = tls_client({"", true});
    RunOptions o = run_options(RunOptions::Mode::rtt);
    o.connect_timeout_s = 0.3;
    const std::uint64_t start = monotonic_ns();
    RttResult r = run_rtt(o, url(silent.port(), "/", "wss"), tls.get());
    EXPECT_NE(r.error.find("timed out in the TLS handshake with 127.0.0.1:"), std::string::npos) << r.error;
    EXPECT_LT(monotonic_ns() - start, 3'000'000'000u);
}

TEST(Loopback, WssNeedsTlsSettings) {
    RawServer silent("");
    RttResult r = run_rtt(run_options(RunOptions::Mode::rtt), url(silent.port(), "/", "wss"));
    EXPECT_NE(r.error.find("wss:// without TLS settings"), std::string::npos) << r.error;
}

TEST(Loopback, ClosedPortIsRefused) {
    int fd = listen_loopback();
    std::uint16_t port = port_of(fd);
    close(fd);
    RttResult r = run_rtt(run_options(RunOptions::Mode::rtt), url(port));
    EXPECT_NE(r.error.find("Connection refused"), std::string::npos) << r.error;
    LoadResult l = [&] {
        RunOptions o = run_options(RunOptions::Mode::load);
        o.duration_s = 0.1;
        return run_load(o, {url(port)});
    }();
    EXPECT_EQ(l.failed_connections, 2u);
    EXPECT_TRUE(l.failed());
}

TEST(Loopback, DemoCameraFramesToTwoViewers) {
    ServeOptions s = echo_camera();
    s.mode = ServeOptions::Mode::demo;
    s.pace = pace_for_rate(25);
    Camera camera(s);
    RunOptions o = run_options(RunOptions::Mode::demo);
    o.duration_s = 0.6;
    DemoResult first(0);
    std::thread other([&] { first = run_demo(o, url(camera.port())); });
    DemoResult r = run_demo(o, url(camera.port()));
    other.join();
    for (const DemoResult* result : {&first, &r}) {
        EXPECT_EQ(result->error, "");
        EXPECT_FALSE(result->failed());
        EXPECT_GE(result->frames, 5u);
        EXPECT_EQ(result->bad, 0u);
        EXPECT_EQ(result->width, 320u);
        EXPECT_EQ(result->height, 180u);
        EXPECT_EQ(result->bytes, result->frames * kDemoFrameSize);
        EXPECT_GT(result->frames_per_s(), 8.0);  // 25 asked; a loaded machine skips some
        EXPECT_LT(result->frames_per_s(), 40.0);
    }
}

TEST(Loopback, DemoViewerOfAnotherCameraSaysNoFrameArrived) {
    Camera camera(echo_camera());
    RunOptions o = run_options(RunOptions::Mode::demo);
    o.timeout_s = 0.5;
    DemoResult r = run_demo(o, url(camera.port()));
    EXPECT_TRUE(r.failed());
    EXPECT_EQ(r.error, "timed out: no frame arrived");
}

// A paced stream of `size`-byte messages from a camera with these options
// to one viewer that reads at most `read_mbps` (0: no limit).
StreamResult live_stream(const ServeOptions& serve, std::uint32_t size, Pace pace, double read_mbps, double seconds) {
    Camera camera(serve);
    RunOptions o = run_options(RunOptions::Mode::stream);
    o.size = size;
    o.pace = pace;
    o.read_mbps = read_mbps;
    o.duration_s = seconds;
    return run_stream(o, url(camera.port()));
}

ServeOptions live_camera(std::uint64_t max_queue, std::optional<RateLimits> adapt = std::nullopt) {
    ServeOptions s = echo_camera();
    s.max_queue = max_queue;
    s.adapt = adapt;
    return s;
}

// A live camera drops frames when its viewer reads slower than it streams:
// 8 Mbit/s to a viewer that reads 2. The viewer learns the drops from the
// camera's data messages and tells them apart from losses on the way.
TEST(Loopback, ACameraWithAQueueLimitDropsFramesForASlowViewer) {
    StreamResult r = live_stream(live_camera(32 * 1024), 16384, pace_for_mbps(8, 16384), 2, 2);
    EXPECT_FALSE(r.failed()) << r.error;
    EXPECT_EQ(r.tally.lost, 0u);
    ASSERT_TRUE(r.camera);
    EXPECT_GT(r.camera->dropped, 10u);
    ASSERT_TRUE(r.camera->bitrate);
    EXPECT_EQ(r.camera->bitrate->median_bps, 8'000'000u);
    EXPECT_LT(r.received_mbps(), 4.0);
}

TEST(Loopback, AViewerThatKeepsUpSeesNoDrops) {
    StreamResult r = live_stream(live_camera(256 * 1024), 4096, pace_for_mbps(2, 4096), 0, 1);
    EXPECT_FALSE(r.failed()) << r.error;
    ASSERT_TRUE(r.camera);
    EXPECT_EQ(r.camera->dropped, 0u);
    EXPECT_EQ(r.camera->viewers, 1u);
}

// Camera and viewer share this machine's clock: the estimated offset is
// within its uncertainty, so it is not applied, and the uncertainty is
// small on loopback.
TEST(Loopback, TheClockOffsetOnOneMachineIsNearZero) {
    Camera camera(echo_camera());
    RunOptions o = run_options(RunOptions::Mode::stream);
    o.size = 4096;
    o.pace = pace_for_rate(100);
    o.probe_hz = 50;
    o.duration_s = 1;
    StreamResult r = run_stream(o, url(camera.port()));
    EXPECT_FALSE(r.failed()) << r.error;
    ASSERT_TRUE(r.clock);
    EXPECT_GE(r.clock->replies, 10u);
    ASSERT_EQ(r.clock->estimated, 1u);
    const std::int64_t offset = r.clock->offset_min_ns;
    EXPECT_LE(offset < 0 ? -offset : offset, static_cast<std::int64_t>(r.clock->uncertainty_ns));
    EXPECT_LT(r.clock->uncertainty_ns, 50'000'000u);
    EXPECT_EQ(r.clock->corrected, 0u);
}

TEST(Loopback, LoadViewersEstimateTheClockToo) {
    Camera camera(echo_camera());
    RunOptions o = run_options(RunOptions::Mode::load);
    o.viewers = 2;
    o.duration_s = 0.6;
    o.probe_hz = 20;
    o.pace = pace_for_mbps(1, o.size);
    o.clock = ClockUse::estimate;
    LoadResult r = run_load(o, {url(camera.port())});
    EXPECT_FALSE(r.failed());
    ASSERT_TRUE(r.clock);
    EXPECT_EQ(r.clock->estimated, 2u);
    EXPECT_EQ(r.clock->corrected, 2u);  // --clock estimate applies it whatever it is
    ASSERT_TRUE(r.camera);
    EXPECT_EQ(r.camera->viewers, 2u);
    EXPECT_GT(r.latency.count(), 0u);
}

// With --adapt the camera's bitrate comes down to what a narrow viewer
// takes, instead of only dropping frames.
TEST(Loopback, AnAdaptingCameraLowersItsBitrateForASlowViewer) {
    StreamResult r =
        live_stream(live_camera(64 * 1024, RateLimits{250'000, 8'000'000}), 16384, pace_for_rate(30), 1, 3);
    EXPECT_FALSE(r.failed()) << r.error;
    ASSERT_TRUE(r.camera);
    ASSERT_TRUE(r.camera->bitrate);
    EXPECT_GE(r.camera->bitrate->min_bps, 250'000u);
    EXPECT_LT(r.camera->bitrate->final_bps, 4'000'000u);
    EXPECT_LT(r.camera->bitrate->min_bps, 2'000'000u);
}

}  // namespace
}  // namespace camrelay::bench
