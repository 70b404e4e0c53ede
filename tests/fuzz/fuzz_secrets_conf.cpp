// Fuzz target: secrets.conf (lib/camrelay/secrets.hpp), which the module
// parses at every VCL load, and its editor (admin/config_edit.hpp). The
// input is the file's text.
//
// Checks, aborting on any disagreement:
//   - a refusal is a ConfigError naming secrets.conf and a line of the file,
//     and never echoes a secret: no word of the input longer than a secret
//     id (32 characters) appears in the message, nor 33 characters of one;
//   - parse -> format -> parse: the secrets written again by
//     format_secret_line read back the same (ids, bytes, primary);
//   - every secret signs keys that the parsed set checks as allowed;
//   - edits of an accepted file (make the last secret primary, remove the
//     first, add one) parse to exactly the expected set.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "camrelay/admin/config_edit.hpp"
#include "camrelay/config_lines.hpp"
#include "camrelay/ids.hpp"
#include "camrelay/key.hpp"
#include "camrelay/secrets.hpp"
#include "camrelay/text.hpp"
#include "fuzz_check.hpp"

using namespace camrelay;

namespace {

const std::string kFile = "secrets.conf";

void check_error(const ConfigError& e, std::string_view text) {
    FUZZ_CHECK(e.file() == kFile);
    FUZZ_CHECK(e.line() >= 0 && e.line() <= static_cast<int>(config_lines::split_lines(text).size()));
    const std::string what = e.what();
    for (std::string_view word : text::split_blanks(text)) {
        for (std::string_view piece : {word, word.substr(0, kMaxSecretIdLength + 1)}) {
            if (piece.size() > kMaxSecretIdLength) FUZZ_CHECK(what.find(piece) == std::string::npos);
        }
    }
}

struct Flat {
    std::string id;
    std::vector<std::uint8_t> bytes;
    bool primary;
    bool operator==(const Flat&) const = default;
};

std::vector<Flat> flat(const SecretSet& set) {
    std::vector<Flat> out;
    for (const Secret& s : set.all()) out.push_back({s.id, s.bytes, s.primary});
    return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text = fuzz::as_text(data, size);
    const auto parsed = fuzz::parsed_or<ConfigError>([&] { return parse_secrets(text, kFile); },
                                                     [&](const ConfigError& e) { check_error(e, text); });
    if (!parsed) return 0;
    const SecretSet& set = *parsed;
    const std::vector<Flat> secrets = flat(set);
    int primaries = 0;
    std::string all;
    for (const Secret& s : set.all()) {
        FUZZ_CHECK(valid_secret_id(s.id) && s.bytes.size() == kSecretBytes);
        primaries += s.primary;
        all += format_secret_line(s) + "\n";
        const std::string key = issue_key(s, "cam1", 1700000000, 1700003600);
        FUZZ_CHECK(check_key(set, key, "cam1", KeyPolicy{}, 1700000100) == KeyVerdict::allowed);
    }
    FUZZ_CHECK(primaries <= 1);
    FUZZ_CHECK((set.primary() != nullptr) == (primaries == 1));
    FUZZ_CHECK(flat(parse_secrets(all, kFile)) == secrets);

    if (!secrets.empty()) {
        std::vector<Flat> want = secrets;
        for (Flat& f : want) f.primary = &f == &want.back();
        FUZZ_CHECK(flat(parse_secrets(secrets_set_primary(text, secrets.back().id, kFile), kFile)) == want);
        want = secrets;
        want.erase(want.begin());
        FUZZ_CHECK(flat(parse_secrets(secrets_remove(text, secrets.front().id, kFile), kFile)) == want);
    }
    const Secret added{"fuzz-added", std::vector<std::uint8_t>(kSecretBytes, 0x5a), false};
    if (set.find(added.id) == nullptr) {
        std::vector<Flat> want = secrets;
        want.push_back({added.id, added.bytes, false});
        FUZZ_CHECK(flat(parse_secrets(secrets_add(text, added, kFile), kFile)) == want);
    }
    return 0;
}
