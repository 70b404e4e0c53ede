// The whole admission decision (admission.hpp): routing and key from
// Relay::decide, then the tunnel and the viewer slot, with the outcomes and
// reasons the VMOD hands to VCL and logs as they are.
#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

#include "camrelay/admission.hpp"
#include "test_util.hpp"

using namespace camrelay;

namespace {

constexpr std::int64_t kIssued = 1700000000;
constexpr std::int64_t kAt = kIssued + 60;

const std::string kRegistry =
    "camera cam1 port=18080\n"
    "camera solo port=18082 max-viewers=1\n"
    "camera sock socket=/run/camrelay/sock.sock max-viewers=3\n";

Secret signing_secret() { return Secret{"s1", test::bytes_0_to_31(), true}; }

std::string key_for(const std::string& camera) { return issue_key(signing_secret(), camera, kIssued, kIssued + 3600); }

std::string url_for(const std::string& camera) { return "/" + camera + "/live?k=" + key_for(camera); }

// A tunnel check that says what the test wants and remembers what it was asked.
class FakeTunnels : public TunnelCheck {
public:
    bool up(const Tunnel& tunnel) override {
        asked.push_back(tunnel.describe());
        auto it = down.find(tunnel.describe());
        return it == down.end() || !it->second;
    }
    std::map<std::string, bool> down;  // by Tunnel::describe()
    std::vector<std::string> asked;
};

Relay make_relay() {
    SecretSet secrets;
    secrets.add(signing_secret());
    return Relay(parse_registry(kRegistry, "cameras.conf"), std::move(secrets), RouteConfig{});
}

class AdmissionTest : public ::testing::Test {
protected:
    AdmissionTest() : relay(make_relay()), admission(relay, counter, &tunnels) {}

    Admitted admit(const std::string& url, bool require_key = true, bool viewer = true) {
        return admission.admit(d, url, "relay.example.com", kAt, require_key, viewer);
    }
    unsigned live(const std::string& camera) const { return counter.live(camera); }

    Relay relay;
    ViewerCounter counter;
    FakeTunnels tunnels;
    Admission admission;
    Decision d;
};

}  // namespace

TEST_F(AdmissionTest, AllowedViewerHoldsASlotUntilReleased) {
    Admitted a = admit(url_for("cam1"));
    ASSERT_TRUE(d.allowed()) << d.reason;
    EXPECT_EQ(d.reason, "ok");
    EXPECT_EQ(d.url, "/live");
    ASSERT_NE(d.camera, nullptr);
    EXPECT_EQ(d.camera->id, "cam1");
    EXPECT_EQ(a.camera_index, 0u);
    EXPECT_EQ(a.viewers, &counter.slot("cam1"));
    EXPECT_TRUE(a.holds_viewer);
    EXPECT_EQ(live("cam1"), 1u);
    EXPECT_EQ(admission.viewers(0), 1u);
    EXPECT_EQ(tunnels.asked, std::vector<std::string>{"port=18080"});

    EXPECT_TRUE(Admission::release(a));
    EXPECT_FALSE(a.holds_viewer);
    EXPECT_EQ(live("cam1"), 0u);
    EXPECT_FALSE(Admission::release(a));  // only once
    EXPECT_EQ(live("cam1"), 0u);
    Admitted none;
    EXPECT_FALSE(Admission::release(none));
}

