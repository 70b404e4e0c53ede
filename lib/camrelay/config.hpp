// camrelay core: the configuration directory and reading its files.
//
//   cameras.conf  the camera registry (registry.hpp), world-readable,
//                 edited by `camrelay camera`
//   secrets.conf  the signing secrets (secrets.hpp), mode 0640 root:varnish,
//                 edited by `camrelay secret`
//
// Both grammars are specified in vmod_camrelay(3) (vmod/vmod_camrelay.vcc),
// section CONFIGURATION FILES. Editing them is admin/config_edit.hpp,
// writing them admin/atomic_file.hpp.
#pragma once

#include <stdexcept>
#include <string>
#include <string_view>

namespace camrelay {

inline constexpr const char* kDefaultConfigDir = "/etc/camrelay";
inline constexpr const char* kConfigDirEnv = "CAMRELAY_CONFIG";
inline constexpr const char* kCamerasFile = "cameras.conf";
inline constexpr const char* kSecretsFile = "secrets.conf";

// Every error about a configuration file. what() is "FILE:LINE: reason", or
// "FILE: reason" when the error is about the whole file (line 0). Reasons
// never contain secret material.
class ConfigError : public std::runtime_error {
public:
    ConfigError(std::string file, int line, std::string reason);
    const std::string& file() const { return file_; }
    int line() const { return line_; }  // 0 when the error is about the whole file
    const std::string& reason() const { return reason_; }

private:
    std::string file_;
    int line_;
    std::string reason_;
};

// explicit_dir if not empty, else $CAMRELAY_CONFIG if set and not empty,
// else /etc/camrelay.
std::string config_dir(std::string_view explicit_dir = {});

// The whole file; throws ConfigError(path, 0, reason) if it cannot be
// opened or read or is larger than 16 MiB.
std::string read_file(const std::string& path);
// The same from a descriptor already open on `path` (for a caller that
// checks the file it opened before reading it); closes `fd`.
std::string read_file(int fd, const std::string& path);

}  // namespace camrelay
