// camrelay core: viewer keys (see key.hpp for the format).
#include "key.hpp"

#include <array>
#include <cstring>
#include <stdexcept>

#include "ids.hpp"

namespace camrelay {

namespace {

constexpr std::string_view kV1Prefix = "v1.";
constexpr std::string_view kMacDomain = "camrelay-v1\n";
constexpr std::size_t kMacTextLength = 43;  // base64url of 32 bytes, no padding
constexpr std::size_t kMaxTimeDigits = 12;
constexpr std::int64_t kMaxTime = 999'999'999'999;  // 12 digits

// Decimal Unix time: 1 to 12 digits, no sign, no leading zero (so 0 itself
// is refused: no real key is issued or expires at the epoch).
std::optional<std::int64_t> parse_time(std::string_view s) {
    if (s.empty() || s.size() > kMaxTimeDigits || s.front() == '0') return std::nullopt;
    std::int64_t v = 0;
    for (char c : s) {
        if (c < '0' || c > '9') return std::nullopt;
        v = v * 10 + (c - '0');
    }
    return v;
}

bool has_line_break_or_nul(std::string_view s) {
    for (char c : s)
        if (c == '\0' || c == '\r' || c == '\n') return true;
    return false;
}

}  // namespace

std::string_view to_string(KeyVerdict v) {
    switch (v) {
        case KeyVerdict::allowed: return "allowed";
        case KeyVerdict::missing: return "missing";
        case KeyVerdict::malformed: return "malformed";
        case KeyVerdict::unknown_secret: return "unknown_secret";
        case KeyVerdict::bad_signature: return "bad_signature";
        case KeyVerdict::expired: return "expired";
        case KeyVerdict::wrong_camera: return "wrong_camera";
        case KeyVerdict::revoked: return "revoked";
    }
    return "malformed";
}

// --- SecretSet

struct SecretSet::Impl {
    std::vector<Secret> secrets;
    std::vector<HmacKey> keys;  // keys[i] belongs to secrets[i]
};

SecretSet::SecretSet() : impl_(std::make_unique<Impl>()) {}
SecretSet::~SecretSet() = default;
SecretSet::SecretSet(SecretSet&&) noexcept = default;
SecretSet& SecretSet::operator=(SecretSet&&) noexcept = default;

void SecretSet::add(Secret secret) {
    if (!impl_) impl_ = std::make_unique<Impl>();
    if (!valid_secret_id(secret.id)) throw std::invalid_argument("invalid secret id");
    if (secret.bytes.size() != kSecretBytes)
        throw std::invalid_argument("secret " + secret.id + " must be " + std::to_string(kSecretBytes) +
                                    " bytes long");
    if (find(secret.id) != nullptr) throw std::invalid_argument("duplicate secret id " + secret.id);
    if (secret.primary) {
        if (const Secret* p = primary())
            throw std::invalid_argument("secret " + secret.id + " cannot be primary: " + p->id + " already is");
    }
    HmacKey key(secret.bytes);
    impl_->secrets.push_back(std::move(secret));
    try {
        impl_->keys.push_back(std::move(key));
    } catch (...) {
        impl_->secrets.pop_back();
        throw;
    }
}

const Secret* SecretSet::find(std::string_view id) const {
    if (!impl_) return nullptr;
    for (const Secret& s : impl_->secrets)
        if (s.id == id) return &s;
    return nullptr;
}

const Secret* SecretSet::primary() const {
    if (!impl_) return nullptr;
    for (const Secret& s : impl_->secrets)
        if (s.primary) return &s;
    return nullptr;
}

const std::vector<Secret>& SecretSet::all() const {
    static const std::vector<Secret> none;
    return impl_ ? impl_->secrets : none;
}

bool SecretSet::empty() const { return !impl_ || impl_->secrets.empty(); }

std::optional<Digest> SecretSet::mac(std::string_view secret_id, std::string_view message) const {
    if (!impl_) return std::nullopt;
    for (std::size_t i = 0; i < impl_->secrets.size(); ++i)
        if (impl_->secrets[i].id == secret_id) return impl_->keys[i].mac(message);
    return std::nullopt;
}

// --- keys

std::optional<KeyFields> parse_key(std::string_view key) {
    if (key.size() > kMaxKeyLength || key.substr(0, kV1Prefix.size()) != kV1Prefix) return std::nullopt;
    std::array<std::string_view, 5> f;
    std::string_view rest = key.substr(kV1Prefix.size());
    for (std::size_t i = 0; i < f.size(); ++i) {
        std::size_t dot = rest.find('.');
        if (i + 1 < f.size()) {
            if (dot == std::string_view::npos) return std::nullopt;
            f[i] = rest.substr(0, dot);
            rest.remove_prefix(dot + 1);
        } else {
            if (dot != std::string_view::npos) return std::nullopt;  // a sixth field
            f[i] = rest;
        }
    }
    if (!valid_camera_id(f[0]) || !valid_secret_id(f[1])) return std::nullopt;
    auto issued = parse_time(f[2]);
    auto expires = parse_time(f[3]);
    if (!issued || !expires || *expires <= *issued) return std::nullopt;
    if (f[4].size() != kMacTextLength) return std::nullopt;
    auto mac = base64url_decode(f[4]);
    if (!mac || mac->size() != Digest{}.size()) return std::nullopt;

    KeyFields out;
    out.camera.assign(f[0]);
    out.secret_id.assign(f[1]);
    out.issued = *issued;
    out.expires = *expires;
    std::copy(mac->begin(), mac->end(), out.mac.begin());
    return out;
}

std::string key_message(std::string_view camera, std::string_view secret_id, std::int64_t issued,
                        std::int64_t expires) {
    std::string m;
    m.reserve(kMacDomain.size() + camera.size() + secret_id.size() + 3 + 2 * 20);
    m.append(kMacDomain);
    m.append(camera);
    m.push_back('\n');
    m.append(secret_id);
    m.push_back('\n');
    m.append(std::to_string(issued));
    m.push_back('\n');
    m.append(std::to_string(expires));
    return m;
}

std::string issue_key(const Secret& secret, std::string_view camera, std::int64_t issued,
                      std::int64_t expires) {
    if (!valid_camera_id(camera)) throw std::invalid_argument("invalid camera id");
    if (!valid_secret_id(secret.id)) throw std::invalid_argument("invalid secret id");
    if (secret.bytes.size() != kSecretBytes)
        throw std::invalid_argument("secret " + secret.id + " must be " + std::to_string(kSecretBytes) +
                                    " bytes long");
    if (issued < 1 || issued > kMaxTime || expires > kMaxTime)
        throw std::invalid_argument("key times must be between 1 and " + std::to_string(kMaxTime));
    if (expires <= issued) throw std::invalid_argument("a key must expire after it is issued");
    Digest mac = HmacKey(secret.bytes).mac(key_message(camera, secret.id, issued, expires));
    std::string key;
    key.reserve(kMaxKeyLength);
    key.append(kV1Prefix);
    key.append(camera);
    key.push_back('.');
    key.append(secret.id);
    key.push_back('.');
    key.append(std::to_string(issued));
    key.push_back('.');
    key.append(std::to_string(expires));
    key.push_back('.');
    key.append(base64url_encode(mac));
    return key;
}

KeyVerdict check_key(const SecretSet& secrets, std::string_view key, std::string_view camera,
                     const KeyPolicy& policy, std::int64_t now) {
    if (key.empty()) return KeyVerdict::missing;
    if (key.size() > kMaxKeyLength || has_line_break_or_nul(key)) return KeyVerdict::malformed;

    if (key.substr(0, kV1Prefix.size()) != kV1Prefix) {
        if (!policy.legacy_sha256) return KeyVerdict::malformed;
        Digest presented = sha256(key);
        return constant_time_equal(presented, *policy.legacy_sha256) ? KeyVerdict::allowed
                                                                      : KeyVerdict::bad_signature;
    }

    auto fields = parse_key(key);
    if (!fields) return KeyVerdict::malformed;
    // parse_key accepted only canonical fields, so the MACed message is the
    // key's text before the MAC with '.' read as '\n': build it on the stack
    // (same bytes as key_message, without its allocations).
    char message[kMacDomain.size() + kMaxKeyLength];
    const std::size_t body_len = key.rfind('.') - kV1Prefix.size();
    std::memcpy(message, kMacDomain.data(), kMacDomain.size());
    for (std::size_t i = 0; i < body_len; ++i) {
        char c = key[kV1Prefix.size() + i];
        message[kMacDomain.size() + i] = c == '.' ? '\n' : c;
    }
    auto expected = secrets.mac(fields->secret_id, std::string_view(message, kMacDomain.size() + body_len));
    if (!expected) return KeyVerdict::unknown_secret;
    if (!constant_time_equal(*expected, fields->mac)) return KeyVerdict::bad_signature;
    if (now >= fields->expires) return KeyVerdict::expired;
    if (fields->camera != camera) return KeyVerdict::wrong_camera;
    if (fields->issued < policy.revoke_before) return KeyVerdict::revoked;
    return KeyVerdict::allowed;
}

std::string loggable_key(std::string_view key) {
    if (key.empty()) return {};
    bool v1 = key.substr(0, kV1Prefix.size()) == kV1Prefix;
    if (key.size() > kMaxKeyLength || has_line_break_or_nul(key) || (v1 && !parse_key(key)))
        return "malformed(len=" + std::to_string(key.size()) + ")";
    if (!v1) return "legacy(len=" + std::to_string(key.size()) + ")";
    // A parsed v1 key: every field before the MAC is public and uses [A-Za-z0-9_-.].
    std::size_t last_dot = key.rfind('.');
    return std::string(key.substr(0, last_dot + 1)) + "*";
}

}  // namespace camrelay
