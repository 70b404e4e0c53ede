// camrelay core: the per-request decision (see relay.hpp).
#include "camrelay/relay.hpp"

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <functional>
#include <stdexcept>
#include <system_error>

namespace camrelay {

std::string_view to_string(Outcome o) { return outcome_name(o); }

const char* outcome_name(Outcome o) {
    switch (o) {
        case Outcome::allowed: return "allowed";
        case Outcome::bad_request: return "bad_request";
        case Outcome::unknown_camera: return "unknown_camera";
        case Outcome::key_missing: return "key_missing";
        case Outcome::key_malformed: return "key_malformed";
        case Outcome::key_unknown_secret: return "key_unknown_secret";
        case Outcome::key_bad_signature: return "key_bad_signature";
        case Outcome::key_expired: return "key_expired";
        case Outcome::key_wrong_camera: return "key_wrong_camera";
        case Outcome::key_revoked: return "key_revoked";
        case Outcome::too_many_viewers: return "too_many_viewers";
        case Outcome::offline: return "offline";
        case Outcome::too_many_viewers_for_key: return "too_many_viewers_for_key";
        case Outcome::too_many_viewers_for_address: return "too_many_viewers_for_address";
    }
    return "bad_request";
}

int http_status(Outcome o) {
    switch (o) {
        case Outcome::allowed: return 200;
        case Outcome::bad_request: return 400;
        case Outcome::unknown_camera: return 404;
        case Outcome::key_missing: return 403;
        case Outcome::key_malformed: return 400;
        case Outcome::key_unknown_secret: return 403;
        case Outcome::key_bad_signature: return 403;
        case Outcome::key_expired: return 403;
        case Outcome::key_wrong_camera: return 403;
        case Outcome::key_revoked: return 403;
        case Outcome::too_many_viewers: return 429;
        case Outcome::offline: return 503;
        case Outcome::too_many_viewers_for_key: return 429;
        case Outcome::too_many_viewers_for_address: return 429;
    }
    return 400;
}

Outcome from_key_verdict(KeyVerdict v) {
    switch (v) {
        case KeyVerdict::allowed: return Outcome::allowed;
        case KeyVerdict::missing: return Outcome::key_missing;
        case KeyVerdict::malformed: return Outcome::key_malformed;
        case KeyVerdict::unknown_secret: return Outcome::key_unknown_secret;
        case KeyVerdict::bad_signature: return Outcome::key_bad_signature;
        case KeyVerdict::expired: return Outcome::key_expired;
        case KeyVerdict::wrong_camera: return Outcome::key_wrong_camera;
        case KeyVerdict::revoked: return Outcome::key_revoked;
    }
    return Outcome::key_malformed;
}

namespace {

// Short texts a viewer may see: never the key, never a secret.
const char* key_reason(KeyVerdict v) {
    switch (v) {
        case KeyVerdict::allowed: return "ok";
        case KeyVerdict::missing: return "key missing";
        case KeyVerdict::malformed: return "key malformed";
        case KeyVerdict::unknown_secret: return "key signed with an unknown secret";
        case KeyVerdict::bad_signature: return "key signature invalid";
        case KeyVerdict::expired: return "key expired";
        case KeyVerdict::wrong_camera: return "key is for another camera";
        case KeyVerdict::revoked: return "key revoked";
    }
    return "key malformed";
}

}  // namespace

std::unique_ptr<Relay> Relay::load(const std::string& dir, RouteConfig route) {
    std::string base = dir.empty() ? std::string(".") : dir;
    if (base.back() != '/') base.push_back('/');
    Registry registry = load_registry(base + kCamerasFile);
    SecretSet secrets = load_secrets(base + kSecretsFile);
    return std::make_unique<Relay>(std::move(registry), std::move(secrets), std::move(route));
}

Relay::Relay(Registry registry, SecretSet secrets, RouteConfig route)
    : registry_(std::move(registry)), secrets_(std::move(secrets)), route_(std::move(route)) {
    // The query source must not read (or strip) the key parameter.
    if (route_.query_param.empty()) throw std::invalid_argument("the camera query parameter name is empty");
    if (route_.query_param == "k") throw std::invalid_argument("the camera query parameter cannot be \"k\"");
}

std::size_t Relay::camera_index(const Camera* camera) const {
    const auto& cams = registry_.cameras;
    std::less<const Camera*> before;  // a total order, unlike <
    if (camera == nullptr || before(camera, cams.data()) || !before(camera, cams.data() + cams.size()))
        return cams.size();
    return static_cast<std::size_t>(camera - cams.data());
}

Decision Relay::decide(std::string_view url, std::string_view host, std::int64_t now, bool require_key) const {
    Decision d;
    decide(d, url, host, now, require_key);
    return d;
}

void Relay::decide(Decision& d, std::string_view url, std::string_view host, std::int64_t now, bool require_key) const {
    RouteResult r;
    r.url.swap(d.url);  // route into d.url's buffer
    route_request(route_, registry_, url, host, r);
    d.url.swap(r.url);
    d.camera = nullptr;
    d.key.clear();
    auto outcome = [&](Outcome o, std::string_view reason) {
        d.outcome = o;
        d.reason.assign(reason);
    };
    // The key is parsed once for both the check and the log form.
    const bool check = r.status == Route::Status::ok && require_key && r.key_count == 1 && !r.key.empty();
    if (!check) loggable_key(r.key, d.key_for_log);
    if (r.status != Route::Status::ok) {
        d.outcome = r.status == Route::Status::bad_request ? Outcome::bad_request : Outcome::unknown_camera;
        d.reason.swap(r.reason);
        return;
    }
    d.camera = r.camera;
    if (!require_key) return outcome(Outcome::allowed, "ok");
    if (r.key_count > 1) return outcome(Outcome::key_malformed, "more than one key");
    if (r.key_count == 0) return outcome(Outcome::key_missing, "key missing");
    if (r.key.empty()) return outcome(Outcome::key_malformed, "empty key");  // "k=" with nothing after it
    KeyVerdict v = check_key(secrets_, r.key, r.camera->id, r.camera->keys, now, d.key_for_log);
    outcome(from_key_verdict(v), key_reason(v));
    if (v == KeyVerdict::allowed) d.key.assign(r.key);
}

Outcome Relay::recheck(std::string_view camera, std::string_view key, std::int64_t now) const {
    const Camera* cam = registry_.find(camera);
    if (cam == nullptr) return Outcome::unknown_camera;
    if (key.empty()) return Outcome::allowed;
    return from_key_verdict(check_key(secrets_, key, cam->id, cam->keys, now));
}

ViewerCounter::Slot& ViewerCounter::slot(std::string_view camera) {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = slots_.find(camera);
    if (it == slots_.end()) it = slots_.try_emplace(std::string(camera), 0u).first;
    return it->second;
}

bool ViewerCounter::try_acquire(Slot& slot, unsigned max) {
    unsigned n = slot.load(std::memory_order_relaxed);
    do {
        if (n >= max) return false;
    } while (!slot.compare_exchange_weak(n, n + 1, std::memory_order_acq_rel, std::memory_order_relaxed));
    return true;
}

void ViewerCounter::release(Slot& slot) {
    unsigned n = slot.load(std::memory_order_relaxed);
    do {
        if (n == 0) return;  // unbalanced release: never go below zero
    } while (!slot.compare_exchange_weak(n, n - 1, std::memory_order_acq_rel, std::memory_order_relaxed));
}

HolderCounter::Entry* HolderCounter::try_acquire(std::string_view holder, unsigned max) {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = counts_.find(holder);
    if (it == counts_.end()) {
        if (max == 0) return nullptr;
        it = counts_.try_emplace(std::string(holder), 0u).first;
    }
    if (it->second >= max) return nullptr;
    ++it->second;
    return &*it;
}

void HolderCounter::release(Entry* entry) noexcept {
    if (entry == nullptr) return;
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = counts_.find(entry->first);
    if (it == counts_.end() || &*it != entry) return;  // not ours: never go below zero
    if (--it->second == 0) counts_.erase(it);
}

unsigned HolderCounter::live(std::string_view holder) const {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = counts_.find(holder);
    return it == counts_.end() ? 0 : it->second;
}

std::size_t HolderCounter::size() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return counts_.size();
}

