// camrelay core: SHA-256, HMAC-SHA256, constant-time compare, base64url, hex.
#include "camrelay/crypto.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <climits>
#include <cstring>
#include <memory>
#include <stdexcept>

namespace camrelay {

namespace {

constexpr std::size_t kBlockSize = 64;  // SHA-256 block size, the HMAC pad length

[[noreturn]] void openssl_failure(const char* what) {
    throw std::runtime_error(std::string("OpenSSL failure: ") + what);
}

// Fetched once: EVP_sha256() would make OpenSSL 3 look the provider up
// again on every EVP_DigestInit_ex.
const EVP_MD* sha256_md() {
    static const EVP_MD* md = [] {
        EVP_MD* m = EVP_MD_fetch(nullptr, "SHA256", nullptr);
        if (m == nullptr) openssl_failure("EVP_MD_fetch(SHA256)");
        return m;
    }();
    return md;
}

struct MdCtxDeleter {
    void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); }
};
using MdCtx = std::unique_ptr<EVP_MD_CTX, MdCtxDeleter>;

MdCtx new_ctx() {
    MdCtx c(EVP_MD_CTX_new());
    if (!c) openssl_failure("EVP_MD_CTX_new");
    return c;
}

// One scratch context per thread: mac() copies a precomputed state into it
// instead of allocating a fresh context per call.
EVP_MD_CTX* scratch_ctx() {
    thread_local MdCtx ctx = new_ctx();
    return ctx.get();
}

void finish(EVP_MD_CTX* ctx, std::uint8_t* out) {
    unsigned int len = 0;
    if (EVP_DigestFinal_ex(ctx, out, &len) != 1 || len != 32) openssl_failure("EVP_DigestFinal_ex");
}

}  // namespace

Digest sha256(std::string_view data) {
    Digest out{};
    unsigned int len = 0;
    if (EVP_Digest(data.data(), data.size(), out.data(), &len, sha256_md(), nullptr) != 1 || len != out.size())
        openssl_failure("EVP_Digest");
    return out;
}

Digest hmac_sha256(const std::vector<std::uint8_t>& key, std::string_view message) {
    return HmacKey(key).mac(message);
}

// HMAC(K, m) = H((K' ^ opad) || H((K' ^ ipad) || m)). Both padded blocks are
// absorbed once here; mac() resumes from copies of these two states.
struct HmacKey::State {
    MdCtx inner;
    MdCtx outer;
};

HmacKey::HmacKey(const std::vector<std::uint8_t>& key) {
    std::uint8_t block[kBlockSize] = {};
    if (key.size() > kBlockSize) {
        Digest d = sha256(std::string_view(reinterpret_cast<const char*>(key.data()), key.size()));
        std::memcpy(block, d.data(), d.size());
        OPENSSL_cleanse(d.data(), d.size());
    } else if (!key.empty()) {
        std::memcpy(block, key.data(), key.size());
    }
    std::uint8_t ipad[kBlockSize];
    std::uint8_t opad[kBlockSize];
    for (std::size_t i = 0; i < kBlockSize; ++i) {
        ipad[i] = static_cast<std::uint8_t>(block[i] ^ 0x36);
        opad[i] = static_cast<std::uint8_t>(block[i] ^ 0x5c);
    }
    auto st = std::make_unique<State>();
    st->inner = new_ctx();
    st->outer = new_ctx();
    bool ok = EVP_DigestInit_ex(st->inner.get(), sha256_md(), nullptr) == 1 &&
              EVP_DigestUpdate(st->inner.get(), ipad, kBlockSize) == 1 &&
              EVP_DigestInit_ex(st->outer.get(), sha256_md(), nullptr) == 1 &&
              EVP_DigestUpdate(st->outer.get(), opad, kBlockSize) == 1;
    OPENSSL_cleanse(block, sizeof block);
    OPENSSL_cleanse(ipad, sizeof ipad);
    OPENSSL_cleanse(opad, sizeof opad);
    if (!ok) openssl_failure("HMAC key setup");
    state_ = st.release();
}

HmacKey::~HmacKey() { delete state_; }  // EVP_MD_CTX_free cleanses the states

HmacKey::HmacKey(HmacKey&& other) noexcept : state_(other.state_) { other.state_ = nullptr; }

HmacKey& HmacKey::operator=(HmacKey&& other) noexcept {
    if (this != &other) {
        delete state_;
        state_ = other.state_;
        other.state_ = nullptr;
    }
    return *this;
}

Digest HmacKey::mac(std::string_view message) const {
    if (state_ == nullptr) throw std::logic_error("HmacKey::mac on a moved-from key");
    EVP_MD_CTX* ctx = scratch_ctx();
    Digest inner{};
    Digest out{};
    if (EVP_MD_CTX_copy_ex(ctx, state_->inner.get()) != 1 ||
        EVP_DigestUpdate(ctx, message.data(), message.size()) != 1)
        openssl_failure("HMAC inner hash");
    finish(ctx, inner.data());
    if (EVP_MD_CTX_copy_ex(ctx, state_->outer.get()) != 1 ||
        EVP_DigestUpdate(ctx, inner.data(), inner.size()) != 1)
        openssl_failure("HMAC outer hash");
    finish(ctx, out.data());
    OPENSSL_cleanse(inner.data(), inner.size());
    return out;
}

bool constant_time_equal(const void* a, std::size_t a_len, const void* b, std::size_t b_len) {
    if (a_len != b_len) return false;  // lengths are public
    if (a_len == 0) return true;
    return CRYPTO_memcmp(a, b, a_len) == 0;
}

