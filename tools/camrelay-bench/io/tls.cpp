// camrelay-bench: TLS transport (OpenSSL 3).
#include "tls.hpp"

#include <openssl/err.h>

#include <algorithm>
#include <cerrno>

#include "socket_util.hpp"

namespace camrelay::bench {

namespace {

// ALPN: the relay pipes WebSockets over HTTP/1.1 only.
constexpr unsigned char kAlpn[] = "\x08http/1.1";
// With read-ahead, one recv can bring several records (a 16 KiB echo is two).
constexpr std::size_t kReadAhead = 64 * 1024;
// Plaintext encrypted at a time: the records waiting for the socket stay
// under about this much (the rest of a larger message waits its turn).
constexpr std::size_t kWriteBatch = 256 * 1024;

// The reason of the first error in OpenSSL's queue ("wrong version
// number"), and its code; the queue is emptied.
std::string take_error(unsigned long& code) {
    code = ERR_get_error();
    std::string text;
    if (code != 0) {
        const char* reason = ERR_reason_error_string(code);
        text = reason != nullptr ? reason : "OpenSSL error " + std::to_string(code);
    }
    ERR_clear_error();
    return text;
}

std::string take_error() {
    unsigned long code = 0;
    return take_error(code);
}

// SSL's write side: a BIO that appends the records to the transport's
// output buffer (BIO_get_data) and never blocks; the transport sends them.
BIO_METHOD* output_method() {
    static BIO_METHOD* const method = [] {
        BIO_METHOD* m = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "camrelay-bench TLS output");
        if (m == nullptr) return m;
        BIO_meth_set_write(m, [](BIO* bio, const char* data, int length) {
            auto* output = static_cast<std::vector<std::uint8_t>*>(BIO_get_data(bio));
            const auto* bytes = reinterpret_cast<const std::uint8_t*>(data);  // same type: one memcpy
            output->insert(output->end(), bytes, bytes + length);
            return length;
        });
        BIO_meth_set_ctrl(m, [](BIO*, int command, long, void*) -> long { return command == BIO_CTRL_FLUSH ? 1 : 0; });
        BIO_meth_set_create(m, [](BIO* bio) {
            BIO_set_init(bio, 1);
            return 1;
        });
        return m;
    }();
    return method;
}

// What was wrong with which certificate: "unable to get local issuer
// certificate (certificate "CN=localhost" issued by "CN=Example CA")".
std::string problem_text(const tls_peer::VerifyProblem& problem) {
    std::string text = problem.reason();
    if (problem.certificate) {
        text +=
            " (certificate \"" + problem.certificate->subject + "\" issued by \"" + problem.certificate->issuer + "\"";
        if (problem.depth > 0) text += ", " + std::to_string(problem.depth) + " up the chain";
        text += ")";
    }
    return text;
}

}  // namespace

std::variant<std::unique_ptr<TlsClient>, std::string> TlsClient::create(const TlsSettings& settings) {
    ERR_clear_error();
    SSL_CTX* raw = SSL_CTX_new(TLS_client_method());
    if (raw == nullptr) return "cannot set up TLS: " + take_error();
    std::unique_ptr<TlsClient> client(new TlsClient(settings, raw));
    SSL_CTX* ctx = client->ctx_.get();
    if (SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) != 1) return "cannot require TLS 1.2: " + take_error();
    // A write encrypts all it is given (no partial writes: the output BIO
    // never blocks); should it have to wait for a read (a TLS 1.2
    // renegotiation), WsConnection may have moved its send buffer.
    SSL_CTX_set_mode(ctx, SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
    // A connection that ends without close_notify ends like a TCP one: the
    // WebSocket layer knows whether its close frames went both ways.
    SSL_CTX_set_options(ctx, SSL_OP_IGNORE_UNEXPECTED_EOF);
    SSL_CTX_set_read_ahead(ctx, 1);
    SSL_CTX_set_default_read_buffer_len(ctx, kReadAhead);
    SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
    if (SSL_CTX_set_alpn_protos(ctx, kAlpn, sizeof kAlpn - 1) != 0) return "cannot offer ALPN: " + take_error();
    if (settings.insecure) {
        SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, nullptr);
        return client;
    }
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, nullptr);
    if (!settings.ca_file.empty()) {
        if (SSL_CTX_load_verify_locations(ctx, settings.ca_file.c_str(), nullptr) != 1) {
            return "--ca " + settings.ca_file + ": no CA certificate could be read from it (" + take_error() + ")";
        }
    } else if (SSL_CTX_set_default_verify_paths(ctx) != 1) {
        return "cannot load the system's CA certificates: " + take_error();
    }
    return client;
}

