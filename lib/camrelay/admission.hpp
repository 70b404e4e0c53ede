// camrelay core: the whole admission decision for one request, in the order
// vmod_camrelay(3) documents for .decide(): routing, key (Relay::decide),
// then the camera's tunnel and one of its viewer slots. The VMOD only
// converts types, keeps the per-request state, counts and logs.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "camrelay/relay.hpp"
#include "camrelay/tunnel_status.hpp"

namespace camrelay {

// What admit() says besides the Decision. Plain data: the VMOD keeps it in
// the request's workspace until the request ends.
struct Admitted {
    // Index of Decision::camera in the registry (valid when camera is set).
    std::size_t camera_index = 0;
    // The routed camera's live-viewer count, null when routing failed.
    ViewerCounter::Slot* viewers = nullptr;
    // A viewer slot was taken: give it back with Admission::release when
    // the request ends (for a piped WebSocket, when the pipe closes).
    bool holds_viewer = false;
    // With it, the counts of its key and of its client address (null when
    // that limit is off), released with the slot.
    HolderCounter* holders = nullptr;
    HolderCounter::Entry* key_entry = nullptr;
    HolderCounter::Entry* address_entry = nullptr;
};

// How many of a camera's viewer slots one key, and one client address, may
// hold at once; 0: no such limit.
struct ViewerLimits {
    unsigned per_key = 0;
    unsigned per_address = 0;
};

class Admission {
public:
    // `relay`, `viewers` and `tunnels` must outlive the Admission. Every
    // camera's slot in `viewers` is looked up here, once, so that admit()
    // counts without the counter's lock. `tunnels` null: tunnels are not
    // checked (the VMOD's check_tunnel=false).
    Admission(const Relay& relay, ViewerCounter& viewers, TunnelCheck* tunnels, ViewerLimits limits = {});

    // relay.decide(out, url, host, now, require_key); then, if it allowed a
    // camera: `offline` when its tunnel is down ("camera ID is offline (its
    // tunnel is not connected)"), else when `viewer`, one viewer slot taken
    // or `too_many_viewers` ("camera ID already has N viewer(s), its
    // maximum"), `too_many_viewers_for_key` ("this key already has N
    // viewer(s) of camera ID, its maximum") or `too_many_viewers_for_address`
    // ("your address already has N viewer(s) of camera ID, its maximum").
    // The key is counted by its loggable form (key_for_log, MAC left out:
    // only one MAC of those fields passes the check), the address by
    // `client` as given; both per camera. With a key not required, only the
    // address is counted. Reuses `out`'s strings: a caller that keeps one
    // Decision per thread allocates nothing once it is warm (the holder
    // counts allocate one map node per new holder, freed at zero).
    Admitted admit(Decision& out, std::string_view url, std::string_view host, std::int64_t now,
                   bool require_key = true, bool viewer = true, std::string_view client = {}) const;

    // Gives back the viewer slot `admitted` holds (and its key's and
    // address's counts), at most once; true if it held one.
    static bool release(Admitted& admitted) noexcept;

    // Live viewers of the camera at `camera_index` in the registry (0 for
    // an index past the end).
    unsigned viewers(std::size_t camera_index) const;

    const Relay& relay() const { return relay_; }

private:
    const Relay& relay_;
    ViewerCounter& counter_;
    TunnelCheck* tunnels_;
    ViewerLimits limits_;
    std::vector<ViewerCounter::Slot*> slots_;  // same order as relay_.registry().cameras
};

}  // namespace camrelay
