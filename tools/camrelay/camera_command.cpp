// camrelay command: `camrelay camera ...`, the camera registry (cameras.conf).
#include <iostream>
#include <string>
#include <vector>

#include "camera_ssh.hpp"
#include "cli.hpp"
#include "camrelay/admin/config_edit.hpp"
#include "camrelay/crypto.hpp"
#include "camrelay/text.hpp"
#include "camrelay/tunnel_status.hpp"

namespace camrelay::cli {
namespace {

constexpr mode_t kCamerasMode = 0644;  // world-readable: varnishd reads it, it holds no secret

// Refuse text that would split or end a cameras.conf line if it ever reached
// one: whitespace, control bytes and the comment character.
void require_single_token(std::string_view text, std::string_view what) {
    if (text.empty()) fail_usage(std::string(what) + " is empty");
    for (char c : text) {
        const auto byte = static_cast<unsigned char>(c);
        if (byte <= 0x20 || byte == 0x7f || c == '#') {
            fail_usage(std::string(what) + " '" + std::string(text) +
                       "' may not contain spaces, control characters or '#'");
        }
    }
}

// A legacy fixed key, read from a file or stdin: one line, whose trailing
// newline is not part of the key.
std::string read_legacy_key(const std::string& source) {
    std::string key = read_file_or_stdin(source);
    if (key.ends_with("\n")) key.pop_back();
    if (key.ends_with("\r")) key.pop_back();
    const std::string from = source == "-" ? "standard input" : source;
    if (key.empty()) fail_usage("legacy key from " + from + " is empty");
    for (char c : key) {
        const auto byte = static_cast<unsigned char>(c);
        if (byte < 0x20 || byte == 0x7f)
            fail_usage("legacy key from " + from + " must be one line of printable characters");
    }
    if (key.starts_with("v1."))
        fail_usage("legacy key from " + from + " starts with 'v1.', which the relay reads as a signed key");
    if (key.size() > kMaxKeyLength) {
        fail_usage("legacy key from " + from + " is longer than " + std::to_string(kMaxKeyLength) + " characters");
    }
    return key;
}

// The camera that `camera add` describes. The core's parser is the one
// authority on what a tunnel may look like, so the options become the tokens
// of one registry line and that line is parsed; the result is then written
// back in canonical form by registry_add_camera.
Camera camera_from_options(const std::string& id, const Args& args, std::optional<std::uint16_t> default_port = {}) {
    const int tunnels = int{args.has("--port")} + int{args.has("--socket")} + int{args.has("--upstream")};
    if (tunnels == 0 && !default_port)
        fail_usage("camera add: give the tunnel with --port PORT, --socket PATH or --upstream HOST:PORT");
    if (tunnels > 1) fail_usage("camera add: give only one of --port, --socket and --upstream");

    std::string line = "camera " + id;
    if (auto port = args.value("--port")) {
        line += " port=" + std::to_string(parse_port(*port, "--port"));
    } else if (default_port) {
        line += " port=" + std::to_string(*default_port);
    } else if (auto socket = args.value("--socket")) {
        require_single_token(*socket, "--socket");
        if (!socket->starts_with("/")) fail_usage("--socket '" + *socket + "' must be an absolute path");
        line += " socket=" + *socket;
    } else if (auto upstream = args.value("--upstream")) {
        require_single_token(*upstream, "--upstream");
        line += " upstream=" + *upstream;
    }
    if (auto max_viewers = args.value("--max-viewers")) {
        const std::uint64_t count = parse_decimal(*max_viewers, kMaxMaxViewers, "--max-viewers");
        if (count == 0) fail_usage("--max-viewers must be from 1 to " + std::to_string(kMaxMaxViewers));
        line += " max-viewers=" + std::to_string(count);
    }
    if (auto legacy_source = args.value("--legacy-key-file")) {
        line += " legacy-sha256=" + hex_encode(sha256(read_legacy_key(*legacy_source)));
    }

    try {
        Registry parsed = parse_registry(line + "\n", "command line");
        if (parsed.cameras.size() != 1) fail_usage("camera add: the options do not describe one camera");
        return parsed.cameras.front();
    } catch (const ConfigError& error) {
        fail_usage("camera add: " + error.reason());
    }
}

std::string where(const CamerasFile& file, const Camera& camera) {
    return file.path + ":" + std::to_string(camera.line);
}

void refuse_conflicts(const CamerasFile& file, const Camera& added) {
    for (const Camera& existing : file.registry.cameras) {
        if (existing.id == added.id) {
            fail_refused("camera '" + added.id + "' already exists (" + where(file, existing) + ")");
        }
        const Tunnel& theirs = existing.tunnel;
        const Tunnel& ours = added.tunnel;
        if (ours.kind == Tunnel::Kind::port && theirs.kind == Tunnel::Kind::port && ours.port == theirs.port) {
            fail_refused("port " + std::to_string(ours.port) + " is already used by camera '" + existing.id + "' (" +
                         where(file, existing) + ")");
        }
        if (ours.kind == Tunnel::Kind::socket && theirs.kind == Tunnel::Kind::socket && ours.path == theirs.path) {
            fail_refused("socket " + ours.path + " is already used by camera '" + existing.id + "' (" +
                         where(file, existing) + ")");
        }
    }
}

// Apply an edit of cameras.conf: the core edits the text (keeping comments),
// the result must parse again, then it replaces the file atomically.
template <typename Edit>
void edit_cameras(const CamerasFile& file, Edit&& edit) {
    const std::string text = checked_edit([&] {
        std::string edited = edit();
        parse_registry(edited, file.path);
        return edited;
    });
    write_config_file(file.path, text, kCamerasMode);
}

// Edit the line of camera `id`, which must exist: cameras.conf read, edited
// and written under the directory lock.
template <typename Edit>
void edit_camera(const Context& context, const std::string& id, Edit&& edit) {
    DirectoryLock lock(context.config_dir);
    const CamerasFile file = load_cameras(context);
    find_camera(file, id);
    edit_cameras(file, [&] { return edit(file); });
}

// The camera a command acts on: its first argument, a valid camera id.
const std::string& camera_argument(const Args& args) {
    const std::string& id = args.positionals()[0];
    require_camera_id(id, "camera id");
    return id;
}

// Options that set up more than the registry line (an SSH account for the
// camera's tunnel, say) go into the option list of "add" below, are read here
// into `camera` (its ssh_key field is written verbatim by the core), and act
// after the registry is written, while the lock is still held.
int run_add(const Context& context, const Args& args) {
    const std::string& id = camera_argument(args);

    DirectoryLock lock(context.config_dir);
    const CamerasFile file = load_cameras(context);
    Camera camera = camera_from_options(id, args, ssh_default_port(args, file));
    refuse_conflicts(file, camera);
    refuse_tunnel_in_use(camera.tunnel);
    const std::optional<SshAdd> ssh = ssh_prepare_add(context, args, file, camera);  // checks only
    edit_cameras(file, [&] { return registry_add_camera(file.text, camera, file.path); });
    if (ssh) ssh_commit_add(*ssh, file);

    std::cout << "added camera " << id << " (" << camera.tunnel.describe() << ", at most " << camera.max_viewers
              << " viewer" << (camera.max_viewers == 1 ? "" : "s") << (camera.keys.legacy_sha256 ? ", legacy key" : "")
              << ")\n";
    if (ssh) ssh_print_add(*ssh, std::cout);
    return kExitOk;
}

int run_remove(const Context& context, const Args& args) {
    const std::string& id = camera_argument(args);

    DirectoryLock lock(context.config_dir);
    const CamerasFile file = load_cameras(context);
    const std::optional<SshRemove> ssh = ssh_prepare_remove(context, find_camera(file, id));
    const bool was_default = file.registry.default_camera == id;
    checked_edit([&] { return registry_remove_camera(file.text, id, file.path); });  // refused: nothing written
    if (ssh) ssh_commit_remove(*ssh);
    edit_cameras(file, [&] { return registry_remove_camera(file.text, id, file.path); });

    std::cout << "removed camera " << id << (was_default ? " (it was the default camera: there is no default now)" : "")
              << "\n";
    if (ssh) ssh_after_remove(*ssh, std::cout);
    close_tunnel(find_camera(file, id), std::cout);
    return kExitOk;
}

int run_default(const Context& context, const Args& args) {
    const std::string& id = camera_argument(args);
    edit_camera(context, id, [&](const CamerasFile& file) { return registry_set_default(file.text, id, file.path); });

    std::cout << "default camera is now " << id << "\n";
    return kExitOk;
}

int run_revoke(const Context& context, const Args& args) {
    const std::string& id = camera_argument(args);
    const std::int64_t now = now_unix();
    // "now" covers every key the relay accepts now: those issued up to
    // kMaxIssuedAhead seconds ahead of its clock (key.hpp) included.
    const std::string before_text = args.value("--before").value_or("now");
    const std::int64_t before =
        before_text == "now" ? now + kMaxIssuedAhead + 1 : parse_unix_time(before_text, "--before", true);

    edit_camera(context, id, [&](const CamerasFile& file) {
        return registry_set_option(file.text, id, "revoke-before", std::to_string(before), file.path);
    });

    if (before == 0) {
        std::cout << "camera " << id << ": revocation lifted\n";
    } else {
        std::cout << "camera " << id << ": keys issued before " << format_utc(before) << " are refused"
                  << (before_text == "now" ? " (every key issued so far, clock skew included)" : "") << "\n";
    }
    return kExitOk;
}

enum class TunnelState { up, down, remote };

std::string_view to_string(TunnelState state) {
    switch (state) {
        case TunnelState::up: return "up";
        case TunnelState::down: return "down";
        case TunnelState::remote: return "remote";
    }
    return "?";
}

int run_list(const Context& context, const Args& args) {
    const CamerasFile file = load_cameras(context);
    const ListenTable listening = read_listen_table();

    auto state_of = [&](const Camera& camera) {
        // An upstream is another relay's business: nothing here to look at.
        if (camera.tunnel.kind == Tunnel::Kind::upstream) return TunnelState::remote;
        return tunnel_up(camera.tunnel, listening) ? TunnelState::up : TunnelState::down;
    };

    bool any_down = false;
    if (args.has("--json")) {
        std::string out = "[";
        for (std::size_t i = 0; i < file.registry.cameras.size(); ++i) {
            const Camera& camera = file.registry.cameras[i];
            const TunnelState state = state_of(camera);
            any_down = any_down || state == TunnelState::down;
            out += i == 0 ? "\n" : ",\n";
            out += "  {\"id\": " + text::json_quote(camera.id) +
                   ", \"tunnel\": " + text::json_quote(camera.tunnel.describe()) +
                   ", \"max_viewers\": " + std::to_string(camera.max_viewers) +
                   ", \"default\": " + (file.registry.default_camera == camera.id ? "true" : "false") +
                   ", \"status\": " + text::json_quote(to_string(state)) +
                   ", \"revoke_before\": " + std::to_string(camera.keys.revoke_before) +
                   ", \"legacy_key\": " + (camera.keys.legacy_sha256 ? "true" : "false") + "}";
        }
        out += file.registry.cameras.empty() ? "]\n" : "\n]\n";
        std::cout << out;
    } else if (file.registry.cameras.empty()) {
        std::cerr << "camrelay: no cameras in " << file.path << (file.exists ? "" : " (the file does not exist yet)")
                  << "\n";
    } else {
        std::vector<std::vector<std::string>> rows{{"ID", "TUNNEL", "MAX-VIEWERS", "DEFAULT", "STATUS"}};
        for (const Camera& camera : file.registry.cameras) {
            const TunnelState state = state_of(camera);
            any_down = any_down || state == TunnelState::down;
            rows.push_back({camera.id, camera.tunnel.describe(), std::to_string(camera.max_viewers),
                            file.registry.default_camera == camera.id ? "*" : "", std::string(to_string(state))});
        }
        std::cout << format_table(rows);
    }
    return args.has("--check") && any_down ? kExitNo : kExitOk;
}

}  // namespace

CommandGroup camera_commands() {
    // The command table reads best as written: one command per block.
    // clang-format off
    return CommandGroup{
        "camera",
        "Manage the camera registry, cameras.conf in the configuration directory.\n"
        "Changes take effect when varnishd reloads its VCL (camrelay setup --reload).",
        {
            Command{
                "add",
                "ID (--port PORT | --socket PATH | --upstream HOST:PORT) [--max-viewers N] [--legacy-key-file FILE]\n"
                "       [--ssh-key FILE.pub [--ssh-user USER] [--relay HOST[:PORT]] [--relay-host-key FILE]\n"
                "        [--https-port PORT]]",
                "register a camera and where its tunnel lands",
                "Adds a camera line to cameras.conf (created if missing), keeping every\n"
                "other line and comment. Refused, with the file left untouched, if the id,\n"
                "the port or the socket is already used, by a camera or by anything that\n"
                "listens on it on this machine.\n"
                "\n"
                "ID is 1 to 63 characters of a-z, 0-9 and '-', not starting or ending\n"
                "with '-'. It becomes the URL prefix: ws://RELAY/ID/...\n"
                "\n"
                "Options:\n"
                "  --port PORT             the camera runs 'ssh -R 127.0.0.1:PORT:...' to this relay\n"
                "  --socket PATH           the camera runs 'ssh -R PATH:...' (absolute Unix socket path)\n"
                "  --upstream HOST:PORT    another relay or a directly reachable camera\n"
                "  --max-viewers N         viewers at once, 1 to 1000 (default 2)\n"
                "  --legacy-key-file FILE  also accept this fixed key (one line; '-' reads standard\n"
                "                          input); only its SHA-256 is stored\n"
                "  --ssh-key FILE.pub      let this SSH public key open the camera's tunnel: adds its\n"
                "                          line to ssh/authorized_keys in the configuration directory\n"
                "                          (-R 127.0.0.1:PORT only, no shell), stores it as ssh-key=,\n"
                "                          prints what to install on the camera; without --port a\n"
                "                          free port of 20000-29999 is picked. Refused if the key is\n"
                "                          malformed or already used, or the port is listened on\n"
                "  --ssh-user USER         the relay's forwarding account (default camrelay-cam)\n"
                "  --relay HOST[:PORT]     how cameras reach this relay's sshd, for the printed\n"
                "                          settings (default: this host name, port 22)\n"
                "  --relay-host-key FILE   the relay's public host key for the camera to pin\n"
                "                          (default /etc/ssh/ssh_host_ed25519_key.pub)\n"
                "  --https-port PORT       where cameras behind firewalls reach this relay's sshd (SSH\n"
                "                          and SSH inside TLS), for the printed settings (default: the\n"
                "                          port of camrelay setup's --https-listen, else 443)\n",
                {{"--port", "PORT"}, {"--socket", "PATH"}, {"--upstream", "HOST:PORT"}, {"--max-viewers", "N"},
                 {"--legacy-key-file", "FILE"}, {"--ssh-key", "FILE"}, {"--ssh-user", "USER"},
                 {"--relay", "HOST[:PORT]"}, {"--relay-host-key", "FILE"}, {"--https-port", "PORT"}},
                1,
                1,
                run_add,
            },
            Command{
                "remove",
                "ID",
                "remove a camera from the registry",
                "Removes the camera's line from cameras.conf; if it was the default camera,\n"
                "the default line goes too. A camera added with --ssh-key also loses its\n"
                "authorized_keys line, and its live tunnel connection is closed. Any SSH\n"
                "connection still holding the camera's port or socket is ended (plain\n"
                "'ssh -N -R' too); another process listening there is left running, with\n"
                "a warning.\n",
                {},
                1,
                1,
                run_remove,
            },
            Command{
                "list",
                "[--json] [--check]",
                "list the cameras and whether their tunnels are up",
                "Prints each camera's id, tunnel, viewer limit, a '*' for the default camera\n"
                "and the tunnel's status: 'up' when something listens on its port or socket\n"
                "on this machine, 'down' otherwise, 'remote' for an upstream (not checked).\n"
                "\n"
                "Options:\n"
                "  --json   print a JSON array of objects with the fields id, tunnel,\n"
                "           max_viewers, default, status, revoke_before and legacy_key\n"
                "  --check  exit with status 1 if any tunnel is down\n",
                {{"--json", ""}, {"--check", ""}},
                0,
                0,
                run_list,
            },
            Command{
                "default",
                "ID",
                "make a camera the default",
                "The default camera serves requests whose URL, Host and query name no camera.\n",
                {},
                1,
                1,
                run_default,
            },
            Command{
                "revoke",
                "ID [--before UNIX|now]",
                "refuse every key of a camera issued before a time",
                "Sets the camera's revoke-before time: keys issued before it are refused\n"
                "(reason 'revoked'), keys issued from then on work. Use it when a link has\n"
                "leaked; then hand out new keys with 'camrelay key issue'.\n"
                "'now' means now + 61 s: the relay accepts keys issued up to 60 s ahead of\n"
                "its clock, and every key issued so far, in this very second too, is refused.\n"
                "\n"
                "Options:\n"
                "  --before UNIX|now  the time, in Unix seconds, or now (default now);\n"
                "                     0 lifts the revocation\n",
                {{"--before", "UNIX|now"}},
                1,
                1,
                run_revoke,
            },
        },
    };
    // clang-format on
}

}  // namespace camrelay::cli
