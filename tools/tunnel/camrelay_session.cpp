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
// Why a session at all, when `ssh -N` needs none: sshd (OpenSSH before 10.1)
// turns Nagle's algorithm off (TCP_NODELAY) on its connection only when it
// starts a session. With -N there is none, and 16 KiB WebSocket messages from
// viewers to the camera stall ~40 ms in Nagle + delayed ACK.
#include <poll.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
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
    const camrelay::text::Decimal value = camrelay::text::read_decimal(s, 65535, true);
    if (s.size() > 5 || value.error != camrelay::text::DecimalError::none || value.value < 1024) return false;
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

// Hold the session until the connection goes: sshd closes our stdout (a
// socketpair or pipe) when the channel or the connection ends.
void hold() {
    pollfd fds[2] = {{STDIN_FILENO, POLLIN, 0}, {STDOUT_FILENO, 0, 0}};
    char buf[4096];
    while (!g_stop) {
        int n = ::poll(fds, 2, -1);
        if (n < 0) {
            if (errno == EINTR) continue;
            return;
        }
        if (fds[1].revents & (POLLERR | POLLHUP | POLLNVAL)) return;
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

    // The forward request precedes the session on the connection, so the port
    // is normally taken already; allow a moment for a slow relay.
    bool up = false;
    for (int i = 0; i < 20 && !(up = camrelay::loopback_port_in_use(port)); ++i)
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    if (!up) {
        say(stderr, "camrelay: camera " + id + ": no tunnel on the relay's " + where +
                        "; the camera must forward it: ssh -R " + where + ":localhost:9001 ...");
        return 1;
    }
    say(stdout, "camrelay: camera " + id + " is online: viewers reach it through the relay's " + where);
    hold();
    return 0;
}
