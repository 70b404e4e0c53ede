// camrelay-connect: how a camera reaches its relay through firewalls, an HTTP
// proxy and TLS. camrelay-tunnel runs it; the manual is camrelay-connect(1).
//
//   camrelay-connect [OPTIONS] tcp|tls HOST PORT
//       ssh's ProxyCommand: connect (through the proxy, in TLS), then copy
//       standard input and output to the connection and back.
//   camrelay-connect [OPTIONS] --fdpass tcp HOST PORT
//       ssh's ProxyCommand with ProxyUseFdpass=yes: connect, then hand the
//       socket to ssh over standard output (SCM_RIGHTS, one byte with it, as
//       OpenSSH's mm_receive_fd expects) and exit; ssh then talks to the
//       relay itself, with no copy in between.
//   camrelay-connect [OPTIONS] probe HOST SSH_PORT HTTPS_PORT
//       try every way to the relay's SSH server at once and print the name
//       of the best that works: ssh, ssh-443, tls, then the same through the
//       proxy (ssh+proxy, ssh-443+proxy, tls+proxy).
//
// The proxy (--proxy-env) is read only from the environment variable
// CAMRELAY_PROXY, never from the command line, which ps shows to everyone;
// messages show it as HOST:PORT only (camrelay/proxy.hpp). Its answer to
// CONNECT is read without taking a byte past its head: the relay's sshd may
// speak first, and those bytes belong to ssh.
//
// One thread and poll(): every attempt (probe runs up to six in parallel) is
// a small state machine on a non-blocking socket: resolve (in a helper
// thread, so that a slow DNS cannot hold the deadline), connect (the next
// address after 300 ms or a failure, first connected wins), CONNECT, TLS,
// and for probe the exchange of SSH greetings. Every socket has TCP_NODELAY
// (SSH carries video in small writes) and DSCP AF41 (live video). The tunnel's
// own socket (tcp, tls) may be tuned for live video on lossy paths: its
// congestion control, how much it queues unsent (TCP_NOTSENT_LOWAT), its send
// buffer and TCP_USER_TIMEOUT (set_tuning).
//
// Errors: one line "camrelay-connect: ..." on standard error, exit status 1;
// bad arguments or settings: exit status 2.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iterator>
#include <limits>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "camrelay/proxy.hpp"
#include "camrelay/text.hpp"
#include "camrelay/tls_peer.hpp"

namespace {

namespace proxy = camrelay::proxy;
namespace tls_peer = camrelay::tls_peer;
using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

constexpr int kFailed = 1;  // the relay was not reached, or the connection broke
constexpr int kUsage = 2;   // bad arguments or settings

constexpr int kDefaultTimeout = 10;
constexpr int kDefaultProbeTimeout = 8;
constexpr int kMaxTimeout = 3600;
// The next address of a host is tried when the one before has not connected
// within this time (or failed).
constexpr milliseconds kNextAddressDelay{300};
// Once every address has been tried, each is dialed again from a new socket
// every second while the earlier ones still wait (at most kMaxDials at once):
// the kernel retransmits a SYN only 1, 2 and 4 s apart, so a path that comes
// back (a camera's link after a drop) would otherwise be noticed up to 4 s late.
constexpr milliseconds kRedialDelay{1000};
constexpr std::size_t kMaxDials = 12;
constexpr std::string_view kProbeGreeting = "SSH-2.0-camrelay-probe\r\n";
constexpr std::size_t kMaxGreeting = 8 * 1024;  // lines before the SSH version line, RFC 4253 4.2
constexpr std::size_t kRelayBuffer = 64 * 1024;

[[noreturn]] void quit(int status, const std::string& message) {
    std::fprintf(stderr, "camrelay-connect: %s\n", message.c_str());
    std::exit(status);
}

// strerror's text starting in lower case, to stand inside a sentence:
// "connection refused".
std::string errno_text(int error) {
    std::string text = std::strerror(error);
    if (text.size() > 1 && text[0] >= 'A' && text[0] <= 'Z' && !(text[1] >= 'A' && text[1] <= 'Z')) {
        text[0] = static_cast<char>(text[0] - 'A' + 'a');
    }
    return text;
}

// Text from the network or the command line as a message may show it:
// printable ASCII, at most `max` characters.
std::string printable(std::string_view s, std::size_t max = 60) {
    std::string out;
    for (const char c : s) {
        if (out.size() == max) return out + "...";
        out.push_back(c >= 0x20 && c < 0x7f ? c : '?');
    }
    return out;
}

// An argument as a refusal quotes it; one that may hold a proxy password
// (a URL, USER@HOST) is not shown.
std::string quoted(std::string_view arg) {
    if (arg.find('@') != std::string_view::npos || arg.find("://") != std::string_view::npos) {
        return "(an argument that may hold a password, not shown)";
    }
    return "'" + printable(arg) + "'";
}

// The last OpenSSL error of this thread, as a short reason.
std::string ssl_error_text() {
    const unsigned long e = ERR_peek_last_error();
    ERR_clear_error();
    if (e == 0) return "unknown error";
    if (const char* reason = ERR_reason_error_string(e)) return reason;
    char buf[256];
    ERR_error_string_n(e, buf, sizeof buf);
    return buf;
}

// ---------------------------------------------------------------- options

enum class Mode { tcp, tls, probe };

struct Options {
    Mode mode = Mode::tcp;
    bool fdpass = false;
    bool proxy_env = false;
    std::string tls_ca;
    std::string tls_name;
    bool allow_intercept = false;
    int timeout = 0;  // seconds
    std::optional<std::string> only;
    // tuning of the tunnel's socket (tcp, tls); unset: the system's
    std::string congestion;
    std::optional<int> send_queue;    // TCP_NOTSENT_LOWAT, bytes
    std::optional<int> send_buffer;   // SO_SNDBUF, bytes
    std::optional<int> user_timeout;  // TCP_USER_TIMEOUT, seconds
    std::string host;
    std::vector<std::uint16_t> ports;  // PORT, or SSH_PORT and HTTPS_PORT
};

constexpr const char* kUsageText =
    "Usage: camrelay-connect [OPTIONS] tcp|tls HOST PORT\n"
    "       camrelay-connect [OPTIONS] --fdpass tcp HOST PORT\n"
    "       camrelay-connect [OPTIONS] probe HOST SSH_PORT HTTPS_PORT\n"
    "\n"
    "Connects a camera to its camrelay relay, through an HTTP proxy and TLS when\n"
    "needed (camrelay-tunnel runs it). tcp and tls copy standard input and output\n"
    "to the connection (ssh's ProxyCommand); --fdpass hands the connected socket to\n"
    "ssh instead (ssh -o ProxyUseFdpass=yes); probe tries at once every way to the\n"
    "relay's SSH server and prints the best that works, in this order: ssh,\n"
    "ssh-443, tls, ssh+proxy, ssh-443+proxy, tls+proxy.\n"
    "\n"
    "Options:\n"
    "  --proxy-env         go through the HTTP proxy in the environment variable\n"
    "                      CAMRELAY_PROXY: http://[USER[:PASSWORD]@]HOST[:PORT]\n"
    "                      (port 80 when none is given)\n"
    "  --tls-ca FILE       trust the PEM certificates in FILE (a CA, or the relay's\n"
    "                      own certificate) instead of the system's CAs\n"
    "  --tls-name NAME     the name the relay's certificate must hold (default HOST)\n"
    "  --allow-intercept   accept any certificate (a TLS-intercepting proxy's); ssh\n"
    "                      still checks the relay's pinned host key\n"
    "  --timeout SECONDS   for connecting, the proxy and the TLS handshake\n"
    "                      (default 10; probe: 8, the SSH greeting included)\n"
    "  --only LIST         probe: only these candidates (comma separated)\n"
    "Tuning of the tunnel's socket (tcp, tls):\n"
    "  --congestion NAME   its congestion control (e.g. bbr); when refused (not in\n"
    "                      net.ipv4.tcp_allowed_congestion_control), one line and\n"
    "                      the system's stays\n"
    "  --send-queue BYTES  at most this much unsent data queued (TCP_NOTSENT_LOWAT)\n"
    "  --send-buffer BYTES its send buffer (SO_SNDBUF; no autotuning then)\n"
    "  --user-timeout SECONDS  give up when sent data stays unacknowledged this long\n"
    "                      (TCP_USER_TIMEOUT)\n"
    "  -h, --help          this help;  --version  the version\n"
    "\n"
    "Errors: one line on standard error, exit status 1 (bad arguments: 2).\n";

std::uint16_t port_argument(std::string_view what, std::string_view arg) {
    const camrelay::text::Decimal port = camrelay::text::read_port(arg);
    if (port.error != camrelay::text::DecimalError::none || port.value == 0) {
        quit(kUsage, std::string(what) + " " + quoted(arg) + " is not a port number (1-65535)");
    }
    return static_cast<std::uint16_t>(port.value);
}

int size_argument(std::string_view what, const std::string& arg, std::uint64_t min, std::uint64_t max) {
    const auto n = camrelay::text::parse_decimal(arg, max);
    if (!n || *n < min) {
        quit(kUsage, std::string(what) + " " + quoted(arg) + " is not a number from " + std::to_string(min) + " to " +
                         std::to_string(max));
    }
    return static_cast<int>(*n);
}

// A congestion control's name as the kernel lists them: tcp_NAME modules.
bool valid_congestion(std::string_view name) {
    return !name.empty() && name.size() < 16 && std::all_of(name.begin(), name.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
    });
}

