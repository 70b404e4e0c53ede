// camrelay-bench: what each run mode measured.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "clock_offset.hpp"
#include "latency_histogram.hpp"
#include "stream_checker.hpp"
#include "timeline.hpp"

namespace camrelay::bench {

// How a wss:// connection was secured; results hold it (nullopt for ws://).
struct TlsSummary {
    std::string version;    // "TLSv1.3"
    std::string cipher;     // "TLS_AES_256_GCM_SHA384"
    std::string alpn;       // the protocol the server chose, empty if none
    bool verified = false;  // the server's certificate and name were checked (not --insecure)
    std::string trusted;    // what the certificate was checked against: "system CAs" or the --ca file
};

// What the camera said in its data messages (stream and load modes), over
// the viewers: frames it dropped because its send queue was full (they use
// no sequence number: not lost in transit) and the bitrate it chose.
struct CameraReport {
    std::uint64_t viewers = 0;              // whose messages carried the camera's state
    std::uint64_t dropped = 0;              // added up over them
    std::optional<BitrateSummary> bitrate;  // min and median over every message; final: mean of the viewers' last
};

// The camera clock's offset (clock_offset.hpp), over the viewers.
struct ClockReport {
    ClockUse use = ClockUse::automatic;
    std::uint64_t probes = 0;     // sent
    std::uint64_t replies = 0;    // answered
    std::uint64_t estimated = 0;  // viewers with an estimate
    std::uint64_t corrected = 0;  // viewers whose latencies were corrected by it
    std::int64_t offset_min_ns = 0;
    std::int64_t offset_max_ns = 0;
    std::uint64_t uncertainty_ns = 0;  // the largest
    std::uint64_t min_rtt_ns = 0;      // the smallest
};

// Puts together what viewers' checkers saw: one-way latency corrected by
// each viewer's clock offset, the camera's state and the clock figures.
class ViewerAccounts {
public:
    ViewerAccounts(ClockUse use, LatencyHistogram& latency) : latency_(latency) { clock_.use = use; }
    void add(const StreamChecker& checker, const OneWayLog& log, std::uint64_t probes_sent);
    std::optional<CameraReport> camera() const;
    std::optional<ClockReport> clock() const;  // nullopt if no probe was sent

private:
    LatencyHistogram& latency_;
    ClockReport clock_;
    CameraReport camera_;
    std::vector<std::uint64_t> bitrates_;
    std::vector<std::uint64_t> finals_;
};

struct RttResult {
    std::string url;
    std::uint32_t size = 0;
    std::uint64_t requested = 0;  // timed round trips asked for
    std::uint64_t warmup = 0;
    std::uint64_t completed = 0;   // timed round trips done
    std::uint64_t bad_echoes = 0;  // echoes that differ from what was sent
    LatencyHistogram rtt;
    std::optional<TlsSummary> tls;
    std::string error;  // why the run stopped early, if it did

    explicit RttResult(std::uint64_t threshold_ns) : rtt(threshold_ns) {}
    bool failed() const { return !error.empty() || bad_echoes > 0 || completed < requested; }
};

struct StreamResult {
    std::string url;
    std::uint32_t size = 0;
    double seconds = 0;  // from the first message of the stream to the end
    StreamTally tally;
    LatencyHistogram latency;
    std::optional<CameraReport> camera;
    std::optional<ClockReport> clock;
    std::optional<std::vector<TimelinePoint>> timeline;  // --timeline
    std::optional<TlsSummary> tls;
    std::string error;

    explicit StreamResult(std::uint64_t threshold_ns) : latency(threshold_ns) {}
    double megabytes_per_s() const { return seconds > 0 ? static_cast<double>(tally.bytes) / seconds / 1e6 : 0; }
    double received_mbps() const { return megabytes_per_s() * 8; }
    double messages_per_s() const { return seconds > 0 ? static_cast<double>(tally.messages) / seconds : 0; }
    bool failed() const { return !error.empty() || tally.errors() > 0 || tally.messages == 0; }
};

// One viewer of a demo camera (run --mode demo): frames, not bench data
// messages. Frame numbers the camera left out for this viewer (its
// connection was full, or the camera was not scheduled in time) are shown,
// not failures: live video drops frames rather than fall behind.
struct DemoResult {
    std::string url;
    double seconds = 0;  // from the first frame to the end
    std::uint64_t frames = 0;
    std::uint64_t bytes = 0;
    std::uint64_t missed = 0;        // frame numbers left out
    std::uint64_t out_of_order = 0;  // frame numbers at or below one seen before
    std::uint64_t bad = 0;           // messages that are not well-formed demo frames
    std::uint32_t width = 0;
    std::uint32_t height = 0;
    LatencyHistogram latency;  // send time (the camera's wall clock) to arrival (this machine's)
    std::optional<TlsSummary> tls;
    std::string error;

    explicit DemoResult(std::uint64_t threshold_ns) : latency(threshold_ns) {}
    // The first frame starts the window.
    double frames_per_s() const { return seconds > 0 && frames > 1 ? static_cast<double>(frames - 1) / seconds : 0; }
    double kib_per_s() const { return seconds > 0 ? static_cast<double>(bytes) / seconds / 1024 : 0; }
    bool failed() const { return !error.empty() || frames == 0 || bad > 0 || out_of_order > 0; }
};

struct RelayUsage {
    std::vector<int> pids;   // as given
    int processes = 0;       // with descendants, at the end
    double cpu_percent = 0;  // of one core, over the measured window
    std::uint64_t rss_before_kib = 0;
    std::uint64_t rss_peak_kib = 0;
    double rss_per_viewer_kib = 0;  // (peak - before) / viewers connected
};

struct LoadResult {
    std::uint32_t cameras = 0;
    std::uint32_t viewers_per_camera = 0;
    std::uint32_t size = 0;
    double mbps = 0;                // asked per stream; 0 when paced by --rate
    std::uint64_t interval_ns = 0;  // between messages, 0 = as fast as possible
    double seconds = 0;             // measured window
    std::uint64_t connected = 0;
    std::uint64_t failed_connections = 0;
    std::uint64_t dropped_connections = 0;  // closed before the end
    std::uint64_t upstream_sent = 0;
    StreamTally tally;                    // every message, connect phase included
    LatencyHistogram latency;             // one-way, of the messages received in the window
    double received_mbps_per_viewer = 0;  // mean over connected viewers
    std::optional<CameraReport> camera;
    std::optional<ClockReport> clock;
    std::optional<RelayUsage> relay;
    std::optional<TlsSummary> tls;    // of the first viewer that connected
    std::vector<std::string> errors;  // first few, for the report

    explicit LoadResult(std::uint64_t threshold_ns) : latency(threshold_ns) {}
    bool failed() const {
        return failed_connections > 0 || dropped_connections > 0 || tally.errors() > 0 || tally.messages == 0;
    }
};

}  // namespace camrelay::bench
