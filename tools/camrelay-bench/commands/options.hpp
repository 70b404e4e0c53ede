// camrelay-bench: command-line options of `serve` and `run`, parsed without
// side effects so they can be tested. Bad input throws UsageError (exit 2).
#pragma once

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "../measure/clock_offset.hpp"
#include "rate_control.hpp"

namespace camrelay::bench {

class UsageError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// How fast a camera streams: an interval between messages, 0 = as fast as
// the connection takes them.
struct Pace {
    std::uint64_t interval_ns = 0;
    bool as_fast_as_possible() const { return interval_ns == 0; }
};

struct ServeOptions {
    // demo: a moving test picture for people to watch (demo_feed.hpp)
    enum class Mode { echo, stream, demo };
    std::string listen;  // HOST:PORT, port 0 picks a free one
    Mode mode = Mode::echo;
    std::uint32_t size = 16384;
    Pace pace;  // stream mode; demo mode: the frame interval
    std::optional<double> duration_s;
    std::uint64_t max_queue = 0;      // drop frames when this many bytes wait unsent (0: queue)
    std::optional<RateLimits> adapt;  // paced streams: bitrate follows the send queue
    std::int64_t clock_skew_ns = 0;   // the camera's timestamps run this far ahead (another machine's clock)
};

struct RunOptions {
    // demo: one viewer of a demo camera (serve --mode demo)
    enum class Mode { rtt, stream, load, demo };
    std::vector<std::string> urls;
    Mode mode = Mode::rtt;
    std::uint64_t count = 1000;
    std::uint64_t warmup = 10;
    std::uint32_t size = 16384;
    double duration_s = 0;
    std::uint32_t viewers = 2;
    double mbps = 4;
    Pace pace;
    double upstream_hz = 30;
    std::uint32_t upstream_size = 64;
    std::vector<int> relay_pids;
    double connect_timeout_s = 5;
    double timeout_s = 0;  // the whole run
    double threshold_ms = 10;
    bool json = false;
    std::string ca_file;    // wss://: trust the CAs in this file instead of the system's
    bool insecure = false;  // wss://: do not verify the server's certificate
    double read_mbps = 0;   // stream, load: read at most this (a narrow path), 0 = no limit
    double probe_hz = 5;    // stream, load: clock probes a second, 0 = none
    ClockUse clock = ClockUse::automatic;
    bool timeline = false;  // stream: the report second by second too
};

// argv without the program name and the command word.
ServeOptions parse_serve_options(const std::vector<std::string>& args);
RunOptions parse_run_options(const std::vector<std::string>& args);

// "16384", "16K", "1M" (powers of 1024).
std::uint64_t parse_size(const std::string& option, const std::string& text);
// A message interval for `size`-byte messages at `mbps` megabits (10^6) per second.
Pace pace_for_mbps(double mbps, std::uint32_t size);
Pace pace_for_rate(double messages_per_s);

const char* usage_text();

}  // namespace camrelay::bench
