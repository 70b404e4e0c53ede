#include "crypto.hpp"
#include <stdexcept>
namespace camrelay {
struct HmacKey::State {};
Digest sha256(std::string_view) { return {}; }
Digest hmac_sha256(const std::vector<std::uint8_t>&, std::string_view) { return {}; }
HmacKey::HmacKey(const std::vector<std::uint8_t>&) : state_(new State) {}
HmacKey::~HmacKey() { delete state_; }
HmacKey::HmacKey(HmacKey&& o) noexcept : state_(o.state_) { o.state_ = nullptr; }
HmacKey& HmacKey::operator=(HmacKey&& o) noexcept { std::swap(state_, o.state_); return *this; }
Digest HmacKey::mac(std::string_view) const { return {}; }
bool constant_time_equal(const void*, std::size_t, const void*, std::size_t) { return false; }
std::string base64url_encode(const std::uint8_t*, std::size_t) { return {}; }
std::optional<std::vector<std::uint8_t>> base64url_decode(std::string_view) { return std::nullopt; }
std::string hex_encode(const std::uint8_t*, std::size_t) { return {}; }
std::optional<std::vector<std::uint8_t>> hex_decode(std::string_view) { return std::nullopt; }
std::vector<std::uint8_t> random_bytes(std::size_t) { throw std::runtime_error("pending"); }
}  // namespace camrelay
