// tls_peer: the server a TLS client expects (SNI for names only, the
// certificate checked for the name or the address), the text of a
// certificate, and the first problem of a certificate check. Certificates
// are made here with OpenSSL's API; handshakes run in memory (a BIO pair).
#include <gtest/gtest.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "camrelay/tls_peer.hpp"

using namespace camrelay;

namespace {

template <class T, void (*Free)(T*)>
struct Deleter {
    void operator()(T* p) const { Free(p); }
};
using Key = std::unique_ptr<EVP_PKEY, Deleter<EVP_PKEY, EVP_PKEY_free>>;
using Cert = std::unique_ptr<X509, Deleter<X509, X509_free>>;
using Ssl = std::unique_ptr<SSL, Deleter<SSL, SSL_free>>;
using Ctx = std::unique_ptr<SSL_CTX, Deleter<SSL_CTX, SSL_CTX_free>>;

Key new_key() {
    Key key(EVP_EC_gen("P-256"));
    if (key == nullptr) ADD_FAILURE() << "EVP_EC_gen failed";
    return key;
}

// A subjectAltName entry: a DNS name (any bytes) or an address ("192.0.2.1").
struct AltName {
    int type;  // GEN_DNS, GEN_IPADD or GEN_EMAIL
    std::string value;
};
AltName dns(std::string name) { return {GEN_DNS, std::move(name)}; }
AltName ip(std::string address) { return {GEN_IPADD, std::move(address)}; }

// A name of (field, value) pairs, as openssl -subj /O=.../CN=... gives them:
// {{"O", "camrelay tests"}, {"CN", "relay.test"}}.
using Name = std::vector<std::pair<std::string, std::string>>;

void set_name(X509_NAME* out, const Name& name) {
    for (const auto& [field, value] : name) {
        // V_ASN1_UTF8STRING: as given, past the lengths X.520 sets (CN: 64).
        X509_NAME_add_entry_by_txt(out, field.c_str(), V_ASN1_UTF8STRING,
                                   reinterpret_cast<const unsigned char*>(value.data()), static_cast<int>(value.size()),
                                   -1, 0);
    }
}

void add_alt_names(X509* cert, const std::vector<AltName>& alt_names) {
    GENERAL_NAMES* names = sk_GENERAL_NAME_new_null();
    for (const AltName& a : alt_names) {
        GENERAL_NAME* name = GENERAL_NAME_new();
        if (a.type == GEN_IPADD) {
            GENERAL_NAME_set0_value(name, GEN_IPADD, a2i_IPADDRESS(a.value.c_str()));
        } else {
            ASN1_IA5STRING* text = ASN1_IA5STRING_new();
            ASN1_STRING_set(text, a.value.data(), static_cast<int>(a.value.size()));
            GENERAL_NAME_set0_value(name, a.type, text);
        }
        sk_GENERAL_NAME_push(names, name);
    }
    X509_add1_ext_i2d(cert, NID_subject_alt_name, names, 0, X509V3_ADD_DEFAULT);
    GENERAL_NAMES_free(names);
}

// A certificate for `key`, signed by `issuer_key` as `issuer` (itself when
// issuer is null: self-signed); a CA when `ca`.
Cert make_certificate(const Name& subject, EVP_PKEY* key, const std::vector<AltName>& alt_names, const X509* issuer,
                      EVP_PKEY* issuer_key, bool ca = false) {
    Cert cert(X509_new());
    X509_set_version(cert.get(), 2);
    static long serial = 1;
    ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), serial++);
    X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600);
    X509_gmtime_adj(X509_getm_notAfter(cert.get()), 24 * 3600);
    X509_set_pubkey(cert.get(), key);
    set_name(X509_get_subject_name(cert.get()), subject);
    X509_set_issuer_name(cert.get(),
                         issuer != nullptr ? X509_get_subject_name(issuer) : X509_get_subject_name(cert.get()));
    if (ca) {
        X509V3_CTX v3;
        X509V3_set_ctx_nodb(&v3);
        X509V3_set_ctx(&v3, nullptr, cert.get(), nullptr, nullptr, 0);
        for (const auto& [nid, value] : {std::pair{NID_basic_constraints, "critical,CA:TRUE"},
                                         std::pair{NID_key_usage, "critical,keyCertSign,cRLSign"}}) {
            X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &v3, nid, value);
            X509_add_ext(cert.get(), ext, -1);
            X509_EXTENSION_free(ext);
        }
    }
    if (!alt_names.empty()) add_alt_names(cert.get(), alt_names);
    if (X509_sign(cert.get(), issuer_key != nullptr ? issuer_key : key, EVP_sha256()) == 0) {
        ADD_FAILURE() << "X509_sign failed";
    }
    return cert;
}

