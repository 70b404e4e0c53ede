// Fuzz target: a request's URL and Host, as varnishd hands them to the
// module: routing (lib/camrelay/routing.hpp), the whole decision
// (Relay::decide) and the viewer slots (Admission). The input is
// "URL\nHOST" (the Host may be absent).
//
// Checks, aborting on any disagreement:
//   - route_request (both forms, one RouteResult reused across inputs as
//     the VMOD reuses it) gives what the reference model gives
//     (tests/core/reference_model.hpp) in several route configurations,
//     with and without a default camera; so do remove_query_param and
//     percent_decode;
//   - an allowed route's URL starts with '/', holds no k= and no byte a
//     request may not carry;
//   - Relay::decide into a reused Decision equals a fresh one and the
//     reference route plus the reference key check;
//   - Admission: an admitted viewer holds a slot, the same key is refused a
//     second one (max one per key), and releasing gives every count back.
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "camrelay/admission.hpp"
#include "camrelay/crypto.hpp"
#include "camrelay/registry.hpp"
#include "camrelay/relay.hpp"
#include "camrelay/routing.hpp"
#include "fuzz_check.hpp"
#include "reference_model.hpp"

using namespace camrelay;
namespace ref = camrelay::test::ref;

namespace {

std::string cameras_conf(bool with_default) {
    return "camera cam1 port=18080\n"
           "camera cam2 port=18081 max-viewers=1 revoke-before=1700000001\n"
           "camera front-door socket=/run/camrelay/front-door.sock legacy-sha256=" +
           hex_encode(sha256("open-sesame")) + "\n" + (with_default ? "default cam2\n" : "");
}

RouteConfig route_config(const char* order, const char* param, const char* suffix) {
    RouteConfig c;
    c.order = parse_route_order(order);
    c.query_param = param;
    c.host_suffix = suffix;
    return c;
}

SecretSet secrets() {
    std::vector<std::uint8_t> s1(kSecretBytes);
    for (std::size_t i = 0; i < s1.size(); ++i) s1[i] = static_cast<std::uint8_t>(i);
    SecretSet set;
    set.add(Secret{"s1", s1, true});
    set.add(Secret{"old", std::vector<std::uint8_t>(kSecretBytes, 7), false});
    return set;
}

struct World {
    std::vector<Registry> registries;
    std::vector<RouteConfig> configs;
    std::vector<std::unique_ptr<Relay>> relays;
    ViewerCounter viewers;
    std::vector<std::unique_ptr<Admission>> admissions;

