// camrelay-bench: receiving-end checks of one stream.
#include "stream_checker.hpp"

#include <algorithm>

namespace camrelay::bench {

void StreamTally::add(const StreamTally& other) {
    messages += other.messages;
    bytes += other.bytes;
    lost += other.lost;
    out_of_order += other.out_of_order;
    corrupt += other.corrupt;
    unexpected += other.unexpected;
    before_request += other.before_request;
}

std::optional<BitrateSummary> summarize_bitrates(const std::vector<std::uint64_t>& bitrates_bps) {
    if (bitrates_bps.empty()) return std::nullopt;
    std::vector<std::uint64_t> sorted = bitrates_bps;
    std::sort(sorted.begin(), sorted.end());
    return BitrateSummary{sorted.front(), sorted[(sorted.size() - 1) / 2], bitrates_bps.back()};
}

void OneWayLog::fill(LatencyHistogram& histogram, std::int64_t correction_ns) const {
    for (std::int64_t raw : raw_) {
        const std::int64_t latency = raw + correction_ns;
        histogram.add(latency > 0 ? static_cast<std::uint64_t>(latency) : 0);
    }
}

DataCheck StreamChecker::on_message(std::span<const std::uint8_t> message, std::uint64_t received_ns,
                                    LatencyHistogram& latency) {
    DataCheck result = DataCheck::ok;
    if (auto sent = check(message, result)) latency.add(received_ns >= *sent ? received_ns - *sent : 0);
    return result;
}

DataCheck StreamChecker::on_message(std::span<const std::uint8_t> message, std::uint64_t received_ns, OneWayLog* log) {
    if (looks_like_clock_reply(message)) {
        auto reply = decode_clock_reply(message);
        if (!reply) {
            ++tally_.unexpected;
            return DataCheck::not_data;
        }
        ++clock_replies_;
        clock_.add(reply->viewer_sent_ns, reply->camera_received_ns, reply->camera_sent_ns, received_ns);
        return DataCheck::ok;
    }
    DataCheck result = DataCheck::ok;
    if (auto sent = check(message, result); sent && log) log->add(received_ns, *sent);
    return result;
}

std::optional<std::uint64_t> StreamChecker::check(std::span<const std::uint8_t> message, DataCheck& check) {
    DataHeader header;
    std::optional<CameraState> camera;
    check = check_data_message(message, header, &camera);
    switch (check) {
        case DataCheck::not_data: ++tally_.unexpected; return std::nullopt;
        case DataCheck::bad_length: ++tally_.corrupt; return std::nullopt;
        case DataCheck::bad_payload:
            ++tally_.corrupt;
            follow_sequence(header.sequence);
            return std::nullopt;
        case DataCheck::ok: break;
    }
    follow_sequence(header.sequence);
    if (header.stream_id != stream_id_) {
        ++tally_.before_request;
        return std::nullopt;
    }
    ++tally_.messages;
    tally_.bytes += message.size();
    last_sent_ns_ = header.sent_ns;
    last_camera_ = camera;
    if (camera) {
        ++camera_.messages;
        camera_.dropped = std::max(camera_.dropped, camera->dropped);
        camera_.bitrates_bps.push_back(camera->bitrate_bps);
    }
    return header.sent_ns;
}

void StreamChecker::follow_sequence(std::uint64_t sequence) {
    if (!sequence_started_) {
        sequence_started_ = true;
        if (sequence != 0) tally_.lost += sequence;  // the stream starts at 0
        next_sequence_ = sequence + 1;
        return;
    }
    if (sequence < next_sequence_) {
        ++tally_.out_of_order;
        return;
    }
    tally_.lost += sequence - next_sequence_;
    next_sequence_ = sequence + 1;
}

}  // namespace camrelay::bench