// A test CA, and a relay certificate from it.
struct Pki {
    Key ca_key = new_key();
    Cert ca = make_certificate({{"O", "camrelay tests"}, {"CN", "camrelay test CA"}}, ca_key.get(), {}, nullptr,
                               nullptr, true);
    Key relay_key = new_key();
    Cert relay = make_certificate({{"CN", "relay.test"}}, relay_key.get(), {dns("relay.test"), ip("127.0.0.1")},
                                  ca.get(), ca_key.get());
};

// What a client saw of one handshake with a server holding `cert`.
struct Outcome {
    bool connected = false;
    std::string sni;  // what the server received, "" for none
    tls_peer::VerifyProblem problem;
};

// A handshake in memory: the client trusts `trusted` (none: nothing) and
// expects `name`, checking the certificate when `check`.
Outcome handshake(X509* cert, EVP_PKEY* key, X509* trusted, const std::string& name, bool check = true) {
    Outcome out;
    Ctx server_ctx(SSL_CTX_new(TLS_server_method()));
    Ctx client_ctx(SSL_CTX_new(TLS_client_method()));
    EXPECT_EQ(SSL_CTX_use_certificate(server_ctx.get(), cert), 1);
    EXPECT_EQ(SSL_CTX_use_PrivateKey(server_ctx.get(), key), 1);
    SSL_CTX_set_verify(client_ctx.get(), check ? SSL_VERIFY_PEER : SSL_VERIFY_NONE, nullptr);
    if (trusted != nullptr) X509_STORE_add_cert(SSL_CTX_get_cert_store(client_ctx.get()), trusted);

    Ssl client(SSL_new(client_ctx.get()));
    Ssl server(SSL_new(server_ctx.get()));
    BIO* client_end = nullptr;
    BIO* server_end = nullptr;
    BIO_new_bio_pair(&client_end, 0, &server_end, 0);
    SSL_set_bio(client.get(), client_end, client_end);
    SSL_set_bio(server.get(), server_end, server_end);
    SSL_set_connect_state(client.get());
    SSL_set_accept_state(server.get());
    EXPECT_TRUE(tls_peer::expect_peer(client.get(), name, check));
    if (check) {
        EXPECT_TRUE(tls_peer::keep_verify_problem(client.get(), &out.problem));
    }

    // Client and server take turns until both are done or one fails.
    SSL* const sides[] = {client.get(), server.get()};
    bool done[] = {false, false};
    bool failed = false;
    for (int round = 0; round < 20 && !failed && !(done[0] && done[1]); ++round) {
        for (int i = 0; i < 2 && !failed; ++i) {
            if (done[i]) continue;
            const int rc = SSL_do_handshake(sides[i]);
            const int error = rc == 1 ? SSL_ERROR_NONE : SSL_get_error(sides[i], rc);
            done[i] = rc == 1;
            failed = error != SSL_ERROR_NONE && error != SSL_ERROR_WANT_READ && error != SSL_ERROR_WANT_WRITE;
        }
    }
    ERR_clear_error();
    out.connected = done[0] && done[1];
    const char* sni = SSL_get_servername(server.get(), TLSEXT_NAMETYPE_host_name);
    out.sni = sni != nullptr ? sni : "";
    return out;
}

// --------------------------------------------------------------- is_ip_address

