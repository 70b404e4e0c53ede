// camrelay library: the server a TLS client expects, and what its
// certificate is, for camrelay-connect (a camera reaching its relay) and
// camrelay-bench (wss:// viewers). On top of OpenSSL's libssl: the targets
// that use it link OpenSSL::SSL (camrelay_core does, publicly). No Varnish
// header; the module never calls it.
//
// expect_peer() sets up a client connection for a name: SNI for a host name
// only (RFC 6066 section 3 sends none for an address), and the certificate
// check for the name or the address. keep_verify_problem() writes down the
// first thing that check finds wrong, with describe_certificate()'s text of
// the certificate it is about, for the program's own message.
#pragma once

#include <openssl/ssl.h>

#include <optional>
#include <string>
#include <string_view>

namespace camrelay::tls_peer {

// True for an IPv4 or IPv6 address ("192.0.2.1", "::1"; no brackets),
// false for a host name.
bool is_ip_address(std::string_view host);

// Sets up the client connection `ssl` for the server `name`, a host name (a
// trailing dot ignored) or an address: SNI for a host name only and, with
// `check_certificate`, the certificate check for it: one of the
// certificate's DNS names must match (a wildcard only as a whole left-most
// label) or, for an address, one of its IP addresses. The chain itself is
// checked as the SSL_CTX says (SSL_VERIFY_PEER, its CAs). False for an
// empty name, or when OpenSSL refuses (the reason is in its error queue).
bool expect_peer(SSL* ssl, std::string_view name, bool check_certificate);

// A certificate as messages show it: printable ASCII, long parts cut short
// ("...").
struct CertificateDescription {
    std::string subject;  // "CN=relay.example,O=Example" (RFC 2253 order); "?" when empty
    std::string issuer;   // the same for its issuer
    std::string names;    // what it is for: "relay.example, 192.0.2.1", the DNS names and IP
                          // addresses of its subjectAltName, four at most then ", ..."; "" for none
};
CertificateDescription describe_certificate(const X509* certificate);

// The first thing the certificate check of a connection found wrong.
struct VerifyProblem {
    int error = X509_V_OK;  // X509_V_ERR_...; X509_V_OK while nothing was found
    int depth = 0;          // of the certificate it is about: 0 the server's own, 1 its issuer, ...
    std::optional<CertificateDescription> certificate;  // that certificate, when OpenSSL had one

    bool found() const { return error != X509_V_OK; }
    // OpenSSL's words for the error: "hostname mismatch", "unable to get
    // local issuer certificate".
    std::string reason() const;
};

// Has the certificate check of `ssl` write its first problem into
// `*problem`, which must outlive the handshake: a verify callback on `ssl`
// (its verify mode unchanged) that leaves OpenSSL's verdict as it is. False
// when OpenSSL cannot attach it.
bool keep_verify_problem(SSL* ssl, VerifyProblem* problem);

}  // namespace camrelay::tls_peer
