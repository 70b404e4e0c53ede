// base64 in both RFC 4648 alphabets: the test vectors, strict decoding (only
// the canonical text of some bytes is accepted) and every length.
#include <gtest/gtest.h>

#include <openssl/evp.h>

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "camrelay/base64.hpp"
#include "camrelay/crypto.hpp"

using namespace camrelay;
using base64::Alphabet;

namespace {

std::vector<std::uint8_t> bytes(std::string_view s) { return {s.begin(), s.end()}; }

std::string encode(std::string_view s, Alphabet alphabet) {
    return base64::encode(reinterpret_cast<const std::uint8_t*>(s.data()), s.size(), alphabet);
}

// The 64 characters of each alphabet in value order (RFC 4648 tables 1 and 2).
constexpr std::string_view kStandard = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
constexpr std::string_view kUrl = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

std::string_view digits(Alphabet alphabet) { return alphabet == Alphabet::standard ? kStandard : kUrl; }

}  // namespace

TEST(Base64, Rfc4648Vectors) {
    // RFC 4648 section 10; the URL-safe alphabet writes the same without padding.
    const std::pair<std::string_view, std::string_view> vectors[] = {
        {"", ""},
        {"f", "Zg=="},
        {"fo", "Zm8="},
        {"foo", "Zm9v"},
        {"foob", "Zm9vYg=="},
        {"fooba", "Zm9vYmE="},
        {"foobar", "Zm9vYmFy"},
    };
    for (const auto& [data, text] : vectors) {
        const std::string unpadded(text.substr(0, text.find('=')));
        EXPECT_EQ(encode(data, Alphabet::standard), text);
        EXPECT_EQ(encode(data, Alphabet::url), unpadded);
        EXPECT_EQ(base64::decode(text, Alphabet::standard), bytes(data)) << text;
        EXPECT_EQ(base64::decode(unpadded, Alphabet::url), bytes(data)) << unpadded;
        EXPECT_EQ(base64::encoded_length(data.size(), Alphabet::standard), text.size());
        EXPECT_EQ(base64::encoded_length(data.size(), Alphabet::url), unpadded.size());
    }
}

TEST(Base64, TheTwoAlphabets) {
    for (Alphabet alphabet : {Alphabet::standard, Alphabet::url}) {
        for (int c = 0; c < 256; ++c) {
            const char ch = static_cast<char>(c);
            EXPECT_EQ(base64::in_alphabet(ch, alphabet), digits(alphabet).find(ch) != std::string_view::npos) << c;
        }
        // 64 characters for the values 0..63 in order: 48 bytes.
        const auto decoded = base64::decode(digits(alphabet), alphabet);
        ASSERT_TRUE(decoded.has_value());
        ASSERT_EQ(decoded->size(), 48u);
        EXPECT_EQ(base64::encode(*decoded, alphabet), digits(alphabet));
    }
    EXPECT_FALSE(base64::in_alphabet('=', Alphabet::standard));
    EXPECT_FALSE(base64::in_alphabet('=', Alphabet::url));

    // Values 62 and 63 are the characters the alphabets differ in.
    const std::uint8_t high[] = {0xfb, 0xff, 0xbf};
    EXPECT_EQ(base64::encode(high, 3, Alphabet::standard), "+/+/");
    EXPECT_EQ(base64::encode(high, 3, Alphabet::url), "-_-_");
    EXPECT_EQ(base64::decode("+/+/", Alphabet::standard), std::vector<std::uint8_t>(high, high + 3));
    EXPECT_EQ(base64::decode("-_-_", Alphabet::url), std::vector<std::uint8_t>(high, high + 3));
    EXPECT_FALSE(base64::decode("-_-_", Alphabet::standard).has_value());
    EXPECT_FALSE(base64::decode("+/+/", Alphabet::url).has_value());

    // crypto.hpp's base64url names are the url alphabet.
    EXPECT_EQ(base64url_encode(high, 3), "-_-_");
    EXPECT_EQ(base64url_length(31), base64::encoded_length(31, Alphabet::url));
}

TEST(Base64, StandardRefusesAllButTheCanonicalText) {
    for (const char* bad : {
             "Zg",        // padding missing
             "Zm8",       // padding missing
             "Zg=",       // padding short
             "Zg===",     // padding long
             "Z===",      // one character carries no byte
             "====",      //
             "=Zg=",      // padding first
             "Zm=v",      // padding inside
             "Zg==Zm9v",  // padding before the end
             "Zh==",      // "f" is "Zg==": the low 4 bits of 'h' are not zero
             "Zm9=",      // "fo" is "Zm8=": the low 2 bits of '9' are not zero
             "Zm9v\n",    // whitespace
             " Zm9v",     //
             "Zm 9v",     //
             "Zm9-",      // URL-safe characters
             "Zm9_",      //
             "Zm9!",      //
             "\xc3\xa9\x41\x41",
         }) {
        EXPECT_FALSE(base64::decode(bad, Alphabet::standard).has_value()) << bad;
    }
    EXPECT_FALSE(base64::decode(std::string_view("Zm\0v", 4), Alphabet::standard).has_value());
    EXPECT_EQ(base64::decode("", Alphabet::standard), std::vector<std::uint8_t>{});
}

