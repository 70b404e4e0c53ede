// camrelay core: the SSH side of camera tunnels.
//
// Every camera owns one line in the relay's authorized_keys file
// (<config dir>/ssh/authorized_keys, root-owned, read by sshd for the
// forwarding account through the drop-in tools/tunnel/sshd_config.d/camrelay.conf):
//
//   restrict,port-forwarding,permitlisten="127.0.0.1:20001",command="/usr/libexec/camrelay/camrelay-session cam1 20001" ssh-ed25519 AAAA... camrelay-camera=cam1
//
//   restrict            every restriction OpenSSH knows, including ones added
//                       by future versions (no pty, no agent or X11
//                       forwarding, no ~/.ssh/rc, no port forwarding)
//   port-forwarding     re-enables forwarding; the sshd drop-in narrows it to
//                       remote (-R) forwarding only
//   permitlisten=       the only address this key may listen on: the
//                       camera's own loopback port
//   command=            the session program: prints one status line and
//                       holds the session open; never a shell
//   camrelay-camera=ID  the comment that marks the line as the camera's
//
// No pty is re-enabled: a plain (no-pty) session is enough for sshd to set
// TCP_NODELAY on its connection (see tools/tunnel/camrelay-tunnel).
//
// These functions only transform text; reading and writing the files is the
// caller's business (config.hpp's read_file, atomic_file.hpp's
// write_file_atomically).
// Errors are SshAccessError with a message meant for the operator.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "camrelay/registry.hpp"

namespace camrelay {

inline constexpr const char* kSshSubdir = "ssh";                       // under the config dir
inline constexpr const char* kAuthorizedKeysName = "authorized_keys";  // in kSshSubdir
inline constexpr const char* kDefaultSshUser = "camrelay-cam";
inline constexpr const char* kSessionProgramEnv = "CAMRELAY_SESSION_PROGRAM";
inline constexpr const char* kCameraCommentPrefix = "camrelay-camera=";
inline constexpr std::uint16_t kTunnelPortFirst = 20000;
inline constexpr std::uint16_t kTunnelPortLast = 29999;
inline constexpr std::size_t kMaxPublicKeyLine = 16384;
inline constexpr unsigned kMinRsaBits = 2048;

class SshAccessError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

struct SshPublicKey {
    std::string type;     // "ssh-ed25519", "ecdsa-sha2-nistp256", ...
    std::string base64;   // the key blob exactly as written
    std::string comment;  // may be empty
    unsigned bits = 0;    // RSA modulus size, curve size, 256 for Ed25519

