// core_bench: the per-request costs. Not a ctest test; run by hand.
#include <benchmark/benchmark.h>

#include "camrelay/key.hpp"
#include "camrelay/relay.hpp"

using namespace camrelay;

namespace {

std::vector<std::uint8_t> secret_bytes() {
    std::vector<std::uint8_t> v(32);
    for (int i = 0; i < 32; ++i) v[static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(i);
    return v;
}

constexpr std::int64_t kNow = 1700000100;
constexpr const char* kCameras =
    "camera cam1 port=18080\ncamera cam2 port=18081\ncamera front-door socket=/run/camrelay/fd.sock\n";

struct Fixture {
    SecretSet secrets;
    KeyPolicy policy;
    std::string good;
    std::string bad;
    Fixture() {
        Secret s{"s1", secret_bytes(), true};
        good = issue_key(s, "cam1", 1700000000, 1700003600);
        bad = good;
        bad[bad.size() - 10] = bad[bad.size() - 10] == 'A' ? 'B' : 'A';
        secrets.add(std::move(s));
        secrets.add(Secret{"old", std::vector<std::uint8_t>(32, 7), false});
    }
};

// check_key on one of the fixture's keys, which must come out `expected`.
void check_key_loop(benchmark::State& state, std::string Fixture::*key, KeyVerdict expected, const char* otherwise) {
    Fixture f;
    const std::string& k = f.*key;
    for (auto _ : state) {
        auto v = check_key(f.secrets, k, "cam1", f.policy, kNow);
        benchmark::DoNotOptimize(v);
        if (v != expected) state.SkipWithError(otherwise);
    }
}

void BM_CheckKeyValid(benchmark::State& state) {
    check_key_loop(state, &Fixture::good, KeyVerdict::allowed, "not allowed");
}
BENCHMARK(BM_CheckKeyValid);

void BM_CheckKeyBadSignature(benchmark::State& state) {
    check_key_loop(state, &Fixture::bad, KeyVerdict::bad_signature, "not bad_signature");
}
BENCHMARK(BM_CheckKeyBadSignature);

// The HMAC alone, for comparison with the checks above.
void BM_HmacKeyMac(benchmark::State& state) {
    HmacKey key(secret_bytes());
    const std::string message = key_message("cam1", "s1", 1700000000, 1700003600);
    for (auto _ : state) {
        Digest d = key.mac(message);
        benchmark::DoNotOptimize(d);
    }
}
BENCHMARK(BM_HmacKeyMac);

// A relay of three cameras with the fixture's secrets, and a URL it allows.
struct RelayFixture {
    Fixture f;
    Relay relay{parse_registry(kCameras, "cameras.conf"), std::move(f.secrets), RouteConfig{}};
    std::string url = "/cam1/stream?quality=high&k=" + f.good + "&t=12345";
};

void BM_RelayDecide(benchmark::State& state) {
    RelayFixture r;
    for (auto _ : state) {
        Decision d = r.relay.decide(r.url, "relay.example.com", kNow);
        benchmark::DoNotOptimize(d);
        if (!d.allowed()) state.SkipWithError("not allowed");
    }
}
BENCHMARK(BM_RelayDecide);

// The same with one Decision reused, as the VMOD does per worker thread.
void BM_RelayDecideReused(benchmark::State& state) {
    RelayFixture r;
    Decision d;
    for (auto _ : state) {
        r.relay.decide(d, r.url, "relay.example.com", kNow);
        benchmark::DoNotOptimize(d);
        if (!d.allowed()) state.SkipWithError("not allowed");
    }
}
BENCHMARK(BM_RelayDecideReused);

}  // namespace

BENCHMARK_MAIN();
