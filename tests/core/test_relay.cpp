// The whole decision: outcomes, reasons, status codes, viewer counting.
#include <gtest/gtest.h>

#include <atomic>
#include <set>
#include <thread>

#include "camrelay/relay.hpp"
#include "test_util.hpp"

using namespace camrelay;

namespace {

constexpr std::int64_t kNow = 1700000100;
const std::string kHex1 = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";
const std::string kKey = "v1.cam1.s1.1700000000.1700003600.OQZ4Gy41w2zPnGiH3BsBSMXYgCK2j-G5iizvEtHiqjc";
const std::string kMac = "OQZ4Gy41w2zPnGiH3BsBSMXYgCK2j-G5iizvEtHiqjc";

const std::string kCameras =
    "camera cam1 port=18080\n"
    "camera cam2 port=18081 revoke-before=1700000001\n"
    "camera old socket=/run/camrelay/old.sock legacy-sha256=d7ecdf25eaf3deba0f2628771dbdd22d4138ab6cf38f91ed02a2ca0dec7c8ab7\n";

Secret s1() { return Secret{"s1", test::bytes_0_to_31(), true}; }

class RelayTest : public ::testing::Test {
protected:
    RelayTest() : relay(make()) {}
    static Relay make() {
        SecretSet secrets;
        secrets.add(s1());
        RouteConfig route;
        route.host_suffix = "relay.example.com";
        return Relay(parse_registry(kCameras, "cameras.conf"), std::move(secrets), route);
    }
    Decision decide(const std::string& url, std::int64_t now = kNow, bool require_key = true) const {
        return relay.decide(url, "relay.example.com", now, require_key);
    }
    Relay relay;
};

void expect_safe(const Decision& d, const std::string& key) {
    EXPECT_FALSE(d.reason.empty());
    EXPECT_EQ(d.reason.find(kMac), std::string::npos);
    EXPECT_EQ(d.key_for_log.find(kMac), std::string::npos);
    if (key.size() > 3) {
        EXPECT_EQ(d.reason.find(key), std::string::npos);
        if (key.rfind("v1.", 0) != 0) {
            EXPECT_EQ(d.key_for_log.find(key), std::string::npos);
        }
    }
}

}  // namespace

TEST(Outcomes, NamesStatusesAndVerdictMapping) {
    const std::pair<Outcome, std::pair<const char*, int>> table[] = {
        {Outcome::allowed, {"allowed", 200}},
        {Outcome::bad_request, {"bad_request", 400}},
        {Outcome::unknown_camera, {"unknown_camera", 404}},
        {Outcome::key_missing, {"key_missing", 403}},
        {Outcome::key_malformed, {"key_malformed", 400}},
        {Outcome::key_unknown_secret, {"key_unknown_secret", 403}},
        {Outcome::key_bad_signature, {"key_bad_signature", 403}},
        {Outcome::key_expired, {"key_expired", 403}},
        {Outcome::key_wrong_camera, {"key_wrong_camera", 403}},
        {Outcome::key_revoked, {"key_revoked", 403}},
        {Outcome::too_many_viewers, {"too_many_viewers", 429}},
        {Outcome::offline, {"offline", 503}},
        {Outcome::too_many_viewers_for_key, {"too_many_viewers_for_key", 429}},
        {Outcome::too_many_viewers_for_address, {"too_many_viewers_for_address", 429}},
    };
    static_assert(std::size(table) == kOutcomeCount);
    std::set<std::string_view> names;
    for (const auto& [o, expect] : table) {
        EXPECT_EQ(to_string(o), expect.first);
        EXPECT_STREQ(outcome_name(o), expect.first);  // the VMOD hands it to VCL as is
        EXPECT_EQ(http_status(o), expect.second) << expect.first;
        names.insert(to_string(o));
    }
    EXPECT_EQ(names.size(), static_cast<std::size_t>(kOutcomeCount));
    EXPECT_EQ(from_key_verdict(KeyVerdict::allowed), Outcome::allowed);
    EXPECT_EQ(from_key_verdict(KeyVerdict::missing), Outcome::key_missing);
    EXPECT_EQ(from_key_verdict(KeyVerdict::malformed), Outcome::key_malformed);
    EXPECT_EQ(from_key_verdict(KeyVerdict::unknown_secret), Outcome::key_unknown_secret);
    EXPECT_EQ(from_key_verdict(KeyVerdict::bad_signature), Outcome::key_bad_signature);
    EXPECT_EQ(from_key_verdict(KeyVerdict::expired), Outcome::key_expired);
    EXPECT_EQ(from_key_verdict(KeyVerdict::wrong_camera), Outcome::key_wrong_camera);
    EXPECT_EQ(from_key_verdict(KeyVerdict::revoked), Outcome::key_revoked);
}

