// camrelay core: is a camera's tunnel up?
//
// A tunnel is up when something listens where its `ssh -R` lands: a TCP
// socket in LISTEN state on the loopback port (read from /proc/net/tcp and
// /proc/net/tcp6), or a listening Unix socket at the path (/proc/net/unix).
// Nothing is connected to, so no connection ever reaches the camera. Upstream
// tunnels are another relay's business: reported as up.
#pragma once

#include <chrono>
#include <cstdint>
#include <mutex>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "camrelay/registry.hpp"

namespace camrelay {

struct ListenTable {
    std::set<std::uint16_t> loopback_ports;  // LISTEN on 127.0.0.0/8, ::1, 0.0.0.0 or ::
    std::set<std::string> unix_paths;        // listening Unix sockets
};

// The TCP ports something listens on at a loopback or wildcard address (as
// ListenTable::loopback_ports, tunnel_status.hpp), each with the inode of
// its listening socket (the lowest, if there are several): a new listener,
// an SSH connection that took the port again, has a new one. Asked of the
// kernel's socket diagnostics (netlink), which walk only the listening
// sockets, where reading /proc/net/tcp and tcp6 walks the whole connection
// table: milliseconds on a machine with much memory (the table is sized by
// it). nullopt when the kernel does not answer (no NETLINK_SOCK_DIAG).
std::optional<std::map<std::uint16_t, std::uint64_t>> loopback_tcp_listeners();

// Read /proc (proc_root is for tests: a directory with net/tcp, net/tcp6,
// net/unix). For the real /proc the TCP ports come from
// loopback_tcp_listeners when the kernel answers, /proc/net/tcp and tcp6
// otherwise.
ListenTable read_listen_table(const std::string& proc_root = "/proc");
bool tunnel_up(const Tunnel& tunnel, const ListenTable& table);
// The inodes (decimal, as /proc/PID/fd links name them: "socket:[INODE]") of
// the listening sockets that make `tunnel` up; none for an upstream.
std::vector<std::string> tunnel_listener_inodes(const Tunnel& tunnel, const std::string& proc_root = "/proc");

// Whether a camera's tunnel is up, as the admission decision asks it
// (admission.hpp): a ListenCache in production, a fake in tests.
class TunnelCheck {
public:
    virtual ~TunnelCheck() = default;
    virtual bool up(const Tunnel& tunnel) = 0;
};

// A ListenTable re-read at most once per `max_age`, shared by threads: cheap
// enough to ask on every request. A tunnel found down in a reading older
// than kDownRecheck is looked at again in a fresh one: a camera whose tunnel
// has just come up is not called offline from a reading made before (by an
// earlier request, or the module's once-a-second look at every tunnel).
// Requests for offline cameras cause at most one reading per kDownRecheck.
class ListenCache final : public TunnelCheck {
public:
    static constexpr std::chrono::milliseconds kDownRecheck{50};

    explicit ListenCache(std::chrono::milliseconds max_age = std::chrono::milliseconds(500),
                         std::string proc_root = "/proc");
    bool up(const Tunnel& tunnel) override;

private:
    std::mutex mutex_;
    std::chrono::milliseconds max_age_;
    std::string proc_root_;
    std::chrono::steady_clock::time_point read_at_{};
    bool have_ = false;
    ListenTable table_;
};

}  // namespace camrelay
