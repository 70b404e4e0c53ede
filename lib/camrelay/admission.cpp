// camrelay core: the admission decision (admission.hpp).
#include "camrelay/admission.hpp"

#include <charconv>
#include <stdexcept>

namespace camrelay {

Admission::Admission(const Relay& relay, ViewerCounter& viewers, TunnelCheck* tunnels)
    : relay_(relay), tunnels_(tunnels) {
    const auto& cams = relay_.registry().cameras;
    slots_.reserve(cams.size());
    for (const Camera& cam : cams) slots_.push_back(&viewers.slot(cam.id));
}

Admitted Admission::admit(Decision& d, std::string_view url, std::string_view host, std::int64_t now, bool require_key,
                          bool viewer) const {
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
    if (ViewerCounter::try_acquire(*a.viewers, cam.max_viewers)) {
        a.holds_viewer = true;
        return a;
    }
    char max[16];
    const std::size_t max_len =
        static_cast<std::size_t>(std::to_chars(max, max + sizeof max, cam.max_viewers).ptr - max);
    d.outcome = Outcome::too_many_viewers;
    d.reason.assign("camera ")
        .append(cam.id)
        .append(" already has ")
        .append(max, max_len)
        .append(cam.max_viewers == 1 ? " viewer" : " viewers")
        .append(", its maximum");
    return a;
}

bool Admission::release(Admitted& a) noexcept {
    if (!a.holds_viewer || a.viewers == nullptr) return false;
    a.holds_viewer = false;
    ViewerCounter::release(*a.viewers);
    return true;
}

unsigned Admission::viewers(std::size_t camera_index) const {
    return camera_index < slots_.size() ? ViewerCounter::live(*slots_[camera_index]) : 0;
}

}  // namespace camrelay