TEST_F(RelayTest, Allowed) {
    Decision d = decide("/cam1/stream?k=" + kKey + "&q=1");
    EXPECT_TRUE(d.allowed());
    EXPECT_EQ(d.outcome, Outcome::allowed);
    ASSERT_NE(d.camera, nullptr);
    EXPECT_EQ(d.camera->id, "cam1");
    EXPECT_EQ(d.url, "/stream?q=1");
    EXPECT_EQ(d.key_for_log, "v1.cam1.s1.1700000000.1700003600.*");
    expect_safe(d, kKey);
    // Via the Host header too.
    d = relay.decide("/?k=" + kKey, "cam1.relay.example.com", kNow, true);
    EXPECT_TRUE(d.allowed());
    EXPECT_EQ(d.url, "/");
}

TEST_F(RelayTest, EveryKeyOutcome) {
    struct Case {
        std::string url;
        std::int64_t now;
        Outcome outcome;
        const char* reason;
    };
    std::string other = issue_key(Secret{"s9", test::bytes_0_to_31(), false}, "cam1", 1700000000, 1700003600);
    std::string bad_sig = kKey;
    bad_sig.back() = 'g';
    const Case cases[] = {
        {"/cam1/", kNow, Outcome::key_missing, "key missing"},
        {"/cam1/?k=", kNow, Outcome::key_malformed, "empty key"},
        {"/cam1/?k=" + kKey + "&k=" + kKey, kNow, Outcome::key_malformed, "more than one key"},
        {"/cam1/?k=v1.nonsense", kNow, Outcome::key_malformed, "key malformed"},
        {"/cam1/?k=open-sesame", kNow, Outcome::key_malformed, "key malformed"},  // no legacy key on cam1
        {"/cam1/?k=" + other, kNow, Outcome::key_unknown_secret, "key signed with an unknown secret"},
        {"/cam1/?k=" + bad_sig, kNow, Outcome::key_bad_signature, "key signature invalid"},
        {"/cam1/?k=" + kKey, 1700003600, Outcome::key_expired, "key expired"},
        {"/cam2/?k=" + kKey, kNow, Outcome::key_wrong_camera, "key is for another camera"},
        {"/cam1/?k=" + kKey, 1700003599, Outcome::allowed, "ok"},
        {"/old/?k=open-sesame", kNow, Outcome::allowed, "ok"},
        {"/old/?k=open-sesamE", kNow, Outcome::key_bad_signature, "key signature invalid"},
    };
    for (const Case& c : cases) {
        Decision d = decide(c.url, c.now);
        EXPECT_EQ(to_string(d.outcome), to_string(c.outcome)) << c.url;
        EXPECT_EQ(d.reason, c.reason) << c.url;
        ASSERT_NE(d.camera, nullptr) << c.url;  // routing succeeded
        expect_safe(d, c.url.substr(c.url.find('=') + 1));
    }
    // Revocation: cam2 revokes keys issued before 1700000001.
    std::string cam2_key = issue_key(s1(), "cam2", 1700000000, 1700003600);
    Decision d = decide("/cam2/?k=" + cam2_key);
    EXPECT_EQ(d.outcome, Outcome::key_revoked);
    EXPECT_EQ(d.reason, "key revoked");
    EXPECT_EQ(decide("/cam2/?k=" + issue_key(s1(), "cam2", 1700000001, 1700003600)).outcome, Outcome::allowed);
}

