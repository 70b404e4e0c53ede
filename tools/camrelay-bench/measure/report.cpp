// camrelay-bench: report formatting.
#include "report.hpp"

#include <cstdio>
#include <utility>
#include <vector>

#include "json_writer.hpp"

namespace camrelay::bench {

namespace {

using Rows = std::vector<std::pair<std::string, std::string>>;

std::string fixed(double value, int decimals) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.*f", decimals, value);
    return buf;
}

std::string ms(std::uint64_t ns) { return fixed(static_cast<double>(ns) / 1e6, 3) + " ms"; }

double ms_value(std::uint64_t ns) { return static_cast<double>(ns) / 1e6; }

std::string table(const std::string& title, const Rows& rows) {
    std::size_t width = 0;
    for (const auto& row : rows) width = std::max(width, row.first.size());
    std::string out = title + "\n";
    for (const auto& [key, value] : rows) {
        out += "  " + key + std::string(width - key.size() + 2, ' ') + value + "\n";
    }
    return out;
}

void latency_rows(Rows& rows, const LatencyHistogram& h, const std::string& what) {
    rows.emplace_back(what + " p50", ms(h.quantile(0.50)));
    rows.emplace_back(what + " p99", ms(h.quantile(0.99)));
    rows.emplace_back(what + " p99.9", ms(h.quantile(0.999)));
    rows.emplace_back(what + " max", ms(h.max()));
    rows.emplace_back(what + " mean", fixed(h.mean() / 1e6, 3) + " ms");
    rows.emplace_back("over " + fixed(ms_value(h.threshold_ns()), 0) + " ms", std::to_string(h.over_threshold()));
}

void latency_json(JsonWriter& j, const LatencyHistogram& h) {
    j.begin_object("latency_ms")
        .field("count", h.count())
        .field("min", ms_value(h.min()))
        .field("p50", ms_value(h.quantile(0.50)))
        .field("p99", ms_value(h.quantile(0.99)))
        .field("p99_9", ms_value(h.quantile(0.999)))
        .field("max", ms_value(h.max()))
        .field("mean", h.mean() / 1e6)
        .end_object();
    j.field("threshold_ms", ms_value(h.threshold_ns())).field("over_threshold", h.over_threshold());
}

void tally_rows(Rows& rows, const StreamTally& t) {
    rows.emplace_back("lost", std::to_string(t.lost));
    rows.emplace_back("out of order", std::to_string(t.out_of_order));
    rows.emplace_back("corrupt", std::to_string(t.corrupt));
    if (t.unexpected) rows.emplace_back("not data messages", std::to_string(t.unexpected));
}

void tally_json(JsonWriter& j, const StreamTally& t) {
    j.field("messages", t.messages)
        .field("bytes", t.bytes)
        .field("lost", t.lost)
        .field("out_of_order", t.out_of_order)
        .field("corrupt", t.corrupt)
        .field("unexpected", t.unexpected)
        .field("before_request", t.before_request);
}

// "TLSv1.3 TLS_AES_256_GCM_SHA384, ALPN http/1.1, certificate verified (system CAs)".
void tls_row(Rows& rows, const std::optional<TlsSummary>& tls) {
    if (!tls) return;
    std::string text = tls->version + " " + tls->cipher + ", " + (tls->alpn.empty() ? "no ALPN" : "ALPN " + tls->alpn);
    text += tls->verified ? ", certificate verified (" + tls->trusted + ")" : ", certificate NOT verified (--insecure)";
    rows.emplace_back("tls", text);
}

void tls_json(JsonWriter& j, const std::optional<TlsSummary>& tls) {
    if (!tls) {
        j.null_field("tls");
        return;
    }
    j.begin_object("tls").field("version", tls->version).field("cipher", tls->cipher).field("alpn", tls->alpn);
    j.field("verified", tls->verified);
    if (tls->verified)
        j.field("trusted", tls->trusted);
    else
        j.null_field("trusted");
    j.end_object();
}

double mbit(std::uint64_t bps) { return static_cast<double>(bps) / 1e6; }

std::string signed_ms(std::int64_t ns) {
    // Appended, not `"+" + string`: GCC 12's -Wrestrict misreads that at -O2.
    std::string out(1, ns >= 0 ? '+' : '-');
    out += fixed(static_cast<double>(ns >= 0 ? ns : -ns) / 1e6, 3);
    return out;
}

const char* clock_use_name(ClockUse use) {
    switch (use) {
        case ClockUse::same: return "same";
        case ClockUse::estimate: return "estimate";
        case ClockUse::automatic: return "auto";
    }
    return "?";
}

// "camera dropped  12 frames (send queue full)", "camera bitrate  min 0.512, median 1.204, final 1.100 Mbit/s".
void camera_rows(Rows& rows, const std::optional<CameraReport>& camera) {
    if (!camera) return;
    rows.emplace_back("camera dropped", std::to_string(camera->dropped) + " frames (its send queue was full)");
    if (camera->bitrate && camera->bitrate->median_bps > 0) {
        rows.emplace_back("camera bitrate", "min " + fixed(mbit(camera->bitrate->min_bps), 3) + ", median " +
                                                fixed(mbit(camera->bitrate->median_bps), 3) + ", final " +
                                                fixed(mbit(camera->bitrate->final_bps), 3) + " Mbit/s");
    }
}

void camera_json(JsonWriter& j, const std::optional<CameraReport>& camera) {
    if (!camera) {
        j.null_field("camera");
        return;
    }
    j.begin_object("camera").field("viewers", camera->viewers).field("dropped", camera->dropped);
    if (camera->bitrate) {
        j.begin_object("bitrate_mbps")
            .field("min", mbit(camera->bitrate->min_bps))
            .field("median", mbit(camera->bitrate->median_bps))
            .field("final", mbit(camera->bitrate->final_bps))
            .end_object();
    } else {
        j.null_field("bitrate_mbps");
    }
    j.end_object();
}

// "+0.004 ms +- 0.021 ms (min RTT 0.042 ms; 25 of 25 probes answered), not applied".
void clock_rows(Rows& rows, const std::optional<ClockReport>& clock) {
    if (!clock) return;
    std::string answered = std::to_string(clock->replies) + " of " + std::to_string(clock->probes) + " probes answered";
    if (clock->estimated == 0) {
        rows.emplace_back("clock offset", "not known (" + answered + ")");
        return;
    }
    std::string text = signed_ms(clock->offset_min_ns);
    if (clock->offset_max_ns != clock->offset_min_ns) text += " to " + signed_ms(clock->offset_max_ns);
    text += " ms +- " + fixed(static_cast<double>(clock->uncertainty_ns) / 1e6, 3) + " ms (min RTT " +
            ms(clock->min_rtt_ns) + "; " + answered + ")";
    if (clock->estimated > 1)
        text +=
            ", applied to " + std::to_string(clock->corrected) + " of " + std::to_string(clock->estimated) + " viewers";
    else
        text += clock->corrected ? ", applied" : ", not applied";
    if (clock->use == ClockUse::automatic && clock->corrected < clock->estimated)
        text += " (within its uncertainty: one clock)";
    rows.emplace_back("clock offset", text);
}

void clock_json(JsonWriter& j, const std::optional<ClockReport>& clock) {
    if (!clock) {
        j.null_field("clock");
        return;
    }
    j.begin_object("clock").field("use", clock_use_name(clock->use));
    j.field("probes", clock->probes).field("replies", clock->replies).field("estimated", clock->estimated);
    j.field("corrected", clock->corrected);
    if (clock->estimated) {
        // To the nanosecond: an offset between two machines' monotonic clocks may be days.
        const std::int64_t middle = clock->offset_min_ns + (clock->offset_max_ns - clock->offset_min_ns) / 2;
        j.fixed_field("offset_ms", static_cast<double>(middle) / 1e6, 6);
        j.fixed_field("offset_min_ms", static_cast<double>(clock->offset_min_ns) / 1e6, 6);
        j.fixed_field("offset_max_ms", static_cast<double>(clock->offset_max_ns) / 1e6, 6);
        j.field("uncertainty_ms", ms_value(clock->uncertainty_ns)).field("min_rtt_ms", ms_value(clock->min_rtt_ns));
    } else {
        j.null_field("offset_ms").null_field("offset_min_ms").null_field("offset_max_ms");
        j.null_field("uncertainty_ms").null_field("min_rtt_ms");
    }
    j.end_object();
}

// "0-1 s  1.95 Mbit/s, 30 messages; latency mean 40.1, max 80.2 ms; camera 2.10 Mbit/s, 3 dropped".
void timeline_rows(Rows& rows, const std::optional<std::vector<TimelinePoint>>& timeline) {
    if (!timeline) return;
    for (const TimelinePoint& p : *timeline) {
        std::string text = fixed(p.received_mbps, 2) + " Mbit/s, " + std::to_string(p.messages) + " messages";
        if (p.messages)
            text += "; latency mean " + fixed(p.latency_mean_ms, 1) + ", max " + fixed(p.latency_max_ms, 1) + " ms";
        if (p.camera)
            text += "; camera " + fixed(mbit(p.camera->bitrate_bps), 2) + " Mbit/s, " +
                    std::to_string(p.camera->dropped) + " dropped";
        rows.emplace_back(fixed(p.start_s, 0) + " s", text);
    }
}

void timeline_json(JsonWriter& j, const std::optional<std::vector<TimelinePoint>>& timeline) {
    if (!timeline) return;
    j.begin_array("timeline");
    for (const TimelinePoint& p : *timeline) {
        j.begin_object().field("start_s", p.start_s).field("messages", p.messages).field("bytes", p.bytes);
        j.field("received_mbps", p.received_mbps);
        if (p.messages)
            j.field("latency_mean_ms", p.latency_mean_ms).field("latency_max_ms", p.latency_max_ms);
        else
            j.null_field("latency_mean_ms").null_field("latency_max_ms");
        if (p.camera)
            j.field("camera_mbps", mbit(p.camera->bitrate_bps)).field("camera_dropped", p.camera->dropped);
        else
            j.null_field("camera_mbps").null_field("camera_dropped");
        j.end_object();
    }
    j.end_array();
}

void error_field(JsonWriter& j, const std::string& error) {
    if (error.empty())
        j.null_field("error");
    else
        j.field("error", error);
}

// The rtt and stream reports, which measure one URL, begin and end alike.
void open_url_report(JsonWriter& j, const char* mode, const std::string& url, const std::optional<TlsSummary>& tls,
                     std::uint32_t size) {
    j.begin_object().field("mode", mode).field("url", url);
    tls_json(j, tls);
    j.field("size", size);
}

std::string close_url_report(JsonWriter& j, const LatencyHistogram& latency, bool failed, const std::string& error) {
    latency_json(j, latency);
    j.field("ok", !failed);
    error_field(j, error);
    return j.end_object().text() + "\n";
}

std::string verdict(bool failed, const std::string& error) {
    if (!failed) return "ok";
    return error.empty() ? "FAILED" : "FAILED: " + error;
}

}  // namespace

