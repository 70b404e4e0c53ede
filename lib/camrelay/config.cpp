// camrelay core: the configuration directory and reading its files
// (config.hpp).
#include "camrelay/config.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

namespace camrelay {

namespace {

constexpr std::size_t kMaxConfigFileSize = 16 * 1024 * 1024;

std::string make_what(const std::string& file, int line, const std::string& reason) {
    if (line > 0) return file + ":" + std::to_string(line) + ": " + reason;
    return file + ": " + reason;
}

}  // namespace

ConfigError::ConfigError(std::string file, int line, std::string reason)
    : std::runtime_error(make_what(file, line, reason)),
      file_(std::move(file)),
      line_(line),
      reason_(std::move(reason)) {}

std::string config_dir(std::string_view explicit_dir) {
    if (!explicit_dir.empty()) return std::string(explicit_dir);
    if (const char* env = std::getenv(kConfigDirEnv); env != nullptr && *env != '\0') return env;
    return kDefaultConfigDir;
}

std::string read_file(int fd, const std::string& path) {
    std::string out;
    char buf[65536];
    while (true) {
        ssize_t n = ::read(fd, buf, sizeof buf);
        if (n < 0) {
            if (errno == EINTR) continue;
            int err = errno;
            ::close(fd);
            throw ConfigError(path, 0, std::string("cannot read: ") + std::strerror(err));
        }
        if (n == 0) break;
        if (out.size() + static_cast<std::size_t>(n) > kMaxConfigFileSize) {
            ::close(fd);
            throw ConfigError(path, 0, "file is larger than " + std::to_string(kMaxConfigFileSize) + " bytes");
        }
        out.append(buf, static_cast<std::size_t>(n));
    }
    ::close(fd);
    OPENSSL_cleanse(buf, sizeof buf);  // the buffer may have held secrets
    return out;
}

std::string read_file(const std::string& path) {
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) throw ConfigError(path, 0, std::string("cannot open: ") + std::strerror(errno));
    return read_file(fd, path);
}

}  // namespace camrelay
