// camrelay core: cameras.conf, the camera registry: its data model and its
// parser. The grammar is specified in vmod_camrelay(3)
// (vmod/vmod_camrelay.vcc), section CONFIGURATION FILES; the configuration
// directory, ConfigError and read_file are config.hpp, secrets.conf is
// secrets.hpp, editing either file is admin/config_edit.hpp.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "camrelay/config.hpp"
#include "camrelay/key.hpp"

namespace camrelay {

inline constexpr unsigned kDefaultMaxViewers = 2;
inline constexpr unsigned kMaxMaxViewers = 1000;

struct Tunnel {
    enum class Kind { port, socket, upstream };
    Kind kind = Kind::port;
    std::string host;  // "127.0.0.1" for Kind::port; the host for upstream (an IPv6 address without brackets)
    std::uint16_t port = 0;
    std::string path;              // Kind::socket only
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
    int default_line = 0;        // where `default` was given (0: none)
    const Camera* find(std::string_view id) const;
};

// Parse the text of cameras.conf. `file` is only used in error messages.
// Throws ConfigError, with the line, for anything the grammar refuses.
Registry parse_registry(std::string_view text, const std::string& file);

// Read and parse; a missing or unreadable file is a ConfigError with line 0.
Registry load_registry(const std::string& path);

// The option names of a camera line: the tunnel's (port, socket, upstream),
// and every one.
bool is_tunnel_option(std::string_view name);
bool is_camera_option(std::string_view name);

}  // namespace camrelay
