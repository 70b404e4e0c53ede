// wanem: a WAN between two network namespaces, in user space, for hosts
// whose kernel has no sch_netem. Two TUN devices (IFF_TUN | IFF_NO_PI), one
// made inside each namespace and given a point-to-point address; every IP
// packet read from one is written into the other after the profile of its
// direction (tests/wan/wan_link.hpp: delay, jitter with or without
// reordering, random or bursty loss, a rate limit with a tail-drop queue).
// A `down` switch drops everything (a link that fails): SIGUSR1 sets it,
// SIGUSR2 clears it, and with --control FILE the file's first word does
// ("down" or anything else for up; read every 20 ms, acted on when it
// changes). SIGHUP prints the
// counters, SIGINT and SIGTERM print them and exit.
//
//   wanem --a NS:DEV:ADDR --b NS:DEV:ADDR [--ab PROFILE] [--ba PROFILE]
//         [--both PROFILE] [--seed N] [--mtu BYTES] [--control FILE]
//         [--stats FILE] [--priority N]
//
// NS is a name in /run/netns (ip netns add), a path, or "-" for the
// namespace wanem runs in; ADDR the device's IPv4 address, the other side's
// ADDR its peer. --ab is the profile from a to b, --ba from b to a. Once
// both devices are up wanem prints "wanem: ready" on standard output. With
// --stats FILE the counters are written there (key=value lines) whenever
// they are printed.
//
// Timing: CLOCK_MONOTONIC, one timerfd armed (absolute) for the earliest
// departure, a binary heap of packets in flight, 1 ns timer slack, and
// SCHED_FIFO priority N (default 20; 0: the normal scheduler) so that a busy
// machine does not add its scheduling delays to the link's: on 2 busy cores
// a 20 ms + 20 ms ping took 40-76 ms without it, 40.1-40.5 ms with it. The
// emulator only wakes when a packet comes or leaves, so it cannot starve the
// machine.
#include <arpa/inet.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <sched.h>
#include <sys/mman.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "wan_link.hpp"

