// camrelay-bench: socket helpers.
#include "socket_util.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <linux/sockios.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "camrelay/text.hpp"

namespace camrelay::bench {

std::string Address::text() const {
    char host[INET6_ADDRSTRLEN] = "?";
    std::uint16_t port = 0;
    if (storage.ss_family == AF_INET) {
        const auto* in = reinterpret_cast<const sockaddr_in*>(&storage);
        inet_ntop(AF_INET, &in->sin_addr, host, sizeof host);
        port = ntohs(in->sin_port);
        return std::string(host) + ":" + std::to_string(port);
    }
    const auto* in6 = reinterpret_cast<const sockaddr_in6*>(&storage);
    inet_ntop(AF_INET6, &in6->sin6_addr, host, sizeof host);
    port = ntohs(in6->sin6_port);
    return std::string("[").append(host).append("]:").append(std::to_string(port));
}

std::variant<std::vector<Address>, std::string> resolve(const std::string& host, std::uint16_t port) {
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_ADDRCONFIG | AI_NUMERICSERV;
    addrinfo* found = nullptr;
    int rc = getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints, &found);
    if (rc != 0) {
        // AI_ADDRCONFIG hides ::1 on hosts with no global IPv6 address: retry without it.
        hints.ai_flags = AI_NUMERICSERV;
        rc = getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints, &found);
    }
    if (rc != 0) return std::string("cannot resolve host \"") + host + "\": " + gai_strerror(rc);
    std::vector<Address> out;
    for (addrinfo* ai = found; ai != nullptr; ai = ai->ai_next) {
        Address a;
        std::memcpy(&a.storage, ai->ai_addr, ai->ai_addrlen);
        a.length = ai->ai_addrlen;
        out.push_back(a);
    }
    freeaddrinfo(found);
    if (out.empty()) return std::string("host \"") + host + "\" has no address";
    return out;
}

bool split_host_port(const std::string& text, std::string& host, std::uint16_t& port, bool allow_port_zero) {
    std::string port_text;
    if (!text.empty() && text.front() == '[') {
        auto close = text.find("]:");
        if (close == std::string::npos) return false;
        host = text.substr(1, close - 1);
        port_text = text.substr(close + 2);
    } else {
        auto colon = text.rfind(':');
        if (colon == std::string::npos || text.find(':') != colon) return false;
        host = text.substr(0, colon);
        port_text = text.substr(colon + 1);
    }
    // As in a URL (text::read_port): leading zeros allowed ("h:08080"), five digits at most.
    const camrelay::text::Decimal value = camrelay::text::read_port(port_text);
    if (host.empty() || value.error != camrelay::text::DecimalError::none) return false;
    if (value.value == 0 && !allow_port_zero) return false;
    port = static_cast<std::uint16_t>(value.value);
    return true;
}

std::variant<int, std::string> listen_on(const Address& address, int backlog) {
    int fd = socket(address.storage.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) return "socket: " + error_text(errno);
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (bind(fd, reinterpret_cast<const sockaddr*>(&address.storage), address.length) != 0) {
        std::string error = "cannot listen on " + address.text() + ": " + error_text(errno);
        close(fd);
        return error;
    }
    if (listen(fd, backlog) != 0) {
        std::string error = "listen on " + address.text() + ": " + error_text(errno);
        close(fd);
        return error;
    }
    return fd;
}

std::variant<int, std::string> start_connect(const Address& address) {
    int fd = socket(address.storage.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) return "socket: " + error_text(errno);
    set_nodelay(fd);
    if (connect(fd, reinterpret_cast<const sockaddr*>(&address.storage), address.length) != 0 && errno != EINPROGRESS) {
        std::string error = error_text(errno);
        close(fd);
        return error;
    }
    return fd;
}

Address local_address(int fd) {
    Address a;
    a.length = sizeof a.storage;
    getsockname(fd, reinterpret_cast<sockaddr*>(&a.storage), &a.length);
    return a;
}

void set_nodelay(int fd) {
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

void set_nonblocking(int fd) { fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK); }

int send_pending(int fd, const void* data, std::size_t size, std::size_t& sent) {
    const auto* bytes = static_cast<const char*>(data);
    while (sent < size) {
        const ssize_t n = ::send(fd, bytes + sent, size - sent, MSG_NOSIGNAL);
        if (n > 0) {
            sent += static_cast<std::size_t>(n);
        } else if (n < 0 && errno == EINTR) {
            continue;
        } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            return EAGAIN;
        } else {
            return n < 0 ? errno : EIO;
        }
    }
    return 0;
}

int socket_error(int fd) {
    int error = 0;
    socklen_t length = sizeof error;
    getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length);
    return error;
}

std::string error_text(int error) { return std::strerror(error); }

std::size_t unsent_bytes(int fd) {
    int bytes = 0;
    if (ioctl(fd, SIOCOUTQNSD, &bytes) != 0 && ioctl(fd, SIOCOUTQ, &bytes) != 0) return 0;
    return bytes > 0 ? static_cast<std::size_t>(bytes) : 0;
}

}  // namespace camrelay::bench
