// camrelay command: `camrelay secret ...`, the signing secrets (secrets.conf).
// Secret bytes are printed by `secret show` only.
#include <grp.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <ctime>
#include <iostream>
#include <string>
#include <vector>

#include "cli.hpp"
#include "camrelay/admin/config_edit.hpp"
#include "camrelay/crypto.hpp"
#include "camrelay/text.hpp"

namespace camrelay::cli {
namespace {

// Readable by varnishd (group varnish), by nobody else.
constexpr mode_t kSecretsMode = 0640;
constexpr const char* kDefaultSecretsGroup = "varnish";

std::optional<gid_t> lookup_group(const std::string& name) {
    long suggested = sysconf(_SC_GETGR_R_SIZE_MAX);
    std::vector<char> buffer(suggested > 0 ? static_cast<std::size_t>(suggested) : 1024);
    for (;;) {
        group entry{};
        group* found = nullptr;
        const int error = getgrnam_r(name.c_str(), &entry, buffer.data(), buffer.size(), &found);
        if (error == ERANGE && buffer.size() < (1u << 20)) {
            buffer.resize(buffer.size() * 2);
            continue;
        }
        if (error != 0 || found == nullptr) return std::nullopt;
        return found->gr_gid;
    }
}

struct Ownership {
    uid_t uid = static_cast<uid_t>(-1);
    gid_t gid = static_cast<gid_t>(-1);
};

// root:varnish when we are root and the group exists; --group overrides the
// group. As root without a varnish group, an existing file keeps its group.
// Not root: the file stays ours (a non-root user may still pick one of
// their own groups with --group).
Ownership secrets_ownership(const Args& args, const SecretsFile& file) {
    Ownership owner;
    const bool root = geteuid() == 0;
    if (root) owner.uid = 0;
    if (auto name = args.value("--group")) {
        std::optional<gid_t> gid = lookup_group(*name);
        if (!gid) fail_usage("--group: no such group '" + *name + "'");
        owner.gid = *gid;
        return owner;
    }
    if (!root) return owner;
    if (std::optional<gid_t> varnish = lookup_group(kDefaultSecretsGroup)) {
        owner.gid = *varnish;
    } else if (struct stat existing{}; file.exists && ::stat(file.path.c_str(), &existing) == 0) {
        owner.gid = existing.st_gid;
    } else {
        owner.gid = 0;
    }
    return owner;
}

// "s" + today's UTC date + the first free letter: s20261125a, s20261125b, ...
std::string generate_secret_id(const SecretSet& secrets) {
    const std::time_t now = static_cast<std::time_t>(now_unix());
    std::tm parts{};
    gmtime_r(&now, &parts);
    char date[16];
    std::strftime(date, sizeof date, "%Y%m%d", &parts);
    const std::string stem = std::string("s") + date;
    for (char letter = 'a'; letter <= 'z'; ++letter) {
        const std::string id = stem + letter;
        if (secrets.find(id) == nullptr) return id;
    }
    for (int number = 27;; ++number) {  // more than 26 in a day: unlikely, still unique
        const std::string id = stem + "-" + std::to_string(number);
        if (secrets.find(id) == nullptr) return id;
    }
}

std::string chosen_or_generated_id(const Args& args, const SecretsFile& file) {
    if (auto id = args.value("--id")) {
        require_secret_id(*id, "secret id");
        if (file.secrets.find(*id) != nullptr) fail_refused("secret '" + *id + "' already exists in " + file.path);
        return *id;
    }
    return generate_secret_id(file.secrets);
}

const Secret& find_secret(const SecretsFile& file, const std::string& id) {
    const Secret* secret = file.secrets.find(id);
    if (secret == nullptr) {
        fail_refused("unknown secret '" + id + "' (not in " + file.path +
                     (file.exists ? ")" : ", which does not exist yet)"));
    }
    return *secret;
}

// Apply an edit of secrets.conf: the core edits the text (keeping comments),
// the result must parse again, then it replaces the file atomically with the
// secret file's mode and ownership.
template <typename Edit>
void edit_secrets(const SecretsFile& file, const Args& args, Edit&& edit) {
    const Ownership owner = secrets_ownership(args, file);
    const std::string text = checked_edit([&] {
        std::string edited = edit();
        parse_secrets(edited, file.path);
        return edited;
    });
    write_config_file(file.path, text, kSecretsMode, owner.uid, owner.gid);
}

Secret fresh_secret(std::string id) {
    Secret secret;
    secret.id = std::move(id);
    secret.bytes = random_bytes(kSecretBytes);
    return secret;
}

int run_new(const Context& context, const Args& args) {
    DirectoryLock lock(context.config_dir);
    const SecretsFile file = load_secrets_file(context, SecretsPurpose::manage);
    Secret secret = fresh_secret(chosen_or_generated_id(args, file));
    secret.primary = file.secrets.primary() == nullptr;
    edit_secrets(file, args, [&] { return secrets_add(file.text, secret, file.path); });

    if (secret.primary) {
        std::cout << "added secret " << secret.id << " (primary: new keys are signed with it)\n";
    } else {
        std::cout << "added secret " << secret.id << " (not primary: sign with it using 'key issue --secret "
                  << secret.id << "'; 'secret rotate' makes a new primary)\n";
    }
    return kExitOk;
}

int run_rotate(const Context& context, const Args& args) {
    DirectoryLock lock(context.config_dir);
    const SecretsFile file = load_secrets_file(context, SecretsPurpose::manage);
    const Secret* previous = file.secrets.primary();
    const std::string previous_id = previous != nullptr ? previous->id : "";
    const Secret secret = fresh_secret(chosen_or_generated_id(args, file));
    // Added as an ordinary secret first, then promoted: at no point does the
    // text hold two primaries.
    edit_secrets(file, args, [&] {
        const std::string added = secrets_add(file.text, secret, file.path);
        return secrets_set_primary(added, secret.id, file.path);
    });

    std::cout << "secret " << secret.id << " is now primary: new keys are signed with it\n";
    if (!previous_id.empty()) {
        std::cout << "secret " << previous_id << " still verifies the keys already handed out; retire it with\n"
                  << "'camrelay secret retire " << previous_id << "' once they have expired\n";
    }
    return kExitOk;
}

int run_list(const Context& context, const Args& args) {
    const SecretsFile file = load_secrets_file(context, SecretsPurpose::manage);
    const std::vector<Secret>& secrets = file.secrets.all();
    if (args.has("--json")) {
        std::string out = "[";
        for (std::size_t i = 0; i < secrets.size(); ++i) {
            out += i == 0 ? "\n" : ",\n";
            out += "  {\"id\": " + text::json_quote(secrets[i].id) +
                   ", \"primary\": " + (secrets[i].primary ? "true" : "false") + "}";
        }
        out += secrets.empty() ? "]\n" : "\n]\n";
        std::cout << out;
        return kExitOk;
    }
    if (secrets.empty()) {
        std::cerr << "camrelay: no secrets in " << file.path << (file.exists ? "" : " (the file does not exist yet)")
                  << "; create one with 'camrelay secret new'\n";
        return kExitOk;
    }
    std::vector<std::vector<std::string>> rows{{"ID", "PRIMARY"}};
    for (const Secret& secret : secrets) rows.push_back({secret.id, secret.primary ? "*" : ""});
    std::cout << format_table(rows);
    return kExitOk;
}

int run_show(const Context& context, const Args& args) {
    const std::string& id = args.positionals()[0];
    require_secret_id(id, "secret id");
    const SecretsFile file = load_secrets_file(context, SecretsPurpose::manage);
    const Secret& secret = find_secret(file, id);
    std::cout << hex_encode(secret.bytes.data(), secret.bytes.size()) << "\n";
    return kExitOk;
}

int run_retire(const Context& context, const Args& args) {
    const std::string& id = args.positionals()[0];
    require_secret_id(id, "secret id");

    DirectoryLock lock(context.config_dir);
    const SecretsFile file = load_secrets_file(context, SecretsPurpose::manage);
    const Secret& secret = find_secret(file, id);
    if (secret.primary) {
        fail_refused("secret '" + id +
                     "' is the primary one, which signs new keys: run 'camrelay secret rotate' first");
    }
    edit_secrets(file, args, [&] { return secrets_remove(file.text, id, file.path); });

    std::cout << "retired secret " << id << ": keys signed with it are now refused (unknown_secret)\n";
    return kExitOk;
}

constexpr std::string_view kGroupOptionHelp =
    "  --group NAME  group of secrets.conf (default: varnish when it exists and\n"
    "                camrelay runs as root; not root: the file keeps your ownership)\n";

}  // namespace

CommandGroup secret_commands() {
    // The command table reads best as written: one command per block.
    // clang-format off
    static const std::string new_details =
        "Generates a random 256-bit signing secret and adds it to secrets.conf\n"
        "(created if missing, mode 0640, owner root, group varnish). It is the\n"
        "primary secret, the one that signs new keys, if there was none yet.\n"
        "The secret itself is not printed: see 'camrelay secret show'.\n"
        "\n"
        "Options:\n"
        "  --id ID       the secret's id, 1 to 32 characters of A-Z, a-z, 0-9, '_'\n"
        "                and '-' (default: s + today's date + a letter, s20261125a)\n" +
        std::string(kGroupOptionHelp);
    static const std::string rotate_details =
        "Generates a new secret and makes it the primary one: new keys are signed\n"
        "with it. The older secrets stay valid, so the links already handed out keep\n"
        "working until they expire or their secret is retired.\n"
        "\n"
        "Options:\n"
        "  --id ID       the new secret's id (default: s + today's date + a letter)\n" +
        std::string(kGroupOptionHelp);
    static const std::string retire_details =
        "Removes a secret from secrets.conf: every key it signed is refused from the\n"
        "next configuration load on (reason 'unknown_secret'). The primary secret\n"
        "cannot be retired: rotate first.\n"
        "\n"
        "Options:\n" +
        std::string(kGroupOptionHelp);
    return CommandGroup{
        "secret",
        "Manage the secrets that sign viewer keys, secrets.conf in the configuration\n"
        "directory. Changes take effect when varnishd reloads its VCL (camrelay setup --reload).",
        {
            Command{"new", "[--id ID] [--group NAME]", "add a signing secret (primary if it is the first)", new_details,
                    {{"--id", "ID"}, {"--group", "NAME"}}, 0, 0, run_new},
            Command{"rotate", "[--id ID] [--group NAME]", "add a new primary secret; older ones stay valid",
                    rotate_details, {{"--id", "ID"}, {"--group", "NAME"}}, 0, 0, run_rotate},
            Command{"list", "[--json]", "list the secrets' ids and which one is primary",
                    "Prints the ids of the secrets and a '*' for the primary one; never the\n"
                    "secrets themselves.\n"
                    "\n"
                    "Options:\n"
                    "  --json  print a JSON array of objects with the fields id and primary\n",
                    {{"--json", ""}}, 0, 0, run_list},
            Command{"show", "ID", "print a secret in hex (for web apps that mint keys themselves)",
                    "Prints the secret's 32 bytes as 64 hex digits: the only command that prints\n"
                    "a secret. Whoever has it can mint keys for every camera.\n",
                    {}, 1, 1, run_show},
            Command{"retire", "ID [--group NAME]", "remove a secret: the keys it signed stop working", retire_details,
                    {{"--group", "NAME"}}, 1, 1, run_retire},
        },
    };
    // clang-format on
}

}  // namespace camrelay::cli
