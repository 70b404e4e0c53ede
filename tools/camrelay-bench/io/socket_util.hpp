// camrelay-bench: thin wrappers over the BSD socket calls. Every socket is
// non-blocking, close-on-exec and has TCP_NODELAY.
#pragma once

#include <sys/socket.h>

#include <cstdint>
#include <string>
#include <variant>
#include <vector>

namespace camrelay::bench {

struct Address {
    sockaddr_storage storage{};
    socklen_t length = 0;
    std::string text() const;  // "127.0.0.1:8080", "[::1]:8080"
};

// Resolves a host name or literal; returns the addresses or an error text.
std::variant<std::vector<Address>, std::string> resolve(const std::string& host, std::uint16_t port);

// "HOST:PORT" or "[V6]:PORT" split in two; false if malformed.
bool split_host_port(const std::string& text, std::string& host, std::uint16_t& port, bool allow_port_zero);

// A listening socket (SO_REUSEADDR) or an error text.
std::variant<int, std::string> listen_on(const Address& address, int backlog = 1024);

// Starts a non-blocking connect: the socket, or an error text.
std::variant<int, std::string> start_connect(const Address& address);

Address local_address(int fd);
void set_nodelay(int fd);
void set_nonblocking(int fd);
// Sends data[sent..size) on a non-blocking socket, advancing `sent`, until
// all is sent (returns 0), the socket would block (EAGAIN) or send fails (its
// errno). EINTR is retried.
int send_pending(int fd, const void* data, std::size_t size, std::size_t& sent);

// Bytes in the socket's send queue that TCP has not sent yet (SIOCOUTQNSD;
// SIOCOUTQ, which counts unacknowledged bytes too, on kernels without it).
std::size_t unsent_bytes(int fd);

// Pending SO_ERROR of a socket (0 if none).
int socket_error(int fd);
std::string error_text(int error);

}  // namespace camrelay::bench
