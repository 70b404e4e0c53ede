// camrelay-bench: the small HTML page a camera serves over plain HTTP.
#pragma once

#include <string>

namespace camrelay::bench {

std::string viewer_page();

}  // namespace camrelay::bench
