// camrelay VMOD: the thin layer between varnishd and the C++ core.
//
// It converts types (VCL strings <-> std::string, the core's Camera/Tunnel
// <-> Varnish backends) and errors (C++ exceptions -> VRT_fail), and keeps the
// per-request decision in a PRIV_TASK, counts it and logs it. Every decision
// itself is made by camrelay::Admission (lib/camrelay/admission.hpp). The
// manual is vmod_camrelay.vcc.
//
// Rules kept here: no exception ever leaves an entry point; no VCL_STRING is
// NULL (we return "" instead); strings handed to VCL live in the workspace or
// in the relay object, which outlives every request of its VCL.

#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <atomic>
#include <charconv>
#include <chrono>
#include <cinttypes>
#include <cstdarg>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <condition_variable>
#include <exception>
#include <functional>
#include <iterator>
#include <map>
#include <memory>
#include <mutex>
#include <new>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <thread>
#include <unordered_map>
#include <vector>

extern "C" {
#include "config.h"
#include "cache/cache.h"
#include "vsa.h"
#include "vrt_obj.h"
#include "vcl.h"
#include "vcc_camrelay_if.h"
#include "VSC_camrelay.h"
#include "VSC_camrelay_camera.h"
}

#include "camrelay/admission.hpp"
#include "camrelay/registry.hpp"
#include "camrelay/relay.hpp"
#include "camrelay/routing.hpp"
#include "camrelay/tunnel_status.hpp"

using camrelay::Outcome;

// ---------------------------------------------------------------------------
// The relay object

// One camera's counters (camrelay_camera.vsc, CAMRELAY_CAMERA.<id>.*),
// shared by every relay object, of every loaded VCL, that has the camera:
// made with the first of them, destroyed with the last (Watcher's
// acquire_cameras and release_cameras). A request reaches them through its
// relay object's `cameras`, by the index of the camera it was routed to:
// atomic increments, no lock, no lookup by name.
struct camera_counters {
    std::string id;
    struct VSC_camrelay_camera* vsc = nullptr;
    struct vsc_seg* seg = nullptr;
    // The rest under the watcher's lock, and only the watcher's thread
    // writes the tunnel gauges after the counters are made.
    unsigned refs = 0;        // relay objects that have the camera
    unsigned warm_refs = 0;   // those of a warm VCL; none: hidden, like a cold VCL's counters
    camrelay::Tunnel tunnel;  // as the relay object that took it last has it
    camrelay::TunnelHistory history;

    camera_counters() = default;
    camera_counters(const camera_counters&) = delete;
    camera_counters& operator=(const camera_counters&) = delete;
    ~camera_counters() {
        if (seg != nullptr) VSC_camrelay_camera_Destroy(&seg);
    }
};

// The relay objects of one VCL, kept in the vmod's PRIV_VCL for the
// WARM/COLD events.
struct vcl_objects {
    vmod_camrelay_relay* head = nullptr;
    bool warm = false;
};

struct vmod_camrelay_relay {
    unsigned magic;
    static constexpr unsigned kMagic = 0x43524c59;  // "CRLY"

    std::string vcl_name;                          // "relay"
    std::string config_dir;                        // as resolved by camrelay::config_dir()
    std::shared_ptr<const camrelay::Relay> relay;  // also held by the watcher (live viewers)
    std::unique_ptr<camrelay::ListenCache> listen;
    bool check_tunnel = true;
    VCL_DURATION tunnel_cache = 0.5;  // how long `listen` keeps a reading
    // The refusal throttle's numbers, for the VCL (.throttle_*()).
    VCL_INT throttle_refusals = 20;
    VCL_DURATION throttle_window = 60.0;
    VCL_DURATION throttle_block = 120.0;
    // Decides with relay, listen (if check_tunnel) and viewer_counter();
    // declared after them, so destroyed before them.
    std::unique_ptr<camrelay::Admission> admission;
    // One backend per camera, same order as relay->registry().cameras. The
    // VCL owns them: it deletes them itself when it is discarded.
    std::vector<VCL_BACKEND> backends;
    std::vector<std::string> backend_names;  // "relay.cam1", same order
    // The cameras' page backends (passed requests without a key), same
    // order: max_connections = page_connections, short timeouts, so that a
    // camera that never answers holds at most page_connections fetches.
    std::vector<VCL_BACKEND> page_backends;
    std::vector<std::string> page_backend_names;  // "relay.cam1.page"
    // Page requests in progress per camera (same order), taken in vcl_recv
    // by take_page_slot() and given back when the client request ends.
    std::unique_ptr<std::atomic<unsigned>[]> pages_in_flight;
    unsigned page_connections = 0;
    unsigned page_connections_total = 0;  // against pages_in_flight_total()
    // The keyless rate limit's numbers, for the VCL (.page_rate*()).
    VCL_INT page_rate = 60;
    VCL_DURATION page_rate_window = 10.0;
    struct VSC_camrelay* vsc = nullptr;
    struct vsc_seg* vsc_seg = nullptr;
    // The per-camera counters, same order as relay->registry().cameras;
    // counted in their warm_refs while counted_warm.
    std::vector<camera_counters*> cameras;
    bool counted_warm = false;
    // Linked list of the relay objects of one VCL.
    vcl_objects* owner = nullptr;
    vmod_camrelay_relay* next_in_vcl = nullptr;
};

