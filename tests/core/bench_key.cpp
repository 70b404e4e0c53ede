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

void BM_CheckKeyValid(benchmark::State& state) {
    Fixture f;
    for (auto _ : state) {
        auto v = check_key(f.secrets, f.good, "cam1", f.policy, kNow);
        benchmark::DoNotOptimize(v);
        if (v != KeyVerdict::allowed) state.SkipWithError("not allowed");
    }
}
BENCHMARK(BM_CheckKeyValid);

void BM_CheckKeyBadSignature(benchmark::State& state) {
    Fixture f;
    for (auto _ : state) {
        auto v = check_key(f.secrets, f.bad, "cam1", f.policy, kNow);
        benchmark::DoNotOptimize(v);
        if (v != KeyVerdict::bad_signature) state.SkipWithError("not bad_signature");
    }
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

void BM_RelayDecide(benchmark::State& state) {
    Fixture f;
    Registry reg = parse_registry(
        "camera cam1 port=18080\ncamera cam2 port=18081\ncamera front-door socket=/run/camrelay/fd.sock\n",
        "cameras.conf");
    Relay relay(std::move(reg), std::move(f.secrets), RouteConfig{});
    const std::string url = "/cam1/stream?quality=high&k=" + f.good + "&t=12345";
    for (auto _ : state) {
        Decision d = relay.decide(url, "relay.example.com", kNow);
        benchmark::DoNotOptimize(d);
        if (!d.allowed()) state.SkipWithError("not allowed");
    }
}
BENCHMARK(BM_RelayDecide);

// The same with one Decision reused, as the VMOD does per worker thread.
void BM_RelayDecideReused(benchmark::State& state) {
    Fixture f;
    Registry reg = parse_registry(
        "camera cam1 port=18080\ncamera cam2 port=18081\ncamera front-door socket=/run/camrelay/fd.sock\n",
        "cameras.conf");
    Relay relay(std::move(reg), std::move(f.secrets), RouteConfig{});
    const std::string url = "/cam1/stream?quality=high&k=" + f.good + "&t=12345";
    Decision d;
    for (auto _ : state) {
        relay.decide(d, url, "relay.example.com", kNow);
        benchmark::DoNotOptimize(d);
        if (!d.allowed()) state.SkipWithError("not allowed");
    }
}
BENCHMARK(BM_RelayDecideReused);

}  // namespace

BENCHMARK_MAIN();
