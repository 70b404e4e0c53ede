// camrelay-session: what a camera's SSH session runs on the relay.
//
//   camrelay-session CAMERA-ID PORT
//   camrelay-session -c "/path/to/camrelay-session CAMERA-ID PORT"
//
// Each camera's authorized_keys line forces `command="camrelay-session ID
// PORT"` (lib/camrelay/admin/ssh_access.hpp). sshd runs a forced command through the
// account's login shell as `SHELL -c COMMAND`, and the forwarding account's
// login shell is this program itself, so the second form is how it is
// normally started: nothing on the way is a real shell, and no path through
// sshd (a key line without command=, a subsystem, an exec request) ever
// reaches one. The command text is split on blanks, never interpreted.
//
// What it does:
//   - a client that asked to run a command (ssh ... id, scp, sftp: sshd puts
//     it in SSH_ORIGINAL_COMMAND) gets one refusal line and exit status 1;
//   - otherwise it checks that the camera's tunnel port on the relay's
//     loopback is listening (the camera's -R request precedes its session on
//     the connection, so sshd has bound it by now), prints one status line
//     and holds the session open until the connection ends, reading and
//     discarding whatever the client sends. Without a listener it says what
//     is missing and exits 1, which ends the session.
//   Whose listener it is cannot be told from here (sshd makes its processes
//   non-dumpable, so their /proc/PID/fd is closed to the account): if an
//   earlier, dead connection still holds the port, the camera's -R was
//   refused, and camrelay-tunnel's ExitOnForwardFailure ends that attempt as
//   soon as the refusal arrives, before this line.
//
// One connection per camera: the session takes the camera's lock, an
// abstract Unix socket named after the account, the camera and its port
// (nothing on disk, released by the kernel when the process ends). A newer
// session of the same camera replaces the older one: it connects to the
// lock, the holder (checked by SO_PEERCRED to run as the same account) ends
// its own connection (SIGTERM to its parent sshd, which frees the port) and
// exits, and the newer one takes the lock. Replacing rather than refusing
// lets a camera that reconnects after a network drop get its tunnel back
// before the relay notices the old connection is dead, and a stolen key can
// never hold more than one connection with a session; the camera's
// camrelay-tunnel retries whatever attempt lost the port. Connections that
// open no session (`ssh -N`) never reach this program: `camrelay camera
// remove` ends them by the port they hold, and one without the port holds
// nothing a viewer could reach.
//
// Why a session at all, when `ssh -N` needs none: sshd (OpenSSH before 10.1)
// turns Nagle's algorithm off (TCP_NODELAY) on its connection only when it
// starts a session. With -N there is none, and 16 KiB WebSocket messages from
// viewers to the camera stall ~40 ms in Nagle + delayed ACK.
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "camrelay/ids.hpp"
#include "camrelay/admin/ssh_access.hpp"
#include "camrelay/text.hpp"

namespace {

volatile sig_atomic_t g_stop = 0;

void on_signal(int) { g_stop = 1; }

// The tunnel port: 1024..65535, five digits at most (leading zeros allowed).
bool parse_port(std::string_view s, std::uint16_t& port) {
    const camrelay::text::Decimal value = camrelay::text::read_port(s);
    if (value.error != camrelay::text::DecimalError::none || value.value < 1024) return false;
    port = static_cast<std::uint16_t>(value.value);
    return true;
}

void say(FILE* f, const std::string& line) {
    std::fputs(line.c_str(), f);
    std::fputc('\n', f);
    std::fflush(f);
}

constexpr const char* kOnlyTunnels =
    "camrelay: this account only carries camera tunnels: no shell, commands or file transfers";

// The camera's lock: an abstract Unix socket (see the top of this file).
sockaddr_un lock_address(const std::string& id, std::uint16_t port, socklen_t& length) {
    sockaddr_un a{};
    a.sun_family = AF_UNIX;
    const std::string name = "camrelay-session/" + std::to_string(::getuid()) + "/" + id + "/" + std::to_string(port);
    std::memcpy(a.sun_path + 1, name.data(), name.size());  // sun_path[0] == 0: abstract
    length = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + 1 + name.size());
    return a;
}

int bind_lock(const sockaddr_un& a, socklen_t length) {
    const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return -1;
    if (::bind(fd, reinterpret_cast<const sockaddr*>(&a), length) == 0 && ::listen(fd, 4) == 0) return fd;
    ::close(fd);
    return -1;
}