std::string TlsClient::trusted() const {
    if (settings_.insecure) return "";
    return settings_.ca_file.empty() ? "system CAs" : settings_.ca_file;
}

std::unique_ptr<TlsTransport> TlsClient::wrap(int fd, const std::string& host) const {
    SSL* ssl = SSL_new(ctx_.get());
    // On failure the transport still owns the socket; its handshake fails.
    return std::unique_ptr<TlsTransport>(new TlsTransport(fd, ssl, *this, host));
}

TlsTransport::TlsTransport(int fd, SSL* ssl, const TlsClient& client, std::string host)
    : Transport(fd), ssl_(ssl), client_(client), host_(std::move(host)) {
    if (ssl_ == nullptr) return;
    BIO* output = BIO_new(output_method());
    if (output == nullptr) {
        SSL_free(ssl_);
        ssl_ = nullptr;
        return;
    }
    BIO_set_data(output, &output_);
    SSL_set_rfd(ssl_, fd_);       // reads straight from the socket
    SSL_set0_wbio(ssl_, output);  // writes into output_
    SSL_set_connect_state(ssl_);
    const bool verify = !client.settings().insecure;
    // SNI for a host name, the certificate checked for the name or address;
    // should OpenSSL refuse, the handshake fails with its reason.
    if (!tls_peer::expect_peer(ssl_, host_, verify) || (verify && !tls_peer::keep_verify_problem(ssl_, &problem_))) {
        SSL_free(ssl_);
        ssl_ = nullptr;
    }
}

TlsTransport::~TlsTransport() { SSL_free(ssl_); }

IoResult TlsTransport::handshake() {
    if (ssl_ == nullptr) return IoResult::failure("cannot set up TLS: " + take_error());
    ERR_clear_error();
    const int rc = SSL_connect(ssl_);
    const int error = rc == 1 ? SSL_ERROR_NONE : SSL_get_error(ssl_, rc);
    std::string problem;
    if (error != SSL_ERROR_NONE && error != SSL_ERROR_WANT_READ && error != SSL_ERROR_WANT_WRITE) {
        problem = handshake_error(error);
    }
    const IoResult sent = send_output();  // the hello, the Finished message, or an alert
    if (!problem.empty()) return IoResult::failure(problem);
    if (sent.status != IoResult::Status::done) return sent;
    if (error == SSL_ERROR_WANT_READ) return IoResult::blocked(EPOLLIN);
    if (error == SSL_ERROR_WANT_WRITE) return IoResult::blocked(EPOLLOUT);
    handshake_done_ = true;
    return {};
}

std::string TlsTransport::handshake_error(int error) {
    const int saved_errno = errno;
    unsigned long code = 0;
    std::string reason = take_error(code);
    const long verdict = SSL_get_verify_result(ssl_);
    if (!client_.settings().insecure && (problem_.found() || verdict != X509_V_OK)) {
        const std::string problem = problem_.found() ? problem_text(problem_) : X509_verify_cert_error_string(verdict);
        if (verdict == X509_V_ERR_HOSTNAME_MISMATCH || verdict == X509_V_ERR_IP_ADDRESS_MISMATCH) {
            return "certificate verify failed: " + problem + ": it is not for \"" + host_ +
                   "\" (--insecure skips the check)";
        }
        const std::string& ca_file = client_.settings().ca_file;
        return "certificate verify failed: " + problem + "; trusting " +
               (ca_file.empty() ? "the system's CAs" : "only the CAs in " + ca_file) +
               " (--ca FILE trusts another CA, --insecure skips the check)";
    }
    if (error == SSL_ERROR_ZERO_RETURN || (error == SSL_ERROR_SYSCALL && saved_errno == 0 && code == 0) ||
        ERR_GET_REASON(code) == SSL_R_UNEXPECTED_EOF_WHILE_READING) {
        return "the server closed the connection during the TLS handshake";
    }
    if (error == SSL_ERROR_SYSCALL && code == 0) return error_text(saved_errno);
    if (reason.empty()) reason = "TLS error " + std::to_string(error);
    switch (ERR_GET_REASON(code)) {
        case SSL_R_WRONG_VERSION_NUMBER:
        case SSL_R_PACKET_LENGTH_TOO_LONG: return reason + " (the server does not speak TLS here: a ws:// port?)";
        case SSL_R_UNSUPPORTED_PROTOCOL:
        case SSL_R_TLSV1_ALERT_PROTOCOL_VERSION: return reason + " (camrelay-bench speaks TLS 1.2 and 1.3)";
        default: return reason;
    }
}

