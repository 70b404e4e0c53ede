// camrelay admin: line-preserving editing of cameras.conf and secrets.conf
// (config_edit.hpp).
#include "camrelay/admin/config_edit.hpp"

#include <openssl/crypto.h>

#include <algorithm>
#include <vector>

#include "camrelay/config_lines.hpp"
#include "camrelay/crypto.hpp"
#include "camrelay/ids.hpp"
#include "camrelay/text.hpp"

namespace camrelay {

using config_lines::Line;
using config_lines::quote;
using config_lines::split_lines;
using config_lines::Token;
using config_lines::tokenize;
using config_lines::Tokens;
using text::is_blank;

namespace {

std::string option_name(std::string_view token) {
    std::size_t eq = token.find('=');
    return std::string(token.substr(0, eq));
}

std::string join_lines(const std::vector<Line>& lines, std::size_t skip_a = std::string_view::npos,
                       std::size_t skip_b = std::string_view::npos) {
    std::string out;
    for (std::size_t i = 0; i < lines.size(); ++i) {
        if (i == skip_a || i == skip_b) continue;
        out.append(lines[i].raw);
        if (lines[i].has_newline) out.push_back('\n');
    }
    return out;
}

// Text with `line` appended as a new last line.
std::string append_line(std::string_view text, std::string_view line) {
    std::string out(text);
    if (!out.empty() && out.back() != '\n') out.push_back('\n');
    out.append(line);
    out.push_back('\n');
    return out;
}

// Rebuild the text with line `index` replaced by `replacement` (which may
// hold several lines); the original line terminator is kept.
std::string replace_line(const std::vector<Line>& lines, std::size_t index, std::string_view replacement) {
    std::string out;
    for (std::size_t i = 0; i < lines.size(); ++i) {
        if (i == index) {
            out.append(replacement);
            // keep a CRLF line CRLF
            if (lines[i].raw.size() != lines[i].body.size()) out.push_back('\r');
        } else {
            out.append(lines[i].raw);
        }
        if (lines[i].has_newline) out.push_back('\n');
    }
    return out;
}

bool same_camera(const Camera& a, const Camera& b) {
    if (a.id != b.id || a.tunnel.kind != b.tunnel.kind || a.max_viewers != b.max_viewers ||
        a.keys.revoke_before != b.keys.revoke_before || a.keys.legacy_sha256 != b.keys.legacy_sha256 ||
        a.ssh_key != b.ssh_key)
        return false;
    switch (a.tunnel.kind) {
        case Tunnel::Kind::port: return a.tunnel.port == b.tunnel.port;
        case Tunnel::Kind::socket: return a.tunnel.path == b.tunnel.path;
        case Tunnel::Kind::upstream: return a.tunnel.host == b.tunnel.host && a.tunnel.port == b.tunnel.port;
    }
    return false;
}

bool has_line_breaking_byte(std::string_view s) {
    for (char c : s) {
        auto u = static_cast<unsigned char>(c);
        if (u < 0x20 || u == 0x7f) return true;
    }
    return false;
}

// Bytes a secrets.conf line may hold, checked before tokenising so a
// malformed line never reaches an error message.
void check_secret_id_arg(std::string_view id, const std::string& file) {
    if (!valid_secret_id(id)) throw ConfigError(file, 0, "invalid secret id");
}

}  // namespace

std::string format_camera_line(const Camera& camera) {
    std::string line = "camera " + camera.id + " " + camera.tunnel.describe();
    if (camera.max_viewers != kDefaultMaxViewers) line += " max-viewers=" + std::to_string(camera.max_viewers);
    if (camera.keys.revoke_before != 0) line += " revoke-before=" + std::to_string(camera.keys.revoke_before);
    if (camera.keys.legacy_sha256) line += " legacy-sha256=" + hex_encode(*camera.keys.legacy_sha256);
    if (!camera.ssh_key.empty()) line += " ssh-key=" + camera.ssh_key;  // last: it takes the rest of the line
    return line;
}

std::string registry_add_camera(std::string_view text, const Camera& camera, const std::string& file) {
    parse_registry(text, file);  // refuse to build on a broken file
    if (camera.ssh_key.size() != 0 &&
        (has_line_breaking_byte(camera.ssh_key) || is_blank(camera.ssh_key.front()) || is_blank(camera.ssh_key.back())))
        throw ConfigError(file, 0, "ssh-key must be one line without leading or trailing blanks");
    std::string line = format_camera_line(camera);
    if (has_line_breaking_byte(line)) throw ConfigError(file, 0, "camera line would contain control characters");
    std::string out = append_line(text, line);
    Registry reg = parse_registry(out, file);
    const Camera* added = reg.find(camera.id);
    if (added == nullptr || !same_camera(*added, camera))
        throw ConfigError(file, 0, "camera " + quote(camera.id) + " cannot be written as given");
    return out;
}

std::string registry_remove_camera(std::string_view text, std::string_view id, const std::string& file) {
    const Registry reg = parse_registry(text, file);
    const Camera* cam = reg.find(id);
    if (cam == nullptr) throw ConfigError(file, 0, "no camera " + quote(id));
    std::vector<Line> lines = split_lines(text);
    std::size_t cam_index = static_cast<std::size_t>(cam->line - 1);
    std::size_t default_index = std::string_view::npos;
    if (reg.default_camera == id) default_index = static_cast<std::size_t>(reg.default_line - 1);
    std::string out = join_lines(lines, cam_index, default_index);
    parse_registry(out, file);
    return out;
}

std::string registry_set_default(std::string_view text, std::string_view id, const std::string& file) {
    const Registry reg = parse_registry(text, file);
    if (reg.find(id) == nullptr) throw ConfigError(file, 0, "no camera " + quote(id));
    std::string line = "default " + std::string(id);
    std::string out;
    if (reg.default_line != 0)
        out = replace_line(split_lines(text), static_cast<std::size_t>(reg.default_line - 1), line);
    else
        out = append_line(text, line);
    parse_registry(out, file);
    return out;
}

std::string registry_set_option(std::string_view text, std::string_view id, std::string_view option,
                                std::string_view value, const std::string& file) {
    const Registry before = parse_registry(text, file);
    const Camera* cam = before.find(id);
    if (cam == nullptr) throw ConfigError(file, 0, "no camera " + quote(id));
    const int line_no = cam->line;
    if (!is_camera_option(option)) throw ConfigError(file, line_no, "unknown option " + quote(option));
    const bool ssh = option == "ssh-key";
    if (has_line_breaking_byte(value))
        throw ConfigError(file, line_no, "control character in value of " + quote(option));
    if (!ssh && std::any_of(value.begin(), value.end(), is_blank))
        throw ConfigError(file, line_no, "blank in value of " + quote(option));
    if (ssh && !value.empty() && (is_blank(value.front()) || is_blank(value.back())))
        throw ConfigError(file, line_no, "ssh-key must not start or end with blanks");
    if (value.empty() && is_tunnel_option(option))
        throw ConfigError(file, line_no, "a camera always needs a tunnel; " + quote(option) + " cannot be removed");

    std::vector<Line> lines = split_lines(text);
    const std::size_t index = static_cast<std::size_t>(line_no - 1);
    std::string_view body = lines[index].body;
    Tokens t = tokenize(body);

    // The token to replace: the same option, or for a tunnel any tunnel.
    std::size_t found = std::string_view::npos;
    std::size_t ssh_token = std::string_view::npos;
    for (std::size_t i = 2; i < t.list.size(); ++i) {
        std::string name = option_name(t.list[i].text);
        if (name == option || (is_tunnel_option(option) && is_tunnel_option(name))) found = i;
        if (name == "ssh-key") ssh_token = i;
    }
    const std::string word = std::string(option) + "=" + std::string(value);
    std::string prefix;  // lines to put before the edited line
    std::string edited;
    if (found != std::string_view::npos) {
        const Token& tok = t.list[found];
        if (value.empty()) {
            std::size_t from = t.list[found - 1].end();  // drop the blanks before it too
            bool last = found + 1 == t.list.size() && t.comment_pos == std::string_view::npos;
            // Nothing but blanks can follow the last word: drop them with it.
            edited = std::string(body.substr(0, from)) + (last ? std::string() : std::string(body.substr(tok.end())));
        } else {
            edited = std::string(body.substr(0, tok.pos)) + word + std::string(body.substr(tok.end()));
        }
    } else if (value.empty()) {
        return std::string(text);  // removing an absent option: nothing to do
    } else if (!ssh && ssh_token != std::string_view::npos) {
        std::size_t at = t.list[ssh_token].pos;
        edited = std::string(body.substr(0, at)) + word + " " + std::string(body.substr(at));
    } else {
        std::size_t at = t.list.back().end();
        std::string_view tail = body.substr(at);
        if (ssh && t.comment_pos != std::string_view::npos) {
            // ssh-key= would swallow the comment: move it onto its own line.
            prefix = std::string(body.substr(t.comment_pos));
            if (lines[index].raw.size() != body.size()) prefix.push_back('\r');
            prefix.push_back('\n');
            tail = {};
        }
        edited = std::string(body.substr(0, at)) + " " + word + std::string(tail);
    }
    std::string out = replace_line(lines, index, prefix + edited);
    Registry reg = parse_registry(out, file);
    const Camera* after = reg.find(id);
    if (after == nullptr || (ssh && after->ssh_key != value))
        throw ConfigError(file, line_no, "option " + quote(option) + " cannot be written as given");
    return out;
}

std::string format_secret_line(const Secret& secret) {
    std::string line = secret.id + " " + hex_encode(secret.bytes.data(), secret.bytes.size());
    if (secret.primary) line += " primary";
    return line;
}

std::string secrets_add(std::string_view text, const Secret& secret, const std::string& file) {
    parse_secrets(text, file);
    check_secret_id_arg(secret.id, file);
    if (secret.bytes.size() != kSecretBytes)
        throw ConfigError(file, 0, "a secret must be " + std::to_string(kSecretBytes) + " bytes long");
    std::string out = append_line(text, format_secret_line(secret));
    parse_secrets(out, file);
    return out;
}

std::string secrets_set_primary(std::string_view text, std::string_view id, const std::string& file) {
    SecretSet set = parse_secrets(text, file);
    if (set.find(id) == nullptr) throw ConfigError(file, 0, "no secret \"" + std::string(id) + "\"");
    std::vector<Line> lines = split_lines(text);
    std::string out;
    for (const Line& l : lines) {
        Tokens t = tokenize(l.body);
        std::string line(l.raw);
        if (t.list.size() >= 2) {
            bool is_target = t.list[0].text == id;
            bool is_primary = t.list.size() == 3;  // the file parsed: a third token is "primary"
            if (is_target && !is_primary) {
                std::size_t at = t.list[1].end();
                line = std::string(l.raw.substr(0, at)) + " primary" + std::string(l.raw.substr(at));
            } else if (!is_target && is_primary) {
                std::size_t from = t.list[1].end();
                line = std::string(l.raw.substr(0, from)) + std::string(l.raw.substr(t.list[2].end()));
            }
        }
        out.append(line);
        if (l.has_newline) out.push_back('\n');
        OPENSSL_cleanse(line.data(), line.size());
    }
    parse_secrets(out, file);
    return out;
}

std::string secrets_remove(std::string_view text, std::string_view id, const std::string& file) {
    parse_secrets(text, file);
    std::vector<Line> lines = split_lines(text);
    for (std::size_t i = 0; i < lines.size(); ++i) {
        Tokens t = tokenize(lines[i].body);
        if (t.list.size() >= 2 && t.list[0].text == id) {
            std::string out = join_lines(lines, i);
            parse_secrets(out, file);
            return out;
        }
    }
    throw ConfigError(file, 0, "no secret \"" + std::string(id) + "\"");
}

}  // namespace camrelay
