// camrelay command: `camrelay key ...`, viewer keys. Minting and checking are
// the core's issue_key and check_key; this file picks the inputs and words
// the answers. A key is never printed back by `key check`.
#include <algorithm>
#include <chrono>
#include <iostream>
#include <string>
#include <thread>

#include "cli.hpp"
#include "camrelay/routing.hpp"

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

// BASE with k=KEY added to its query, before any #fragment. Keys need no
// percent-encoding (see key.hpp).
std::string viewer_link(std::string_view base, std::string_view key) {
    const std::size_t hash = base.find('#');
    const std::string_view fragment = hash == std::string_view::npos ? std::string_view{} : base.substr(hash);
    std::string link(base.substr(0, hash));
    check_base_url(link);
    if (link.find('?') == std::string::npos) {
        link += '?';
    } else if (!link.ends_with("?") && !link.ends_with("&")) {
        link += '&';
    }
    return link + "k=" + std::string(key) + std::string(fragment);
}

int run_issue(const Context& context, const Args& args) {
    const std::string camera_id = required_value(args, "--camera", "key issue");
    require_camera_id(camera_id, "camera id");
    const std::int64_t ttl = parse_duration(required_value(args, "--ttl", "key issue"), "--ttl");
    std::int64_t now = args.has("--now") ? parse_unix_time(*args.value("--now"), "--now", false) : now_unix();
    if (auto secret_id = args.value("--secret")) require_secret_id(*secret_id, "secret id");
    if (auto url = args.value("--url")) check_base_url(std::string_view(*url).substr(0, url->find('#')));

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
    if (auto url = args.value("--url")) {
        std::cout << viewer_link(*url, key) << "\n";
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
                "--camera ID --ttl DURATION [--url BASE] [--secret ID] [--now UNIX]",
                "mint a viewer key for one camera",
                "Prints the key alone, or with --url a ready viewer link. The key is signed\n"
                "with the primary secret and is valid from now for DURATION. Right after\n"
                "'camera revoke' the key is issued at the camera's revoke-before time (up to\n"
                "61 s ahead; the command may wait one second for the relay to accept it).\n"
                "\n"
                "Options:\n"
                "  --camera ID      the camera the key opens (must be registered)\n"
                "  --ttl DURATION   how long the key is valid: a positive number and a unit,\n"
                "                   s, m, h, d or w (30s, 15m, 12h, 7d, 2w); at most ten years\n"
                "  --url BASE       print BASE with k=KEY added to its query, for example\n"
                "                   --url ws://relay.example.com/cam1/\n"
                "  --secret ID      sign with this secret instead of the primary one\n"
                "  --now UNIX       issue as if the time were UNIX (Unix seconds), for tests\n",
                {{"--camera", "ID"}, {"--ttl", "DURATION"}, {"--url", "BASE"}, {"--secret", "ID"}, {"--now", "UNIX"}},
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