IoResult TlsTransport::failure(int rc, const char* what) {
    const int error = SSL_get_error(ssl_, rc);
    switch (error) {
        case SSL_ERROR_WANT_READ: return IoResult::blocked(EPOLLIN);
        case SSL_ERROR_WANT_WRITE: return IoResult::blocked(EPOLLOUT);
        case SSL_ERROR_ZERO_RETURN: return {IoResult::Status::closed, 0, 0, {}};
        case SSL_ERROR_SYSCALL: {
            const int saved_errno = errno;
            const std::string reason = take_error();
            if (!reason.empty()) return IoResult::failure(std::string("TLS ") + what + ": " + reason);
            if (saved_errno == 0) return {IoResult::Status::closed, 0, 0, {}};
            return IoResult::failure(error_text(saved_errno));
        }
        default: return IoResult::failure(std::string("TLS ") + what + ": " + take_error());
    }
}

IoResult TlsTransport::send_output() {
    if (output_head_ == output_.size()) return {};
    const int error = send_pending(fd_, output_.data(), output_.size(), output_head_);
    if (error == EAGAIN) return IoResult::blocked(EPOLLOUT);
    if (error != 0) return IoResult::failure(error_text(error));
    output_.clear();
    output_head_ = 0;
    return {};
}

IoResult TlsTransport::read(std::span<std::uint8_t> into) {
    ERR_clear_error();
    std::size_t n = 0;
    const int rc = SSL_read_ex(ssl_, into.data(), into.size(), &n);
    IoResult r = rc == 1 ? IoResult{IoResult::Status::done, n, 0, {}} : failure(rc, "receive");
    // A read may have to answer (a TLS 1.3 key update); what the socket does
    // not take now, has_buffered_output() has the connection send later.
    if (has_buffered_output()) send_output();
    return r;
}

IoResult TlsTransport::write(std::span<const std::uint8_t> data) {
    std::size_t taken = 0;
    for (;;) {
        IoResult sent = send_output();
        if (sent.status != IoResult::Status::done || taken == data.size()) {
            sent.bytes = taken;
            return sent;
        }
        const std::size_t batch = std::min(data.size() - taken, kWriteBatch);
        ERR_clear_error();
        std::size_t n = 0;
        const int rc = SSL_write_ex(ssl_, data.data() + taken, batch, &n);
        if (rc != 1) {
            IoResult r = failure(rc, "send");
            if (r.status == IoResult::Status::closed) r = IoResult::failure("the peer closed the TLS stream");
            r.bytes = taken;
            return r;
        }
        taken += n;
    }
}

bool TlsTransport::has_buffered_input() const { return SSL_has_pending(ssl_) == 1; }

void TlsTransport::end() {
    if (!handshake_done_) return;
    SSL_shutdown(ssl_);  // close_notify, sent if the socket takes it now
    ERR_clear_error();
    send_output();
}

std::optional<TlsSummary> TlsTransport::tls() const {
    TlsSummary s;
    s.version = SSL_get_version(ssl_);
    if (const SSL_CIPHER* cipher = SSL_get_current_cipher(ssl_)) s.cipher = SSL_CIPHER_get_name(cipher);
    const unsigned char* alpn = nullptr;
    unsigned int alpn_length = 0;
    SSL_get0_alpn_selected(ssl_, &alpn, &alpn_length);
    s.alpn.assign(reinterpret_cast<const char*>(alpn), alpn_length);
    s.verified = !client_.settings().insecure && SSL_get_verify_result(ssl_) == X509_V_OK;
    s.trusted = client_.trusted();
    return s;
}

}  // namespace camrelay::bench