std::string host_argument(std::string_view what, std::string_view arg) {
    std::string_view host = arg;
    if (host.size() > 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
    if (!proxy::valid_host(host))
        quit(kUsage, std::string(what) + " " + quoted(arg) + " is not a host name or address");
    return std::string(host);
}

Options parse_arguments(int argc, char** argv) {
    Options o;
    std::optional<int> timeout;
    std::vector<std::string_view> words;
    bool only_words = false;
    for (int i = 1; i < argc; ++i) {
        const std::string_view arg = argv[i];
        if (only_words || arg.size() < 2 || arg[0] != '-') {
            words.push_back(arg);
            continue;
        }
        if (arg == "--") {
            only_words = true;
            continue;
        }
        std::string_view name = arg;
        std::optional<std::string_view> attached;
        if (const std::size_t eq = arg.find('='); arg.starts_with("--") && eq != std::string_view::npos) {
            name = arg.substr(0, eq);
            attached = arg.substr(eq + 1);
        }
        const std::string option(name);
        auto value = [&]() -> std::string {
            if (!attached && i + 1 >= argc) quit(kUsage, "option " + option + " needs a value (see --help)");
            const std::string v = attached ? std::string(*attached) : argv[++i];
            if (v.empty()) quit(kUsage, "option " + option + " needs a value (see --help)");
            return v;
        };
        auto flag = [&](bool& target) {
            if (attached) quit(kUsage, "option " + option + " takes no value");
            target = true;
        };
        if (name == "-h" || name == "--help") {
            std::fputs(kUsageText, stdout);
            std::exit(0);
        } else if (name == "--version") {
            std::printf("camrelay-connect %s\n", CAMRELAY_VERSION);
            std::exit(0);
        } else if (name == "--proxy-env") {
            flag(o.proxy_env);
        } else if (name == "--fdpass") {
            flag(o.fdpass);
        } else if (name == "--allow-intercept") {
            flag(o.allow_intercept);
        } else if (name == "--tls-ca") {
            o.tls_ca = value();
        } else if (name == "--tls-name") {
            o.tls_name = host_argument("--tls-name", value());
        } else if (name == "--timeout") {
            const std::string v = value();
            const auto seconds = camrelay::text::parse_decimal(v, kMaxTimeout);
            if (!seconds || *seconds == 0) {
                quit(kUsage,
                     "--timeout " + quoted(v) + " is not a number of seconds from 1 to " + std::to_string(kMaxTimeout));
            }
            timeout = static_cast<int>(*seconds);
        } else if (name == "--only") {
            o.only = value();
        } else if (name == "--congestion") {
            o.congestion = value();
            if (!valid_congestion(o.congestion))
                quit(kUsage, "--congestion " + quoted(o.congestion) + " is not a congestion control's name");
        } else if (name == "--send-queue") {
            o.send_queue = size_argument("--send-queue", value(), 1, 64 * 1024 * 1024);
        } else if (name == "--send-buffer") {
            o.send_buffer = size_argument("--send-buffer", value(), 4096, 64 * 1024 * 1024);
        } else if (name == "--user-timeout") {
            o.user_timeout = size_argument("--user-timeout", value(), 1, kMaxTimeout);
        } else if (name.starts_with("--proxy")) {
            quit(kUsage,
                 "the proxy is never given on the command line (ps shows it, password and all): put it in the "
                 "environment variable CAMRELAY_PROXY and give --proxy-env");
        } else {
            quit(kUsage, "unknown option " + quoted(name) + " (see --help)");
        }
    }

    if (words.empty()) quit(kUsage, "no mode given: tcp, tls or probe (see --help)");
    const std::string_view mode = words[0];
    std::size_t want = 3;
    if (mode == "tcp") {
        o.mode = Mode::tcp;
    } else if (mode == "tls") {
        o.mode = Mode::tls;
    } else if (mode == "probe") {
        o.mode = Mode::probe;
        want = 4;
    } else {
        quit(kUsage, "unknown mode " + quoted(mode) + ": tcp, tls or probe (see --help)");
    }
    if (words.size() != want) {
        quit(kUsage, o.mode == Mode::probe ? "probe takes HOST SSH_PORT HTTPS_PORT (see --help)"
                                           : std::string(mode) + " takes HOST PORT (see --help)");
    }
    o.host = host_argument("HOST", words[1]);
    o.ports.push_back(port_argument(o.mode == Mode::probe ? "SSH_PORT" : "PORT", words[2]));
    if (o.mode == Mode::probe) o.ports.push_back(port_argument("HTTPS_PORT", words[3]));

    if (o.fdpass && o.mode != Mode::tcp) quit(kUsage, "--fdpass passes a plain TCP connection: only with tcp");
    if (o.only && o.mode != Mode::probe) quit(kUsage, "--only is for probe");
    if (o.mode == Mode::probe && (!o.congestion.empty() || o.send_queue || o.send_buffer || o.user_timeout)) {
        quit(kUsage, "--congestion, --send-queue, --send-buffer and --user-timeout tune the tunnel: for tcp and tls");
    }
    if (o.mode == Mode::tcp && (!o.tls_ca.empty() || !o.tls_name.empty() || o.allow_intercept)) {
        quit(kUsage, "--tls-ca, --tls-name and --allow-intercept are for tls and probe");
    }
    if (o.tls_name.empty()) o.tls_name = o.host;
    o.timeout = timeout.value_or(o.mode == Mode::probe ? kDefaultProbeTimeout : kDefaultTimeout);
    return o;
}

// The proxy of --proxy-env. Without CAMRELAY_PROXY, probe has no proxy
// candidates; tcp and tls, which were asked to use the proxy, refuse.
std::optional<proxy::Url> proxy_from_environment(const Options& o) {
    if (!o.proxy_env) return std::nullopt;
    const char* text = std::getenv("CAMRELAY_PROXY");
    if (text == nullptr || *text == '\0') {
        if (o.mode == Mode::probe) return std::nullopt;
        quit(kUsage, "--proxy-env: the environment variable CAMRELAY_PROXY is empty or not set");
    }
    auto parsed = proxy::parse_url(text);
    if (auto* error = std::get_if<std::string>(&parsed)) quit(kUsage, "CAMRELAY_PROXY: " + *error);
    return std::get<proxy::Url>(std::move(parsed));
}

// ---------------------------------------------------------------- name lookup

struct Address {
    sockaddr_storage storage{};
    socklen_t length = 0;
};

struct Resolved {
    std::vector<Address> addresses;
    std::string error;  // when there are none
};

Resolved resolve(const std::string& host) {
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_ADDRCONFIG;
    addrinfo* found = nullptr;
    int rc = getaddrinfo(host.c_str(), nullptr, &hints, &found);
    // AI_ADDRCONFIG drops the families the camera has no address of, and
    // with loopback alone even ::1: then ask again without it (an answer
    // that is only slow, EAI_AGAIN, is not asked twice).
    if (rc == EAI_NONAME || rc == EAI_ADDRFAMILY || rc == EAI_NODATA) {
        hints.ai_flags = 0;
        rc = getaddrinfo(host.c_str(), nullptr, &hints, &found);
    }
    Resolved out;
    if (rc != 0) {
        out.error = "cannot resolve " + host + ": " + gai_strerror(rc);
        return out;
    }
    for (const addrinfo* ai = found; ai != nullptr; ai = ai->ai_next) {
        if (ai->ai_addrlen > sizeof(sockaddr_storage) || (ai->ai_family != AF_INET && ai->ai_family != AF_INET6)) {
            continue;
        }
        Address a;
        std::memcpy(&a.storage, ai->ai_addr, ai->ai_addrlen);
        a.length = ai->ai_addrlen;
        out.addresses.push_back(a);
    }
    freeaddrinfo(found);
    if (out.addresses.empty()) out.error = "cannot resolve " + host + ": no address";
    return out;
}

// `a` with this port.
Address with_port(Address a, std::uint16_t port) {
    if (a.storage.ss_family == AF_INET) {
        reinterpret_cast<sockaddr_in*>(&a.storage)->sin_port = htons(port);
    } else {
        reinterpret_cast<sockaddr_in6*>(&a.storage)->sin6_port = htons(port);
    }
    return a;
}

// A host's addresses (without a port), looked up by a helper thread: fd()
// becomes readable when the answer is in. The thread owns its half of the
// state, so a lookup still running when the program is done cannot hold it
// up.
class Lookup {
public:
    explicit Lookup(std::string host) : host_(std::move(host)), shared_(std::make_shared<Shared>()) {
        if (::pipe2(shared_->pipe, O_CLOEXEC | O_NONBLOCK) != 0) quit(kFailed, "pipe: " + errno_text(errno));
        std::thread([shared = shared_, host = host_] {
            Resolved answer = resolve(host);
            const std::lock_guard lock(shared->mutex);
            shared->answer = std::move(answer);
            shared->done = true;
            if (::write(shared->pipe[1], "x", 1) < 0) {
                // The pipe is new and holds one byte at most: this cannot block or fail.
            }
        }).detach();
    }

    const std::string& host() const { return host_; }
    int fd() const { return shared_->pipe[0]; }
    std::optional<Resolved> answer() const {
        const std::lock_guard lock(shared_->mutex);
        if (!shared_->done) return std::nullopt;
        return shared_->answer;
    }

private:
    struct Shared {
        std::mutex mutex;
        bool done = false;
        Resolved answer;
        int pipe[2] = {-1, -1};
        ~Shared() {
            for (const int fd : pipe)
                if (fd >= 0) ::close(fd);
        }
    };
    std::string host_;
    std::shared_ptr<Shared> shared_;
};

// ---------------------------------------------------------------- TLS

// The message for a certificate the check refused (tls_peer keeps the
// problem and describes the certificate).
std::string certificate_refusal(const tls_peer::VerifyProblem& problem, const std::string& name) {
    const std::string names = problem.certificate ? problem.certificate->names : "";
    const std::string issuer = problem.certificate ? problem.certificate->issuer : "?";
    switch (problem.error) {
        case X509_V_ERR_HOSTNAME_MISMATCH:
        case X509_V_ERR_IP_ADDRESS_MISMATCH:
            return "TLS: the relay's certificate is not for " + name +
                   (names.empty() ? "" : " (it is for " + names + ")");
        case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
        case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
        case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
        case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
        case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
        case X509_V_ERR_CERT_UNTRUSTED:
            return "TLS: the relay's certificate is not trusted (issued by " + issuer +
                   "): a TLS-intercepting proxy? To go through it, trust its CA (TLS_CA=, --tls-ca) or accept it "
                   "(TLS_ALLOW_INTERCEPT=yes, --allow-intercept): the relay's SSH host key stays pinned";
        case X509_V_ERR_CERT_HAS_EXPIRED:
            return "TLS: the relay's certificate has expired (or the camera's clock is wrong)";
        case X509_V_ERR_CERT_NOT_YET_VALID:
            return "TLS: the relay's certificate is not valid yet (is the camera's clock right?)";
        default: return "TLS: the relay's certificate was refused: " + problem.reason();
    }
}

// The client side every TLS connection of this run shares: TLS 1.2 or
// newer, the relay's certificate checked against the system's CAs or
// --tls-ca's certificates (a partial chain is enough, so the relay's own
// self-signed certificate can be pinned), or not at all (--allow-intercept).
class TlsClient {
public:
    explicit TlsClient(const Options& o) : name_(o.tls_name), verify_(!o.allow_intercept) {
        if (!name_.empty() && name_.back() == '.') name_.pop_back();
        ctx_ = SSL_CTX_new(TLS_client_method());
        if (ctx_ == nullptr) quit(kFailed, "TLS: " + ssl_error_text());
        SSL_CTX_set_min_proto_version(ctx_, TLS1_2_VERSION);
        SSL_CTX_set_options(ctx_, SSL_OP_NO_RENEGOTIATION);
        // A connection cut without close_notify is an end like any other:
        // SSH inside has its own integrity. (OpenSSL 1.1.1 reports it as
        // SSL_ERROR_SYSCALL with errno 0, which ssl_outcome() takes as the end.)
#ifdef SSL_OP_IGNORE_UNEXPECTED_EOF
        SSL_CTX_set_options(ctx_, SSL_OP_IGNORE_UNEXPECTED_EOF);
#endif
        SSL_CTX_set_mode(ctx_, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
        if (!verify_) {
            SSL_CTX_set_verify(ctx_, SSL_VERIFY_NONE, nullptr);
            return;
        }
        SSL_CTX_set_verify(ctx_, SSL_VERIFY_PEER, nullptr);
        if (o.tls_ca.empty()) {
            if (SSL_CTX_set_default_verify_paths(ctx_) != 1)
                quit(kFailed, "TLS: the system's CAs: " + ssl_error_text());
            return;
        }
        if (::access(o.tls_ca.c_str(), R_OK) != 0) quit(kUsage, "--tls-ca " + o.tls_ca + ": " + errno_text(errno));
        if (SSL_CTX_load_verify_locations(ctx_, o.tls_ca.c_str(), nullptr) != 1) {
            quit(kUsage, "--tls-ca " + o.tls_ca + ": no PEM certificate could be read (" + ssl_error_text() + ")");
        }
        X509_VERIFY_PARAM_set_flags(SSL_CTX_get0_param(ctx_), X509_V_FLAG_PARTIAL_CHAIN);
    }
    ~TlsClient() { SSL_CTX_free(ctx_); }
    TlsClient(const TlsClient&) = delete;
    TlsClient& operator=(const TlsClient&) = delete;

    const std::string& name() const { return name_; }

    // A client on `fd` for the relay's name (SNI for a host name, the
    // certificate checked for it), the check's first problem kept in
    // `problem`.
    SSL* connection(int fd, tls_peer::VerifyProblem* problem) const {
        SSL* ssl = SSL_new(ctx_);
        if (ssl == nullptr || SSL_set_fd(ssl, fd) != 1 || !tls_peer::expect_peer(ssl, name_, verify_) ||
            (verify_ && !tls_peer::keep_verify_problem(ssl, problem))) {
            quit(kFailed, "TLS: " + ssl_error_text());
        }
        return ssl;
    }

private:
    SSL_CTX* ctx_ = nullptr;
    std::string name_;
    bool verify_;
};

// What an SSL call that did not succeed means for a non-blocking socket.
struct SslOutcome {
    short wait = 0;  // POLLIN or POLLOUT: try again when ready
    bool eof = false;
    std::string error;  // else what went wrong
};

SslOutcome ssl_outcome(SSL* ssl, int rc, int saved_errno) {
    switch (SSL_get_error(ssl, rc)) {
        case SSL_ERROR_WANT_READ: return {POLLIN, false, {}};
        case SSL_ERROR_WANT_WRITE: return {POLLOUT, false, {}};
        case SSL_ERROR_ZERO_RETURN: return {0, true, {}};
        case SSL_ERROR_SYSCALL:
            ERR_clear_error();
            if (saved_errno == 0) return {0, true, {}};
            return {0, false, errno_text(saved_errno)};
        default: return {0, false, "TLS: " + ssl_error_text()};
    }
}

// ---------------------------------------------------------------- attempts

// TCP_NODELAY, and the DSCP class camrelay-tunnel asks ssh for (IPQoS=af41,
// live video, RFC 4594): ssh marks only a socket it holds, and with
// camrelay-connect relaying (tls, tcp) the socket to the relay is ours.
void set_socket_options(int fd, int family) {
    const int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    constexpr int kAf41 = 0x22 << 2;
    if (family == AF_INET6) {
        ::setsockopt(fd, IPPROTO_IPV6, IPV6_TCLASS, &kAf41, sizeof kAf41);
    } else {
        ::setsockopt(fd, IPPROTO_IP, IP_TOS, &kAf41, sizeof kAf41);
    }
}

// The tuning of the tunnel's socket (--congestion, --send-queue,
// --send-buffer, --user-timeout), once connected. A congestion control the
// kernel refuses (an unprivileged process may pick only those in
// net.ipv4.tcp_allowed_congestion_control) is one line, and the tunnel goes
// on with the system's; the others are plain per-socket settings.
void set_tuning(int fd, const Options& o) {
    if (!o.congestion.empty() && ::setsockopt(fd, IPPROTO_TCP, TCP_CONGESTION, o.congestion.data(),
                                              static_cast<socklen_t>(o.congestion.size())) != 0) {
        const int error = errno;
        char current[16] = {};
        socklen_t len = sizeof current - 1;
        if (::getsockopt(fd, IPPROTO_TCP, TCP_CONGESTION, current, &len) != 0) std::strcpy(current, "?");
        std::string why = errno_text(error);
        if (error == EPERM) why += ": not in net.ipv4.tcp_allowed_congestion_control";
        if (error == ENOENT) why += ": the kernel has no such congestion control (module tcp_" + o.congestion + ")";
        std::fprintf(stderr, "camrelay-connect: congestion control %s not set (%s); the tunnel uses %s\n",
                     o.congestion.c_str(), why.c_str(), current);
    }
    auto set = [fd](int level, int name, const std::optional<int>& value, const char* what) {
        if (!value) return;
        if (::setsockopt(fd, level, name, &*value, sizeof *value) != 0) {
            std::fprintf(stderr, "camrelay-connect: %s not set: %s\n", what, errno_text(errno).c_str());
        }
    };
    set(IPPROTO_TCP, TCP_NOTSENT_LOWAT, o.send_queue, "the send queue (TCP_NOTSENT_LOWAT)");
    set(SOL_SOCKET, SO_SNDBUF, o.send_buffer, "the send buffer (SO_SNDBUF)");
    const std::optional<int> user_timeout_ms =
        o.user_timeout ? std::optional<int>(*o.user_timeout * 1000) : std::nullopt;
    set(IPPROTO_TCP, TCP_USER_TIMEOUT, user_timeout_ms, "TCP_USER_TIMEOUT");
}

// One way to the relay: where, and through what.
struct Route {
    std::string name;  // the probe candidate
    std::string host;  // the relay
    std::uint16_t port = 0;
    bool tls = false;
    const proxy::Url* proxy = nullptr;
    bool greet = false;  // probe: exchange SSH greetings
};

// One connection on its way to the relay, as a state machine that poll()
// drives: polls() says what it waits for, advance() goes on from there.
class Attempt {
public:
    Attempt(Route route, Lookup& lookup, const TlsClient* tls) : route_(std::move(route)), lookup_(lookup), tls_(tls) {}
    ~Attempt() { close_all(); }
    Attempt(const Attempt&) = delete;
    Attempt& operator=(const Attempt&) = delete;

    const Route& route() const { return route_; }
    bool finished() const { return stage_ == Stage::done || stage_ == Stage::failed; }
    bool succeeded() const { return stage_ == Stage::done; }
    const std::string& error() const { return error_; }

    // The connection, once succeeded(); the caller owns it then.
    std::pair<int, SSL*> release() {
        const std::pair<int, SSL*> connection{fd_, ssl_};
        fd_ = -1;
        ssl_ = nullptr;
        return connection;
    }

    void polls(std::vector<pollfd>& fds, Clock::time_point& wake) const {
        switch (stage_) {
            case Stage::resolving: fds.push_back({lookup_.fd(), POLLIN, 0}); break;
            case Stage::connecting:
                for (const int fd : dialing_) fds.push_back({fd, POLLOUT, 0});
                if (next_address_ < addresses_.size() || may_redial()) wake = std::min(wake, next_dial_);
                break;
            case Stage::done:
            case Stage::failed: break;
            default: fds.push_back({fd_, want_, 0});
        }
    }

    // `ready` holds what polls() asked for, with the answers.
    void advance(std::span<const pollfd> ready, Clock::time_point now) {
        if (stage_ == Stage::resolving) {
            const auto answer = lookup_.answer();
            if (!answer) return;
            if (answer->addresses.empty()) return fail(at_first_hop(answer->error));
            const std::uint16_t port = route_.proxy == nullptr ? route_.port : route_.proxy->port;
            for (const Address& a : answer->addresses) addresses_.push_back(with_port(a, port));
            stage_ = Stage::connecting;
            return dial_next(now);
        }
        if (stage_ == Stage::connecting) return check_dials(ready, now);
        run();
    }

    // The deadline passed: what was being waited for.
    void time_out() {
        if (finished()) return;
        switch (stage_) {
            case Stage::resolving: fail("timed out resolving " + lookup_.host()); break;
            case Stage::connecting: fail(at_first_hop("timed out")); break;
            case Stage::asking_proxy:
            case Stage::reading_answer:
                fail("timed out: the proxy " + route_.proxy->redacted() + " did not answer CONNECT");
                break;
            case Stage::handshaking: fail("timed out in the TLS handshake"); break;
            default:
                fail(version_end_ == 0 ? "timed out waiting for the SSH server's greeting"
                                       : "timed out: the SSH server greeted but never answered our greeting "
                                         "(a filter that drops SSH on this path?)");
                break;
        }
    }

private:
    enum class Stage { resolving, connecting, asking_proxy, reading_answer, handshaking, greeting, done, failed };

    void fail(std::string error) {
        error_ = std::move(error);
        stage_ = Stage::failed;
        close_all();
    }

    void close_all() {
        for (const int fd : dialing_) ::close(fd);
        dialing_.clear();
        if (ssl_ != nullptr) SSL_free(ssl_);
        ssl_ = nullptr;
        if (fd_ >= 0) ::close(fd_);
        fd_ = -1;
    }

    // An error of the first hop: the relay, or the proxy when there is one.
    std::string at_first_hop(const std::string& error) const {
        return route_.proxy == nullptr ? error : "proxy " + route_.proxy->redacted() + ": " + error;
    }

    bool may_redial() const {
        return next_address_ == addresses_.size() && !dialing_.empty() && dialing_.size() < kMaxDials;
    }

    // Starts connecting to the next address that can be tried (after the
    // last, the first again while earlier dials still wait).
    void dial_next(Clock::time_point now) {
        if (may_redial()) next_address_ = 0;
        while (next_address_ < addresses_.size()) {
            const Address& a = addresses_[next_address_++];
            const int fd = ::socket(a.storage.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
            if (fd < 0) {
                dial_error_ = errno_text(errno);
                continue;
            }
            set_socket_options(fd, a.storage.ss_family);
            if (::connect(fd, reinterpret_cast<const sockaddr*>(&a.storage), a.length) == 0 || errno == EINPROGRESS) {
                dialing_.push_back(fd);
                next_dial_ = now + (next_address_ < addresses_.size() ? kNextAddressDelay : kRedialDelay);
                return;
            }
            dial_error_ = errno_text(errno);
            ::close(fd);
        }
        if (dialing_.empty()) fail(at_first_hop(dial_error_));
    }

    void check_dials(std::span<const pollfd> ready, Clock::time_point now) {
        std::vector<int> still;
        for (std::size_t i = 0; i < dialing_.size(); ++i) {
            const int fd = dialing_[i];
            if (i >= ready.size() || ready[i].fd != fd || ready[i].revents == 0) {
                still.push_back(fd);
                continue;
            }
            int error = 0;
            socklen_t length = sizeof error;
            if (::getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length) != 0) error = errno;
            if (error == 0 && fd_ < 0) {
                fd_ = fd;
                continue;
            }
            if (error != 0) dial_error_ = errno_text(error);
            ::close(fd);
        }
        dialing_ = std::move(still);
        if (fd_ >= 0) {
            for (const int fd : dialing_) ::close(fd);
            dialing_.clear();
            return connected();
        }
        if (now >= next_dial_ || dialing_.empty()) dial_next(now);
    }

    void connected() {
        if (route_.proxy != nullptr) {
            out_ = proxy::connect_request(*route_.proxy, route_.host, route_.port);
            stage_ = Stage::asking_proxy;
        } else {
            after_proxy();
        }
        run();
    }

    void after_proxy() {
        if (route_.tls) {
            ssl_ = tls_->connection(fd_, &problem_);
            stage_ = Stage::handshaking;
        } else {
            greet_or_finish();
        }
    }

    void greet_or_finish() {
        if (!route_.greet) {
            stage_ = Stage::done;
            return;
        }
        out_ = kProbeGreeting;
        sent_ = 0;
        stage_ = Stage::greeting;
    }

    // Goes on until the attempt waits for its socket, or is finished.
    void run() {
        while (true) {
            switch (stage_) {
                case Stage::asking_proxy:
                    if (!send_out()) return;
                    stage_ = Stage::reading_answer;
                    break;
                case Stage::reading_answer:
                    if (!read_answer()) return;
                    after_proxy();
                    break;
                case Stage::handshaking:
                    if (!handshake()) return;
                    greet_or_finish();
                    break;
                case Stage::greeting:
                    if (!send_out() || !read_greeting()) return;
                    stage_ = Stage::done;
                    break;
                default: return;
            }
        }
    }

    // Sends what is left of out_ (in TLS once the handshake is done): true
    // once all of it is sent.
    bool send_out() {
        while (sent_ < out_.size()) {
            const char* data = out_.data() + sent_;
            const std::size_t size = out_.size() - sent_;
            if (ssl_ != nullptr) {
                ERR_clear_error();
                errno = 0;
                const int n = SSL_write(ssl_, data, static_cast<int>(size));
                if (n > 0) {
                    sent_ += static_cast<std::size_t>(n);
                    continue;
                }
                const SslOutcome o = ssl_outcome(ssl_, n, errno);
                if (o.wait == 0) fail(o.eof ? "the connection closed" : o.error);
                want_ = o.wait;
                return false;
            }
            const ssize_t n = ::send(fd_, data, size, MSG_NOSIGNAL);
            if (n >= 0) {
                sent_ += static_cast<std::size_t>(n);
            } else if (errno == EAGAIN || errno == EWOULDBLOCK) {
                want_ = POLLOUT;
                return false;
            } else if (errno != EINTR) {
                fail(at_first_hop(errno_text(errno)));
                return false;
            }
        }
        return true;
    }

    // The proxy's answer, peeked at and taken up to the end of its head
    // only: true once it said yes.
    bool read_answer() {
        const std::string proxy_name = "proxy " + route_.proxy->redacted();
        char buf[4096];
        while (true) {
            const ssize_t n = ::recv(fd_, buf, sizeof buf, MSG_PEEK);
            if (n < 0 && errno == EINTR) continue;
            if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
                want_ = POLLIN;
                return false;
            }
            if (n < 0) {
                fail(proxy_name + ": " + errno_text(errno));
                return false;
            }
            if (n == 0) {
                fail(proxy_name + (answer_.size() == 0 ? " closed the connection without answering CONNECT"
                                                       : " closed the connection in the middle of its answer"));
                return false;
            }
            const std::size_t take = answer_.feed(std::string_view(buf, static_cast<std::size_t>(n)));
            if (answer_.failed()) {
                fail(proxy_name + ": " + answer_.error());
                return false;
            }
            // Take from the socket exactly what the head used: it is there.
            if (::recv(fd_, buf, take, 0) != static_cast<ssize_t>(take)) {
                fail(proxy_name + ": the connection failed while reading its answer");
                return false;
            }
            if (!answer_.complete()) continue;
            if (!answer_.status().success()) {
                fail(proxy::refusal(answer_.status(), route_.proxy->has_credentials()));
                return false;
            }
            out_.clear();
            sent_ = 0;
            return true;
        }
    }

    bool handshake() {
        ERR_clear_error();
        errno = 0;
        const int rc = SSL_connect(ssl_);
        if (rc == 1) return true;
        const int saved_errno = errno;
        if (problem_.found()) {
            fail(certificate_refusal(problem_, tls_->name()));
            return false;
        }
        const SslOutcome o = ssl_outcome(ssl_, rc, saved_errno);
        if (o.wait != 0) {
            want_ = o.wait;
        } else if (o.eof) {
            fail("the connection closed in the TLS handshake (does port " + std::to_string(route_.port) +
                 " speak TLS?)");
        } else {
            // An OpenSSL reason ("TLS: wrong version number") or a socket error.
            const bool tls_reason = o.error.starts_with("TLS: ");
            fail(tls_reason ? o.error + " (does port " + std::to_string(route_.port) + " speak TLS?)"
                            : "TLS handshake: " + o.error);
        }
        return false;
    }

    // Reads lines until one is the SSH version line: true then.
    bool read_greeting() {
        char buf[2048];
        while (true) {
            ssize_t n;
            int saved_errno;
            if (ssl_ != nullptr) {
                ERR_clear_error();
                errno = 0;
                const int rc = SSL_read(ssl_, buf, sizeof buf);
                saved_errno = errno;
                n = rc;
                if (rc <= 0) {
                    const SslOutcome o = ssl_outcome(ssl_, rc, saved_errno);
                    if (o.wait != 0) {
                        want_ = o.wait;
                        return false;
                    }
                    if (!o.eof) {
                        fail(o.error);
                        return false;
                    }
                    n = 0;
                }
            } else {
                n = ::recv(fd_, buf, sizeof buf, 0);
                saved_errno = errno;
                if (n < 0 && saved_errno == EINTR) continue;
                if (n < 0 && (saved_errno == EAGAIN || saved_errno == EWOULDBLOCK)) {
                    want_ = POLLIN;
                    return false;
                }
                if (n < 0) {
                    fail(errno_text(saved_errno));
                    return false;
                }
            }
            if (n == 0) {
                fail(greeting_.empty() ? "the connection closed before the SSH server's greeting"
                                       : "no SSH server there: it said \"" + first_line() + "\"");
                return false;
            }
            greeting_.append(buf, static_cast<std::size_t>(n));
            if (answered_our_greeting()) return true;
            for (std::size_t start = 0, end;
                 version_end_ == 0 && (end = greeting_.find('\n', start)) != std::string::npos; start = end + 1) {
                const std::string_view line(greeting_.data() + start, end - start);
                if (line.starts_with("SSH-2.0-")) {
                    version_end_ = end + 1;
                    if (answered_our_greeting()) return true;
                    break;
                }
                if (line.starts_with("SSH-")) {
                    fail("the SSH server there is not SSH 2.0: \"" + printable(line) + "\"");
                    return false;
                }
            }
            if (greeting_.size() > kMaxGreeting) {
                fail("no SSH server there: it said \"" + first_line() + "\"");
                return false;
            }
        }
    }

    // The server's version line alone does not prove the path works: a
    // filter that drops SSH may have eaten ours, and a server that waits
    // for the client to speak first (haproxy's inspect delay) still greets.
    // sshd sends its first binary packet, KEXINIT, only once it has read
    // the client's version line: its header (length, padding length,
    // message 20) is the proof.
    bool answered_our_greeting() const {
        constexpr std::size_t kHeader = 6;
        constexpr unsigned char kKexinit = 20;
        return version_end_ != 0 && greeting_.size() >= version_end_ + kHeader &&
               static_cast<unsigned char>(greeting_[version_end_ + kHeader - 1]) == kKexinit;
    }

    std::string first_line() const {
        std::string_view line(greeting_);
        line = line.substr(0, line.find('\n'));
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        return printable(line);
    }

    Route route_;
    Lookup& lookup_;
    const TlsClient* tls_;
    Stage stage_ = Stage::resolving;
    std::string error_;

    std::vector<Address> addresses_;
    std::size_t next_address_ = 0;
    std::vector<int> dialing_;
    Clock::time_point next_dial_{};
    std::string dial_error_ = "no address to connect to";

    int fd_ = -1;
    short want_ = 0;
    SSL* ssl_ = nullptr;
    tls_peer::VerifyProblem problem_;
    std::string out_;
    std::size_t sent_ = 0;
    proxy::AnswerReader answer_;
    std::string greeting_;
    std::size_t version_end_ = 0;  // just past the server's version line, once read
};

using Attempts = std::vector<std::unique_ptr<Attempt>>;

int milliseconds_until(Clock::time_point when, Clock::time_point now) {
    if (when <= now) return 0;
    return static_cast<int>(std::chrono::ceil<milliseconds>(when - now).count());
}

// Drives the attempts until settled() or the deadline (which settled() may
// bring closer); at the deadline, those still under way fail as timed out.
template <class Settled>
void drive(Attempts& attempts, const Clock::time_point& deadline, Settled settled) {
    for (auto& a : attempts) a->advance({}, Clock::now());
    std::vector<pollfd> fds;
    std::vector<std::size_t> first;
    while (!settled()) {
        fds.clear();
        first.clear();
        Clock::time_point wake = deadline;
        for (const auto& a : attempts) {
            first.push_back(fds.size());
            a->polls(fds, wake);
        }
        first.push_back(fds.size());
        Clock::time_point now = Clock::now();
        if (now >= deadline) break;
        const int n = ::poll(fds.data(), fds.size(), milliseconds_until(wake, now));
        if (n < 0 && errno != EINTR) quit(kFailed, "poll: " + errno_text(errno));
        now = Clock::now();
        for (std::size_t i = 0; i < attempts.size(); ++i) {
            attempts[i]->advance(std::span<const pollfd>(fds.data() + first[i], first[i + 1] - first[i]), now);
        }
    }
    for (auto& a : attempts) a->time_out();
}

// ---------------------------------------------------------------- probe

struct Candidate {
    const char* name;
    bool https_port;  // else the SSH port
    bool tls;
    bool proxy;
};

// In the order of preference: direct before the proxy, plain before TLS.
constexpr Candidate kCandidates[] = {
    {"ssh", false, false, false},      {"ssh-443", true, false, false},      {"tls", true, true, false},
    {"ssh+proxy", false, false, true}, {"ssh-443+proxy", true, false, true}, {"tls+proxy", true, true, true},
};

std::string candidate_names() {
    std::string names;
    for (const Candidate& c : kCandidates) names += (names.empty() ? "" : ", ") + std::string(c.name);
    return names;
}

// The candidates to try, in the order of preference.
std::vector<const Candidate*> chosen_candidates(const Options& o, bool have_proxy) {
    std::vector<bool> wanted(std::size(kCandidates), !o.only.has_value());
    if (o.only) {
        std::string_view rest = *o.only;
        while (true) {
            const std::size_t comma = rest.find(',');
            const std::string_view name = rest.substr(0, comma);
            const auto* found = std::find_if(std::begin(kCandidates), std::end(kCandidates),
                                             [&](const Candidate& c) { return name == c.name; });
            if (found == std::end(kCandidates)) {
                quit(kUsage, "--only: " + quoted(name) + " is no candidate (" + candidate_names() + ")");
            }
            if (found->proxy && !have_proxy) {
                quit(kUsage,
                     "--only: " + std::string(found->name) + " needs a proxy: --proxy-env with CAMRELAY_PROXY set");
            }
            wanted[static_cast<std::size_t>(found - std::begin(kCandidates))] = true;
            if (comma == std::string_view::npos) break;
            rest.remove_prefix(comma + 1);
        }
    }
    std::vector<const Candidate*> chosen;
    for (std::size_t i = 0; i < std::size(kCandidates); ++i) {
        if (wanted[i] && (have_proxy || !kCandidates[i].proxy)) chosen.push_back(&kCandidates[i]);
    }
    return chosen;
}

// The winner: the first candidate that succeeded with every one before it
// failed; nullopt while that is not known yet (or none succeeded).
std::optional<std::size_t> winner(const Attempts& attempts) {
    for (std::size_t i = 0; i < attempts.size(); ++i) {
        if (attempts[i]->succeeded()) return i;
        if (!attempts[i]->finished()) return std::nullopt;
    }
    return std::nullopt;
}

int probe(const Options& o, const std::optional<proxy::Url>& via, Clock::time_point deadline) {
    constexpr std::chrono::seconds kBetterCandidateGrace{2};
    const std::vector<const Candidate*> candidates = chosen_candidates(o, via.has_value());
    const bool any_tls = std::any_of(candidates.begin(), candidates.end(), [](const Candidate* c) { return c->tls; });
    const bool any_direct =
        std::any_of(candidates.begin(), candidates.end(), [](const Candidate* c) { return !c->proxy; });
    std::optional<TlsClient> tls;
    if (any_tls) tls.emplace(o);
    // One lookup per host: the relay's for direct candidates, the proxy's
    // (which looks the relay up itself) for the others.
    std::optional<Lookup> relay_lookup;
    std::optional<Lookup> proxy_lookup;
    if (any_direct) relay_lookup.emplace(o.host);
    if (via) proxy_lookup.emplace(via->host);

    Attempts attempts;
    for (const Candidate* c : candidates) {
        Route route{c->name, o.host, c->https_port ? o.ports[1] : o.ports[0], c->tls, c->proxy ? &*via : nullptr, true};
        attempts.push_back(std::make_unique<Attempt>(std::move(route), c->proxy ? *proxy_lookup : *relay_lookup,
                                                     tls ? &*tls : nullptr));
    }
    // Once one candidate worked, the better ones still under way get as
    // long again as it took (2 s at least): they cross the same network,
    // and are no slower (direct, plain), so one that is still silent by
    // then is blocked. Waiting for the whole deadline would make a camera
    // behind a firewall that silently drops port 22 wait it out on every
    // connection.
    const Clock::time_point started = Clock::now();
    bool one_worked = false;
    drive(attempts, deadline, [&] {
        if (!one_worked &&
            std::any_of(attempts.begin(), attempts.end(), [](const auto& a) { return a->succeeded(); })) {
            one_worked = true;
            const Clock::time_point now = Clock::now();
            deadline = std::min(deadline, now + std::max<Clock::duration>(kBetterCandidateGrace, now - started));
        }
        return winner(attempts).has_value() ||
               std::all_of(attempts.begin(), attempts.end(), [](const auto& a) { return a->finished(); });
    });
    // At the deadline: the most preferred that succeeded.
    for (const auto& a : attempts) {
        if (!a->succeeded()) continue;
        std::printf("%s\n", a->route().name.c_str());
        return std::fflush(stdout) == 0 ? 0 : kFailed;
    }
    std::string reasons;
    for (const auto& a : attempts) {
        reasons += (reasons.empty() ? "" : "; ") + a->route().name + ": " + a->error();
    }
    quit(kFailed, "no transport reaches " + o.host + ": " + reasons);
}

// ---------------------------------------------------------------- relay

// One side of the copy. Each call either moves bytes, or says what to wait
// for on which descriptor, or that the stream ended or failed.
struct IoResult {
    std::size_t bytes = 0;
    short wait = 0;
    bool eof = false;
    std::string error;
};

class Side {
public:
    virtual ~Side() = default;
    virtual int read_fd() const = 0;
    virtual int write_fd() const = 0;
    virtual IoResult read(char* buf, std::size_t size) = 0;
    virtual IoResult write(const char* data, std::size_t size) = 0;
    virtual IoResult end_writing() = 0;
};

IoResult errno_result(ssize_t n, short wait_for) {
    if (n > 0) return {static_cast<std::size_t>(n), 0, false, {}};
    if (n == 0) return {0, 0, true, {}};
    if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) return {0, wait_for, false, {}};
    return {0, 0, false, errno_text(errno)};
}