namespace {

constexpr char kB64Alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

// Byte -> 6-bit value, 0xff outside the URL-safe alphabet. Built at compile
// time from kB64Alphabet so the decoder is one load per character.
constexpr std::array<std::uint8_t, 256> kB64Values = [] {
    std::array<std::uint8_t, 256> t{};
    for (auto& v : t) v = 0xff;
    for (std::uint8_t i = 0; i < 64; ++i) t[static_cast<unsigned char>(kB64Alphabet[i])] = i;
    return t;
}();

int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

}  // namespace

std::string base64url_encode(const std::uint8_t* data, std::size_t len) {
    std::string out;
    out.reserve((len * 4 + 2) / 3);
    std::size_t i = 0;
    for (; i + 3 <= len; i += 3) {
        std::uint32_t v = (std::uint32_t{data[i]} << 16) | (std::uint32_t{data[i + 1]} << 8) | data[i + 2];
        out.push_back(kB64Alphabet[(v >> 18) & 63]);
        out.push_back(kB64Alphabet[(v >> 12) & 63]);
        out.push_back(kB64Alphabet[(v >> 6) & 63]);
        out.push_back(kB64Alphabet[v & 63]);
    }
    std::size_t rest = len - i;
    if (rest == 1) {
        std::uint32_t v = std::uint32_t{data[i]} << 16;
        out.push_back(kB64Alphabet[(v >> 18) & 63]);
        out.push_back(kB64Alphabet[(v >> 12) & 63]);
    } else if (rest == 2) {
        std::uint32_t v = (std::uint32_t{data[i]} << 16) | (std::uint32_t{data[i + 1]} << 8);
        out.push_back(kB64Alphabet[(v >> 18) & 63]);
        out.push_back(kB64Alphabet[(v >> 12) & 63]);
        out.push_back(kB64Alphabet[(v >> 6) & 63]);
    }
    return out;
}

bool base64url_decode_into(std::string_view text, std::uint8_t* out, std::size_t out_len) {
    if (text.size() != base64url_length(out_len)) return false;
    const auto* in = reinterpret_cast<const unsigned char*>(text.data());
    // Invalid characters map to 0xff: OR every value in and test the high
    // bits once at the end instead of branching per character.
    unsigned seen = 0;
    std::size_t i = 0;
    std::size_t o = 0;
    for (; o + 3 <= out_len; i += 4, o += 3) {
        unsigned a = kB64Values[in[i]], b = kB64Values[in[i + 1]], c = kB64Values[in[i + 2]],
                 d = kB64Values[in[i + 3]];
        seen |= a | b | c | d;
        std::uint32_t v = (a << 18) | (b << 12) | (c << 6) | d;
        out[o] = static_cast<std::uint8_t>(v >> 16);
        out[o + 1] = static_cast<std::uint8_t>(v >> 8);
        out[o + 2] = static_cast<std::uint8_t>(v);
    }
    // 2 or 3 characters for the last 1 or 2 bytes; their unused low bits
    // must be zero, otherwise two texts would decode alike.
    if (out_len - o == 1) {
        unsigned a = kB64Values[in[i]], b = kB64Values[in[i + 1]];
        seen |= a | b | ((b & 0x0f) != 0 ? 0xff : 0);
        out[o] = static_cast<std::uint8_t>((a << 2) | (b >> 4));
    } else if (out_len - o == 2) {
        unsigned a = kB64Values[in[i]], b = kB64Values[in[i + 1]], c = kB64Values[in[i + 2]];
        seen |= a | b | c | ((c & 0x03) != 0 ? 0xff : 0);
        std::uint32_t v = (a << 10) | (b << 4) | (c >> 2);
        out[o] = static_cast<std::uint8_t>(v >> 8);
        out[o + 1] = static_cast<std::uint8_t>(v);
    }
    return (seen & 0xc0) == 0;
}

std::optional<std::vector<std::uint8_t>> base64url_decode(std::string_view text) {
    if (text.size() % 4 == 1) return std::nullopt;  // no byte count gives this length
    const std::size_t rest = text.size() % 4;
    std::vector<std::uint8_t> out(text.size() / 4 * 3 + (rest == 0 ? 0 : rest - 1));
    if (!base64url_decode_into(text, out.data(), out.size())) return std::nullopt;
    return out;
}

std::string hex_encode(const std::uint8_t* data, std::size_t len) {
    static constexpr char digits[] = "0123456789abcdef";
    std::string out;
    out.reserve(len * 2);
    for (std::size_t i = 0; i < len; ++i) {
        out.push_back(digits[data[i] >> 4]);
        out.push_back(digits[data[i] & 15]);
    }
    return out;
}

std::optional<std::vector<std::uint8_t>> hex_decode(std::string_view text) {
    if (text.size() % 2 != 0) return std::nullopt;
    std::vector<std::uint8_t> out;
    out.reserve(text.size() / 2);
    for (std::size_t i = 0; i < text.size(); i += 2) {
        int hi = hex_value(text[i]);
        int lo = hex_value(text[i + 1]);
        if (hi < 0 || lo < 0) return std::nullopt;
        out.push_back(static_cast<std::uint8_t>(hi << 4 | lo));
    }
    return out;
}

std::vector<std::uint8_t> random_bytes(std::size_t n) {
    std::vector<std::uint8_t> out(n);
    if (n == 0) return out;
    if (n > static_cast<std::size_t>(INT_MAX)) throw std::runtime_error("random_bytes: request too large");
    if (RAND_bytes(out.data(), static_cast<int>(n)) != 1) throw std::runtime_error("random_bytes: RAND_bytes failed");
    return out;
}

}  // namespace camrelay
