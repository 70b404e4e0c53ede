// Viewer keys: format, known answers, every verdict and the check order.
#include <gtest/gtest.h>

#include <string>

#include "camrelay/key.hpp"
#include "test_util.hpp"

using namespace camrelay;

namespace {

constexpr std::int64_t kIssued = 1700000000;
constexpr std::int64_t kExpires = 1700003600;

// Derived independently with the openssl command line:
//   printf 'camrelay-v1\ncam1\ns1\n1700000000\n1700003600' |
//     openssl dgst -sha256 -mac HMAC -binary
//       -macopt hexkey:000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f |
//     openssl base64 -A | tr '+/' '-_' | tr -d '='
constexpr const char* kKnownKey = "v1.cam1.s1.1700000000.1700003600.OQZ4Gy41w2zPnGiH3BsBSMXYgCK2j-G5iizvEtHiqjc";
//   printf 'camrelay-v1\nfront-door\nold_2023\n1699999999\n1800000000' |
//     openssl dgst -sha256 -mac HMAC -macopt hexkey:6262...62 (32 bytes of 'b') ...
constexpr const char* kKnownKey2 =
    "v1.front-door.old_2023.1699999999.1800000000.TQfg1fBURSD-ybRjbc9FcmHI7CguYnTy3KFUf6Q-QGk";

Secret s1() { return Secret{"s1", test::bytes_0_to_31(), true}; }
Secret old2023() { return Secret{"old_2023", std::vector<std::uint8_t>(32, 'b'), false}; }

class KeyTest : public ::testing::Test {
protected:
    void SetUp() override {
        secrets.add(s1());
        secrets.add(old2023());
    }
    KeyVerdict check(std::string_view key, std::string_view camera = "cam1", std::int64_t now = kIssued + 10) {
        return check_key(secrets, key, camera, policy, now);
    }
    SecretSet secrets;
    KeyPolicy policy;
};

std::string replace_field(std::string key, int field, const std::string& value) {
    // field 0 is "v1"
    std::size_t start = 0;
    for (int i = 0; i < field; ++i) start = key.find('.', start) + 1;
    std::size_t end = key.find('.', start);
    return key.replace(start, end == std::string::npos ? std::string::npos : end - start, value);
}

}  // namespace

TEST(KeyFormat, KnownAnswerVectors) {
    EXPECT_EQ(issue_key(s1(), "cam1", kIssued, kExpires), kKnownKey);
    EXPECT_EQ(issue_key(old2023(), "front-door", 1699999999, 1800000000), kKnownKey2);
}

TEST(KeyFormat, MessageBytes) {
    EXPECT_EQ(key_message("cam1", "s1", kIssued, kExpires), "camrelay-v1\ncam1\ns1\n1700000000\n1700003600");
}

TEST(KeyFormat, ParseKeyFields) {
    auto f = parse_key(kKnownKey);
    ASSERT_TRUE(f.has_value());
    EXPECT_EQ(f->camera, "cam1");
    EXPECT_EQ(f->secret_id, "s1");
    EXPECT_EQ(f->issued, kIssued);
    EXPECT_EQ(f->expires, kExpires);
    EXPECT_EQ(hex_encode(f->mac), "3906781b2e35c36ccf9c6887dc1b0148c5d88022b68fe1b98a2cef12d1e2aa37");
}