std::string format_table(const RttResult& r) {
    Rows rows;
    rows.emplace_back("round trips", std::to_string(r.completed) + " of " + std::to_string(r.requested) + " (+" +
                                         std::to_string(r.warmup) + " warm-up), " + std::to_string(r.size) +
                                         " B messages");
    tls_row(rows, r.tls);
    latency_rows(rows, r.rtt, "round trip");
    rows.emplace_back("bad echoes", std::to_string(r.bad_echoes));
    rows.emplace_back("result", verdict(r.failed(), r.error));
    return table("rtt " + r.url, rows);
}

std::string format_table(const StreamResult& r) {
    Rows rows;
    rows.emplace_back("throughput", fixed(r.megabytes_per_s(), 1) + " MB/s (10^6 bytes), " +
                                        fixed(r.received_mbps(), 2) + " Mbit/s received");
    // An adapting camera sizes its frames by its bitrate, not as asked.
    const bool as_asked = r.tally.bytes == r.tally.messages * r.size;
    const std::string sizes =
        as_asked ? std::to_string(r.size) + " B" : "a mean " + std::to_string(r.tally.bytes / r.tally.messages) + " B";
    rows.emplace_back("messages", std::to_string(r.tally.messages) + " of " + sizes + " in " + fixed(r.seconds, 2) +
                                      " s (" + fixed(r.messages_per_s(), 0) + "/s)");
    tls_row(rows, r.tls);
    latency_rows(rows, r.latency, "one-way");
    tally_rows(rows, r.tally);
    camera_rows(rows, r.camera);
    clock_rows(rows, r.clock);
    timeline_rows(rows, r.timeline);
    rows.emplace_back("result", verdict(r.failed(), r.error));
    return table("stream " + r.url, rows);
}

