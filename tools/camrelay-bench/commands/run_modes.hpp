// camrelay-bench: the three `run` modes. Each is bounded by the options'
// timeouts and returns what it measured; it never exits the process.
#pragma once

#include <vector>

#include "../measure/results.hpp"
#include "../protocol/ws_url.hpp"
#include "options.hpp"

namespace camrelay::bench {

// Round trips of one message at a time against an echoing server.
RttResult run_rtt(const RunOptions& options, const ws::Url& url);

// One stream, as fast as the path carries it: the viewer asks the camera for
// it with a stream request and counts what arrives.
StreamResult run_stream(const RunOptions& options, const ws::Url& url);

// `viewers` viewers per camera URL, each asking for a paced stream.
LoadResult run_load(const RunOptions& options, const std::vector<ws::Url>& cameras);

// Stream id of rtt probes: an echo carries it back; a camera's own stream
// never uses it.
inline constexpr std::uint32_t kEchoProbeStreamId = 0xFFFFFFFF;

}  // namespace camrelay::bench
