// camrelay-bench: command-line parsing.
#include "options.hpp"

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <initializer_list>
#include <utility>

#include "../measure/bench_message.hpp"
#include "demo_frame.hpp"

namespace camrelay::bench {

namespace {

class Args {
public:
    explicit Args(const std::vector<std::string>& args) : args_(args) {}
    bool done() const { return at_ == args_.size(); }
    const std::string& next() { return args_[at_++]; }
    const std::string& value(const std::string& option) {
        if (done()) throw UsageError(option + " needs a value");
        return next();
    }

private:
    const std::vector<std::string>& args_;
    std::size_t at_ = 0;
};

double parse_number(const std::string& option, const std::string& text, double min, double max) {
    errno = 0;
    char* end = nullptr;
    double value = std::strtod(text.c_str(), &end);
    if (text.empty() || *end != '\0' || errno != 0 || !std::isfinite(value)) {
        throw UsageError(option + ": \"" + text + "\" is not a number");
    }
    if (value < min || value > max) {
        throw UsageError(option + ": " + text + " is outside " + std::to_string(min) + ".." + std::to_string(max));
    }
    return value;
}

std::uint64_t parse_count(const std::string& option, const std::string& text, std::uint64_t min, std::uint64_t max) {
    double value = parse_number(option, text, static_cast<double>(min), static_cast<double>(max));
    if (value != std::floor(value)) throw UsageError(option + ": " + text + " is not a whole number");
    return static_cast<std::uint64_t>(value);
}

std::uint32_t parse_message_size(const std::string& option, const std::string& text) {
    std::uint64_t size = parse_size(option, text);
    if (size < kDataHeaderSize || size > kMaxDataMessage) {
        throw UsageError(option + ": a message is " + std::to_string(kDataHeaderSize) + " to " +
                         std::to_string(kMaxDataMessage) + " bytes");
    }
    return static_cast<std::uint32_t>(size);
}

// "--rate N" and "--rate max" (serve's "--mbps" too): a number in
// 0.001..most, or as fast as possible.
void parse_pace_option(const std::string& option, const std::string& text, double most, std::optional<double>& value,
                       bool& max) {
    if (text == "max")
        max = true;
    else
        value = parse_number(option, text, 0.001, most);
}

// One of a few names, "--mode rtt" say: the value that goes with it.
template <typename Value>
Value parse_choice(const std::string& option, const std::string& text,
                   std::initializer_list<std::pair<const char*, Value>> choices) {
    std::string names;  // "a, b or c"
    std::size_t left = choices.size();
    for (const auto& [name, value] : choices) {
        if (text == name) return value;
        --left;
        names.append(name).append(left > 1 ? ", " : left == 1 ? " or " : "");
    }
    throw UsageError(option + ": \"" + text + "\" is not " + names);
}

void check_one_pace(bool max, bool rate, bool mbps) {
    if (int(max) + int(rate) + int(mbps) > 1) throw UsageError("give only one of --rate N, --rate max, --mbps N");
}

std::vector<int> parse_pids(const std::string& text) {
    std::vector<int> pids;
    std::size_t start = 0;
    while (start <= text.size()) {
        std::size_t comma = text.find(',', start);
        std::string item = text.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
        pids.push_back(static_cast<int>(parse_count("--relay-pid", item, 1, 4194304)));
        if (comma == std::string::npos) break;
        start = comma + 1;
    }
    return pids;
}

std::vector<std::string> read_url_file(const std::string& path) {
    std::ifstream in(path);
    if (!in) throw UsageError("--urls-file: cannot read \"" + path + "\"");
    std::vector<std::string> urls;
    std::string line;
    while (std::getline(in, line)) {
        auto first = line.find_first_not_of(" \t\r");
        if (first == std::string::npos || line[first] == '#') continue;
        auto last = line.find_last_not_of(" \t\r");
        urls.push_back(line.substr(first, last - first + 1));
    }
    return urls;
}

// "--adapt MIN:MAX", Mbit/s.
RateLimits parse_adapt(const std::string& option, const std::string& text) {
    const auto colon = text.find(':');
    if (colon == std::string::npos) throw UsageError(option + ": \"" + text + "\" is not MIN:MAX (Mbit/s)");
    const double min = parse_number(option, text.substr(0, colon), 0.001, 1e6);
    const double max = parse_number(option, text.substr(colon + 1), 0.001, 1e6);
    if (min > max) throw UsageError(option + ": MIN " + text.substr(0, colon) + " is above MAX");
    return RateLimits{min * 1e6, max * 1e6};
}

}  // namespace

std::uint64_t parse_size(const std::string& option, const std::string& text) {
    std::string digits = text;
    std::uint64_t unit = 1;
    if (!digits.empty() && (digits.back() == 'K' || digits.back() == 'k')) unit = 1024;
    if (!digits.empty() && (digits.back() == 'M' || digits.back() == 'm')) unit = 1024 * 1024;
    if (unit != 1) digits.pop_back();
    return parse_count(option, digits, 0, 1ull << 40) * unit;
}

Pace pace_for_mbps(double mbps, std::uint32_t size) {
    double messages_per_s = mbps * 1e6 / 8.0 / size;
    return pace_for_rate(messages_per_s);
}

Pace pace_for_rate(double messages_per_s) {
    return Pace{static_cast<std::uint64_t>(std::llround(1e9 / messages_per_s))};
}

ServeOptions parse_serve_options(const std::vector<std::string>& args) {
    ServeOptions o;
    Args a(args);
    std::optional<double> mbps, rate;
    bool max = false, have_size = false;
    while (!a.done()) {
        const std::string& arg = a.next();
        if (arg == "--listen") {
            o.listen = a.value(arg);
        } else if (arg == "--mode") {
            o.mode = parse_choice<ServeOptions::Mode>(arg, a.value(arg),
                                                      {{"echo", ServeOptions::Mode::echo},
                                                       {"stream", ServeOptions::Mode::stream},
                                                       {"demo", ServeOptions::Mode::demo}});
        } else if (arg == "--size") {
            o.size = parse_message_size(arg, a.value(arg));
            have_size = true;
        } else if (arg == "--rate") {
            parse_pace_option(arg, a.value(arg), 1e7, rate, max);
        } else if (arg == "--mbps") {
            parse_pace_option(arg, a.value(arg), 1e6, mbps, max);
        } else if (arg == "--duration") {
            o.duration_s = parse_number(arg, a.value(arg), 0.001, 1e7);
        } else if (arg == "--max-queue") {
            o.max_queue = parse_size(arg, a.value(arg));
            if (o.max_queue == 0) throw UsageError("--max-queue: at least 1 byte");
        } else if (arg == "--adapt") {
            o.adapt = parse_adapt(arg, a.value(arg));
        } else if (arg == "--clock-skew") {
            o.clock_skew_ns = std::llround(parse_number(arg, a.value(arg), -1e10, 1e10) * 1e6);
        } else {
            throw UsageError("serve: unknown option \"" + arg + "\"");
        }
    }
    if (o.listen.empty()) throw UsageError("serve needs --listen HOST:PORT");
    check_one_pace(max, rate.has_value(), mbps.has_value());
    if (o.mode == ServeOptions::Mode::demo) {
        // Frames of one size at a frame rate, as a camera makes them.
        if (have_size || mbps || max || o.max_queue || o.adapt)
            throw UsageError("--mode demo takes --rate FRAMES_PER_S only (1 to 60)");
        if (rate && (*rate < 1 || *rate > 60)) throw UsageError("--rate: a demo camera makes 1 to 60 frames a second");
        o.pace = pace_for_rate(rate.value_or(kDemoDefaultFps));
        return o;
    }
    if (rate)
        o.pace = pace_for_rate(*rate);
    else if (max)
        o.pace = Pace{0};
    else
        o.pace = pace_for_mbps(mbps.value_or(4.0), o.size);
    return o;
}

RunOptions parse_run_options(const std::vector<std::string>& args) {
    RunOptions o;
    Args a(args);
    bool have_mode = false, have_size = false, have_duration = false, have_timeout = false;
    std::optional<std::uint64_t> cameras;
    std::optional<std::string> urls_file;
    std::optional<double> rate;
    bool max = false, have_mbps = false;
    while (!a.done()) {
        const std::string& arg = a.next();
        if (arg.rfind("--", 0) != 0) {
            o.urls.push_back(arg);
        } else if (arg == "--mode") {
            o.mode = parse_choice<RunOptions::Mode>(arg, a.value(arg),
                                                    {{"rtt", RunOptions::Mode::rtt},
                                                     {"stream", RunOptions::Mode::stream},
                                                     {"load", RunOptions::Mode::load},
                                                     {"demo", RunOptions::Mode::demo}});
            have_mode = true;
        } else if (arg == "--count") {
            o.count = parse_count(arg, a.value(arg), 1, 100'000'000);
        } else if (arg == "--warmup") {
            o.warmup = parse_count(arg, a.value(arg), 0, 1'000'000);
        } else if (arg == "--size") {
            o.size = parse_message_size(arg, a.value(arg));
            have_size = true;
        } else if (arg == "--duration") {
            o.duration_s = parse_number(arg, a.value(arg), 0.01, 86400);
            have_duration = true;
        } else if (arg == "--viewers") {
            o.viewers = static_cast<std::uint32_t>(parse_count(arg, a.value(arg), 1, 10000));
        } else if (arg == "--cameras") {
            cameras = parse_count(arg, a.value(arg), 1, 10000);
        } else if (arg == "--urls-file") {
            urls_file = a.value(arg);
        } else if (arg == "--mbps") {
            o.mbps = parse_number(arg, a.value(arg), 0.001, 1e6);
            have_mbps = true;
        } else if (arg == "--rate") {
            parse_pace_option(arg, a.value(arg), 1e7, rate, max);
        } else if (arg == "--upstream-hz") {
            o.upstream_hz = parse_number(arg, a.value(arg), 0, 1000);
        } else if (arg == "--upstream-size") {
            o.upstream_size = parse_message_size(arg, a.value(arg));
        } else if (arg == "--relay-pid") {
            auto pids = parse_pids(a.value(arg));
            o.relay_pids.insert(o.relay_pids.end(), pids.begin(), pids.end());
        } else if (arg == "--connect-timeout") {
            o.connect_timeout_s = parse_number(arg, a.value(arg), 0.01, 3600);
        } else if (arg == "--timeout") {
            o.timeout_s = parse_number(arg, a.value(arg), 0.01, 86400 * 2);
            have_timeout = true;
        } else if (arg == "--threshold-ms") {
            o.threshold_ms = parse_number(arg, a.value(arg), 0.001, 1e6);
        } else if (arg == "--json") {
            o.json = true;
        } else if (arg == "--ca") {
            o.ca_file = a.value(arg);
            if (!std::ifstream(o.ca_file)) throw UsageError("--ca: cannot read \"" + o.ca_file + "\"");
        } else if (arg == "--insecure") {
            o.insecure = true;
        } else if (arg == "--read-mbps") {
            o.read_mbps = parse_number(arg, a.value(arg), 0.001, 1e6);
        } else if (arg == "--probe-hz") {
            o.probe_hz = parse_number(arg, a.value(arg), 0, 1000);
        } else if (arg == "--timeline") {
            o.timeline = true;
        } else if (arg == "--clock") {
            o.clock = parse_choice<ClockUse>(
                arg, a.value(arg),
                {{"auto", ClockUse::automatic}, {"estimate", ClockUse::estimate}, {"same", ClockUse::same}});
        } else {
            throw UsageError("run: unknown option \"" + arg + "\"");
        }
    }
    if (!have_mode) throw UsageError("run needs --mode rtt|stream|load|demo");
    if (o.insecure && !o.ca_file.empty()) throw UsageError("give only one of --ca FILE, --insecure");
    if (urls_file) {
        auto more = read_url_file(*urls_file);
        o.urls.insert(o.urls.end(), more.begin(), more.end());
    }
    if (o.urls.empty()) throw UsageError("run needs a URL (ws://HOST:PORT/PATH or wss://...)");
    if (o.mode != RunOptions::Mode::load && o.urls.size() != 1) {
        throw UsageError("rtt, stream and demo take one URL; load takes one per camera");
    }
    if (cameras) {
        if (o.mode != RunOptions::Mode::load) throw UsageError("--cameras is for --mode load");
        if (o.urls.size() == 1)
            o.urls.assign(*cameras, o.urls.front());
        else if (o.urls.size() != *cameras)
            throw UsageError("--cameras does not match the number of URLs given");
    }
    if (!have_size && o.mode == RunOptions::Mode::stream) o.size = 65536;
    if (!have_duration) o.duration_s = o.mode == RunOptions::Mode::load ? 10 : 5;
    check_one_pace(max, rate.has_value(), have_mbps);
    if (rate)
        o.pace = pace_for_rate(*rate);
    else if (max || (o.mode == RunOptions::Mode::stream && !have_mbps))
        o.pace = Pace{0};
    else
        o.pace = pace_for_mbps(o.mbps, o.size);
    if (!have_timeout) {
        o.timeout_s = o.mode == RunOptions::Mode::rtt ? 120 : o.duration_s + o.connect_timeout_s + 15;
    }
    return o;
}

const char* usage_text() {
    return "usage:\n"
           "  camrelay-bench serve --listen HOST:PORT [--mode echo|stream] [--size BYTES]\n"
           "                       [--rate MSGS_PER_S | --rate max | --mbps N] [--duration S]\n"
           "                       [--max-queue BYTES] [--adapt MIN:MAX] [--clock-skew MS]\n"
           "  camrelay-bench serve --listen HOST:PORT --mode demo [--rate FRAMES_PER_S] [--duration S]\n"
           "  camrelay-bench run URL... --mode rtt|stream|load|demo [options] [--json]\n"
           "\n"
           "run options:\n"
           "  --count N            rtt: round trips to time (1000)\n"
           "  --warmup N           rtt: untimed round trips first (10)\n"
           "  --size BYTES         message size, K/M suffixes allowed (rtt/load 16K, stream 64K)\n"
           "  --duration S         stream/load/demo: seconds to measure (stream and demo 5, load 10)\n"
           "  --viewers V          load: viewers per camera (2)\n"
           "  --cameras C          load: use the one URL given for C cameras\n"
           "  --urls-file FILE     load: camera URLs, one a line\n"
           "  --mbps R | --rate N|max   load, stream: each stream's pace (load 4 Mbit/s, stream max)\n"
           "  --upstream-hz N      load: small viewer-to-camera messages a second (30)\n"
           "  --upstream-size B    load: their size (64)\n"
           "  --relay-pid PID[,PID...]  load: report these processes' CPU and RSS (children included)\n"
           "  --connect-timeout S  bound on connecting and the TLS and WebSocket handshakes, per connection (5)\n"
           "  --timeout S          bound on the whole run\n"
           "  --threshold-ms MS    count latencies above this (10)\n"
           "  --ca FILE            wss://: trust the CAs in FILE (PEM) instead of the system's\n"
           "  --insecure           wss://: do not verify the server's certificate (said in the output)\n"
           "  --read-mbps R        stream/load: read at most R Mbit/s, a path narrower than the stream\n"
           "  --probe-hz N         stream/load: clock probes a second for the camera's clock offset (5; 0: none)\n"
           "  --clock auto|estimate|same  correct one-way latency by the estimated clock offset:\n"
           "                       when it exceeds its uncertainty (auto), always, or never\n"
           "  --timeline           stream: the report second by second too (received, camera, latency)\n"
           "  --json               machine-readable output\n"
           "\n"
           "serve options (echo and stream modes):\n"
           "  --max-queue BYTES    drop a frame when BYTES or more wait unsent (this process and the\n"
           "                       kernel's socket), as a live camera does; K/M suffixes allowed\n"
           "  --adapt MIN:MAX      paced streams: a bitrate in MIN..MAX Mbit/s that follows the send queue\n"
           "                       (frames keep their pace, their size follows the bitrate)\n"
           "  --clock-skew MS      stamp times MS milliseconds ahead, as a camera whose clock differs\n"
           "\n"
           "URL: ws://HOST[:PORT][/PATH][?QUERY] (port 80) or wss://... (TLS 1.2+, port 443)\n"
           "\n"
           "exit status: 0 ok, 1 measurement failed (errors, losses, no connection), 2 usage\n";
}

}  // namespace camrelay::bench
