// camrelay core: secrets.conf, the signing secrets. Its grammar is specified
// in vmod_camrelay(3) (vmod/vmod_camrelay.vcc), section CONFIGURATION FILES.
#pragma once

#include <string>
#include <string_view>

#include "camrelay/config.hpp"
#include "camrelay/key.hpp"

namespace camrelay {

// Parse the text of secrets.conf. `file` is only used in error messages,
// which never echo anything from a line but a valid secret id.
SecretSet parse_secrets(std::string_view text, const std::string& file);

// Read and parse. A missing file yields an empty SecretSet (only legacy keys
// work); one that is not a regular file or that others may access in any way
// (mode & 007), or that cannot be read, is a ConfigError with line 0.
SecretSet load_secrets(const std::string& path);

}  // namespace camrelay
