#include "wan_link.hpp"

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <cmath>
#include <cstdio>
#include <stdexcept>
#include <string>

namespace wan {
namespace {

[[noreturn]] void bad(std::string_view what, std::string_view text) {
    throw std::invalid_argument(std::string(what) + ": \"" + std::string(text) + "\"");
}

// A number and its suffix: "40ms" -> 40, "ms".
double number(std::string_view text, std::string_view& suffix, std::string_view key) {
    std::size_t i = 0;
    while (i < text.size() && (std::isdigit(static_cast<unsigned char>(text[i])) || text[i] == '.')) ++i;
    if (i == 0) bad(std::string(key) + " needs a number", text);
    std::string digits(text.substr(0, i));
    char* end = nullptr;
    double value = std::strtod(digits.c_str(), &end);
    if (end != digits.c_str() + digits.size() || !std::isfinite(value) || value < 0)
        bad(std::string(key) + " needs a number", text);
    suffix = text.substr(i);
    return value;
}

std::int64_t duration_ns(std::string_view text, std::string_view key) {
    std::string_view unit;
    double v = number(text, unit, key);
    double scale;
    if (unit.empty() || unit == "ms")
        scale = 1e6;
    else if (unit == "us")
        scale = 1e3;
    else if (unit == "ns")
        scale = 1;
    else if (unit == "s")
        scale = 1e9;
    else
        bad(std::string(key) + ": unknown unit (ns, us, ms, s)", text);
    if (v * scale > 3600e9) bad(std::string(key) + " is over an hour", text);
    return static_cast<std::int64_t>(std::llround(v * scale));
}

double fraction(std::string_view text, std::string_view key) {
    std::string_view unit;
    double v = number(text, unit, key);
    if (unit == "%")
        v /= 100;
    else if (!unit.empty())
        bad(std::string(key) + ": a fraction or a percentage", text);
    if (v > 1) bad(std::string(key) + " is over 100%", text);
    return v;
}

double rate(std::string_view text) {
    std::string_view unit;
    double v = number(text, unit, "rate");
    if (unit.empty() || unit == "bit" || unit == "bps") return v;
    if (unit == "kbit") return v * 1e3;
    if (unit == "mbit") return v * 1e6;
    if (unit == "gbit") return v * 1e9;
    bad("rate: unknown unit (bit, kbit, mbit, gbit)", text);
}

}  // namespace

Profile parse_profile(std::string_view text) {
    Profile p;
    std::string queue;
    if (text == "clean") return p;
    while (!text.empty()) {
        std::size_t comma = text.find(',');
        std::string_view item = text.substr(0, comma);
        text = comma == std::string_view::npos ? std::string_view() : text.substr(comma + 1);
        if (item.empty()) continue;
        std::size_t eq = item.find('=');
        if (eq == std::string_view::npos) bad("expected key=value", item);
        std::string_view key = item.substr(0, eq), value = item.substr(eq + 1);
        if (key == "delay") {
            p.delay_ns = duration_ns(value, key);
        } else if (key == "jitter") {
            p.jitter_ns = duration_ns(value, key);
        } else if (key == "reorder") {
            if (value == "yes")
                p.reorder = true;
            else if (value == "no")
                p.reorder = false;
            else
                bad("reorder: yes or no", value);
        } else if (key == "loss") {
            p.loss = fraction(value, key);
        } else if (key == "burst") {
            std::string_view unit;
            p.burst = number(value, unit, key);
            if (!unit.empty() || p.burst < 1) bad("burst: a mean burst length of 1 packet or more", value);
        } else if (key == "rate") {
            p.rate_bps = rate(value);
        } else if (key == "queue") {
            queue = std::string(value);
        } else {
            bad("unknown key (delay, jitter, reorder, loss, burst, rate, queue)", key);
        }
    }
    if (p.loss >= 1 && p.burst > 1) bad("loss", "100% loss has no bursts");
    if (!queue.empty()) {
        std::string_view unit;
        double v = number(queue, unit, "queue");
        if (unit.empty() || unit == "b")
            p.queue_bytes = static_cast<std::size_t>(v);
        else if (unit == "k")
            p.queue_bytes = static_cast<std::size_t>(v * 1e3);
        else if (unit == "m")
            p.queue_bytes = static_cast<std::size_t>(v * 1e6);
        else if (p.rate_bps > 0)
            p.queue_bytes =
                static_cast<std::size_t>(static_cast<double>(duration_ns(queue, "queue")) / 1e9 * p.rate_bps / 8);
        else
            bad("queue: a time needs a rate", queue);
        if (p.queue_bytes == 0) bad("queue", "must hold at least one byte");
    }
    if (p.rate_bps > 0 && p.queue_bytes == 0) p.queue_bytes = static_cast<std::size_t>(p.rate_bps / 8);
    return p;
}

std::string describe(const Profile& p) {
    char buf[256];
    std::snprintf(buf, sizeof buf,
                  "delay %.1f ms, jitter %.1f ms%s, loss %.2f %% (burst %.1f), rate %.3f Mbit/s, queue %zu B",
                  static_cast<double>(p.delay_ns) / 1e6, static_cast<double>(p.jitter_ns) / 1e6,
                  p.reorder ? " (reordering)" : "", p.loss * 100, p.burst, p.rate_bps / 1e6, p.queue_bytes);
    return buf;
}

Link::Link(Profile profile, std::uint64_t seed) : profile_(profile), rng_(seed) {
    if (profile_.burst > 1 && profile_.loss > 0) {
        // Gilbert-Elliott with a bad state that loses everything: the
        // stationary share of the bad state is the loss ratio, and a burst
        // lasts 1/r packets on average.
        p_bad_to_good_ = 1.0 / profile_.burst;
        p_good_to_bad_ = std::min(1.0, profile_.loss * p_bad_to_good_ / (1.0 - profile_.loss));
    }
}

double Link::uniform() { return static_cast<double>(rng_() >> 11) * 0x1.0p-53; }

bool Link::lose() {
    if (profile_.loss <= 0) return false;
    if (profile_.burst <= 1) return uniform() < profile_.loss;
    bad_ = bad_ ? uniform() >= p_bad_to_good_ : uniform() < p_good_to_bad_;
    return bad_;
}

std::int64_t Link::jitter() {
    if (profile_.jitter_ns <= 0) return 0;
    double z = std::clamp(normal_(rng_), -3.0, 3.0);
    return static_cast<std::int64_t>(std::llround(z * static_cast<double>(profile_.jitter_ns)));
}

std::size_t Link::backlog(std::int64_t now_ns) const {
    if (profile_.rate_bps <= 0 || tx_free_ns_ <= now_ns) return 0;
    return static_cast<std::size_t>(static_cast<double>(tx_free_ns_ - now_ns) * profile_.rate_bps / 8e9);
}

std::int64_t Link::admit(std::int64_t now_ns, std::size_t bytes) {
    ++counters_.in_packets;
    counters_.in_bytes += bytes;
    if (lose()) {
        ++counters_.lost;
        return dropped;
    }
    std::int64_t sent = now_ns;
    if (profile_.rate_bps > 0) {
        if (backlog(now_ns) + bytes > profile_.queue_bytes) {
            ++counters_.queue_full;
            return dropped;
        }
        std::int64_t start = std::max(now_ns, tx_free_ns_);
        tx_free_ns_ =
            start + static_cast<std::int64_t>(std::llround(static_cast<double>(bytes) * 8e9 / profile_.rate_bps));
        sent = tx_free_ns_;
    }
    std::int64_t departure = sent + std::max<std::int64_t>(0, profile_.delay_ns + jitter());
    if (!profile_.reorder) departure = std::max(departure, last_departure_ns_);
    last_departure_ns_ = std::max(last_departure_ns_, departure);
    return departure;
}

}  // namespace wan