namespace {

constexpr const char* kPrefix = "camrelay";

// Viewers are counted per camera id for the whole varnishd process, so that
// a VCL reload keeps counting the pipes opened under the previous VCL.
camrelay::ViewerCounter& viewer_counter() {
    static camrelay::ViewerCounter counter;
    return counter;
}

// Copies `s` with its NUL to `p`; returns `p`, and sets `p` past the copy.
const char* put(char*& p, const std::string& s) {
    char* start = p;
    std::memcpy(p, s.c_str(), s.size() + 1);
    p += s.size() + 1;
    return start;
}

// `v` in decimal, as printf's %d or %u would write it, NUL-terminated.
template <std::size_t N, class T>
const char* decimal(char (&buf)[N], T v) {
    static_assert(N > 11, "room for any 32-bit value");
    char* end = std::to_chars(buf, buf + N - 1, v).ptr;
    *end = '\0';
    return buf;
}

// The decision of the current worker thread: admit() refills it, so its
// strings keep their capacity and a request allocates nothing for them.
// Everything VCL may read later is copied to the workspace.
camrelay::Decision& thread_decision() {
    thread_local camrelay::Decision d;
    return d;
}
// A URL buffer larger than this is not kept for the next request.
constexpr std::size_t kKeptUrlCapacity = 2048;

// VRT_fail() with a printf message that starts with "camrelay: ". In
// vcl_init the message also goes to stderr as "vmod_camrelay: ..." (file:line
// for a configuration error, never a secret or a key, like the message
// itself): a VCL that fails at varnishd's start (-f) shows only "CLI result =
// 300" on the CLI, while the child's stderr reaches the manager's log (and
// the journal under systemd).
__attribute__((format(printf, 2, 3))) void fail(VRT_CTX, const char* fmt, ...) {
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    const int n = std::vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    if (n < 0) buf[0] = '\0';
    VRT_fail(ctx, "%s", buf);
    if (ctx == nullptr || ctx->method != VCL_MET_INIT) return;
    // No allocation here: guard() calls this while handling bad_alloc.
    const char* text = std::strncmp(buf, "camrelay: ", 10) == 0 ? buf + 10 : buf;
    char line[sizeof buf + 32];
    const int len =
        std::snprintf(line, sizeof line, "vmod_camrelay: %s%s\n", text, n >= static_cast<int>(sizeof buf) ? "..." : "");
    if (len > 0) (void)!::write(STDERR_FILENO, line, static_cast<std::size_t>(len));  // one write: whole lines
}

bool check_obj(VRT_CTX, const vmod_camrelay_relay* obj) {
    CHECK_OBJ_NOTNULL(ctx, VRT_CTX_MAGIC);
    if (obj == nullptr || obj->magic != vmod_camrelay_relay::kMagic || !obj->relay) {
        fail(ctx, "%s: relay object not initialised", kPrefix);
        return false;
    }
    return true;
}

// Every entry point body runs through guard(): C++ exceptions become
// VRT_fail() and a neutral value.
template <class T, class F>
T guard(VRT_CTX, const char* what, T neutral, F&& body) noexcept {
    try {
        return body();
    } catch (const std::bad_alloc&) {
        fail(ctx, "%s: %s: out of memory", kPrefix, what);
    } catch (const std::exception& e) {
        fail(ctx, "%s: %s: %s", kPrefix, what, e.what());
    } catch (...) {
        fail(ctx, "%s: %s: unexpected error", kPrefix, what);
    }
    return neutral;
}

void bump(uint64_t* counter) {
    if (counter != nullptr) __atomic_add_fetch(counter, 1, __ATOMIC_RELAXED);
}

void set_gauge(uint64_t& gauge, uint64_t value) { __atomic_store_n(&gauge, value, __ATOMIC_RELAXED); }

// The counter of refusal `o` in a VSC struct with one counter per refusal
// that concerns a routed camera (both camrelay.vsc and camrelay_camera.vsc):
// null for the others.
template <class Counters>
uint64_t* refusal_counter(Counters* v, Outcome o) {
    switch (o) {
        case Outcome::key_missing: return &v->key_missing;
        case Outcome::key_malformed: return &v->key_malformed;
        case Outcome::key_unknown_secret: return &v->key_unknown_secret;
        case Outcome::key_bad_signature: return &v->key_bad_signature;
        case Outcome::key_expired: return &v->key_expired;
        case Outcome::key_wrong_camera: return &v->key_wrong_camera;
        case Outcome::key_revoked: return &v->key_revoked;
        case Outcome::too_many_viewers: return &v->too_many_viewers;
        case Outcome::offline: return &v->offline;
        case Outcome::too_many_viewers_for_key: return &v->too_many_viewers_for_key;
        case Outcome::too_many_viewers_for_address: return &v->too_many_viewers_for_address;
        case Outcome::allowed:
        case Outcome::bad_request:
        case Outcome::unknown_camera: break;
    }
    return nullptr;
}

void count(vmod_camrelay_relay* obj, Outcome o) {
    if (obj->vsc == nullptr) return;
    switch (o) {
        case Outcome::allowed: bump(&obj->vsc->allowed); break;
        case Outcome::bad_request: bump(&obj->vsc->bad_request); break;
        case Outcome::unknown_camera: bump(&obj->vsc->unknown_camera); break;
        default: bump(refusal_counter(obj->vsc, o)); break;
    }
}

// The routed camera's counters: admitted (with a viewer slot) or pages, or
// the refusal's. Routing refusals have no camera.
void count_camera(camera_counters* cam, Outcome o, bool viewer) {
    if (cam == nullptr || cam->vsc == nullptr) return;
    if (o == Outcome::allowed)
        bump(viewer ? &cam->vsc->admitted : &cam->vsc->pages);
    else
        bump(refusal_counter(cam->vsc, o));
}

// Whether the tunnel of each of `items` (tunnel_of(item)) is up, into `up`
// (same size), as check_tunnel sees it, and the inode of its listening
// socket into `listener` (0: not known; a new one is a new connection of
// the camera). Ports from the kernel's socket diagnostics
// (camrelay::loopback_tcp_listeners: some 40 us, where reading /proc/net/tcp
// and tcp6 costs milliseconds on a machine with much memory), Unix sockets
// from /proc/net/unix (cheap). Without an answer from the kernel, from one
// reading of /proc/net, without the listeners: the relay object's cache when
// it keeps a reading long enough to serve them all (so a reading its
// requests made serves here too), else one of its own.
template <class Items, class TunnelOf>
void tunnels_up(const vmod_camrelay_relay& obj, const Items& items, TunnelOf tunnel_of, std::vector<char>& up,
                std::vector<std::uint64_t>& listener) {
    bool tcp = false;
    for (std::size_t i = 0; i < up.size(); ++i) tcp = tcp || tunnel_of(items[i]).kind == camrelay::Tunnel::Kind::port;
    const auto ports = tcp ? camrelay::loopback_tcp_listeners() : std::nullopt;
    std::fill(listener.begin(), listener.end(), 0);
    if (!tcp || ports) {
        for (std::size_t i = 0; i < up.size(); ++i) {
            const camrelay::Tunnel& t = tunnel_of(items[i]);
            up[i] = 0;
            if (t.kind == camrelay::Tunnel::Kind::upstream) {
                up[i] = 1;
            } else if (t.kind == camrelay::Tunnel::Kind::port) {
                auto found = ports->find(t.port);
                if (found != ports->end()) {
                    up[i] = 1;
                    listener[i] = found->second;
                }
            } else {
                for (const std::string& inode : camrelay::tunnel_listener_inodes(t)) {
                    std::uint64_t n = 0;
                    std::from_chars(inode.data(), inode.data() + inode.size(), n);
                    listener[i] = up[i] != 0 ? std::min(listener[i], n) : n;
                    up[i] = 1;
                }
            }
        }
        return;
    }
    if (obj.listen && obj.tunnel_cache >= 0.1) {
        for (std::size_t i = 0; i < up.size(); ++i) up[i] = obj.listen->up(tunnel_of(items[i])) ? 1 : 0;
        return;
    }
    const camrelay::ListenTable table = camrelay::read_listen_table();
    for (std::size_t i = 0; i < up.size(); ++i) up[i] = camrelay::tunnel_up(tunnel_of(items[i]), table) ? 1 : 0;
}

// ---------------------------------------------------------------------------
// Revocation of live viewers (vmod_camrelay(3)): every viewer admitted with
// a viewer slot is written down here, with its client connection's fd, until
// its task ends. One watcher thread per process checks them each second
// against the newest configuration of their configuration directory
// (Relay::recheck) and shuts down the connection of any that would no longer
// be admitted; the pipe then ends as if the viewer had closed it.
//
// fd safety: the entry holds its own duplicate of the client connection's
// fd, closed when the entry is removed (task_fini, release_viewer). varnishd
// closes its own fd of a piped connection before the task ends (Varnish
// 7.1's cnt_pipe calls SES_Close right after the pipe, and CNT_Request runs
// the task's fini later), so its number may already belong to a newly
// accepted connection while the entry exists; the duplicate keeps the
// viewer's socket, and no other, under it until then. shutdown() acts on
// that socket, the one the pipe polls.

struct live_viewer {
    int fd = -1;  // ours: a duplicate of the client connection's fd
    ~live_viewer() {
        if (fd >= 0) (void)::close(fd);
    }
    const std::string* config_dir;  // of the admitting object, which outlives the task
    std::string camera;
    std::string key;  // Decision::key: the secret key itself, never logged
    std::string key_for_log;
    camera_counters* counters;  // the camera's, which outlive the task (its relay object holds them)
    bool cut = false;
};

struct published_relay {
    const vmod_camrelay_relay* obj;
    std::shared_ptr<const camrelay::Relay> relay;
    std::uint64_t generation;  // higher: newer (set by vcl_init, raised by the WARM event)
    bool warm;
};

class Watcher {
public:
    // A relay object's configuration, at vcl_init (not yet warm); starts
    // the thread with the first one.
    void publish(const vmod_camrelay_relay* obj, std::shared_ptr<const camrelay::Relay> relay) {
        std::lock_guard<std::mutex> lock(mutex_);
        relays_.push_back({obj, std::move(relay), ++generation_, false});
        if (!thread_.joinable()) {
            stop_ = false;
            thread_ = std::thread([this] { run(); });
        }
    }
    // WARM: the newest of its directory (vcl.load, vcl.use of a cold VCL);
    // COLD: no longer considered while a warm one exists.
    void set_warm(const vmod_camrelay_relay* obj, bool warm) {
        std::lock_guard<std::mutex> lock(mutex_);
        for (auto& r : relays_) {
            if (r.obj != obj) continue;
            r.warm = warm;
            if (warm) r.generation = ++generation_;
        }
    }
    // When the object is freed; stops the thread with the last one (no
    // object left: no task left either, so no live viewer).
    void withdraw(const vmod_camrelay_relay* obj) {
        std::thread stopping;
        {
            std::unique_lock<std::mutex> lock(mutex_);
            wait_idle(lock);
            relays_.erase(std::remove_if(relays_.begin(), relays_.end(),
                                         [obj](const published_relay& r) { return r.obj == obj; }),
                          relays_.end());
            if (!relays_.empty() || !thread_.joinable()) return;
            stop_ = true;
            stopping = std::move(thread_);
        }
        wake_.notify_all();
        stopping.join();
    }
    live_viewer* add(std::unique_ptr<live_viewer> v) {
        std::lock_guard<std::mutex> lock(mutex_);
        live_viewer* p = v.get();
        viewers_.emplace(p, std::move(v));
        return p;
    }
    void remove(live_viewer* v) noexcept {
        if (v == nullptr) return;
        std::unique_ptr<live_viewer> gone;  // freed after the lock
        std::lock_guard<std::mutex> lock(mutex_);
        auto it = viewers_.find(v);
        if (it == viewers_.end()) return;
        gone = std::move(it->second);
        viewers_.erase(it);
    }

