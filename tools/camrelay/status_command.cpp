// camrelay command: `camrelay [--config DIR] status [-n NAME] [--json]
// [--check] [--watch [SECONDS]]`, what the relay is doing, one row per camera.
//
// Where it comes from, read from outside varnishd (no daemon of its own):
//   - the cameras, their viewer limits and tunnels: cameras.conf, as
//     `camera list` reads it;
//   - whether each tunnel is up now: /proc/net, as `camera list` and the
//     module's check_tunnel see it;
//   - the rest: the module's per-camera counters, CAMRELAY_CAMERA.<id>.*
//     (vmod_camrelay(3), COUNTERS), read from varnishd's shared memory with
//     libvarnishapi's VSC API, as varnishstat reads them: values as they
//     are, no text to parse, and no process to start at each refresh of
//     --watch. The module keeps the tunnel's history too (when it last went
//     up or down, how many times it came up in the last hour), since it is
//     the one part of the relay that runs all the time: sshd's listener says
//     nothing of the past, and camrelay-session, which runs as the cameras'
//     account, has nowhere to write.
#include <poll.h>
#include <signal.h>
#include <termios.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <iostream>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "cli.hpp"
#include "camrelay/relay.hpp"
#include "camrelay/text.hpp"
#include "camrelay/tunnel_status.hpp"
#include "camera_counters.hpp"

namespace camrelay::cli {
namespace {

constexpr std::string_view kHelp =
    "Usage: camrelay [--config DIR] status [-n NAME] [--json] [--check] [--watch [SECONDS]]\n"
    "\n"
    "Show what the relay is doing, one row per camera of cameras.conf:\n"
    "\n"
    "  TUNNEL        up or down now, and for how long ('>2h': at least, since\n"
    "                varnishd first had the camera); remote for an upstream\n"
    "  RECONNECTS    times the tunnel came up in the last hour\n"
    "  VIEWERS       viewers connected now / the camera's max-viewers\n"
    "  LAST-VIEWER   when a viewer last connected or left ('now': one is there)\n"
    "  TO-VIEWERS    bytes piped from the camera to its viewers, and\n"
    "  FROM-VIEWERS  from the viewers to the camera (counted when a pipe ends)\n"
    "  REFUSED       viewers and requests refused, by reason (the outcomes of\n"
    "                vmod_camrelay(3))\n"
    "\n"
    "and the totals. The counts run since the camera first appeared in a VCL of\n"
    "the running varnishd (its CAMRELAY_CAMERA.<id>.* counters in varnishstat);\n"
    "without varnishd only the tunnels are shown.\n"
    "\n"
    "Options:\n"
    "  -n NAME          varnishd's instance name or directory, as varnishstat -n\n"
    "                   (default: varnishd's default instance)\n"
    "  --json           print one JSON object instead: time, counters (whether\n"
    "                   varnishd's were read), counters_error, cameras (an array of\n"
    "                   objects), totals; see camrelay(1)\n"
    "  --check          print one line per camera whose tunnel is down and exit 1 if\n"
    "                   there is any; else print how many are up and exit 0\n"
    "  --watch [SECONDS]  redraw the table every SECONDS (default 2, 1 to 3600) in\n"
    "                   the terminal until q or Ctrl-C\n"
    "\n"
    "Reading varnishd's counters needs the rights varnishstat needs (root, or the\n"
    "varnish group).\n"
    "\n"
    "Exit status:\n"
    "  0  shown (with --check: no tunnel is down)\n"
    "  1  --check: a camera's tunnel is down\n"
    "  2  usage error\n"
    "  3  cameras.conf does not parse\n"
    "  5  I/O error\n";

enum class TunnelState { up, down, remote };

const char* tunnel_name(TunnelState t) {
    switch (t) {
        case TunnelState::up: return "up";
        case TunnelState::down: return "down";
        case TunnelState::remote: return "remote";
    }
    return "?";
}

struct CameraStatus {
    std::string id;
    TunnelState tunnel = TunnelState::down;
    unsigned max_viewers = 0;
    std::optional<Counters> counters;  // none: varnishd has no counters of it (yet)
    // When the tunnel took its state now: exact, or at least that long.
    std::optional<std::int64_t> since;
    std::optional<std::int64_t> since_at_least;