namespace {

[[noreturn]] void fatal(const std::string& what) {
    std::fprintf(stderr, "wanem: %s\n", what.c_str());
    std::exit(1);
}
[[noreturn]] void fatal_errno(const std::string& what) { fatal(what + ": " + std::strerror(errno)); }

std::int64_t now_ns() {
    timespec ts{};
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return static_cast<std::int64_t>(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

struct Side {
    std::string ns, dev, addr;
    int fd = -1;
};

Side parse_side(const std::string& spec) {
    Side s;
    std::size_t c1 = spec.find(':'), c2 = spec.rfind(':');
    if (c1 == std::string::npos || c1 == c2) fatal("expected NS:DEV:ADDR, got \"" + spec + "\"");
    s.ns = spec.substr(0, c1);
    s.dev = spec.substr(c1 + 1, c2 - c1 - 1);
    s.addr = spec.substr(c2 + 1);
    if (s.dev.empty() || s.dev.size() >= IFNAMSIZ) fatal("bad device name in \"" + spec + "\"");
    in_addr a{};
    if (inet_pton(AF_INET, s.addr.c_str(), &a) != 1) fatal("bad IPv4 address in \"" + spec + "\"");
    return s;
}

void enter_ns(const std::string& ns, int home) {
    int fd = home;
    if (ns != "-") {
        std::string path = ns.find('/') == std::string::npos ? "/run/netns/" + ns : ns;
        fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
        if (fd < 0) fatal_errno("open " + path);
    }
    if (setns(fd, CLONE_NEWNET) != 0) fatal_errno("setns " + ns);
    if (fd != home) close(fd);
}

void set_addr(ifreq& ifr, const std::string& addr) {
    sockaddr_in sin{};
    sin.sin_family = AF_INET;
    inet_pton(AF_INET, addr.c_str(), &sin.sin_addr);
    std::memcpy(&ifr.ifr_addr, &sin, sizeof sin);
}

// The TUN device of SIDE in its namespace, up, ADDR peer PEER.
void open_tun(Side& side, const std::string& peer, int mtu, int home) {
    enter_ns(side.ns, home);
    side.fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
    if (side.fd < 0) fatal_errno("open /dev/net/tun in " + side.ns);
    ifreq ifr{};
    ifr.ifr_flags = IFF_TUN | IFF_NO_PI;
    std::strncpy(ifr.ifr_name, side.dev.c_str(), IFNAMSIZ - 1);
    if (ioctl(side.fd, TUNSETIFF, &ifr) != 0) fatal_errno("TUNSETIFF " + side.dev + " in " + side.ns);
    int sock = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (sock < 0) fatal_errno("socket");
    auto request = [&](unsigned long op, const char* what) {
        if (ioctl(sock, op, &ifr) != 0) fatal_errno(std::string(what) + " " + side.dev + " in " + side.ns);
    };
    ifr = {};
    std::strncpy(ifr.ifr_name, side.dev.c_str(), IFNAMSIZ - 1);
    ifr.ifr_mtu = mtu;
    request(SIOCSIFMTU, "SIOCSIFMTU");
    ifr.ifr_qlen = 1000;
    request(SIOCSIFTXQLEN, "SIOCSIFTXQLEN");
    set_addr(ifr, side.addr);
    request(SIOCSIFADDR, "SIOCSIFADDR");
    set_addr(ifr, peer);
    request(SIOCSIFDSTADDR, "SIOCSIFDSTADDR");
    set_addr(ifr, "255.255.255.255");
    request(SIOCSIFNETMASK, "SIOCSIFNETMASK");
    request(SIOCGIFFLAGS, "SIOCGIFFLAGS");
    ifr.ifr_flags = static_cast<short>(ifr.ifr_flags | IFF_UP | IFF_RUNNING);
    request(SIOCSIFFLAGS, "SIOCSIFFLAGS");
    close(sock);
}

struct InFlight {
    std::int64_t at;
    std::uint64_t seq;  // ties leave in the order they came
    int to;             // 0: written into a, 1: into b
    std::vector<unsigned char> data;
};
bool later(const InFlight& x, const InFlight& y) { return x.at != y.at ? x.at > y.at : x.seq > y.seq; }

struct Emulator {
    Side side[2];
    wan::Link* link[2] = {nullptr, nullptr};  // link[0]: a -> b, link[1]: b -> a
    std::vector<InFlight> heap;
    std::vector<std::vector<unsigned char>> spare;
    std::uint64_t seq = 0;
    std::uint64_t write_errors[2] = {0, 0};
    bool down = false;
    int timer = -1;
    std::int64_t armed = -1;
    std::string stats_file;

    void set_down(bool d, const char* by) {
        if (d == down) return;
        down = d;
        timespec ts{};
        clock_gettime(CLOCK_REALTIME, &ts);
        std::fprintf(stderr, "wanem: %ld.%03ld link %s (%s)\n", static_cast<long>(ts.tv_sec), ts.tv_nsec / 1000000,
                     d ? "down" : "up", by);
    }

    // Reads what waits on side FROM (at most a batch) into the heap.
    void read_side(int from) {
        for (int n = 0; n < 512; ++n) {
            std::vector<unsigned char> buf;
            if (!spare.empty()) {
                buf = std::move(spare.back());
                spare.pop_back();
            }
            buf.resize(65536);
            ssize_t got = read(side[from].fd, buf.data(), buf.size());
            if (got < 0) {
                spare.push_back(std::move(buf));
                if (errno == EAGAIN || errno == EINTR) return;
                fatal_errno("read " + side[from].dev);
            }
            if (got == 0) return;
            auto bytes = static_cast<std::size_t>(got);
            if (down) {
                link[from]->down_on_entry(bytes);
                spare.push_back(std::move(buf));
                continue;
            }
            std::int64_t at = link[from]->admit(now_ns(), bytes);
            if (at == wan::Link::dropped) {
                spare.push_back(std::move(buf));
                continue;
            }
            buf.resize(bytes);
            heap.push_back(InFlight{at, seq++, 1 - from, std::move(buf)});
            std::push_heap(heap.begin(), heap.end(), later);
        }
    }

    // Writes every packet whose time has come; arms the timer for the next.
    void deliver() {
        std::int64_t now = now_ns();
        while (!heap.empty() && heap.front().at <= now) {
            std::pop_heap(heap.begin(), heap.end(), later);
            InFlight p = std::move(heap.back());
            heap.pop_back();
            int from = 1 - p.to;
            if (down) {
                link[from]->down_in_flight();
            } else if (write(side[p.to].fd, p.data.data(), p.data.size()) < 0) {
                ++write_errors[p.to];
            } else {
                link[from]->departed(p.data.size());
            }
            if (spare.size() < 256) spare.push_back(std::move(p.data));
        }
        std::int64_t next = heap.empty() ? 0 : heap.front().at;
        if (next == armed) return;
        itimerspec its{};
        if (next > 0) {
            its.it_value.tv_sec = next / 1000000000;
            its.it_value.tv_nsec = next % 1000000000;
        }
        if (timerfd_settime(timer, TFD_TIMER_ABSTIME, &its, nullptr) != 0) fatal_errno("timerfd_settime");
        armed = next;
    }

    void print_stats() {
        std::string text;
        const char* names[2] = {"ab", "ba"};
        for (int d = 0; d < 2; ++d) {
            const wan::Counters& c = link[d]->counters();
            char line[512];
            std::snprintf(
                line, sizeof line,
                "%s in=%llu in_bytes=%llu passed=%llu passed_bytes=%llu lost=%llu queue_full=%llu down=%llu "
                "write_errors=%llu\n",
                names[d], static_cast<unsigned long long>(c.in_packets), static_cast<unsigned long long>(c.in_bytes),
                static_cast<unsigned long long>(c.passed_packets), static_cast<unsigned long long>(c.passed_bytes),
                static_cast<unsigned long long>(c.lost), static_cast<unsigned long long>(c.queue_full),
                static_cast<unsigned long long>(c.down), static_cast<unsigned long long>(write_errors[1 - d]));
            text += line;
            std::fprintf(stderr,
                         "wanem: %s -> %s: %llu packets in, %llu passed, %llu lost, %llu queue full, %llu down\n",
                         side[d].ns.c_str(), side[1 - d].ns.c_str(), static_cast<unsigned long long>(c.in_packets),
                         static_cast<unsigned long long>(c.passed_packets), static_cast<unsigned long long>(c.lost),
                         static_cast<unsigned long long>(c.queue_full), static_cast<unsigned long long>(c.down));
        }
        if (!stats_file.empty()) {
            std::string tmp = stats_file + ".tmp";
            std::ofstream out(tmp, std::ios::trunc);
            out << text;
            out.close();
            if (!out || std::rename(tmp.c_str(), stats_file.c_str()) != 0)
                std::fprintf(stderr, "wanem: cannot write %s\n", stats_file.c_str());
        }
    }
};

void usage() {
    std::fprintf(stderr,
                 "usage: wanem --a NS:DEV:ADDR --b NS:DEV:ADDR [--ab PROFILE] [--ba PROFILE] [--both PROFILE]\n"
                 "             [--seed N] [--mtu BYTES] [--control FILE] [--stats FILE] [--priority N]\n"
                 "PROFILE: key=value,... with delay=40ms jitter=10ms reorder=yes|no loss=1%% burst=N\n"
                 "         rate=2mbit queue=250k|1s (or \"clean\")\n");
    std::exit(2);
}

}  // namespace

int main(int argc, char** argv) {
    std::string a_spec, b_spec, ab = "clean", ba = "clean", control;
    std::uint64_t seed = 1;
    int mtu = 1500, priority = 20;
    Emulator em;
    for (int i = 1; i < argc; ++i) {
        std::string arg = argv[i];
        if (i + 1 >= argc) usage();
        std::string value = argv[++i];
        if (arg == "--a")
            a_spec = value;
        else if (arg == "--b")
            b_spec = value;
        else if (arg == "--ab")
            ab = value;
        else if (arg == "--ba")
            ba = value;
        else if (arg == "--both")
            ab = ba = value;
        else if (arg == "--seed")
            seed = std::strtoull(value.c_str(), nullptr, 10);
        else if (arg == "--mtu")
            mtu = std::atoi(value.c_str());
        else if (arg == "--control")
            control = value;
        else if (arg == "--stats")
            em.stats_file = value;
        else if (arg == "--priority")
            priority = std::atoi(value.c_str());
        else
            usage();
    }
    if (a_spec.empty() || b_spec.empty() || mtu < 576 || mtu > 65535) usage();
    wan::Profile profile[2];
    try {
        profile[0] = wan::parse_profile(ab);
        profile[1] = wan::parse_profile(ba);
    } catch (const std::invalid_argument& e) {
        fatal(std::string("bad profile: ") + e.what());
    }
    wan::Link link_ab(profile[0], seed), link_ba(profile[1], seed * 0x9e3779b97f4a7c15ULL + 1);
    em.link[0] = &link_ab;
    em.link[1] = &link_ba;
    em.side[0] = parse_side(a_spec);
    em.side[1] = parse_side(b_spec);

    // Signals before anything can be killed half made.
    sigset_t mask;
    sigemptyset(&mask);
    for (int s : {SIGINT, SIGTERM, SIGHUP, SIGUSR1, SIGUSR2}) sigaddset(&mask, s);
    if (sigprocmask(SIG_BLOCK, &mask, nullptr) != 0) fatal_errno("sigprocmask");
    int sfd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
    if (sfd < 0) fatal_errno("signalfd");
    prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0);

    int home = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
    if (home < 0) fatal_errno("open /proc/self/ns/net");
    open_tun(em.side[0], em.side[1].addr, mtu, home);
    open_tun(em.side[1], em.side[0].addr, mtu, home);
    enter_ns("-", home);
    close(home);

    em.timer = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
    int poll_timer = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
    int ep = epoll_create1(EPOLL_CLOEXEC);
    if (em.timer < 0 || poll_timer < 0 || ep < 0) fatal_errno("timerfd/epoll");
    if (!control.empty()) {
        itimerspec its{};
        its.it_value.tv_nsec = its.it_interval.tv_nsec = 20000000;
        timerfd_settime(poll_timer, 0, &its, nullptr);
    }
    auto watch = [&](int fd, std::uint64_t tag) {
        epoll_event ev{};
        ev.events = EPOLLIN;
        ev.data.u64 = tag;
        if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) != 0) fatal_errno("epoll_ctl");
    };
    watch(em.side[0].fd, 0);
    watch(em.side[1].fd, 1);
    watch(em.timer, 2);
    watch(sfd, 3);
    watch(poll_timer, 4);

    std::fprintf(stderr, "wanem: %s -> %s: %s\n", em.side[0].ns.c_str(), em.side[1].ns.c_str(),
                 wan::describe(profile[0]).c_str());
    std::fprintf(stderr, "wanem: %s -> %s: %s\n", em.side[1].ns.c_str(), em.side[0].ns.c_str(),
                 wan::describe(profile[1]).c_str());
    if (priority > 0) {
        sched_param sp{};
        sp.sched_priority = std::min(priority, sched_get_priority_max(SCHED_FIFO));
        if (sched_setscheduler(0, SCHED_FIFO, &sp) != 0)
            std::fprintf(stderr, "wanem: no SCHED_FIFO (%s): the machine's load adds to the delays\n",
                         std::strerror(errno));
        else
            mlockall(MCL_CURRENT | MCL_FUTURE);
    }
    std::printf("wanem: ready\n");
    std::fflush(stdout);

    bool running = true;
    std::string last_control;
    epoll_event events[8];
    while (running) {
        int n = epoll_wait(ep, events, 8, -1);
        if (n < 0) {
            if (errno == EINTR) continue;
            fatal_errno("epoll_wait");
        }
        for (int i = 0; i < n; ++i) {
            std::uint64_t tag = events[i].data.u64;
            if (tag <= 1) {
                em.read_side(static_cast<int>(tag));
            } else if (tag == 2) {
                std::uint64_t ticks;
                [[maybe_unused]] ssize_t r = read(em.timer, &ticks, sizeof ticks);
                em.armed = -1;
            } else if (tag == 3) {
                signalfd_siginfo si;
                while (read(sfd, &si, sizeof si) == static_cast<ssize_t>(sizeof si)) {
                    if (si.ssi_signo == SIGUSR1)
                        em.set_down(true, "SIGUSR1");
                    else if (si.ssi_signo == SIGUSR2)
                        em.set_down(false, "SIGUSR2");
                    else if (si.ssi_signo == SIGHUP)
                        em.print_stats();
                    else
                        running = false;
                }
            } else {
                std::uint64_t ticks;
                [[maybe_unused]] ssize_t r = read(poll_timer, &ticks, sizeof ticks);
                std::ifstream in(control);
                std::string word;
                // a change of the file's word switches: a signal in between holds until then
                if (in >> word && word != last_control) em.set_down(word == "down", control.c_str());
                if (!word.empty()) last_control = word;
            }
        }
        em.deliver();
    }
    em.print_stats();
    return 0;
}
