// camrelay-bench: TLS for wss:// viewers (OpenSSL 3), a Transport under the
// WebSocket code like plain TCP.
//
// TlsClient holds what every connection of a run shares (one SSL_CTX):
// TLS 1.2 or newer, ALPN http/1.1, and the trust settings: the system's CAs,
// the CAs of a --ca file, or no verification at all (--insecure). Each
// connection sends SNI (for a host name) and checks that the certificate
// names the URL's host or IP address.
//
// TlsTransport is non-blocking: SSL_read reports WANT_READ or WANT_WRITE
// as the readiness to wait for. Reads go ahead of the records asked for
// (one recv can bring several records), so has_buffered_input() tells the
// reader to drain them before waiting on epoll. Writes fill each record
// with as much data as a record holds (16 KiB) and gather the records of
// one write in a buffer that leaves in one send(): a 16 KiB WebSocket
// message is two records but one send and, with TCP_NODELAY, the same TCP
// segments as over ws://, not a full segment and a straggler.
#pragma once

#include <openssl/ssl.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "camrelay/tls_peer.hpp"
#include "transport.hpp"

namespace camrelay::bench {

struct TlsSettings {
    std::string ca_file;    // trust only the CAs in this PEM file; empty: the system's CAs
    bool insecure = false;  // no certificate or name check at all
};

class TlsTransport;

class TlsClient {
public:
    // The context, or why it cannot be made (an unreadable --ca file, say).
    static std::variant<std::unique_ptr<TlsClient>, std::string> create(const TlsSettings& settings);

    const TlsSettings& settings() const { return settings_; }
    // What certificates are checked against, as the report says it.
    std::string trusted() const;

    // TLS on a connected socket (taking it over) for a server that must
    // prove to be `host`; handshake() runs the handshake.
    std::unique_ptr<TlsTransport> wrap(int fd, const std::string& host) const;

private:
    struct FreeContext {
        void operator()(SSL_CTX* ctx) const { SSL_CTX_free(ctx); }
    };
    TlsClient(TlsSettings settings, SSL_CTX* ctx) : settings_(std::move(settings)), ctx_(ctx) {}

    TlsSettings settings_;
    std::unique_ptr<SSL_CTX, FreeContext> ctx_;
};

class TlsTransport final : public Transport {
public:
    ~TlsTransport() override;

    // A failed handshake names the problem: for a certificate, what was
    // wrong with which one ("unable to get local issuer certificate",
    // "hostname mismatch", its subject and issuer) and what was trusted.
    IoResult handshake() override;
    IoResult read(std::span<std::uint8_t> into) override;
    IoResult write(std::span<const std::uint8_t> data) override;
    bool has_buffered_input() const override;
    bool has_buffered_output() const override { return output_head_ < output_.size(); }
    void end() override;
    std::optional<TlsSummary> tls() const override;

private:
    friend class TlsClient;
    TlsTransport(int fd, SSL* ssl, const TlsClient& client, std::string host);

    // The result of a failed SSL call that returned `rc`.
    IoResult failure(int rc, const char* what);
    std::string handshake_error(int error);
    // Sends the records waiting in output_: done when none is left.
    IoResult send_output();

    SSL* ssl_;
    std::vector<std::uint8_t> output_;  // records SSL wrote, from output_head_ on not sent yet
    std::size_t output_head_ = 0;
    const TlsClient& client_;
    std::string host_;
    tls_peer::VerifyProblem problem_;  // the certificate check's first problem
    bool handshake_done_ = false;
};

}  // namespace camrelay::bench
