// camrelay command: `camrelay key ...`, viewer keys. Minting and checking are
// the core's issue_key and check_key; this file picks the inputs and words
// the answers. A key is never printed back by `key check`, and `key issue`
// prints it on standard output only (--qr hands the link to qrencode on a
// pipe, never on its command line).
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <string>
#include <thread>

#include "cli.hpp"
#include "camrelay/routing.hpp"
#include "camrelay/text.hpp"

extern char** environ;

namespace camrelay::cli {
namespace {

std::string required_value(const Args& args, std::string_view option, std::string_view command) {
    std::optional<std::string> value = args.value(option);
    if (!value) fail_usage(std::string(command) + ": option " + std::string(option) + " is required");
    return *value;
}

// Refuses a --url that would need quoting or already carries a key: a second
// k= parameter would make the relay refuse the link as malformed.
void check_base_url(std::string_view url) {
    if (url.empty()) fail_usage("--url is empty");
    for (char c : url) {
        const auto byte = static_cast<unsigned char>(c);
        if (byte <= 0x20 || byte == 0x7f) fail_usage("--url may not contain spaces or control characters");
    }
    const std::size_t question = url.find('?');
    if (question == std::string_view::npos) return;
    std::string_view query = url.substr(question + 1);
    while (!query.empty()) {
        const std::size_t amp = query.find('&');
        const std::string_view parameter = query.substr(0, amp);
        const std::string_view name = parameter.substr(0, parameter.find('='));
        const std::optional<std::string> decoded = percent_decode(name);
        if (name == "k" || (decoded && *decoded == "k")) fail_usage("--url already has a k= parameter");
        if (amp == std::string_view::npos) break;
        query.remove_prefix(amp + 1);
    }
}

// A --url BASE taken apart. The camera's page and its WebSocket have one
// address on the relay (the page opens its WebSocket where it was loaded
// from, as a Picam360's page and `camrelay-bench serve --mode demo` do), so
// the browser link and the link for programs differ in their scheme only:
// http <-> ws, https <-> wss, whichever BASE names.
struct BaseUrl {
    std::string browser_scheme;    // "http" or "https"
    std::string websocket_scheme;  // "ws" or "wss"
    std::string rest;              // after "SCHEME://", without the fragment
    std::string fragment;          // "#..." or empty
};

BaseUrl parse_base_url(std::string_view url) {
    const std::size_t hash = url.find('#');
    BaseUrl base;
    base.fragment = std::string(hash == std::string_view::npos ? std::string_view{} : url.substr(hash));
    const std::string_view without_fragment = url.substr(0, hash);
    check_base_url(without_fragment);
    const std::size_t separator = without_fragment.find("://");
    std::string scheme(without_fragment.substr(0, separator == std::string_view::npos ? 0 : separator));
    std::transform(scheme.begin(), scheme.end(), scheme.begin(),
                   [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; });
    if (scheme == "http" || scheme == "ws") {
        base.browser_scheme = "http";
        base.websocket_scheme = "ws";
    } else if (scheme == "https" || scheme == "wss") {
        base.browser_scheme = "https";
        base.websocket_scheme = "wss";
    } else {
        fail_usage("--url must start with https://, wss://, http:// or ws:// (the camera's address on the relay, " +
                   std::string("for example https://relay.example.com/cam1/)"));
    }
    base.rest = std::string(without_fragment.substr(separator + 3));
    if (base.rest.empty() || base.rest.front() == '/' || base.rest.front() == '?') {
        fail_usage("--url has no host name after " + scheme + "://");
    }
    return base;
}

// The part after "SCHEME://" with k=KEY added to its query. Keys need no
// percent-encoding (see key.hpp).
std::string with_key(const BaseUrl& base, std::string_view key) {
    std::string link = base.rest;
    if (link.find('?') == std::string::npos) {
        link += '?';
    } else if (!link.ends_with("?") && !link.ends_with("&")) {
        link += '&';
    }
    return link + "k=" + std::string(key);
}

struct ViewerLinks {
    std::string browser;    // the camera's page, with its key: for a person
    std::string websocket;  // ws(s)://, for programs (a WebSocket has no #fragment)
};

ViewerLinks viewer_links(const BaseUrl& base, std::string_view key) {
    const std::string rest = with_key(base, key);
    return ViewerLinks{base.browser_scheme + "://" + rest + base.fragment, base.websocket_scheme + "://" + rest};
}

// PROGRAM's path in $PATH, or empty.
std::string find_in_path(std::string_view program) {
    const char* path = std::getenv("PATH");
    std::string_view dirs = path != nullptr && *path != '\0' ? path : "/usr/local/bin:/usr/bin:/bin";
    for (;;) {
        const std::size_t colon = dirs.find(':');
        const std::string_view dir = dirs.substr(0, colon);
        const std::string candidate = (dir.empty() ? std::string(".") : std::string(dir)) + "/" + std::string(program);
        struct stat info {};
        if (::stat(candidate.c_str(), &info) == 0 && S_ISREG(info.st_mode) && ::access(candidate.c_str(), X_OK) == 0) {
            return candidate;
        }
        if (colon == std::string_view::npos) return "";
        dirs.remove_prefix(colon + 1);
    }
}

std::string find_qrencode() {
    std::string qrencode = find_in_path("qrencode");
    if (qrencode.empty()) {
        fail_io("--qr needs the qrencode program, which is not in PATH: install it (apt install qrencode)");
    }
    return qrencode;
}

// TEXT as a QR code on standard output, drawn by qrencode with Unicode half
// blocks (in black and white through ANSI colours on a terminal, whatever
// its own colours). TEXT goes to qrencode's standard input: a command line
// is visible to every user of the machine.
void print_qr_code(const std::string& qrencode, const std::string& text) {
    std::cout.flush();
    int pipe_fds[2];
    if (::pipe2(pipe_fds, O_CLOEXEC) != 0) fail_io(std::string("cannot make a pipe: ") + std::strerror(errno));
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, pipe_fds[0], STDIN_FILENO);
    const bool terminal = ::isatty(STDOUT_FILENO) == 1;
    std::string arg0 = "qrencode", type_option = "-t", type = terminal ? "ANSIUTF8" : "UTF8";
    char* argv[] = {arg0.data(), type_option.data(), type.data(), nullptr};
    pid_t pid = -1;
    const int spawned = ::posix_spawn(&pid, qrencode.c_str(), &actions, nullptr, argv, environ);
    posix_spawn_file_actions_destroy(&actions);
    ::close(pipe_fds[0]);
    if (spawned != 0) {
        ::close(pipe_fds[1]);
        fail_io("cannot run " + qrencode + ": " + std::strerror(spawned));
    }
    // qrencode may end before reading everything: a write error, not SIGPIPE.
    ::signal(SIGPIPE, SIG_IGN);
    std::size_t written = 0;
    while (written < text.size()) {
        const ssize_t n = ::write(pipe_fds[1], text.data() + written, text.size() - written);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        written += static_cast<std::size_t>(n);
    }
    ::close(pipe_fds[1]);
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {}
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0 || written < text.size()) {
        fail_io(qrencode + " failed" +
                (WIFEXITED(status) ? " (exit status " + std::to_string(WEXITSTATUS(status)) + ")" : std::string()));
    }
}

