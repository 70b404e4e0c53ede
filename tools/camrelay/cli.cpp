// camrelay command: shared helpers (see cli.hpp).
#include "cli.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <ctime>

#include "camrelay/admin/atomic_file.hpp"
#include "camrelay/ids.hpp"
#include "camrelay/text.hpp"

namespace camrelay::cli {

void fail_usage(const std::string& message) { throw Failure(kExitUsage, message); }
void fail_config(const std::string& message) { throw Failure(kExitConfig, message); }
void fail_refused(const std::string& message) { throw Failure(kExitRefused, message); }
void fail_io(const std::string& message) { throw Failure(kExitIo, message); }

std::optional<std::string> Args::value(std::string_view option) const {
    auto found = values_.find(std::string(option));
    if (found == values_.end()) return std::nullopt;
    return found->second;
}

namespace {

const Option* find_option(const Command& command, std::string_view name) {
    for (const Option& option : command.options) {
        if (option.name == name) return &option;
    }
    return nullptr;
}

}  // namespace

bool asks_for_help(std::span<const std::string> args) {
    for (const std::string& arg : args) {
        if (arg == "--") return false;
        if (arg == "--help" || arg == "-h") return true;
    }
    return false;
}

Args parse_args(const Command& command, std::string_view command_path, std::span<const std::string> args) {
    const std::string where(command_path);
    Args parsed;
    bool options_ended = false;
    for (std::size_t i = 0; i < args.size(); ++i) {
        const std::string& arg = args[i];
        if (options_ended || arg == "-" || arg.empty() || arg[0] != '-') {
            parsed.add_positional(arg);
            continue;
        }
        if (arg == "--") {
            options_ended = true;
            continue;
        }
        const std::size_t equals = arg.find('=');
        const std::string name = arg.substr(0, equals);
        const Option* option = find_option(command, name);
        if (option == nullptr) fail_usage(where + ": unknown option '" + name + "'");
        if (parsed.has(name)) fail_usage(where + ": option " + name + " given twice");
        if (option->value_name.empty()) {
            if (equals != std::string::npos) fail_usage(where + ": option " + name + " takes no value");
            parsed.set(name, "");
        } else if (equals != std::string::npos) {
            parsed.set(name, arg.substr(equals + 1));
        } else if (i + 1 < args.size()) {
            parsed.set(name, args[++i]);
        } else {
            fail_usage(where + ": option " + name + " needs a value (" + std::string(option->value_name) + ")");
        }
    }
    const std::size_t count = parsed.positionals().size();
    if (count < command.min_positionals) fail_usage(where + ": missing argument");
    if (count > command.max_positionals) {
        fail_usage(where + ": unexpected argument '" + parsed.positionals()[command.max_positionals] + "'");
    }
    return parsed;
}

std::uint64_t parse_decimal(std::string_view number, std::uint64_t max, std::string_view what) {
    const text::Decimal decimal = text::read_decimal(number, max);
    const std::string quoted = std::string(what).append(" '").append(number).append("'");
    switch (decimal.error) {
        case text::DecimalError::none: break;
        case text::DecimalError::empty: fail_usage(std::string(what) + " is empty");
        case text::DecimalError::leading_zero: fail_usage(quoted + ": no leading zeros");
        case text::DecimalError::not_digit: fail_usage(quoted + " is not a decimal number");
        case text::DecimalError::too_large: fail_usage(quoted + " is too large (at most " + std::to_string(max) + ")");
    }
    return decimal.value;
}

std::uint16_t parse_port(std::string_view text, std::string_view what) {
    const std::uint64_t port = parse_decimal(text, 65535, what);
    if (port == 0) fail_usage(std::string(what) + " must be from 1 to 65535");
    return static_cast<std::uint16_t>(port);
}

std::int64_t parse_unix_time(std::string_view text, std::string_view what, bool allow_now) {
    if (allow_now && text == "now") return now_unix();
    // Up to the year 9999: far enough, and keeps every sum with a TTL in range.
    constexpr std::uint64_t kLatest = 253402300799;
    return static_cast<std::int64_t>(parse_decimal(text, kLatest, what));
}

std::int64_t parse_duration(std::string_view text, std::string_view what) {
    const std::string name(what);
    const std::string quoted = std::string("'").append(text).append("'");
    if (text.size() < 2)
        fail_usage(name + " " + quoted + ": expected a number and a unit, like 30s, 15m, 12h, 7d or 2w");
    std::int64_t unit_seconds = 0;
    switch (text.back()) {
        case 's': unit_seconds = 1; break;
        case 'm': unit_seconds = 60; break;
        case 'h': unit_seconds = 3600; break;
        case 'd': unit_seconds = 86400; break;
        case 'w': unit_seconds = 7 * 86400; break;
        default: fail_usage(name + " " + quoted + ": the unit must be s, m, h, d or w (like 30s, 15m, 12h, 7d, 2w)");
    }
    const std::string_view number = text.substr(0, text.size() - 1);
    for (char c : number) {
        if (c < '0' || c > '9')
            fail_usage(name + " " + quoted + ": expected a number and a unit, like 30s, 15m, 12h, 7d or 2w");
    }
    // Anything longer than ten years is refused below, so a huge count can be
    // refused here without computing it.
    if (number.size() > 12) fail_usage(name + " " + quoted + " is longer than ten years");
    const std::uint64_t count = parse_decimal(number, 999999999999, what);
    if (count == 0) fail_usage(name + " must be longer than zero");
    const std::int64_t seconds = static_cast<std::int64_t>(count) * unit_seconds;
    if (seconds > kMaxDurationSeconds) fail_usage(name + " " + quoted + " is longer than ten years");
    return seconds;
}

void require_camera_id(std::string_view id, std::string_view what) {
    if (!valid_camera_id(id)) {
        fail_usage("invalid " + std::string(what) + " '" + std::string(id) +
                   "': use 1 to 63 characters of a-z, 0-9 and '-', not starting or ending with '-'");
    }
}

void require_secret_id(std::string_view id, std::string_view what) {
    if (!valid_secret_id(id)) {
        fail_usage("invalid " + std::string(what) + " '" + std::string(id) +
                   "': use 1 to 32 characters of A-Z, a-z, 0-9, '_' and '-'");
    }
}

std::int64_t now_unix() { return static_cast<std::int64_t>(std::time(nullptr)); }

std::string format_utc(std::int64_t unix_seconds) {
    const std::time_t when = static_cast<std::time_t>(unix_seconds);
    std::tm parts{};
    if (gmtime_r(&when, &parts) == nullptr) return std::string("@").append(std::to_string(unix_seconds));
    char buffer[64];
    std::strftime(buffer, sizeof buffer, "%Y-%m-%d %H:%M:%S UTC", &parts);
    return buffer;
}

std::string format_relative(std::int64_t then, std::int64_t now) {
    if (then == now) return "now";
    const std::int64_t distance = then < now ? now - then : then - now;
    // The largest unit that still leaves at least two of them, so that
    // "90 minutes" is not rounded down to "1 hour".
    std::int64_t amount = distance;
    std::string unit = "second";
    if (distance >= 2 * 365 * 86400) {
        amount = distance / (365 * 86400);
        unit = "year";
    } else if (distance >= 2 * 86400) {
        amount = distance / 86400;
        unit = "day";
    } else if (distance >= 2 * 3600) {
        amount = distance / 3600;
        unit = "hour";
    } else if (distance >= 2 * 60) {
        amount = distance / 60;
        unit = "minute";
    }
    std::string text = std::to_string(amount) + " " + unit + (amount == 1 ? "" : "s");
    return then < now ? text + " ago" : "in " + text;
}

DirectoryLock::DirectoryLock(const std::string& dir) {
    fd_ = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd_ < 0) {
        const int error = errno;
        if (error == ENOENT) {
            fail_io("configuration directory " + dir +
                    " does not exist (create it, or choose another with --config DIR)");
        }
        fail_io("configuration directory " + dir + ": " + std::strerror(error));
    }
    if (::flock(fd_, LOCK_EX) != 0) {
        const int error = errno;
        ::close(fd_);
        fd_ = -1;
        fail_io("cannot lock " + dir + ": " + std::strerror(error));
    }
}