TEST(TlsPeer, AddressesAreTold) {
    for (const char* address : {"127.0.0.1", "192.0.2.10", "::1", "2001:db8::7", "::ffff:192.0.2.1"}) {
        EXPECT_TRUE(tls_peer::is_ip_address(address)) << address;
    }
    for (const char* name : {"relay.test", "localhost", "", "[::1]", "1.2.3", "127.0.0.1.nip.io", "127.0.0.1 ",
                             "fe80::1%eth0", "256.0.0.1"}) {
        EXPECT_FALSE(tls_peer::is_ip_address(name)) << name;
    }
}

// --------------------------------------------------------------- expect_peer

TEST(TlsPeer, HostNameGetsSniAndTheNameCheck) {
    Ctx ctx(SSL_CTX_new(TLS_client_method()));
    Ssl ssl(SSL_new(ctx.get()));
    ASSERT_TRUE(tls_peer::expect_peer(ssl.get(), "relay.test.", true));
    const char* sni = SSL_get_servername(ssl.get(), TLSEXT_NAMETYPE_host_name);
    ASSERT_NE(sni, nullptr);
    EXPECT_STREQ(sni, "relay.test");  // no trailing dot in SNI
    X509_VERIFY_PARAM* param = SSL_get0_param(ssl.get());
    ASSERT_NE(X509_VERIFY_PARAM_get0_host(param, 0), nullptr);
    EXPECT_STREQ(X509_VERIFY_PARAM_get0_host(param, 0), "relay.test");
    EXPECT_EQ(X509_VERIFY_PARAM_get_hostflags(param) & X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS,
              static_cast<unsigned>(X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS));
    char* address = X509_VERIFY_PARAM_get1_ip_asc(param);
    EXPECT_EQ(address, nullptr);
    OPENSSL_free(address);
}

TEST(TlsPeer, AddressGetsNoSniAndTheAddressCheck) {
    for (const char* literal : {"127.0.0.1", "2001:db8::7"}) {
        Ctx ctx(SSL_CTX_new(TLS_client_method()));
        Ssl ssl(SSL_new(ctx.get()));
        ASSERT_TRUE(tls_peer::expect_peer(ssl.get(), literal, true)) << literal;
        EXPECT_EQ(SSL_get_servername(ssl.get(), TLSEXT_NAMETYPE_host_name), nullptr) << literal;
        X509_VERIFY_PARAM* param = SSL_get0_param(ssl.get());
        EXPECT_EQ(X509_VERIFY_PARAM_get0_host(param, 0), nullptr) << literal;
        char* address = X509_VERIFY_PARAM_get1_ip_asc(param);
        ASSERT_NE(address, nullptr) << literal;
        EXPECT_EQ(tls_peer::is_ip_address(address), true) << address;
        OPENSSL_free(address);
    }
}

TEST(TlsPeer, WithoutTheCheckOnlySni) {
    Ctx ctx(SSL_CTX_new(TLS_client_method()));
    Ssl ssl(SSL_new(ctx.get()));
    ASSERT_TRUE(tls_peer::expect_peer(ssl.get(), "relay.test", false));
    EXPECT_STREQ(SSL_get_servername(ssl.get(), TLSEXT_NAMETYPE_host_name), "relay.test");
    EXPECT_EQ(X509_VERIFY_PARAM_get0_host(SSL_get0_param(ssl.get()), 0), nullptr);

    Ssl by_address(SSL_new(ctx.get()));
    ASSERT_TRUE(tls_peer::expect_peer(by_address.get(), "127.0.0.1", false));
    EXPECT_EQ(SSL_get_servername(by_address.get(), TLSEXT_NAMETYPE_host_name), nullptr);
    char* address = X509_VERIFY_PARAM_get1_ip_asc(SSL_get0_param(by_address.get()));
    EXPECT_EQ(address, nullptr);
    OPENSSL_free(address);
}

TEST(TlsPeer, EmptyNameIsRefused) {
    Ctx ctx(SSL_CTX_new(TLS_client_method()));
    Ssl ssl(SSL_new(ctx.get()));
    // An empty name would clear the name check: never accepted.
    EXPECT_FALSE(tls_peer::expect_peer(ssl.get(), "", true));
    EXPECT_FALSE(tls_peer::expect_peer(ssl.get(), ".", true));
}