int run_issue(const Context& context, const Args& args) {
    const std::string camera_id = required_value(args, "--camera", "key issue");
    require_camera_id(camera_id, "camera id");
    const std::int64_t ttl = parse_duration(required_value(args, "--ttl", "key issue"), "--ttl");
    std::int64_t now = args.has("--now") ? parse_unix_time(*args.value("--now"), "--now", false) : now_unix();
    if (auto secret_id = args.value("--secret")) require_secret_id(*secret_id, "secret id");
    std::optional<BaseUrl> base;
    if (auto url = args.value("--url")) base = parse_base_url(*url);
    const bool json = args.has("--json");
    std::string qrencode;
    if (args.has("--qr")) {
        if (!base) fail_usage("--qr needs --url: the QR code holds the browser link");
        if (json) fail_usage("--qr and --json do not go together");
        qrencode = find_qrencode();
    }

    const CamerasFile cameras = load_cameras(context);
    const Camera& camera = find_camera(cameras, camera_id);
    // Right after `camera revoke` (revoke-before = then + kMaxIssuedAhead + 1)
    // a key is issued at revoke-before, which the relay accepts from one
    // second after the revocation on: wait for that second.
    const std::int64_t revoke_before = camera.keys.revoke_before;
    while (!args.has("--now") && revoke_before > now + kMaxIssuedAhead && revoke_before <= now + kMaxIssuedAhead + 1) {
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
        now = now_unix();
    }
    const std::int64_t issued = std::max(now, revoke_before);
    if (issued > now + kMaxIssuedAhead) {
        fail_refused("camera '" + camera_id + "' refuses keys issued before " + format_utc(revoke_before) +
                     ": this key would be revoked from the start");
    }

    const SecretsFile secrets = load_secrets_file(context, SecretsPurpose::keys);
    const Secret* secret = nullptr;
    if (auto secret_id = args.value("--secret")) {
        secret = secrets.secrets.find(*secret_id);
        if (secret == nullptr) fail_refused("unknown secret '" + *secret_id + "' (not in " + secrets.path + ")");
    } else {
        secret = secrets.secrets.primary();
        if (secret == nullptr) {
            fail_config("no primary signing secret in " + secrets.path + ": create one with 'camrelay secret new'");
        }
    }

    const std::string key = issue_key(*secret, camera_id, issued, issued + ttl);
    const std::optional<ViewerLinks> links = base ? std::optional(viewer_links(*base, key)) : std::nullopt;
    if (json) {
        std::string out = "{\"camera\": " + text::json_quote(camera_id) +
                          ", \"secret\": " + text::json_quote(secret->id) + ", \"issued\": " + std::to_string(issued) +
                          ", \"expires\": " + std::to_string(issued + ttl) + ", \"key\": " + text::json_quote(key);
        if (links) {
            out += ", \"browser\": " + text::json_quote(links->browser) +
                   ", \"websocket\": " + text::json_quote(links->websocket);
        }
        std::cout << out << "}\n";
    } else if (links) {
        std::cout << "browser    " << links->browser << "\n"
                  << "websocket  " << links->websocket << "\n";
        if (!qrencode.empty()) print_qr_code(qrencode, links->browser);
    } else {
        std::cout << key << "\n";
    }
    return kExitOk;
}

