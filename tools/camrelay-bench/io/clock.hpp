// camrelay-bench: the one clock every timestamp uses. Camera and viewers run
// on one machine, so CLOCK_MONOTONIC times compare across processes.
#pragma once

#include <time.h>

#include <cstdint>

namespace camrelay::bench {

inline std::uint64_t monotonic_ns() {
    timespec ts{};
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return static_cast<std::uint64_t>(ts.tv_sec) * 1'000'000'000ull + static_cast<std::uint64_t>(ts.tv_nsec);
}

inline constexpr std::uint64_t seconds_to_ns(double s) { return static_cast<std::uint64_t>(s * 1e9); }

}  // namespace camrelay::bench
