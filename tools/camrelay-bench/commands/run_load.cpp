// camrelay-bench: load mode.
#include <algorithm>
#include <memory>
#include <optional>
#include <vector>

#include "../io/clock.hpp"
#include "../measure/process_usage.hpp"
#include "../measure/stream_checker.hpp"
#include "run_modes.hpp"
#include "viewer.hpp"

namespace camrelay::bench {

namespace {

constexpr std::size_t kMaxReportedErrors = 8;
constexpr std::uint64_t kRelaySampleNs = 250'000'000;

struct LoadViewer {
    LoadViewer(EventLoop& loop, const ws::Url& url, const TlsClient* tls, std::uint32_t stream_id)
        : viewer(loop, url, tls), checker(stream_id), id(stream_id) {}
    Viewer viewer;
    StreamChecker checker;
    OneWayLog log;  // the measured window's
    std::uint32_t id;
    std::uint64_t upstream_sequence = 0;
    std::optional<EventLoop::TimerId> upstream_timer;
};

class LoadRun {
public:
    LoadRun(const RunOptions& o, const std::vector<ws::Url>& cameras, const TlsClient* tls)
        : o_(o), result_(seconds_to_ns(o.threshold_ms / 1000)) {
        result_.cameras = static_cast<std::uint32_t>(cameras.size());
        result_.viewers_per_camera = o.viewers;
        result_.size = o.size;
        result_.interval_ns = o.pace.interval_ns;
        result_.mbps =
            o.pace.interval_ns == 0 ? 0 : static_cast<double>(o.size) * 8e3 / static_cast<double>(o.pace.interval_ns);
        std::uint32_t id = 1;
        for (const auto& url : cameras) {
            for (std::uint32_t v = 0; v < o.viewers; ++v) {
                viewers_.push_back(std::make_unique<LoadViewer>(loop_, url, tls, id++));
                viewers_.back()->viewer.set_read_limit(static_cast<std::uint64_t>(o.read_mbps * 1e6 / 8));
            }
        }
        upstream_message_.resize(o.upstream_size);
    }

    LoadResult run() {
        const std::uint64_t start = monotonic_ns();
        const std::uint64_t deadline = start + seconds_to_ns(o_.timeout_s);
        std::optional<ProcessSample> before;
        if (!o_.relay_pids.empty()) before = sample_processes(o_.relay_pids);

        // Connect everyone.
        const std::uint64_t connect_deadline = std::min(deadline, start + seconds_to_ns(o_.connect_timeout_s));
        pending_ = viewers_.size();
        for (auto& lv : viewers_) hook(*lv);
        for (auto& lv : viewers_) lv->viewer.connect(connect_deadline);
        loop_.run(connect_deadline + 100'000'000);

        // Measure.
        measuring_ = true;
        const std::uint64_t window_start = monotonic_ns();
        std::optional<ProcessSample> at_start;
        std::uint64_t peak_rss = 0;
        if (before) {
            at_start = sample_processes(o_.relay_pids);
            peak_rss = at_start->rss_kib;
            sample_relay_periodically(peak_rss);
        }
        const std::uint64_t window_end = std::min(deadline, window_start + seconds_to_ns(o_.duration_s));
        loop_.run(window_end);
        measuring_ = false;
        const std::uint64_t end = monotonic_ns();
        result_.seconds = static_cast<double>(end - window_start) / 1e9;
        if (before) result_.relay = relay_usage(*before, *at_start, sample_processes(o_.relay_pids), peak_rss);

        collect(end);
        close_all();
        return result_;
    }

private:
    // CPU over the window, memory from before connecting to the peak.
    RelayUsage relay_usage(const ProcessSample& before, const ProcessSample& window_start,
                           const ProcessSample& window_end, std::uint64_t peak_rss) const {
        RelayUsage usage;
        usage.pids = o_.relay_pids;
        usage.processes = window_end.processes;
        const std::uint64_t ticks = window_end.cpu_ticks - std::min(window_end.cpu_ticks, window_start.cpu_ticks);
        const double cpu_s = static_cast<double>(ticks) / static_cast<double>(ticks_per_second());
        usage.cpu_percent = result_.seconds > 0 ? 100.0 * cpu_s / result_.seconds : 0;
        usage.rss_before_kib = before.rss_kib;
        usage.rss_peak_kib = std::max(peak_rss, window_end.rss_kib);
        if (result_.connected > 0) {
            usage.rss_per_viewer_kib =
                static_cast<double>(usage.rss_peak_kib - std::min(usage.rss_peak_kib, before.rss_kib)) /
                static_cast<double>(result_.connected);
        }
        return usage;
    }

