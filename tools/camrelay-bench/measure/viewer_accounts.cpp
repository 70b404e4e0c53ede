// camrelay-bench: what the viewers of a run saw, put together.
#include <algorithm>

#include "results.hpp"

namespace camrelay::bench {

void ViewerAccounts::add(const StreamChecker& checker, const OneWayLog& log, std::uint64_t probes_sent) {
    const auto estimate = checker.clock().estimate();
    const std::int64_t correction = latency_correction(clock_.use, estimate);
    log.fill(latency_, correction);

    clock_.probes += probes_sent;
    clock_.replies += checker.clock_replies();
    if (estimate) {
        const bool first = clock_.estimated++ == 0;
        clock_.offset_min_ns = first ? estimate->offset_ns : std::min(clock_.offset_min_ns, estimate->offset_ns);
        clock_.offset_max_ns = first ? estimate->offset_ns : std::max(clock_.offset_max_ns, estimate->offset_ns);
        clock_.uncertainty_ns = std::max(clock_.uncertainty_ns, estimate->uncertainty_ns);
        clock_.min_rtt_ns = first ? estimate->min_rtt_ns : std::min(clock_.min_rtt_ns, estimate->min_rtt_ns);
        if (correction != 0 || clock_.use == ClockUse::estimate) ++clock_.corrected;
    }

    const CameraView& camera = checker.camera();
    if (camera.messages == 0) return;
    ++camera_.viewers;
    camera_.dropped += camera.dropped;
    bitrates_.insert(bitrates_.end(), camera.bitrates_bps.begin(), camera.bitrates_bps.end());
    finals_.push_back(camera.bitrates_bps.back());
}

std::optional<CameraReport> ViewerAccounts::camera() const {
    if (camera_.viewers == 0) return std::nullopt;
    CameraReport report = camera_;
    report.bitrate = summarize_bitrates(bitrates_);
    if (report.bitrate) {
        std::uint64_t sum = 0;
        for (std::uint64_t f : finals_) sum += f;
        report.bitrate->final_bps = sum / finals_.size();
    }
    return report;
}

std::optional<ClockReport> ViewerAccounts::clock() const {
    if (clock_.probes == 0) return std::nullopt;
    return clock_;
}

}  // namespace camrelay::bench
