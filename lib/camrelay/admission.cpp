// camrelay core: the admission decision (admission.hpp).
#include "camrelay/admission.hpp"

#include <charconv>
#include <stdexcept>

namespace camrelay {

namespace {

// "N viewer(s) of camera ID, its maximum"
void append_limit(std::string& reason, unsigned max, const std::string& camera) {
    char text[16];
    const std::size_t len = static_cast<std::size_t>(std::to_chars(text, text + sizeof text, max).ptr - text);
    reason.append(text, len).append(max == 1 ? " viewer" : " viewers");
    if (!camera.empty()) reason.append(" of camera ").append(camera);
    reason.append(", its maximum");
}

// The holder text: kind, camera, then what identifies the holder.
std::string_view holder_name(std::string& buf, char kind, const std::string& camera, std::string_view who) {
    buf.assign(1, kind).append(camera).append(1, ' ').append(who);
    return buf;
}

}  // namespace

Admission::Admission(const Relay& relay, ViewerCounter& viewers, TunnelCheck* tunnels, ViewerLimits limits)
    : relay_(relay), counter_(viewers), tunnels_(tunnels), limits_(limits) {
    const auto& cams = relay_.registry().cameras;
    slots_.reserve(cams.size());
    for (const Camera& cam : cams) slots_.push_back(&viewers.slot(cam.id));
}

Admitted Admission::admit(Decision& d, std::string_view url, std::string_view host, std::int64_t now, bool require_key,
                          bool viewer, std::string_view client) const {
    relay_.decide(d, url, host, now, require_key);
    Admitted a;
    if (d.camera == nullptr) return a;
    a.camera_index = relay_.camera_index(d.camera);
    if (a.camera_index >= slots_.size()) throw std::logic_error("routed camera not in the registry");
    a.viewers = slots_[a.camera_index];
    if (!d.allowed()) return a;
    const Camera& cam = *d.camera;
    if (tunnels_ != nullptr && !tunnels_->up(cam.tunnel)) {
        d.outcome = Outcome::offline;
        d.reason.assign("camera ").append(cam.id).append(" is offline (its tunnel is not connected)");
        return a;
    }
    if (!viewer) return a;
    if (!ViewerCounter::try_acquire(*a.viewers, cam.max_viewers)) {
        d.outcome = Outcome::too_many_viewers;
        d.reason.assign("camera ").append(cam.id).append(" already has ");
        append_limit(d.reason, cam.max_viewers, {});
        return a;
    }
    a.holds_viewer = true;
    a.holders = &counter_.holders;
    // The camera's slot first, so that a full camera still says so; then
    // the key's and the address's own counts, each given back on refusal.
    thread_local std::string name;
    // One of `limit` places for `who` (a key or an address) at this camera;
    // false, with the slot given back and the outcome set, when none is free.
    auto take = [&](HolderCounter::Entry*& entry, char kind, std::string_view who, unsigned limit, Outcome full,
                    const char* whose) {
        entry = a.holders->try_acquire(holder_name(name, kind, cam.id, who), limit);
        if (entry != nullptr) return true;
        release(a);
        d.outcome = full;
        d.reason.assign(whose);
        append_limit(d.reason, limit, cam.id);
        return false;
    };
    try {
        if (limits_.per_key != 0 && require_key && !d.key_for_log.empty() &&
            !take(a.key_entry, 'k', d.key_for_log, limits_.per_key, Outcome::too_many_viewers_for_key,
                  "this key already has "))
            return a;
        if (limits_.per_address != 0 && !client.empty() &&
            !take(a.address_entry, 'a', client, limits_.per_address, Outcome::too_many_viewers_for_address,
                  "your address already has "))
            return a;
    } catch (...) {
        release(a);
        throw;
    }
    return a;
}

bool Admission::release(Admitted& a) noexcept {
    if (!a.holds_viewer || a.viewers == nullptr) return false;
    a.holds_viewer = false;
    ViewerCounter::release(*a.viewers);
    if (a.holders != nullptr) {
        a.holders->release(a.key_entry);
        a.holders->release(a.address_entry);
    }
    a.key_entry = a.address_entry = nullptr;
    return true;
}

unsigned Admission::viewers(std::size_t camera_index) const {
    return camera_index < slots_.size() ? ViewerCounter::live(*slots_[camera_index]) : 0;
}

}  // namespace camrelay
