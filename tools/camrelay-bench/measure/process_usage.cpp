// camrelay-bench: /proc readers.
#include "process_usage.hpp"

#include <dirent.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>
#include <string>

namespace camrelay::bench {

namespace {

std::string read_file(const std::string& path) {
    std::ifstream in(path);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

// The fields of /proc/PID/stat after "(comm)", which may hold spaces.
std::vector<std::string> stat_fields(int pid) {
    std::string text = read_file("/proc/" + std::to_string(pid) + "/stat");
    auto close = text.rfind(')');
    std::vector<std::string> fields;
    if (close == std::string::npos) return fields;
    std::istringstream rest(text.substr(close + 1));
    std::string field;
    while (rest >> field) fields.push_back(field);
    return fields;  // fields[0] is state (field 3 of the man page)
}

}  // namespace

std::vector<int> with_descendants(const std::vector<int>& roots) {
    std::multimap<int, int> children;  // parent -> child
    if (DIR* dir = opendir("/proc")) {
        while (dirent* entry = readdir(dir)) {
            int pid = std::atoi(entry->d_name);
            if (pid <= 0) continue;
            auto fields = stat_fields(pid);
            if (fields.size() > 1) children.emplace(std::atoi(fields[1].c_str()), pid);
        }
        closedir(dir);
    }
    std::vector<int> all(roots.begin(), roots.end());
    for (std::size_t i = 0; i < all.size(); ++i) {
        auto [first, last] = children.equal_range(all[i]);
        for (auto it = first; it != last; ++it) {
            if (std::find(all.begin(), all.end(), it->second) == all.end()) all.push_back(it->second);
        }
    }
    return all;
}

ProcessSample sample_processes(const std::vector<int>& roots) {
    ProcessSample sample;
    for (int pid : with_descendants(roots)) {
        auto fields = stat_fields(pid);
        // utime and stime are fields 14 and 15 of the man page, 11 and 12 here.
        if (fields.size() < 13) continue;
        ++sample.processes;
        sample.cpu_ticks +=
            std::strtoull(fields[11].c_str(), nullptr, 10) + std::strtoull(fields[12].c_str(), nullptr, 10);
        std::istringstream status(read_file("/proc/" + std::to_string(pid) + "/status"));
        std::string line;
        while (std::getline(status, line)) {
            if (line.rfind("VmRSS:", 0) == 0) {
                sample.rss_kib += std::strtoull(line.c_str() + 6, nullptr, 10);
                break;
            }
        }
    }
    return sample;
}

long ticks_per_second() { return sysconf(_SC_CLK_TCK); }

}  // namespace camrelay::bench
