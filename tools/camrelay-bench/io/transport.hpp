// camrelay-bench: the byte stream under a connection, plain TCP or TLS
// (tls.hpp). The client handshake (WsConnector) and WsConnection read and
// write through it and never see which one they have.
//
// Everything is non-blocking. An operation that cannot go on says which
// readiness it waits for, EPOLLIN or EPOLLOUT: for TLS not always the
// obvious one (a read may have to write first, a write to read). A TLS
// transport may also hold bytes it took from the socket that no read has
// returned yet (has_buffered_input): epoll will not report those, so a
// reader drains them before it waits again. And it may hold output the
// socket has not taken yet (has_buffered_output): a writer waits for
// `wait` and calls write() again, with nothing new if it has nothing.
#pragma once

#include <sys/epoll.h>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>

#include "../measure/results.hpp"

namespace camrelay::bench {

struct IoResult {
    enum class Status {
        done,    // read: `bytes` (> 0) read; write, handshake: all done
        again,   // nothing more now: wait for `wait`; write: `bytes` went before
        closed,  // read: the peer ended the stream
        failed,  // `error` says why
    };
    Status status = Status::done;
    std::size_t bytes = 0;
    std::uint32_t wait = 0;
    std::string error;

    static IoResult blocked(std::uint32_t wait, std::size_t bytes = 0) { return {Status::again, bytes, wait, {}}; }
    static IoResult failure(std::string error) { return {Status::failed, 0, 0, std::move(error)}; }
};

class Transport {
public:
    // Takes ownership of the connected, non-blocking socket `fd`.
    explicit Transport(int fd) : fd_(fd) {}
    virtual ~Transport();  // closes the socket
    Transport(const Transport&) = delete;
    Transport& operator=(const Transport&) = delete;

    int fd() const { return fd_; }

    // Whatever the transport needs before data flows (the TLS handshake);
    // call again after `again` until done or failed.
    virtual IoResult handshake() { return {}; }
    // Up to into.size() bytes of what has arrived.
    virtual IoResult read(std::span<std::uint8_t> into) = 0;
    // Sends `data`: done once all of it is on the socket; again when the
    // socket is full, with `bytes` of data taken (sent, or held as
    // output). The next write starts with the bytes not taken, which
    // WsConnection's send buffer guarantees.
    virtual IoResult write(std::span<const std::uint8_t> data) = 0;
    // Input taken from the socket that read() has not returned yet.
    virtual bool has_buffered_input() const { return false; }
    // Output taken by write() (or made by read()) that the socket has not.
    virtual bool has_buffered_output() const { return false; }
    // Ends the stream politely before the socket is closed (TLS
    // close_notify); best effort, never blocks.
    virtual void end() {}
    // How the connection is secured, for the report; nullopt for plain TCP.
    virtual std::optional<TlsSummary> tls() const { return std::nullopt; }

protected:
    int fd_;
};

// Plain TCP: recv and send.
class PlainTransport final : public Transport {
public:
    using Transport::Transport;
    IoResult read(std::span<std::uint8_t> into) override;
    IoResult write(std::span<const std::uint8_t> data) override;
};

}  // namespace camrelay::bench