TEST(KeyFormat, IssueKeyRefusesBadInput) {
    EXPECT_THROW(issue_key(s1(), "Cam1", kIssued, kExpires), std::invalid_argument);
    EXPECT_THROW(issue_key(s1(), "", kIssued, kExpires), std::invalid_argument);
    EXPECT_THROW(issue_key(s1(), "cam1", kIssued, kIssued), std::invalid_argument);
    EXPECT_THROW(issue_key(s1(), "cam1", kIssued, kIssued - 1), std::invalid_argument);
    EXPECT_THROW(issue_key(s1(), "cam1", 0, kExpires), std::invalid_argument);
    EXPECT_THROW(issue_key(s1(), "cam1", -5, kExpires), std::invalid_argument);
    EXPECT_THROW(issue_key(s1(), "cam1", kIssued, 1'000'000'000'000), std::invalid_argument);
    Secret short_secret{"s1", std::vector<std::uint8_t>(31, 1), false};
    EXPECT_THROW(issue_key(short_secret, "cam1", kIssued, kExpires), std::invalid_argument);
    Secret bad_id{"s.1", test::bytes_0_to_31(), false};
    EXPECT_THROW(issue_key(bad_id, "cam1", kIssued, kExpires), std::invalid_argument);
    // Longest legal fields still fit in kMaxKeyLength and parse back.
    Secret long_id{std::string(32, 'S'), test::bytes_0_to_31(), false};
    std::string k = issue_key(long_id, std::string(63, 'c'), 1, 999'999'999'999);
    EXPECT_LE(k.size(), kMaxKeyLength);
    EXPECT_TRUE(parse_key(k).has_value());
    SecretSet set;
    set.add(long_id);
    EXPECT_EQ(check_key(set, k, std::string(63, 'c'), KeyPolicy{}, 999'999'999'998), KeyVerdict::allowed);
    EXPECT_EQ(check_key(set, k, std::string(63, 'c'), KeyPolicy{}, 999'999'999'999), KeyVerdict::expired);
}

TEST(KeyVerdictNames, AreStable) {
    EXPECT_EQ(to_string(KeyVerdict::allowed), "allowed");
    EXPECT_EQ(to_string(KeyVerdict::missing), "missing");
    EXPECT_EQ(to_string(KeyVerdict::malformed), "malformed");
    EXPECT_EQ(to_string(KeyVerdict::unknown_secret), "unknown_secret");
    EXPECT_EQ(to_string(KeyVerdict::bad_signature), "bad_signature");
    EXPECT_EQ(to_string(KeyVerdict::expired), "expired");
    EXPECT_EQ(to_string(KeyVerdict::wrong_camera), "wrong_camera");
    EXPECT_EQ(to_string(KeyVerdict::revoked), "revoked");
}

TEST_F(KeyTest, Allowed) {
    EXPECT_EQ(check(kKnownKey), KeyVerdict::allowed);
    EXPECT_EQ(check(kKnownKey2, "front-door"), KeyVerdict::allowed);
    EXPECT_EQ(check(kKnownKey, "cam1", kIssued), KeyVerdict::allowed);
    // Keys are accepted a little before their issue time (clock skew between hosts).
    EXPECT_EQ(check(kKnownKey, "cam1", kIssued - kMaxIssuedAhead), KeyVerdict::allowed);
}

// A key from the future would survive every revocation set before its issue
// time: refused as revoked when issued more than kMaxIssuedAhead ahead.
TEST_F(KeyTest, IssuedInTheFutureIsRevoked) {
    EXPECT_EQ(check(kKnownKey, "cam1", kIssued - kMaxIssuedAhead - 1), KeyVerdict::revoked);
    EXPECT_EQ(check(kKnownKey, "cam1", kIssued - 100), KeyVerdict::revoked);
    // far ahead, valid for years: never accepted, whatever the revocation
    const std::string future = issue_key(s1(), "cam1", kIssued + 100'000'000, kIssued + 200'000'000);
    EXPECT_EQ(check(future), KeyVerdict::revoked);
    policy.revoke_before = kIssued + 20;  // a revocation at kIssued + 10, after the key was minted
    EXPECT_EQ(check(future, "cam1", kIssued + 100'000'000 - kMaxIssuedAhead - 1), KeyVerdict::revoked);
}

// `camera revoke` at time T sets revoke-before to T + kMaxIssuedAhead + 1:
// every key accepted at T, including one minted in the same second, is
// refused afterwards, and a key issued at the new revoke-before is accepted
// one second after the revocation.
TEST_F(KeyTest, RevocationCoversEveryKeyAcceptedBefore) {
    const std::int64_t t = kIssued + 10;
    const std::string same_second = issue_key(s1(), "cam1", t, kExpires);
    const std::string ahead = issue_key(s1(), "cam1", t + kMaxIssuedAhead, kExpires);
    EXPECT_EQ(check(same_second, "cam1", t), KeyVerdict::allowed);
    EXPECT_EQ(check(ahead, "cam1", t), KeyVerdict::allowed);
    policy.revoke_before = t + kMaxIssuedAhead + 1;
    EXPECT_EQ(check(same_second, "cam1", t), KeyVerdict::revoked);
    EXPECT_EQ(check(ahead, "cam1", t + 1), KeyVerdict::revoked);
    const std::string fresh = issue_key(s1(), "cam1", policy.revoke_before, kExpires);
    EXPECT_EQ(check(fresh, "cam1", t), KeyVerdict::revoked);  // not yet: more than kMaxIssuedAhead ahead
    EXPECT_EQ(check(fresh, "cam1", t + 1), KeyVerdict::allowed);
}

TEST_F(KeyTest, Missing) { EXPECT_EQ(check(""), KeyVerdict::missing); }

TEST_F(KeyTest, ExpiryBoundary) {
    EXPECT_EQ(check(kKnownKey, "cam1", kExpires - 1), KeyVerdict::allowed);
    EXPECT_EQ(check(kKnownKey, "cam1", kExpires), KeyVerdict::expired);
    EXPECT_EQ(check(kKnownKey, "cam1", kExpires + 1), KeyVerdict::expired);
    EXPECT_EQ(check(kKnownKey, "cam1", INT64_MAX), KeyVerdict::expired);
}

TEST_F(KeyTest, WrongCamera) {
    EXPECT_EQ(check(kKnownKey, "cam2"), KeyVerdict::wrong_camera);
    EXPECT_EQ(check(kKnownKey, "cam"), KeyVerdict::wrong_camera);
    EXPECT_EQ(check(kKnownKey, "cam11"), KeyVerdict::wrong_camera);
}

TEST_F(KeyTest, RevocationBoundary) {
    policy.revoke_before = kIssued + 1;
    EXPECT_EQ(check(kKnownKey), KeyVerdict::revoked);
    policy.revoke_before = kIssued;
    EXPECT_EQ(check(kKnownKey), KeyVerdict::allowed);
    policy.revoke_before = 0;
    EXPECT_EQ(check(kKnownKey), KeyVerdict::allowed);
    // A key issued after the revocation works.
    policy.revoke_before = kIssued + 1;
    EXPECT_EQ(check(issue_key(s1(), "cam1", kIssued + 1, kExpires)), KeyVerdict::allowed);
}

TEST_F(KeyTest, UnknownSecret) {
    Secret other{"s9", test::bytes_0_to_31(), false};
    EXPECT_EQ(check(issue_key(other, "cam1", kIssued, kExpires)), KeyVerdict::unknown_secret);
    EXPECT_EQ(check_key(SecretSet{}, kKnownKey, "cam1", policy, kIssued), KeyVerdict::unknown_secret);
}

TEST_F(KeyTest, BadSignature) {
    std::string k = kKnownKey;
    // Change one MAC character to another canonical one (first char: 6 data bits).
    std::string flipped = k;
    flipped[k.rfind('.') + 1] = flipped[k.rfind('.') + 1] == 'A' ? 'B' : 'A';
    EXPECT_EQ(check(flipped), KeyVerdict::bad_signature);
    // Tampered public fields with the original MAC.
    EXPECT_EQ(check(replace_field(k, 4, "1900000000")), KeyVerdict::bad_signature);  // longer expiry
    EXPECT_EQ(check(replace_field(k, 3, "1600000000")), KeyVerdict::bad_signature);  // older issue
    EXPECT_EQ(check(replace_field(k, 1, "cam2"), "cam2"), KeyVerdict::bad_signature);
    // Same secret id, different secret bytes.
    Secret forged{"s1", std::vector<std::uint8_t>(32, 7), false};
    EXPECT_EQ(check(issue_key(forged, "cam1", kIssued, kExpires)), KeyVerdict::bad_signature);
    // Key from secret old_2023 relabelled as s1.
    std::string relabelled = issue_key(old2023(), "cam1", kIssued, kExpires);
    EXPECT_EQ(check(replace_field(relabelled, 2, "s1")), KeyVerdict::bad_signature);
}

TEST_F(KeyTest, Malformed) {
    const std::string k = kKnownKey;
    const std::string mac = k.substr(k.rfind('.') + 1);
    const std::vector<std::string> bad = {
        "v1.",
        "v1",
        "v1.cam1.s1.1700000000.1700003600",                   // no MAC
        k + ".extra",                                         // sixth field
        "v1.cam1.s1.1700000000.1700003600." + mac + "A",      // 44 characters
        "v1.cam1.s1.1700000000.1700003600." + mac.substr(1),  // 42 characters
        "v1.cam1.s1.1700000000.1700003600." + mac.substr(0, 42) + "=",
        "v1.cam1.s1.1700000000.1700003600." + mac.substr(0, 42) + "B",  // non-canonical tail bits
        "v1.cam1.s1.1700000000.1700003600." + mac.substr(0, 20) + "+" + mac.substr(21),
        replace_field(k, 3, "01700000000"),  // leading zero
        replace_field(k, 3, "0"),            // zero
        replace_field(k, 3, "+1700000000"),
        replace_field(k, 3, "-1700000000"),
        replace_field(k, 3, "17000000x0"),
        replace_field(k, 3, ""),
        replace_field(k, 4, "1000000000000"),  // 13 digits
        replace_field(k, 4, "1700000000"),     // expires == issued
        replace_field(k, 4, "1600000000"),     // expires < issued
        replace_field(k, 1, "Cam1"),
        replace_field(k, 1, ""),
        replace_field(k, 1, "-cam"),
        replace_field(k, 2, "s%1"),
        replace_field(k, 2, ""),
        "V1.cam1.s1.1700000000.1700003600." + mac,  // not the v1 tag: legacy path, no legacy
        "open-sesame",
        "v2.cam1.s1.1700000000.1700003600." + mac,
        k.substr(0, 10) + std::string(1, '\0') + k.substr(11),
        k + "\n",
        "\r" + k,
        k.substr(0, 20) + "\n" + k.substr(21),
        std::string(kMaxKeyLength + 1, 'a'),
        "v1." + std::string(kMaxKeyLength, 'a'),
        std::string(10 * 1024, 'k'),
        "..........",
    };
    for (const auto& key : bad) EXPECT_EQ(check(key), KeyVerdict::malformed) << "key: " << key.substr(0, 80);
}

TEST_F(KeyTest, CheckOrder) {
    // Syntax before the secret lookup: a garbage MAC with an unknown secret is malformed.
    EXPECT_EQ(check("v1.cam1.s9.1700000000.1700003600.short"), KeyVerdict::malformed);
    // Unknown secret before MAC: any well-formed MAC.
    std::string unknown = replace_field(kKnownKey, 2, "nope");
    EXPECT_EQ(check(unknown, "cam2", kExpires + 5), KeyVerdict::unknown_secret);
    // MAC before expiry, camera and revocation.
    std::string forged = replace_field(kKnownKey, 4, "1700003601");
    policy.revoke_before = kIssued + 100;
    EXPECT_EQ(check(forged, "cam2", kExpires + 5), KeyVerdict::bad_signature);
    // Expiry before camera and revocation.
    EXPECT_EQ(check(kKnownKey, "cam2", kExpires), KeyVerdict::expired);
    // Camera before revocation.
    EXPECT_EQ(check(kKnownKey, "cam2"), KeyVerdict::wrong_camera);
    EXPECT_EQ(check(kKnownKey, "cam1"), KeyVerdict::revoked);
}

TEST_F(KeyTest, RotationAcceptsEverySecretInForce) {
    SecretSet rotated;
    Secret fresh{"s2", std::vector<std::uint8_t>(32, 0x33), true};
    Secret old = s1();
    old.primary = false;
    rotated.add(old);
    rotated.add(fresh);
    std::string old_key = issue_key(old, "cam1", kIssued, kExpires);
    std::string new_key = issue_key(fresh, "cam1", kIssued, kExpires);
    EXPECT_NE(old_key, new_key);
    EXPECT_EQ(old_key, kKnownKey);  // the primary flag is not part of the MAC
    EXPECT_EQ(check_key(rotated, old_key, "cam1", policy, kIssued), KeyVerdict::allowed);
    EXPECT_EQ(check_key(rotated, new_key, "cam1", policy, kIssued), KeyVerdict::allowed);
    SecretSet only_new;
    only_new.add(fresh);
    EXPECT_EQ(check_key(only_new, old_key, "cam1", policy, kIssued), KeyVerdict::unknown_secret);
    EXPECT_EQ(check_key(only_new, new_key, "cam1", policy, kIssued), KeyVerdict::allowed);
}

TEST_F(KeyTest, LegacyKeys) {
    // printf 'open-sesame' | openssl dgst -sha256
    auto digest = hex_decode("d7ecdf25eaf3deba0f2628771dbdd22d4138ab6cf38f91ed02a2ca0dec7c8ab7");
    ASSERT_TRUE(digest && digest->size() == 32);
    Digest d{};
    std::copy(digest->begin(), digest->end(), d.begin());
    policy.legacy_sha256 = d;
    EXPECT_EQ(check("open-sesame"), KeyVerdict::allowed);
    EXPECT_EQ(check("open-sesame", "cam2"), KeyVerdict::allowed);  // the policy is the camera's
    EXPECT_EQ(check("open-sesamf"), KeyVerdict::bad_signature);
    EXPECT_EQ(check("open-sesam"), KeyVerdict::bad_signature);
    EXPECT_EQ(check("x"), KeyVerdict::bad_signature);
    EXPECT_EQ(check("V1.open"), KeyVerdict::bad_signature);
    // v1 keys still work on a camera with a legacy key, and a broken v1 key
    // is never compared with the legacy digest.
    EXPECT_EQ(check(kKnownKey), KeyVerdict::allowed);
    EXPECT_EQ(check("v1.open-sesame"), KeyVerdict::malformed);
    EXPECT_EQ(check(std::string(kMaxKeyLength + 1, 'a')), KeyVerdict::malformed);
    EXPECT_EQ(check(std::string("open\0sesame", 11)), KeyVerdict::malformed);
    EXPECT_EQ(check("open-sesame\r\n"), KeyVerdict::malformed);
    EXPECT_EQ(check(std::string(kMaxKeyLength, 'a')), KeyVerdict::bad_signature);
}

TEST(SecretSet, AddFindPrimary) {
    SecretSet set;
    EXPECT_TRUE(set.empty());
    EXPECT_EQ(set.primary(), nullptr);
    EXPECT_EQ(set.find("s1"), nullptr);
    EXPECT_FALSE(set.mac("s1", "m").has_value());
    set.add(Secret{"a", std::vector<std::uint8_t>(32, 1), false});
    set.add(Secret{"b", std::vector<std::uint8_t>(32, 2), true});
    set.add(Secret{"c", std::vector<std::uint8_t>(32, 3), false});
    EXPECT_FALSE(set.empty());
    ASSERT_NE(set.primary(), nullptr);
    EXPECT_EQ(set.primary()->id, "b");
    ASSERT_NE(set.find("c"), nullptr);
    EXPECT_EQ(set.find("c")->bytes, std::vector<std::uint8_t>(32, 3));
    ASSERT_EQ(set.all().size(), 3u);
    EXPECT_EQ(set.all()[0].id, "a");
    EXPECT_EQ(set.all()[2].id, "c");
    EXPECT_EQ(set.mac("a", "m"), hmac_sha256(std::vector<std::uint8_t>(32, 1), "m"));
    EXPECT_EQ(set.mac("c", "m"), hmac_sha256(std::vector<std::uint8_t>(32, 3), "m"));
    SecretSet moved(std::move(set));
    EXPECT_EQ(moved.all().size(), 3u);
    EXPECT_EQ(moved.mac("b", "m"), hmac_sha256(std::vector<std::uint8_t>(32, 2), "m"));
}

TEST(SecretSet, RefusesBadSecretsWithoutEchoingThem) {
    SecretSet set;
    set.add(Secret{"p", std::vector<std::uint8_t>(32, 0xab), true});
    auto expect_refused = [&](Secret s) {
        std::string hex = hex_encode(s.bytes.data(), s.bytes.size());
        try {
            set.add(std::move(s));
            ADD_FAILURE() << "accepted";
        } catch (const std::invalid_argument& e) {
            if (!hex.empty()) {
                EXPECT_EQ(std::string(e.what()).find(hex), std::string::npos);
            }
        }
    };
    expect_refused(Secret{"bad id", std::vector<std::uint8_t>(32, 0xcd), false});
    expect_refused(Secret{"", std::vector<std::uint8_t>(32, 0xcd), false});
    expect_refused(Secret{"short", std::vector<std::uint8_t>(31, 0xcd), false});
    expect_refused(Secret{"long", std::vector<std::uint8_t>(33, 0xcd), false});
    expect_refused(Secret{"p", std::vector<std::uint8_t>(32, 0xcd), false});  // duplicate id
    expect_refused(Secret{"q", std::vector<std::uint8_t>(32, 0xcd), true});   // second primary
    EXPECT_EQ(set.all().size(), 1u);
}

TEST(LoggableKey, NeverShowsSecretMaterial) {
    EXPECT_EQ(loggable_key(kKnownKey), "v1.cam1.s1.1700000000.1700003600.*");
    std::string mac = std::string(kKnownKey).substr(std::string(kKnownKey).rfind('.') + 1);
    EXPECT_EQ(loggable_key(kKnownKey).find(mac), std::string::npos);
    EXPECT_EQ(loggable_key("open-sesame"), "legacy(len=11)");
    EXPECT_EQ(loggable_key("v1.garbage"), "malformed(len=10)");
    EXPECT_EQ(loggable_key(std::string(900, 'x')), "malformed(len=900)");
    EXPECT_EQ(loggable_key(std::string("a\nb")), "malformed(len=3)");
    EXPECT_EQ(loggable_key(""), "");
    // A v1 key with a bad MAC is still shown by its public fields: it parses.
    std::string flipped = kKnownKey;
    flipped.back() = flipped.back() == 'c' ? 'g' : 'c';
    EXPECT_EQ(loggable_key(flipped), "v1.cam1.s1.1700000000.1700003600.*");
}