// Take the camera's lock, replacing the session that holds it (then
// `replaced_older` is set). Returns the listening lock socket, or -1 when
// another account holds the name (then the session runs without the lock
// rather than locking the camera out).
int take_lock(const std::string& id, std::uint16_t port, bool& replaced_older) {
    socklen_t length = 0;
    const sockaddr_un a = lock_address(id, port, length);
    replaced_older = false;
    for (int attempt = 0; attempt < 50; ++attempt) {  // 5 s
        const int fd = bind_lock(a, length);
        if (fd >= 0) return fd;
        replaced_older = true;
        // Held: ask the holder to go, once per attempt, if it is ours.
        const int c = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (c >= 0 && ::connect(c, reinterpret_cast<const sockaddr*>(&a), length) == 0) {
            ucred peer{};
            socklen_t n = sizeof peer;
            if (::getsockopt(c, SOL_SOCKET, SO_PEERCRED, &peer, &n) == 0 && peer.uid != ::getuid()) {
                ::close(c);
                return -1;
            }
        }
        if (c >= 0) ::close(c);
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return -1;
}

// A newer session of the camera asks this one to go: end this connection.
// Our parent is the connection's own sshd process (sshd runs the login shell,
// this program, directly); SIGTERM to it closes the connection and frees the
// port. Only a process named sshd* of our own account is signalled.
void replaced(int lock) {
    const int c = ::accept4(lock, nullptr, nullptr, SOCK_CLOEXEC);
    if (c < 0) return;
    ucred peer{};
    socklen_t n = sizeof peer;
    const bool ours = ::getsockopt(c, SOL_SOCKET, SO_PEERCRED, &peer, &n) == 0 && peer.uid == ::getuid();
    ::close(c);
    if (!ours) return;
    say(stderr, "camrelay: this camera connected again: this older connection ends");
    // sshd forwards what we wrote only while it runs: close our side of the
    // channel and give it a moment to send the line before it is ended.
    ::close(STDOUT_FILENO);
    ::close(STDERR_FILENO);
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    const pid_t parent = ::getppid();
    std::string comm;
    std::getline(std::ifstream("/proc/" + std::to_string(parent) + "/comm"), comm);
    if (parent > 1 && comm.rfind("sshd", 0) == 0) ::kill(parent, SIGTERM);
    g_stop = 1;
}

// Hold the session until the connection goes: sshd closes our stdout (a
// socketpair or pipe) when the channel or the connection ends; or until a
// newer session of the camera replaces this one.
void hold(int lock) {
    pollfd fds[3] = {{STDIN_FILENO, POLLIN, 0}, {STDOUT_FILENO, 0, 0}, {lock, POLLIN, 0}};
    char buf[4096];
    while (!g_stop) {
        int n = ::poll(fds, 3, -1);
        if (n < 0) {
            if (errno == EINTR) continue;
            return;
        }
        if (fds[1].revents & (POLLERR | POLLHUP | POLLNVAL)) return;
        if (fds[2].revents & POLLIN) replaced(lock);
        if (fds[0].revents & (POLLIN | POLLHUP | POLLERR | POLLNVAL)) {
            ssize_t r = ::read(STDIN_FILENO, buf, sizeof buf);
            if (r == 0 || (r < 0 && errno != EINTR && errno != EAGAIN)) fds[0].fd = -1;  // EOF: stop reading
        }
    }
}

}  // namespace

int main(int argc, char** argv) {
    std::vector<std::string_view> words;
    if (argc >= 2 && std::string_view(argv[1]) == "-c") {
        if (argc != 3) {
            say(stderr, kOnlyTunnels);
            return 1;
        }
        words = camrelay::text::split_blanks(argv[2]);
        // The first word is this program's own path.
        if (!words.empty()) words.erase(words.begin());
    } else {
        words.assign(argv + 1, argv + argc);
    }

    const char* original = std::getenv("SSH_ORIGINAL_COMMAND");
    if (original != nullptr) {
        say(stderr, kOnlyTunnels);
        return 1;
    }
    std::uint16_t port = 0;
    if (words.size() != 2 || !camrelay::valid_camera_id(words[0]) || !parse_port(words[1], port)) {
        say(stderr, "camrelay: no camera is configured for this key");
        return 1;
    }
    const std::string id(words[0]);
    const std::string where = std::string("127.0.0.1:").append(words[1]);

    struct sigaction sa {};
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    for (int sig : {SIGTERM, SIGHUP, SIGINT}) sigaction(sig, &sa, nullptr);
    signal(SIGPIPE, SIG_IGN);

    // One connection per camera: a newer one replaces this one.
    bool replaced_older = false;
    const int lock = take_lock(id, port, replaced_older);
    if (lock < 0) say(stderr, "camrelay: camera " + id + ": could not take the camera's lock; going on without it");

    // An older connection held the port until now, so this connection's
    // forward was refused (sshd binds it before the session starts). That is
    // the connection a camera makes after a network drop, while the relay
    // still holds its dead one (sshd never probes a client while viewers
    // send to it): once the port is free, say so and end, and the camera
    // connects again at once and takes it (camrelay-tunnel). A port still
    // taken 2 s later is this connection's own.
    if (lock >= 0 && replaced_older) {
        for (int i = 0; i < 20; ++i) {
            if (!camrelay::loopback_port_in_use(port)) {
                say(stderr, "camrelay: camera " + id + ": ended its earlier connection, which held " + where +
                                "; connect again to take it");
                return 1;
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(100));
        }
    }

    // The forward request precedes the session on the connection, so the port
    // is normally taken already; allow a moment for a slow relay (or for the
    // connection this one replaced to let the port go).
    bool up = false;
    for (int i = 0; i < 20 && !(up = camrelay::loopback_port_in_use(port)); ++i)
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    if (!up) {
        say(stderr, "camrelay: camera " + id + ": no tunnel on the relay's " + where +
                        "; the camera must forward it: ssh -R " + where + ":localhost:9001 ...");
        return 1;
    }
    say(stdout, "camrelay: camera " + id + " is online: viewers reach it through the relay's " + where);
    hold(lock);
    return 0;
}
