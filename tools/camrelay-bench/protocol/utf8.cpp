// camrelay-bench protocol: UTF-8 validation.
#include "utf8.hpp"

namespace camrelay::bench::ws {

namespace {

bool is_continuation(std::uint8_t b) { return (b & 0xC0) == 0x80; }

// Length of the character that starts at bytes[i], or 0 if it is invalid.
std::size_t character_length(std::span<const std::uint8_t> bytes, std::size_t i) {
    const std::uint8_t lead = bytes[i];
    if (lead < 0x80) return 1;
    std::size_t length;
    std::uint8_t second_min = 0x80, second_max = 0xBF;
    if (lead >= 0xC2 && lead <= 0xDF) {
        length = 2;
    } else if (lead >= 0xE0 && lead <= 0xEF) {
        length = 3;
        if (lead == 0xE0) second_min = 0xA0;  // overlong
        if (lead == 0xED) second_max = 0x9F;  // UTF-16 surrogates
    } else if (lead >= 0xF0 && lead <= 0xF4) {
        length = 4;
        if (lead == 0xF0) second_min = 0x90;  // overlong
        if (lead == 0xF4) second_max = 0x8F;  // above U+10FFFF
    } else {
        return 0;  // continuation byte, C0, C1 or F5..FF
    }
    if (i + length > bytes.size()) return 0;
    if (bytes[i + 1] < second_min || bytes[i + 1] > second_max) return 0;
    for (std::size_t k = 2; k < length; ++k) {
        if (!is_continuation(bytes[i + k])) return 0;
    }
    return length;
}

std::span<const std::uint8_t> as_bytes(std::string_view text) {
    return {reinterpret_cast<const std::uint8_t*>(text.data()), text.size()};
}

}  // namespace

bool is_valid_utf8(std::span<const std::uint8_t> bytes) {
    std::size_t i = 0;
    while (i < bytes.size()) {
        std::size_t n = character_length(bytes, i);
        if (n == 0) return false;
        i += n;
    }
    return true;
}

bool is_valid_utf8(std::string_view text) { return is_valid_utf8(as_bytes(text)); }

std::size_t utf8_prefix_length(std::string_view text, std::size_t limit) {
    auto bytes = as_bytes(text);
    std::size_t i = 0;
    while (i < bytes.size()) {
        std::size_t n = character_length(bytes, i);
        if (n == 0 || i + n > limit) break;
        i += n;
    }
    return i;
}

}  // namespace camrelay::bench::ws
