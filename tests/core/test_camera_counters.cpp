// The per-camera counters' logic in the core (relay.hpp): the PipeAcct
// record's byte counts, a tunnel's history, the listening ports from the
// kernel's socket diagnostics.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdint>

#include "camrelay/relay.hpp"
#include "camrelay/tunnel_status.hpp"

namespace camrelay {
namespace {

TEST(PipeAcct, ReadsTheBytesEachWay) {
    const auto bytes = parse_pipe_acct("271 312 5 86");
    ASSERT_TRUE(bytes.has_value());
    EXPECT_EQ(bytes->in, 5u);
    EXPECT_EQ(bytes->out, 86u);
}

TEST(PipeAcct, ReadsSixtyFourBitCounts) {
    const auto bytes = parse_pipe_acct("0 0 18446744073709551615 4294967296");
    ASSERT_TRUE(bytes.has_value());
    EXPECT_EQ(bytes->in, 18446744073709551615u);
    EXPECT_EQ(bytes->out, 4294967296u);
}

TEST(PipeAcct, RefusesAnythingElse) {
    for (const char* text : {"", "1 2 3", "1 2 3 4 5", "1 2 3 4 ", " 1 2 3 4", "1  2 3 4", "1 2 3 x", "1 2 -3 4",
                             "1 2 3 18446744073709551616", "1\t2 3 4"})
        EXPECT_FALSE(parse_pipe_acct(text).has_value()) << '"' << text << '"';
}

TEST(TunnelHistory, FirstLookSetsTheStateWithoutAChange) {
    TunnelHistory h;
    EXPECT_FALSE(h.seen());
    h.observe(true, 1000);
    EXPECT_TRUE(h.seen());
    EXPECT_TRUE(h.up());
    EXPECT_EQ(h.changed(), 0);
    EXPECT_EQ(h.connects(), 0u);
    h.observe(true, 1001);
    EXPECT_EQ(h.changed(), 0);
}

TEST(TunnelHistory, CountsComingUpAndRemembersWhen) {
    TunnelHistory h;
    h.observe(false, 1000);
    h.observe(false, 1001);
    h.observe(true, 1002);
    EXPECT_TRUE(h.up());
    EXPECT_EQ(h.changed(), 1002);
    EXPECT_EQ(h.connects(), 1u);
    h.observe(true, 1003);
    EXPECT_EQ(h.changed(), 1002);
    h.observe(false, 1010);
    EXPECT_FALSE(h.up());
    EXPECT_EQ(h.changed(), 1010);
    EXPECT_EQ(h.connects(), 1u);  // going down is not a connect
    h.observe(true, 1020);
    EXPECT_EQ(h.connects(), 2u);
    EXPECT_EQ(h.connects_last_hour(1020), 2u);
}

TEST(TunnelHistory, LastHourForgetsOlderConnectsToTheMinute) {
    TunnelHistory h;
    const std::int64_t minute_start = 1'700'000'040;  // 60 divides it
    const std::int64_t t0 = minute_start + 20;
    h.observe(false, t0);
    for (int i = 0; i < 3; ++i) {  // three connects within one minute
        h.observe(true, t0 + 2 * i + 1);
        h.observe(false, t0 + 2 * i + 2);
    }
    h.observe(true, t0 + 1800);  // one half an hour later
    EXPECT_EQ(h.connects(), 4u);
    EXPECT_EQ(h.connects_last_hour(t0 + 1800), 4u);
    // The first minute's connects count for 60 minutes from its start.
    EXPECT_EQ(h.connects_last_hour(minute_start + 3599), 4u);
    EXPECT_EQ(h.connects_last_hour(minute_start + 3600), 1u);
    EXPECT_EQ(h.connects_last_hour(t0 + 1800 + 3600), 0u);
    EXPECT_EQ(h.connects(), 4u);  // the total never forgets
}

TEST(TunnelHistory, ABucketReusedAnHourLaterStartsAgain) {
    TunnelHistory h;
    const std::int64_t t0 = 1'700'000'000 - 1'700'000'000 % 60;
    h.observe(false, t0);
    h.observe(true, t0 + 1);
    h.observe(false, t0 + 2);
    h.observe(true, t0 + 3600 + 1);  // the same bucket, an hour later
    EXPECT_EQ(h.connects_last_hour(t0 + 3600 + 1), 1u);
    EXPECT_EQ(h.connects(), 2u);
}

TEST(TunnelHistory, AnotherListenerWhileUpIsAReconnect) {
    TunnelHistory h;
    h.observe(true, 1000, 41);
    h.observe(true, 1001, 41);
    EXPECT_EQ(h.connects(), 0u);
    h.observe(true, 1002, 97);  // gone and back between two looks
    EXPECT_TRUE(h.up());
    EXPECT_EQ(h.changed(), 1002);
    EXPECT_EQ(h.connects(), 1u);
    EXPECT_EQ(h.connects_last_hour(1002), 1u);
    h.observe(true, 1003, 97);
    EXPECT_EQ(h.connects(), 1u);
}

TEST(TunnelHistory, AnUnknownListenerIsNoReconnect) {
    TunnelHistory h;
    h.observe(true, 1000, 41);
    h.observe(true, 1001, 0);  // not known this time (/proc without inodes)
    h.observe(true, 1002, 41);
    h.observe(true, 1003, 0);
    EXPECT_EQ(h.connects(), 0u);
    EXPECT_EQ(h.changed(), 0);
    h.observe(false, 1004, 0);
    h.observe(true, 1005, 55);  // down then up: one connect, whatever the listener
    EXPECT_EQ(h.connects(), 1u);
}

TEST(TunnelHistory, ATimeBeforeTheCountedMinutesCountsNothingNewer) {
    TunnelHistory h;
    h.observe(false, 6000);
    h.observe(true, 6001);
    EXPECT_EQ(h.connects_last_hour(5000), 0u);  // the clock went back: the future is not "the last hour"
}

// A listening TCP socket on `address` (IPv4 text), port chosen by the
// kernel; -1 if it cannot be made.
int listen_on(const char* address, std::uint16_t& port) {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return -1;
    sockaddr_in a{};
    a.sin_family = AF_INET;
    ::inet_pton(AF_INET, address, &a.sin_addr);
    socklen_t len = sizeof a;
    if (::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || ::listen(fd, 1) != 0 ||
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) != 0) {
        ::close(fd);
        return -1;
    }
    port = ntohs(a.sin_port);
    return fd;
}

TEST(LoopbackTcpListeners, SeesWhatListensOnLoopbackAndAnyAsProcDoes) {
    std::uint16_t loopback = 0, any = 0;
    const int a = listen_on("127.0.0.1", loopback);
    const int b = listen_on("0.0.0.0", any);
    ASSERT_GE(a, 0);
    ASSERT_GE(b, 0);
    const auto ports = loopback_tcp_listeners();
    if (!ports) GTEST_SKIP() << "no NETLINK_SOCK_DIAG here";
    EXPECT_TRUE(ports->count(loopback));
    EXPECT_TRUE(ports->count(any));
    // The same answer as the tunnel check's /proc reading, for these two.
    const ListenTable table = read_listen_table();
    EXPECT_EQ(table.loopback_ports.count(loopback), ports->count(loopback));
    EXPECT_EQ(table.loopback_ports.count(any), ports->count(any));
    ::close(a);
    ::close(b);
    const auto after = loopback_tcp_listeners();
    ASSERT_TRUE(after.has_value());
    EXPECT_FALSE(after->count(loopback));
    EXPECT_FALSE(after->count(any));
}

TEST(LoopbackTcpListeners, ANewListenerOnThePortHasAnotherInode) {
    std::uint16_t port = 0;
    const int first = listen_on("127.0.0.1", port);
    ASSERT_GE(first, 0);
    const auto before = loopback_tcp_listeners();
    if (!before) GTEST_SKIP() << "no NETLINK_SOCK_DIAG here";
    ASSERT_TRUE(before->count(port));
    ::close(first);
    // The same port again, as sshd takes it for the camera's next connection.
    const int second = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    const int yes = 1;
    ::setsockopt(second, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    ::inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
    ASSERT_EQ(::bind(second, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
    ASSERT_EQ(::listen(second, 1), 0);
    const auto after = loopback_tcp_listeners();
    ASSERT_TRUE(after.has_value());
    ASSERT_TRUE(after->count(port));
    EXPECT_NE(after->at(port), before->at(port));
    EXPECT_NE(after->at(port), 0u);
    ::close(second);
}

TEST(LoopbackTcpListeners, AConnectedSocketIsNoListener) {
    std::uint16_t port = 0;
    const int server = listen_on("127.0.0.1", port);
    ASSERT_GE(server, 0);
    const int client = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in to{};
    to.sin_family = AF_INET;
    to.sin_port = htons(port);
    ::inet_pton(AF_INET, "127.0.0.1", &to.sin_addr);
    ASSERT_EQ(::connect(client, reinterpret_cast<sockaddr*>(&to), sizeof to), 0);
    sockaddr_in mine{};
    socklen_t len = sizeof mine;
    ASSERT_EQ(::getsockname(client, reinterpret_cast<sockaddr*>(&mine), &len), 0);
    const auto ports = loopback_tcp_listeners();
    if (!ports) GTEST_SKIP() << "no NETLINK_SOCK_DIAG here";
    EXPECT_TRUE(ports->count(port));
    EXPECT_FALSE(ports->count(ntohs(mine.sin_port)));  // the client's own port: connected, not listening
    ::close(client);
    ::close(server);
}

}  // namespace
}  // namespace camrelay