    // The counters of each camera of `cams` (same order), made for those
    // that have none yet, hidden until a warm VCL has them; `up` and
    // `listener` say whether each one's tunnel is up now and what listens,
    // for the new ones. Throws if a
    // segment cannot be made (after giving back what it took).
    std::vector<camera_counters*> acquire_cameras(const std::vector<camrelay::Camera>& cams,
                                                  const std::vector<char>& up,
                                                  const std::vector<std::uint64_t>& listener, std::int64_t now) {
        std::vector<camera_counters*> out;
        out.reserve(cams.size());
        std::lock_guard<std::mutex> lock(mutex_);
        try {
            for (std::size_t i = 0; i < cams.size(); ++i) {
                const camrelay::Camera& cam = cams[i];
                auto it = cameras_.find(cam.id);
                if (it == cameras_.end()) {
                    auto c = std::make_unique<camera_counters>();
                    c->id = cam.id;
                    c->vsc = VSC_camrelay_camera_New(nullptr, &c->seg, "%s", cam.id.c_str());
                    if (c->vsc == nullptr) throw std::runtime_error("cannot allocate the counters of camera " + cam.id);
                    VRT_VSC_Hide(c->seg);
                    set_gauge(c->vsc->started, static_cast<uint64_t>(now));
                    c->history.observe(i < up.size() && up[i] != 0, now, i < listener.size() ? listener[i] : 0);
                    publish_tunnel(*c, now);
                    it = cameras_.emplace(cam.id, std::move(c)).first;
                }
                camera_counters& c = *it->second;
                c.tunnel = cam.tunnel;
                set_gauge(c.vsc->max_viewers, cam.max_viewers);
                ++c.refs;
                out.push_back(&c);
            }
        } catch (...) {
            release_locked(out, false);
            throw;
        }
        return out;
    }
    // The cameras of a relay object that is freed; `warm` if they were
    // counted in warm_refs. The last one destroys a camera's counters.
    void release_cameras(const std::vector<camera_counters*>& cams, bool warm) noexcept {
        std::unique_lock<std::mutex> lock(mutex_);
        wait_idle(lock);
        release_locked(cams, warm);
    }
    // A relay object's VCL went warm or cold: its cameras' counters are
    // shown while a warm VCL has them.
    void set_cameras_warm(const std::vector<camera_counters*>& cams, bool warm) {
        std::lock_guard<std::mutex> lock(mutex_);
        for (camera_counters* c : cams) {
            if (warm && c->warm_refs++ == 0) VRT_VSC_Reveal(c->seg);
            if (!warm && c->warm_refs > 0 && --c->warm_refs == 0) VRT_VSC_Hide(c->seg);
        }
    }

private:
    void run() {
        std::unique_lock<std::mutex> lock(mutex_);
        while (!stop_) {
            wake_.wait_for(lock, std::chrono::seconds(1));
            if (stop_) break;
            check_viewers(static_cast<std::int64_t>(std::time(nullptr)));
            look_at_tunnels(lock);
        }
    }
    // Under the lock: every camera's tunnel (tunnels_up, with the relay
    // object that serves, the newest warm one, for its tunnel cache when the
    // kernel does not answer). The tunnels are looked at without the lock,
    // which admissions take; meanwhile no relay object is freed and no
    // camera's counters destroyed (wait_idle).
    void look_at_tunnels(std::unique_lock<std::mutex>& lock) {
        const published_relay* serving = nullptr;
        for (const auto& r : relays_)
            if (serving == nullptr || (r.warm && !serving->warm) ||
                (r.warm == serving->warm && r.generation > serving->generation))
                serving = &r;
        if (serving == nullptr) return;
        std::vector<std::pair<camera_counters*, camrelay::Tunnel>> cams;
        cams.reserve(cameras_.size());
        for (const auto& [id, c] : cameras_) cams.emplace_back(c.get(), c->tunnel);
        std::vector<char> up(cams.size(), 0);
        std::vector<std::uint64_t> listener(cams.size(), 0);
        bool looked = true;
        ticking_ = true;
        lock.unlock();
        try {
            tunnels_up(
                *serving->obj, cams, [](const auto& cam) -> const camrelay::Tunnel& { return cam.second; }, up,
                listener);
        } catch (...) {
            looked = false;  // out of memory: look again next time
        }
        lock.lock();
        ticking_ = false;
        idle_.notify_all();
        if (!looked) return;
        const auto now = static_cast<std::int64_t>(std::time(nullptr));
        for (std::size_t i = 0; i < cams.size(); ++i) {
            cams[i].first->history.observe(up[i] != 0, now, listener[i]);
            publish_tunnel(*cams[i].first, now);
        }
    }
    // Under the lock: until look_at_tunnels is not using relay objects or
    // counters without it.
    void wait_idle(std::unique_lock<std::mutex>& lock) {
        idle_.wait(lock, [this] { return !ticking_; });
    }
    // Under the lock: cut the live viewers the newest configuration no
    // longer admits.
    void check_viewers(std::int64_t now) {
        for (auto& [p, v] : viewers_) {
            if (v->cut) continue;
            const published_relay* judge = newest(*v->config_dir);
            if (judge == nullptr) continue;
            const Outcome o = judge->relay->recheck(v->camera, v->key, now);
            if (o == Outcome::allowed) continue;
            v->cut = true;
            (void)shutdown(v->fd, SHUT_RDWR);
            if (judge->obj->vsc != nullptr) bump(&judge->obj->vsc->viewers_cut);
            if (v->counters != nullptr) bump(&v->counters->vsc->viewers_cut);
            VSL(SLT_VCL_Log, 0, "%s %s: viewer cut: %s camera=%s key=%s", kPrefix, judge->obj->vcl_name.c_str(),
                camrelay::outcome_name(o), v->camera.c_str(), v->key_for_log.empty() ? "-" : v->key_for_log.c_str());
        }
    }
    static void publish_tunnel(camera_counters& c, std::int64_t now) {
        set_gauge(c.vsc->tunnel, c.history.up() ? 1 : 0);
        set_gauge(c.vsc->tunnel_changed, static_cast<uint64_t>(c.history.changed()));
        set_gauge(c.vsc->tunnel_connects, c.history.connects());
        set_gauge(c.vsc->tunnel_connects_hour, c.history.connects_last_hour(now));
    }
    void release_locked(const std::vector<camera_counters*>& cams, bool warm) noexcept {
        for (camera_counters* c : cams) {
            if (warm && c->warm_refs > 0 && --c->warm_refs == 0) VRT_VSC_Hide(c->seg);
            if (--c->refs > 0) continue;
            auto it = cameras_.find(c->id);
            if (it != cameras_.end() && it->second.get() == c) cameras_.erase(it);  // destroys the segment
        }
    }
    // Under the lock: the newest warm configuration of `dir` (else the
    // newest cold one).
    const published_relay* newest(const std::string& dir) const {
        const published_relay* best = nullptr;
        for (const auto& r : relays_) {
            if (r.obj->config_dir != dir) continue;
            if (best == nullptr || (r.warm && !best->warm) || (r.warm == best->warm && r.generation > best->generation))
                best = &r;
        }
        return best;
    }

