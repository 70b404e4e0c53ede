// camrelay-bench protocol: WebSocket close status codes (RFC 6455 section 7.4).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace camrelay::bench::ws {

namespace close_code {
inline constexpr std::uint16_t normal = 1000;
inline constexpr std::uint16_t going_away = 1001;
inline constexpr std::uint16_t protocol_error = 1002;
inline constexpr std::uint16_t unsupported_data = 1003;
inline constexpr std::uint16_t no_status = 1005;  // never on the wire
inline constexpr std::uint16_t abnormal = 1006;   // never on the wire
inline constexpr std::uint16_t invalid_payload = 1007;
inline constexpr std::uint16_t policy_violation = 1008;
inline constexpr std::uint16_t message_too_big = 1009;
inline constexpr std::uint16_t internal_error = 1011;
}  // namespace close_code

// True for codes an endpoint may send in a close frame.
bool is_sendable_close_code(std::uint16_t code);

// The payload of a close frame: the code (network order) and a UTF-8 reason,
// cut so the payload fits a control frame.
std::vector<std::uint8_t> close_payload(std::uint16_t code, std::string_view reason);

}  // namespace camrelay::bench::ws