// Why check_key said no, in words, from the key's public fields only.
std::string explain(KeyVerdict verdict, std::string_view key, const Camera& camera, std::int64_t now) {
    const std::optional<KeyFields> fields = parse_key(key);
    const bool legacy = !key.starts_with("v1.");
    switch (verdict) {
        case KeyVerdict::allowed: return "";
        case KeyVerdict::missing: return "no key given";
        case KeyVerdict::malformed:
            if (key.size() > kMaxKeyLength) return "longer than " + std::to_string(kMaxKeyLength) + " characters";
            if (!legacy) return "not a well-formed v1 key";
            if (!camera.keys.legacy_sha256) return "not a v1 key, and camera " + camera.id + " has no legacy key";
            return "not a usable key";
        case KeyVerdict::unknown_secret:
            if (fields) {
                return "signed with secret '" + fields->secret_id + "', which is not in secrets.conf (retired?)";
            }
            return "signed with a secret that is not in secrets.conf";
        case KeyVerdict::bad_signature:
            if (legacy) return "does not match camera " + camera.id + "'s legacy key";
            if (fields) return "the signature does not match secret '" + fields->secret_id + "' (altered key?)";
            return "the signature does not match";
        case KeyVerdict::expired:
            if (fields) return "expired " + format_utc(fields->expires) + ", " + format_relative(fields->expires, now);
            return "expired";
        case KeyVerdict::wrong_camera:
            if (fields) return "the key is for camera " + fields->camera + ", not " + camera.id;
            return "the key is for another camera";
        case KeyVerdict::revoked:
            if (fields && fields->issued > now + kMaxIssuedAhead) {
                return "issued " + format_utc(fields->issued) + ", more than " + std::to_string(kMaxIssuedAhead) +
                       " s ahead of the relay's clock: no revocation could cover it";
            }
            if (fields) {
                return "issued " + format_utc(fields->issued) + ", before camera " + camera.id + "'s revoke-before " +
                       format_utc(camera.keys.revoke_before);
            }
            return "issued before camera " + camera.id + "'s revoke-before " + format_utc(camera.keys.revoke_before);
    }
    return "";
}

