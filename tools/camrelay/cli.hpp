// camrelay command: what every command group shares. The command table
// (Command, CommandGroup), argument parsing, exit codes and errors, and the
// read-check-edit-write cycle on the configuration files. The key format and
// the file grammar are lib/camrelay's; nothing here re-implements them.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "camrelay/key.hpp"
#include "camrelay/registry.hpp"
#include "camrelay/secrets.hpp"

namespace camrelay::cli {

// Exit codes are part of the interface: scripts rely on them. Keep them in
// step with the main --help text and camrelay.1.rst.
enum ExitCode : int {
    kExitOk = 0,
    kExitNo = 1,       // a check said no: key check refused, camera list --check saw an offline tunnel
    kExitUsage = 2,    // bad command line
    kExitConfig = 3,   // a configuration file does not parse, or lacks what the command needs
    kExitRefused = 4,  // the request conflicts with the configuration (duplicate, unknown id, ...)
    kExitIo = 5,       // I/O or permission error
};

// Ends the command: main prints "camrelay: <what()>" and exits with exit_code().
class Failure : public std::runtime_error {
public:
    Failure(int exit_code, const std::string& message) : std::runtime_error(message), exit_code_(exit_code) {}
    int exit_code() const { return exit_code_; }

private:
    int exit_code_;
};

[[noreturn]] void fail_usage(const std::string& message);
[[noreturn]] void fail_config(const std::string& message);
[[noreturn]] void fail_refused(const std::string& message);
[[noreturn]] void fail_io(const std::string& message);

// A command carried out by another installed program (external.cpp).
struct ExternalProgram {
    const char* program;       // absolute path of the installed program
    const char* override_env;  // environment variable naming another one (tests)
    const char* package;       // Debian package that installs it, for the error
    bool passes_config;        // pass --config DIR on when it was given
};
// Replaces the process with the program and ARGS; returns only by failing
// (exit 5).
[[noreturn]] void exec_external(const ExternalProgram& external, const std::optional<std::string>& config_dir,
                                std::span<const std::string> args);

// One option of one command. A flag has an empty value_name.
struct Option {
    std::string_view name;        // "--port"
    std::string_view value_name;  // "PORT", or empty for a flag
};

// The parsed command line of one command.
class Args {
public:
    bool has(std::string_view option) const { return values_.count(std::string(option)) != 0; }
    std::optional<std::string> value(std::string_view option) const;
    const std::vector<std::string>& positionals() const { return positionals_; }

