// What every fuzz target shares: the check that aborts on a disagreement
// (libFuzzer then saves the input as a crash), and small input helpers.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace camrelay::fuzz {

[[noreturn]] inline void check_failed(const char* file, int line, const char* what) {
    std::fprintf(stderr, "fuzz check failed: %s:%d: %s\n", file, line, what);
    std::abort();
}

// Not assert(): the fuzz build is RelWithDebInfo (NDEBUG).
#define FUZZ_CHECK(cond) ((cond) ? (void)0 : ::camrelay::fuzz::check_failed(__FILE__, __LINE__, #cond))

inline std::string_view as_text(const std::uint8_t* data, std::size_t size) {
    return {reinterpret_cast<const char*>(data), size};
}

// The input cut at its first `count - 1` newlines: a URL and a Host, a list
// of settings... The last part takes the rest, newlines included; parts
// that are not there are empty.
inline std::vector<std::string_view> split_fields(std::string_view text, std::size_t count) {
    std::vector<std::string_view> parts;
    while (parts.size() + 1 < count) {
        const std::size_t nl = text.find('\n');
        if (nl == std::string_view::npos) break;
        parts.push_back(text.substr(0, nl));
        text.remove_prefix(nl + 1);
    }
    parts.push_back(text);
    parts.resize(count);
    return parts;
}

// parse(), or nullopt once `refused` has looked at the Error it threw.
template <class Error, class Parse, class Refused>
auto parsed_or(Parse parse, Refused refused) -> std::optional<decltype(parse())> {
    try {
        return parse();
    } catch (const Error& e) {
        refused(e);
        return std::nullopt;
    }
}

// Repeatable chunk sizes for feeding a parser the same bytes in pieces,
// drawn from the input itself (FNV-1a, then xorshift): the same input
// always splits the same way, different inputs differently.
class Chunks {
public:
    Chunks(const std::uint8_t* data, std::size_t size) {
        for (std::size_t i = 0; i < size; ++i) state_ = (state_ ^ data[i]) * 0x100000001b3ull;
        if (state_ == 0) state_ = 1;
    }
    // 1..max bytes, small ones often (byte-at-a-time edges).
    std::size_t next(std::size_t max) {
        state_ ^= state_ << 13;
        state_ ^= state_ >> 7;
        state_ ^= state_ << 17;
        const std::size_t n = (state_ & 3) == 0 ? 1 : 1 + static_cast<std::size_t>(state_ >> 8) % max;
        return n;
    }

private:
    std::uint64_t state_ = 0xcbf29ce484222325ull;
};

}  // namespace camrelay::fuzz
