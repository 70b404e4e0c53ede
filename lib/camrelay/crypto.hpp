// camrelay core: the few cryptographic and encoding primitives the key format
// needs, on top of OpenSSL. No Varnish header here: the VMOD, the CLI and the
// tests all use this file.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "camrelay/base64.hpp"

namespace camrelay {

using Digest = std::array<std::uint8_t, 32>;  // SHA-256 / HMAC-SHA256 output

Digest sha256(std::string_view data);

// One-shot HMAC-SHA256. For the hot path use HmacKey, which keeps the padded
// key state so a check costs two SHA-256 finalisations and no key setup.
Digest hmac_sha256(const std::vector<std::uint8_t>& key, std::string_view message);

// An HMAC key with its inner/outer SHA-256 states precomputed once.
// Thread-safe for concurrent mac() calls; not copyable (owns OpenSSL state).
class HmacKey {
public:
    explicit HmacKey(const std::vector<std::uint8_t>& key);
    ~HmacKey();
    HmacKey(const HmacKey&) = delete;
    HmacKey& operator=(const HmacKey&) = delete;
    HmacKey(HmacKey&&) noexcept;
    HmacKey& operator=(HmacKey&&) noexcept;

    Digest mac(std::string_view message) const;

private:
    struct State;
    State* state_ = nullptr;
};

// Constant-time equality of two equal-length byte ranges (CRYPTO_memcmp):
// no early exit, whatever the content. Different lengths compare unequal
// (lengths are public: they come from the key format, not from secrets).
bool constant_time_equal(const void* a, std::size_t a_len, const void* b, std::size_t b_len);
inline bool constant_time_equal(const Digest& a, const Digest& b) {
    return constant_time_equal(a.data(), a.size(), b.data(), b.size());
}

// RFC 4648 section 5 (URL-safe) base64 without padding, as used in keys:
// base64.hpp with its url alphabet, under the names the key code uses.
inline std::string base64url_encode(const std::uint8_t* data, std::size_t len) {
    return base64::encode(data, len, base64::Alphabet::url);
}
inline std::string base64url_encode(const Digest& d) { return base64url_encode(d.data(), d.size()); }
// Strict: rejects padding, whitespace, characters outside the alphabet and
// non-canonical trailing bits.
inline std::optional<std::vector<std::uint8_t>> base64url_decode(std::string_view text) {
    return base64::decode(text, base64::Alphabet::url);
}
// The same strict decoding into a caller's buffer, for the hot path (no
// allocation): true only if `text` decodes to exactly `out_len` bytes. On
// false, `out` holds garbage.
inline bool base64url_decode_into(std::string_view text, std::uint8_t* out, std::size_t out_len) {
    return base64::decode_into(text, out, out_len, base64::Alphabet::url);
}
// Length of the unpadded base64url text of `len` bytes.
constexpr std::size_t base64url_length(std::size_t len) { return base64::encoded_length(len, base64::Alphabet::url); }

std::string hex_encode(const std::uint8_t* data, std::size_t len);
inline std::string hex_encode(const Digest& d) { return hex_encode(d.data(), d.size()); }
// Accepts upper and lower case; rejects odd lengths and non-hex characters.
std::optional<std::vector<std::uint8_t>> hex_decode(std::string_view text);

// Cryptographically secure random bytes (RAND_bytes); throws std::runtime_error
// if the generator fails.
std::vector<std::uint8_t> random_bytes(std::size_t n);

}  // namespace camrelay
