// Fuzz target: cameras.conf (lib/camrelay/registry.hpp), which the module
// parses at every VCL load, and its line-preserving editor
// (lib/camrelay/admin/config_edit.hpp). The input is the file's text.
//
// Checks, aborting on any disagreement:
//   - a refusal is a ConfigError naming cameras.conf and a line of the file,
//     what() is "FILE:LINE: reason" and holds no control character but tabs;
//   - parse -> format -> parse: each camera written again by
//     format_camera_line, and the whole registry from those lines plus its
//     default, reads back the same;
//   - edits of an accepted file (remove a camera, set the default, set and
//     remove options, set ssh-key=, add a camera) either give a file that
//     parses to exactly the expected registry or refuse with a ConfigError
//     because the edited line would be too long.
#include <cstdint>
#include <set>
#include <string>
#include <string_view>

#include "camrelay/admin/config_edit.hpp"
#include "camrelay/config_lines.hpp"
#include "camrelay/registry.hpp"
#include "fuzz_check.hpp"

using namespace camrelay;

namespace {

const std::string kFile = "cameras.conf";

bool same_camera(const Camera& a, const Camera& b) {
    return a.id == b.id && a.tunnel.kind == b.tunnel.kind && a.tunnel.host == b.tunnel.host &&
           a.tunnel.port == b.tunnel.port && a.tunnel.path == b.tunnel.path && a.max_viewers == b.max_viewers &&
           a.keys.revoke_before == b.keys.revoke_before && a.keys.legacy_sha256 == b.keys.legacy_sha256 &&
           a.ssh_key == b.ssh_key;
}

// `after` is `before` with `change` applied to the camera `id` (others and
// the default as they were, unless `removed`).
template <class Change>
void check_edited(const Registry& before, const Registry& after, std::string_view id, Change change) {
    std::size_t j = 0;
    for (const Camera& c : before.cameras) {
        Camera want = c;
        if (c.id == id && !change(want)) continue;  // removed
        FUZZ_CHECK(j < after.cameras.size() && same_camera(after.cameras[j], want));
        ++j;
    }
    FUZZ_CHECK(j == after.cameras.size() || (j + 1 == after.cameras.size() && after.cameras[j].id == "fuzz-added"));
}

int line_count(std::string_view text) { return static_cast<int>(config_lines::split_lines(text).size()); }

void check_error(const ConfigError& e, std::string_view text) {
    FUZZ_CHECK(e.file() == kFile);
    FUZZ_CHECK(e.line() >= 0 && e.line() <= line_count(text));
    const std::string where = e.line() == 0 ? kFile + ": " : kFile + ":" + std::to_string(e.line()) + ": ";
    FUZZ_CHECK(std::string(e.what()) == where + e.reason());
    // Quoted file content, which holds no control character but a tab.
    for (char c : std::string_view(e.what()))
        FUZZ_CHECK((static_cast<unsigned char>(c) >= 0x20 && c != 0x7f) || c == '\t');
}

// An edit of an accepted file: the new text, or "" when it was refused
// because a line would grow past the limit.
template <class Edit>
std::string edited(std::string_view text, Edit edit) {
    try {
        return edit();
    } catch (const ConfigError& e) {
        check_error(e, text);
        FUZZ_CHECK(e.reason().find("longer than") != std::string::npos);
        return {};
    }
}

void check_round_trip(const Registry& reg) {
    std::string all;
    for (const Camera& c : reg.cameras) {
        const std::string line = format_camera_line(c);
        const Registry one = parse_registry(line, kFile);
        FUZZ_CHECK(one.cameras.size() == 1 && same_camera(one.cameras[0], c));
        all += line + "\n";
    }
    if (!reg.default_camera.empty()) all += "default " + reg.default_camera + "\n";
    const Registry again = parse_registry(all, kFile);
    FUZZ_CHECK(again.default_camera == reg.default_camera);
    FUZZ_CHECK(again.cameras.size() == reg.cameras.size());
    for (std::size_t i = 0; i < reg.cameras.size(); ++i) FUZZ_CHECK(same_camera(again.cameras[i], reg.cameras[i]));
}

void check_edits(std::string_view text, const Registry& reg) {
    if (!reg.cameras.empty()) {
        const Camera& first = reg.cameras.front();
        const Camera& last = reg.cameras.back();

        const std::string without = registry_remove_camera(text, first.id, kFile);
        const Registry r1 = parse_registry(without, kFile);
        check_edited(reg, r1, first.id, [](Camera&) { return false; });
        FUZZ_CHECK(r1.default_camera == (reg.default_camera == first.id ? "" : reg.default_camera));

        const Registry r2 = parse_registry(registry_set_default(text, last.id, kFile), kFile);
        check_edited(reg, r2, last.id, [](Camera&) { return true; });
        FUZZ_CHECK(r2.default_camera == last.id);

        if (std::string t = edited(text, [&] { return registry_set_option(text, last.id, "max-viewers", "7", kFile); });
            !t.empty()) {
            check_edited(reg, parse_registry(t, kFile), last.id, [](Camera& c) {
                c.max_viewers = 7;
                return true;
            });
        }
        const std::string no_revoke = registry_set_option(text, first.id, "revoke-before", "", kFile);
        check_edited(reg, parse_registry(no_revoke, kFile), first.id, [](Camera& c) {
            c.keys.revoke_before = 0;
            return true;
        });
        const std::string key = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIAhwq/xKOu27G6tiO/xhScGebLDFW3W0poAZKWuJcZVG a#b";
        if (std::string t = edited(text, [&] { return registry_set_option(text, first.id, "ssh-key", key, kFile); });
            !t.empty()) {
            check_edited(reg, parse_registry(t, kFile), first.id, [&](Camera& c) {
                c.ssh_key = key;
                return true;
            });
        }
    }

    // A new camera on a port and socket nobody uses.
    Camera added;
    added.id = "fuzz-added";
    added.tunnel.kind = Tunnel::Kind::port;
    added.tunnel.host = "127.0.0.1";
    std::set<unsigned> ports;
    for (const Camera& c : reg.cameras)
        if (c.tunnel.kind == Tunnel::Kind::port) ports.insert(c.tunnel.port);
    unsigned port = 1;
    while (ports.count(port) != 0) ++port;
    if (reg.find(added.id) != nullptr || port > 65535) return;
    added.tunnel.port = static_cast<std::uint16_t>(port);
    const Registry r3 = parse_registry(registry_add_camera(text, added, kFile), kFile);
    check_edited(reg, r3, added.id, [](Camera&) { return true; });
    FUZZ_CHECK(r3.cameras.size() == reg.cameras.size() + 1 && same_camera(r3.cameras.back(), added));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text = fuzz::as_text(data, size);
    const auto parsed = fuzz::parsed_or<ConfigError>([&] { return parse_registry(text, kFile); },
                                                     [&](const ConfigError& e) { check_error(e, text); });
    if (!parsed) return 0;
    const Registry& reg = *parsed;
    FUZZ_CHECK(reg.default_camera.empty() || reg.find(reg.default_camera) != nullptr);
    for (const Camera& c : reg.cameras) FUZZ_CHECK(c.line >= 1 && c.line <= line_count(text));
    check_round_trip(reg);
    check_edits(text, reg);
    return 0;
}
