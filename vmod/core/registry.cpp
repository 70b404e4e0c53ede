#include "registry.hpp"
namespace camrelay {
ConfigError::ConfigError(std::string file, int line, std::string reason)
    : std::runtime_error(file + ":" + std::to_string(line) + ": " + reason), file_(std::move(file)), line_(line), reason_(std::move(reason)) {}
std::string Tunnel::describe() const { return {}; }
const Camera* Registry::find(std::string_view) const { return nullptr; }
Registry parse_registry(std::string_view, const std::string&) { return {}; }
SecretSet parse_secrets(std::string_view, const std::string&) { return {}; }
Registry load_registry(const std::string&) { return {}; }
SecretSet load_secrets(const std::string&) { return {}; }
std::string config_dir(std::string_view) { return kDefaultConfigDir; }
std::string format_camera_line(const Camera&) { return {}; }
std::string registry_add_camera(std::string_view t, const Camera&, const std::string&) { return std::string(t); }
std::string registry_remove_camera(std::string_view t, std::string_view, const std::string&) { return std::string(t); }
std::string registry_set_default(std::string_view t, std::string_view, const std::string&) { return std::string(t); }
std::string registry_set_option(std::string_view t, std::string_view, std::string_view, std::string_view, const std::string&) { return std::string(t); }
std::string format_secret_line(const Secret&) { return {}; }
std::string secrets_add(std::string_view t, const Secret&, const std::string&) { return std::string(t); }
std::string secrets_set_primary(std::string_view t, std::string_view, const std::string&) { return std::string(t); }
std::string secrets_remove(std::string_view t, std::string_view, const std::string&) { return std::string(t); }
std::string read_file(const std::string&) { return {}; }
void write_file_atomically(const std::string&, std::string_view, mode_t, uid_t, gid_t) {}
}  // namespace camrelay