    void hook(LoadViewer& lv) {
        lv.viewer.on_open = [this, &lv](Viewer& v) {
            ++result_.connected;
            if (!result_.tls) result_.tls = v.connection().tls();
            auto request = encode_stream_request(StreamRequest{lv.id, o_.size, o_.pace.interval_ns, true});
            v.connection().send(ws::Opcode::binary, request);
            v.start_clock_probes(o_.probe_hz);
            if (o_.upstream_hz > 0) {
                // Spread the viewers' upstream messages over the interval.
                const std::uint64_t interval = seconds_to_ns(1.0 / o_.upstream_hz);
                schedule_upstream(lv, monotonic_ns() + interval * lv.id / (viewers_.size() + 1));
            }
            connected_one();
        };
        lv.viewer.on_receive = [this, &lv](Viewer&, ws::Opcode, std::span<const std::uint8_t> payload) {
            // Latency counts from the measured window on: while the others
            // still connect, this process is busy with handshakes.
            lv.checker.on_message(payload, monotonic_ns(), measuring_ ? &lv.log : nullptr);
        };
        lv.viewer.on_end = [this, &lv](Viewer& v) {
            if (lv.upstream_timer) loop_.cancel(*lv.upstream_timer);
            lv.upstream_timer.reset();
            if (v.state() == Viewer::State::failed) {
                ++result_.failed_connections;
                note_error(v.url().text + ": " + v.failure());
                connected_one();
            } else if (!closing_) {
                ++result_.dropped_connections;
                const CloseInfo& c = v.close_info();
                std::string why = c.error.empty() ? "closed by the peer" : c.error;
                if (c.code) why += " (code " + std::to_string(*c.code) + (c.reason.empty() ? "" : " " + c.reason) + ")";
                note_error(v.url().text + ": dropped: " + why);
            }
        };
    }

    void connected_one() {
        if (--pending_ == 0 && !measuring_) loop_.stop();
    }

    void schedule_upstream(LoadViewer& lv, std::uint64_t when) {
        lv.upstream_timer = loop_.at(when, [this, &lv, when] {
            lv.upstream_timer.reset();
            if (!lv.viewer.is_open() || !lv.viewer.connection().can_send()) return;
            write_data_message(upstream_message_,
                               DataHeader{o_.upstream_size, lv.upstream_sequence++, monotonic_ns(), lv.id});
            lv.viewer.connection().send(ws::Opcode::binary, upstream_message_);
            ++result_.upstream_sent;
            schedule_upstream(lv, when + seconds_to_ns(1.0 / o_.upstream_hz));
        });
    }

    void sample_relay_periodically(std::uint64_t& peak_rss) {
        loop_.at(monotonic_ns() + kRelaySampleNs, [this, &peak_rss] {
            if (!measuring_) return;
            peak_rss = std::max(peak_rss, sample_processes(o_.relay_pids).rss_kib);
            sample_relay_periodically(peak_rss);
        });
    }

    void note_error(std::string error) {
        if (result_.errors.size() < kMaxReportedErrors) result_.errors.push_back(std::move(error));
    }

    void collect(std::uint64_t end) {
        double mbps_sum = 0;
        ViewerAccounts accounts(o_.clock, result_.latency);
        for (auto& lv : viewers_) {
            result_.tally.add(lv->checker.tally());
            accounts.add(lv->checker, lv->log, lv->viewer.clock_probes_sent());
            if (lv->viewer.opened_ns() != 0 && end > lv->viewer.opened_ns()) {
                const double seconds = static_cast<double>(end - lv->viewer.opened_ns()) / 1e9;
                mbps_sum += static_cast<double>(lv->checker.tally().bytes) * 8 / 1e6 / seconds;
            }
        }
        if (result_.connected > 0) result_.received_mbps_per_viewer = mbps_sum / static_cast<double>(result_.connected);
        result_.camera = accounts.camera();
        result_.clock = accounts.clock();
        if (result_.tally.messages == 0 && result_.connected > 0) note_error("no stream message arrived");
    }

    void close_all() {
        closing_ = true;
        std::vector<Viewer*> all;
        for (auto& lv : viewers_) {
            if (lv->upstream_timer) loop_.cancel(*lv->upstream_timer);
            lv->upstream_timer.reset();
            all.push_back(&lv->viewer);
        }
        close_viewers(loop_, all);
    }

    const RunOptions& o_;
    EventLoop loop_;
    LoadResult result_;
    std::vector<std::unique_ptr<LoadViewer>> viewers_;
    std::vector<std::uint8_t> upstream_message_;
    std::size_t pending_ = 0;
    bool measuring_ = false;
    bool closing_ = false;
};

}  // namespace

LoadResult run_load(const RunOptions& options, const std::vector<ws::Url>& cameras, const TlsClient* tls) {
    LoadRun run(options, cameras, tls);
    return run.run();
}

}  // namespace camrelay::bench