// ssh's end: standard input and output (pipes from ssh).
class LocalSide : public Side {
public:
    LocalSide() {
        in_ready_check_ = !make_nonblocking(STDIN_FILENO);
        out_ready_check_ = !make_nonblocking(STDOUT_FILENO);
    }
    int read_fd() const override { return STDIN_FILENO; }
    int write_fd() const override { return STDOUT_FILENO; }
    IoResult read(char* buf, std::size_t size) override {
        if (in_ready_check_ && !ready(STDIN_FILENO, POLLIN)) return {0, POLLIN, false, {}};
        return errno_result(::read(STDIN_FILENO, buf, size), POLLIN);
    }
    IoResult write(const char* data, std::size_t size) override {
        if (out_ready_check_ && !ready(STDOUT_FILENO, POLLOUT)) return {0, POLLOUT, false, {}};
        const ssize_t n = ::write(STDOUT_FILENO, data, size);
        return n == 0 ? IoResult{0, POLLOUT, false, {}} : errno_result(n, POLLOUT);
    }
    IoResult end_writing() override {
        struct stat st {};
        if (::fstat(STDOUT_FILENO, &st) == 0 && S_ISSOCK(st.st_mode)) ::shutdown(STDOUT_FILENO, SHUT_WR);
        ::close(STDOUT_FILENO);
        return {};
    }

private:
    // Pipes and sockets become non-blocking; a terminal or file stays as it
    // is (it may be shared with a shell) and is polled before each call.
    static bool make_nonblocking(int fd) {
        struct stat st {};
        if (::fstat(fd, &st) != 0 || !(S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode))) return false;
        const int flags = ::fcntl(fd, F_GETFL);
        return flags >= 0 && ::fcntl(fd, F_SETFL, flags | O_NONBLOCK) == 0;
    }
    static bool ready(int fd, short events) {
        pollfd p{fd, events, 0};
        return ::poll(&p, 1, 0) > 0;
    }
    bool in_ready_check_ = false;
    bool out_ready_check_ = false;
};

