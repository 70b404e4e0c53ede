// camrelay-bench protocol: why a peer's bytes were refused, with the close
// code to send back.
#pragma once

#include <cstdint>
#include <string>

namespace camrelay::bench::ws {

struct ProtocolError {
    std::uint16_t close_code = 0;
    std::string message;
};

}  // namespace camrelay::bench::ws