TEST_F(AdmissionTest, OfflineWhenTheTunnelIsDown) {
    tunnels.down["port=18080"] = true;
    Admitted a = admit(url_for("cam1"));
    EXPECT_EQ(d.outcome, Outcome::offline);
    EXPECT_EQ(http_status(d.outcome), 503);
    EXPECT_EQ(d.reason, "camera cam1 is offline (its tunnel is not connected)");
    ASSERT_NE(d.camera, nullptr);  // still routed: .camera() and the log name it
    EXPECT_EQ(a.viewers, &counter.slot("cam1"));
    EXPECT_FALSE(a.holds_viewer);
    EXPECT_EQ(live("cam1"), 0u);
    // The camera's page (no key, no viewer slot) is offline too.
    admit("/cam1/index.html", false, false);
    EXPECT_EQ(d.outcome, Outcome::offline);
    // Before the viewer limit: a full camera whose tunnel is down is offline.
    tunnels.down["port=18080"] = false;
    Admitted first = admit(url_for("cam1"));
    Admitted second = admit(url_for("cam1"));
    ASSERT_TRUE(first.holds_viewer && second.holds_viewer);
    tunnels.down["port=18080"] = true;
    admit(url_for("cam1"));
    EXPECT_EQ(d.outcome, Outcome::offline);
    EXPECT_EQ(live("cam1"), 2u);
    // Other cameras are not affected; a socket tunnel is asked as a socket.
    admit(url_for("sock"));
    EXPECT_TRUE(d.allowed()) << d.reason;
    EXPECT_EQ(tunnels.asked.back(), "socket=/run/camrelay/sock.sock");
    tunnels.down["socket=/run/camrelay/sock.sock"] = true;
    admit(url_for("sock"));
    EXPECT_EQ(d.reason, "camera sock is offline (its tunnel is not connected)");
}

TEST_F(AdmissionTest, TooManyViewers) {
    Admitted first = admit(url_for("solo"));
    ASSERT_TRUE(first.holds_viewer);
    Admitted refused = admit(url_for("solo"));
    EXPECT_EQ(d.outcome, Outcome::too_many_viewers);
    EXPECT_EQ(http_status(d.outcome), 429);
    EXPECT_EQ(d.reason, "camera solo already has 1 viewer, its maximum");
    EXPECT_FALSE(refused.holds_viewer);
    EXPECT_EQ(refused.camera_index, 1u);
    EXPECT_EQ(live("solo"), 1u);
    // The slot is free again once the first viewer's request ends.
    EXPECT_TRUE(Admission::release(first));
    EXPECT_TRUE(admit(url_for("solo")).holds_viewer);

    std::vector<Admitted> held;
    for (int i = 0; i < 2; ++i) held.push_back(admit(url_for("cam1")));
    admit(url_for("cam1"));
    EXPECT_EQ(d.reason, "camera cam1 already has 2 viewers, its maximum");
    EXPECT_EQ(live("cam1"), 2u);
    for (Admitted& a : held) EXPECT_TRUE(Admission::release(a));
    EXPECT_EQ(live("cam1"), 0u);
}

TEST_F(AdmissionTest, ViewerFalseTakesNoSlot) {
    Admitted first = admit(url_for("solo"));
    ASSERT_TRUE(first.holds_viewer);
    // The camera is full, but a request that is not a viewer still passes.
    Admitted page = admit(url_for("solo"), true, false);
    EXPECT_TRUE(d.allowed()) << d.reason;
    EXPECT_FALSE(page.holds_viewer);
    EXPECT_EQ(page.viewers, first.viewers);
    EXPECT_EQ(live("solo"), 1u);
}

TEST_F(AdmissionTest, RequireKeyFalseStillChecksTunnelAndSlot) {
    Admitted a = admit("/solo/index.html", false, true);
    EXPECT_TRUE(d.allowed()) << d.reason;
    EXPECT_TRUE(a.holds_viewer);
    admit("/solo/index.html", false, true);
    EXPECT_EQ(d.outcome, Outcome::too_many_viewers);
    Admitted page = admit("/solo/index.html?k=garbage", false, false);
    EXPECT_TRUE(d.allowed());
    EXPECT_FALSE(page.holds_viewer);
    EXPECT_EQ(d.url, "/index.html");
}

TEST_F(AdmissionTest, RefusalsBeforeTheTunnelTakeNothing) {
    // A key refusal: routed, so the log can count the camera's viewers, but
    // neither the tunnel nor a slot is touched.
    Admitted a = admit("/cam1/live");
    EXPECT_EQ(d.outcome, Outcome::key_missing);
    EXPECT_EQ(d.reason, "key missing");
    EXPECT_EQ(a.viewers, &counter.slot("cam1"));
    EXPECT_FALSE(a.holds_viewer);
    admit("/cam1/live?k=" + key_for("solo"));
    EXPECT_EQ(d.outcome, Outcome::key_wrong_camera);
    // A routing refusal: no camera, no count.
    a = admit("/nope/live?k=" + key_for("cam1"));
    EXPECT_EQ(d.outcome, Outcome::unknown_camera);
    EXPECT_EQ(d.camera, nullptr);
    EXPECT_EQ(a.viewers, nullptr);
    EXPECT_FALSE(a.holds_viewer);
    EXPECT_TRUE(tunnels.asked.empty());
    EXPECT_EQ(live("cam1"), 0u);
}

