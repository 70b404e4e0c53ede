// camrelay-bench: results as a human-readable table or as JSON (--json).
#pragma once

#include <string>

#include "results.hpp"

namespace camrelay::bench {

std::string format_table(const RttResult& r);
std::string format_table(const StreamResult& r);
std::string format_table(const LoadResult& r);
std::string format_table(const DemoResult& r);

std::string format_json(const RttResult& r);
std::string format_json(const StreamResult& r);
std::string format_json(const LoadResult& r);
std::string format_json(const DemoResult& r);

}  // namespace camrelay::bench
