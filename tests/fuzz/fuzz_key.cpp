// Fuzz target: the viewer key check (lib/camrelay/key.hpp). The input is a
// k= value as routing hands it over (percent-decoded), checked against a
// fixed set of signing secrets.
//
// Checks, aborting on any disagreement:
//   - parse_key, loggable_key and check_key (both forms) give what the
//     reference model gives (tests/core/reference_model.hpp), for several
//     cameras, key policies and clock times around the key's own;
//   - a key that parses, minted again with issue_key from its fields, has
//     the same public text and loggable form, checks allowed, and is
//     refused as expired, for another camera, revoked and issued ahead
//     exactly at the boundaries; the input's MAC passes only if it is that
//     key's; and that key with any one byte changed is never allowed.
#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "camrelay/crypto.hpp"
#include "camrelay/key.hpp"
#include "fuzz_check.hpp"
#include "reference_model.hpp"

using namespace camrelay;
namespace ref = camrelay::test::ref;

namespace {

std::vector<std::uint8_t> bytes_0_to_31() {
    std::vector<std::uint8_t> v(kSecretBytes);
    for (std::size_t i = 0; i < v.size(); ++i) v[i] = static_cast<std::uint8_t>(i);
    return v;
}

// The secrets of the seed corpus: s1 (bytes 0..31, primary) and old.
const SecretSet& secrets() {
    static const SecretSet set = [] {
        SecretSet s;
        s.add(Secret{"s1", bytes_0_to_31(), true});
        s.add(Secret{"old", std::vector<std::uint8_t>(kSecretBytes, 7), false});
        return s;
    }();
    return set;
}

void check_against_reference(const SecretSet& set, std::string_view key, std::string_view camera,
                             const KeyPolicy& policy, std::int64_t now, const std::string& loggable) {
    const KeyVerdict want = ref::check_key(set, key, camera, policy, now);
    FUZZ_CHECK(check_key(set, key, camera, policy, now) == want);
    std::string both = "stale text from an earlier request";
    FUZZ_CHECK(check_key(set, key, camera, policy, now, both) == want);
    FUZZ_CHECK(both == loggable);
}

// The key minted again from its parsed fields, and what must hold of it.
void check_reissued(std::string_view key, const KeyFields& f, const std::string& loggable) {
    const Secret* known = secrets().find(f.secret_id);
    const Secret secret = known != nullptr ? *known : Secret{f.secret_id, bytes_0_to_31(), false};
    SecretSet own;
    own.add(secret);
    const SecretSet& set = known != nullptr ? secrets() : own;

    const std::string again = issue_key(secret, f.camera, f.issued, f.expires);
    const std::size_t mac_pos = key.rfind('.') + 1;
    FUZZ_CHECK(again.size() == key.size());
    FUZZ_CHECK(std::string_view(again).substr(0, mac_pos) == key.substr(0, mac_pos));
    FUZZ_CHECK(loggable_key(again) == loggable);
    const auto back = parse_key(again);
    FUZZ_CHECK(back && back->camera == f.camera && back->secret_id == f.secret_id && back->issued == f.issued &&
               back->expires == f.expires);

    const KeyPolicy plain;
    const std::string other = f.camera == "cam1" ? "cam2" : "cam1";
    FUZZ_CHECK(check_key(set, again, f.camera, plain, f.issued) == KeyVerdict::allowed);
    FUZZ_CHECK(check_key(set, again, f.camera, plain, f.expires - 1) == KeyVerdict::allowed);
    FUZZ_CHECK(check_key(set, again, f.camera, plain, f.expires) == KeyVerdict::expired);
    FUZZ_CHECK(check_key(set, again, other, plain, f.issued) == KeyVerdict::wrong_camera);
    FUZZ_CHECK(check_key(set, again, f.camera, plain, f.issued - kMaxIssuedAhead) == KeyVerdict::allowed);
    FUZZ_CHECK(check_key(set, again, f.camera, plain, f.issued - kMaxIssuedAhead - 1) == KeyVerdict::revoked);
    KeyPolicy revoked;
    revoked.revoke_before = f.issued;
    FUZZ_CHECK(check_key(set, again, f.camera, revoked, f.issued) == KeyVerdict::allowed);
    revoked.revoke_before = f.issued + 1;
    FUZZ_CHECK(check_key(set, again, f.camera, revoked, f.issued) == KeyVerdict::revoked);

    // The input's own MAC: good only if it is exactly the minted key.
    const KeyVerdict input = check_key(set, key, f.camera, plain, f.issued);
    FUZZ_CHECK((input == KeyVerdict::allowed) == (key == again));
    if (key != again) FUZZ_CHECK(input == KeyVerdict::bad_signature);

    // One byte changed anywhere (which and how: from the input) is never a key.
    std::uint64_t h = 0;
    for (char c : key) h = h * 131 + static_cast<unsigned char>(c);
    std::string changed = again;
    changed[h % changed.size()] ^= static_cast<char>(1 + (h >> 32) % 255);
    FUZZ_CHECK(check_key(set, changed, f.camera, plain, f.issued) != KeyVerdict::allowed);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view key = fuzz::as_text(data, size);

    const auto fields = parse_key(key);
    const auto want = ref::parse_key(key);
    FUZZ_CHECK(fields.has_value() == want.has_value());
    if (fields) {
        FUZZ_CHECK(fields->camera == want->camera && fields->secret_id == want->secret_id &&
                   fields->issued == want->issued && fields->expires == want->expires && fields->mac == want->mac);
    }
    const std::string loggable = loggable_key(key);
    FUZZ_CHECK(loggable == ref::loggable_key(key));
    std::string reused = "a longer loggable form left from an earlier request";
    loggable_key(key, reused);
    FUZZ_CHECK(reused == loggable);
    // Never the MAC and never a legacy key's text: only public fields reach a log.
    if (fields) FUZZ_CHECK(loggable.size() == key.rfind('.') + 2 && loggable.back() == '*');

    KeyPolicy plain;
    KeyPolicy legacy;
    legacy.legacy_sha256 = sha256("open-sesame");
    legacy.revoke_before = 1700000001;
    KeyPolicy at_issue;
    std::vector<std::int64_t> times = {1, 1700000100, 1700003600};
    std::vector<std::string> cameras = {"cam1", "front-door"};
    if (fields) {
        at_issue.revoke_before = fields->issued;
        times.insert(times.end(),
                     {fields->issued - kMaxIssuedAhead - 1, fields->issued, fields->expires - 1, fields->expires});
        cameras.push_back(fields->camera);
    }
    for (const KeyPolicy* policy : {&plain, &legacy, &at_issue})
        for (std::int64_t now : times)
            for (const std::string& camera : cameras)
                check_against_reference(secrets(), key, camera, *policy, now, loggable);

    if (fields) check_reissued(key, *fields, loggable);
    return 0;
}