TEST_F(RelayTest, RoutingRefusals) {
    Decision d = decide("/index.html?k=" + kKey);
    EXPECT_EQ(d.outcome, Outcome::bad_request);
    EXPECT_EQ(d.reason, "invalid camera id");
    EXPECT_EQ(d.camera, nullptr);
    EXPECT_EQ(d.key_for_log, "v1.cam1.s1.1700000000.1700003600.*");
    d = decide("/cam9/x");
    EXPECT_EQ(d.outcome, Outcome::unknown_camera);
    EXPECT_EQ(http_status(d.outcome), 404);
    EXPECT_EQ(d.reason, "camera cam9 is not registered");
    d = decide("no-slash");
    EXPECT_EQ(d.outcome, Outcome::bad_request);
    d = relay.decide("/cam1/?k=" + kKey, std::string(10 * 1024, 'h'), kNow, true);
    EXPECT_EQ(d.outcome, Outcome::bad_request);
    EXPECT_EQ(d.reason, "Host header longer than 255 bytes");
    d = decide("/cam1/?k=%zz");
    EXPECT_EQ(d.outcome, Outcome::bad_request);
}

TEST_F(RelayTest, RequireKeyFalseOnlyRoutes) {
    Decision d = decide("/cam1/index.html", kNow, false);
    EXPECT_TRUE(d.allowed());
    EXPECT_EQ(d.url, "/index.html");
    EXPECT_TRUE(decide("/cam1/?k=garbage&k=more", kNow, false).allowed());
    EXPECT_EQ(decide("/cam9/", kNow, false).outcome, Outcome::unknown_camera);
    EXPECT_EQ(decide("/a b", kNow, false).outcome, Outcome::bad_request);
}

TEST_F(RelayTest, HugeKeys) {
    std::string huge(8000, 'A');
    Decision d = decide("/cam1/?k=" + huge);
    EXPECT_EQ(d.outcome, Outcome::key_malformed);
    EXPECT_EQ(d.key_for_log, "malformed(len=8000)");
    EXPECT_EQ(decide("/cam1/?k=" + std::string(10 * 1024, 'A')).outcome, Outcome::bad_request);
    d = decide("/old/?k=" + huge);
    EXPECT_EQ(d.outcome, Outcome::key_malformed);
    d = decide("/old/?k=" + std::string(kMaxKeyLength, 'A'));
    EXPECT_EQ(d.outcome, Outcome::key_bad_signature);
    EXPECT_EQ(d.key_for_log, "legacy(len=256)");
}

TEST(RelayConstruction, RefusesKAsTheCameraParameter) {
    RouteConfig route;
    route.query_param = "k";
    EXPECT_THROW(Relay(Registry{}, SecretSet{}, route), std::invalid_argument);
    route.query_param = "";
    EXPECT_THROW(Relay(Registry{}, SecretSet{}, route), std::invalid_argument);
}

TEST(RelayLoad, FromADirectory) {
    test::TempDir dir;
    dir.write("cameras.conf", kCameras + "default cam1\n");
    dir.write("secrets.conf", "s1 " + kHex1 + " primary\n", 0640);
    auto relay = Relay::load(dir.path(), RouteConfig{});
    ASSERT_NE(relay, nullptr);
    EXPECT_EQ(relay->registry().cameras.size(), 3u);
    EXPECT_EQ(relay->secrets().all().size(), 1u);
    Decision d = relay->decide("/live?k=" + kKey, "", kNow);
    EXPECT_TRUE(d.allowed()) << d.reason;
    EXPECT_EQ(d.camera->id, "cam1");
    EXPECT_EQ(d.url, "/live");
    // Trailing slash, no secrets file.
    test::TempDir legacy_only;
    legacy_only.write("cameras.conf", kCameras);
    auto r2 = Relay::load(legacy_only.path() + "/", RouteConfig{});
    EXPECT_TRUE(r2->secrets().empty());
    EXPECT_TRUE(r2->decide("/old/?k=open-sesame", "", kNow).allowed());
    EXPECT_EQ(r2->decide("/cam1/?k=" + kKey, "", kNow).outcome, Outcome::key_unknown_secret);
    // Errors.
    ::chmod(dir.file("secrets.conf").c_str(), 0644);
    EXPECT_THROW(Relay::load(dir.path(), RouteConfig{}), ConfigError);
    test::TempDir empty;
    EXPECT_THROW(Relay::load(empty.path(), RouteConfig{}), ConfigError);  // no cameras.conf
}