class TcpSide : public Side {
public:
    explicit TcpSide(int fd) : fd_(fd) {}
    int read_fd() const override { return fd_; }
    int write_fd() const override { return fd_; }
    IoResult read(char* buf, std::size_t size) override { return errno_result(::recv(fd_, buf, size, 0), POLLIN); }
    IoResult write(const char* data, std::size_t size) override {
        const ssize_t n = ::send(fd_, data, size, MSG_NOSIGNAL);
        return n == 0 ? IoResult{0, POLLOUT, false, {}} : errno_result(n, POLLOUT);
    }
    IoResult end_writing() override {
        ::shutdown(fd_, SHUT_WR);
        return {};
    }

private:
    int fd_;
};

int clamp_int(std::size_t size) {
    return static_cast<int>(std::min<std::size_t>(size, static_cast<std::size_t>(std::numeric_limits<int>::max())));
}

class TlsSide : public Side {
public:
    TlsSide(int fd, SSL* ssl) : fd_(fd), ssl_(ssl) {}
    int read_fd() const override { return fd_; }
    int write_fd() const override { return fd_; }
    IoResult read(char* buf, std::size_t size) override { return outcome(SSL_read(ssl_, buf, clamp_int(size))); }
    IoResult write(const char* data, std::size_t size) override {
        return outcome(SSL_write(ssl_, data, clamp_int(size)));
    }
    // close_notify: in TLS 1.3 the relay may still send (RFC 8446 6.1).
    IoResult end_writing() override {
        ERR_clear_error();
        const int rc = SSL_shutdown(ssl_);
        if (rc >= 0) return {};
        const SslOutcome o = ssl_outcome(ssl_, rc, errno);
        return {0, o.wait, false, {}};  // a failed close_notify ends writing all the same
    }

private:
    IoResult outcome(int rc) {
        if (rc > 0) return {static_cast<std::size_t>(rc), 0, false, {}};
        const SslOutcome o = ssl_outcome(ssl_, rc, errno);
        return {0, o.wait, o.eof, o.error};
    }
    int fd_;
    SSL* ssl_;
};