std::string format_table(const LoadResult& r) {
    Rows rows;
    const std::uint64_t viewers = std::uint64_t{r.cameras} * r.viewers_per_camera;
    std::string pace =
        r.interval_ns == 0 ? "as fast as possible" : fixed(1e9 / static_cast<double>(r.interval_ns), 1) + " msg/s";
    if (r.mbps > 0) pace = fixed(r.mbps, 2) + " Mbit/s (" + pace + ")";
    rows.emplace_back("viewers", std::to_string(r.cameras) + " cameras x " + std::to_string(r.viewers_per_camera) +
                                     " = " + std::to_string(viewers));
    rows.emplace_back("each stream", pace + ", " + std::to_string(r.size) + " B messages");
    rows.emplace_back("window", fixed(r.seconds, 2) + " s");
    rows.emplace_back("connections", std::to_string(r.connected) + " open, " + std::to_string(r.failed_connections) +
                                         " failed, " + std::to_string(r.dropped_connections) + " dropped");
    tls_row(rows, r.tls);
    rows.emplace_back("messages", std::to_string(r.tally.messages) + " (" + std::to_string(r.tally.bytes) + " B)");
    rows.emplace_back("per viewer", fixed(r.received_mbps_per_viewer, 2) + " Mbit/s received");
    rows.emplace_back("upstream sent", std::to_string(r.upstream_sent));
    latency_rows(rows, r.latency, "one-way");
    tally_rows(rows, r.tally);
    camera_rows(rows, r.camera);
    clock_rows(rows, r.clock);
    if (r.relay) {
        rows.emplace_back("relay CPU", fixed(r.relay->cpu_percent, 1) + " % of one core (" +
                                           std::to_string(r.relay->processes) + " processes)");
        rows.emplace_back("relay RSS", std::to_string(r.relay->rss_before_kib) + " KiB before, " +
                                           std::to_string(r.relay->rss_peak_kib) + " KiB peak");
        rows.emplace_back("RSS per viewer", fixed(r.relay->rss_per_viewer_kib, 1) + " KiB");
    }
    for (const auto& e : r.errors) rows.emplace_back("error", e);
    rows.emplace_back("result", verdict(r.failed(), ""));
    return table("load", rows);
}

