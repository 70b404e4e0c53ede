// camrelay command: `camrelay [--config DIR] check [--user USER]`, the
// configuration read the way varnishd's module reads it in vcl_init, so that
// a file varnishd would refuse is named, with its line and reason, before
// varnishd starts or reloads. At boot varnishd says only "CLI result = 300"
// when vcl_init fails (the reason goes to syslog, or to stderr with -F);
// camrelay setup runs this first, and its varnish.service drop-in runs it as
// ExecStartPre, so the reason reaches the operator's terminal and the journal.
//
// The same core calls as the module: Relay::load (cameras.conf, then
// secrets.conf with its mode checks), then each TCP camera's address
// resolved as its backend's. As root the files are read as varnishd's
// worker user (vcache, as varnishd's unix jail runs it: its login group and
// supplementary groups), which is who reads them in vcl_init.
#include <grp.h>
#include <netdb.h>
#include <pwd.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <iostream>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "cli.hpp"
#include "camrelay/relay.hpp"

namespace camrelay::cli {
namespace {

// varnishd's worker user: the unix jail's default workuser, and the one
// camrelay setup starts varnishd with (-j unix,user=vcache).
constexpr const char* kWorkerUser = "vcache";

constexpr std::string_view kHelp =
    "Usage: camrelay [--config DIR] check [--user USER]\n"
    "\n"
    "Check the configuration as varnishd loads it.\n"
    "\n"
    "Reads cameras.conf and secrets.conf exactly as vmod_camrelay does when a VCL\n"
    "is loaded (at varnishd's start and at every reload), and resolves each\n"
    "camera's address as its backend does. Prints a one-line summary and exits 0,\n"
    "or prints the first error as 'camrelay: FILE:LINE: reason' and exits 3: the\n"
    "reason varnishd would refuse to start with (where it would only say\n"
    "'CLI result = 300') or to load the VCL with. camrelay setup runs it before\n"
    "it starts or reloads varnishd, and varnish.service runs it first\n"
    "(ExecStartPre), so the reason is in the journal.\n"
    "\n"
    "Run as root, it reads the files as varnishd's worker user (vcache), who reads\n"
    "them in varnishd, so that a file only root may read is found too.\n"
    "\n"
    "Options:\n"
    "  --user USER  read the files as USER (its groups included); 'root' reads\n"
    "               them as root. Other users than oneself need root.\n"
    "\n"
    "Exit status:\n"
    "  0  varnishd can load the configuration\n"
    "  2  usage error\n"
    "  3  it cannot: a file is missing, unreadable or does not parse, or a\n"
    "     camera's address does not resolve (the message says FILE:LINE: reason)\n"
    "  5  could not become USER\n";

struct Reader {
    std::string name;  // empty: as we are
    uid_t uid = 0;
    gid_t gid = 0;
};

// The user to read as: --user, else vcache when root and it exists, else
// ourselves.
Reader pick_reader(const Args& args) {
    const std::optional<std::string> wanted = args.value("--user");
    const bool root = ::geteuid() == 0;
    if (!wanted && !root) return {};
    const std::string name = wanted.value_or(kWorkerUser);
    const struct passwd* entry = ::getpwnam(name.c_str());
    if (entry == nullptr) {
        if (!wanted) return {};  // no varnish installed here: read as root
        fail_usage("check: --user " + name + ": no such user");
    }
    const Reader reader{name, entry->pw_uid, entry->pw_gid};
    if (!root && reader.uid != ::geteuid())
        fail_usage("check: --user " + name + " needs root (or run it as " + name + ")");
    return reader;
}

// Become the reader for good, as varnishd's jail makes its worker.
void become(const Reader& reader) {
    if (reader.name.empty() || reader.uid == ::geteuid()) return;
    if (::setgid(reader.gid) != 0 || ::initgroups(reader.name.c_str(), reader.gid) != 0 || ::setuid(reader.uid) != 0) {
        fail_io("check: cannot become user " + reader.name + ": " + std::strerror(errno));
    }
    if (::geteuid() != reader.uid) fail_io("check: still not user " + reader.name);
}

// The module's resolve(): a TCP camera's host, as its backend gets it.
std::string resolve(const Tunnel& tunnel) {
    std::string host = tunnel.host;
    if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
    struct addrinfo hints {};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_NUMERICSERV;
    struct addrinfo* found = nullptr;
    const int rc = ::getaddrinfo(host.c_str(), std::to_string(tunnel.port).c_str(), &hints, &found);
    if (rc != 0) return std::string("cannot resolve ") + tunnel.host + ": " + ::gai_strerror(rc);
    bool usable = false;
    for (const struct addrinfo* ai = found; ai != nullptr; ai = ai->ai_next)
        usable = usable || ai->ai_family == AF_INET || ai->ai_family == AF_INET6;
    ::freeaddrinfo(found);
    return usable ? std::string() : "no address for " + tunnel.host;
}

std::string plural(std::size_t n, const std::string& word) {
    return std::to_string(n) + " " + word + (n == 1 ? "" : "s");
}

}  // namespace

int run_check(const std::optional<std::string>& explicit_config, std::span<const std::string> args) {
    if (asks_for_help(args)) {
        std::cout << kHelp;
        return kExitOk;
    }
    static const Command kCheck{"check", "[--user USER]", "", "", {{"--user", "USER"}}, 0, 0, nullptr};
    const Args parsed = parse_args(kCheck, "check", args);
    const std::string dir = camrelay::config_dir(explicit_config.value_or(""));
    const Reader reader = pick_reader(parsed);
    become(reader);

    std::unique_ptr<Relay> relay;
    try {
        relay = Relay::load(dir, RouteConfig{});
    } catch (const ConfigError& error) {
        fail_config(error.what());
    } catch (const std::invalid_argument& error) {
        fail_config(dir + ": " + error.what());
    }
    const std::string cameras_path = dir + "/" + kCamerasFile;
    for (const Camera& camera : relay->registry().cameras) {
        if (camera.tunnel.kind == Tunnel::Kind::socket) continue;
        const std::string error = resolve(camera.tunnel);
        if (!error.empty())
            fail_config(cameras_path + ":" + std::to_string(camera.line) + ": camera " + camera.id + ": " + error);
    }
    const SecretSet& secrets = relay->secrets();
    std::cout << dir << ": varnishd can load cameras.conf and secrets.conf (read as "
              << (reader.name.empty() ? "this user" : "user " + reader.name)
              << "): " << plural(relay->registry().cameras.size(), "camera") << ", "
              << plural(secrets.all().size(), "signing secret")
              << (secrets.empty() ? " (no signed key is accepted)" : "") << "\n";
    return kExitOk;
}

}  // namespace camrelay::cli