    void set(std::string_view option, std::string value) { values_[std::string(option)] = std::move(value); }
    void add_positional(std::string value) { positionals_.push_back(std::move(value)); }

private:
    std::map<std::string, std::string> values_;  // flags map to ""
    std::vector<std::string> positionals_;
};

// Where the configuration lives, as chosen by --config / $CAMRELAY_CONFIG.
struct Context {
    std::string config_dir;
    std::string cameras_path() const { return config_dir + "/" + kCamerasFile; }
    std::string secrets_path() const { return config_dir + "/" + kSecretsFile; }
};

struct Command {
    std::string_view name;      // "add"
    std::string_view synopsis;  // what follows "camrelay GROUP NAME" in the usage line
    std::string_view summary;   // one line, for the group's help
    std::string_view details;   // the rest of --help: what it does, its options
    std::vector<Option> options;
    std::size_t min_positionals = 0;
    std::size_t max_positionals = 0;
    int (*run)(const Context&, const Args&) = nullptr;
};

struct CommandGroup {
    std::string_view name;     // "camera"
    std::string_view summary;  // one line
    std::vector<Command> commands;
};

// Defined in camera_command.cpp, secret_command.cpp and key_command.cpp.
CommandGroup camera_commands();
CommandGroup secret_commands();
CommandGroup key_commands();

// Parse a command's arguments (after its name): options anywhere, "--opt VALUE"
// or "--opt=VALUE", "--" ends the options. Throws a usage Failure.
Args parse_args(const Command& command, std::string_view command_path, std::span<const std::string> args);

// True if --help or -h comes before any "--".
bool asks_for_help(std::span<const std::string> args);

// --- value parsing; each throws a usage Failure naming `what` on bad input.
std::uint64_t parse_decimal(std::string_view text, std::uint64_t max, std::string_view what);
std::uint16_t parse_port(std::string_view text, std::string_view what);
// Unix seconds, or "now" when allow_now.
std::int64_t parse_unix_time(std::string_view text, std::string_view what, bool allow_now);
// "30s", "15m", "12h", "7d", "2w": one positive number and one unit, at most
// ten years. Returns seconds.
std::int64_t parse_duration(std::string_view text, std::string_view what);
inline constexpr std::int64_t kMaxDurationSeconds = std::int64_t{3653} * 86400;  // ten years, leap days included

void require_camera_id(std::string_view id, std::string_view what);
void require_secret_id(std::string_view id, std::string_view what);

// --- time
std::int64_t now_unix();
std::string format_utc(std::int64_t unix_seconds);                 // "2026-11-25 10:00:00 UTC"
std::string format_relative(std::int64_t then, std::int64_t now);  // "3 hours ago", "in 2 days"

// --- files
// Serialises read-modify-write cycles of concurrent camrelay runs on one
// configuration directory (flock on the directory itself). Also tells clearly
// when the directory is missing.
class DirectoryLock {
public:
    explicit DirectoryLock(const std::string& dir);
    ~DirectoryLock();
    DirectoryLock(const DirectoryLock&) = delete;
    DirectoryLock& operator=(const DirectoryLock&) = delete;

private:
    int fd_ = -1;
};

// The whole file; nullopt if it does not exist; an I/O Failure otherwise.
std::optional<std::string> read_text_file(const std::string& path);
// A file's content, or standard input for "-".
std::string read_file_or_stdin(const std::string& path);
// write_file_atomically, with errors turned into an I/O Failure.
void write_config_file(const std::string& path, std::string_view content, mode_t mode,
                       uid_t uid = static_cast<uid_t>(-1), gid_t gid = static_cast<gid_t>(-1));

// The configuration as text and parsed. A missing file reads as empty; a file
// that does not parse is a config Failure carrying the core's "FILE:LINE: reason".
struct CamerasFile {
    std::string path;
    std::string text;
    bool exists = false;
    Registry registry;
};
CamerasFile load_cameras(const Context& context);

struct SecretsFile {
    std::string path;
    std::string text;  // holds the secrets in hex: wiped on destruction
    bool exists = false;
    SecretSet secrets;

    SecretsFile() = default;
    SecretsFile(SecretsFile&&) = default;
    SecretsFile& operator=(SecretsFile&&) = default;
    ~SecretsFile();
};
// To mint or check keys, the file must also pass the relay's own checks
// (load_secrets: not accessible to others), so the answer is the relay's. To
// manage the secrets it need not: an edit rewrites it with the right mode.
enum class SecretsPurpose { keys, manage };
SecretsFile load_secrets_file(const Context& context, SecretsPurpose purpose);

// The camera or a refused Failure naming the file.
const Camera& find_camera(const CamerasFile& cameras, std::string_view id);

// Run a core editing function; a ConfigError from it, or from re-parsing its
// result, means the edit is refused.
template <typename Edit>
std::string checked_edit(Edit&& edit) {
    try {
        return edit();
    } catch (const ConfigError& error) {
        fail_refused(error.what());
    } catch (const std::invalid_argument& error) {
        fail_refused(error.what());
    }
}

// --- output (JSON strings: camrelay/text.hpp's json_quote)
// Left-aligned columns separated by two spaces; the first row is the header.
std::string format_table(const std::vector<std::vector<std::string>>& rows);

}  // namespace camrelay::cli