TEST(Admission, WithoutATunnelCheckEveryTunnelIsUp) {
    const Relay relay = make_relay();
    ViewerCounter counter;
    const Admission admission(relay, counter, nullptr);
    Decision d;
    const Admitted a = admission.admit(d, url_for("cam1"), "", kAt);
    EXPECT_TRUE(d.allowed()) << d.reason;
    EXPECT_TRUE(a.holds_viewer);
}

TEST(Admission, CountsAreSharedAcrossReloads) {
    // Two loaded configurations over one process-wide counter, as after a
    // VCL reload: viewers admitted by the old one count for the new one.
    ViewerCounter counter;
    FakeTunnels tunnels;
    const Relay old_relay = make_relay();
    const Relay new_relay = make_relay();
    const Admission old_admission(old_relay, counter, &tunnels);
    const Admission new_admission(new_relay, counter, &tunnels);
    Decision d;
    Admitted a = old_admission.admit(d, url_for("solo"), "", kAt);
    ASSERT_TRUE(a.holds_viewer);
    EXPECT_EQ(new_admission.viewers(1), 1u);
    new_admission.admit(d, url_for("solo"), "", kAt);
    EXPECT_EQ(d.outcome, Outcome::too_many_viewers);
    Admission::release(a);
    EXPECT_EQ(new_admission.viewers(1), 0u);
    EXPECT_EQ(new_admission.viewers(3), 0u);  // past the last camera
    EXPECT_EQ(new_admission.viewers(1000), 0u);
}

TEST(Admission, PerKeyAndPerAddressLimits) {
    // sock has 3 slots; one key may hold 1 of them, one address 2.
    ViewerCounter counter;
    FakeTunnels tunnels;
    const Relay relay = make_relay();
    const Admission admission(relay, counter, &tunnels, ViewerLimits{1, 2});
    Decision d;
    const std::string key_a = issue_key(signing_secret(), "sock", kIssued, kIssued + 3600);
    const std::string key_b = issue_key(signing_secret(), "sock", kIssued + 1, kIssued + 3600);
    const std::string key_c = issue_key(signing_secret(), "sock", kIssued + 2, kIssued + 3600);
    auto admit = [&](const std::string& key, std::string_view client) {
        return admission.admit(d, "/sock/?k=" + key, "", kAt, true, true, client);
    };
    Admitted first = admit(key_a, "192.0.2.1");
    ASSERT_TRUE(first.holds_viewer) << d.reason;

    // The same key again, from anywhere: refused, and nothing stays taken.
    Admitted again = admit(key_a, "198.51.100.7");
    EXPECT_EQ(d.outcome, Outcome::too_many_viewers_for_key);
    EXPECT_EQ(http_status(d.outcome), 429);
    EXPECT_EQ(d.reason, "this key already has 1 viewer of camera sock, its maximum");
    EXPECT_FALSE(again.holds_viewer);
    EXPECT_EQ(admission.viewers(2), 1u);
    EXPECT_EQ(d.reason.find(key_a.substr(key_a.rfind('.') + 1)), std::string::npos);

    // Another key from the same address: allowed once, then the address is full.
    Admitted second = admit(key_b, "192.0.2.1");
    ASSERT_TRUE(second.holds_viewer) << d.reason;
    Admitted third = admit(key_c, "192.0.2.1");
    EXPECT_EQ(d.outcome, Outcome::too_many_viewers_for_address);
    EXPECT_EQ(d.reason, "your address already has 2 viewers of camera sock, its maximum");
    EXPECT_FALSE(third.holds_viewer);
    EXPECT_EQ(admission.viewers(2), 2u);
    // ... while another address still gets the last slot with that key.
    Admitted other = admit(key_c, "192.0.2.2");
    ASSERT_TRUE(other.holds_viewer) << d.reason;

    // Released: the counts come back and their entries are gone.
    EXPECT_TRUE(Admission::release(first));
    EXPECT_FALSE(Admission::release(first));
    EXPECT_TRUE(admit(key_a, "192.0.2.9").holds_viewer) << d.reason;
    EXPECT_EQ(counter.holders.live("ksock v1.sock.s1.1700000000.1700003600.*"), 1u)
        << "a key is counted by its loggable form";
    Admitted retry = admit(key_a, "192.0.2.1");
    EXPECT_EQ(d.outcome, Outcome::too_many_viewers);  // the camera is full first
    EXPECT_FALSE(retry.holds_viewer);
    EXPECT_TRUE(Admission::release(second));
    EXPECT_TRUE(Admission::release(other));
    EXPECT_EQ(counter.holders.live("asock 192.0.2.1"), 0u);
    EXPECT_EQ(counter.holders.size(), 2u);  // the key_a and 192.0.2.9 of the viewer still admitted
}

