// camrelay-bench protocol: UTF-8 validation for text messages and close
// reasons (RFC 3629: no overlong forms, no surrogates, nothing above U+10FFFF).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

namespace camrelay::bench::ws {

bool is_valid_utf8(std::span<const std::uint8_t> bytes);
bool is_valid_utf8(std::string_view text);

// The longest prefix of valid UTF-8 `text` no longer than `limit` bytes
// that does not cut a character in two.
std::size_t utf8_prefix_length(std::string_view text, std::size_t limit);

}  // namespace camrelay::bench::ws