bool ViewerCounter::try_acquire(const std::string& camera, unsigned max) { return try_acquire(slot(camera), max); }

void ViewerCounter::release(const std::string& camera) {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = slots_.find(camera);
    if (it != slots_.end()) release(it->second);
}

unsigned ViewerCounter::live(const std::string& camera) const {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = slots_.find(camera);
    return it == slots_.end() ? 0 : live(it->second);
}

std::optional<PipeBytes> parse_pipe_acct(std::string_view text) {
    std::uint64_t numbers[4];
    for (std::size_t i = 0; i < 4; ++i) {
        if (i > 0) {
            if (text.empty() || text.front() != ' ') return std::nullopt;
            text.remove_prefix(1);
        }
        const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), numbers[i]);
        if (error != std::errc() || end == text.data()) return std::nullopt;
        text.remove_prefix(static_cast<std::size_t>(end - text.data()));
    }
    if (!text.empty()) return std::nullopt;
    return PipeBytes{numbers[2], numbers[3]};
}

void TunnelHistory::observe(bool up, std::int64_t now, std::uint64_t listener) {
    const std::uint64_t before = listener_;
    listener_ = up ? listener : 0;
    if (!seen_) {
        seen_ = true;
        up_ = up;
        return;
    }
    const bool replaced = up && up_ && listener != 0 && before != 0 && listener != before;
    if (up == up_ && !replaced) return;
    up_ = up;
    changed_ = now;
    if (!up) return;
    ++connects_;
    const std::int64_t minute = now / 60;
    const std::size_t i = static_cast<std::size_t>(minute % static_cast<std::int64_t>(kMinutes));
    if (minute_[i] != minute) {
        minute_[i] = minute;
        count_[i] = 0;
    }
    ++count_[i];
}

unsigned TunnelHistory::connects_last_hour(std::int64_t now) const {
    const std::int64_t minute = now / 60;
    unsigned total = 0;
    for (std::size_t i = 0; i < kMinutes; ++i)
        if (count_[i] != 0 && minute_[i] <= minute && minute - minute_[i] < static_cast<std::int64_t>(kMinutes))
            total += count_[i];
    return total;
}

}  // namespace camrelay
