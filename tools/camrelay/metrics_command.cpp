// camrelay command: `camrelay metrics [-n NAME] [--listen [ADDR:]PORT]`, the
// module's per-camera counters as Prometheus metrics with a camera label.
//
// Why camrelay serves these itself rather than through Debian's
// prometheus-varnish-exporter: that exporter (1.6.1, bookworm) names a
// counter of a group it does not know after its whole name
// (varnish_main_camrelay_camera_cam1_admitted: no camera label) and panics
// on the first camera id with a hyphen ("...camera_front-door_... is not a
// valid metric name"), which camera ids may have (DNS labels). The values
// come from the same reader as `camrelay status` (camera_counters.hpp), so
// the two agree.
//
// Without --listen the metrics are printed once (for node_exporter's
// textfile collector, or to look at them); with it, a small HTTP server
// answers GET /metrics, one request at a time (a scrape is cheap: a walk
// of varnishd's shared memory), each connection bounded in time and size.
#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <iostream>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "camera_counters.hpp"
#include "cli.hpp"

namespace camrelay::cli {
namespace {

constexpr std::string_view kHelp =
    "Usage: camrelay metrics [-n NAME] [--listen [ADDR:]PORT]\n"
    "\n"
    "The module's per-camera counters (CAMRELAY_CAMERA.<id>.* in varnishstat) as\n"
    "Prometheus metrics, each with a camera label: camrelay_camera_admitted_total,\n"
    "camrelay_camera_refused_total{reason=...}, camrelay_camera_viewers,\n"
    "camrelay_camera_bytes_to_viewers_total, camrelay_camera_tunnel_up, ...;\n"
    "camrelay_up is 0 when varnishd's counters cannot be read. The same values\n"
    "as camrelay status --json. Without --listen they are printed once.\n"
    "\n"
    "Options:\n"
    "  -n NAME               varnishd's instance name or directory, as varnishstat -n\n"
    "                        (default: varnishd's default instance)\n"
    "  --listen [ADDR:]PORT  serve them over HTTP at /metrics until stopped (SIGTERM);\n"
    "                        ADDR defaults to 127.0.0.1, [::1] for IPv6\n"
    "\n"
    "camrelay setup --metrics [ADDR:]PORT runs it as a service.\n"
    "Reading varnishd's counters needs the rights varnishstat needs (root, or the\n"
    "varnish group).\n"
    "\n"
    "Exit status:\n"
    "  0  printed, or stopped by a signal\n"
    "  2  usage error\n"
    "  5  cannot listen on ADDR:PORT\n";

// One counter of the module, as a metric family.
struct Family {
    const char* field;  // the VSC counter's name
    const char* name;   // the metric's name
    const char* type;   // counter or gauge
    const char* help;
};

constexpr Family kFamilies[] = {
    {"admitted", "camrelay_camera_admitted_total", "counter", "Viewers admitted (each took a viewer slot)."},
    {"pages", "camrelay_camera_pages_total", "counter", "Requests for the camera's own page allowed."},
    {"viewers", "camrelay_camera_viewers", "gauge", "Viewers connected now."},
    {"max_viewers", "camrelay_camera_max_viewers", "gauge", "The camera's viewer limit (max-viewers)."},
    {"viewers_cut", "camrelay_camera_viewers_cut_total", "counter",
     "Live viewers cut because the configuration no longer admits them."},
    {"bytes_to_viewers", "camrelay_camera_bytes_to_viewers_total", "counter",
     "Bytes piped from the camera to its viewers, counted when each pipe ends."},
    {"bytes_from_viewers", "camrelay_camera_bytes_from_viewers_total", "counter",
     "Bytes piped from the viewers to the camera, counted when each pipe ends."},
    {"pipes_uncounted", "camrelay_camera_pipes_uncounted_total", "counter", "Pipes whose bytes could not be counted."},
    {"last_viewer", "camrelay_camera_last_viewer_timestamp_seconds", "gauge",
     "When a viewer last connected or left (Unix time; 0: none yet)."},
    {"tunnel", "camrelay_camera_tunnel_up", "gauge", "The camera's tunnel is up (1) or down (0)."},
    {"tunnel_changed", "camrelay_camera_tunnel_changed_timestamp_seconds", "gauge",
     "When the tunnel last went up or down (Unix time; 0: not since the counters started)."},
    {"tunnel_connects", "camrelay_camera_tunnel_connects_total", "counter", "Times the tunnel was seen coming up."},
    {"tunnel_connects_hour", "camrelay_camera_tunnel_connects_last_hour", "gauge",
     "Times the tunnel was seen coming up in the last hour."},
    {"started", "camrelay_camera_counters_started_timestamp_seconds", "gauge",
     "When the camera's counters started (Unix time)."},
};
constexpr const char* kRefused = "camrelay_camera_refused_total";

// A label value, escaped as the text format wants it.
std::string label_value(std::string_view value) {
    std::string out;
    for (char c : value) {
        if (c == '\\' || c == '"') out += '\\';
        if (c == '\n') {
            out += "\\n";
            continue;
        }
        out += c;
    }
    return out;
}

// A field the table does not know (a counter added to the module later):
// camrelay_camera_<field>, untyped.
std::string other_name(std::string_view field) {
    std::string out = "camrelay_camera_";
    for (char c : field) out += ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_') ? c : '_';
    return out;
}

// The metrics, in Prometheus' text format (version 0.0.4).
std::string render(VarnishCounters& varnish) {
    std::string error;
    const std::optional<CameraCounters> read = varnish.read(error);
    std::string out;
    out += "# HELP camrelay_up Whether varnishd's counters could be read (1) or not (0).\n";
    out += "# TYPE camrelay_up gauge\n";
    out += std::string("camrelay_up ") + (read ? "1" : "0") + "\n";
    if (!read) return out;
    const CameraCounters& cameras = *read;
    out += "# HELP camrelay_cameras Cameras varnishd has counters of.\n# TYPE camrelay_cameras gauge\n";
    out += "camrelay_cameras " + std::to_string(cameras.size()) + "\n";
    if (cameras.empty()) return out;

    std::set<std::string, std::less<>> known;
    auto sample = [&](const std::string& name, const std::string& camera, std::uint64_t value,
                      const std::string& extra = "") {
        out += name + "{camera=\"" + label_value(camera) + "\"" + extra + "} " + std::to_string(value) + "\n";
    };
    for (const Family& family : kFamilies) {
        known.insert(family.field);
        out += std::string("# HELP ") + family.name + " " + family.help + "\n";
        out += std::string("# TYPE ") + family.name + " " + family.type + "\n";
        for (const auto& [camera, counters] : cameras) {
            auto it = counters.find(family.field);
            if (it != counters.end()) sample(family.name, camera, it->second);
        }
    }
    out += std::string("# HELP ") + kRefused +
           " Viewers and requests refused, by reason (the outcomes of vmod_camrelay(3)).\n";
    out += std::string("# TYPE ") + kRefused + " counter\n";
    for (const std::string& reason : refusal_reasons()) {
        known.insert(reason);
        for (const auto& [camera, counters] : cameras) {
            auto it = counters.find(reason);
            if (it != counters.end()) sample(kRefused, camera, it->second, ",reason=\"" + label_value(reason) + "\"");
        }
    }
    std::set<std::string, std::less<>> others;
    for (const auto& [camera, counters] : cameras)
        for (const auto& [field, value] : counters)
            if (known.count(field) == 0) others.insert(field);
    for (const std::string& field : others) {
        out += "# HELP " + other_name(field) + " CAMRELAY_CAMERA.<camera>." + field + "\n";
        out += "# TYPE " + other_name(field) + " untyped\n";
        for (const auto& [camera, counters] : cameras) {
            auto it = counters.find(field);
            if (it != counters.end()) sample(other_name(field), camera, it->second);
        }
    }
    return out;
}

// --- the HTTP server

volatile sig_atomic_t g_stop = 0;
void on_stop(int) { g_stop = 1; }

// [ADDR:]PORT, ADDR an IPv4 address, a [bracketed] IPv6 one or a name;
// 127.0.0.1 when left out.
int open_listener(const std::string& listen) {
    std::string host = "127.0.0.1";
    std::string port = listen;
    const std::size_t colon = listen.rfind(':');
    if (colon != std::string::npos) {
        host = listen.substr(0, colon);
        port = listen.substr(colon + 1);
        if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
        if (host.empty()) host = "127.0.0.1";
    }
    (void)parse_port(port, "--listen");
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE;
    addrinfo* found = nullptr;
    const int rc = getaddrinfo(host.c_str(), port.c_str(), &hints, &found);
    if (rc != 0) fail_usage("--listen '" + listen + "': " + gai_strerror(rc));
    std::string why;
    int fd = -1;
    for (addrinfo* ai = found; ai != nullptr && fd < 0; ai = ai->ai_next) {
        fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
        if (fd < 0) continue;
        const int one = 1;
        (void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        if (bind(fd, ai->ai_addr, ai->ai_addrlen) != 0 || ::listen(fd, 16) != 0) {
            why = std::strerror(errno);
            close(fd);
            fd = -1;
        }
    }
    freeaddrinfo(found);
    if (fd < 0) fail_io("cannot listen on " + listen + ": " + why);
    return fd;
}

void send_all(int fd, std::string_view data) {
    while (!data.empty()) {
        const ssize_t n = send(fd, data.data(), data.size(), MSG_NOSIGNAL);
        if (n <= 0) return;  // the scraper went, or took longer than the timeout
        data.remove_prefix(static_cast<std::size_t>(n));
    }
}

void answer(int fd, std::string_view status, std::string_view type, const std::string& body, bool head) {
    std::string response = "HTTP/1.1 " + std::string(status) + "\r\nContent-Type: " + std::string(type) +
                           "\r\nContent-Length: " + std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n";
    if (!head) response += body;
    send_all(fd, response);
}

// One request: its head (at most 8 KiB, within the socket's timeout), then
// the answer.
void serve(int fd, VarnishCounters& varnish) {
    std::string head;
    char buf[2048];
    while (head.find("\r\n\r\n") == std::string::npos && head.find("\n\n") == std::string::npos) {
        if (head.size() > 8192) return answer(fd, "431 Request Header Fields Too Large", "text/plain", "", false);
        const ssize_t n = recv(fd, buf, sizeof buf, 0);
        if (n <= 0) return;
        head.append(buf, static_cast<std::size_t>(n));
    }
    const std::string line = head.substr(0, head.find_first_of("\r\n"));
    const std::size_t sp1 = line.find(' ');
    const std::size_t sp2 = sp1 == std::string::npos ? std::string::npos : line.find(' ', sp1 + 1);
    if (sp2 == std::string::npos) return answer(fd, "400 Bad Request", "text/plain", "bad request\n", false);
    const std::string method = line.substr(0, sp1);
    std::string path = line.substr(sp1 + 1, sp2 - sp1 - 1);
    path = path.substr(0, path.find('?'));
    const bool head_only = method == "HEAD";
    if (method != "GET" && !head_only)
        return answer(fd, "405 Method Not Allowed", "text/plain", "GET /metrics\n", false);
    if (path == "/metrics")
        return answer(fd, "200 OK", "text/plain; version=0.0.4; charset=utf-8", render(varnish), head_only);
    if (path == "/")
        return answer(fd, "200 OK", "text/plain; charset=utf-8", "camrelay metrics: GET /metrics\n", head_only);
    answer(fd, "404 Not Found", "text/plain", "not found: GET /metrics\n", head_only);
}

int run_server(const std::string& listen, VarnishCounters& varnish) {
    const int listener = open_listener(listen);
    struct sigaction sa {};
    sa.sa_handler = on_stop;  // no SA_RESTART: poll returns
    sigaction(SIGTERM, &sa, nullptr);
    sigaction(SIGINT, &sa, nullptr);
    std::cerr << "camrelay metrics: serving http://" << listen << "/metrics\n";
    while (g_stop == 0) {
        pollfd pfd{listener, POLLIN, 0};
        if (poll(&pfd, 1, 1000) <= 0) continue;
        const int fd = accept4(listener, nullptr, nullptr, SOCK_CLOEXEC);
        if (fd < 0) continue;
        timeval timeout{5, 0};  // a client that stalls holds the server 5 s at most
        (void)setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
        (void)setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof timeout);
        serve(fd, varnish);
        close(fd);
    }
    close(listener);
    return kExitOk;
}

}  // namespace

int run_metrics(const std::optional<std::string>&, std::span<const std::string> args) {
    if (asks_for_help(args)) {
        std::cout << kHelp;
        return kExitOk;
    }
    static const Command kMetrics{"metrics", "", "", "", {{"-n", "NAME"}, {"--listen", "[ADDR:]PORT"}}, 0, 0, nullptr};
    const Args parsed = parse_args(kMetrics, "metrics", std::vector<std::string>(args.begin(), args.end()));
    VarnishCounters varnish(parsed.value("-n"));
    if (auto listen = parsed.value("--listen")) return run_server(*listen, varnish);
    std::cout << render(varnish);
    return kExitOk;
}

}  // namespace camrelay::cli