// Bytes from one side to the other. A read happens only when the buffer is
// empty, so a write that has to wait is tried again with the same bytes, as
// TLS wants.
struct Direction {
    Direction(Side& from_side, Side& to_side) : from(from_side), to(to_side) {}

    Side& from;
    Side& to;
    std::vector<char> buffer = std::vector<char>(kRelayBuffer);
    std::size_t start = 0;
    std::size_t end = 0;
    bool eof = false;     // nothing more to read
    bool closed = false;  // the other side was told the end
    short from_wait = 0;
    short to_wait = 0;
    std::string read_error;
    std::string write_error;

    // One read, write or end where possible: true if something happened.
    bool step() {
        bool progress = false;
        if (!eof && start == end && from_wait == 0 && read_error.empty()) {
            ERR_clear_error();
            errno = 0;
            const IoResult r = from.read(buffer.data(), buffer.size());
            if (r.bytes > 0) {
                start = 0;
                end = r.bytes;
                progress = true;
            } else if (r.eof || !r.error.empty()) {
                eof = true;
                read_error = r.error;
                progress = true;
            } else {
                from_wait = r.wait;
            }
        }
        if (start < end && to_wait == 0 && write_error.empty()) {
            ERR_clear_error();
            errno = 0;
            const IoResult r = to.write(buffer.data() + start, end - start);
            if (r.bytes > 0) {
                start += r.bytes;
                progress = true;
            } else if (!r.error.empty() || r.eof) {
                write_error = r.error.empty() ? "the connection closed" : r.error;
                start = end = 0;
                eof = true;
                progress = true;
            } else {
                to_wait = r.wait;
            }
        }
        if (eof && start == end && !closed && to_wait == 0) {
            if (write_error.empty()) {
                const IoResult r = to.end_writing();
                if (r.wait != 0) {
                    to_wait = r.wait;
                    return progress;
                }
            }
            closed = true;
            progress = true;
        }
        return progress;
    }

