// camrelay library: the server a TLS client expects, and what its
// certificate is (tls_peer.hpp).
#include "camrelay/tls_peer.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/x509v3.h>

#include <cstddef>
#include <memory>

namespace camrelay::tls_peer {

namespace {

constexpr std::size_t kMaxNameText = 200;  // a subject or an issuer
constexpr std::size_t kMaxEntryText = 60;  // one DNS name of a certificate
constexpr int kMaxCertificateNames = 4;    // DNS names and addresses listed

// Text from a certificate as a message may show it: printable ASCII (other
// bytes become '?'), at most `max` characters and then "...".
std::string shown(std::string_view text, std::size_t max) {
    std::string out;
    for (const char c : text.substr(0, max)) out.push_back(c >= 0x20 && c < 0x7f ? c : '?');
    if (text.size() > max) out += "...";
    return out;
}

// "CN=relay.example,O=Example": RFC 2253 order and escapes.
std::string name_text(const X509_NAME* name) {
    if (name == nullptr) return "?";
    const std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new(BIO_s_mem()), BIO_free);
    if (bio == nullptr || X509_NAME_print_ex(bio.get(), name, 0, XN_FLAG_RFC2253) < 0) return "?";
    char* data = nullptr;
    const long size = BIO_get_mem_data(bio.get(), &data);
    if (size <= 0) return "?";
    return shown(std::string_view(data, static_cast<std::size_t>(size)), kMaxNameText);
}

// One subjectAltName entry: a DNS name or an IP address, else "".
std::string general_name_text(const GENERAL_NAME* name) {
    if (name->type == GEN_DNS) {
        const ASN1_IA5STRING* dns = name->d.dNSName;
        return shown(std::string_view(reinterpret_cast<const char*>(ASN1_STRING_get0_data(dns)),
                                      static_cast<std::size_t>(ASN1_STRING_length(dns))),
                     kMaxEntryText);
    }
    if (name->type == GEN_IPADD) {
        const ASN1_OCTET_STRING* ip = name->d.iPAddress;
        const int length = ASN1_STRING_length(ip);
        if (length != 4 && length != 16) return "";
        char text[INET6_ADDRSTRLEN] = "";
        inet_ntop(length == 4 ? AF_INET : AF_INET6, ASN1_STRING_get0_data(ip), text, sizeof text);
        return text;
    }
    return "";
}

std::string certificate_names(const X509* certificate) {
    auto* names = static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(certificate, NID_subject_alt_name, nullptr, nullptr));
    std::string out;
    int count = 0;
    for (int i = 0; names != nullptr && i < sk_GENERAL_NAME_num(names); ++i) {
        const std::string one = general_name_text(sk_GENERAL_NAME_value(names, i));
        if (one.empty()) continue;
        if (++count > kMaxCertificateNames) {
            out += ", ...";
            break;
        }
        out += (out.empty() ? "" : ", ") + one;
    }
    GENERAL_NAMES_free(names);
    return out;
}

// Where a connection keeps its VerifyProblem (SSL ex data).
int problem_index() {
    static const int index = SSL_get_ex_new_index(0, nullptr, nullptr, nullptr, nullptr);
    return index;
}

int note_problem(int ok, X509_STORE_CTX* store) {
    if (ok == 1) return ok;
    auto* ssl = static_cast<SSL*>(X509_STORE_CTX_get_ex_data(store, SSL_get_ex_data_X509_STORE_CTX_idx()));
    auto* problem = ssl == nullptr ? nullptr : static_cast<VerifyProblem*>(SSL_get_ex_data(ssl, problem_index()));
    if (problem == nullptr || problem->found()) return ok;
    problem->error = X509_STORE_CTX_get_error(store);
    problem->depth = X509_STORE_CTX_get_error_depth(store);
    if (const X509* certificate = X509_STORE_CTX_get_current_cert(store)) {
        problem->certificate = describe_certificate(certificate);
    }
    return ok;
}

}  // namespace

bool is_ip_address(std::string_view host) {
    const std::string text(host);
    unsigned char address[sizeof(in6_addr)];
    return inet_pton(AF_INET, text.c_str(), address) == 1 || inet_pton(AF_INET6, text.c_str(), address) == 1;
}

bool expect_peer(SSL* ssl, std::string_view name, bool check_certificate) {
    if (!name.empty() && name.back() == '.') name.remove_suffix(1);  // SNI has no trailing dot (RFC 6066)
    if (name.empty()) return false;
    const std::string text(name);
    const bool address = is_ip_address(text);
    if (!address && SSL_set_tlsext_host_name(ssl, text.c_str()) != 1) return false;
    if (!check_certificate) return true;
    X509_VERIFY_PARAM* param = SSL_get0_param(ssl);
    X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
    return (address ? X509_VERIFY_PARAM_set1_ip_asc(param, text.c_str())
                    : X509_VERIFY_PARAM_set1_host(param, text.data(), text.size())) == 1;
}

CertificateDescription describe_certificate(const X509* certificate) {
    return {name_text(X509_get_subject_name(certificate)), name_text(X509_get_issuer_name(certificate)),
            certificate_names(certificate)};
}

std::string VerifyProblem::reason() const { return X509_verify_cert_error_string(error); }

bool keep_verify_problem(SSL* ssl, VerifyProblem* problem) {
    if (problem_index() < 0 || SSL_set_ex_data(ssl, problem_index(), problem) != 1) return false;
    SSL_set_verify(ssl, SSL_get_verify_mode(ssl), note_problem);
    return true;
}

}  // namespace camrelay::tls_peer