    std::mutex mutex_;
    std::condition_variable wake_;
    std::condition_variable idle_;
    std::thread thread_;
    bool stop_ = false;
    bool ticking_ = false;  // look_at_tunnels works without the lock
    std::uint64_t generation_ = 0;
    std::vector<published_relay> relays_;
    std::unordered_map<live_viewer*, std::unique_ptr<live_viewer>> viewers_;
    std::map<std::string, std::unique_ptr<camera_counters>, std::less<>> cameras_;
};

Watcher& watcher() {
    static Watcher* w = new Watcher;  // never destroyed: no static destructor races varnishd's exit
    return *w;
}

// ---------------------------------------------------------------------------
// Per-request state: the last decision of one relay object in one task.
// Plain data in the request workspace; strings point into the workspace,
// the camera into the relay object.

struct task_state {
    unsigned magic;
    static constexpr unsigned kMagic = 0x43525453;  // "CRTS"
    vmod_camrelay_relay* obj;
    bool decided;
    Outcome outcome;
    int status;
    const char* outcome_name;
    const char* reason;
    const char* url;
    const char* key_for_log;
    const camrelay::Camera* camera;  // routed camera, or null
    camera_counters* counters;       // its counters, or null
    camrelay::Admitted admitted;     // its index, its viewer count, whether we hold a slot
    live_viewer* watched;            // in watcher() while it holds a slot
};

void release_viewer(task_state* st) noexcept {
    watcher().remove(st->watched);
    st->watched = nullptr;
    if (!camrelay::Admission::release(st->admitted)) return;
    if (st->obj != nullptr && st->obj->vsc != nullptr) __atomic_sub_fetch(&st->obj->vsc->viewers, 1, __ATOMIC_RELAXED);
    if (st->counters != nullptr) {
        __atomic_sub_fetch(&st->counters->vsc->viewers, 1, __ATOMIC_RELAXED);
        set_gauge(st->counters->vsc->last_viewer, static_cast<uint64_t>(std::time(nullptr)));
    }
}

// The bytes of the pipe that just ended in this request. Varnish 7.1 keeps a
// pipe's byte counts in a local of the backend's http1pipe method
// (vbe_dir_http1pipe), which charges them, when the pipe ends, to the VBE
// counters of the backend (per VCL) and to one PipeAcct record in the
// request's log buffer (V1P_Charge); no VCL variable has them, and no VCL
// subroutine runs after a pipe. The task ends right after that record is
// written, before the buffer is flushed, so it is read here, the last one
// of the buffer. Not there when the tag is masked (vsl_mask=-PipeAcct) or
// every record is flushed at once (debug=+syncvsl).
std::optional<camrelay::PipeBytes> pipe_bytes(const struct vsl_log* vsl) {
    if (vsl == nullptr || vsl->wlb == nullptr || vsl->wlp == nullptr) return std::nullopt;
    const uint32_t* found = nullptr;
    for (const uint32_t* p = vsl->wlb; p < vsl->wlp; p = VSL_NEXT(p))
        if (VSL_TAG(p) == SLT_PipeAcct) found = p;
    if (found == nullptr) return std::nullopt;
    const char* text = VSL_CDATA(found);
    return camrelay::parse_pipe_acct(std::string_view(text, strnlen(text, VSL_LEN(found))));
}

// A piped request of an allowed camera: its bytes each way.
void count_pipe(VRT_CTX, const task_state* st) {
    if (!st->decided || st->outcome != Outcome::allowed || st->counters == nullptr) return;
    if (ctx == nullptr || ctx->req == nullptr || (ctx->req->res_mode & RES_PIPE) == 0) return;
    const std::optional<camrelay::PipeBytes> bytes = pipe_bytes(ctx->req->vsl);
    if (!bytes) {
        bump(&st->counters->vsc->pipes_uncounted);
        return;
    }
    __atomic_add_fetch(&st->counters->vsc->bytes_from_viewers, bytes->in, __ATOMIC_RELAXED);
    __atomic_add_fetch(&st->counters->vsc->bytes_to_viewers, bytes->out, __ATOMIC_RELAXED);
}

// Called by varnishd when the task ends: for a piped request that is when
// the pipe has closed, which frees the viewer slot.
void task_fini(VRT_CTX, void* p) {
    auto* st = static_cast<task_state*>(p);
    if (st == nullptr || st->magic != task_state::kMagic) return;
    count_pipe(ctx, st);
    release_viewer(st);
    st->magic = 0;
}

const struct vmod_priv_methods task_methods[1] = {{
    VMOD_PRIV_METHODS_MAGIC,
    "camrelay task",
    task_fini,
}};

// The task state of `obj`, created if `create`; null if none (or no
// workspace, after VRT_fail).
task_state* get_task(VRT_CTX, vmod_camrelay_relay* obj, bool create) {
    if (ctx->req == nullptr && ctx->bo == nullptr) return nullptr;  // vcl_init/vcl_fini: no task
    struct vmod_priv* priv = create ? VRT_priv_task(ctx, obj) : VRT_priv_task_get(ctx, obj);
    if (priv == nullptr) {
        if (create) fail(ctx, "%s: out of workspace", kPrefix);
        return nullptr;
    }
    if (priv->priv != nullptr) {
        auto* st = static_cast<task_state*>(priv->priv);
        return st->magic == task_state::kMagic ? st : nullptr;
    }
    if (!create) return nullptr;
    void* mem = WS_Alloc(ctx->ws, sizeof(task_state));
    if (mem == nullptr) {
        fail(ctx, "%s: out of workspace", kPrefix);
        return nullptr;
    }
    auto* st = new (mem) task_state{};
    st->magic = task_state::kMagic;
    st->obj = obj;
    st->decided = false;
    st->outcome = Outcome::bad_request;
    st->status = 0;
    st->outcome_name = "";
    st->reason = "";
    st->url = "";
    st->key_for_log = "";
    st->camera = nullptr;
    st->counters = nullptr;
    st->admitted = camrelay::Admitted{};
    st->watched = nullptr;
    priv->priv = st;
    priv->len = sizeof(task_state);
    priv->methods = task_methods;
    return st;
}

const task_state* decided_task(VRT_CTX, vmod_camrelay_relay* obj) {
    const task_state* st = get_task(ctx, obj, false);
    return (st != nullptr && st->decided) ? st : nullptr;
}

// What the accessors (allowed(), reason(), ...) read: the task's decision;
// null before decide(), and for an object that is not initialised
// (check_obj has failed the VCL then).
const task_state* checked_decided_task(VRT_CTX, vmod_camrelay_relay* obj) {
    return check_obj(ctx, obj) ? decided_task(ctx, obj) : nullptr;
}

const camrelay::Camera* find_camera(VRT_CTX, vmod_camrelay_relay* obj, VCL_STRING id, std::size_t* index) {
    const camrelay::Camera* cam = nullptr;
    if (id != nullptr && *id != '\0') {
        cam = obj->relay->registry().find(id);
    } else if (const task_state* st = decided_task(ctx, obj)) {
        cam = st->camera;
    }
    if (cam != nullptr && index != nullptr) *index = obj->relay->camera_index(cam);
    return cam;
}

// ---------------------------------------------------------------------------
// Backends

struct addr_pair {
    struct suckaddr* ipv4 = nullptr;
    struct suckaddr* ipv6 = nullptr;
    ~addr_pair() {
        free(ipv4);
        free(ipv6);
    }
};

// Resolve a tunnel's TCP address (numeric for port=, possibly a DNS name for
// upstream=) into at most one IPv4 and one IPv6 address.
std::string resolve(const camrelay::Tunnel& t, addr_pair& out) {
    std::string host = t.host;
    if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
    struct addrinfo hints;
    std::memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_NUMERICSERV;
    struct addrinfo* res = nullptr;
    const std::string port = std::to_string(t.port);
    int rc = getaddrinfo(host.c_str(), port.c_str(), &hints, &res);
    if (rc != 0) return std::string("cannot resolve ") + t.host + ": " + gai_strerror(rc);
    for (struct addrinfo* ai = res; ai != nullptr; ai = ai->ai_next) {
        if (ai->ai_family == AF_INET && out.ipv4 == nullptr)
            out.ipv4 = VSA_Malloc(ai->ai_addr, ai->ai_addrlen);
        else if (ai->ai_family == AF_INET6 && out.ipv6 == nullptr)
            out.ipv6 = VSA_Malloc(ai->ai_addr, ai->ai_addrlen);
    }
    freeaddrinfo(res);
    if (out.ipv4 == nullptr && out.ipv6 == nullptr) return std::string("no address for ") + t.host;
    return {};
}

struct backend_timeouts {
    double connect, first_byte, between_bytes;
    unsigned max_connections;  // 0: no limit
};

// Create the backend of one camera; on failure VRT_fail() and null.
VCL_BACKEND make_backend(VRT_CTX, const camrelay::Camera& cam, const std::string& name, const backend_timeouts& tmo) {
    struct vrt_endpoint ep;
    std::memset(&ep, 0, sizeof ep);
    ep.magic = VRT_ENDPOINT_MAGIC;
    addr_pair addrs;
    std::string hosthdr = "localhost";
    if (cam.tunnel.kind == camrelay::Tunnel::Kind::socket) {
        ep.uds_path = cam.tunnel.path.c_str();
    } else {
        std::string err = resolve(cam.tunnel, addrs);
        if (!err.empty()) {
            fail(ctx, "%s: camera %s (line %d): %s", kPrefix, cam.id.c_str(), cam.line, err.c_str());
            return nullptr;
        }
        ep.ipv4 = addrs.ipv4;
        ep.ipv6 = addrs.ipv6;
        if (cam.tunnel.kind == camrelay::Tunnel::Kind::upstream) hosthdr = cam.tunnel.host;
    }
    struct vrt_backend be;
    std::memset(&be, 0, sizeof be);
    be.magic = VRT_BACKEND_MAGIC;
    be.endpoint = &ep;
    be.vcl_name = const_cast<char*>(name.c_str());
    be.hosthdr = const_cast<char*>(hosthdr.c_str());
    be.connect_timeout = tmo.connect;
    be.first_byte_timeout = tmo.first_byte;
    be.between_bytes_timeout = tmo.between_bytes;
    // The viewers' backend has none (viewers are limited by .decide(), and
    // Varnish 7.1 counts pipes against max_connections too); the page
    // backend has page_connections.
    be.max_connections = tmo.max_connections;
    be.probe = nullptr;
    VCL_BACKEND dir = VRT_new_backend(ctx, &be);  // copies what we pass
    if (dir == nullptr) fail(ctx, "%s: camera %s: cannot create its backend", kPrefix, cam.id.c_str());
    return dir;
}

// ---------------------------------------------------------------------------
// Page slots: a client request for a camera's page holds one from
// take_page_slot() until it ends (the fini of its own PRIV_TASK, keyed by
// the counters' address so that it never meets the decision's).

struct page_slot {
    unsigned magic;
    static constexpr unsigned kMagic = 0x43525053;  // "CRPS"
    std::atomic<unsigned>* camera;                  // the camera's count
    std::atomic<unsigned>* total;                   // pages_in_flight_total()
};

// Page requests of every camera and every VCL of this varnishd, against
// page_connections_total: what bounds the threads pages may hold.
std::atomic<unsigned>& pages_in_flight_total() {
    static std::atomic<unsigned> total{0};
    return total;
}

void page_slot_fini(VRT_CTX, void* p) {
    (void)ctx;
    auto* slot = static_cast<page_slot*>(p);
    if (slot == nullptr || slot->magic != page_slot::kMagic) return;
    camrelay::ViewerCounter::release(*slot->camera);
    camrelay::ViewerCounter::release(*slot->total);
    slot->magic = 0;
}

const struct vmod_priv_methods page_slot_methods[1] = {{
    VMOD_PRIV_METHODS_MAGIC,
    "camrelay page slot",
    page_slot_fini,
}};

// Takes a page slot of camera `index` for this task, unless the task holds
// one already; false if the camera has page_connections requests in
// progress, or all cameras page_connections_total.
bool take_page_slot(VRT_CTX, vmod_camrelay_relay* obj, std::size_t index) {
    struct vmod_priv* priv = VRT_priv_task(ctx, obj->pages_in_flight.get());
    if (priv == nullptr) {
        fail(ctx, "%s: out of workspace", kPrefix);
        return false;
    }
    if (priv->priv != nullptr) return true;
    std::atomic<unsigned>& n = obj->pages_in_flight[index];
    std::atomic<unsigned>& total = pages_in_flight_total();
    // The same bounded count as the viewer slots.
    using Count = camrelay::ViewerCounter;
    if (!Count::try_acquire(n, obj->page_connections)) return false;
    if (!Count::try_acquire(total, obj->page_connections_total)) {
        Count::release(n);
        return false;
    }
    void* mem = WS_Alloc(ctx->ws, sizeof(page_slot));
    if (mem == nullptr) {
        Count::release(n);
        Count::release(total);
        fail(ctx, "%s: out of workspace", kPrefix);
        return false;
    }
    priv->priv = new (mem) page_slot{page_slot::kMagic, &n, &total};
    priv->len = sizeof(page_slot);
    priv->methods = page_slot_methods;
    return true;
}

// ---------------------------------------------------------------------------
// The PRIV_VCL list of relay objects

void vcl_objects_free(VRT_CTX, void* p) {
    (void)ctx;
    delete static_cast<vcl_objects*>(p);
}

const struct vmod_priv_methods vcl_objects_methods[1] = {{
    VMOD_PRIV_METHODS_MAGIC,
    "camrelay vcl objects",
    vcl_objects_free,
}};

vcl_objects* get_vcl_objects(struct vmod_priv* priv) {
    if (priv == nullptr) return nullptr;
    if (priv->priv == nullptr) {
        priv->priv = new (std::nothrow) vcl_objects;
        priv->methods = vcl_objects_methods;
    }
    return static_cast<vcl_objects*>(priv->priv);
}

void free_relay(vmod_camrelay_relay* obj) {
    if (obj == nullptr) return;
    // Objects are finalised before the VCL's PRIV_VCL (and its list) is.
    if (obj->owner != nullptr) {
        for (vmod_camrelay_relay** p = &obj->owner->head; *p != nullptr; p = &(*p)->next_in_vcl) {
            if (*p == obj) {
                *p = obj->next_in_vcl;
                break;
            }
        }
        obj->owner = nullptr;
    }
    watcher().withdraw(obj);  // before the counters go: the watcher counts in them
    watcher().release_cameras(obj->cameras, obj->counted_warm);
    obj->cameras.clear();
    if (obj->vsc_seg != nullptr) VSC_camrelay_Destroy(&obj->vsc_seg);
    obj->magic = 0;
    delete obj;
}

// The backend of `camera` (or of the decided camera) in `list`, one of the
// relay object's two backend lists.
VCL_BACKEND camera_backend(VRT_CTX, vmod_camrelay_relay* obj, VCL_STRING camera, const char* what,
                           std::vector<VCL_BACKEND> vmod_camrelay_relay::*list) {
    if (!check_obj(ctx, obj)) return nullptr;
    return guard(ctx, what, static_cast<VCL_BACKEND>(nullptr), [&]() -> VCL_BACKEND {
        std::size_t index = 0;
        const camrelay::Camera* cam = find_camera(ctx, obj, camera, &index);
        const auto& backends = obj->*list;
        if (cam == nullptr || index >= backends.size()) return nullptr;
        return backends[index];
    });
}

}  // namespace