std::string format_json(const RttResult& r) {
    JsonWriter j;
    open_url_report(j, "rtt", r.url, r.tls, r.size);
    j.field("requested", r.requested).field("warmup", r.warmup).field("completed", r.completed);
    j.field("bad_echoes", r.bad_echoes);
    return close_url_report(j, r.rtt, r.failed(), r.error);
}

std::string format_table(const DemoResult& r) {
    Rows rows;
    rows.emplace_back("frames", std::to_string(r.frames) + " in " + fixed(r.seconds, 2) + " s (" +
                                    fixed(r.frames_per_s(), 1) + "/s), " + std::to_string(r.width) + "x" +
                                    std::to_string(r.height));
    rows.emplace_back("received", fixed(r.kib_per_s(), 0) + " KiB/s");
    tls_row(rows, r.tls);
    latency_rows(rows, r.latency, "latency");
    rows.emplace_back("missed", std::to_string(r.missed) + " (frame numbers left out)");
    rows.emplace_back("out of order", std::to_string(r.out_of_order));
    rows.emplace_back("bad frames", std::to_string(r.bad));
    rows.emplace_back("result", verdict(r.failed(), r.error));
    return table("demo " + r.url, rows);
}

std::string format_json(const DemoResult& r) {
    JsonWriter j;
    j.begin_object().field("mode", "demo").field("url", r.url);
    tls_json(j, r.tls);
    j.field("width", r.width).field("height", r.height).field("seconds", r.seconds);
    j.field("frames", r.frames).field("bytes", r.bytes).field("frames_per_s", r.frames_per_s());
    j.field("missed", r.missed).field("out_of_order", r.out_of_order).field("bad", r.bad);
    return close_url_report(j, r.latency, r.failed(), r.error);
}

std::string format_json(const StreamResult& r) {
    JsonWriter j;
    open_url_report(j, "stream", r.url, r.tls, r.size);
    j.field("seconds", r.seconds).field("mb_per_s", r.megabytes_per_s()).field("messages_per_s", r.messages_per_s());
    j.field("received_mbps", r.received_mbps());
    tally_json(j, r.tally);
    camera_json(j, r.camera);
    clock_json(j, r.clock);
    timeline_json(j, r.timeline);
    return close_url_report(j, r.latency, r.failed(), r.error);
}

std::string format_json(const LoadResult& r) {
    JsonWriter j;
    j.begin_object().field("mode", "load");
    tls_json(j, r.tls);
    j.field("cameras", r.cameras).field("viewers_per_camera", r.viewers_per_camera);
    j.field("viewers", std::uint64_t{r.cameras} * r.viewers_per_camera);
    j.field("size", r.size).field("mbps", r.mbps).field("interval_ms", static_cast<double>(r.interval_ns) / 1e6);
    j.field("seconds", r.seconds);
    j.field("connected", r.connected)
        .field("failed_connections", r.failed_connections)
        .field("dropped_connections", r.dropped_connections);
    tally_json(j, r.tally);
    j.field("upstream_sent", r.upstream_sent);
    j.field("received_mbps_per_viewer", r.received_mbps_per_viewer);
    camera_json(j, r.camera);
    clock_json(j, r.clock);
    latency_json(j, r.latency);
    if (r.relay) {
        j.begin_object("relay");
        j.begin_array("pids");
        for (int pid : r.relay->pids) j.value(pid);
        j.end_array();
        j.field("processes", r.relay->processes)
            .field("cpu_percent", r.relay->cpu_percent)
            .field("rss_before_kib", r.relay->rss_before_kib)
            .field("rss_peak_kib", r.relay->rss_peak_kib)
            .field("rss_per_viewer_kib", r.relay->rss_per_viewer_kib)
            .end_object();
    } else {
        j.null_field("relay");
    }
    j.begin_array("errors");
    for (const auto& e : r.errors) j.value(e);
    j.end_array();
    j.field("ok", !r.failed());
    return j.end_object().text() + "\n";
}

}  // namespace camrelay::bench
