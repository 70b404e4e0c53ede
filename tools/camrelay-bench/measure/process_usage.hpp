// camrelay-bench: CPU time and resident memory of the relay's processes,
// read from /proc. Each sample covers the given PIDs and all their
// descendants (varnishd's child, sshd's per-connection processes).
#pragma once

#include <cstdint>
#include <vector>

namespace camrelay::bench {

struct ProcessSample {
    std::uint64_t cpu_ticks = 0;  // user + system, clock ticks
    std::uint64_t rss_kib = 0;
    int processes = 0;  // how many were found
};

// The PIDs and their descendants, from /proc/*/stat.
std::vector<int> with_descendants(const std::vector<int>& roots);

ProcessSample sample_processes(const std::vector<int>& roots);

long ticks_per_second();

}  // namespace camrelay::bench