    // "TYPE BASE64": what identifies the key (the comment does not).
    std::string text() const { return type + " " + base64; }
    // "SHA256:..." as ssh-keygen -l prints it.
    std::string fingerprint() const;
    bool same_key(const SshPublicKey& other) const { return type == other.type && base64 == other.base64; }
};

// Parse one OpenSSH public key: the content of a .pub file, i.e. one line
// "TYPE BASE64 [COMMENT]" with an optional line end. Accepted types:
// ssh-ed25519, ecdsa-sha2-nistp256/384/521, ssh-rsa (>= 2048 bits),
// sk-ssh-ed25519@openssh.com, sk-ecdsa-sha2-nistp256@openssh.com.
// The blob must be canonical base64 and its structure must match the type
// (embedded type name, curve, key sizes, no trailing bytes). Refused with a
// reason: empty input, several lines, authorized_keys options, private keys,
// certificates, other or unknown types, control characters, over-long lines.
SshPublicKey parse_ssh_public_key(std::string_view text);

// What a camera's line grants.
struct CameraAccess {
    std::string camera_id;        // valid_camera_id()
    std::uint16_t port = 0;       // 1024..65535: the loopback port viewers reach it on
    std::string session_program;  // absolute path of camrelay-session, no blanks or quotes
};

// The camera's authorized_keys line, without line end. Throws SshAccessError
// on an invalid id, port or session program path.
std::string format_authorized_key(const SshPublicKey& key, const CameraAccess& access);

// One line of an authorized_keys file that holds a key.
struct AuthorizedKey {
    int line = 0;           // 1-based
    std::string options;    // as written, empty if none
    SshPublicKey key;       // type, base64 and comment as written (bits not set)
    std::string camera_id;  // from a "camrelay-camera=ID" comment, else empty
};

// The key lines of an authorized_keys text. Comment and blank lines are
// skipped, and so are lines that do not look like a key (sshd skips them too).
std::vector<AuthorizedKey> parse_authorized_keys(std::string_view text);

// Append the camera's line. Refused (SshAccessError) if the camera already
// has a line, or if the same key is already in the file (for any camera or
// none). Every existing line is kept byte for byte; a missing line end on the
// last line is added.
std::string authorized_keys_add(std::string_view text, const SshPublicKey& key, const CameraAccess& access);

// Remove every line of the camera (by its camrelay-camera= comment). Other
// lines are kept byte for byte. `removed`, if given, gets the number of lines
// removed (0: the text is returned unchanged).
std::string authorized_keys_remove(std::string_view text, std::string_view camera_id, int* removed = nullptr);

// The camera of `registry` whose ssh-key= is `key`, other than `except_id`.
std::optional<std::string> camera_with_ssh_key(const Registry& registry, const SshPublicKey& key,
                                               std::string_view except_id = {});

// Is 127.0.0.1:port taken, as sshd would find it when the camera asks to
// listen there (bind with SO_REUSEADDR fails with EADDRINUSE)? Nothing is
// connected to.
bool loopback_port_in_use(std::uint16_t port);

// The first port of [first, last] that no camera of `registry` uses and for
// which `in_use` is false; nullopt if none.
template <class InUse>
std::optional<std::uint16_t> pick_tunnel_port(const Registry& registry, InUse in_use,
                                              std::uint16_t first = kTunnelPortFirst,
                                              std::uint16_t last = kTunnelPortLast) {
    std::set<std::uint16_t> taken;
    for (const auto& c : registry.cameras)
        if (c.tunnel.kind == Tunnel::Kind::port) taken.insert(c.tunnel.port);
    for (unsigned p = first; p <= last; ++p) {
        auto port = static_cast<std::uint16_t>(p);
        if (!taken.count(port) && !in_use(port)) return port;
    }
    return std::nullopt;
}

// End the live SSH connections of a camera (after its key was removed:
// sshd checks keys only when a connection starts). Finds the camera's
// camrelay-session processes (executable `session_program`, arguments naming
// `camera_id`, not root's) and sends SIGTERM to the sshd process that started
// each, which closes that connection and frees the camera's port. Linux
// (/proc); needs the right to signal the account's processes (root). Returns
// how many connections were signalled.
int close_camera_sessions(const std::string& session_program, std::string_view camera_id);

// A process holding a listening socket of a camera's tunnel (its port on
// the relay's loopback, or its socket path).
struct TunnelHolder {
    pid_t pid = 0;
    uid_t uid = static_cast<uid_t>(-1);
    std::string comm;  // /proc/PID/stat's name: "sshd", "sshd-session", "nc", ...
    // An sshd process not running as root: the per-connection process of an
    // SSH login, which holds the listener of an `ssh -R` (the listening
    // master sshd and the root [priv] monitors never do). Ending it ends
    // that one connection.
    bool ssh_connection() const { return uid != 0 && comm.rfind("sshd", 0) == 0; }
};

// Every process that holds a listening socket of `tunnel` (read from
// proc_root/net/{tcp,tcp6,unix} and proc_root/PID/fd: root sees them all).
// Empty for an upstream, or when nothing listens.
std::vector<TunnelHolder> tunnel_holders(const Tunnel& tunnel, const std::string& proc_root = "/proc");

// End whatever SSH connection holds `tunnel`, with or without a session
// program (a camera may connect with plain `ssh -N -R`): SIGTERM to each
// holder that is ssh_connection(), then wait up to `wait` for the listener to
// go. Other holders are left alone and returned in `others`: they are not a
// camera's SSH connection, and ending an unknown process is the operator's
// call. Needs root to see and signal the account's processes.
struct ClosedTunnel {
    int closed = 0;                    // SSH connections signalled
    std::vector<TunnelHolder> others;  // non-SSH holders, left running
    bool still_listening = false;      // something still listens after `wait`
};
ClosedTunnel close_tunnel_holders(const Tunnel& tunnel, std::chrono::milliseconds wait = std::chrono::seconds(3));

// <config dir>/ssh/authorized_keys
std::string authorized_keys_path(const std::string& config_dir);

// The session program for command=: $CAMRELAY_SESSION_PROGRAM if set and not
// empty, else `installed` (the build's libexec path).
std::string session_program_path(std::string_view installed);

// A known_hosts line pinning the relay's host key for the camera:
// "HOST KEY" or "[HOST]:PORT KEY" when port != 22.
std::string format_known_hosts_line(std::string_view host, std::uint16_t port, const SshPublicKey& host_key);

// The relay's https port, where cameras also reach sshd (plain SSH and SSH
// inside TLS), when setup was not told otherwise.
inline constexpr std::uint16_t kDefaultHttpsPort = 443;
inline constexpr const char* kSetupStateName = "setup.conf";  // in the config dir, written by camrelay setup

// The https port `camrelay setup` last listened on: the port of the last
// HTTPS_LISTEN=[ADDR:]PORT line of its setup.conf text, else (no such line,
// or not a port) kDefaultHttpsPort.
std::uint16_t https_port_from_setup(std::string_view setup_conf);

// The camera side: the KEY=VALUE file read by camrelay-tunnel --config.
// Besides the tunnel itself it says how to reach the relay: TRANSPORT=auto
// and the relay's HTTPS_PORT, and, commented out, a PROXY= and a TLS_CA=
// line, so that a camera on a network that lets only the web out needs at
// most one line changed.
struct TunnelSettings {
    std::string relay;         // USER@HOST[:PORT]
    std::string identity;      // private key file on the camera
    std::string known_hosts;   // file with format_known_hosts_line()
    std::uint16_t listen = 0;  // the camera's relay port
    std::string target = "localhost:9001";
    std::uint16_t https_port = kDefaultHttpsPort;  // the relay's https port
};
std::string format_tunnel_config(const TunnelSettings& settings);

}  // namespace camrelay
