// camrelay core: the configuration directory (/etc/camrelay by default).
//
//   cameras.conf  the camera registry, world-readable, edited by `camrelay camera`
//   secrets.conf  the signing secrets, mode 0640 root:varnish, edited by `camrelay secret`
//
// cameras.conf, one directive per line; '#' starts a comment (whole line or
// after whitespace); blank lines are ignored; a trailing CR is ignored (CRLF
// files); other control characters than tab are refused:
//
//   default <camera-id>
//   camera <camera-id> <tunnel> [max-viewers=N] [revoke-before=UNIX] [legacy-sha256=HEX64]
//
//   <tunnel> is exactly one of
//     port=PORT            the camera's `ssh -R 127.0.0.1:PORT:...` on this relay
//     socket=/ABS/PATH     the camera's `ssh -R /ABS/PATH:...` (a Unix socket,
//                          at most 107 bytes)
//     upstream=HOST:PORT   another relay or a directly reachable camera
//                          (HOST an IPv4 address, [IPv6] or a DNS name;
//                          Tunnel::host holds an IPv6 address without brackets)
//   max-viewers    1..1000, default 2 (Picam360's own limit)
//   revoke-before  0..999999999999 (0: none)
//   ssh-key=...    reserved for the tunnel tooling: takes the rest of the line
//                  (trailing blanks trimmed; a '#' in it is not a comment),
//                  so it must come last; stored in Camera::ssh_key, ignored by
//                  the VMOD
//   The tunnel and options are name=value words in any order (the editor
//   writes the tunnel first). Numbers are decimal, no sign, no leading zero.
//
// secrets.conf, one secret per line, '#' comments:
//
//   <secret-id> <64 hex digits> [primary]
//
// Parse errors throw ConfigError whose what() is "FILE:LINE: reason" ("FILE:
// reason" when the error is about the whole file, line 0). Reasons never
// contain secret material.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "camrelay/crypto.hpp"
#include "camrelay/key.hpp"

namespace camrelay {

inline constexpr const char* kDefaultConfigDir = "/etc/camrelay";
inline constexpr const char* kConfigDirEnv = "CAMRELAY_CONFIG";
inline constexpr const char* kCamerasFile = "cameras.conf";
inline constexpr const char* kSecretsFile = "secrets.conf";
inline constexpr unsigned kDefaultMaxViewers = 2;
inline constexpr unsigned kMaxMaxViewers = 1000;

class ConfigError : public std::runtime_error {
public:
    ConfigError(std::string file, int line, std::string reason);
    const std::string& file() const { return file_; }
    int line() const { return line_; }           // 0 when the error is about the whole file
    const std::string& reason() const { return reason_; }

private:
    std::string file_;
    int line_;
    std::string reason_;
};

struct Tunnel {
    enum class Kind { port, socket, upstream };
    Kind kind = Kind::port;
    std::string host;      // "127.0.0.1" for Kind::port; the host for upstream
    std::uint16_t port = 0;
    std::string path;      // Kind::socket only
    std::string describe() const;  // "port=18080", "socket=/run/x.sock", "upstream=h:80"
};

struct Camera {
    std::string id;
    Tunnel tunnel;
    unsigned max_viewers = kDefaultMaxViewers;
    KeyPolicy keys;
    // The `ssh-key=` option: an OpenSSH public key line for the tunnel
    // tooling, kept verbatim (rest of the line, trailing blanks trimmed);
    // empty when absent. The VMOD ignores it.
    std::string ssh_key;
    int line = 0;  // where it was defined
};

struct Registry {
    std::vector<Camera> cameras;
    std::string default_camera;  // empty: none
    const Camera* find(std::string_view id) const;
};

// Parse the text of cameras.conf. `file` is only used in error messages.
// Refuses: unknown directives, bad or duplicate ids, missing or repeated
// tunnel, two cameras on the same port or socket, unknown or repeated
// options, out-of-range numbers, a `default` naming no camera, a second
// `default`, NUL bytes, lines over 4096 bytes.
Registry parse_registry(std::string_view text, const std::string& file);
SecretSet parse_secrets(std::string_view text, const std::string& file);

// Read and parse; a missing or unreadable file is a ConfigError with line 0.
// A missing secrets.conf yields an empty SecretSet (only legacy keys work);
// one that is not a regular file or that others may access in any way
// (mode & 007) is a ConfigError with line 0.
Registry load_registry(const std::string& path);
SecretSet load_secrets(const std::string& path);

// explicit_dir if not empty, else $CAMRELAY_CONFIG if set and not empty,
// else /etc/camrelay.
std::string config_dir(std::string_view explicit_dir = {});

// --- editing, for the CLI: keep every other line (comments included) as is.
// Each function refuses (ConfigError) text that does not parse, and re-parses
// its result. Errors that are not about a line ("no camera ...") have line 0.

// One canonical "camera ..." line (no newline).
std::string format_camera_line(const Camera& camera);
// Append a camera; throws ConfigError if the result would not parse (duplicate
// id, port or socket already used, ...) or would not read back as `camera`
// (e.g. an ssh_key with a line break or leading/trailing blanks).
std::string registry_add_camera(std::string_view text, const Camera& camera, const std::string& file);
// Remove the camera's line (and make `default` go if it named it); throws
// ConfigError if there is no such camera.
std::string registry_remove_camera(std::string_view text, std::string_view id, const std::string& file);
// Set or replace the `default` line (appended at the end if there is none);
// throws if the camera does not exist.
std::string registry_set_default(std::string_view text, std::string_view id, const std::string& file);
// Replace one option of one camera (e.g. "revoke-before", "1700000000"), adding it if absent.
// In place: the rest of the line (spacing, comment) is kept; a new option goes
// after the last one but before ssh-key=. An empty value removes the option
// (nothing to do if absent); the tunnel cannot be removed, but setting port=,
// socket= or upstream= replaces whichever tunnel the camera has. Adding
// ssh-key= to a line with a trailing comment moves the comment to its own line
// above, since ssh-key= would swallow it.
std::string registry_set_option(std::string_view text, std::string_view id, std::string_view option,
                                std::string_view value, const std::string& file);

std::string format_secret_line(const Secret& secret);
std::string secrets_add(std::string_view text, const Secret& secret, const std::string& file);
// Make `id` the only primary (adds or removes the "primary" word in place).
std::string secrets_set_primary(std::string_view text, std::string_view id, const std::string& file);
std::string secrets_remove(std::string_view text, std::string_view id, const std::string& file);

// Whole-file helpers.
std::string read_file(const std::string& path);  // throws ConfigError(path, 0, strerror); at most 16 MiB
// Write to a temporary file in the same directory, fsync, chmod/chown, then
// rename over `path` and fsync the directory: readers see the old file or the
// new one, never a mix. The mode is set before any byte is written.
// uid/gid of -1 leave ownership as the creating process's. Throws
// ConfigError(path, 0, reason); the temporary file is removed on failure.
void write_file_atomically(const std::string& path, std::string_view content, mode_t mode,
                           uid_t uid = static_cast<uid_t>(-1), gid_t gid = static_cast<gid_t>(-1));

}  // namespace camrelay
