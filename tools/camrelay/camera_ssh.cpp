// camrelay command: the SSH side of `camera add --ssh-key` and `camera remove`.
//
// The camera's authorized_keys line (<config dir>/ssh/authorized_keys, read by
// sshd through tools/tunnel/sshd_config.d/camrelay.conf) is prepared and
// checked before anything is written, so that a refusal leaves both
// authorized_keys and cameras.conf as they were, byte for byte.
#include "camera_ssh.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <iostream>

#include "camrelay/admin/atomic_file.hpp"
#include "camrelay/tunnel_status.hpp"

#ifndef CAMRELAY_SESSION_PROGRAM
#define CAMRELAY_SESSION_PROGRAM "/usr/libexec/camrelay/camrelay-session"
#endif

namespace camrelay::cli {
namespace {

constexpr mode_t kAuthorizedKeysMode = 0644;  // public keys; sshd reads it as the account
constexpr const char* kDefaultHostKey = "/etc/ssh/ssh_host_ed25519_key.pub";
constexpr const char* kCameraConfigDir = "/etc/camrelay-tunnel";

bool is_ipv6_literal(std::string_view host) { return host.find(':') != std::string_view::npos; }

// "HOST", "HOST:PORT", "[V6]" or "[V6]:PORT"
void parse_relay(std::string_view text, std::string& host, std::uint16_t& port) {
    port = 22;
    if (!text.empty() && text.front() == '[') {
        auto close = text.find(']');
        if (close == std::string_view::npos) fail_usage("--relay '" + std::string(text) + "': missing ']'");
        host = std::string(text.substr(1, close - 1));
        auto rest = text.substr(close + 1);
        if (!rest.empty()) {
            if (rest.front() != ':') fail_usage("--relay '" + std::string(text) + "' is not HOST[:PORT]");
            port = parse_port(rest.substr(1), "--relay port");
        }
    } else if (auto colon = text.find(':');
               colon != std::string_view::npos && text.find(':', colon + 1) == std::string_view::npos) {
        host = std::string(text.substr(0, colon));
        port = parse_port(text.substr(colon + 1), "--relay port");
    } else {
        host = std::string(text);
    }
    if (host.empty() || host.front() == '-' ||
        host.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789.-_:") !=
            std::string::npos)
        fail_usage("--relay host '" + host + "' is not a host name or address");
}

void require_user_name(std::string_view user) {
    if (user.empty() || user.size() > 32 || user.front() == '-' ||
        user.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789_-.") != std::string_view::npos)
        fail_usage("--ssh-user '" + std::string(user) + "' is not a user name");
}

std::string this_host() {
    char name[256] = {};
    if (::gethostname(name, sizeof name - 1) != 0 || name[0] == '\0') return "RELAY-HOST";
    return name;
}

void ensure_directory(const std::string& dir) {
    if (::mkdir(dir.c_str(), 0755) != 0 && errno != EEXIST) fail_io(dir + ": " + std::strerror(errno));
}

// Put a file back as it was: its old text, or no file.
void restore(const std::string& path, const std::optional<std::string>& old, mode_t mode) {
    try {
        if (old) {
            write_file_atomically(path, *old, mode);
        } else {
            ::unlink(path.c_str());
        }
    } catch (const std::exception& error) {
        std::cerr << "camrelay: could not restore " << path << ": " << error.what() << "\n";
    }
}

}  // namespace

std::string session_program() { return session_program_path(CAMRELAY_SESSION_PROGRAM); }

std::optional<std::uint16_t> ssh_default_port(const Args& args, const CamerasFile& cameras) {
    if (!args.has("--ssh-key") || args.has("--port") || args.has("--socket") || args.has("--upstream"))
        return std::nullopt;
    auto port = pick_tunnel_port(cameras.registry, loopback_port_in_use);
    if (!port)
        fail_refused("no free tunnel port left in " + std::to_string(kTunnelPortFirst) + "-" +
                     std::to_string(kTunnelPortLast) + "; give one with --port");
    return port;
}

std::optional<SshAdd> ssh_prepare_add(const Context& context, const Args& args, const CamerasFile& cameras,
                                      Camera& camera) {
    if (!args.has("--ssh-key")) {
        for (auto opt : {"--ssh-user", "--relay", "--relay-host-key", "--https-port"})
            if (args.has(opt)) fail_usage(std::string(opt) + " only goes with --ssh-key");
        return std::nullopt;
    }
    if (camera.tunnel.kind != Tunnel::Kind::port)
        fail_usage("--ssh-key needs a port tunnel (--port PORT, or none to pick a free one)");

    if (camera.tunnel.port < 1024)
        fail_usage("--port " + std::to_string(camera.tunnel.port) +
                   ": an SSH tunnel port must be 1024-65535 (the account cannot listen below 1024)");

    SshAdd add;
    const std::string key_source = *args.value("--ssh-key");
    try {
        add.key = parse_ssh_public_key(read_file_or_stdin(key_source));
    } catch (const SshAccessError& error) {
        fail_usage("--ssh-key " + key_source + ": " + error.what());
    }
    add.user = args.value("--ssh-user").value_or(kDefaultSshUser);
    require_user_name(add.user);
    parse_relay(args.value("--relay").value_or(this_host()), add.relay_host, add.relay_port);
    // Where cameras reach sshd on the relay's https port: as setup was told.
    if (auto https = args.value("--https-port")) {
        add.https_port = parse_port(*https, "--https-port");
    } else if (auto setup = read_text_file(context.config_dir + "/" + kSetupStateName)) {
        add.https_port = https_port_from_setup(*setup);
    }
    add.access = CameraAccess{camera.id, camera.tunnel.port, session_program()};

    // The relay's host key, for the camera to pin. Without it the camera
    // cannot connect (StrictHostKeyChecking=yes), so a missing one is an error.
    const std::string host_key_path = args.value("--relay-host-key").value_or(kDefaultHostKey);
    try {
        add.host_key = parse_ssh_public_key(read_file_or_stdin(host_key_path));
    } catch (const SshAccessError& error) {
        fail_config("--relay-host-key " + host_key_path + ": " + error.what());
    }

    if (auto other = camera_with_ssh_key(cameras.registry, add.key, camera.id))
        fail_refused("this SSH key is already used by camera '" + *other + "'; every camera needs its own key");

    add.path = authorized_keys_path(context.config_dir);
    add.old_text = read_text_file(add.path);
    try {
        add.new_text = authorized_keys_add(add.old_text.value_or(""), add.key, add.access);
        format_known_hosts_line(add.relay_host, add.relay_port, add.host_key);  // checks the host name
    } catch (const SshAccessError& error) {
        fail_refused(add.path + ": " + error.what());
    }
    camera.ssh_key = add.key.text();
    return add;
}

void ssh_commit_add(const SshAdd& add, const CamerasFile& cameras) {
    try {
        ensure_directory(add.path.substr(0, add.path.rfind('/')));
        write_config_file(add.path, add.new_text, kAuthorizedKeysMode);
    } catch (const Failure&) {
        // cameras.conf already has the camera: take it back out
        restore(cameras.path, cameras.exists ? std::optional<std::string>(cameras.text) : std::nullopt, 0644);
        throw;
    }
}

void ssh_print_add(const SshAdd& add, std::ostream& out) {
    const std::string id = add.access.camera_id;
    const std::string port = std::to_string(add.access.port);
    const std::string dir = kCameraConfigDir;
    const std::string host = is_ipv6_literal(add.relay_host) ? "[" + add.relay_host + "]" : add.relay_host;
    TunnelSettings settings;
    settings.relay = add.user + "@" + host + ":" + std::to_string(add.relay_port);
    settings.identity = dir + "/" + id + ".key";
    settings.known_hosts = dir + "/" + id + ".known_hosts";
    settings.listen = add.access.port;
    settings.https_port = add.https_port;

    out << "SSH key " << add.key.type << " " << add.key.fingerprint()
        << (add.key.comment.empty() ? "" : " (" + add.key.comment + ")") << " may now log in as " << add.user
        << " and listen on 127.0.0.1:" << port << " only (" << add.path << ")\n"
        << "\n"
        << "On the camera (the camrelay-tunnel package: sh, OpenSSH's ssh and camrelay-connect):\n"
        << "1. The private key of this pair as " << settings.identity << ", mode 0400, owned by the user the\n"
        << "   tunnel runs as (camrelay-tunnel for the systemd unit).\n"
        << "2. " << settings.known_hosts << ", this line (pins this relay's host key):\n"
        << format_known_hosts_line(add.relay_host, add.relay_port, add.host_key) << "\n"
        << "3. " << dir << "/" << id << ".conf (mode 0640, group camrelay-tunnel, if it holds a proxy password):\n"
        << format_tunnel_config(settings) << "4. systemctl enable --now camrelay-tunnel@" << id << "\n"
        << "   or by hand: camrelay-tunnel --config " << dir << "/" << id << ".conf\n"
        << "   which runs ssh -T -R 127.0.0.1:" << port << ":" << settings.target << " " << add.user << "@"
        << add.relay_host << " with this relay's host key pinned,\n"
        << "   to port " << add.relay_port << ", else to port " << add.https_port
        << ", inside TLS or through a proxy, whichever works; on the camera,\n"
        << "   'camrelay-connect probe " << add.relay_host << " " << add.relay_port << " " << add.https_port
        << "' shows which\n";
}

std::optional<SshRemove> ssh_prepare_remove(const Context& context, const Camera& camera) {
    SshRemove rm;
    rm.camera_id = camera.id;
    rm.path = authorized_keys_path(context.config_dir);
    rm.old_text = read_text_file(rm.path);
    if (!rm.old_text) return camera.ssh_key.empty() ? std::nullopt : std::optional<SshRemove>(rm);
    rm.new_text = authorized_keys_remove(*rm.old_text, camera.id, &rm.lines);
    if (rm.lines == 0 && camera.ssh_key.empty()) return std::nullopt;
    return rm;
}

void ssh_commit_remove(const SshRemove& rm) {
    if (rm.old_text && rm.lines > 0) write_config_file(rm.path, rm.new_text, kAuthorizedKeysMode);
}

void ssh_after_remove(const SshRemove& rm, std::ostream& out) {
    int closed = close_camera_sessions(session_program(), rm.camera_id);
    if (rm.lines > 0) out << "removed its SSH key from " << rm.path << "\n";
    if (closed > 0)
        out << "closed " << closed << " live tunnel connection" << (closed == 1 ? "" : "s") << " of camera "
            << rm.camera_id << "\n";
}

namespace {

std::string where(const Tunnel& tunnel) {
    return tunnel.kind == Tunnel::Kind::port ? "127.0.0.1:" + std::to_string(tunnel.port) : tunnel.path;
}

std::string describe(const TunnelHolder& h) {
    std::string text = "pid " + std::to_string(h.pid);
    if (!h.comm.empty()) text += " (" + h.comm + ", uid " + std::to_string(h.uid) + ")";
    return text;
}

}  // namespace

void refuse_tunnel_in_use(const Tunnel& tunnel) {
    bool in_use = false;
    if (tunnel.kind == Tunnel::Kind::port) in_use = loopback_port_in_use(tunnel.port);
    if (tunnel.kind == Tunnel::Kind::socket) in_use = !tunnel_listener_inodes(tunnel).empty();
    if (!in_use) return;
    std::string who;
    for (const auto& h : tunnel_holders(tunnel)) who += (who.empty() ? ": " : ", ") + describe(h);
    const std::string what =
        tunnel.kind == Tunnel::Kind::port ? "port " + std::to_string(tunnel.port) : "socket " + tunnel.path;
    fail_refused(what + " is already in use on this relay (something listens on " + where(tunnel) + who +
                 "); viewers of the new camera would reach it. Stop it, or 'camrelay camera remove' the camera that "
                 "used it, first");
}

void close_tunnel(const Camera& camera, std::ostream& out) {
    const Tunnel& tunnel = camera.tunnel;
    if (tunnel.kind == Tunnel::Kind::upstream) return;
    const ClosedTunnel closed = close_tunnel_holders(tunnel);
    if (closed.closed > 0)
        out << "ended " << closed.closed << " SSH connection" << (closed.closed == 1 ? "" : "s") << " holding "
            << where(tunnel) << "\n";
    for (const auto& h : closed.others)
        std::cerr << "camrelay: warning: " << where(tunnel) << " is held by " << describe(h)
                  << ", which is not an SSH connection: left running. No camera can be added on it until it stops\n";
    if (closed.still_listening && closed.others.empty())
        std::cerr << "camrelay: warning: something still listens on " << where(tunnel)
                  << (::geteuid() == 0 ? "" : " (run as root to end it)")
                  << "; no camera can be added on it until it stops\n";
}

}  // namespace camrelay::cli