    void wants(std::vector<pollfd>& fds) const {
        auto add = [&](int fd, short events) {
            if (events == 0) return;
            for (pollfd& p : fds) {
                if (p.fd == fd) {
                    p.events = static_cast<short>(p.events | events);
                    return;
                }
            }
            fds.push_back({fd, events, 0});
        };
        add(from.read_fd(), from_wait);
        add(to.write_fd(), to_wait);
    }

    void woken(const std::vector<pollfd>& fds) {
        for (const pollfd& p : fds) {
            if (p.revents == 0) continue;
            if (p.fd == from.read_fd()) from_wait = 0;
            if (p.fd == to.write_fd()) to_wait = 0;
        }
    }
};

// Copies standard input to the relay and the relay to standard output until
// both directions are done; the end of one is passed on (shutdown, or TLS
// close_notify, or closing standard output).
int relay(Side& local, Side& remote) {
    Direction up{local, remote};
    Direction down{remote, local};
    std::vector<pollfd> fds;
    while (true) {
        bool progress = true;
        while (progress) {
            progress = up.step();
            progress = down.step() || progress;
        }
        if (!down.read_error.empty()) quit(kFailed, "the connection to the relay broke: " + down.read_error);
        // Writing to the relay failed: an end if the relay had closed its
        // side already, else a break.
        if (!up.write_error.empty() && !down.eof) {
            quit(kFailed, "the connection to the relay broke: " + up.write_error);
        }
        // ssh stopped reading (its end of standard output is closed): done.
        if (!down.write_error.empty()) return 0;
        if (up.closed && down.closed) return 0;
        fds.clear();
        up.wants(fds);
        down.wants(fds);
        if (fds.empty()) return 0;
        if (::poll(fds.data(), fds.size(), -1) < 0 && errno != EINTR) quit(kFailed, "poll: " + errno_text(errno));
        up.woken(fds);
        down.woken(fds);
    }
}

