// Tunnel status from /proc/net: fake proc trees, plus one real socket.
#include <gtest/gtest.h>

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>
#include <thread>

#include "test_util.hpp"
#include "camrelay/tunnel_status.hpp"

using namespace camrelay;

namespace {

// Sample lines in the kernel's format (little-endian host, as on x86-64 and arm64).
const char* kTcp =
    "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n"
    "   0: 0100007F:46A0 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1001 1 0 100 0 0 10 0\n"
    "   1: 00000000:0016 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1002 1 0 100 0 0 10 0\n"
    "   2: 0501A8C0:2328 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1003 1 0 100 0 0 10 0\n"
    "   3: 0100007F:46A1 0100007F:B3E2 01 00000000:00000000 00:00000000 00000000     0        0 1004 1 0 100 0 0 10 0\n"
    "   4: 0200007F:46A2 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1005 1 0 100 0 0 10 0\n"
    "   5: garbage line\n"
    "   6: 0100007F:ZZZZ 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1006 1\n";

const char* kTcp6 =
    "  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n"
    "   0: 00000000000000000000000001000000:46AA 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 2001 1 0 100 0 0 10 0\n"
    "   1: 00000000000000000000000000000000:46AB 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 2002 1 0 100 0 0 10 0\n"
    "   2: B80D0120000000000000000001000000:46AC 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 2003 1 0 100 0 0 10 0\n"
    "   3: 0000000000000000FFFF00000100007F:46AD 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 2004 1 0 100 0 0 10 0\n"
    "   4: 00000000000000000000000001000000:46AE 00000000000000000000000001000000:9C40 01 00000000:00000000 00:00000000 00000000     0        0 2005 1 0 100 0 0 10 0\n";

const char* kUnix =
    "Num       RefCount Protocol Flags    Type St Inode Path\n"
    "0000000000000000: 00000002 00000000 00010000 0001 01 30001 /run/camrelay/cam3.sock\n"
    "0000000000000000: 00000003 00000000 00000000 0001 03 30002 /run/camrelay/connected.sock\n"
    "0000000000000000: 00000002 00000000 00010000 0001 01 30003 @abstract-listener\n"
    "0000000000000000: 00000002 00000000 00000000 0002 01 30004\n"
    "0000000000000000: 00000002 00000000 00010000 0001 01 30005 /tmp/with space.sock\n"
    "0000000000000000: 00000002 00000000 00010000 0005 01 30006 /run/seqpacket.sock\n";

Tunnel port(std::uint16_t p) {
    Tunnel t;
    t.kind = Tunnel::Kind::port;
    t.host = "127.0.0.1";
    t.port = p;
    return t;
}

Tunnel sock(const std::string& path) {
    Tunnel t;
    t.kind = Tunnel::Kind::socket;
    t.path = path;
    return t;
}

std::string fake_proc(const test::TempDir& dir, const char* tcp, const char* tcp6, const char* unix_) {
    if (tcp) dir.write("net/tcp", tcp);
    if (tcp6) dir.write("net/tcp6", tcp6);
    if (unix_) dir.write("net/unix", unix_);
    return dir.path();
}

}  // namespace

TEST(ListenTable, ReadsTcpTcp6AndUnix) {
    test::TempDir dir;
    ListenTable t = read_listen_table(fake_proc(dir, kTcp, kTcp6, kUnix));
    EXPECT_EQ(t.loopback_ports, (std::set<std::uint16_t>{18080, 22, 18082, 18090, 18091, 18093}));
    EXPECT_EQ(t.unix_paths,
              (std::set<std::string>{"/run/camrelay/cam3.sock", "/tmp/with space.sock", "/run/seqpacket.sock"}));
}

TEST(ListenTable, TunnelUp) {
    test::TempDir dir;
    ListenTable t = read_listen_table(fake_proc(dir, kTcp, kTcp6, kUnix));
    EXPECT_TRUE(tunnel_up(port(18080), t));   // 127.0.0.1 LISTEN
    EXPECT_FALSE(tunnel_up(port(18081), t));  // established, not listening
    EXPECT_TRUE(tunnel_up(port(18082), t));   // 127.0.0.2 is loopback too
    EXPECT_FALSE(tunnel_up(port(9000), t));   // 192.168.1.5 is not loopback
    EXPECT_TRUE(tunnel_up(port(18090), t));   // ::1
    EXPECT_TRUE(tunnel_up(port(18091), t));   // ::
    EXPECT_FALSE(tunnel_up(port(18092), t));  // 2001:db8::1
    EXPECT_TRUE(tunnel_up(port(18093), t));   // ::ffff:127.0.0.1
    EXPECT_FALSE(tunnel_up(port(18094), t));  // ::1 but established
    EXPECT_TRUE(tunnel_up(sock("/run/camrelay/cam3.sock"), t));
    EXPECT_FALSE(tunnel_up(sock("/run/camrelay/connected.sock"), t));
    EXPECT_FALSE(tunnel_up(sock("/run/camrelay/missing.sock"), t));
    EXPECT_FALSE(tunnel_up(sock("abstract-listener"), t));
    EXPECT_FALSE(tunnel_up(sock("@abstract-listener"), t));
    Tunnel up;
    up.kind = Tunnel::Kind::upstream;
    up.host = "10.0.0.2";
    up.port = 80;
    EXPECT_TRUE(tunnel_up(up, ListenTable{}));
}