TEST(Admission, LimitsOffByDefaultAndPageRequestsCountNoKey) {
    ViewerCounter counter;
    FakeTunnels tunnels;
    const Relay relay = make_relay();
    const Admission unlimited(relay, counter, &tunnels);
    Decision d;
    std::vector<Admitted> held;
    for (int i = 0; i < 3; ++i) held.push_back(unlimited.admit(d, url_for("sock"), "", kAt, true, true, "192.0.2.1"));
    for (const Admitted& a : held) EXPECT_TRUE(a.holds_viewer);
    EXPECT_EQ(counter.holders.size(), 0u);
    for (Admitted& a : held) Admission::release(a);
    // key = false: only the address counts.
    const Admission limited(relay, counter, &tunnels, ViewerLimits{1, 1});
    Admitted page = limited.admit(d, "/sock/", "", kAt, false, true, "192.0.2.1");
    EXPECT_TRUE(page.holds_viewer);
    EXPECT_EQ(counter.holders.size(), 1u);
    Admission::release(page);
    EXPECT_EQ(counter.holders.size(), 0u);
}

TEST(Admission, AReusedDecisionKeepsItsBuffers) {
    // The VMOD keeps one Decision per worker thread: once it has held the
    // longest texts, admitting reuses its buffers (no allocation for them).
    const Relay relay = make_relay();
    ViewerCounter counter;
    FakeTunnels tunnels;
    const Admission admission(relay, counter, &tunnels);
    Decision d;
    const std::string full = url_for("solo");
    Admitted held = admission.admit(d, full, "", kAt);
    admission.admit(d, full, "", kAt);  // too_many_viewers: the longest reason
    ASSERT_EQ(d.outcome, Outcome::too_many_viewers);
    tunnels.down["port=18082"] = true;
    admission.admit(d, full, "", kAt);  // offline
    ASSERT_EQ(d.outcome, Outcome::offline);
    const char* reason = d.reason.data();
    const char* url = d.url.data();
    const char* key = d.key_for_log.data();
    for (int i = 0; i < 3; ++i) {
        tunnels.down["port=18082"] = i == 1;
        admission.admit(d, full, "", kAt);
        EXPECT_EQ(d.reason.data(), reason);
        EXPECT_EQ(d.url.data(), url);
        EXPECT_EQ(d.key_for_log.data(), key);
    }
    Admission::release(held);
}

TEST(RelayCameraIndex, OnlyTheRegistrysOwnCameras) {
    const Relay relay = make_relay();
    const auto& cams = relay.registry().cameras;
    for (std::size_t i = 0; i < cams.size(); ++i) EXPECT_EQ(relay.camera_index(&cams[i]), i);
    const Camera other = cams[0];
    EXPECT_EQ(relay.camera_index(&other), cams.size());
    EXPECT_EQ(relay.camera_index(nullptr), cams.size());
    EXPECT_EQ(relay.camera_index(relay.registry().find("sock")), 2u);
}
