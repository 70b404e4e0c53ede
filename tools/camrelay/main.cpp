// camrelay command: global options, help and dispatch to the command groups.
#include <iostream>
#include <span>
#include <string>
#include <vector>

#include "cli.hpp"

#ifndef CAMRELAY_VERSION
#define CAMRELAY_VERSION "unknown"
#endif

namespace camrelay::cli {

// setup_command.cpp: execs the relay setup program.
int run_setup(const std::optional<std::string>& config_dir, std::span<const std::string> args);
// check_command.cpp: the configuration read as varnishd's module reads it.
int run_check(const std::optional<std::string>& config_dir, std::span<const std::string> args);
// status_command.cpp: one row per camera, from varnishd's counters.
int run_status(const std::optional<std::string>& config_dir, std::span<const std::string> args);
// metrics_command.cpp: the same counters as Prometheus metrics.
int run_metrics(const std::optional<std::string>& config_dir, std::span<const std::string> args);

#ifndef CAMRELAY_TUNNEL_SCRIPT
#define CAMRELAY_TUNNEL_SCRIPT "/usr/bin/camrelay-tunnel"
#endif
// `camrelay tunnel ARGS...`: the camera side of a tunnel, camrelay-tunnel(1).
// It takes no --config: its own --config names a tunnel configuration file.
int run_tunnel(std::span<const std::string> args) {
    static constexpr ExternalProgram kTunnel{CAMRELAY_TUNNEL_SCRIPT, "CAMRELAY_TUNNEL_PROGRAM", "camrelay-tunnel",
                                             false};
    exec_external(kTunnel, std::nullopt, args);
}

namespace {

constexpr std::string_view kExitStatusHelp =
    "Exit status:\n"
    "  0  success\n"
    "  1  a check said no: 'key check' refused the key, or 'camera list --check'\n"
    "     or 'status --check' found a camera whose tunnel is down\n"
    "  2  usage error: unknown command or option, missing or malformed argument\n"
    "  3  configuration error: a file in the configuration directory does not\n"
    "     parse (the message says FILE:LINE: reason), or has no signing secret\n"
    "  4  refused: the request conflicts with the configuration (duplicate id,\n"
    "     unknown camera or secret, port or socket already used, retiring the\n"
    "     primary secret); the files are left untouched\n"
    "  5  I/O or permission error\n";

std::vector<CommandGroup> all_groups() { return {camera_commands(), secret_commands(), key_commands()}; }

std::string main_help(const std::vector<CommandGroup>& groups) {
    std::string text =
        "Usage: camrelay [--config DIR] COMMAND [ARGS...]\n"
        "\n"
        "Manage a camrelay relay: the cameras it serves, the secrets that sign\n"
        "viewer keys, and the keys themselves.\n"
        "\n"
        "Commands:\n";
    std::vector<std::vector<std::string>> rows;
    for (const CommandGroup& group : groups) {
        for (const Command& command : group.commands) {
            rows.push_back(
                {"  " + std::string(group.name) + " " + std::string(command.name), std::string(command.summary)});
        }
    }
    text += format_table(rows);
    text += "  check  check the configuration as varnishd loads it (camrelay check --help)\n";
    text += "  metrics serve each camera's counters as Prometheus metrics (camrelay metrics --help)\n";
    text += "  setup  turn this server into a working relay (camrelay setup --help)\n";
    text += "  status show each camera's tunnel, viewers, bytes and refusals (camrelay status --help)\n";
    text += "  tunnel keep a camera's tunnel to a relay up (camrelay tunnel --help)\n";
    text +=
        "\n"
        "Global options:\n"
        "  --config DIR  configuration directory holding cameras.conf and secrets.conf\n"
        "                (default: $CAMRELAY_CONFIG if set, else /etc/camrelay)\n"
        "  --help, -h    show help; also after any command: camrelay camera add --help\n"
        "  --version     print the version\n"
        "\n";
    text += kExitStatusHelp;
    text += "\nSee camrelay(1) for more.\n";
    return text;
}

std::string group_help(const CommandGroup& group) {
    std::string text = "Usage: camrelay [--config DIR] " + std::string(group.name) + " COMMAND [ARGS...]\n\n" +
                       std::string(group.summary) + "\n\nCommands:\n";
    std::vector<std::vector<std::string>> rows;
    for (const Command& command : group.commands) {
        rows.push_back({"  " + std::string(command.name), std::string(command.summary)});
    }
    text += format_table(rows);
    text += "\nRun 'camrelay " + std::string(group.name) + " COMMAND --help' for a command's options.\n";
    return text;
}

std::string command_help(const CommandGroup& group, const Command& command) {
    std::string text = "Usage: camrelay [--config DIR] " + std::string(group.name) + " " + std::string(command.name);
    if (!command.synopsis.empty()) text += " " + std::string(command.synopsis);
    std::string sentence(command.summary);
    if (!sentence.empty() && sentence[0] >= 'a' && sentence[0] <= 'z')
        sentence[0] = static_cast<char>(sentence[0] - 'a' + 'A');
    text += "\n\n" + sentence + ".\n";
    if (!command.details.empty()) text += "\n" + std::string(command.details);
    text += "\n" + std::string(kExitStatusHelp);
    return text;
}

const CommandGroup* find_group(const std::vector<CommandGroup>& groups, std::string_view name) {
    for (const CommandGroup& group : groups) {
        if (group.name == name) return &group;
    }
    return nullptr;
}

const Command* find_command(const CommandGroup& group, std::string_view name) {
    for (const Command& command : group.commands) {
        if (command.name == name) return &command;
    }
    return nullptr;
}

// Where a usage error sends the user for help.
struct HelpHint {
    std::string command_path;  // "", "camera" or "camera add"
};

int run(std::span<const std::string> args, HelpHint& hint) {
    const std::vector<CommandGroup> groups = all_groups();

    std::optional<std::string> explicit_config;
    std::size_t next = 0;
    for (; next < args.size(); ++next) {
        const std::string& arg = args[next];
        if (arg == "--help" || arg == "-h") {
            std::cout << main_help(groups);
            return kExitOk;
        }
        if (arg == "--version") {
            std::cout << "camrelay " << CAMRELAY_VERSION << "\n";
            return kExitOk;
        }
        if (arg == "--config" || arg.starts_with("--config=")) {
            if (explicit_config) fail_usage("option --config given twice");
            if (arg == "--config") {
                if (next + 1 >= args.size()) fail_usage("option --config needs a value (DIR)");
                explicit_config = args[++next];
            } else {
                explicit_config = arg.substr(std::string_view("--config=").size());
            }
            if (explicit_config->empty()) fail_usage("option --config needs a directory");
            continue;
        }
        if (arg.starts_with("-")) fail_usage("unknown option '" + arg + "'");
        break;
    }
    if (next >= args.size()) fail_usage("no command given");

    // "camrelay help [GROUP [COMMAND]]" is another spelling of --help.
    if (args[next] == "help") {
        std::span<const std::string> topic = args.subspan(next + 1);
        if (topic.empty()) {
            std::cout << main_help(groups);
            return kExitOk;
        }
        const CommandGroup* group = find_group(groups, topic[0]);
        if (group == nullptr) fail_usage("no help on '" + topic[0] + "': unknown command");
        if (topic.size() == 1) {
            std::cout << group_help(*group);
            return kExitOk;
        }
        const Command* command = find_command(*group, topic[1]);
        if (command == nullptr) fail_usage("no help on '" + topic[0] + " " + topic[1] + "': unknown command");
        std::cout << command_help(*group, *command);
        return kExitOk;
    }

    if (args[next] == "check") return run_check(explicit_config, args.subspan(next + 1));
    if (args[next] == "setup") return run_setup(explicit_config, args.subspan(next + 1));
    if (args[next] == "metrics") return run_metrics(explicit_config, args.subspan(next + 1));
    if (args[next] == "status") return run_status(explicit_config, args.subspan(next + 1));
    if (args[next] == "tunnel") return run_tunnel(args.subspan(next + 1));

    const CommandGroup* group = find_group(groups, args[next]);
    if (group == nullptr) fail_usage("unknown command '" + args[next] + "'");
    hint.command_path = std::string(group->name);
    ++next;
    if (next >= args.size() || args[next] == "--help" || args[next] == "-h") {
        if (next < args.size()) {
            std::cout << group_help(*group);
            return kExitOk;
        }
        fail_usage(std::string(group->name) + ": no command given");
    }
    const Command* command = find_command(*group, args[next]);
    if (command == nullptr) fail_usage(std::string(group->name) + ": unknown command '" + args[next] + "'");
    hint.command_path += " " + std::string(command->name);
    std::span<const std::string> command_args = args.subspan(next + 1);
    if (asks_for_help(command_args)) {
        std::cout << command_help(*group, *command);
        return kExitOk;
    }
    const Args parsed = parse_args(*command, hint.command_path, command_args);
    const Context context{config_dir(explicit_config.value_or(""))};
    return command->run(context, parsed);
}

}  // namespace
}  // namespace camrelay::cli

int main(int argc, char** argv) {
    using namespace camrelay::cli;
    const std::vector<std::string> args(argv + 1, argv + argc);
    HelpHint hint;
    try {
        const int status = run(args, hint);
        std::cout.flush();
        if (!std::cout) {
            std::cerr << "camrelay: cannot write to standard output\n";
            return kExitIo;
        }
        return status;
    } catch (const Failure& failure) {
        std::cout.flush();
        std::cerr << "camrelay: " << failure.what() << "\n";
        if (failure.exit_code() == kExitUsage) {
            const std::string help = hint.command_path.empty() ? "" : hint.command_path + " ";
            std::cerr << "Try 'camrelay " << help << "--help'.\n";
        }
        return failure.exit_code();
    } catch (const camrelay::ConfigError& error) {
        std::cerr << "camrelay: " << error.what() << "\n";
        return kExitConfig;
    } catch (const std::exception& error) {
        std::cerr << "camrelay: " << error.what() << "\n";
        return kExitIo;
    }
}