    std::uint64_t get(std::string_view field) const {
        if (!counters) return 0;
        auto it = counters->find(field);
        return it == counters->end() ? 0 : it->second;
    }
    std::uint64_t refused() const {
        std::uint64_t total = 0;
        for (const std::string& reason : refusal_reasons()) total += get(reason);
        return total;
    }
};

struct Snapshot {
    std::int64_t now = 0;
    std::string cameras_path;
    bool cameras_file_exists = false;
    bool counters_read = false;
    std::string counters_error;
    std::vector<CameraStatus> cameras;
};

Snapshot take(const Context& context, VarnishCounters& varnish) {
    Snapshot snap;
    const CamerasFile file = load_cameras(context);
    snap.cameras_path = file.path;
    snap.cameras_file_exists = file.exists;
    const ListenTable listening = read_listen_table();
    std::optional<std::map<std::string, Counters, std::less<>>> counters = varnish.read(snap.counters_error);
    snap.counters_read = counters.has_value();
    snap.now = now_unix();
    for (const Camera& camera : file.registry.cameras) {
        CameraStatus c;
        c.id = camera.id;
        c.max_viewers = camera.max_viewers;
        if (camera.tunnel.kind == Tunnel::Kind::upstream)
            c.tunnel = TunnelState::remote;
        else
            c.tunnel = tunnel_up(camera.tunnel, listening) ? TunnelState::up : TunnelState::down;
        if (counters) {
            auto found = counters->find(camera.id);
            if (found != counters->end()) c.counters = std::move(found->second);
        }
        if (c.counters && c.tunnel != TunnelState::remote) {
            const bool module_up = c.get("tunnel") != 0;
            const auto changed = static_cast<std::int64_t>(c.get("tunnel_changed"));
            if (module_up != (c.tunnel == TunnelState::up))
                c.since = snap.now;  // it changed within the module's last second
            else if (changed != 0)
                c.since = changed;
            else
                c.since_at_least = static_cast<std::int64_t>(c.get("started"));
        }
        snap.cameras.push_back(std::move(c));
    }
    return snap;
}

// --- text

// "45s", "12m", "3h05m", "2d04h".
std::string span(std::int64_t seconds) {
    if (seconds < 0) seconds = 0;
    char buf[32];
    if (seconds < 60)
        std::snprintf(buf, sizeof buf, "%llds", static_cast<long long>(seconds));
    else if (seconds < 3600)
        std::snprintf(buf, sizeof buf, "%lldm", static_cast<long long>(seconds / 60));
    else if (seconds < 86400)
        std::snprintf(buf, sizeof buf, "%lldh%02lldm", static_cast<long long>(seconds / 3600),
                      static_cast<long long>(seconds % 3600 / 60));
    else
        std::snprintf(buf, sizeof buf, "%lldd%02lldh", static_cast<long long>(seconds / 86400),
                      static_cast<long long>(seconds % 86400 / 3600));
    return buf;
}

// "0 B", "512 B", "1.5 KiB", "12.3 MiB".
std::string size(std::uint64_t bytes) {
    static constexpr const char* kUnits[] = {"KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
    if (bytes < 1024) return std::to_string(bytes) + " B";
    double value = static_cast<double>(bytes) / 1024.0;
    std::size_t unit = 0;
    while (value >= 1024.0 && unit + 1 < std::size(kUnits)) {
        value /= 1024.0;
        ++unit;
    }
    char buf[32];
    std::snprintf(buf, sizeof buf, value < 10.0 ? "%.1f %s" : "%.0f %s", value, kUnits[unit]);
    return buf;
}

std::string tunnel_cell(const CameraStatus& c, std::int64_t now) {
    std::string cell = tunnel_name(c.tunnel);
    if (c.since) cell += " " + span(now - *c.since);
    if (c.since_at_least) cell += " >" + span(now - *c.since_at_least);
    return cell;
}

std::string last_viewer_cell(std::uint64_t viewers, std::uint64_t last, std::int64_t now) {
    if (viewers > 0) return "now";
    if (last == 0) return "never";
    return span(now - static_cast<std::int64_t>(last)) + " ago";
}

// "0", or "4 (key_expired 3, offline 1)".
std::string refused_cell(const std::map<std::string, std::uint64_t>& by_reason) {
    std::uint64_t total = 0;
    std::string detail;
    for (const std::string& reason : refusal_reasons()) {
        auto it = by_reason.find(reason);
        if (it == by_reason.end() || it->second == 0) continue;
        total += it->second;
        detail += (detail.empty() ? "" : ", ") + reason + " " + std::to_string(it->second);
    }
    return total == 0 ? "0" : std::to_string(total) + " (" + detail + ")";
}

std::map<std::string, std::uint64_t> refusals_of(const CameraStatus& c) {
    std::map<std::string, std::uint64_t> out;
    for (const std::string& reason : refusal_reasons()) out[reason] = c.get(reason);
    return out;
}

std::string render_table(const Snapshot& snap) {
    std::vector<std::vector<std::string>> rows{
        {"CAMERA", "TUNNEL", "RECONNECTS", "VIEWERS", "LAST-VIEWER", "TO-VIEWERS", "FROM-VIEWERS", "REFUSED"}};
    std::size_t up = 0, local = 0;
    std::uint64_t reconnects = 0, viewers = 0, limits = 0, to = 0, from = 0, last = 0;
    std::map<std::string, std::uint64_t> refused;
    bool any_counted = false;
    for (const CameraStatus& c : snap.cameras) {
        if (c.tunnel != TunnelState::remote) ++local;
        if (c.tunnel == TunnelState::up) ++up;
        limits += c.max_viewers;
        if (!c.counters) {
            rows.push_back(
                {c.id, tunnel_cell(c, snap.now), "-", "-/" + std::to_string(c.max_viewers), "-", "-", "-", "-"});
            continue;
        }
        any_counted = true;
        const std::uint64_t v = c.get("viewers");
        reconnects += c.get("tunnel_connects_hour");
        viewers += v;
        to += c.get("bytes_to_viewers");
        from += c.get("bytes_from_viewers");
        last = v > 0 ? static_cast<std::uint64_t>(snap.now) : std::max(last, c.get("last_viewer"));
        const auto mine = refusals_of(c);
        for (const auto& [reason, n] : mine) refused[reason] += n;
        rows.push_back({c.id, tunnel_cell(c, snap.now), std::to_string(c.get("tunnel_connects_hour")),
                        std::to_string(v) + "/" + std::to_string(c.max_viewers),
                        last_viewer_cell(v, c.get("last_viewer"), snap.now), size(c.get("bytes_to_viewers")),
                        size(c.get("bytes_from_viewers")), refused_cell(mine)});
    }
    if (snap.cameras.size() > 1 || snap.cameras.empty()) {
        std::string tunnels = std::to_string(up) + "/" + std::to_string(local) + " up";
        if (!any_counted) {
            rows.push_back({"TOTAL", tunnels, "-", "-/" + std::to_string(limits), "-", "-", "-", "-"});
        } else {
            rows.push_back({"TOTAL", tunnels, std::to_string(reconnects),
                            std::to_string(viewers) + "/" + std::to_string(limits), last_viewer_cell(0, last, snap.now),
                            size(to), size(from), refused_cell(refused)});
            if (last == static_cast<std::uint64_t>(snap.now)) rows.back()[4] = "now";
        }
    }
    return format_table(rows);
}

// --- JSON

std::string json_number_or_null(const std::optional<std::int64_t>& v) { return v ? std::to_string(*v) : "null"; }

std::string render_json(const Snapshot& snap) {
    std::string out = "{\n  \"time\": " + std::to_string(snap.now) +
                      ",\n  \"counters\": " + (snap.counters_read ? "true" : "false") + ",\n  \"counters_error\": " +
                      (snap.counters_read ? std::string("null") : text::json_quote(snap.counters_error)) +
                      ",\n  \"cameras\": [";
    std::size_t up = 0, down = 0, remote = 0;
    std::uint64_t totals[6] = {};  // viewers, admitted, pages, to, from, reconnects
    std::uint64_t limits = 0;
    std::map<std::string, std::uint64_t> refused;
    for (std::size_t i = 0; i < snap.cameras.size(); ++i) {
        const CameraStatus& c = snap.cameras[i];
        up += c.tunnel == TunnelState::up;
        down += c.tunnel == TunnelState::down;
        remote += c.tunnel == TunnelState::remote;
        limits += c.max_viewers;
        auto counter = [&](std::string_view field) {
            return c.counters ? std::to_string(c.get(field)) : std::string("null");
        };
        auto time_counter = [&](std::string_view field) {
            return c.counters && c.get(field) != 0 ? std::to_string(c.get(field)) : std::string("null");
        };
        out += i == 0 ? "\n" : ",\n";
        out += "    {\"id\": " + text::json_quote(c.id) + ", \"tunnel\": \"" + tunnel_name(c.tunnel) +
               "\", \"tunnel_since\": " + json_number_or_null(c.since) +
               ", \"tunnel_since_at_least\": " + json_number_or_null(c.since_at_least) +
               ", \"reconnects_last_hour\": " + counter("tunnel_connects_hour") +
               ", \"tunnel_connects\": " + counter("tunnel_connects") + ", \"viewers\": " + counter("viewers") +
               ", \"max_viewers\": " + std::to_string(c.max_viewers) + ", \"admitted\": " + counter("admitted") +
               ", \"pages\": " + counter("pages") + ", \"bytes_to_viewers\": " + counter("bytes_to_viewers") +
               ", \"bytes_from_viewers\": " + counter("bytes_from_viewers") +
               ", \"refused\": " + (c.counters ? std::to_string(c.refused()) : std::string("null")) +
               ", \"refusals\": ";
        if (c.counters) {
            out += "{";
            bool first = true;
            for (const std::string& reason : refusal_reasons()) {
                const std::uint64_t n = c.get(reason);
                out += (first ? "" : ", ") + text::json_quote(reason) + ": " + std::to_string(n);
                first = false;
                refused[reason] += n;
            }
            out += "}";
            totals[0] += c.get("viewers");
            totals[1] += c.get("admitted");
            totals[2] += c.get("pages");
            totals[3] += c.get("bytes_to_viewers");
            totals[4] += c.get("bytes_from_viewers");
            totals[5] += c.get("tunnel_connects_hour");
        } else {
            out += "null";
        }
        out += ", \"viewers_cut\": " + counter("viewers_cut") + ", \"last_viewer\": " + time_counter("last_viewer") +
               ", \"counting_since\": " + time_counter("started") + "}";
    }
    out += snap.cameras.empty() ? "],\n" : "\n  ],\n";
    std::uint64_t refused_total = 0;
    std::string by_reason;
    for (const std::string& reason : refusal_reasons()) {
        refused_total += refused[reason];
        by_reason +=
            (by_reason.empty() ? "" : ", ") + text::json_quote(reason) + ": " + std::to_string(refused[reason]);
    }
    out += "  \"totals\": {\"cameras\": " + std::to_string(snap.cameras.size()) + ", \"up\": " + std::to_string(up) +
           ", \"down\": " + std::to_string(down) + ", \"remote\": " + std::to_string(remote) +
           ", \"viewers\": " + std::to_string(totals[0]) + ", \"max_viewers\": " + std::to_string(limits) +
           ", \"admitted\": " + std::to_string(totals[1]) + ", \"pages\": " + std::to_string(totals[2]) +
           ", \"bytes_to_viewers\": " + std::to_string(totals[3]) +
           ", \"bytes_from_viewers\": " + std::to_string(totals[4]) +
           ", \"reconnects_last_hour\": " + std::to_string(totals[5]) +
           ", \"refused\": " + std::to_string(refused_total) + ", \"refusals\": {" + by_reason + "}}\n}\n";
    return out;
}

// --- --check

// One line per camera whose tunnel is down; true if there is none.
bool render_check(const Snapshot& snap, std::string& out) {
    std::size_t down = 0, up = 0;
    for (const CameraStatus& c : snap.cameras) {
        if (c.tunnel == TunnelState::up) ++up;
        if (c.tunnel != TunnelState::down) continue;
        ++down;
        out += "camera " + c.id + ": tunnel down";
        if (c.since) out += " for " + span(snap.now - *c.since);
        if (c.since_at_least) out += " for more than " + span(snap.now - *c.since_at_least);
        out += "\n";
    }
    if (down == 0) out += "all " + std::to_string(up) + " tunnel" + (up == 1 ? "" : "s") + " up\n";
    return down == 0;
}

// --- --watch

volatile sig_atomic_t g_stop = 0;
void on_stop(int) { g_stop = 1; }

// The terminal in single-key mode (no echo, no line buffering) while it
// lives, so that q quits without Enter; Ctrl-C still sends SIGINT.
class KeyMode {
public:
    KeyMode() {
        if (::isatty(STDIN_FILENO) == 0 || ::tcgetattr(STDIN_FILENO, &saved_) != 0) return;
        struct termios raw = saved_;
        raw.c_lflag &= static_cast<tcflag_t>(~(ICANON | ECHO));
        raw.c_cc[VMIN] = 1;
        raw.c_cc[VTIME] = 0;
        active_ = ::tcsetattr(STDIN_FILENO, TCSANOW, &raw) == 0;
    }
    ~KeyMode() {
        if (active_) (void)::tcsetattr(STDIN_FILENO, TCSANOW, &saved_);
    }
    KeyMode(const KeyMode&) = delete;
    KeyMode& operator=(const KeyMode&) = delete;

private:
    struct termios saved_ {};
    bool active_ = false;
};

// Waits up to `seconds` for q (or EOF) on standard input or a signal; true
// to go on.
bool wait_for_next(int seconds) {
    const bool tty = ::isatty(STDIN_FILENO) != 0;
    struct pollfd key {
        STDIN_FILENO, POLLIN, 0
    };
    const auto deadline = now_unix() + seconds;
    while (g_stop == 0) {
        const std::int64_t left = deadline - now_unix();
        if (left <= 0) return true;
        const int n = ::poll(&key, tty ? 1 : 0, static_cast<int>(std::min<std::int64_t>(left, 1) * 1000));
        if (n < 0) continue;  // EINTR: a signal, g_stop tells which
        if (n == 0 || (key.revents & POLLIN) == 0) continue;
        char c = 0;
        const ssize_t got = ::read(STDIN_FILENO, &c, 1);
        if (got <= 0 || c == 'q' || c == 'Q') return false;
    }
    return false;
}

int run_watch(const Context& context, VarnishCounters& varnish, int seconds, bool json) {
    struct sigaction sa {};
    sa.sa_handler = on_stop;
    sigemptyset(&sa.sa_mask);
    for (int sig : {SIGINT, SIGTERM, SIGHUP}) sigaction(sig, &sa, nullptr);
    const bool tty = ::isatty(STDOUT_FILENO) != 0;
    KeyMode keys;
    do {
        const Snapshot snap = take(context, varnish);
        std::string body = json ? render_json(snap) : render_table(snap);
        std::string head = "camrelay status, " + format_utc(snap.now) + ", every " + std::to_string(seconds) + "s" +
                           (tty ? " (q quits)" : "") + "\n";
        if (!snap.counters_read) head += "varnishd's counters: " + snap.counters_error + "\n";
        if (snap.cameras.empty()) head += "no cameras in " + snap.cameras_path + "\n";
        std::string screen = head + "\n" + body;
        if (tty) {
            // Home, each line cleared to its end, the rest of the screen cleared.
            std::string drawn = "\x1b[H";
            std::size_t start = 0;
            for (std::size_t nl; (nl = screen.find('\n', start)) != std::string::npos; start = nl + 1)
                drawn.append(screen, start, nl - start).append("\x1b[K\n");
            drawn += "\x1b[J";
            screen = std::move(drawn);
        } else {
            screen += "\n";
        }
        std::cout << screen << std::flush;
        if (!std::cout) fail_io("cannot write to standard output");
    } while (wait_for_next(seconds));
    return kExitOk;
}

}  // namespace

int run_status(const std::optional<std::string>& explicit_config, std::span<const std::string> args) {
    if (asks_for_help(args)) {
        std::cout << kHelp;
        return kExitOk;
    }
    // --watch takes an optional SECONDS: written "--watch=N", or as the one
    // argument status takes.
    static const Command kStatus{
        "status", "", "", "", {{"-n", "NAME"}, {"--json", ""}, {"--check", ""}, {"--watch", ""}}, 0, 1, nullptr};
    std::vector<std::string> words(args.begin(), args.end());
    for (std::size_t i = 0; i < words.size(); ++i) {
        if (words[i] == "--") break;
        if (words[i].rfind("--watch=", 0) == 0) {
            const std::string seconds = words[i].substr(8);
            words[i] = "--watch";
            words.insert(words.begin() + static_cast<std::ptrdiff_t>(i) + 1, seconds);
            break;
        }
    }
    const Args parsed = parse_args(kStatus, "status", words);
    const bool watch = parsed.has("--watch");
    int seconds = 2;
    if (!parsed.positionals().empty()) {
        if (!watch) fail_usage("status: unexpected argument '" + parsed.positionals()[0] + "'");
        seconds = static_cast<int>(parse_decimal(parsed.positionals()[0], 3600, "--watch"));
        if (seconds < 1) fail_usage("--watch must be from 1 to 3600 seconds");
    }
    if (watch && parsed.has("--check")) fail_usage("status: --check and --watch do not go together");

    const Context context{config_dir(explicit_config.value_or(""))};
    VarnishCounters varnish(parsed.value("-n"));
    if (watch) return run_watch(context, varnish, seconds, parsed.has("--json"));

    const Snapshot snap = take(context, varnish);
    if (!parsed.has("--json") && !snap.counters_read)
        std::cerr << "camrelay: status: varnishd's counters cannot be read (" << snap.counters_error
                  << "): only the tunnels are shown\n";
    if (parsed.has("--json")) {
        std::cout << render_json(snap);
        std::string ignored;
        return parsed.has("--check") && !render_check(snap, ignored) ? kExitNo : kExitOk;
    }
    if (parsed.has("--check")) {
        std::string lines;
        const bool ok = render_check(snap, lines);
        std::cout << lines;
        return ok ? kExitOk : kExitNo;
    }
    if (snap.cameras.empty()) {
        std::cerr << "camrelay: no cameras in " << snap.cameras_path
                  << (snap.cameras_file_exists ? "" : " (the file does not exist yet)") << "\n";
        return kExitOk;
    }
    std::cout << render_table(snap);
    return kExitOk;
}

}  // namespace camrelay::cli