DirectoryLock::~DirectoryLock() {
    if (fd_ >= 0) ::close(fd_);  // closing releases the lock
}

namespace {

std::string read_all(int fd, const std::string& name) {
    std::string content;
    char buffer[65536];
    for (;;) {
        const ssize_t got = ::read(fd, buffer, sizeof buffer);
        if (got == 0) break;
        if (got < 0) {
            if (errno == EINTR) continue;
            fail_io(name + ": " + std::strerror(errno));
        }
        content.append(buffer, static_cast<std::size_t>(got));
    }
    return content;
}

// Closes a file descriptor on every way out.
struct FdCloser {
    int fd;
    ~FdCloser() {
        if (fd >= 0) ::close(fd);
    }
};

}  // namespace

std::optional<std::string> read_text_file(const std::string& path) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        if (errno == ENOENT) return std::nullopt;
        const int error = errno;
        fail_io(path + ": " + std::strerror(error) + (error == EACCES ? " (run as root?)" : ""));
    }
    FdCloser closer{fd};
    return read_all(fd, path);
}

std::string read_file_or_stdin(const std::string& path) {
    if (path == "-") return read_all(STDIN_FILENO, "standard input");
    std::optional<std::string> content = read_text_file(path);
    if (!content) fail_io(path + ": " + std::strerror(ENOENT));
    return *content;
}

