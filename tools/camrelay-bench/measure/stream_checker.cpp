// camrelay-bench: receiving-end checks of one stream.
#include "stream_checker.hpp"

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

DataCheck StreamChecker::on_message(std::span<const std::uint8_t> message, std::uint64_t received_ns,
                                    LatencyHistogram& latency) {
    DataHeader header;
    const DataCheck check = check_data_message(message, header);
    switch (check) {
        case DataCheck::not_data: ++tally_.unexpected; return check;
        case DataCheck::bad_length: ++tally_.corrupt; return check;
        case DataCheck::bad_payload:
            ++tally_.corrupt;
            follow_sequence(header.sequence);
            return check;
        case DataCheck::ok: break;
    }
    follow_sequence(header.sequence);
    if (header.stream_id != stream_id_) {
        ++tally_.before_request;
        return check;
    }
    ++tally_.messages;
    tally_.bytes += message.size();
    latency.add(received_ns >= header.sent_ns ? received_ns - header.sent_ns : 0);
    return check;
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