// ---------------------------------------------------------------------------
// VCL entry points

extern "C" {

int vmod_event(VRT_CTX, struct vmod_priv* priv, enum vcl_event_e ev) {
    CHECK_OBJ_NOTNULL(ctx, VRT_CTX_MAGIC);
    vcl_objects* objs = static_cast<vcl_objects*>(priv->priv);
    switch (ev) {
        case VCL_EVENT_WARM:
        case VCL_EVENT_COLD:
            if (objs == nullptr) break;
            objs->warm = (ev == VCL_EVENT_WARM);
            // Like the backends' VBE counters: a cold VCL's counters are hidden.
            for (vmod_camrelay_relay* o = objs->head; o != nullptr; o = o->next_in_vcl) {
                watcher().set_warm(o, objs->warm);
                if (o->counted_warm != objs->warm) {
                    watcher().set_cameras_warm(o->cameras, objs->warm);
                    o->counted_warm = objs->warm;
                }
                if (o->vsc_seg == nullptr) continue;
                if (objs->warm)
                    VRT_VSC_Reveal(o->vsc_seg);
                else
                    VRT_VSC_Hide(o->vsc_seg);
            }
            break;
        default: break;
    }
    return 0;
}

VCL_VOID vmod_relay__init(VRT_CTX, struct vmod_camrelay_relay** objp, const char* vcl_name, struct vmod_priv* priv_vcl,
                          VCL_STRING config_dir, VCL_STRING route, VCL_STRING query_param, VCL_STRING host_suffix,
                          VCL_BOOL check_tunnel, VCL_DURATION tunnel_cache, VCL_DURATION connect_timeout,
                          VCL_DURATION first_byte_timeout, VCL_DURATION between_bytes_timeout,
                          VCL_INT max_viewers_per_key, VCL_INT max_viewers_per_address, VCL_INT throttle_refusals,
                          VCL_DURATION throttle_window, VCL_DURATION throttle_block, VCL_INT page_connections,
                          VCL_INT page_connections_total, VCL_DURATION page_timeout, VCL_INT page_rate,
                          VCL_DURATION page_rate_window) {
    CHECK_OBJ_NOTNULL(ctx, VRT_CTX_MAGIC);
    AN(objp);
    AZ(*objp);
    AN(vcl_name);
    vmod_camrelay_relay* obj = nullptr;
    bool ok = guard(ctx, vcl_name, false, [&]() -> bool {
        vcl_objects* objs = get_vcl_objects(priv_vcl);
        if (objs == nullptr) throw std::bad_alloc();
        obj = new vmod_camrelay_relay{};
        obj->magic = vmod_camrelay_relay::kMagic;
        obj->vcl_name = vcl_name;

        camrelay::RouteConfig rc;
        try {
            rc.order = camrelay::parse_route_order(route != nullptr ? route : "");
        } catch (const std::exception& e) {
            fail(ctx, "%s: %s: route=\"%s\": %s", kPrefix, vcl_name, route ? route : "", e.what());
            return false;
        }
        rc.query_param = query_param != nullptr ? query_param : "";
        if (rc.query_param.empty()) {
            fail(ctx, "%s: %s: query_param must not be empty", kPrefix, vcl_name);
            return false;
        }
        rc.host_suffix = host_suffix != nullptr ? host_suffix : "";
        if (!(tunnel_cache >= 0.0 && tunnel_cache <= 60.0)) {
            fail(ctx, "%s: %s: tunnel_cache must be between 0s and 60s", kPrefix, vcl_name);
            return false;
        }
        if (!(connect_timeout > 0.0 && first_byte_timeout > 0.0 && between_bytes_timeout > 0.0)) {
            fail(ctx, "%s: %s: backend timeouts must be positive", kPrefix, vcl_name);
            return false;
        }
        if (page_connections < 1 || page_connections > 10000 || page_connections_total < 1 ||
            page_connections_total > 100000 || !(page_timeout > 0.0) || page_rate < 1 || page_rate > 100000 ||
            !(page_rate_window >= 1.0 && page_rate_window <= 86400.0)) {
            fail(ctx,
                 "%s: %s: page_connections must be 1 to 10000, page_connections_total 1 to 100000, "
                 "page_timeout positive, page_rate 1 to 100000, page_rate_window 1s to 1d",
                 kPrefix, vcl_name);
            return false;
        }
        obj->page_rate = page_rate;
        obj->page_rate_window = page_rate_window;

        if (max_viewers_per_key < 0 || max_viewers_per_key > camrelay::kMaxMaxViewers || max_viewers_per_address < 0 ||
            max_viewers_per_address > camrelay::kMaxMaxViewers) {
            fail(ctx, "%s: %s: max_viewers_per_key and max_viewers_per_address must be between 0 and %u", kPrefix,
                 vcl_name, camrelay::kMaxMaxViewers);
            return false;
        }
        if (throttle_refusals < 1 || throttle_refusals > 100000 ||
            !(throttle_window >= 1.0 && throttle_window <= 86400.0) ||
            !(throttle_block >= 1.0 && throttle_block <= 86400.0)) {
            fail(ctx, "%s: %s: throttle_refusals must be 1 to 100000, throttle_window and throttle_block 1s to 1d",
                 kPrefix, vcl_name);
            return false;
        }
        obj->throttle_refusals = throttle_refusals;
        obj->throttle_window = throttle_window;
        obj->throttle_block = throttle_block;
        const camrelay::ViewerLimits limits{static_cast<unsigned>(max_viewers_per_key),
                                            static_cast<unsigned>(max_viewers_per_address)};

        obj->config_dir = camrelay::config_dir(config_dir != nullptr ? config_dir : "");
        try {
            obj->relay = camrelay::Relay::load(obj->config_dir, rc);
        } catch (const camrelay::ConfigError& e) {
            // "camrelay: /etc/camrelay/cameras.conf:7: reason": the VCL load
            // fails with this message; the active VCL keeps serving.
            fail(ctx, "%s: %s", kPrefix, e.what());
            return false;
        }
        if (!obj->relay) {
            fail(ctx, "%s: %s: cannot load %s", kPrefix, vcl_name, obj->config_dir.c_str());
            return false;
        }
        obj->check_tunnel = check_tunnel != 0;
        obj->tunnel_cache = tunnel_cache;
        obj->listen = std::make_unique<camrelay::ListenCache>(
            std::chrono::milliseconds(static_cast<long>(tunnel_cache * 1000.0)));
        obj->admission = std::make_unique<camrelay::Admission>(*obj->relay, viewer_counter(),
                                                               obj->check_tunnel ? obj->listen.get() : nullptr, limits);

        const backend_timeouts tmo{connect_timeout, first_byte_timeout, between_bytes_timeout, 0};
        const backend_timeouts page_tmo{connect_timeout, page_timeout, page_timeout,
                                        static_cast<unsigned>(page_connections)};
        const auto& cams = obj->relay->registry().cameras;
        obj->backends.reserve(cams.size());
        obj->backend_names.reserve(cams.size());
        obj->page_backends.reserve(cams.size());
        obj->page_backend_names.reserve(cams.size());
        obj->page_connections = static_cast<unsigned>(page_connections);
        obj->page_connections_total = static_cast<unsigned>(page_connections_total);
        obj->pages_in_flight = std::make_unique<std::atomic<unsigned>[]>(cams.size() + 1);
        for (std::size_t i = 0; i <= cams.size(); i++) obj->pages_in_flight[i].store(0, std::memory_order_relaxed);
        for (const auto& cam : cams) {
            obj->backend_names.push_back(obj->vcl_name + "." + cam.id);
            VCL_BACKEND be = make_backend(ctx, cam, obj->backend_names.back(), tmo);
            if (be == nullptr) return false;  // already VRT_fail()ed; the VCL discards what we made
            obj->backends.push_back(be);
            obj->page_backend_names.push_back(obj->backend_names.back() + ".page");
            be = make_backend(ctx, cam, obj->page_backend_names.back(), page_tmo);
            if (be == nullptr) return false;
            obj->page_backends.push_back(be);
        }

        // The cameras' counters, and their tunnels' state now for new ones
        // (one reading of /proc, kept by this object's cache for its requests).
        std::vector<char> up(cams.size(), 0);
        std::vector<std::uint64_t> listener(cams.size(), 0);
        tunnels_up(
            *obj, cams, [](const camrelay::Camera& cam) -> const camrelay::Tunnel& { return cam.tunnel; }, up,
            listener);
        obj->cameras = watcher().acquire_cameras(cams, up, listener, static_cast<std::int64_t>(std::time(nullptr)));

        obj->vsc = VSC_camrelay_New(nullptr, &obj->vsc_seg, "%s.%s", VCL_Name(ctx->vcl), vcl_name);
        if (obj->vsc == nullptr) {
            fail(ctx, "%s: %s: cannot allocate counters", kPrefix, vcl_name);
            return false;
        }
        if (!objs->warm) VRT_VSC_Hide(obj->vsc_seg);  // revealed by the WARM event
        obj->owner = objs;
        obj->next_in_vcl = objs->head;
        objs->head = obj;
        watcher().publish(obj, obj->relay);
        return true;
    });
    if (!ok) {
        // vcl_fini will not run for an object whose constructor failed.
        free_relay(obj);
        return;
    }
    *objp = obj;
}

VCL_VOID vmod_relay__fini(struct vmod_camrelay_relay** objp) {
    AN(objp);
    vmod_camrelay_relay* obj = *objp;
    *objp = nullptr;
    if (obj == nullptr) return;
    // The backends are not ours to delete: the VCL discards them after
    // vcl_fini. The object list in PRIV_VCL is freed after the objects and
    // never walked again after the DISCARD event.
    try {
        free_relay(obj);
    } catch (...) {}
}

VCL_STRING vmod_relay_decide(VRT_CTX, struct vmod_camrelay_relay* obj, VCL_BOOL key, VCL_BOOL viewer) {
    if (!check_obj(ctx, obj)) return "";
    return guard(ctx, "decide()", static_cast<VCL_STRING>(""), [&]() -> VCL_STRING {
        if (ctx->http_req == nullptr || ctx->req == nullptr) {
            fail(ctx, "%s: %s.decide() is only available on the client side (vcl_recv)", kPrefix,
                 obj->vcl_name.c_str());
            return "";
        }
        task_state* st = get_task(ctx, obj, true);
        if (st == nullptr) return "";
        release_viewer(st);  // decided again (restart): start from scratch

        const char* url = ctx->http_req->hd[HTTP_HDR_URL].b;
        const char* host = nullptr;
        if (!http_GetHdr(ctx->http_req, H_Host, &host)) host = nullptr;
        const auto now = static_cast<std::int64_t>(ctx->now);
        // The viewer's address (with the PROXY protocol, as haproxy saw it),
        // for the per-address viewer limit.
        const char* client = viewer ? VRT_IP_string(ctx, VRT_r_client_ip(ctx)) : nullptr;
        camrelay::Decision& d = thread_decision();
        const camrelay::Admitted admitted =
            obj->admission->admit(d, url != nullptr ? url : "", host != nullptr ? host : "", now, key != 0, viewer != 0,
                                  client != nullptr ? client : "");
        // From here on the slot is the task's: task_fini gives it back.
        st->admitted = admitted;
        st->counters = d.camera != nullptr && admitted.camera_index < obj->cameras.size()
                           ? obj->cameras[admitted.camera_index]
                           : nullptr;
        if (admitted.holds_viewer) {
            if (obj->vsc != nullptr) __atomic_add_fetch(&obj->vsc->viewers, 1, __ATOMIC_RELAXED);
            if (st->counters != nullptr) {
                __atomic_add_fetch(&st->counters->vsc->viewers, 1, __ATOMIC_RELAXED);
                set_gauge(st->counters->vsc->last_viewer, static_cast<uint64_t>(now));
            }
        }
        // Watched until the task ends: an HTTP/1 connection only (an h2
        // connection carries other requests, and cannot pipe).
        if (admitted.holds_viewer && d.camera != nullptr && ctx->req->sp != nullptr && ctx->req->sp->fd >= 0 &&
            ctx->http_req->protover < 20) {
            auto v = std::make_unique<live_viewer>();
            v->fd = ::fcntl(ctx->req->sp->fd, F_DUPFD_CLOEXEC, 0);
            if (v->fd < 0) throw std::system_error(errno, std::generic_category(), "cannot watch the viewer");
            v->config_dir = &obj->config_dir;
            v->camera = d.camera->id;
            v->key = d.key;
            v->key_for_log = d.key_for_log;
            v->counters = st->counters;
            st->watched = watcher().add(std::move(v));
        }
        if (d.camera != nullptr && admitted.camera_index >= obj->backends.size())
            throw std::logic_error("routed camera not in the registry");

        st->decided = true;
        st->outcome = d.outcome;
        st->status = camrelay::http_status(d.outcome);
        st->camera = d.camera;
        st->outcome_name = camrelay::outcome_name(d.outcome);  // static storage
        // reason, url and key_for_log in one workspace allocation.
        const std::size_t need = d.reason.size() + d.url.size() + d.key_for_log.size() + 3;
        char* p = static_cast<char*>(WS_Alloc(ctx->ws, static_cast<unsigned>(need)));
        if (p == nullptr) {
            fail(ctx, "%s: out of workspace", kPrefix);
            st->reason = st->url = st->key_for_log = "";
        } else {
            st->reason = put(p, d.reason);
            st->url = put(p, d.url);
            st->key_for_log = put(p, d.key_for_log);
        }
        if (d.url.capacity() > kKeptUrlCapacity) std::string().swap(d.url);
        count(obj, d.outcome);
        count_camera(st->counters, d.outcome, viewer != 0);

        // The decision, for varnishlog. Never the key itself: key_for_log is
        // loggable_key(), with the MAC replaced by '*'. The text of
        //   "%s %s: %s %d camera=%s viewers=%u key=%s reason=\"%s\""
        // as strands: VSLbs copies them (truncating like VSLb) without the
        // cost of printf formatting.
        char status_text[16];
        char viewers_text[16];
        const char* parts[] = {
            kPrefix,
            " ",
            obj->vcl_name.c_str(),
            ": ",
            st->outcome_name,
            " ",
            decimal(status_text, st->status),
            " camera=",
            d.camera != nullptr ? d.camera->id.c_str() : "-",
            " viewers=",
            decimal(viewers_text, admitted.viewers != nullptr ? camrelay::ViewerCounter::live(*admitted.viewers) : 0u),
            " key=",
            *st->key_for_log != '\0' ? st->key_for_log : "-",
            " reason=\"",
            st->reason,
            "\""};
        const struct strands line = {static_cast<int>(std::size(parts)), parts};
        VSLbs(ctx->vsl, SLT_VCL_Log, &line);
        return st->outcome_name;
    });
}

VCL_INT vmod_relay_throttle_refusals(VRT_CTX, struct vmod_camrelay_relay* obj) {
    return check_obj(ctx, obj) ? obj->throttle_refusals : 20;
}

VCL_DURATION vmod_relay_throttle_window(VRT_CTX, struct vmod_camrelay_relay* obj) {
    return check_obj(ctx, obj) ? obj->throttle_window : 60.0;
}

VCL_DURATION vmod_relay_throttle_block(VRT_CTX, struct vmod_camrelay_relay* obj) {
    return check_obj(ctx, obj) ? obj->throttle_block : 120.0;
}

VCL_BOOL vmod_relay_allowed(VRT_CTX, struct vmod_camrelay_relay* obj) {
    const task_state* st = checked_decided_task(ctx, obj);
    return st != nullptr && st->outcome == Outcome::allowed;
}

VCL_STRING vmod_relay_outcome(VRT_CTX, struct vmod_camrelay_relay* obj) {
    const task_state* st = checked_decided_task(ctx, obj);
    return st != nullptr ? st->outcome_name : "";
}

VCL_INT vmod_relay_status(VRT_CTX, struct vmod_camrelay_relay* obj) {
    const task_state* st = checked_decided_task(ctx, obj);
    return st != nullptr ? st->status : 0;
}

VCL_STRING vmod_relay_reason(VRT_CTX, struct vmod_camrelay_relay* obj) {
    const task_state* st = checked_decided_task(ctx, obj);
    return st != nullptr ? st->reason : "";
}

VCL_STRING vmod_relay_camera(VRT_CTX, struct vmod_camrelay_relay* obj) {
    const task_state* st = checked_decided_task(ctx, obj);
    return (st != nullptr && st->camera != nullptr) ? st->camera->id.c_str() : "";
}

VCL_STRING vmod_relay_url(VRT_CTX, struct vmod_camrelay_relay* obj) {
    const task_state* st = checked_decided_task(ctx, obj);
    return st != nullptr ? st->url : "";
}

VCL_STRING vmod_relay_key_for_log(VRT_CTX, struct vmod_camrelay_relay* obj) {
    const task_state* st = checked_decided_task(ctx, obj);
    return st != nullptr ? st->key_for_log : "";
}

VCL_BACKEND vmod_relay_backend(VRT_CTX, struct vmod_camrelay_relay* obj, VCL_STRING camera) {
    return camera_backend(ctx, obj, camera, "backend()", &vmod_camrelay_relay::backends);
}

VCL_BACKEND vmod_relay_page_backend(VRT_CTX, struct vmod_camrelay_relay* obj, VCL_STRING camera) {
    return camera_backend(ctx, obj, camera, "page_backend()", &vmod_camrelay_relay::page_backends);
}

VCL_BOOL vmod_relay_take_page_slot(VRT_CTX, struct vmod_camrelay_relay* obj) {
    if (!check_obj(ctx, obj)) return 0;
    if (ctx->req == nullptr) {
        fail(ctx, "%s: take_page_slot() is only available on the client side", kPrefix);
        return 0;
    }
    return guard(ctx, "take_page_slot()", static_cast<VCL_BOOL>(0), [&]() -> VCL_BOOL {
        std::size_t index = 0;
        const camrelay::Camera* cam = find_camera(ctx, obj, "", &index);
        if (cam == nullptr || index >= obj->page_backends.size()) return 0;
        return take_page_slot(ctx, obj, index) ? 1 : 0;
    });
}

VCL_INT vmod_relay_pages(VRT_CTX, struct vmod_camrelay_relay* obj, VCL_STRING camera) {
    if (!check_obj(ctx, obj)) return 0;
    return guard(ctx, "pages()", static_cast<VCL_INT>(0), [&]() -> VCL_INT {
        std::size_t index = 0;
        const camrelay::Camera* cam = find_camera(ctx, obj, camera, &index);
        if (cam == nullptr || index >= obj->page_backends.size()) return 0;
        return static_cast<VCL_INT>(obj->pages_in_flight[index].load(std::memory_order_relaxed));
    });
}

VCL_INT vmod_relay_page_rate(VRT_CTX, struct vmod_camrelay_relay* obj) {
    return check_obj(ctx, obj) ? obj->page_rate : 60;
}

VCL_DURATION vmod_relay_page_rate_window(VRT_CTX, struct vmod_camrelay_relay* obj) {
    return check_obj(ctx, obj) ? obj->page_rate_window : 10.0;
}

VCL_STRING vmod_relay_camera_of(VRT_CTX, struct vmod_camrelay_relay* obj, VCL_BACKEND be) {
    if (!check_obj(ctx, obj)) return "";
    if (be == nullptr) return "";
    const auto& cams = obj->relay->registry().cameras;
    for (std::size_t i = 0; i < obj->backends.size() && i < cams.size(); i++)
        if (obj->backends[i] == be) return cams[i].id.c_str();
    for (std::size_t i = 0; i < obj->page_backends.size() && i < cams.size(); i++)
        if (obj->page_backends[i] == be) return cams[i].id.c_str();
    return "";
}

VCL_INT vmod_relay_viewers(VRT_CTX, struct vmod_camrelay_relay* obj, VCL_STRING camera) {
    if (!check_obj(ctx, obj)) return 0;
    return guard(ctx, "viewers()", static_cast<VCL_INT>(0), [&]() -> VCL_INT {
        std::size_t index = 0;
        const camrelay::Camera* cam = find_camera(ctx, obj, camera, &index);
        if (cam == nullptr) return 0;
        return static_cast<VCL_INT>(obj->admission->viewers(index));
    });
}

VCL_BOOL vmod_relay_online(VRT_CTX, struct vmod_camrelay_relay* obj, VCL_STRING camera) {
    if (!check_obj(ctx, obj)) return 0;
    return guard(ctx, "online()", static_cast<VCL_BOOL>(0), [&]() -> VCL_BOOL {
        const camrelay::Camera* cam = find_camera(ctx, obj, camera, nullptr);
        if (cam == nullptr) return 0;
        return obj->listen->up(cam->tunnel) ? 1 : 0;
    });
}

VCL_STRING vmod_relay_config_dir(VRT_CTX, struct vmod_camrelay_relay* obj) {
    if (!check_obj(ctx, obj)) return "";
    return obj->config_dir.c_str();
}

}  // extern "C"
