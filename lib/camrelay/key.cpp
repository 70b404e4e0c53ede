// camrelay core: viewer keys (key.hpp; the format is specified in
// vmod_camrelay(3), section KEYS).
#include "camrelay/key.hpp"

#include <cstdio>
#include <cstring>
#include <stdexcept>

#include "camrelay/ids.hpp"

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
        throw std::invalid_argument("secret " + secret.id + " must be " + std::to_string(kSecretBytes) + " bytes long");
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

namespace {

// A v1 key split in place: views into the key's own text.
struct KeyView {
    std::string_view camera;
    std::string_view secret_id;
    std::string_view issued_text;
    std::int64_t issued = 0;
    std::int64_t expires = 0;
    std::size_t mac_pos = 0;  // index of the MAC's first character
    Digest mac{};
};

// parse_key without copying anything: the one parser behind parse_key,
// check_key and loggable_key.
bool parse_v1(std::string_view key, KeyView& v) {
    if (key.size() > kMaxKeyLength || key.substr(0, kV1Prefix.size()) != kV1Prefix) return false;
    const char* const begin = key.data();
    const char* const end = begin + key.size();
    const char* p = begin + kV1Prefix.size();
    std::string_view f[4];
    for (auto& field : f) {
        const auto* dot = static_cast<const char*>(std::memchr(p, '.', static_cast<std::size_t>(end - p)));
        if (dot == nullptr) return false;
        field = std::string_view(p, static_cast<std::size_t>(dot - p));
        p = dot + 1;
    }
    if (!valid_camera_id(f[0]) || !valid_secret_id(f[1])) return false;
    auto issued = parse_time(f[2]);
    auto expires = parse_time(f[3]);
    if (!issued || !expires || *expires <= *issued) return false;
    // The MAC runs to the end: a sixth field would put a '.', which is
    // outside the alphabet, into it.
    if (static_cast<std::size_t>(end - p) != kMacTextLength) return false;
    if (!base64url_decode_into(std::string_view(p, kMacTextLength), v.mac.data(), v.mac.size())) return false;
    v.camera = f[0];
    v.secret_id = f[1];
    v.issued_text = f[2];
    v.issued = *issued;
    v.expires = *expires;
    v.mac_pos = static_cast<std::size_t>(p - begin);
    return true;
}

enum class Shape { empty, malformed, legacy, v1 };

// The first step of both check_key and loggable_key; parses a v1 key into v.
Shape classify(std::string_view key, KeyView& v) {
    if (key.empty()) return Shape::empty;
    if (key.size() > kMaxKeyLength) return Shape::malformed;
    // No v1 field admits NUL, CR or LF, so parse_v1 refuses them itself.
    if (key.substr(0, kV1Prefix.size()) == kV1Prefix) return parse_v1(key, v) ? Shape::v1 : Shape::malformed;
    return has_line_break_or_nul(key) ? Shape::malformed : Shape::legacy;
}

void write_loggable(std::string_view key, Shape shape, const KeyView& v, std::string& out) {
    switch (shape) {
        case Shape::empty: out.clear(); return;
        case Shape::malformed: out.assign("malformed(len="); break;
        case Shape::legacy: out.assign("legacy(len="); break;
        case Shape::v1:
            // Every field before the MAC is public and uses [A-Za-z0-9_-.].
            out.resize(v.mac_pos + 1);  // one allocation at most
            std::memcpy(out.data(), key.data(), v.mac_pos);
            out[v.mac_pos] = '*';
            return;
    }
    char digits[24];
    int n = std::snprintf(digits, sizeof digits, "%zu)", key.size());
    out.append(digits, static_cast<std::size_t>(n));
}

}  // namespace

std::optional<KeyFields> parse_key(std::string_view key) {
    KeyView v;
    if (!parse_v1(key, v)) return std::nullopt;
    KeyFields out;
    out.camera.assign(v.camera);
    out.secret_id.assign(v.secret_id);
    out.issued = v.issued;
    out.expires = v.expires;
    out.mac = v.mac;
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

std::string issue_key(const Secret& secret, std::string_view camera, std::int64_t issued, std::int64_t expires) {
    if (!valid_camera_id(camera)) throw std::invalid_argument("invalid camera id");
    if (!valid_secret_id(secret.id)) throw std::invalid_argument("invalid secret id");
    if (secret.bytes.size() != kSecretBytes)
        throw std::invalid_argument("secret " + secret.id + " must be " + std::to_string(kSecretBytes) + " bytes long");
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

namespace {

KeyVerdict check_shaped(const SecretSet& secrets, std::string_view key, Shape shape, const KeyView& v,
                        std::string_view camera, const KeyPolicy& policy, std::int64_t now) {
    switch (shape) {
        case Shape::empty: return KeyVerdict::missing;
        case Shape::malformed: return KeyVerdict::malformed;
        case Shape::legacy: {
            if (!policy.legacy_sha256) return KeyVerdict::malformed;
            Digest presented = sha256(key);
            return constant_time_equal(presented, *policy.legacy_sha256) ? KeyVerdict::allowed
                                                                         : KeyVerdict::bad_signature;
        }
        case Shape::v1: break;
    }
    // parse_v1 accepted only canonical fields, so the MACed message is the
    // key's text before the MAC with its three inner '.' read as '\n': copy
    // it to the stack (same bytes as key_message, without its allocations).
    char message[kMacDomain.size() + kMaxKeyLength];
    const std::size_t body_len = v.mac_pos - 1 - kV1Prefix.size();
    std::memcpy(message, kMacDomain.data(), kMacDomain.size());
    char* body = message + kMacDomain.size();
    std::memcpy(body, key.data() + kV1Prefix.size(), body_len);
    std::size_t nl = v.camera.size();
    body[nl] = '\n';
    nl += 1 + v.secret_id.size();
    body[nl] = '\n';
    nl += 1 + v.issued_text.size();
    body[nl] = '\n';
    auto expected = secrets.mac(v.secret_id, std::string_view(message, kMacDomain.size() + body_len));
    if (!expected) return KeyVerdict::unknown_secret;
    if (!constant_time_equal(*expected, v.mac)) return KeyVerdict::bad_signature;
    if (now >= v.expires) return KeyVerdict::expired;
    if (v.camera != camera) return KeyVerdict::wrong_camera;
    // A key from the future would outlive every revocation set before it.
    if (v.issued < policy.revoke_before || v.issued > now + kMaxIssuedAhead) return KeyVerdict::revoked;
    return KeyVerdict::allowed;
}

}  // namespace

KeyVerdict check_key(const SecretSet& secrets, std::string_view key, std::string_view camera, const KeyPolicy& policy,
                     std::int64_t now) {
    KeyView v;
    return check_shaped(secrets, key, classify(key, v), v, camera, policy, now);
}

KeyVerdict check_key(const SecretSet& secrets, std::string_view key, std::string_view camera, const KeyPolicy& policy,
                     std::int64_t now, std::string& loggable) {
    KeyView v;
    const Shape shape = classify(key, v);
    write_loggable(key, shape, v, loggable);
    return check_shaped(secrets, key, shape, v, camera, policy, now);
}

std::string loggable_key(std::string_view key) {
    std::string out;
    loggable_key(key, out);
    return out;
}

void loggable_key(std::string_view key, std::string& out) {
    KeyView v;
    write_loggable(key, classify(key, v), v, out);
}

}  // namespace camrelay
