// Relay::recheck: what the VMOD's watcher asks of every live viewer, against
// the newest configuration (expiry, revocation, retired secret, removed
// camera), and what it leaves alone.
#include <gtest/gtest.h>

#include <string>

#include "camrelay/relay.hpp"
#include "test_util.hpp"

using namespace camrelay;

namespace {

constexpr std::int64_t kIssued = 1700000000;
constexpr std::int64_t kExpires = 1700003600;
constexpr std::int64_t kNow = 1700000100;

Secret secret(const std::string& id, std::uint8_t first = 0, bool primary = false) {
    Secret s{id, test::bytes_0_to_31(), primary};
    s.bytes[0] = first;
    return s;
}

Relay make(const std::string& cameras, const std::vector<Secret>& secrets) {
    SecretSet set;
    for (const auto& s : secrets) set.add(s);
    return Relay(parse_registry(cameras, "cameras.conf"), std::move(set), RouteConfig{});
}

const std::string kTwoCameras = "camera cam1 port=18080\ncamera cam2 port=18081\n";

}  // namespace

TEST(Recheck, AllowedKeyStaysAllowedUntilItExpires) {
    const Relay relay = make(kTwoCameras, {secret("s1", 0, true)});
    const std::string key = issue_key(secret("s1"), "cam1", kIssued, kExpires);
    EXPECT_EQ(relay.recheck("cam1", key, kNow), Outcome::allowed);
    EXPECT_EQ(relay.recheck("cam1", key, kExpires - 1), Outcome::allowed);
    EXPECT_EQ(relay.recheck("cam1", key, kExpires), Outcome::key_expired);
    EXPECT_EQ(relay.recheck("cam1", key, kExpires + 100), Outcome::key_expired);
}

TEST(Recheck, DecideHandsOverTheKeyOnlyWhenAllowed) {
    const Relay relay = make(kTwoCameras, {secret("s1", 0, true)});
    const std::string key = issue_key(secret("s1"), "cam1", kIssued, kExpires);
    Decision d = relay.decide("/cam1/?k=" + key, "", kNow);
    ASSERT_TRUE(d.allowed());
    EXPECT_EQ(d.key, key);
    relay.decide(d, "/cam1/?k=" + key, "", kExpires);
    EXPECT_EQ(d.outcome, Outcome::key_expired);
    EXPECT_EQ(d.key, "");
    relay.decide(d, "/cam1/", "", kNow, false);
    EXPECT_TRUE(d.allowed());
    EXPECT_EQ(d.key, "");
}

TEST(Recheck, CameraRevokedCutsOnlyItsOlderKeys) {
    const std::string key1 = issue_key(secret("s1"), "cam1", kIssued, kExpires);
    const std::string key2 = issue_key(secret("s1"), "cam2", kIssued, kExpires);
    const std::string newer = issue_key(secret("s1"), "cam1", kIssued + 50, kExpires);
    const Relay relay =
        make("camera cam1 port=18080 revoke-before=1700000010\ncamera cam2 port=18081\n", {secret("s1", 0, true)});
    EXPECT_EQ(relay.recheck("cam1", key1, kNow), Outcome::key_revoked);
    EXPECT_EQ(relay.recheck("cam2", key2, kNow), Outcome::allowed);
    EXPECT_EQ(relay.recheck("cam1", newer, kNow), Outcome::allowed);
}

TEST(Recheck, RetiredOrReplacedSecretCutsItsKeysOnly) {
    const std::string by_s1 = issue_key(secret("s1"), "cam1", kIssued, kExpires);
    const std::string by_s2 = issue_key(secret("s2", 7), "cam1", kIssued, kExpires);
    const Relay retired = make(kTwoCameras, {secret("s2", 7, true)});
    EXPECT_EQ(retired.recheck("cam1", by_s1, kNow), Outcome::key_unknown_secret);
    EXPECT_EQ(retired.recheck("cam1", by_s2, kNow), Outcome::allowed);
    // The same id with other bytes: the old keys no longer verify.
    const Relay replaced = make(kTwoCameras, {secret("s1", 9, true), secret("s2", 7)});
    EXPECT_EQ(replaced.recheck("cam1", by_s1, kNow), Outcome::key_bad_signature);
    EXPECT_EQ(replaced.recheck("cam1", by_s2, kNow), Outcome::allowed);
}

TEST(Recheck, RemovedCameraCutsItsViewersKeyOrNot) {
    const std::string key1 = issue_key(secret("s1"), "cam1", kIssued, kExpires);
    const std::string key2 = issue_key(secret("s1"), "cam2", kIssued, kExpires);
    const Relay relay = make("camera cam2 port=18081\n", {secret("s1", 0, true)});
    EXPECT_EQ(relay.recheck("cam1", key1, kNow), Outcome::unknown_camera);
    EXPECT_EQ(relay.recheck("cam1", "", kNow), Outcome::unknown_camera);
    EXPECT_EQ(relay.recheck("cam2", key2, kNow), Outcome::allowed);
    EXPECT_EQ(relay.recheck("cam2", "", kNow), Outcome::allowed);
}

TEST(Recheck, LegacyKeyLastsAsLongAsTheCameraKeepsIt) {
    // sha256("open-sesame")
    const std::string with_legacy =
        "camera old port=18082 legacy-sha256=d7ecdf25eaf3deba0f2628771dbdd22d4138ab6cf38f91ed02a2ca0dec7c8ab7\n";
    const Relay relay = make(with_legacy, {secret("s1", 0, true)});
    const Decision d = relay.decide("/old/?k=open-sesame", "", kNow);
    ASSERT_TRUE(d.allowed());
    EXPECT_EQ(d.key, "open-sesame");
    EXPECT_EQ(relay.recheck("old", d.key, kNow + 1000000000), Outcome::allowed);
    const Relay dropped = make("camera old port=18082\n", {secret("s1", 0, true)});
    EXPECT_EQ(dropped.recheck("old", d.key, kNow), Outcome::key_malformed);
}
