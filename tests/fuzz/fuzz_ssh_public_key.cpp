// Fuzz target: SSH public keys and authorized_keys lines
// (lib/camrelay/admin/ssh_access.hpp). A camera's .pub file comes from
// whoever sets the camera up; `camrelay camera add --ssh-key` parses it
// and writes the camera's authorized_keys line, which sshd then enforces.
// The input is a .pub file, or an authorized_keys text.
//
// Checks, aborting on any disagreement:
//   - a refusal is an SshAccessError whose message holds no control
//     character (it goes to the operator's terminal);
//   - an accepted key: a known type with a key size, its fingerprint is
//     "SHA256:" and 43 characters, "TYPE BASE64 COMMENT" parses back the
//     same, and its authorized_keys line (format_authorized_key) reads back
//     as one line with exactly the options written, the same key and the
//     camera; add to an empty file then remove gives the empty file; its
//     known_hosts line and camera_with_ssh_key find it again;
//   - any text as authorized_keys: removing a camera drops exactly its
//     lines and keeps the others in order; adding a camera either appends
//     exactly its line or is refused because the camera or the key is
//     already there.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "camrelay/admin/ssh_access.hpp"
#include "camrelay/registry.hpp"
#include "fuzz_check.hpp"

using namespace camrelay;

namespace {

const CameraAccess kAccess{"cam1", 20001, "/usr/libexec/camrelay/camrelay-session"};
const std::string kOptions =
    "restrict,port-forwarding,permitlisten=\"127.0.0.1:20001\","
    "command=\"/usr/libexec/camrelay/camrelay-session cam1 20001\"";

void check_message(const std::string& message) {
    FUZZ_CHECK(!message.empty());
    for (char c : message) FUZZ_CHECK(static_cast<unsigned char>(c) >= 0x20 && c != 0x7f);
}

bool same_entry(const AuthorizedKey& a, const AuthorizedKey& b) {
    return a.options == b.options && a.key.type == b.key.type && a.key.base64 == b.key.base64 &&
           a.key.comment == b.key.comment && a.camera_id == b.camera_id;
}

void check_accepted(const SshPublicKey& key) {
    FUZZ_CHECK(key.bits >= 256 && key.bits <= 16384);
    const std::string fingerprint = key.fingerprint();
    FUZZ_CHECK(fingerprint.size() == 7 + 43 && fingerprint.rfind("SHA256:", 0) == 0);
    for (char c : key.comment) FUZZ_CHECK(c != '\n' && c != '\r');

    const std::string written = key.text() + (key.comment.empty() ? "" : " " + key.comment);
    const SshPublicKey again = parse_ssh_public_key(written);
    FUZZ_CHECK(again.same_key(key) && again.comment == key.comment && again.bits == key.bits);

    const std::string line = format_authorized_key(key, kAccess);
    const auto entries = parse_authorized_keys(line);
    FUZZ_CHECK(entries.size() == 1);
    FUZZ_CHECK(entries[0].line == 1 && entries[0].options == kOptions && entries[0].key.same_key(key));
    FUZZ_CHECK(entries[0].camera_id == kAccess.camera_id);
    const std::string file = authorized_keys_add("", key, kAccess);
    FUZZ_CHECK(file == line + "\n");
    int removed = 0;
    FUZZ_CHECK(authorized_keys_remove(file, kAccess.camera_id, &removed).empty() && removed == 1);

    FUZZ_CHECK(format_known_hosts_line("relay.example.com", 2222, key) == "[relay.example.com]:2222 " + key.text());
    Registry registry;
    Camera cam;
    cam.id = "cam7";
    cam.ssh_key = written;
    registry.cameras.push_back(cam);
    FUZZ_CHECK(camera_with_ssh_key(registry, key) == "cam7");
    FUZZ_CHECK(!camera_with_ssh_key(registry, key, "cam7"));
}

void check_authorized_keys(std::string_view text, const SshPublicKey& new_key) {
    const std::vector<AuthorizedKey> entries = parse_authorized_keys(text);
    int lines = 0;
    for (char c : text) lines += c == '\n';
    lines += !text.empty() && text.back() != '\n';
    int of_cam1 = 0;
    for (const AuthorizedKey& e : entries) {
        FUZZ_CHECK(e.line >= 1 && e.line <= lines && !e.key.type.empty() && !e.key.base64.empty());
        of_cam1 += e.camera_id == "cam1";
    }

    int removed = -1;
    const std::string rest = authorized_keys_remove(text, "cam1", &removed);
    FUZZ_CHECK(removed == of_cam1);
    if (removed == 0) FUZZ_CHECK(rest == text);
    const std::vector<AuthorizedKey> kept = parse_authorized_keys(rest);
    std::size_t j = 0;
    for (const AuthorizedKey& e : entries) {
        if (e.camera_id == "cam1") continue;
        FUZZ_CHECK(j < kept.size() && same_entry(kept[j], e));
        ++j;
    }
    FUZZ_CHECK(j == kept.size());

    const CameraAccess access{"cam9", 20009, kAccess.session_program};
    bool taken = false;
    for (const AuthorizedKey& e : entries) taken |= e.camera_id == "cam9" || e.key.same_key(new_key);
    try {
        const std::string out = authorized_keys_add(text, new_key, access);
        FUZZ_CHECK(!taken);
        const std::string line = format_authorized_key(new_key, access);
        FUZZ_CHECK(out.size() >= line.size() + 1 &&
                   out.compare(out.size() - line.size() - 1, line.size() + 1, line + "\n") == 0);
        FUZZ_CHECK(std::string_view(out).substr(0, text.size()) == text);
        const std::vector<AuthorizedKey> grown = parse_authorized_keys(out);
        FUZZ_CHECK(grown.size() == entries.size() + 1 && grown.back().camera_id == "cam9");
    } catch (const SshAccessError& e) {
        FUZZ_CHECK(taken);
        check_message(e.what());
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text = fuzz::as_text(data, size);
    static const SshPublicKey fixed =
        parse_ssh_public_key("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIAhwq/xKOu27G6tiO/xhScGebLDFW3W0poAZKWuJcZVG ed@cam");
    const auto key = fuzz::parsed_or<SshAccessError>([&] { return parse_ssh_public_key(text); },
                                                     [](const SshAccessError& e) { check_message(e.what()); });
    if (key) check_accepted(*key);
    check_authorized_keys(text, key ? *key : fixed);
    return 0;
}
