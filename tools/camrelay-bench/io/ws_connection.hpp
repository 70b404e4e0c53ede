// camrelay-bench: one open WebSocket connection on the event loop, either
// side, after the handshake. It frames and sends messages (masked when it
// is the client), reads and checks frames with ws::MessageReader, answers
// pings, and runs the closing handshake (RFC 6455 section 7). Bytes go
// through a Transport: plain TCP or TLS (wss://).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "event_loop.hpp"
#include "transport.hpp"
#include "../protocol/message_reader.hpp"

namespace camrelay::bench {

struct CloseInfo {
    bool clean = false;                 // close frames went both ways
    bool by_peer = false;               // the peer closed first or dropped the connection
    std::optional<std::uint16_t> code;  // the code the peer sent, if any
    std::string reason;                 // the reason the peer sent
    std::string error;                  // what went wrong, empty after a clean close
};

class WsConnection : public IoHandler, private ws::MessageHandler {
public:
    enum class Role { client, server };

    class Listener {
    public:
        virtual ~Listener() = default;
        virtual void on_message(WsConnection& connection, ws::Opcode opcode, std::span<const std::uint8_t> payload) = 0;
        // The send buffer is (nearly) empty after want_drain().
        virtual void on_drained(WsConnection&) {}
        // The socket is closed; the owner should destroy the connection
        // through EventLoop::defer().
        virtual void on_closed(WsConnection& connection, const CloseInfo& info) = 0;
    };

    static constexpr std::size_t kLowWater = 64 * 1024;
    static constexpr std::uint64_t kCloseTimeoutNs = 2'000'000'000;

    // `preamble` is sent first (the server's 101 response); `early_bytes`
    // arrived with the handshake and are parsed first.
    WsConnection(EventLoop& loop, std::unique_ptr<Transport> transport, Role role, Listener& listener,
                 std::string_view preamble = {});
    ~WsConnection() override;
    WsConnection(const WsConnection&) = delete;
    WsConnection& operator=(const WsConnection&) = delete;

    void start(std::span<const std::uint8_t> early_bytes = {});

    // Sending is possible until close() is called or the peer closes.
    bool can_send() const { return state_ == State::open; }
    void send(ws::Opcode opcode, std::span<const std::uint8_t> payload);
    // Builds a message in place: fill the returned bytes, then end_message().
    std::span<std::uint8_t> begin_message(ws::Opcode opcode, std::size_t length);
    void end_message();

    // Starts the closing handshake; on_closed() follows when it completes or
    // after kCloseTimeoutNs.
    void close(std::uint16_t code, std::string_view reason);
    // Closes the socket at once; on_closed() is called with `error`.
    void abort(std::string error);

    // Calls on_drained() once the send buffer is below kLowWater.
    void want_drain();
    std::size_t buffered() const { return out_.size() - out_head_; }
    bool write_blocked() const { return write_blocked_; }
    // What waits to be sent: buffered() and what the kernel holds unsent.
    std::size_t queued() const;
    // Bytes that have left for the network (sent by TCP) so far.
    std::uint64_t bytes_gone() const;

    // Reads at most `bytes_per_s` while the connection is open (0: no
    // limit), as a viewer on a narrow path would: the peer's send queue
    // grows. A closing handshake reads at full speed.
    void set_read_limit(std::uint64_t bytes_per_s);

    // TLS details of a wss:// connection.
    std::optional<TlsSummary> tls() const { return transport_ ? transport_->tls() : std::nullopt; }

    std::uint64_t bytes_received() const { return bytes_in_; }
    std::uint64_t bytes_sent() const { return bytes_out_; }
    void* user = nullptr;  // for the owner

private:
    enum class State { open, closing, finishing, closed };

    void on_io(std::uint32_t events) override;
    void on_message(ws::Opcode opcode, std::span<const std::uint8_t> payload) override;
    void on_ping(std::span<const std::uint8_t> payload) override;
    void on_pong(std::span<const std::uint8_t> payload) override;
    void on_close(std::optional<std::uint16_t> code, std::string_view reason) override;

    void read_available();
    // Read budget under a read limit: bytes that may be read now; 0 pauses
    // reading until a timer gives more.
    std::size_t read_budget();
    void resume_reading();
    void feed(std::span<std::uint8_t> bytes);
    void queue_frame(ws::Opcode opcode, std::span<const std::uint8_t> payload);
    void flush();
    void update_interest();
    void finish_after_flush();
    void arm_close_timer(std::string error);
    void compact();
    void finish(CloseInfo info);

    EventLoop& loop_;
    std::unique_ptr<Transport> transport_;  // null once closed
    Role role_;
    Listener& listener_;
    ws::MessageReader reader_;
    State state_ = State::open;
    std::vector<std::uint8_t> out_;
    std::size_t out_head_ = 0;
    std::size_t message_start_ = 0;  // begin_message(): where the payload starts
    std::optional<ws::MaskKey> message_mask_;
    bool write_blocked_ = false;
    bool drain_wanted_ = false;
    // What a blocked read or write waits for: EPOLLIN and EPOLLOUT for
    // TCP; the other way round when TLS has to write to read or read to write.
    std::uint32_t read_waits_for_ = EPOLLIN;
    std::uint32_t write_waits_for_ = EPOLLOUT;
    std::uint32_t interest_ = 0;
    bool close_received_ = false;
    CloseInfo close_info_;
    std::optional<EventLoop::TimerId> close_timer_;
    std::uint64_t bytes_in_ = 0;
    std::uint64_t bytes_out_ = 0;
    std::uint64_t read_limit_ = 0;  // bytes a second, 0 = none
    double read_tokens_ = 0;
    std::uint64_t read_tokens_ns_ = 0;
    bool read_paused_ = false;
    bool hung_up_ = false;
    std::optional<EventLoop::TimerId> read_timer_;
};

}  // namespace camrelay::bench
