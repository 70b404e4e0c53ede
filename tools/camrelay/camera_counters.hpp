// camrelay command: the module's per-camera counters, CAMRELAY_CAMERA.<id>.*
// (vmod/camrelay_camera.vsc, vmod_camrelay(3) COUNTERS), read from
// varnishd's shared memory with libvarnishapi's VSC API, as varnishstat
// reads them. One reader for `camrelay status` and `camrelay metrics`, so
// that the table, its JSON and the Prometheus metrics show the same values.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

struct vsm;
struct vsc;

namespace camrelay::cli {

// The refusal reasons of the per-camera counters: every outcome of the core
// that names a camera, in the core's order (each is a counter's name).
const std::vector<std::string>& refusal_reasons();

using Counters = std::map<std::string, std::uint64_t, std::less<>>;   // field -> value
using CameraCounters = std::map<std::string, Counters, std::less<>>;  // camera id -> its counters

// Attached to one varnishd instance, and kept attached between reads (the
// refreshes of status --watch, the scrapes of metrics).
class VarnishCounters {
public:
    // instance: varnishd's -n (name or directory); none: its default one.
    explicit VarnishCounters(const std::optional<std::string>& instance);
    ~VarnishCounters();
    VarnishCounters(const VarnishCounters&) = delete;
    VarnishCounters& operator=(const VarnishCounters&) = delete;

    // Camera id -> its counters; nullopt with `error` set when varnishd's
    // counters cannot be read.
    std::optional<CameraCounters> read(std::string& error);

private:
    struct vsm* vsm_;
    struct vsc* vsc_;
    bool attached_ = false;
};

}  // namespace camrelay::cli
