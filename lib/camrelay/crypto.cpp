// camrelay core: SHA-256, HMAC-SHA256, constant-time compare, hex (base64 is
// base64.cpp).
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

Digest hmac_sha256(const std::vector<std::uint8_t>& key, std::string_view message) { return HmacKey(key).mac(message); }

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
    if (EVP_MD_CTX_copy_ex(ctx, state_->inner.get()) != 1 || EVP_DigestUpdate(ctx, message.data(), message.size()) != 1)
        openssl_failure("HMAC inner hash");
    finish(ctx, inner.data());
    if (EVP_MD_CTX_copy_ex(ctx, state_->outer.get()) != 1 || EVP_DigestUpdate(ctx, inner.data(), inner.size()) != 1)
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

int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

}  // namespace

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