// ---------------------------------------------------------------- fdpass

void require_socket_stdout() {
    struct stat st {};
    if (::fstat(STDOUT_FILENO, &st) != 0 || !S_ISSOCK(st.st_mode)) {
        quit(kUsage,
             "--fdpass: standard output is not a socket (ssh -o ProxyUseFdpass=yes gives its ProxyCommand one)");
    }
}

// Hands the connected socket to ssh the way OpenSSH receives it: one byte of
// data carrying one descriptor (SCM_RIGHTS).
int pass_fd(int fd) {
    const int flags = ::fcntl(fd, F_GETFL);
    if (flags >= 0) ::fcntl(fd, F_SETFL, flags & ~O_NONBLOCK);  // as connect() would have left it
    char byte = '\0';
    iovec data{&byte, 1};
    alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
    msghdr message{};
    message.msg_iov = &data;
    message.msg_iovlen = 1;
    message.msg_control = control;
    message.msg_controllen = sizeof control;
    cmsghdr* header = CMSG_FIRSTHDR(&message);
    header->cmsg_level = SOL_SOCKET;
    header->cmsg_type = SCM_RIGHTS;
    header->cmsg_len = CMSG_LEN(sizeof(int));
    std::memcpy(CMSG_DATA(header), &fd, sizeof fd);
    ssize_t n;
    do {
        n = ::sendmsg(STDOUT_FILENO, &message, MSG_NOSIGNAL);
    } while (n < 0 && errno == EINTR);
    if (n != 1) quit(kFailed, "--fdpass: cannot pass the connection to ssh: " + errno_text(n < 0 ? errno : EIO));
    ::close(fd);
    return 0;
}

