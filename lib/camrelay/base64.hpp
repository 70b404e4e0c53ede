// camrelay library: base64 (RFC 4648) in the two alphabets camrelay meets:
// the standard one of SSH key blobs and WebSocket handshakes, and the
// URL-safe one of keys. Decoding is strict everywhere: a text is accepted
// only if it is exactly what encode() writes for some bytes, so no two texts
// decode alike.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace camrelay::base64 {

enum class Alphabet {
    standard,  // RFC 4648 section 4: A-Z a-z 0-9 + /, padded with '=' to a multiple of 4
    url,       // RFC 4648 section 5: A-Z a-z 0-9 - _, never padded
};

// Length of the text of `len` bytes.
constexpr std::size_t encoded_length(std::size_t len, Alphabet alphabet) {
    if (alphabet == Alphabet::standard) return (len + 2) / 3 * 4;
    return len / 3 * 4 + (len % 3 == 0 ? 0 : len % 3 + 1);
}

// True if `c` is one of the alphabet's 64 characters (the padding '=' is not).
bool in_alphabet(char c, Alphabet alphabet);

std::string encode(const std::uint8_t* data, std::size_t len, Alphabet alphabet);
inline std::string encode(std::span<const std::uint8_t> bytes, Alphabet alphabet) {
    return encode(bytes.data(), bytes.size(), alphabet);
}

// Strict: refuses whitespace, characters outside the alphabet, padding that
// is not the alphabet's (standard: '=' up to a multiple of 4, nowhere else;
// url: none) and non-zero unused bits in the last character.
std::optional<std::vector<std::uint8_t>> decode(std::string_view text, Alphabet alphabet);

// The same strict decoding into a caller's buffer, for the hot path (no
// allocation): true only if `text` decodes to exactly `out_len` bytes. On
// false, `out` holds garbage.
bool decode_into(std::string_view text, std::uint8_t* out, std::size_t out_len, Alphabet alphabet);

}  // namespace camrelay::base64
