// dudect_key: is the key check's time independent of the secret? A
// leakage test in the manner of dudect (Reparaz, Balasch, Verbauwhede,
// "Dude, is my code constant time?", DATE 2017), written for camrelay:
//
//   - each target function gets inputs of two or three classes (a valid
//     key, keys whose MAC differs in its first or its last byte), the
//     class of each measurement drawn at random, so that whatever the
//     machine does at one moment falls on every class alike;
//   - each call is timed alone with the TSC (lfence; rdtsc ... rdtscp;
//     lfence), or clock_gettime where there is no TSC;
//   - Welch's t-test between the classes' times, on every measurement and
//     on the measurements below each of several percentiles of the first
//     (discarded) batch, as dudect crops the long tail that interrupts and
//     other processes add; the figure is the largest |t| of those tests.
//
// |t| above 4.5 at 10^6 measurements per class (the paper's threshold) says
// the classes' times differ. A single large |t| can also be the machine
// (another job starting halfway): dudect's advice is to run again.
//
// Targets (--target; all by default):
//   check_key      camrelay::check_key (with the loggable form, as
//                  Relay::decide calls it): valid key, MAC's first byte
//                  wrong, MAC's last byte wrong
//   decide         the whole Relay::decide on "/cam1/live?k=KEY": the same
//                  three keys (pass, fail_first, fail_last)
//   ct_compare     the MAC step alone: the HMAC of the key's fields, then
//                  constant_time_equal with the presented MAC
//   leaky_compare  the same with a byte-by-byte comparison that stops at
//                  the first difference (what memcmp may do): the harness's
//                  own check, it must find this one
//
// Which pairs are held to the threshold: those where nothing the code
// does after the comparison depends on the answer. In check_key and decide
// that is first vs last (both refused: the time may depend on the secret
// only through where the presented MAC stops matching the right one); in
// ct_compare every pair. A valid key and a refused one take different
// paths after the comparison (the expiry, camera and revocation checks,
// the Decision's strings, and a branch the processor mispredicts when the
// classes come at random): the viewer learns that difference from the
// answer itself, so these "outcome" pairs are reported, not held.
//
//   dudect_key [--measurements N] [--target NAME]... [--threshold T]
//              [--bound T --attempts K] [--expect-leak T] [--json FILE]
//              [--seed S]
// --measurements N   per class (default 1000000)
// --bound T          fail when a held pair's |t| exceeds T on K
//                    attempts in a row (default: the threshold, 1 attempt);
//                    each attempt measures the target anew
// --expect-leak T    leaky_compare's first vs last must exceed T (within K
//                    attempts), or the harness is not trusted: fail
// Exit status: 0 all held, 1 a bound or the leak check failed, 2 usage.
#include <time.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#if defined(__x86_64__) || defined(__i386__)
#include <x86intrin.h>
#define CAMRELAY_CT_TSC 1
#endif

#include "camrelay/crypto.hpp"
#include "camrelay/key.hpp"
#include "camrelay/registry.hpp"
#include "camrelay/relay.hpp"

using namespace camrelay;