void write_config_file(const std::string& path, std::string_view content, mode_t mode, uid_t uid, gid_t gid) {
    try {
        write_file_atomically(path, content, mode, uid, gid);
    } catch (const std::exception& error) {
        fail_io(error.what());
    }
}

namespace {

// Reads a configuration file into `file` (path, exists, text: a missing file
// reads as empty), then parses it with `parse`; a ConfigError from that is a
// config Failure. Reading first tells a missing or unreadable file apart from
// one that does not parse.
template <typename File, typename Parse>
void load_config_file(File& file, std::string path, Parse&& parse) {
    file.path = std::move(path);
    std::optional<std::string> text = read_text_file(file.path);
    file.exists = text.has_value();
    if (text) file.text = std::move(*text);
    try {
        parse(file);
    } catch (const ConfigError& error) {
        fail_config(error.what());
    }
}

}  // namespace

CamerasFile load_cameras(const Context& context) {
    CamerasFile file;
    load_config_file(file, context.cameras_path(), [](CamerasFile& f) { f.registry = parse_registry(f.text, f.path); });
    return file;
}

SecretsFile::~SecretsFile() { OPENSSL_cleanse(text.data(), text.size()); }

SecretsFile load_secrets_file(const Context& context, SecretsPurpose purpose) {
    SecretsFile file;
    load_config_file(file, context.secrets_path(), [purpose](SecretsFile& f) {
        f.secrets = purpose == SecretsPurpose::keys ? load_secrets(f.path) : parse_secrets(f.text, f.path);
    });
    return file;
}

const Camera& find_camera(const CamerasFile& cameras, std::string_view id) {
    const Camera* camera = cameras.registry.find(id);
    if (camera == nullptr) {
        fail_refused("unknown camera '" + std::string(id) + "' (not in " + cameras.path +
                     (cameras.exists ? ")" : ", which does not exist yet)"));
    }
    return *camera;
}

std::string format_table(const std::vector<std::vector<std::string>>& rows) {
    std::vector<std::size_t> widths;
    for (const auto& row : rows) {
        if (widths.size() < row.size()) widths.resize(row.size(), 0);
        for (std::size_t column = 0; column < row.size(); ++column) {
            widths[column] = std::max(widths[column], row[column].size());
        }
    }
    std::string out;
    for (const auto& row : rows) {
        std::string line;
        for (std::size_t column = 0; column < row.size(); ++column) {
            line += row[column];
            if (column + 1 < row.size()) line.append(widths[column] - row[column].size() + 2, ' ');
        }
        out += line + "\n";
    }
    return out;
}

}  // namespace camrelay::cli
