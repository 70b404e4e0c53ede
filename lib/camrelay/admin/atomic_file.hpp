// camrelay admin: replacing a configuration file at once.
#pragma once

#include <sys/types.h>

#include <string>
#include <string_view>

#include "camrelay/config.hpp"

namespace camrelay {

// Write to a temporary file in the same directory, fsync, chmod/chown, then
// rename over `path` and fsync the directory: readers see the old file or the
// new one, never a mix. The mode is set before any byte is written.
// uid/gid of -1 leave ownership as the creating process's. Throws
// ConfigError(path, 0, reason); the temporary file is removed on failure.
void write_file_atomically(const std::string& path, std::string_view content, mode_t mode,
                           uid_t uid = static_cast<uid_t>(-1), gid_t gid = static_cast<gid_t>(-1));

}  // namespace camrelay
