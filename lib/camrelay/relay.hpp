// camrelay core: the per-request decision. Relay routes the request and
// checks its key; Admission (admission.hpp) adds the tunnel and the viewer
// slot, so that the VMOD only converts types.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "camrelay/key.hpp"
#include "camrelay/registry.hpp"
#include "camrelay/routing.hpp"
#include "camrelay/secrets.hpp"

namespace camrelay {

// Every outcome has a stable name (to_string), used as the VCL-visible
// reason code, in logs and as the VSC counter name.
enum class Outcome {
    allowed,
    bad_request,                   // 400: bad URL, Host or camera id
    unknown_camera,                // 404
    key_missing,                   // 403
    key_malformed,                 // 400
    key_unknown_secret,            // 403
    key_bad_signature,             // 403
    key_expired,                   // 403
    key_wrong_camera,              // 403
    key_revoked,                   // 403
    too_many_viewers,              // 429 (decided by Admission::admit, not by decide())
    offline,                       // 503 (decided by Admission::admit, not by decide())
    too_many_viewers_for_key,      // 429 (Admission::admit): the key's own limit
    too_many_viewers_for_address,  // 429 (Admission::admit): the client address's limit
};
inline constexpr int kOutcomeCount = 14;
std::string_view to_string(Outcome o);  // "allowed", "bad_request", ..., "key_missing", ...
const char* outcome_name(Outcome o);    // the same as a C string with static storage
int http_status(Outcome o);             // 200 for allowed
Outcome from_key_verdict(KeyVerdict v);

struct Decision {
    Outcome outcome = Outcome::bad_request;
    std::string reason;              // short human text, safe to show the viewer and log
    const Camera* camera = nullptr;  // set when routing succeeded (even if the key failed)
    std::string url;                 // URL for the camera (k= removed, prefix stripped)
    std::string key_for_log;         // loggable_key() of the presented key ("" if none)
    std::string key;                 // the presented key when it was checked and allowed, else ""
                                     // (what a live viewer keeps for Relay::recheck); never log it
    bool allowed() const { return outcome == Outcome::allowed; }
};

// An immutable, loaded configuration: one per VCL (re)load.
class Relay {
public:
    // Reads <dir>/cameras.conf and <dir>/secrets.conf. Throws ConfigError
    // (and std::invalid_argument like the constructor).
    static std::unique_ptr<Relay> load(const std::string& dir, RouteConfig route);
    // Throws std::invalid_argument if route.query_param is empty or "k".
    Relay(Registry registry, SecretSet secrets, RouteConfig route);

    // require_key=false routes only (plain HTTP page loads when the VCL
    // allows them without a key): outcome is allowed or a routing refusal.
    // With a key required: two k= give key_malformed ("more than one key"),
    // none key_missing, an empty "k=" key_malformed ("empty key"), else
    // check_key's verdict. Key reasons: "key missing", "key malformed",
    // "key signed with an unknown secret", "key signature invalid",
    // "key expired", "key is for another camera", "key revoked"; "ok" when
    // allowed; routing refusals carry the route's reason.
    Decision decide(std::string_view url, std::string_view host, std::int64_t now, bool require_key = true) const;
    // The same into `out`, reusing its strings' capacity: a caller that
    // keeps one Decision per thread allocates nothing once it is warm.
    void decide(Decision& out, std::string_view url, std::string_view host, std::int64_t now,
                bool require_key = true) const;

    // Whether a viewer admitted earlier (by this or another configuration)
    // for camera `camera` with `key` (Decision::key; "" when no key was
    // required) would still be: `allowed`, `unknown_camera` when the camera
    // is gone, else the key's outcome from the same check_key as decide()
    // (key_expired at `now` >= expires, key_unknown_secret when its secret
    // was retired, key_revoked when it was issued before the camera's
    // revoke-before, key_bad_signature when a secret of the same id has
    // other bytes, key_malformed for a legacy key the camera no longer
    // has). What the VMOD's watcher asks each second of every live viewer,
    // with the newest loaded configuration (vmod_camrelay(3), "Revocation
    // of live viewers").
    Outcome recheck(std::string_view camera, std::string_view key, std::int64_t now) const;

