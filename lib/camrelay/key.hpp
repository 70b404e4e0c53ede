// camrelay core: viewer keys: signed (v1) keys and their secrets, legacy
// keys, the check and the loggable form.
//
// The key format (fields, the MAC's message, base64url, lengths), legacy keys
// and the order of the checks are specified in vmod_camrelay(3)
// (vmod/vmod_camrelay.vcc), section KEYS; secrets.conf, which holds the
// secrets, in section CONFIGURATION FILES.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "camrelay/crypto.hpp"

namespace camrelay {

inline constexpr std::size_t kMaxKeyLength = 256;
inline constexpr std::size_t kSecretBytes = 32;
// How far a key's issued time may lie ahead of the relay's clock (the clock
// of the host that minted it may run a little ahead). A key issued later than
// now + this is refused as revoked: no revoke-before set until then could
// cover it. `camrelay camera revoke` sets revoke-before to now + this + 1, so
// that it covers every key accepted at that moment. See vmod_camrelay(3), KEYS.
inline constexpr std::int64_t kMaxIssuedAhead = 60;

// Why a key was accepted or refused. The names (to_string) are stable: VCL,
// logs, counters and the CLI use them.
enum class KeyVerdict {
    allowed,
    missing,         // no k= in the request
    malformed,       // not a v1 key and not a usable legacy key; bad syntax; duplicated k=
    unknown_secret,  // names a signing secret the relay does not have
    bad_signature,   // MAC (or legacy hash) does not match
    expired,         // now >= expires
    wrong_camera,    // a valid key, but for another camera
    revoked,         // issued before the camera's revoke-before time, or more than
                     // kMaxIssuedAhead seconds after now
};
std::string_view to_string(KeyVerdict v);

struct Secret {
    std::string id;
    std::vector<std::uint8_t> bytes;  // kSecretBytes long
    bool primary = false;             // the one used for new keys
};

// The signing secrets in force. Several may be valid at once (rotation);
// at most one is primary. Holds a precomputed HmacKey for each.
class SecretSet {
public:
    SecretSet();
    ~SecretSet();
    SecretSet(SecretSet&&) noexcept;
    SecretSet& operator=(SecretSet&&) noexcept;

    // Throws std::invalid_argument on a bad id, wrong length, duplicate id or
    // second primary.
    void add(Secret secret);
    const Secret* find(std::string_view id) const;
    const Secret* primary() const;  // nullptr when there is none
    const std::vector<Secret>& all() const;
    bool empty() const;

    // MAC of a message with the named secret; nullopt if unknown.
    std::optional<Digest> mac(std::string_view secret_id, std::string_view message) const;

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

// The syntactic content of a v1 key. parse_key checks syntax only.
struct KeyFields {
    std::string camera;
    std::string secret_id;
    std::int64_t issued = 0;
    std::int64_t expires = 0;
    Digest mac{};
};
std::optional<KeyFields> parse_key(std::string_view key);

// The exact bytes that are MACed for these fields.
std::string key_message(std::string_view camera, std::string_view secret_id, std::int64_t issued, std::int64_t expires);

// Mint a key. Throws std::invalid_argument on a bad camera id, bad secret or
// expires <= issued.
std::string issue_key(const Secret& secret, std::string_view camera, std::int64_t issued, std::int64_t expires);

// What a camera's registry entry says about keys.
struct KeyPolicy {
    std::int64_t revoke_before = 0;       // keys issued before this are revoked (0: none)
    std::optional<Digest> legacy_sha256;  // fixed legacy key, stored as its SHA-256
};

// The whole check, in this order: missing, length/syntax (malformed),
// legacy path, unknown secret, MAC (bad_signature, constant-time), expiry,
// camera, revocation (issued < revoke_before, or issued > now +
// kMaxIssuedAhead). Secret-derived bytes are compared with
// constant_time_equal only.
KeyVerdict check_key(const SecretSet& secrets, std::string_view key, std::string_view camera, const KeyPolicy& policy,
                     std::int64_t now);
// The same, also setting `loggable` to loggable_key(key) from the same single
// parse (what Relay::decide needs on every request).
KeyVerdict check_key(const SecretSet& secrets, std::string_view key, std::string_view camera, const KeyPolicy& policy,
                     std::int64_t now, std::string& loggable);

// A form of the key safe to log: the public fields of a v1 key with the MAC
// replaced by "*" (never the MAC, never a legacy key's text), e.g.
// "v1.cam1.s1.1700000000.1700003600.*", "legacy(len=12)", "malformed(len=900)".
// Any text not starting with "v1." (and not too long, no NUL/CR/LF) counts
// as legacy here, whatever the camera's policy. An empty key gives "".
std::string loggable_key(std::string_view key);
// The same into `out`, reusing its capacity.
void loggable_key(std::string_view key, std::string& out);

}  // namespace camrelay