// --------------------------------------------------------------- describe_certificate

TEST(TlsPeer, DescribesSubjectIssuerAndNames) {
    const Pki pki;
    const tls_peer::CertificateDescription relay = tls_peer::describe_certificate(pki.relay.get());
    EXPECT_EQ(relay.subject, "CN=relay.test");
    EXPECT_EQ(relay.issuer, "CN=camrelay test CA,O=camrelay tests");  // RFC 2253: the last field first
    EXPECT_EQ(relay.names, "relay.test, 127.0.0.1");

    const tls_peer::CertificateDescription ca = tls_peer::describe_certificate(pki.ca.get());
    EXPECT_EQ(ca.subject, "CN=camrelay test CA,O=camrelay tests");
    EXPECT_EQ(ca.issuer, ca.subject);
    EXPECT_EQ(ca.names, "");
}

TEST(TlsPeer, NamesAreFourAtMostAndOnlyDnsAndAddresses) {
    const Key key = new_key();
    const Cert cert = make_certificate(
        {{"CN", "many"}}, key.get(),
        {dns("a.test"), {GEN_EMAIL, "ops@a.test"}, ip("2001:db8::7"), dns("*.b.test"), ip("192.0.2.1"), dns("c.test")},
        nullptr, nullptr);
    EXPECT_EQ(tls_peer::describe_certificate(cert.get()).names, "a.test, 2001:db8::7, *.b.test, 192.0.2.1, ...");

    const Cert four = make_certificate({{"CN", "four"}}, key.get(),
                                       {dns("a.test"), dns("b.test"), dns("c.test"), dns("d.test")}, nullptr, nullptr);
    EXPECT_EQ(tls_peer::describe_certificate(four.get()).names, "a.test, b.test, c.test, d.test");
}

TEST(TlsPeer, DescriptionIsPrintableAndShort) {
    const Key key = new_key();
    const std::string long_dns(100, 'x');
    const Cert cert = make_certificate({{"O", "line\nbreak"}, {"CN", std::string(300, 'n')}}, key.get(),
                                       {dns("evil\x1b[2J.test"), dns(long_dns)}, nullptr, nullptr);
    const tls_peer::CertificateDescription d = tls_peer::describe_certificate(cert.get());
    // The name's own escapes (RFC 2253: "\0A"), then at most 200 characters.
    EXPECT_EQ(d.subject, "CN=" + std::string(197, 'n') + "...");
    EXPECT_EQ(d.subject.size(), 203u);
    EXPECT_EQ(d.issuer.size(), 203u);
    // DNS names are raw bytes: control characters become '?', 60 characters at most.
    EXPECT_EQ(d.names, "evil?[2J.test, " + std::string(60, 'x') + "...");

    const Cert escaped = make_certificate({{"O", "line\nbreak"}}, key.get(), {}, nullptr, nullptr);
    EXPECT_EQ(tls_peer::describe_certificate(escaped.get()).subject, "O=line\\0Abreak");
}

TEST(TlsPeer, EmptySubjectIsAQuestionMark) {
    const Key key = new_key();
    const Cert cert = make_certificate({}, key.get(), {dns("relay.test")}, nullptr, nullptr);
    const tls_peer::CertificateDescription d = tls_peer::describe_certificate(cert.get());
    EXPECT_EQ(d.subject, "?");
    EXPECT_EQ(d.issuer, "?");
    EXPECT_EQ(d.names, "relay.test");
}

// --------------------------------------------------------------- handshakes

TEST(TlsPeer, TrustedCertificateForTheNameConnects) {
    const Pki pki;
    const Outcome by_name = handshake(pki.relay.get(), pki.relay_key.get(), pki.ca.get(), "relay.test");
    EXPECT_TRUE(by_name.connected);
    EXPECT_FALSE(by_name.problem.found());
    EXPECT_FALSE(by_name.problem.certificate.has_value());
    EXPECT_EQ(by_name.sni, "relay.test");

    const Outcome by_address = handshake(pki.relay.get(), pki.relay_key.get(), pki.ca.get(), "127.0.0.1");
    EXPECT_TRUE(by_address.connected);
    EXPECT_FALSE(by_address.problem.found());
    EXPECT_EQ(by_address.sni, "");  // RFC 6066: no SNI for an address
}