    World() {
        registries.push_back(parse_registry(cameras_conf(false), "cameras.conf"));
        registries.push_back(parse_registry(cameras_conf(true), "cameras.conf"));
        configs.push_back(RouteConfig{});
        configs.push_back(route_config("path,host,query", "cam", "relay.example.com"));
        configs.push_back(route_config("query,host,path", "camera", ".Relay.Example.com."));
        configs.push_back(route_config("host", "cam", "relay.example.com"));
        configs.push_back(route_config("query", "k", ""));  // refused by Relay, still a route
        relays.push_back(std::make_unique<Relay>(registries[0], secrets(), configs[1]));
        relays.push_back(std::make_unique<Relay>(registries[1], secrets(), configs[2]));
        for (const auto& relay : relays)
            admissions.push_back(std::make_unique<Admission>(*relay, viewers, nullptr, ViewerLimits{1, 2}));
    }
};

World& world() {
    static World w;
    return w;
}

template <class Result>
void check_same_route(const Result& got, const Route& want) {
    FUZZ_CHECK(got.status == want.status);
    FUZZ_CHECK(got.reason == want.reason);
    FUZZ_CHECK(got.camera == want.camera);
    FUZZ_CHECK(got.url == want.url);
    FUZZ_CHECK(got.key == want.key);
    FUZZ_CHECK(got.key_count == want.key_count);
}

void check_routes(std::string_view url, std::string_view host) {
    static RouteResult reused;  // as the VMOD keeps one per worker thread
    for (const Registry& registry : world().registries) {
        for (const RouteConfig& config : world().configs) {
            const Route want = ref::route_request(config, registry, url, host);
            check_same_route(route_request(config, registry, url, host), want);
            route_request(config, registry, url, host, reused);
            check_same_route(reused, want);
            if (want.status == Route::Status::ok) {
                FUZZ_CHECK(want.camera != nullptr && !want.url.empty() && want.url.front() == '/');
                FUZZ_CHECK(!ref::has_forbidden_byte(want.url));
                FUZZ_CHECK(ref::remove_param(want.url, "k").values.empty());
            }
        }
    }
}

void check_query_pieces(std::string_view url) {
    for (std::string_view name : {"k", "cam"}) {
        std::vector<std::string> values;
        const std::string got = remove_query_param(url, name, &values);
        const ref::Removed want = ref::remove_param(url, name);
        FUZZ_CHECK(got == want.url);
        FUZZ_CHECK(values == want.values);
    }
    FUZZ_CHECK(percent_decode(url) == ref::percent_decode(url));
}

// Relay::decide from the reference pieces.
Outcome reference_decision(const Relay& relay, std::string_view url, std::string_view host, std::int64_t now,
                           bool require_key, std::string& key_for_log) {
    const Route r = ref::route_request(relay.route(), relay.registry(), url, host);
    key_for_log = ref::loggable_key(r.key);
    if (r.status != Route::Status::ok)
        return r.status == Route::Status::bad_request ? Outcome::bad_request : Outcome::unknown_camera;
    if (!require_key) return Outcome::allowed;
    if (r.key_count > 1) return Outcome::key_malformed;
    if (r.key_count == 0) return Outcome::key_missing;
    if (r.key.empty()) return Outcome::key_malformed;
    return from_key_verdict(ref::check_key(relay.secrets(), r.key, r.camera->id, r.camera->keys, now));
}

void check_decisions(std::string_view url, std::string_view host) {
    static Decision reused;
    constexpr std::int64_t kNow = 1700000100;
    for (std::size_t i = 0; i < world().relays.size(); ++i) {
        const Relay& relay = *world().relays[i];
        for (bool require_key : {true, false}) {
            const Decision fresh = relay.decide(url, host, kNow, require_key);
            relay.decide(reused, url, host, kNow, require_key);
            FUZZ_CHECK(reused.outcome == fresh.outcome && reused.reason == fresh.reason &&
                       reused.camera == fresh.camera && reused.url == fresh.url &&
                       reused.key_for_log == fresh.key_for_log && reused.key == fresh.key);
            std::string key_for_log;
            FUZZ_CHECK(fresh.outcome == reference_decision(relay, url, host, kNow, require_key, key_for_log));
            FUZZ_CHECK(fresh.key_for_log == key_for_log);
            FUZZ_CHECK(fresh.key.empty() || (require_key && fresh.allowed()));
        }

        // The viewer slots: one per key at most, every count back at zero.
        const Admission& admission = *world().admissions[i];
        Decision d;
        Admitted first = admission.admit(d, url, host, kNow, true, true, "203.0.113.9");
        FUZZ_CHECK(first.holds_viewer == d.allowed());
        if (d.allowed()) {
            FUZZ_CHECK(admission.viewers(first.camera_index) == 1);
            Decision again;
            Admitted second = admission.admit(again, url, host, kNow, true, true, "198.51.100.7");
            FUZZ_CHECK(!again.allowed() && !second.holds_viewer);
            Admission::release(second);
        }
        FUZZ_CHECK(Admission::release(first) == d.allowed());
        FUZZ_CHECK(!Admission::release(first));  // at most once
        if (d.camera != nullptr) FUZZ_CHECK(admission.viewers(first.camera_index) == 0);
        FUZZ_CHECK(world().viewers.holders.size() == 0);
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const auto fields = fuzz::split_fields(fuzz::as_text(data, size), 2);
    const std::string_view url = fields[0];
    const std::string_view host = fields[1];
    check_routes(url, host);
    check_query_pieces(url);
    check_decisions(url, host);
    return 0;
}