    const Registry& registry() const { return registry_; }
    const SecretSet& secrets() const { return secrets_; }
    const RouteConfig& route() const { return route_; }
    // The index in registry().cameras of `camera`, one of them (as
    // decide() returns them); registry().cameras.size() for any other
    // pointer, null included.
    std::size_t camera_index(const Camera* camera) const;

private:
    Registry registry_;
    SecretSet secrets_;
    RouteConfig route_;
};

// Live viewers per holder of one camera (a key, a client address), named by
// a text the caller builds. An entry exists only while its count is above
// zero, so the map never holds more entries than there are live viewers.
class HolderCounter {
public:
    using Entry = std::pair<const std::string, unsigned>;  // map nodes never move
    // One more viewer for `holder` if it has fewer than `max`: the entry to
    // give to release(), else null. Allocates only for a new holder.
    Entry* try_acquire(std::string_view holder, unsigned max);
    // One less for `entry` (from try_acquire); erased at zero.
    void release(Entry* entry) noexcept;
    unsigned live(std::string_view holder) const;
    std::size_t size() const;

private:
    mutable std::mutex mutex_;
    std::map<std::string, unsigned, std::less<>> counts_;
};

// Live viewers per camera id, shared by every loaded configuration of the
// process so that a VCL reload does not reset the count of open pipes.
class ViewerCounter {
public:
    // One camera's count. A slot lives as long as the counter (never
    // erased), so a caller may look its cameras' slots up once and then
    // count without the lock (the VMOD does, per VCL load).
    using Slot = std::atomic<unsigned>;
    Slot& slot(std::string_view camera);
    // True and counted if fewer than `max` viewers are live.
    static bool try_acquire(Slot& slot, unsigned max);
    // Never goes below zero.
    static void release(Slot& slot);
    static unsigned live(const Slot& slot) { return slot.load(std::memory_order_relaxed); }

    // The same by camera id.
    bool try_acquire(const std::string& camera, unsigned max);
    void release(const std::string& camera);
    unsigned live(const std::string& camera) const;

    // Live viewers per key and per client address of each camera
    // (Admission's limits), as long-lived as the slots.
    HolderCounter holders;

private:
    mutable std::mutex mutex_;
    std::map<std::string, Slot, std::less<>> slots_;  // map nodes never move
};

// What the VMOD's per-camera counters (CAMRELAY_CAMERA.<camera>.*,
// vmod_camrelay(3) COUNTERS) compute beyond plain increments.

// The byte counts of varnishd's PipeAcct log record, "REQ BEREQ IN OUT"
// (four decimals, written when a pipe ends): `in` the bytes read from the
// client after its request headers and sent to the backend, `out` the bytes
// read from the backend and sent to the client. nullopt unless the text is
// exactly four decimal numbers separated by single spaces.
struct PipeBytes {
    std::uint64_t in = 0;
    std::uint64_t out = 0;
};
std::optional<PipeBytes> parse_pipe_acct(std::string_view text);

// A camera's tunnel as seen by looking at it now and then (about once a
// second): its state, when it last changed, and how many times it came up,
// in all and within the last hour. Not thread-safe: one owner updates it.
class TunnelHistory {
public:
    // The first look sets the state without counting a change. `listener`
    // names what listens (its socket's inode; 0: not known): another one
    // while up is the tunnel gone and back between two looks, a change and
    // a connect.
    void observe(bool up, std::int64_t now, std::uint64_t listener = 0);
    bool seen() const { return seen_; }
    bool up() const { return up_; }
    // Unix time of the last change seen; 0 while the state is the one the
    // first look found.
    std::int64_t changed() const { return changed_; }
    // Changes from down to up seen.
    std::uint64_t connects() const { return connects_; }
    // Of those, the ones seen in the 60 minutes up to `now`, to the minute
    // (this minute and the 59 before it).
    unsigned connects_last_hour(std::int64_t now) const;

private:
    static constexpr std::size_t kMinutes = 60;
    bool seen_ = false;
    bool up_ = false;
    std::uint64_t listener_ = 0;
    std::int64_t changed_ = 0;
    std::uint64_t connects_ = 0;
    // Connects per minute: minute_[i] is the minute (Unix time / 60) whose
    // count count_[i] holds, i = minute % 60.
    std::int64_t minute_[kMinutes] = {};
    unsigned count_[kMinutes] = {};
};

}  // namespace camrelay