TEST(Base64, UrlRefusesAllButTheCanonicalText) {
    for (const char* bad : {"Zg==", "Zg=", "Zm8=", "Z", "Zm9vY", "Zh", "Zm9", "Zm9v\n", " Zm9v", "Zm+v", "Zm/v",
                            "Zm9v!", "\xc3\xa9\x41\x41"}) {
        EXPECT_FALSE(base64::decode(bad, Alphabet::url).has_value()) << bad;
    }
    EXPECT_FALSE(base64::decode(std::string_view("Zm\0v", 4), Alphabet::url).has_value());
}

// Every character after the first of a 1- or 2-byte tail: only those whose
// unused low bits are zero are accepted, in both alphabets.
TEST(Base64, UnusedBitsMustBeZero) {
    for (Alphabet alphabet : {Alphabet::standard, Alphabet::url}) {
        const std::string_view all = digits(alphabet);
        const bool padded = alphabet == Alphabet::standard;
        for (std::size_t v = 0; v < 64; ++v) {
            const std::string one = std::string("Q") + all[v] + (padded ? "==" : "");
            const std::string two = std::string("QQ") + all[v] + (padded ? "=" : "");
            EXPECT_EQ(base64::decode(one, alphabet).has_value(), v % 16 == 0) << one;
            EXPECT_EQ(base64::decode(two, alphabet).has_value(), v % 4 == 0) << two;
        }
    }
}

TEST(Base64, RoundTripsEveryLength) {
    for (std::size_t n = 0; n <= 64; ++n) {
        const std::vector<std::uint8_t> data = random_bytes(n);

        // The standard alphabet as OpenSSL writes it.
        std::string openssl(4 * ((n + 2) / 3) + 1, '\0');
        const int written =
            EVP_EncodeBlock(reinterpret_cast<unsigned char*>(openssl.data()), data.data(), static_cast<int>(n));
        openssl.resize(static_cast<std::size_t>(written));
        const std::string standard = base64::encode(data, Alphabet::standard);
        EXPECT_EQ(standard, openssl) << n;
        EXPECT_EQ(standard.size(), base64::encoded_length(n, Alphabet::standard));
        EXPECT_EQ(standard.size() % 4, 0u);

        const std::string url = base64::encode(data, Alphabet::url);
        EXPECT_EQ(url.size(), base64::encoded_length(n, Alphabet::url));
        EXPECT_EQ(url.find_first_of("=+/"), std::string::npos);
        std::string translated = standard.substr(0, url.size());
        for (char& c : translated) c = c == '+' ? '-' : c == '/' ? '_' : c;
        EXPECT_EQ(url, translated) << n;

        EXPECT_EQ(base64::decode(standard, Alphabet::standard), data) << n;
        EXPECT_EQ(base64::decode(url, Alphabet::url), data) << n;
        if (n % 3 != 0) {
            EXPECT_FALSE(base64::decode(url, Alphabet::standard).has_value()) << n;  // unpadded
            EXPECT_FALSE(base64::decode(standard, Alphabet::url).has_value()) << n;  // padded
        }
    }
}

TEST(Base64, DecodeIntoWantsTheExactLength) {
    for (std::size_t n = 0; n <= 64; ++n) {
        const std::vector<std::uint8_t> data = random_bytes(n);
        for (Alphabet alphabet : {Alphabet::standard, Alphabet::url}) {
            const std::string text = base64::encode(data, alphabet);
            std::vector<std::uint8_t> out(n + 1, 0xee);
            ASSERT_TRUE(base64::decode_into(text, out.data(), n, alphabet)) << text;
            EXPECT_EQ(std::vector<std::uint8_t>(out.begin(), out.begin() + static_cast<std::ptrdiff_t>(n)), data);
            EXPECT_EQ(out[n], 0xee) << "wrote past the end";
            EXPECT_FALSE(base64::decode_into(text, out.data(), n + 1, alphabet)) << text;
            if (n > 0) {
                EXPECT_FALSE(base64::decode_into(text, out.data(), n - 1, alphabet)) << text;
            }
        }
    }
    std::uint8_t d[32];
    const std::string mac = base64url_encode(sha256("m"));
    EXPECT_TRUE(base64::decode_into(mac, d, sizeof d, Alphabet::url));
    EXPECT_FALSE(base64::decode_into(mac + "=", d, sizeof d, Alphabet::url));
    EXPECT_FALSE(base64::decode_into(mac, d, sizeof d, Alphabet::standard));  // the '=' is missing
    EXPECT_FALSE(base64::decode_into(mac + "A", d, sizeof d, Alphabet::standard));
    EXPECT_FALSE(base64::decode_into("QQ==", d, 2, Alphabet::standard));
    EXPECT_TRUE(base64::decode_into("QQ==", d, 1, Alphabet::standard));
    EXPECT_EQ(d[0], 'A');
    EXPECT_TRUE(base64::decode_into("", d, 0, Alphabet::standard));
    EXPECT_FALSE(base64::decode_into("====", d, 1, Alphabet::standard));
}
