// tunnel_probe: small Linux helpers for the tunnel tests.
//
//   tunnel_probe free-port          print a loopback TCP port that is free now
//   tunnel_probe in-use PORT        exit 0 if 127.0.0.1:PORT is taken (as sshd would see it)
//   tunnel_probe listen PORT SECS   listen on 127.0.0.1:PORT for SECS seconds (accepts nothing)
//   tunnel_probe banner PORT        connect to 127.0.0.1:PORT, print what arrives within 5 s
//                                   (up to 255 bytes, until the peer closes)
//   tunnel_probe nodelay PID        for each TCP socket of process PID, print
//                                   "LOCAL PEER nodelay=0|1" (needs root: the
//                                   socket is borrowed with pidfd_getfd(2))
//   tunnel_probe tos PID            the same with "tos=0xNN" (DSCP << 2)
//   tunnel_probe tuning PID         the same with "cc=NAME notsent_lowat=N
//                                   user_timeout_ms=N" (TCP_CONGESTION,
//                                   TCP_NOTSENT_LOWAT, TCP_USER_TIMEOUT)
#include <arpa/inet.h>
#include <dirent.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "camrelay/admin/ssh_access.hpp"

namespace {

std::string address(const sockaddr_storage& ss) {
    char host[INET6_ADDRSTRLEN] = "?";
    unsigned port = 0;
    if (ss.ss_family == AF_INET) {
        const auto* a = reinterpret_cast<const sockaddr_in*>(&ss);
        inet_ntop(AF_INET, &a->sin_addr, host, sizeof host);
        port = ntohs(a->sin_port);
        return std::string(host) + ":" + std::to_string(port);
    }
    if (ss.ss_family == AF_INET6) {
        const auto* a = reinterpret_cast<const sockaddr_in6*>(&ss);
        inet_ntop(AF_INET6, &a->sin6_addr, host, sizeof host);
        port = ntohs(a->sin6_port);
        return std::string("[").append(host).append("]:").append(std::to_string(port));
    }
    return "?";
}

int free_port() {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) return 1;
    socklen_t len = sizeof a;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
    std::printf("%u\n", ntohs(a.sin_port));
    ::close(fd);
    return 0;
}

int listen_for(std::uint16_t port, unsigned seconds) {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || ::listen(fd, 1) != 0) {
        std::perror("listen");
        return 1;
    }
    ::sleep(seconds);
    return 0;
}

int banner(std::uint16_t port) {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd < 0 || ::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
        std::perror("connect");
        return 1;
    }
    std::string got;
    char buf[256];
    pollfd p{fd, POLLIN, 0};
    while (got.size() < 255 && ::poll(&p, 1, 5000) > 0) {
        ssize_t n = ::read(fd, buf, sizeof buf);
        if (n <= 0) break;
        got.append(buf, static_cast<std::size_t>(n));
        if (got.find('\n') != std::string::npos) break;
    }
    std::fwrite(got.data(), 1, got.size(), stdout);
    ::close(fd);
    return 0;
}

enum class Show { nodelay, tos, tuning };

// What `what` asks of a connected TCP socket, as "name=value" words.
std::string socket_words(int fd, int family, Show what) {
    char text[128];
    int value = 0;
    socklen_t len = sizeof value;
    if (what == Show::tos) {
        if (family == AF_INET6) {
            ::getsockopt(fd, IPPROTO_IPV6, IPV6_TCLASS, &value, &len);
        } else {
            ::getsockopt(fd, IPPROTO_IP, IP_TOS, &value, &len);
        }
        std::snprintf(text, sizeof text, "tos=0x%02x", value);
    } else if (what == Show::tuning) {
        char cc[16] = {};
        socklen_t cl = sizeof cc - 1;
        if (::getsockopt(fd, IPPROTO_TCP, TCP_CONGESTION, cc, &cl) != 0) std::strcpy(cc, "?");
        int lowat = 0, timeout = 0;
        len = sizeof lowat;
        ::getsockopt(fd, IPPROTO_TCP, TCP_NOTSENT_LOWAT, &lowat, &len);
        len = sizeof timeout;
        ::getsockopt(fd, IPPROTO_TCP, TCP_USER_TIMEOUT, &timeout, &len);
        std::snprintf(text, sizeof text, "cc=%s notsent_lowat=%d user_timeout_ms=%d", cc, lowat, timeout);
    } else {
        ::getsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &value, &len);
        std::snprintf(text, sizeof text, "nodelay=%d", value ? 1 : 0);
    }
    return text;
}

// For each TCP socket of process PID: "LOCAL PEER nodelay=0|1", or with
// tos, "LOCAL PEER tos=0xNN" (IPv4 TOS / IPv6 traffic class: DSCP << 2), or
// the tuning.
int sockets(pid_t pid, Show what) {
    int pidfd = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
    if (pidfd < 0) {
        std::perror("pidfd_open");
        return 2;
    }
    std::string dir = "/proc/" + std::to_string(pid) + "/fd";
    DIR* d = ::opendir(dir.c_str());
    if (!d) {
        std::perror("opendir");
        return 2;
    }
    while (dirent* e = ::readdir(d)) {
        if (e->d_name[0] == '.') continue;
        char target[64];
        ssize_t n = ::readlink((dir + "/" + e->d_name).c_str(), target, sizeof target - 1);
        if (n <= 0) continue;
        target[n] = '\0';
        if (std::strncmp(target, "socket:", 7) != 0) continue;
        int fd = static_cast<int>(::syscall(SYS_pidfd_getfd, pidfd, std::atoi(e->d_name), 0));
        if (fd < 0) continue;
        int type = 0, proto = 0;
        socklen_t len = sizeof type;
        ::getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len);
        len = sizeof proto;
        ::getsockopt(fd, SOL_SOCKET, SO_PROTOCOL, &proto, &len);
        sockaddr_storage local{}, peer{};
        socklen_t ll = sizeof local, pl = sizeof peer;
        if (type == SOCK_STREAM && proto == IPPROTO_TCP &&
            ::getsockname(fd, reinterpret_cast<sockaddr*>(&local), &ll) == 0 &&
            ::getpeername(fd, reinterpret_cast<sockaddr*>(&peer), &pl) == 0) {
            std::printf("%s %s %s\n", address(local).c_str(), address(peer).c_str(),
                        socket_words(fd, local.ss_family, what).c_str());
        }
        ::close(fd);
    }
    ::closedir(d);
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    std::string cmd = argc > 1 ? argv[1] : "";
    if (cmd == "free-port" && argc == 2) return free_port();
    if (cmd == "in-use" && argc == 3)
        return camrelay::loopback_port_in_use(static_cast<std::uint16_t>(std::atoi(argv[2]))) ? 0 : 1;
    if (cmd == "listen" && argc == 4)
        return listen_for(static_cast<std::uint16_t>(std::atoi(argv[2])), static_cast<unsigned>(std::atoi(argv[3])));
    if (cmd == "banner" && argc == 3) return banner(static_cast<std::uint16_t>(std::atoi(argv[2])));
    const pid_t pid = argc == 3 ? static_cast<pid_t>(std::atoi(argv[2])) : 0;
    if (cmd == "nodelay" && argc == 3) return sockets(pid, Show::nodelay);
    if (cmd == "tos" && argc == 3) return sockets(pid, Show::tos);
    if (cmd == "tuning" && argc == 3) return sockets(pid, Show::tuning);
    std::fprintf(
        stderr,
        "usage: tunnel_probe free-port | in-use PORT | listen PORT SECS | nodelay PID | tos PID | tuning PID\n");
    return 2;
}
