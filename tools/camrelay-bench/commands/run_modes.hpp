// camrelay-bench: the `run` modes. Each is bounded by the options'
// timeouts and returns what it measured; it never exits the process.
// `tls` (made from --ca/--insecure) is needed for wss:// URLs.
#pragma once

#include <vector>

#include "../io/tls.hpp"
#include "../measure/results.hpp"
#include "../protocol/ws_url.hpp"
#include "options.hpp"

namespace camrelay::bench {

// Round trips of one message at a time against an echoing server.
RttResult run_rtt(const RunOptions& options, const ws::Url& url, const TlsClient* tls = nullptr);

// One stream, as fast as the path carries it: the viewer asks the camera for
// it with a stream request and counts what arrives.
StreamResult run_stream(const RunOptions& options, const ws::Url& url, const TlsClient* tls = nullptr);

// `viewers` viewers per camera URL, each asking for a paced stream.
LoadResult run_load(const RunOptions& options, const std::vector<ws::Url>& cameras, const TlsClient* tls = nullptr);

// One viewer of a demo camera (serve --mode demo) for the duration: its
// frames checked and timed.
DemoResult run_demo(const RunOptions& options, const ws::Url& url, const TlsClient* tls = nullptr);

// Stream id of rtt probes: an echo carries it back; a camera's own stream
// never uses it.
inline constexpr std::uint32_t kEchoProbeStreamId = 0xFFFFFFFF;

}  // namespace camrelay::bench
