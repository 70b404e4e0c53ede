// camrelay-bench: what travels inside the WebSocket messages.
//
// Data message (camera to viewer in stream mode; viewer to camera and back
// in echo mode), little-endian:
//
//     offset  size  field
//          0     4  magic "CRB1"
//          4     4  total message length in bytes
//          8     8  sequence number, 0, 1, 2, ... per connection
//         16     8  send time, CLOCK_MONOTONIC nanoseconds (one machine)
//         24     4  stream id: 0 for the camera's default stream, else the
//                   id of the viewer's stream request
//         28     4  zero
//         32     .  payload: 64-bit words seed(seq) + i * K, so a byte that
//                   is changed, lost or moved is found
//
// Stream request (viewer to camera): asks the camera to stream messages of a
// given size every interval (0: as fast as the connection takes them):
//
//          0     4  magic "CRBS"
//          4     4  stream id (not 0)
//          8     4  message size
//         12     4  zero
//         16     8  interval between messages, nanoseconds
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

namespace camrelay::bench {

inline constexpr std::size_t kDataHeaderSize = 32;
inline constexpr std::size_t kStreamRequestSize = 24;
inline constexpr std::size_t kMaxDataMessage = 64u << 20;

struct DataHeader {
    std::uint32_t length = 0;
    std::uint64_t sequence = 0;
    std::uint64_t sent_ns = 0;
    std::uint32_t stream_id = 0;
};

// Fills `message` (its size is the message length, at least
// kDataHeaderSize) with the header and the payload pattern.
void write_data_message(std::span<std::uint8_t> message, const DataHeader& header);

enum class DataCheck { ok, not_data, bad_length, bad_payload };
std::string_view to_string(DataCheck check);

// Checks a received data message; fills `header` when the header is readable.
DataCheck check_data_message(std::span<const std::uint8_t> message, DataHeader& header);

// True if the bytes start like a data message or a stream request.
bool looks_like_data_message(std::span<const std::uint8_t> message);
bool looks_like_stream_request(std::span<const std::uint8_t> message);

struct StreamRequest {
    std::uint32_t stream_id = 1;
    std::uint32_t message_size = 16384;
    std::uint64_t interval_ns = 0;
};

std::vector<std::uint8_t> encode_stream_request(const StreamRequest& request);
std::optional<StreamRequest> decode_stream_request(std::span<const std::uint8_t> message);

}  // namespace camrelay::bench