TEST(TlsPeer, AnotherNameIsAMismatchWithTheCertificatesNames) {
    const Pki pki;
    const Outcome o = handshake(pki.relay.get(), pki.relay_key.get(), pki.ca.get(), "other.test");
    EXPECT_FALSE(o.connected);
    ASSERT_TRUE(o.problem.found());
    EXPECT_EQ(o.problem.error, X509_V_ERR_HOSTNAME_MISMATCH);
    EXPECT_EQ(o.problem.reason(), "hostname mismatch");
    EXPECT_EQ(o.problem.depth, 0);
    ASSERT_TRUE(o.problem.certificate.has_value());
    EXPECT_EQ(o.problem.certificate->subject, "CN=relay.test");
    EXPECT_EQ(o.problem.certificate->names, "relay.test, 127.0.0.1");
    EXPECT_EQ(o.sni, "other.test");
}

TEST(TlsPeer, AnotherAddressIsAMismatch) {
    const Pki pki;
    const Outcome o = handshake(pki.relay.get(), pki.relay_key.get(), pki.ca.get(), "192.0.2.1");
    EXPECT_FALSE(o.connected);
    EXPECT_EQ(o.problem.error, X509_V_ERR_IP_ADDRESS_MISMATCH);
    EXPECT_EQ(o.problem.reason(), "IP address mismatch");
}

TEST(TlsPeer, PartialWildcardsDoNotMatch) {
    const Pki pki;
    const Key key = new_key();
    const Cert cert = make_certificate({{"CN", "w"}}, key.get(), {dns("*.relay.test"), dns("r*.test")}, pki.ca.get(),
                                       pki.ca_key.get());
    EXPECT_TRUE(handshake(cert.get(), key.get(), pki.ca.get(), "cam.relay.test").connected);
    const Outcome partial = handshake(cert.get(), key.get(), pki.ca.get(), "relay2.test");
    EXPECT_FALSE(partial.connected);
    EXPECT_EQ(partial.problem.error, X509_V_ERR_HOSTNAME_MISMATCH);
}

TEST(TlsPeer, UntrustedCertificateNamesItsIssuer) {
    const Pki pki;
    const Key proxy_ca_key = new_key();
    const Cert proxy_ca =
        make_certificate({{"CN", "Corp Intercepting Proxy CA"}}, proxy_ca_key.get(), {}, nullptr, nullptr, true);
    const Key forged_key = new_key();
    const Cert forged = make_certificate({{"CN", "relay.test"}}, forged_key.get(), {dns("relay.test")}, proxy_ca.get(),
                                         proxy_ca_key.get());
    // Trusting the test CA only.
    const Outcome o = handshake(forged.get(), forged_key.get(), pki.ca.get(), "relay.test");
    EXPECT_FALSE(o.connected);
    EXPECT_EQ(o.problem.error, X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY);
    EXPECT_EQ(o.problem.depth, 0);
    ASSERT_TRUE(o.problem.certificate.has_value());
    EXPECT_EQ(o.problem.certificate->issuer, "CN=Corp Intercepting Proxy CA");

    // A self-signed certificate nobody trusts.
    const Key self_key = new_key();
    const Cert self = make_certificate({{"CN", "relay.test"}}, self_key.get(), {dns("relay.test")}, nullptr, nullptr);
    const Outcome s = handshake(self.get(), self_key.get(), nullptr, "relay.test");
    EXPECT_FALSE(s.connected);
    EXPECT_EQ(s.problem.error, X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT);
    EXPECT_EQ(s.problem.certificate->issuer, "CN=relay.test");
}

TEST(TlsPeer, WithoutTheCheckAnyCertificateConnects) {
    const Pki pki;
    const Outcome o = handshake(pki.relay.get(), pki.relay_key.get(), nullptr, "other.test", false);
    EXPECT_TRUE(o.connected);
    EXPECT_FALSE(o.problem.found());
    EXPECT_EQ(o.sni, "other.test");
}

}  // namespace