namespace {

// --- the clock

#ifdef CAMRELAY_CT_TSC
inline std::uint64_t clock_start() {
    _mm_lfence();  // earlier instructions done before reading the counter
    const std::uint64_t t = __rdtsc();
    _mm_lfence();  // and the measured code starts after it
    return t;
}
inline std::uint64_t clock_stop() {
    unsigned aux = 0;
    const std::uint64_t t = __rdtscp(&aux);  // waits for the measured code
    _mm_lfence();
    return t;
}
constexpr const char* kClockName = "TSC (lfence, rdtsc / rdtscp, lfence)";
#else
inline std::uint64_t clock_now() {
    timespec ts{};
    std::atomic_signal_fence(std::memory_order_seq_cst);
    clock_gettime(CLOCK_MONOTONIC_RAW, &ts);
    std::atomic_signal_fence(std::memory_order_seq_cst);
    return static_cast<std::uint64_t>(ts.tv_sec) * 1000000000u + static_cast<std::uint64_t>(ts.tv_nsec);
}
inline std::uint64_t clock_start() { return clock_now(); }
inline std::uint64_t clock_stop() { return clock_now(); }
constexpr const char* kClockName = "clock_gettime(CLOCK_MONOTONIC_RAW)";
#endif

double wall_ns() {
    timespec ts{};
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return static_cast<double>(ts.tv_sec) * 1e9 + static_cast<double>(ts.tv_nsec);
}

// Clock ticks per nanosecond, over 100 ms (1 without a TSC).
double ticks_per_ns() {
#ifdef CAMRELAY_CT_TSC
    const double w0 = wall_ns();
    const std::uint64_t c0 = clock_start();
    while (wall_ns() - w0 < 1e8) {}
    const std::uint64_t c1 = clock_stop();
    return static_cast<double>(c1 - c0) / (wall_ns() - w0);
#else
    return 1.0;
#endif
}

// The clock's smallest step and the cost of reading it twice, in ticks:
// from 100000 empty measurements (a virtual machine's TSC may advance in
// steps of many ticks; noise then dithers differences smaller than a step,
// which the t-test still sees, as leaky_compare shows).
struct ClockInfo {
    std::uint64_t step = 0;
    std::uint64_t overhead = 0;
};
ClockInfo clock_info() {
    std::vector<std::uint64_t> d(100000);
    for (auto& x : d) {
        const std::uint64_t t0 = clock_start();
        x = clock_stop() - t0;
    }
    std::sort(d.begin(), d.end());
    ClockInfo info;
    info.overhead = d[d.size() / 2];
    for (std::size_t i = 1; i < d.size(); ++i)
        if (d[i] != d[i - 1] && (info.step == 0 || d[i] - d[i - 1] < info.step)) info.step = d[i] - d[i - 1];
    return info;
}

// --- statistics

// Welford's running mean and variance.
struct Moments {
    double n = 0, mean = 0, m2 = 0;
    void add(double x) {
        n += 1;
        const double d = x - mean;
        mean += d / n;
        m2 += d * (x - mean);
    }
    double variance() const { return n > 1 ? m2 / (n - 1) : 0; }
};

double welch_t(const Moments& a, const Moments& b) {
    if (a.n < 2 || b.n < 2) return 0;
    const double se = std::sqrt(a.variance() / a.n + b.variance() / b.n);
    return se > 0 ? (a.mean - b.mean) / se : 0;
}

// The crops: measurements below the p-th percentile of the first batch,
// for p = 1 - 0.5^(10 (i + 1) / kCrops) (from 0.29 to 0.999, as dudect
// spaces its own), and one test on everything.
constexpr int kCrops = 20;
constexpr int kTests = kCrops + 1;  // test kCrops: uncropped
// A test with fewer measurements than this per class is left out of the
// maximum (dudect leaves out those with too few).
constexpr double kMinPerClass = 10000;

double crop_fraction(int i) { return 1 - std::pow(0.5, 10.0 * (i + 1) / kCrops); }

std::string test_name(int test) {
    if (test == kCrops) return "all";
    char buf[32];
    std::snprintf(buf, sizeof buf, "p%.3g", 100 * crop_fraction(test));
    return buf;
}

// --- targets

constexpr std::int64_t kNow = 1700000100;

std::vector<std::uint8_t> secret_bytes() {
    std::vector<std::uint8_t> v(32);
    for (int i = 0; i < 32; ++i) v[static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(0xa5 ^ (i * 29));
    return v;
}

Secret secret() { return Secret{"s1", secret_bytes(), true}; }

// The valid key, and the same key with byte `index` of its MAC changed
// (the text re-encoded: same length, same fields before the MAC).
std::string key_with_mac_byte_changed(const std::string& key, std::size_t index) {
    auto fields = parse_key(key);
    if (!fields) std::abort();
    Digest mac = fields->mac;
    mac[index] ^= 0x01;
    return key.substr(0, key.rfind('.') + 1) + base64url_encode(mac);
}

struct Keys {
    std::string valid = issue_key(secret(), "cam1", 1700000000, 1700003600);
    std::string first = key_with_mac_byte_changed(valid, 0);
    std::string last = key_with_mac_byte_changed(valid, 31);
};

// One measurement's input: its own copy of the class's bytes, so that
// every class is read from the same range of addresses.
constexpr std::size_t kSlotBytes = 192;
struct Slot {
    alignas(64) char bytes[kSlotBytes];
    std::size_t size;
};

struct Pair {
    int a, b;
    // Held to the threshold: nothing the code does after the comparison
    // depends on the classes' answers (false: "outcome" pairs).
    bool held;
};

struct Target {
    std::string name;
    std::string what;
    std::vector<std::string> class_names;
    std::vector<std::string> inputs;  // per class
    std::vector<Pair> pairs;
    // Runs the code under test on one slot; returns something the
    // compiler must compute.
    std::function<int(const Slot&)> run;
    // What each class must give (checked once before measuring).
    std::vector<int> expected;
};

const std::vector<Pair> kThreePairs = {{0, 1, false}, {0, 2, false}, {1, 2, true}};

// The byte-by-byte comparison that returns at the first difference:
// volatile reads keep the compiler from turning it into a wide compare.
bool leaky_equal(const Digest& a, const Digest& b) {
    const volatile std::uint8_t* x = a.data();
    const volatile std::uint8_t* y = b.data();
    for (std::size_t i = 0; i < a.size(); ++i)
        if (x[i] != y[i]) return false;
    return true;
}

struct World {
    Keys keys;
    SecretSet secrets;
    KeyPolicy policy;
    Relay relay;
    std::string message = key_message("cam1", "s1", 1700000000, 1700003600);
    std::string loggable;
    Decision decision;

    World()
        : relay(parse_registry("camera cam1 port=18080\ncamera cam2 port=18081\n", "cameras.conf"), make_secrets(),
                RouteConfig{}) {
        secrets = make_secrets();
        loggable.reserve(kMaxKeyLength);
    }
    static SecretSet make_secrets() {
        SecretSet s;
        s.add(secret());
        return s;
    }
};

std::string_view view(const Slot& s) { return std::string_view(s.bytes, s.size); }

Digest mac_of(std::string_view key) {
    auto f = parse_key(key);
    if (!f) std::abort();
    return f->mac;
}

std::vector<Target> make_targets(World& w) {
    std::vector<Target> out;
    const std::vector<std::string> keys = {w.keys.valid, w.keys.first, w.keys.last};
    out.push_back(Target{
        "check_key",
        "camrelay::check_key(secrets, key, \"cam1\", policy, now, loggable)",
        {"valid", "mac_first", "mac_last"},
        keys,
        kThreePairs,
        [&w](const Slot& s) {
            return static_cast<int>(check_key(w.secrets, view(s), "cam1", w.policy, kNow, w.loggable));
        },
        {static_cast<int>(KeyVerdict::allowed), static_cast<int>(KeyVerdict::bad_signature),
         static_cast<int>(KeyVerdict::bad_signature)},
    });
    std::vector<std::string> urls;
    for (const auto& k : keys) urls.push_back("/cam1/live?k=" + k);
    out.push_back(Target{
        "decide",
        "Relay::decide(decision, \"/cam1/live?k=KEY\", \"\", now) into a reused Decision",
        {"pass", "fail_first", "fail_last"},
        urls,
        kThreePairs,
        [&w](const Slot& s) {
            w.relay.decide(w.decision, view(s), "", kNow);
            return static_cast<int>(w.decision.outcome);
        },
        {static_cast<int>(Outcome::allowed), static_cast<int>(Outcome::key_bad_signature),
         static_cast<int>(Outcome::key_bad_signature)},
    });
    // The presented MACs as raw bytes: these targets time the MAC step only.
    std::vector<std::string> macs;
    for (const auto& k : keys) {
        const Digest d = mac_of(k);
        macs.emplace_back(reinterpret_cast<const char*>(d.data()), d.size());
    }
    auto mac_step = [&w](bool (*equal)(const Digest&, const Digest&)) {
        return [&w, equal](const Slot& s) {
            Digest presented;
            std::memcpy(presented.data(), s.bytes, presented.size());
            const auto expected = w.secrets.mac("s1", w.message);
            return expected && equal(*expected, presented) ? 1 : 0;
        };
    };
    out.push_back(Target{
        "ct_compare",
        "HmacKey::mac of the key's message, then constant_time_equal (CRYPTO_memcmp)",
        {"valid", "mac_first", "mac_last"},
        macs,
        {{0, 1, true}, {0, 2, true}, {1, 2, true}},
        mac_step([](const Digest& a, const Digest& b) { return constant_time_equal(a, b); }),
        {1, 0, 0},
    });
    out.push_back(Target{
        "leaky_compare",
        "HmacKey::mac, then a byte loop that stops at the first difference (deliberately leaky)",
        {"mac_first", "mac_last"},
        {macs[1], macs[2]},
        {{0, 1, true}},
        mac_step(leaky_equal),
        {0, 0},
    });
    return out;
}

// --- measuring

struct PairResult {
    double max_t = 0;
    int at_test = kCrops;
    double diff_ns = 0;  // mean(a) - mean(b) in that test
    double se_ns = 0;    // its standard error
};

struct TargetResult {
    std::vector<PairResult> pairs;
    std::vector<double> mean_ns;    // per class, its calls below its own 90th percentile
    std::vector<double> median_ns;  // per class, of the first batch
    std::uint64_t per_class = 0;
    double seconds = 0;
};

class Measurer {
public:
    Measurer(std::uint64_t seed, double ticks_per_ns) : rng_(seed), ticks_per_ns_(ticks_per_ns) {}

    TargetResult measure(const Target& t, std::uint64_t per_class) {
        const int classes = static_cast<int>(t.class_names.size());
        const double start = wall_ns();
        // The first batch: warms everything up and sets the crops.
        std::vector<double> thresholds(kCrops);
        std::vector<double> medians(static_cast<std::size_t>(classes));
        std::vector<double> own_p90(static_cast<std::size_t>(classes));
        {
            run_batch(t, kBatchPerClass);
            std::vector<double> all(times_.begin(), times_.end());
            std::sort(all.begin(), all.end());
            for (int i = 0; i < kCrops; ++i)
                thresholds[static_cast<std::size_t>(i)] =
                    all[static_cast<std::size_t>(crop_fraction(i) * static_cast<double>(all.size() - 1))];
            for (int c = 0; c < classes; ++c) {
                std::vector<double> mine;
                for (std::size_t i = 0; i < times_.size(); ++i)
                    if (classes_[i] == c) mine.push_back(static_cast<double>(times_[i]));
                std::nth_element(mine.begin(), mine.begin() + static_cast<std::ptrdiff_t>(mine.size() / 2), mine.end());
                medians[static_cast<std::size_t>(c)] = mine[mine.size() / 2] / ticks_per_ns_;
                std::nth_element(mine.begin(), mine.begin() + static_cast<std::ptrdiff_t>(mine.size() * 9 / 10),
                                 mine.end());
                own_p90[static_cast<std::size_t>(c)] = mine[mine.size() * 9 / 10];
            }
        }
        std::vector<Moments> m(static_cast<std::size_t>(classes * kTests));
        std::vector<Moments> own(static_cast<std::size_t>(classes));  // for the times shown
        std::uint64_t done = 0;
        while (done < per_class) {
            const std::uint64_t batch = std::min<std::uint64_t>(kBatchPerClass, per_class - done);
            run_batch(t, batch);
            for (std::size_t i = 0; i < times_.size(); ++i) {
                const double x = static_cast<double>(times_[i]);
                Moments* row = &m[static_cast<std::size_t>(classes_[i] * kTests)];
                row[kCrops].add(x);
                if (x <= own_p90[static_cast<std::size_t>(classes_[i])])
                    own[static_cast<std::size_t>(classes_[i])].add(x);
                for (int c = 0; c < kCrops; ++c)
                    if (x < thresholds[static_cast<std::size_t>(c)]) row[c].add(x);
            }
            done += batch;
        }
        TargetResult r;
        r.per_class = per_class;
        r.median_ns = medians;
        for (int c = 0; c < classes; ++c) r.mean_ns.push_back(own[static_cast<std::size_t>(c)].mean / ticks_per_ns_);
        for (const Pair& p : t.pairs) {
            PairResult pr;
            for (int test = 0; test < kTests; ++test) {
                const Moments& a = m[static_cast<std::size_t>(p.a * kTests + test)];
                const Moments& b = m[static_cast<std::size_t>(p.b * kTests + test)];
                if (a.n < kMinPerClass || b.n < kMinPerClass) continue;
                const double tv = std::fabs(welch_t(a, b));
                if (tv > pr.max_t) {
                    pr.max_t = tv;
                    pr.at_test = test;
                    pr.diff_ns = (a.mean - b.mean) / ticks_per_ns_;
                    pr.se_ns = std::fabs(pr.diff_ns) / tv;
                }
            }
            r.pairs.push_back(pr);
        }
        r.seconds = (wall_ns() - start) / 1e9;
        return r;
    }

private:
    static constexpr std::uint64_t kBatchPerClass = 1000;

    // `per_class` measurements of each class in a random order, each input
    // in its own slot; the times in times_, the classes in classes_.
    void run_batch(const Target& t, std::uint64_t per_class) {
        const std::size_t classes = t.class_names.size();
        const std::size_t n = static_cast<std::size_t>(per_class) * classes;
        classes_.resize(n);
        for (std::size_t i = 0; i < n; ++i) classes_[i] = static_cast<int>(i % classes);
        std::shuffle(classes_.begin(), classes_.end(), rng_);
        slots_.resize(n);
        for (std::size_t i = 0; i < n; ++i) {
            const std::string& in = t.inputs[static_cast<std::size_t>(classes_[i])];
            std::memcpy(slots_[i].bytes, in.data(), in.size());
            slots_[i].size = in.size();
        }
        times_.resize(n);
        int sink = 0;
        for (std::size_t i = 0; i < n; ++i) {
            const std::uint64_t t0 = clock_start();
            sink += t.run(slots_[i]);
            const std::uint64_t t1 = clock_stop();
            times_[i] = t1 - t0;
        }
        sink_ = sink_ + sink;
    }

    std::mt19937_64 rng_;
    double ticks_per_ns_;
    std::vector<int> classes_;
    std::vector<Slot> slots_;
    std::vector<std::uint64_t> times_;

public:
    volatile int sink_ = 0;
};

[[noreturn]] void usage(const char* why) {
    std::fprintf(stderr,
                 "dudect_key: %s\n"
                 "usage: dudect_key [--measurements N] [--target NAME]... [--threshold T] [--bound T --attempts K]\n"
                 "                  [--expect-leak T] [--json FILE] [--seed S]\n"
                 "targets: check_key decide ct_compare leaky_compare\n",
                 why);
    std::exit(2);
}

double number_arg(int& i, int argc, char** argv) {
    if (i + 1 >= argc) usage("an option lacks its value");
    char* end = nullptr;
    const double v = std::strtod(argv[++i], &end);
    if (end == argv[i] || *end != '\0' || !(v > 0)) usage("a value must be a positive number");
    return v;
}

std::string json_escape(std::string_view s) {
    std::string out;
    for (char c : s) {
        if (c == '"' || c == '\\') out += '\\';
        out += c;
    }
    return out;
}

}  // namespace

int main(int argc, char** argv) {
    std::uint64_t per_class = 1000000;
    double threshold = 4.5;
    double bound = 0;
    int attempts = 1;
    double expect_leak = 0;
    std::uint64_t seed = std::random_device{}();
    std::string json_path;
    std::vector<std::string> wanted;
    for (int i = 1; i < argc; ++i) {
        const std::string_view a = argv[i];
        if (a == "--measurements") {
            per_class = static_cast<std::uint64_t>(number_arg(i, argc, argv));
        } else if (a == "--threshold") {
            threshold = number_arg(i, argc, argv);
        } else if (a == "--bound") {
            bound = number_arg(i, argc, argv);
        } else if (a == "--attempts") {
            attempts = static_cast<int>(number_arg(i, argc, argv));
        } else if (a == "--expect-leak") {
            expect_leak = number_arg(i, argc, argv);
        } else if (a == "--seed") {
            seed = static_cast<std::uint64_t>(number_arg(i, argc, argv));
        } else if (a == "--target") {
            if (i + 1 >= argc) usage("--target lacks its value");
            wanted.emplace_back(argv[++i]);
        } else if (a == "--json") {
            if (i + 1 >= argc) usage("--json lacks its value");
            json_path = argv[++i];
        } else if (a == "--help" || a == "-h") {
            usage("a dudect-style constant-time test of the key check");
        } else {
            usage(("unknown argument " + std::string(a)).c_str());
        }
    }
    if (bound == 0) bound = threshold;
    if (per_class < 20000) usage("--measurements: at least 20000 per class");

    World world;
    std::vector<Target> targets = make_targets(world);
    if (!wanted.empty()) {
        std::vector<Target> chosen;
        for (const auto& name : wanted) {
            auto it = std::find_if(targets.begin(), targets.end(), [&](const Target& t) { return t.name == name; });
            if (it == targets.end()) usage(("unknown target " + name).c_str());
            chosen.push_back(*it);
        }
        targets = std::move(chosen);
    }
    // Each class gives what it must, or the test would compare the wrong
    // things.
    for (const Target& t : targets) {
        for (std::size_t c = 0; c < t.inputs.size(); ++c) {
            Slot s{};
            std::memcpy(s.bytes, t.inputs[c].data(), t.inputs[c].size());
            s.size = t.inputs[c].size();
            if (t.run(s) != t.expected[c]) {
                std::fprintf(stderr, "dudect_key: %s: class %s does not give what it must\n", t.name.c_str(),
                             t.class_names[c].c_str());
                return 1;
            }
        }
    }

    const double tpn = ticks_per_ns();
    const ClockInfo ci = clock_info();
    std::printf(
        "dudect_key: %llu measurements per class, %s: %.3f ticks/ns, steps of %llu ticks, %llu ticks to read "
        "it twice; seed %llu\n",
        static_cast<unsigned long long>(per_class), kClockName, tpn, static_cast<unsigned long long>(ci.step),
        static_cast<unsigned long long>(ci.overhead), static_cast<unsigned long long>(seed));
    std::printf("held pairs: |t| < %.1f (the threshold); failing over %.1f on %d attempt(s) in a row\n", threshold,
                bound, attempts);
    Measurer measurer(seed, tpn);
    bool failed = false;
    std::string json =
        "{\"measurements_per_class\":" + std::to_string(per_class) + ",\"clock\":\"" + kClockName +
        "\",\"ticks_per_ns\":" + std::to_string(tpn) + ",\"clock_step_ticks\":" + std::to_string(ci.step) +
        ",\"clock_overhead_ticks\":" + std::to_string(ci.overhead) + ",\"seed\":" + std::to_string(seed) +
        ",\"threshold\":" + std::to_string(threshold) + ",\"targets\":[";
    for (std::size_t ti = 0; ti < targets.size(); ++ti) {
        const Target& t = targets[ti];
        const bool leak_check = t.name == "leaky_compare";
        TargetResult r;
        int attempt = 0;
        bool held = false;
        // An attempt holds when every held pair is under the bound
        // (for leaky_compare: when its pair is above expect_leak).
        while (attempt < attempts && !held) {
            ++attempt;
            r = measurer.measure(t, per_class);
            held = true;
            for (std::size_t p = 0; p < t.pairs.size(); ++p) {
                if (!t.pairs[p].held) continue;
                if (leak_check && expect_leak > 0 && r.pairs[p].max_t <= expect_leak) held = false;
                if (!leak_check && r.pairs[p].max_t >= bound) held = false;
            }
            if (!held && attempt < attempts)
                std::printf("  %s: attempt %d over the bound, measuring again\n", t.name.c_str(), attempt);
        }
        std::printf("\n%s: %s (%.1f s, attempt %d)\n", t.name.c_str(), t.what.c_str(), r.seconds, attempt);
        for (std::size_t c = 0; c < t.class_names.size(); ++c)
            std::printf("  %-11s mean %7.1f ns (its calls below its 90th percentile)  median %7.1f ns (first batch)\n",
                        t.class_names[c].c_str(), r.mean_ns[c], r.median_ns[c]);
        json += std::string(ti ? "," : "") + "{\"name\":\"" + t.name + "\",\"what\":\"" + json_escape(t.what) +
                "\",\"seconds\":" + std::to_string(r.seconds) + ",\"attempts\":" + std::to_string(attempt) +
                ",\"classes\":[";
        for (std::size_t c = 0; c < t.class_names.size(); ++c)
            json += std::string(c ? "," : "") + "{\"name\":\"" + t.class_names[c] +
                    "\",\"mean_ns\":" + std::to_string(r.mean_ns[c]) +
                    ",\"median_ns\":" + std::to_string(r.median_ns[c]) + "}";
        json += "],\"pairs\":[";
        for (std::size_t p = 0; p < t.pairs.size(); ++p) {
            const Pair& pair = t.pairs[p];
            const PairResult& pr = r.pairs[p];
            std::string verdict;
            if (leak_check) {
                verdict = pr.max_t > threshold ? "leak found (as it must)" : "LEAK NOT FOUND";
            } else if (!pair.held) {
                verdict = pr.max_t < threshold ? "same time" : "differ (the answers differ)";
            } else {
                verdict = pr.max_t < threshold ? "no leak found" : "OVER THE THRESHOLD";
            }
            std::printf("  %-11s vs %-11s max |t| %8.2f (%-5s) mean diff %+7.2f ± %.2f ns  %s\n",
                        t.class_names[static_cast<std::size_t>(pair.a)].c_str(),
                        t.class_names[static_cast<std::size_t>(pair.b)].c_str(), pr.max_t,
                        test_name(pr.at_test).c_str(), pr.diff_ns, pr.se_ns, verdict.c_str());
            json += std::string(p ? "," : "") + "{\"a\":\"" + t.class_names[static_cast<std::size_t>(pair.a)] +
                    "\",\"b\":\"" + t.class_names[static_cast<std::size_t>(pair.b)] +
                    "\",\"held\":" + (pair.held ? "true" : "false") + ",\"max_t\":" + std::to_string(pr.max_t) +
                    ",\"test\":\"" + test_name(pr.at_test) + "\",\"diff_ns\":" + std::to_string(pr.diff_ns) +
                    ",\"se_ns\":" + std::to_string(pr.se_ns) + "}";
        }
        json += "]}";
        if (!held) {
            failed = true;
            if (leak_check)
                std::printf(
                    "  FAIL: the deliberate leak was not found (|t| <= %.1f) in %d attempt(s): the harness "
                    "cannot be trusted on this machine now\n",
                    expect_leak, attempt);
            else
                std::printf("  FAIL: a held pair over %.1f in %d attempt(s) in a row\n", bound, attempt);
        }
    }
    json += "]}\n";
    if (!json_path.empty()) {
        FILE* f = std::fopen(json_path.c_str(), "w");
        if (f == nullptr || std::fputs(json.c_str(), f) < 0 || std::fclose(f) != 0) {
            std::fprintf(stderr, "dudect_key: cannot write %s\n", json_path.c_str());
            return 1;
        }
    }
    std::printf("\n%s\n", failed ? "dudect_key: FAILED" : "dudect_key: ok");
    return failed ? 1 : 0;
}
