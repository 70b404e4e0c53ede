// camrelay-bench: data messages and stream requests.
#include "bench_message.hpp"

#include <algorithm>
#include <array>
#include <bit>
#include <cstring>

namespace camrelay::bench {

namespace {

constexpr std::array<std::uint8_t, 4> kDataMagic{'C', 'R', 'B', '1'};
constexpr std::array<std::uint8_t, 4> kRequestMagic{'C', 'R', 'B', 'S'};
constexpr std::array<std::uint8_t, 4> kProbeMagic{'C', 'R', 'B', 'P'};
constexpr std::array<std::uint8_t, 4> kReplyMagic{'C', 'R', 'B', 'T'};
constexpr std::uint32_t kFlagCameraState = 1;
constexpr std::uint64_t kWordStep = 0x9E3779B97F4A7C15ull;

static_assert(std::endian::native == std::endian::little || std::endian::native == std::endian::big);

template <typename T>
void put(std::span<std::uint8_t> out, std::size_t at, T value) {
    for (std::size_t i = 0; i < sizeof(T); ++i) out[at + i] = static_cast<std::uint8_t>(value >> (8 * i));
}

template <typename T>
T get(std::span<const std::uint8_t> in, std::size_t at) {
    T value = 0;
    for (std::size_t i = 0; i < sizeof(T); ++i) value |= static_cast<T>(in[at + i]) << (8 * i);
    return value;
}

std::uint64_t pattern_seed(std::uint64_t sequence) {
    std::uint64_t z = sequence + 0x632BE59BD9B4E019ull;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

std::uint64_t to_little_endian(std::uint64_t w) {
    if constexpr (std::endian::native == std::endian::little)
        return w;
    else
        return __builtin_bswap64(w);
}

bool starts_with(std::span<const std::uint8_t> message, const std::array<std::uint8_t, 4>& magic) {
    return message.size() >= 4 && std::equal(magic.begin(), magic.end(), message.begin());
}

}  // namespace

void write_data_message(std::span<std::uint8_t> message, const DataHeader& header,
                        const std::optional<CameraState>& camera) {
    std::copy(kDataMagic.begin(), kDataMagic.end(), message.begin());
    put<std::uint32_t>(message, 4, static_cast<std::uint32_t>(message.size()));
    put<std::uint64_t>(message, 8, header.sequence);
    put<std::uint64_t>(message, 16, header.sent_ns);
    put<std::uint32_t>(message, 24, header.stream_id);
    std::size_t head = kDataHeaderSize;
    if (camera && message.size() >= kDataHeaderSize + kCameraStateSize) {
        put<std::uint32_t>(message, 28, kCameraStateSize);
        put<std::uint64_t>(message, 32, camera->dropped);
        put<std::uint64_t>(message, 40, camera->bitrate_bps);
        head += kCameraStateSize;
    } else {
        put<std::uint32_t>(message, 28, 0);
    }
    std::uint8_t* payload = message.data() + head;
    const std::size_t size = message.size() - head;
    const std::uint64_t seed = pattern_seed(header.sequence);
    std::size_t words = size / 8;
    for (std::size_t i = 0; i < words; ++i) {
        std::uint64_t w = to_little_endian(seed + i * kWordStep);
        std::memcpy(payload + 8 * i, &w, 8);
    }
    std::uint64_t last = to_little_endian(seed + words * kWordStep);
    std::memcpy(payload + 8 * words, &last, size % 8);
}

std::string_view to_string(DataCheck check) {
    switch (check) {
        case DataCheck::ok: return "ok";
        case DataCheck::not_data: return "not a camrelay-bench data message";
        case DataCheck::bad_length: return "length field does not match the message";
        case DataCheck::bad_payload: return "payload pattern corrupted";
    }
    return "?";
}

DataCheck check_data_message(std::span<const std::uint8_t> message, DataHeader& header,
                             std::optional<CameraState>* camera) {
    if (message.size() < kDataHeaderSize || !starts_with(message, kDataMagic)) return DataCheck::not_data;
    header.length = get<std::uint32_t>(message, 4);
    header.sequence = get<std::uint64_t>(message, 8);
    header.sent_ns = get<std::uint64_t>(message, 16);
    header.stream_id = get<std::uint32_t>(message, 24);
    if (camera) camera->reset();
    if (header.length != message.size()) return DataCheck::bad_length;
    const std::uint32_t state_size = get<std::uint32_t>(message, 28);
    if (state_size != 0 && (state_size != kCameraStateSize || message.size() < kDataHeaderSize + state_size))
        return DataCheck::bad_payload;
    if (state_size != 0 && camera)
        *camera = CameraState{get<std::uint64_t>(message, 32), get<std::uint64_t>(message, 40)};
    const std::uint8_t* payload = message.data() + kDataHeaderSize + state_size;
    const std::size_t size = message.size() - kDataHeaderSize - state_size;
    const std::uint64_t seed = pattern_seed(header.sequence);
    std::size_t words = size / 8;
    std::uint64_t differences = 0;
    for (std::size_t i = 0; i < words; ++i) {
        std::uint64_t w;
        std::memcpy(&w, payload + 8 * i, 8);
        differences |= w ^ to_little_endian(seed + i * kWordStep);
    }
    std::uint64_t last = to_little_endian(seed + words * kWordStep);
    if (differences != 0 || std::memcmp(payload + 8 * words, &last, size % 8) != 0) return DataCheck::bad_payload;
    return DataCheck::ok;
}

bool looks_like_data_message(std::span<const std::uint8_t> message) { return starts_with(message, kDataMagic); }

bool looks_like_stream_request(std::span<const std::uint8_t> message) { return starts_with(message, kRequestMagic); }

bool looks_like_clock_probe(std::span<const std::uint8_t> message) { return starts_with(message, kProbeMagic); }

bool looks_like_clock_reply(std::span<const std::uint8_t> message) { return starts_with(message, kReplyMagic); }

std::vector<std::uint8_t> encode_stream_request(const StreamRequest& request) {
    std::vector<std::uint8_t> out(kStreamRequestSize);
    std::copy(kRequestMagic.begin(), kRequestMagic.end(), out.begin());
    put<std::uint32_t>(out, 4, request.stream_id);
    put<std::uint32_t>(out, 8, request.message_size);
    put<std::uint32_t>(out, 12, request.camera_state ? kFlagCameraState : 0);
    put<std::uint64_t>(out, 16, request.interval_ns);
    return out;
}

std::optional<StreamRequest> decode_stream_request(std::span<const std::uint8_t> message) {
    if (message.size() != kStreamRequestSize || !starts_with(message, kRequestMagic)) return std::nullopt;
    StreamRequest r;
    r.stream_id = get<std::uint32_t>(message, 4);
    r.message_size = get<std::uint32_t>(message, 8);
    r.interval_ns = get<std::uint64_t>(message, 16);
    const std::uint32_t flags = get<std::uint32_t>(message, 12);
    r.camera_state = (flags & kFlagCameraState) != 0;
    if (r.stream_id == 0 || r.message_size < kDataHeaderSize || r.message_size > kMaxDataMessage ||
        (flags & ~kFlagCameraState) != 0) {
        return std::nullopt;
    }
    return r;
}

std::vector<std::uint8_t> encode_clock_probe(const ClockProbe& probe) {
    std::vector<std::uint8_t> out(kClockProbeSize);
    std::copy(kProbeMagic.begin(), kProbeMagic.end(), out.begin());
    put<std::uint32_t>(out, 4, probe.number);
    put<std::uint64_t>(out, 8, probe.viewer_sent_ns);
    return out;
}

std::optional<ClockProbe> decode_clock_probe(std::span<const std::uint8_t> message) {
    if (message.size() != kClockProbeSize || !starts_with(message, kProbeMagic)) return std::nullopt;
    return ClockProbe{get<std::uint32_t>(message, 4), get<std::uint64_t>(message, 8)};
}

std::vector<std::uint8_t> encode_clock_reply(const ClockReply& reply) {
    std::vector<std::uint8_t> out(kClockReplySize);
    std::copy(kReplyMagic.begin(), kReplyMagic.end(), out.begin());
    put<std::uint32_t>(out, 4, reply.number);
    put<std::uint64_t>(out, 8, reply.viewer_sent_ns);
    put<std::uint64_t>(out, 16, reply.camera_received_ns);
    put<std::uint64_t>(out, 24, reply.camera_sent_ns);
    return out;
}

std::optional<ClockReply> decode_clock_reply(std::span<const std::uint8_t> message) {
    if (message.size() != kClockReplySize || !starts_with(message, kReplyMagic)) return std::nullopt;
    return ClockReply{get<std::uint32_t>(message, 4), get<std::uint64_t>(message, 8), get<std::uint64_t>(message, 16),
                      get<std::uint64_t>(message, 24)};
}

}  // namespace camrelay::bench
