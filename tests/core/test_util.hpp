// Helpers shared by the core tests.
#pragma once

#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "camrelay/registry.hpp"

namespace camrelay::test {

// A fresh directory under $TMPDIR, removed with everything in it.
class TempDir {
public:
    TempDir() {
        const char* base = std::getenv("TMPDIR");
        std::string tmpl = std::string(base && *base ? base : "/tmp") + "/camrelay-core-XXXXXX";
        if (::mkdtemp(tmpl.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
        path_ = tmpl;
    }
    ~TempDir() {
        std::error_code ec;
        std::filesystem::remove_all(path_, ec);
    }
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    const std::string& path() const { return path_; }
    std::string file(const std::string& name) const { return path_ + "/" + name; }
    std::string write(const std::string& name, const std::string& content, mode_t mode = 0644) const {
        std::string p = file(name);
        std::filesystem::create_directories(std::filesystem::path(p).parent_path());
        std::ofstream(p, std::ios::binary | std::ios::trunc) << content;
        ::chmod(p.c_str(), mode);
        return p;
    }

private:
    std::string path_;
};

inline std::vector<std::uint8_t> bytes_0_to_31() {
    std::vector<std::uint8_t> v(32);
    for (int i = 0; i < 32; ++i) v[static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(i);
    return v;
}

// Three cameras: cam1 on port 18080, cam2 on port 18081, front-door on a
// Unix socket; `more` (a default line, say) follows them.
inline Registry three_cameras(const std::string& more = "") {
    return parse_registry(
        "camera cam1 port=18080\n"
        "camera cam2 port=18081\n"
        "camera front-door socket=/run/camrelay/front-door.sock\n" +
            more,
        "cameras.conf");
}

// A TCP socket bound to a free port of 127.0.0.1, not listening yet: its
// descriptor in `fd`, the port in `port`. Call it in ASSERT_NO_FATAL_FAILURE.
inline void bind_loopback(int& fd, std::uint16_t& port) {
    fd = ::socket(AF_INET, SOCK_STREAM, 0);
    ASSERT_GE(fd, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
    socklen_t len = sizeof a;
    ASSERT_EQ(::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len), 0);
    port = ntohs(a.sin_port);
}

}  // namespace camrelay::test
