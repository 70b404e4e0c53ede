// camrelay admin: replacing a configuration file at once (atomic_file.hpp).
#include "camrelay/admin/atomic_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

namespace camrelay {

void write_file_atomically(const std::string& path, std::string_view content, mode_t mode, uid_t uid, gid_t gid) {
    std::string dir;
    std::string base;
    if (std::size_t slash = path.rfind('/'); slash == std::string::npos) {
        dir = ".";
        base = path;
    } else {
        dir = slash == 0 ? "/" : path.substr(0, slash);
        base = path.substr(slash + 1);
    }
    if (base.empty()) throw ConfigError(path, 0, "not a file name");
    std::string tmp = (dir == "/" ? "" : dir) + "/." + base + ".tmpXXXXXX";
    int fd = ::mkstemp(tmp.data());
    if (fd < 0) throw ConfigError(path, 0, std::string("cannot create a temporary file: ") + std::strerror(errno));
    auto fail = [&](const char* step) {
        int err = errno;
        ::close(fd);
        ::unlink(tmp.c_str());
        throw ConfigError(path, 0, std::string(step) + ": " + std::strerror(err));
    };
    // Restrict the mode before any byte is written, then write everything.
    if (::fchmod(fd, mode) != 0) fail("cannot chmod");
    const char* p = content.data();
    std::size_t left = content.size();
    while (left > 0) {
        ssize_t n = ::write(fd, p, left);
        if (n < 0) {
            if (errno == EINTR) continue;
            fail("cannot write");
        }
        p += n;
        left -= static_cast<std::size_t>(n);
    }
    if ((uid != static_cast<uid_t>(-1) || gid != static_cast<gid_t>(-1)) && ::fchown(fd, uid, gid) != 0)
        fail("cannot chown");
    if (::fchmod(fd, mode) != 0) fail("cannot chmod");  // chown may clear set-id bits
    if (::fsync(fd) != 0) fail("cannot fsync");
    if (::close(fd) != 0) {
        int err = errno;
        ::unlink(tmp.c_str());
        throw ConfigError(path, 0, std::string("cannot close: ") + std::strerror(err));
    }
    if (::rename(tmp.c_str(), path.c_str()) != 0) {
        int err = errno;
        ::unlink(tmp.c_str());
        throw ConfigError(path, 0, std::string("cannot rename into place: ") + std::strerror(err));
    }
    // Make the rename itself durable.
    int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
        int rc = ::fsync(dfd);
        int err = errno;
        ::close(dfd);
        if (rc != 0) throw ConfigError(path, 0, std::string("cannot fsync the directory: ") + std::strerror(err));
    }
}

}  // namespace camrelay
