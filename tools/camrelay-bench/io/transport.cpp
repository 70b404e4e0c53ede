// camrelay-bench: plain TCP transport.
#include "transport.hpp"

#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>

#include "socket_util.hpp"

namespace camrelay::bench {

Transport::~Transport() {
    if (fd_ >= 0) ::close(fd_);
}

IoResult PlainTransport::read(std::span<std::uint8_t> into) {
    for (;;) {
        const ssize_t n = ::recv(fd_, into.data(), into.size(), 0);
        if (n > 0) return {IoResult::Status::done, static_cast<std::size_t>(n), 0, {}};
        if (n == 0) return {IoResult::Status::closed, 0, 0, {}};
        if (errno == EINTR) continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK) return IoResult::blocked(EPOLLIN);
        return IoResult::failure(error_text(errno));
    }
}

IoResult PlainTransport::write(std::span<const std::uint8_t> data) {
    std::size_t sent = 0;
    const int error = send_pending(fd_, data.data(), data.size(), sent);
    if (error == 0) return {IoResult::Status::done, sent, 0, {}};
    if (error == EAGAIN) return IoResult::blocked(EPOLLOUT, sent);
    return IoResult::failure(error_text(error));
}

}  // namespace camrelay::bench
