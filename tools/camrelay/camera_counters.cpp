// camrelay command: the module's per-camera counters (camera_counters.hpp).
#include "camera_counters.hpp"

#include <new>
#include <string_view>

// libvarnishapi's headers are C: no extern "C" of their own, and vsm.h
// names a struct member and parameters "class", which it cannot be in C++
// (the name is only renamed in this file; nothing here uses it).
extern "C" {
#define class vsm_class
#include "vapi/vsm.h"
#undef class
#include "vapi/vsc.h"
}

#include "cli.hpp"
#include "camrelay/relay.hpp"

namespace camrelay::cli {
namespace {

// "CAMRELAY_CAMERA.<id>.<field>": camera ids have no dot.
int point(void* priv, const struct VSC_point* pt) {
    if (pt == nullptr || pt->name == nullptr || pt->ptr == nullptr) return 0;
    const std::string_view name(pt->name);
    constexpr std::string_view kPrefix = "CAMRELAY_CAMERA.";
    if (name.substr(0, kPrefix.size()) != kPrefix) return 0;
    const std::string_view rest = name.substr(kPrefix.size());
    const std::size_t dot = rest.find('.');
    if (dot == std::string_view::npos) return 0;
    auto& cameras = *static_cast<CameraCounters*>(priv);
    cameras[std::string(rest.substr(0, dot))][std::string(rest.substr(dot + 1))] = *pt->ptr;
    return 0;
}

}  // namespace

// The refusal reasons of the per-camera counters: every outcome of the core
// that names a camera, in the core's order.
const std::vector<std::string>& refusal_reasons() {
    static const std::vector<std::string> reasons = [] {
        std::vector<std::string> out;
        for (int i = 0; i < kOutcomeCount; ++i) {
            const auto o = static_cast<Outcome>(i);
            if (o != Outcome::allowed && o != Outcome::bad_request && o != Outcome::unknown_camera)
                out.emplace_back(outcome_name(o));
        }
        return out;
    }();
    return reasons;
}

VarnishCounters::VarnishCounters(const std::optional<std::string>& instance) : vsm_(VSM_New()), vsc_(VSC_New()) {
    if (vsm_ == nullptr || vsc_ == nullptr) throw std::bad_alloc();
    if (instance && VSM_Arg(vsm_, 'n', instance->c_str()) <= 0) fail_usage(std::string("-n: ") + VSM_Error(vsm_));
    (void)VSM_Arg(vsm_, 't', "0");  // varnishd is up or it is not: do not wait
    (void)VSC_Arg(vsc_, 'I', "CAMRELAY_CAMERA.*");
}

VarnishCounters::~VarnishCounters() {
    VSC_Destroy(&vsc_, vsm_);
    VSM_Destroy(&vsm_);
}

std::optional<CameraCounters> VarnishCounters::read(std::string& error) {
    if (!attached_) {
        if (VSM_Attach(vsm_, -1) != 0) {
            error = VSM_Error(vsm_);
            VSM_ResetError(vsm_);
            while (!error.empty() && (error.back() == '\n' || error.back() == ' ')) error.pop_back();
            return std::nullopt;
        }
        attached_ = true;
    }
    if ((VSM_Status(vsm_) & VSM_WRK_RUNNING) == 0) {
        error = "varnishd's child process is not running";
        return std::nullopt;
    }
    CameraCounters out;
    (void)VSC_Iter(vsc_, vsm_, &point, &out);
    return out;
}

}  // namespace camrelay::cli
