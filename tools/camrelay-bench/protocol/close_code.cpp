// camrelay-bench protocol: WebSocket close status codes.
#include "close_code.hpp"

#include "frame.hpp"
#include "utf8.hpp"

namespace camrelay::bench::ws {

bool is_sendable_close_code(std::uint16_t code) {
    if (code >= 3000 && code <= 4999) return true;  // registered and private use
    switch (code) {
        case 1000:
        case 1001:
        case 1002:
        case 1003:
        case 1007:
        case 1008:
        case 1009:
        case 1010:
        case 1011:
        case 1012:
        case 1013:
        case 1014: return true;
        default: return false;
    }
}

std::vector<std::uint8_t> close_payload(std::uint16_t code, std::string_view reason) {
    std::vector<std::uint8_t> out{static_cast<std::uint8_t>(code >> 8), static_cast<std::uint8_t>(code)};
    std::size_t room = kMaxControlPayload - out.size();
    if (reason.size() > room) reason = reason.substr(0, utf8_prefix_length(reason, room));
    out.insert(out.end(), reason.begin(), reason.end());
    return out;
}

}  // namespace camrelay::bench::ws
