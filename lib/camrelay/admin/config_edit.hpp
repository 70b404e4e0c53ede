// camrelay admin: editing cameras.conf and secrets.conf for the CLI, keeping
// every other line (comments included) as it is. The grammars are specified
// in vmod_camrelay(3) (vmod/vmod_camrelay.vcc), section CONFIGURATION FILES.
//
// Each function refuses (ConfigError) text that does not parse, and re-parses
// its result. Errors that are not about a line ("no camera ...") have line 0.
#pragma once

#include <string>
#include <string_view>

#include "camrelay/registry.hpp"
#include "camrelay/secrets.hpp"

namespace camrelay {

// --- cameras.conf

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

// --- secrets.conf

std::string format_secret_line(const Secret& secret);
std::string secrets_add(std::string_view text, const Secret& secret, const std::string& file);
// Make `id` the only primary (adds or removes the "primary" word in place).
std::string secrets_set_primary(std::string_view text, std::string_view id, const std::string& file);
std::string secrets_remove(std::string_view text, std::string_view id, const std::string& file);

}  // namespace camrelay