// ---------------------------------------------------------------- tcp, tls

int connect_mode(const Options& o, const std::optional<proxy::Url>& via, Clock::time_point deadline) {
    const bool tls = o.mode == Mode::tls;
    std::optional<TlsClient> client;
    if (tls) client.emplace(o);
    Lookup lookup(via ? via->host : o.host);
    Attempts attempts;
    attempts.push_back(std::make_unique<Attempt>(Route{"", o.host, o.ports[0], tls, via ? &*via : nullptr, false},
                                                 lookup, client ? &*client : nullptr));
    drive(attempts, deadline, [&] { return attempts[0]->finished(); });
    Attempt& attempt = *attempts[0];
    if (!attempt.succeeded()) quit(kFailed, proxy::host_port(o.host, o.ports[0]) + ": " + attempt.error());
    const auto [fd, ssl] = attempt.release();
    set_tuning(fd, o);
    if (o.fdpass) return pass_fd(fd);
    LocalSide local;
    if (ssl != nullptr) {
        TlsSide remote(fd, ssl);
        return relay(local, remote);
    }
    TcpSide remote(fd);
    return relay(local, remote);
}

}  // namespace

int main(int argc, char** argv) {
    std::signal(SIGPIPE, SIG_IGN);
    const Options o = parse_arguments(argc, argv);
    const std::optional<proxy::Url> via = proxy_from_environment(o);
    if (o.fdpass) require_socket_stdout();
    const Clock::time_point deadline = Clock::now() + std::chrono::seconds(o.timeout);
    if (o.mode == Mode::probe) return probe(o, via, deadline);
    return connect_mode(o, via, deadline);
}
