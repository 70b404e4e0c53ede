// camrelay-bench: the two commands. Each returns the process exit status:
// 0 ok, 1 measurement failed, 2 usage.
#pragma once

#include <string>
#include <vector>

namespace camrelay::bench {

inline constexpr int kExitOk = 0;
inline constexpr int kExitFailed = 1;
inline constexpr int kExitUsage = 2;

int serve_command(const std::vector<std::string>& args);
int run_command(const std::vector<std::string>& args);

}  // namespace camrelay::bench
