// camrelay core: tunnel liveness from /proc/net (see tunnel_status.hpp).
#include "camrelay/tunnel_status.hpp"

#include <arpa/inet.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <optional>
#include <string_view>
#include <vector>

namespace camrelay {

namespace {

constexpr std::string_view kTcpListen = "0A";
constexpr unsigned long kSoAcceptCon = 0x10000;  // __SO_ACCEPTCON: a listening socket

struct Field {
    std::string_view text;
    std::size_t pos;
};

std::vector<Field> split_fields(std::string_view line) {
    std::vector<Field> out;
    std::size_t i = 0;
    while (i < line.size()) {
        while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
        if (i >= line.size()) break;
        std::size_t start = i;
        while (i < line.size() && line[i] != ' ' && line[i] != '\t') ++i;
        out.push_back({line.substr(start, i - start), start});
    }
    return out;
}

std::optional<unsigned long> parse_hex(std::string_view s, std::size_t max_digits) {
    if (s.empty() || s.size() > max_digits) return std::nullopt;
    unsigned long v = 0;
    for (char c : s) {
        int d;
        if (c >= '0' && c <= '9')
            d = c - '0';
        else if (c >= 'A' && c <= 'F')
            d = c - 'A' + 10;
        else if (c >= 'a' && c <= 'f')
            d = c - 'a' + 10;
        else
            return std::nullopt;
        v = v << 4 | static_cast<unsigned long>(d);
    }
    return v;
}

// The kernel prints each 32-bit word of the address as the host-order value
// of network-order bytes ("%08X"), so copying the value back into memory
// restores the address bytes on the machine that wrote the file.
bool decode_address(std::string_view hex, std::uint8_t* bytes, std::size_t len) {
    if (hex.size() != len * 2) return false;
    for (std::size_t w = 0; w < len / 4; ++w) {
        auto v = parse_hex(hex.substr(w * 8, 8), 8);
        if (!v) return false;
        auto word = static_cast<std::uint32_t>(*v);
        std::memcpy(bytes + w * 4, &word, 4);
    }
    return true;
}

bool loopback_or_any_v4(const std::uint8_t* a) {
    return a[0] == 127 || (a[0] == 0 && a[1] == 0 && a[2] == 0 && a[3] == 0);
}

bool loopback_or_any_v6(const std::uint8_t* a) {
    static constexpr std::uint8_t zero[16] = {};
    if (std::memcmp(a, zero, 15) == 0 && (a[15] == 0 || a[15] == 1)) return true;  // :: and ::1
    // IPv4-mapped ::ffff:a.b.c.d
    if (std::memcmp(a, zero, 10) == 0 && a[10] == 0xff && a[11] == 0xff) return loopback_or_any_v4(a + 12);
    return false;
}

// Calls found(port, inode) for each listening TCP socket on loopback or the
// wildcard address.
template <class Found>
void read_tcp(const std::string& file, bool v6, Found&& found) {
    std::ifstream in(file);
    if (!in) return;  // e.g. no IPv6 on this host
    std::string line;
    std::getline(in, line);  // header
    while (std::getline(in, line)) {
        // sl local_address rem_address st tx_queue:rx_queue tr:tm->when retrnsmt uid timeout inode
        auto f = split_fields(line);
        if (f.size() < 4 || f[3].text != kTcpListen) continue;
        std::string_view local = f[1].text;
        std::size_t colon = local.find(':');
        if (colon == std::string_view::npos) continue;
        auto port = parse_hex(local.substr(colon + 1), 4);
        if (!port || *port == 0) continue;
        std::array<std::uint8_t, 16> addr{};
        std::size_t len = v6 ? 16 : 4;
        if (!decode_address(local.substr(0, colon), addr.data(), len)) continue;
        if (v6 ? loopback_or_any_v6(addr.data()) : loopback_or_any_v4(addr.data()))
            found(static_cast<std::uint16_t>(*port), f.size() > 9 ? f[9].text : std::string_view("0"));
    }
}

// Calls found(path, inode) for each listening Unix socket bound to a path.
template <class Found>
void read_unix(const std::string& file, Found&& found) {
    std::ifstream in(file);
    if (!in) return;
    std::string line;
    std::getline(in, line);  // header
    while (std::getline(in, line)) {
        // Num RefCount Protocol Flags Type St Inode [Path]
        auto f = split_fields(line);
        if (f.size() < 8) continue;  // no path: unbound or abstract-less
        auto flags = parse_hex(f[3].text, 8);
        if (!flags || (*flags & kSoAcceptCon) == 0) continue;
        // The path is everything after the inode column, spaces included.
        std::string_view path = std::string_view(line).substr(f[7].pos);
        if (path.empty() || path.front() != '/') continue;  // '@' is the abstract namespace
        found(path, f[6].text);
    }
}

}  // namespace

namespace {

// One family's listening TCP sockets on loopback or wildcard addresses into
// `ports` (port -> lowest inode); false if the kernel did not answer.
bool add_tcp_listeners(int family, std::map<std::uint16_t, std::uint64_t>& ports) {
    const int fd = ::socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
    if (fd < 0) return false;
    struct {
        nlmsghdr header;
        inet_diag_req_v2 request;
    } ask{};
    ask.header.nlmsg_len = sizeof ask;
    ask.header.nlmsg_type = SOCK_DIAG_BY_FAMILY;
    ask.header.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
    ask.header.nlmsg_seq = 1;
    ask.request.sdiag_family = static_cast<std::uint8_t>(family);
    ask.request.sdiag_protocol = IPPROTO_TCP;
    constexpr unsigned kTcpListen = 10;  // TCP_LISTEN in the kernel's tcp_states.h
    ask.request.idiag_states = 1U << kTcpListen;
    sockaddr_nl kernel{};
    kernel.nl_family = AF_NETLINK;
    bool done = false;
    if (::sendto(fd, &ask, sizeof ask, 0, reinterpret_cast<const sockaddr*>(&kernel), sizeof kernel) ==
        static_cast<ssize_t>(sizeof ask)) {
        alignas(nlmsghdr) char buf[16384];
        bool failed = false;
        while (!done && !failed) {
            ssize_t got = ::recv(fd, buf, sizeof buf, 0);
            if (got < 0 && errno == EINTR) continue;
            failed = got <= 0;
            for (auto* h = reinterpret_cast<nlmsghdr*>(buf);
                 !failed && !done && NLMSG_OK(h, static_cast<unsigned>(got)); h = NLMSG_NEXT(h, got)) {
                done = h->nlmsg_type == NLMSG_DONE;
                failed = h->nlmsg_type == NLMSG_ERROR;
                if (done || failed || h->nlmsg_len < NLMSG_LENGTH(sizeof(inet_diag_msg))) continue;
                const auto* socket = static_cast<const inet_diag_msg*>(NLMSG_DATA(h));
                in6_addr six{};
                std::memcpy(&six, socket->id.idiag_src, sizeof six);
                const auto* four = reinterpret_cast<const std::uint8_t*>(socket->id.idiag_src);
                const bool local =
                    socket->idiag_family == AF_INET
                        ? four[0] == 127 || socket->id.idiag_src[0] == 0
                        : IN6_IS_ADDR_LOOPBACK(&six) || IN6_IS_ADDR_UNSPECIFIED(&six) ||
                              (IN6_IS_ADDR_V4MAPPED(&six) && (six.s6_addr[12] == 127 || six.s6_addr32[3] == 0));
                const std::uint16_t port = ntohs(socket->id.idiag_sport);
                if (!local || port == 0) continue;
                auto [it, added] = ports.try_emplace(port, socket->idiag_inode);
                if (!added) it->second = std::min<std::uint64_t>(it->second, socket->idiag_inode);
            }
        }
    }
    ::close(fd);
    return done;
}

}  // namespace

std::optional<std::map<std::uint16_t, std::uint64_t>> loopback_tcp_listeners() {
    std::map<std::uint16_t, std::uint64_t> ports;
    if (!add_tcp_listeners(AF_INET, ports)) return std::nullopt;
    (void)add_tcp_listeners(AF_INET6, ports);  // none without IPv6
    return ports;
}

ListenTable read_listen_table(const std::string& proc_root) {
    ListenTable t;
    const auto listeners = proc_root == "/proc" ? loopback_tcp_listeners() : std::nullopt;
    if (listeners) {
        for (const auto& [p, inode] : *listeners) t.loopback_ports.insert(p);
    } else {
        auto port = [&](std::uint16_t p, std::string_view) { t.loopback_ports.insert(p); };
        read_tcp(proc_root + "/net/tcp", false, port);
        read_tcp(proc_root + "/net/tcp6", true, port);
    }
    read_unix(proc_root + "/net/unix", [&](std::string_view path, std::string_view) { t.unix_paths.emplace(path); });
    return t;
}

std::vector<std::string> tunnel_listener_inodes(const Tunnel& tunnel, const std::string& proc_root) {
    std::vector<std::string> inodes;
    auto add = [&](std::string_view inode) {
        if (inode != "0") inodes.emplace_back(inode);
    };
    if (tunnel.kind == Tunnel::Kind::port) {
        auto port = [&](std::uint16_t p, std::string_view inode) {
            if (p == tunnel.port) add(inode);
        };
        read_tcp(proc_root + "/net/tcp", false, port);
        read_tcp(proc_root + "/net/tcp6", true, port);
    } else if (tunnel.kind == Tunnel::Kind::socket) {
        read_unix(proc_root + "/net/unix", [&](std::string_view path, std::string_view inode) {
            if (path == tunnel.path) add(inode);
        });
    }
    return inodes;
}

bool tunnel_up(const Tunnel& tunnel, const ListenTable& table) {
    switch (tunnel.kind) {
        case Tunnel::Kind::port: return table.loopback_ports.count(tunnel.port) != 0;
        case Tunnel::Kind::socket: return table.unix_paths.count(tunnel.path) != 0;
        case Tunnel::Kind::upstream: return true;
    }
    return false;
}

ListenCache::ListenCache(std::chrono::milliseconds max_age, std::string proc_root)
    : max_age_(max_age), proc_root_(std::move(proc_root)) {}

bool ListenCache::up(const Tunnel& tunnel) {
    if (tunnel.kind == Tunnel::Kind::upstream) return true;
    std::lock_guard<std::mutex> lock(mutex_);
    const auto now = std::chrono::steady_clock::now();
    const auto reread = [&] {
        table_ = read_listen_table(proc_root_);
        read_at_ = now;
        have_ = true;
    };
    if (!have_ || now - read_at_ >= max_age_) reread();
    if (tunnel_up(tunnel, table_)) return true;
    if (now - read_at_ < std::min(kDownRecheck, max_age_)) return false;
    reread();
    return tunnel_up(tunnel, table_);
}

}  // namespace camrelay