int run_check(const Context& context, const Args& args) {
    std::string key = args.positionals()[0];
    if (key == "-") {
        // From standard input, so that the key stays out of the process list.
        key = read_file_or_stdin("-");
        if (key.ends_with("\n")) key.pop_back();
        if (key.ends_with("\r")) key.pop_back();
    }
    const std::string camera_id = required_value(args, "--camera", "key check");
    require_camera_id(camera_id, "camera id");
    const std::int64_t now = args.has("--now") ? parse_unix_time(*args.value("--now"), "--now", false) : now_unix();

    const CamerasFile cameras = load_cameras(context);
    const Camera& camera = find_camera(cameras, camera_id);
    const SecretsFile secrets = load_secrets_file(context, SecretsPurpose::keys);

    const KeyVerdict verdict = check_key(secrets.secrets, key, camera_id, camera.keys, now);
    if (verdict == KeyVerdict::allowed) {
        std::cout << "allowed\n";
        return kExitOk;
    }
    std::cout << "refused: " << to_string(verdict) << " (" << explain(verdict, key, camera, now) << ")\n";
    return kExitNo;
}

}  // namespace

CommandGroup key_commands() {
    // The command table reads best as written: one command per block.
    // clang-format off
    return CommandGroup{
        "key",
        "Issue and check viewer keys (the k= parameter of a viewer's link).",
        {
            Command{
                "issue",
                "--camera ID --ttl DURATION [--url BASE [--qr]] [--json] [--secret ID] [--now UNIX]",
                "mint a viewer key for one camera",
                "Prints the key alone, or with --url the camera's two links with the key:\n"
                "\n"
                "  browser    https://relay.example.com/cam1/?k=KEY   the camera's page, for a person\n"
                "  websocket  wss://relay.example.com/cam1/?k=KEY     the stream, for programs\n"
                "\n"
                "The key is signed with the primary secret and is valid from now for\n"
                "DURATION. Right after 'camera revoke' the key is issued at the camera's\n"
                "revoke-before time (up to 61 s ahead; the command may wait one second for\n"
                "the relay to accept it). The key is printed on standard output only.\n"
                "\n"
                "Options:\n"
                "  --camera ID      the camera the key opens (must be registered)\n"
                "  --ttl DURATION   how long the key is valid: a positive number and a unit,\n"
                "                   s, m, h, d or w (30s, 15m, 12h, 7d, 2w); at most ten years\n"
                "  --url BASE       the camera's address on the relay, https:// or wss://\n"
                "                   (http:// or ws:// without TLS), for example\n"
                "                   --url https://relay.example.com/cam1/: k=KEY is added to\n"
                "                   its query; the page and the WebSocket have one address\n"
                "  --qr             also print the browser link as a QR code, for a phone\n"
                "                   (needs the qrencode program)\n"
                "  --json           print one JSON object: camera, secret, issued, expires,\n"
                "                   key, and with --url browser and websocket\n"
                "  --secret ID      sign with this secret instead of the primary one\n"
                "  --now UNIX       issue as if the time were UNIX (Unix seconds), for tests\n",
                {{"--camera", "ID"}, {"--ttl", "DURATION"}, {"--url", "BASE"}, {"--qr", ""}, {"--json", ""},
                 {"--secret", "ID"}, {"--now", "UNIX"}},
                0,
                0,
                run_issue,
            },
            Command{
                "check",
                "KEY --camera ID [--now UNIX]",
                "tell whether the relay would let a key open a camera",
                "Checks KEY ('-' reads it from standard input, which keeps it out of the\n"
                "process list) exactly as the relay does. Prints 'allowed' and exits 0, or\n"
                "prints 'refused: REASON (explanation)' and exits 1, where REASON is one of\n"
                "missing, malformed, unknown_secret, bad_signature, expired, wrong_camera,\n"
                "revoked. The key itself is never printed. Put '--' before a legacy key\n"
                "that starts with '-'.\n"
                "\n"
                "Options:\n"
                "  --camera ID  the camera the key should open (must be registered)\n"
                "  --now UNIX   check as if the time were UNIX (Unix seconds)\n",
                {{"--camera", "ID"}, {"--now", "UNIX"}},
                1,
                1,
                run_check,
            },
        },
    };
    // clang-format on
}

}  // namespace camrelay::cli
