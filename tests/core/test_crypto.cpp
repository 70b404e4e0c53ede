// SHA-256, HMAC, constant-time compare and the encodings.
#include <gtest/gtest.h>

#include <set>
#include <string>
#include <thread>
#include <vector>

#include "camrelay/crypto.hpp"
#include "test_util.hpp"

using namespace camrelay;

namespace {

std::string hex(const Digest& d) { return hex_encode(d); }

std::vector<std::uint8_t> bytes(std::string_view s) { return {s.begin(), s.end()}; }

}  // namespace

TEST(Sha256, KnownAnswers) {
    // `printf '' | openssl dgst -sha256`, `printf abc | openssl dgst -sha256`
    EXPECT_EQ(hex(sha256("")), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    EXPECT_EQ(hex(sha256("abc")), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    EXPECT_EQ(hex(sha256("open-sesame")), "d7ecdf25eaf3deba0f2628771dbdd22d4138ab6cf38f91ed02a2ca0dec7c8ab7");
}

TEST(Hmac, Rfc4231Case1) {
    std::vector<std::uint8_t> key(20, 0x0b);
    EXPECT_EQ(hex(hmac_sha256(key, "Hi There")), "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
}

TEST(Hmac, Rfc4231Case6KeyLongerThanBlockIsHashedFirst) {
    std::vector<std::uint8_t> key(131, 0xaa);
    EXPECT_EQ(hex(hmac_sha256(key, "Test Using Larger Than Block-Size Key - Hash Key First")),
              "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
}

TEST(Hmac, CamrelayMessageKnownAnswer) {
    // printf 'camrelay-v1\ncam1\ns1\n1700000000\n1700003600' |
    //   openssl dgst -sha256 -mac HMAC -macopt hexkey:000102...1f
    EXPECT_EQ(hex(hmac_sha256(test::bytes_0_to_31(), "camrelay-v1\ncam1\ns1\n1700000000\n1700003600")),
              "3906781b2e35c36ccf9c6887dc1b0148c5d88022b68fe1b98a2cef12d1e2aa37");
}

TEST(HmacKey, MatchesOneShotAndIsReusable) {
    auto key = bytes("a key of some length");
    HmacKey hk(key);
    for (int i = 0; i < 50; ++i) {
        std::string msg(static_cast<std::size_t>(i * 7), 'x');
        EXPECT_EQ(hk.mac(msg), hmac_sha256(key, msg)) << i;
    }
    EXPECT_NE(hk.mac("a"), hk.mac("b"));
}

TEST(HmacKey, EmptyKeyAndExactlyOneBlock) {
    std::vector<std::uint8_t> empty;
    // A short key is zero-padded to the block size, so these must agree.
    EXPECT_EQ(HmacKey(empty).mac("x"), hmac_sha256(std::vector<std::uint8_t>(64, 0), "x"));
    std::vector<std::uint8_t> block(64, 0x42);
    EXPECT_EQ(HmacKey(block).mac("m"), hmac_sha256(block, "m"));
    EXPECT_NE(HmacKey(block).mac("m"), HmacKey(std::vector<std::uint8_t>(63, 0x42)).mac("m"));
}

TEST(HmacKey, ConcurrentUseGivesTheSameAnswers) {
    HmacKey hk(test::bytes_0_to_31());
    const Digest expected = hk.mac("camrelay-v1\ncam1\ns1\n1700000000\n1700003600");
    std::vector<std::thread> threads;
    std::vector<int> bad(4, 0);
    for (int t = 0; t < 4; ++t)
        threads.emplace_back([&, t] {
            for (int i = 0; i < 2000; ++i)
                if (hk.mac("camrelay-v1\ncam1\ns1\n1700000000\n1700003600") != expected)
                    ++bad[static_cast<std::size_t>(t)];
        });
    for (auto& th : threads) th.join();
    for (int b : bad) EXPECT_EQ(b, 0);
}

TEST(HmacKey, MoveTransfersStateAndMovedFromThrows) {
    HmacKey a(test::bytes_0_to_31());
    Digest d = a.mac("m");
    HmacKey b(std::move(a));
    EXPECT_EQ(b.mac("m"), d);
    EXPECT_THROW((void)a.mac("m"), std::logic_error);  // NOLINT(bugprone-use-after-move)
    HmacKey c(bytes("other"));
    c = std::move(b);
    EXPECT_EQ(c.mac("m"), d);
}

TEST(ConstantTimeEqual, Basics) {
    Digest a = sha256("a");
    Digest b = a;
    EXPECT_TRUE(constant_time_equal(a, b));
    b[31] ^= 1;
    EXPECT_FALSE(constant_time_equal(a, b));
    b = a;
    b[0] ^= 0x80;
    EXPECT_FALSE(constant_time_equal(a, b));
    EXPECT_FALSE(constant_time_equal(a.data(), 32, a.data(), 31));
    EXPECT_TRUE(constant_time_equal("", 0, "", 0));
    EXPECT_TRUE(constant_time_equal("abc", 3, "abc", 3));
    EXPECT_FALSE(constant_time_equal("abc", 3, "abd", 3));
}

TEST(Base64url, Rfc4648Vectors) {
    auto enc = [](std::string_view s) {
        return base64url_encode(reinterpret_cast<const std::uint8_t*>(s.data()), s.size());
    };
    // RFC 4648's vectors: the prefixes of "foobar", without the padding.
    const std::string_view foobar = "foobar";
    const char* const encoded[] = {"", "Zg", "Zm8", "Zm9v", "Zm9vYg", "Zm9vYmE", "Zm9vYmFy"};
    for (std::size_t n = 0; n <= foobar.size(); ++n) EXPECT_EQ(enc(foobar.substr(0, n)), encoded[n]) << n;
    const std::uint8_t urlsafe[] = {0xfb, 0xff, 0xbf};
    EXPECT_EQ(base64url_encode(urlsafe, 3), "-_-_");  // '+' and '/' in standard base64
    EXPECT_EQ(base64url_decode("Zm9vYmFy"), bytes("foobar"));
    EXPECT_EQ(base64url_decode("Zg"), bytes("f"));
    EXPECT_EQ(base64url_decode(""), std::vector<std::uint8_t>{});
    EXPECT_EQ(base64url_decode("-_-_"), std::vector<std::uint8_t>(urlsafe, urlsafe + 3));
}

TEST(Base64url, RoundTripsEveryLength) {
    for (std::size_t n = 0; n < 70; ++n) {
        auto data = random_bytes(n);
        std::string text = base64url_encode(data.data(), data.size());
        EXPECT_EQ(text.find_first_of("=+/"), std::string::npos);
        auto back = base64url_decode(text);
        ASSERT_TRUE(back.has_value()) << n;
        EXPECT_EQ(*back, data) << n;
    }
    Digest d = sha256("x");
    EXPECT_EQ(base64url_encode(d).size(), 43u);
}

TEST(Base64url, StrictDecoding) {
    for (const char* bad : {"Zg==", "Zg=", "Zm9v\n", "Zm 9v", " Zm9v", "Zm+v", "Zm/v", "Z", "Zm9vY", "Zm9v!",
                            "Zh",  // "f" is "Zg": the low 4 bits of 'h' are not zero
                            "Zm9", "Zm8=", "\xc3\xa9\x41\x41"})
        EXPECT_FALSE(base64url_decode(bad).has_value()) << bad;
    EXPECT_FALSE(base64url_decode(std::string_view("Zm\0v", 4)).has_value());
    // A 43-character MAC whose last character carries non-zero spare bits.
    std::string mac = base64url_encode(sha256("m"));
    ASSERT_EQ(mac.size(), 43u);
    auto alt = mac;
    // The last character encodes 4 data bits + 2 zero bits: value must be a multiple of 4.
    alt.back() = 'B';  // value 1
    EXPECT_FALSE(base64url_decode(alt).has_value());
}

TEST(Hex, EncodeDecode) {
    const std::uint8_t data[] = {0x00, 0x7f, 0xab, 0xff};
    EXPECT_EQ(hex_encode(data, 4), "007fabff");
    EXPECT_EQ(hex_decode("007fabff"), std::vector<std::uint8_t>(data, data + 4));
    EXPECT_EQ(hex_decode("007FABFF"), std::vector<std::uint8_t>(data, data + 4));
    EXPECT_EQ(hex_decode(""), std::vector<std::uint8_t>{});
    for (const char* bad : {"abc", "zz", "0g", " 0a", "0a ", "0x0a", "-1", "0a\n"})
        EXPECT_FALSE(hex_decode(bad).has_value()) << bad;
}

TEST(RandomBytes, LengthAndVariety) {
    EXPECT_TRUE(random_bytes(0).empty());
    auto a = random_bytes(32);
    auto b = random_bytes(32);
    EXPECT_EQ(a.size(), 32u);
    EXPECT_NE(a, b);
    std::set<std::uint8_t> distinct(a.begin(), a.end());
    EXPECT_GT(distinct.size(), 8u);
}
