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
//         28     4  size of the camera state that follows: 0, or 16 in the
//                   messages of a stream whose request asked for it
//         32    16  camera state (if any):
//                      32  8  frames the camera dropped so far on this
//                             connection (its send queue was full): they
//                             use no sequence number
//                      40  8  the camera's bitrate now, bits a second (0:
//                             as fast as the connection takes them)
//      32|48     .  payload: 64-bit words seed(seq) + i * K, so a byte that
//                   is changed, lost or moved is found
//
// Stream request (viewer to camera): asks the camera to stream messages of a
// given size every interval (0: as fast as the connection takes them):
//
//          0     4  magic "CRBS"
//          4     4  stream id (not 0)
//          8     4  message size
//         12     4  flags: 1 = put the camera state in the data messages
//                   (an older camera takes only 0)
//         16     8  interval between messages, nanoseconds
//
// Clock probe (viewer to camera) and its answer (camera to viewer), for the
// offset between the two machines' clocks (NTP's four timestamps):
//
//          0     4  magic "CRBP"             0     4  magic "CRBT"
//          4     4  probe number             4     4  probe number
//          8     8  viewer's send time       8     8  viewer's send time (t1)
//                   (t1, its clock)         16     8  camera's receive time (t2)
//                                           24     8  camera's send time (t3)
//
// Every time is CLOCK_MONOTONIC nanoseconds of the machine that took it.
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
inline constexpr std::size_t kCameraStateSize = 16;
inline constexpr std::size_t kClockProbeSize = 16;
inline constexpr std::size_t kClockReplySize = 32;

// What the camera tells a viewer in each data message of a stream that
// asked for it.
struct CameraState {
    std::uint64_t dropped = 0;      // frames dropped at the camera so far
    std::uint64_t bitrate_bps = 0;  // its bitrate now (0: as fast as possible)
    bool operator==(const CameraState&) const = default;
};

struct DataHeader {
    std::uint32_t length = 0;
    std::uint64_t sequence = 0;
    std::uint64_t sent_ns = 0;
    std::uint32_t stream_id = 0;
};

// Fills `message` (its size is the message length, at least
// kDataHeaderSize) with the header and the payload pattern; the camera
// state too if there is one and the message has room for it
// (kDataHeaderSize + kCameraStateSize bytes).
void write_data_message(std::span<std::uint8_t> message, const DataHeader& header,
                        const std::optional<CameraState>& camera = std::nullopt);

enum class DataCheck { ok, not_data, bad_length, bad_payload };
std::string_view to_string(DataCheck check);

// Checks a received data message; fills `header` when the header is
// readable, and `camera` (if given) with the camera state it carries.
DataCheck check_data_message(std::span<const std::uint8_t> message, DataHeader& header,
                             std::optional<CameraState>* camera = nullptr);

// True if the bytes start like a data message or a stream request.
bool looks_like_data_message(std::span<const std::uint8_t> message);
bool looks_like_stream_request(std::span<const std::uint8_t> message);
bool looks_like_clock_probe(std::span<const std::uint8_t> message);
bool looks_like_clock_reply(std::span<const std::uint8_t> message);

struct StreamRequest {
    std::uint32_t stream_id = 1;
    std::uint32_t message_size = 16384;
    std::uint64_t interval_ns = 0;
    bool camera_state = false;  // flag 1: data messages carry the camera state
};

std::vector<std::uint8_t> encode_stream_request(const StreamRequest& request);
std::optional<StreamRequest> decode_stream_request(std::span<const std::uint8_t> message);

struct ClockProbe {
    std::uint32_t number = 0;
    std::uint64_t viewer_sent_ns = 0;  // t1
};

struct ClockReply {
    std::uint32_t number = 0;
    std::uint64_t viewer_sent_ns = 0;      // t1, the viewer's clock
    std::uint64_t camera_received_ns = 0;  // t2, the camera's clock
    std::uint64_t camera_sent_ns = 0;      // t3, the camera's clock
};

std::vector<std::uint8_t> encode_clock_probe(const ClockProbe& probe);
std::optional<ClockProbe> decode_clock_probe(std::span<const std::uint8_t> message);
std::vector<std::uint8_t> encode_clock_reply(const ClockReply& reply);
std::optional<ClockReply> decode_clock_reply(std::span<const std::uint8_t> message);

}  // namespace camrelay::bench
