// The pure part of wanem (tests/wan/wanem.cpp): one direction of an
// emulated WAN link, as a profile and a scheduler that decides, for each
// packet that enters, whether it is lost and when it leaves. No clock and no
// I/O here: times are nanoseconds the caller passes in, randomness comes from
// a seeded generator, so the same seed and the same arrivals give the same
// departures (tests/wan/wan_link_test.cpp).
#pragma once

#include <cstddef>
#include <cstdint>
#include <random>
#include <string>
#include <string_view>

namespace wan {

// A direction's profile, parsed from "key=value,key=value" (parse_profile):
//   delay=40ms       one-way delay (units ns, us, ms, s; a bare number is ms)
//   jitter=10ms      standard deviation of a normal variation of the delay,
//                    cut at +-3 sigma and never below zero delay
//   reorder=yes|no   no (the default): a packet never leaves before the one
//                    ahead of it (a late packet delays the ones behind it);
//                    yes: each packet leaves at its own time
//   loss=1%          random loss (a fraction 0.01 or a percentage)
//   burst=N          mean length of a loss burst in packets (Gilbert-Elliott
//                    with a bad state that loses every packet; the loss
//                    ratio stays loss); 1 (the default): independent losses
//   rate=2mbit       a bottleneck (bit, kbit, mbit, gbit; a bare number is
//                    bit/s); 0 or absent: no rate limit
//   queue=250000     the bottleneck's tail-drop queue in bytes (k, m
//                    suffixes: 1000s); default 1 s at the rate
//   queue=1s         the same as a time at the rate
struct Profile {
    std::int64_t delay_ns = 0;
    std::int64_t jitter_ns = 0;
    bool reorder = false;
    double loss = 0;
    double burst = 1;
    double rate_bps = 0;
    std::size_t queue_bytes = 0;  // 0 with a rate: 1 s at the rate
};

// Throws std::invalid_argument naming the bad part. "" and "clean" are the
// empty profile.
Profile parse_profile(std::string_view text);
std::string describe(const Profile& p);

struct Counters {
    std::uint64_t in_packets = 0, in_bytes = 0;
    std::uint64_t passed_packets = 0, passed_bytes = 0;
    std::uint64_t lost = 0;        // random loss
    std::uint64_t queue_full = 0;  // tail drop at the bottleneck
    std::uint64_t down = 0;        // dropped while the link was down
};

class Link {
public:
    static constexpr std::int64_t dropped = -1;

    Link(Profile profile, std::uint64_t seed);

    // A packet of BYTES enters at NOW_NS: its departure time (>= now_ns),
    // or `dropped` (counted as lost or queue_full).
    std::int64_t admit(std::int64_t now_ns, std::size_t bytes);
    // A packet scheduled by admit leaves (passed) or is dropped because the
    // link went down while it was on the way.
    void departed(std::size_t bytes) {
        ++counters_.passed_packets;
        counters_.passed_bytes += bytes;
    }
    // The link is down: a packet that enters, or one on the way, is lost.
    void down_on_entry(std::size_t bytes) {
        ++counters_.in_packets;
        counters_.in_bytes += bytes;
        ++counters_.down;
    }
    void down_in_flight() { ++counters_.down; }

    const Counters& counters() const { return counters_; }
    const Profile& profile() const { return profile_; }
    // Bytes waiting in the bottleneck's queue at NOW_NS.
    std::size_t backlog(std::int64_t now_ns) const;

private:
    bool lose();
    std::int64_t jitter();
    double uniform();

    Profile profile_;
    std::mt19937_64 rng_;
    std::normal_distribution<double> normal_{0.0, 1.0};
    bool bad_ = false;  // Gilbert-Elliott state
    double p_good_to_bad_ = 0, p_bad_to_good_ = 1;
    std::int64_t tx_free_ns_ = 0;         // the bottleneck is busy until then
    std::int64_t last_departure_ns_ = 0;  // for reorder=no
    Counters counters_;
};

}  // namespace wan