TEST(ListenTable, MissingFilesAreEmpty) {
    test::TempDir dir;
    ListenTable t = read_listen_table(dir.path());
    EXPECT_TRUE(t.loopback_ports.empty());
    EXPECT_TRUE(t.unix_paths.empty());
    test::TempDir v4only;
    t = read_listen_table(fake_proc(v4only, kTcp, nullptr, nullptr));
    EXPECT_EQ(t.loopback_ports.size(), 3u);
    EXPECT_TRUE(t.unix_paths.empty());
    EXPECT_TRUE(read_listen_table("/nonexistent/proc").loopback_ports.empty());
}

TEST(ListenCache, RereadsOnlyWhenOld) {
    test::TempDir dir;
    fake_proc(dir, kTcp, nullptr, "Num       RefCount Protocol Flags    Type St Inode Path\n");
    ListenCache slow(std::chrono::hours(1), dir.path());
    ListenCache fast(std::chrono::milliseconds(0), dir.path());
    EXPECT_TRUE(slow.up(port(18080)));
    EXPECT_TRUE(fast.up(port(18080)));
    EXPECT_FALSE(slow.up(sock("/run/camrelay/cam3.sock")));
    // The tunnel goes down and the socket appears.
    dir.write("net/tcp", "  sl  local_address rem_address   st\n");
    dir.write("net/unix", kUnix);
    EXPECT_TRUE(slow.up(port(18080)));  // cached
    EXPECT_FALSE(fast.up(port(18080)));
    EXPECT_TRUE(fast.up(sock("/run/camrelay/cam3.sock")));
    Tunnel up;
    up.kind = Tunnel::Kind::upstream;
    EXPECT_TRUE(fast.up(up));
}

// A tunnel that came up after the cached reading is not called down from it
// (the module's watcher reads every tunnel once a second, a viewer may come
// right after the tunnel): a "down" from a reading older than kDownRecheck is
// checked in a fresh one; an "up" is kept for max_age.
TEST(ListenCache, DownIsRecheckedInAFreshReading) {
    test::TempDir dir;
    fake_proc(dir, kTcp, nullptr, "Num       RefCount Protocol Flags    Type St Inode Path\n");
    ListenCache slow(std::chrono::hours(1), dir.path());
    EXPECT_FALSE(slow.up(sock("/run/camrelay/cam3.sock")));
    EXPECT_TRUE(slow.up(port(18080)));
    // The socket's tunnel comes up, the port's goes down.
    dir.write("net/tcp", "  sl  local_address rem_address   st\n");
    dir.write("net/unix", kUnix);
    std::this_thread::sleep_for(ListenCache::kDownRecheck + std::chrono::milliseconds(10));
    EXPECT_TRUE(slow.up(sock("/run/camrelay/cam3.sock")));  // read again
    EXPECT_FALSE(slow.up(port(18080)));                     // from that fresh reading
}

TEST(ListenCache, SharedByThreads) {
    test::TempDir dir;
    fake_proc(dir, kTcp, kTcp6, kUnix);
    ListenCache cache(std::chrono::milliseconds(1), dir.path());
    std::vector<std::thread> threads;
    std::atomic<int> wrong{0};
    for (int i = 0; i < 4; ++i)
        threads.emplace_back([&] {
            for (int j = 0; j < 200; ++j)
                if (!cache.up(port(18080)) || cache.up(port(9000))) ++wrong;
        });
    for (auto& t : threads) t.join();
    EXPECT_EQ(wrong.load(), 0);
}

TEST(ListenTable, RealProcSeesRealListeners) {
    if (::access("/proc/net/tcp", R_OK) != 0) GTEST_SKIP() << "no /proc/net/tcp";
    int fd = -1;
    std::uint16_t p = 0;
    ASSERT_NO_FATAL_FAILURE(test::bind_loopback(fd, p));
    EXPECT_FALSE(tunnel_up(port(p), read_listen_table()));  // bound, not listening
    ASSERT_EQ(::listen(fd, 1), 0);
    EXPECT_TRUE(tunnel_up(port(p), read_listen_table()));

    test::TempDir dir;
    std::string path = dir.file("tunnel.sock");
    int ufd = ::socket(AF_UNIX, SOCK_STREAM, 0);
    ASSERT_GE(ufd, 0);
    sockaddr_un u{};
    u.sun_family = AF_UNIX;
    ASSERT_LT(path.size(), sizeof u.sun_path);
    std::memcpy(u.sun_path, path.c_str(), path.size() + 1);
    ASSERT_EQ(::bind(ufd, reinterpret_cast<sockaddr*>(&u), sizeof u), 0);
    EXPECT_FALSE(tunnel_up(sock(path), read_listen_table()));
    ASSERT_EQ(::listen(ufd, 1), 0);
    EXPECT_TRUE(tunnel_up(sock(path), read_listen_table()));
    ::close(ufd);
    ::close(fd);
    EXPECT_FALSE(tunnel_up(port(p), read_listen_table()));
    EXPECT_FALSE(tunnel_up(sock(path), read_listen_table()));
}