TEST(ViewerCounter, CountsPerCamera) {
    ViewerCounter v;
    EXPECT_EQ(v.live("cam1"), 0u);
    EXPECT_TRUE(v.try_acquire("cam1", 2));
    EXPECT_TRUE(v.try_acquire("cam1", 2));
    EXPECT_FALSE(v.try_acquire("cam1", 2));
    EXPECT_EQ(v.live("cam1"), 2u);
    EXPECT_TRUE(v.try_acquire("cam2", 1));
    EXPECT_FALSE(v.try_acquire("cam2", 1));
    EXPECT_TRUE(v.try_acquire("cam1", 3));  // a reload raised the limit
    EXPECT_EQ(v.live("cam1"), 3u);
    EXPECT_FALSE(v.try_acquire("cam1", 1));  // lowered: nobody new until below it
    v.release("cam1");
    v.release("cam1");
    EXPECT_EQ(v.live("cam1"), 1u);
    EXPECT_TRUE(v.try_acquire("cam1", 2));
    v.release("cam1");
    v.release("cam1");
    v.release("cam1");  // one too many: stays at zero
    EXPECT_EQ(v.live("cam1"), 0u);
    EXPECT_TRUE(v.try_acquire("cam1", 1));
    v.release("nobody");
    EXPECT_EQ(v.live("nobody"), 0u);
    EXPECT_FALSE(v.try_acquire("cam3", 0));
    EXPECT_EQ(v.live("cam3"), 0u);
}

TEST(ViewerCounter, NeverExceedsTheLimitUnderContention) {
    ViewerCounter v;
    std::atomic<int> over{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < 8; ++t)
        threads.emplace_back([&] {
            for (int i = 0; i < 2000; ++i) {
                if (v.try_acquire("cam1", 3)) {
                    if (v.live("cam1") > 3) ++over;
                    v.release("cam1");
                }
            }
        });
    for (auto& th : threads) th.join();
    EXPECT_EQ(over.load(), 0);
    EXPECT_EQ(v.live("cam1"), 0u);
}

TEST(ViewerCounter, SlotsAreStableAndShareTheCount) {
    ViewerCounter v;
    ViewerCounter::Slot& cam1 = v.slot("cam1");
    for (int i = 0; i < 100; ++i) v.slot("other" + std::to_string(i));  // the map grows; cam1 stays put
    EXPECT_EQ(&v.slot("cam1"), &cam1);
    EXPECT_NE(&v.slot("cam2"), &cam1);
    EXPECT_TRUE(ViewerCounter::try_acquire(cam1, 2));
    EXPECT_TRUE(v.try_acquire("cam1", 2));
    EXPECT_FALSE(ViewerCounter::try_acquire(cam1, 2));
    EXPECT_EQ(v.live("cam1"), 2u);
    EXPECT_EQ(ViewerCounter::live(cam1), 2u);
    v.release("cam1");
    ViewerCounter::release(cam1);
    ViewerCounter::release(cam1);  // one too many: stays at zero
    EXPECT_EQ(ViewerCounter::live(cam1), 0u);
    EXPECT_FALSE(ViewerCounter::try_acquire(cam1, 0));
    EXPECT_EQ(v.live("cam1"), 0u);
}

TEST(ViewerCounter, SlotsNeverExceedTheLimitUnderContention) {
    ViewerCounter v;
    ViewerCounter::Slot& slot = v.slot("cam1");
    std::atomic<int> over{0};
    std::atomic<int> admitted{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < 8; ++t)
        threads.emplace_back([&] {
            for (int i = 0; i < 5000; ++i) {
                if (ViewerCounter::try_acquire(slot, 3)) {
                    ++admitted;
                    if (ViewerCounter::live(slot) > 3) ++over;
                    ViewerCounter::release(slot);
                }
            }
        });
    for (auto& th : threads) th.join();
    EXPECT_EQ(over.load(), 0);
    EXPECT_GT(admitted.load(), 0);
    EXPECT_EQ(v.live("cam1"), 0u);
}
