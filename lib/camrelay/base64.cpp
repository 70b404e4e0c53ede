// camrelay library: base64 in both RFC 4648 alphabets (base64.hpp).
#include "camrelay/base64.hpp"

#include <array>

namespace camrelay::base64 {

namespace {

constexpr char kStandardDigits[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
constexpr char kUrlDigits[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

using ValueTable = std::array<std::uint8_t, 256>;

// Byte -> 6-bit value, 0xff outside the alphabet (the padding '=' too).
// Built at compile time so the decoder is one load per character.
constexpr ValueTable value_table(const char* digits) {
    ValueTable t{};
    for (auto& v : t) v = 0xff;
    for (std::uint8_t i = 0; i < 64; ++i) t[static_cast<unsigned char>(digits[i])] = i;
    return t;
}

constexpr ValueTable kStandardValues = value_table(kStandardDigits);
constexpr ValueTable kUrlValues = value_table(kUrlDigits);

const char* digits_of(Alphabet alphabet) { return alphabet == Alphabet::url ? kUrlDigits : kStandardDigits; }
const ValueTable& values_of(Alphabet alphabet) { return alphabet == Alphabet::url ? kUrlValues : kStandardValues; }

// Decodes the unpadded digits of `out_len` bytes (encoded_length(out_len,
// url) characters of `in`, already checked). The table is a template
// argument so that each alphabet's loop loads from a fixed address, as fast
// as a decoder for one alphabet only (the key check's hot path).
template <const ValueTable& values>
bool decode_digits(const unsigned char* in, std::uint8_t* out, std::size_t out_len) {
    // Invalid characters map to 0xff: OR every value in and test the high
    // bits once at the end instead of branching per character.
    unsigned seen = 0;
    std::size_t i = 0;
    std::size_t o = 0;
    for (; o + 3 <= out_len; i += 4, o += 3) {
        unsigned a = values[in[i]], b = values[in[i + 1]], c = values[in[i + 2]], d = values[in[i + 3]];
        seen |= a | b | c | d;
        std::uint32_t v = (a << 18) | (b << 12) | (c << 6) | d;
        out[o] = static_cast<std::uint8_t>(v >> 16);
        out[o + 1] = static_cast<std::uint8_t>(v >> 8);
        out[o + 2] = static_cast<std::uint8_t>(v);
    }
    // 2 or 3 characters for the last 1 or 2 bytes; their unused low bits
    // must be zero, otherwise two texts would decode alike.
    if (out_len - o == 1) {
        unsigned a = values[in[i]], b = values[in[i + 1]];
        seen |= a | b | ((b & 0x0f) != 0 ? 0xff : 0);
        out[o] = static_cast<std::uint8_t>((a << 2) | (b >> 4));
    } else if (out_len - o == 2) {
        unsigned a = values[in[i]], b = values[in[i + 1]], c = values[in[i + 2]];
        seen |= a | b | c | ((c & 0x03) != 0 ? 0xff : 0);
        std::uint32_t v = (a << 10) | (b << 4) | (c >> 2);
        out[o] = static_cast<std::uint8_t>(v >> 8);
        out[o + 1] = static_cast<std::uint8_t>(v);
    }
    return (seen & 0xc0) == 0;
}

}  // namespace

bool in_alphabet(char c, Alphabet alphabet) { return values_of(alphabet)[static_cast<unsigned char>(c)] != 0xff; }

std::string encode(const std::uint8_t* data, std::size_t len, Alphabet alphabet) {
    const char* digits = digits_of(alphabet);
    std::string out;
    out.reserve(encoded_length(len, alphabet));
    std::size_t i = 0;
    for (; i + 3 <= len; i += 3) {
        std::uint32_t v = (std::uint32_t{data[i]} << 16) | (std::uint32_t{data[i + 1]} << 8) | data[i + 2];
        out.push_back(digits[(v >> 18) & 63]);
        out.push_back(digits[(v >> 12) & 63]);
        out.push_back(digits[(v >> 6) & 63]);
        out.push_back(digits[v & 63]);
    }
    std::size_t rest = len - i;
    if (rest == 1) {
        std::uint32_t v = std::uint32_t{data[i]} << 16;
        out.push_back(digits[(v >> 18) & 63]);
        out.push_back(digits[(v >> 12) & 63]);
    } else if (rest == 2) {
        std::uint32_t v = (std::uint32_t{data[i]} << 16) | (std::uint32_t{data[i + 1]} << 8);
        out.push_back(digits[(v >> 18) & 63]);
        out.push_back(digits[(v >> 12) & 63]);
        out.push_back(digits[(v >> 6) & 63]);
    }
    out.resize(encoded_length(len, alphabet), '=');  // the standard alphabet's padding
    return out;
}

bool decode_into(std::string_view text, std::uint8_t* out, std::size_t out_len, Alphabet alphabet) {
    const auto* in = reinterpret_cast<const unsigned char*>(text.data());
    // The url alphabet first: keys are checked on every request.
    if (alphabet != Alphabet::url) [[unlikely]] {
        if (text.size() != encoded_length(out_len, Alphabet::standard)) return false;
        for (std::size_t i = encoded_length(out_len, Alphabet::url); i < text.size(); ++i) {
            if (text[i] != '=') return false;  // the padding
        }
        return decode_digits<kStandardValues>(in, out, out_len);
    }
    if (text.size() != encoded_length(out_len, Alphabet::url)) return false;
    return decode_digits<kUrlValues>(in, out, out_len);
}

std::optional<std::vector<std::uint8_t>> decode(std::string_view text, Alphabet alphabet) {
    std::size_t digits = text.size();
    if (alphabet == Alphabet::standard) {
        if (text.size() % 4 != 0) return std::nullopt;
        // At most two '=': a third, or one elsewhere, fails in decode_into.
        for (int pad = 0; pad < 2 && digits > 0 && text[digits - 1] == '='; ++pad) --digits;
    }
    if (digits % 4 == 1) return std::nullopt;  // no byte count gives this length
    std::vector<std::uint8_t> out(digits / 4 * 3 + (digits % 4 == 0 ? 0 : digits % 4 - 1));
    if (!decode_into(text, out.data(), out.size(), alphabet)) return std::nullopt;
    return out;
}

}  // namespace camrelay::base64
