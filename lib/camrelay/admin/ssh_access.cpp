#include "camrelay/admin/ssh_access.hpp"

#include <arpa/inet.h>
#include <dirent.h>
#include <limits.h>
#include <signal.h>
#include <sys/stat.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/evp.h>

#include <array>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <thread>

#include "camrelay/base64.hpp"
#include "camrelay/ids.hpp"
#include "camrelay/text.hpp"
#include "camrelay/tunnel_status.hpp"

namespace camrelay {

namespace {

using Bytes = std::vector<std::uint8_t>;

// Every key type OpenSSH writes into .pub or authorized_keys files; only some
// are accepted for cameras, the others get a precise refusal.
constexpr std::array<std::string_view, 6> kAcceptedTypes = {
    "ssh-ed25519", "ecdsa-sha2-nistp256",        "ecdsa-sha2-nistp384", "ecdsa-sha2-nistp521",
    "ssh-rsa",     "sk-ssh-ed25519@openssh.com",
};
constexpr std::string_view kSkEcdsa = "sk-ecdsa-sha2-nistp256@openssh.com";

bool accepted_type(std::string_view t) {
    if (t == kSkEcdsa) return true;
    for (auto a : kAcceptedTypes)
        if (a == t) return true;
    return false;
}

bool looks_like_key_type(std::string_view t) {
    if (accepted_type(t)) return true;
    if (t == "ssh-dss" || t == "ssh-xmss@openssh.com") return true;
    constexpr std::string_view cert = "-cert-v01@openssh.com";
    return t.size() > cert.size() && t.substr(t.size() - cert.size()) == cert &&
           (t.rfind("ssh-", 0) == 0 || t.rfind("ecdsa-", 0) == 0 || t.rfind("sk-", 0) == 0);
}

// A key blob as OpenSSH writes it: standard base64 with padding, canonical
// (unused bits zero), never empty.
std::optional<Bytes> decode_key_blob(std::string_view text) {
    auto blob = base64::decode(text, base64::Alphabet::standard);
    if (!blob || blob->empty()) return std::nullopt;
    return blob;
}

// Reader for the SSH wire encoding (RFC 4251 section 5).
class Wire {
public:
    explicit Wire(const Bytes& b) : b_(b) {}
    std::optional<std::string_view> string() {
        if (b_.size() - pos_ < 4) return std::nullopt;
        std::uint32_t len = (std::uint32_t{b_[pos_]} << 24) | (std::uint32_t{b_[pos_ + 1]} << 16) |
                            (std::uint32_t{b_[pos_ + 2]} << 8) | std::uint32_t{b_[pos_ + 3]};
        pos_ += 4;
        if (b_.size() - pos_ < len) return std::nullopt;
        std::string_view s(reinterpret_cast<const char*>(b_.data()) + pos_, len);
        pos_ += len;
        return s;
    }
    bool at_end() const { return pos_ == b_.size(); }

private:
    const Bytes& b_;
    std::size_t pos_ = 0;
};

[[noreturn]] void fail(const std::string& why) { throw SshAccessError(why); }

// Bits of a positive mpint; 0 if it is not a canonical positive mpint.
unsigned mpint_bits(std::string_view m) {
    if (m.empty()) return 0;
    auto b0 = static_cast<unsigned char>(m[0]);
    if (b0 & 0x80) return 0;  // negative
    std::size_t i = 0;
    if (b0 == 0) {
        // a leading zero is only allowed to keep the next byte's high bit from
        // reading as a sign
        if (m.size() < 2 || !(static_cast<unsigned char>(m[1]) & 0x80)) return 0;
        i = 1;
    }
    unsigned bits = static_cast<unsigned>((m.size() - i) * 8);
    for (auto top = static_cast<unsigned char>(m[i]); !(top & 0x80); top <<= 1) --bits;
    return bits;
}

void check_ec_point(std::string_view q, std::size_t coord, const std::string& type) {
    if (q.size() != 2 * coord + 1 || static_cast<unsigned char>(q[0]) != 0x04)
        fail("the " + type + " key data holds a malformed curve point");
}

// Check the decoded blob against the type on the line; returns the key size.
unsigned check_blob(const std::string& type, const Bytes& blob) {
    Wire w(blob);
    auto embedded = w.string();
    if (!embedded) fail("the key data is truncated");
    if (*embedded != type) {
        // The blob's type name is whatever bytes the file holds: it is only
        // shown when it is a type we know (no escape sequence reaches the
        // operator's terminal).
        if (accepted_type(*embedded))
            fail("the key data is a '" + std::string(*embedded) + "' key but the line says '" + type + "'");
        fail("the key data is not a '" + type + "' key: it names another, unknown type");
    }
    unsigned bits = 0;
    if (type == "ssh-ed25519" || type == "sk-ssh-ed25519@openssh.com") {
        auto pk = w.string();
        if (!pk || pk->size() != 32) fail("the Ed25519 key data is malformed");
        bits = 256;
    } else if (type.rfind("ecdsa-sha2-nistp", 0) == 0 || type == kSkEcdsa) {
        std::string curve = type == kSkEcdsa ? "nistp256" : type.substr(std::strlen("ecdsa-sha2-"));
        auto c = w.string();
        if (!c || *c != curve) fail("the ECDSA key data names another curve than " + curve);
        bits = curve == "nistp256" ? 256 : curve == "nistp384" ? 384 : 521;
        auto q = w.string();
        if (!q) fail("the ECDSA key data is truncated");
        check_ec_point(*q, (bits + 7) / 8, type);
    } else if (type == "ssh-rsa") {
        auto e = w.string();
        auto n = w.string();
        if (!e || !n) fail("the RSA key data is truncated");
        unsigned ebits = mpint_bits(*e);
        bits = mpint_bits(*n);
        if (ebits == 0 || ebits > 64 || !(static_cast<unsigned char>(e->back()) & 1))
            fail("the RSA key data has a malformed public exponent");
        if (bits == 0 || !(static_cast<unsigned char>(n->back()) & 1)) fail("the RSA key data has a malformed modulus");
        if (bits > 16384) fail("the RSA key is over 16384 bits");
        if (bits < kMinRsaBits)
            fail("the RSA key has " + std::to_string(bits) + " bits; at least " + std::to_string(kMinRsaBits) +
                 " are needed (or use ssh-keygen -t ed25519)");
    } else {
        fail("unsupported key type '" + type + "'");
    }
    if (type.rfind("sk-", 0) == 0) {
        auto app = w.string();
        if (!app || app->empty()) fail("the security key data has no application string");
    }
    if (!w.at_end()) fail("the key data has trailing bytes after the key");
    return bits;
}

// The options field of an authorized_keys line: up to the first blank that
// is not inside double quotes (a backslash escapes a quote inside quotes).
std::pair<std::string_view, std::string_view> options_token(std::string_view s) {
    bool quoted = false;
    std::size_t i = 0;
    for (; i < s.size(); ++i) {
        char c = s[i];
        if (quoted && c == '\\' && i + 1 < s.size() && s[i + 1] == '"') {
            ++i;
        } else if (c == '"') {
            quoted = !quoted;
        } else if (!quoted && text::is_blank(c)) {
            break;
        }
    }
    std::string_view tok = s.substr(0, i);
    while (i < s.size() && text::is_blank(s[i])) ++i;
    return {tok, s.substr(i)};
}

// A line without its blanks, and without the '\r' of a CRLF line end.
std::string_view trim_line(std::string_view s) {
    while (!s.empty() && (text::is_blank(s.back()) || s.back() == '\r')) s.remove_suffix(1);
    return text::trim_blanks(s);
}

std::string camera_of_comment(std::string_view comment) {
    std::string_view prefix = kCameraCommentPrefix;
    if (comment.substr(0, prefix.size()) != prefix) return {};
    std::string_view rest = comment.substr(prefix.size());
    if (!rest.empty() && text::is_blank(rest.front())) return {};  // the id follows the '=' directly
    const std::string_view id = text::next_word(rest);
    return valid_camera_id(id) ? std::string(id) : std::string();
}

// A line of a text with its extent, line end included.
struct RawLine {
    std::string_view body;  // without the '\n'
    std::size_t begin, end;
};

std::vector<RawLine> split_lines(std::string_view text) {
    std::vector<RawLine> lines;
    std::size_t pos = 0;
    while (pos < text.size()) {
        auto nl = text.find('\n', pos);
        std::size_t stop = nl == std::string_view::npos ? text.size() : nl;
        std::size_t end = nl == std::string_view::npos ? text.size() : nl + 1;
        lines.push_back({text.substr(pos, stop - pos), pos, end});
        pos = end;
    }
    return lines;
}

std::optional<AuthorizedKey> parse_authorized_line(std::string_view body) {
    body = trim_line(body);
    if (body.empty() || body.front() == '#') return std::nullopt;
    AuthorizedKey k;
    std::string_view rest = body;
    std::string_view type = text::next_word(rest);
    if (!looks_like_key_type(type)) {
        auto [opts, after] = options_token(body);
        k.options = std::string(opts);
        rest = after;
        type = text::next_word(rest);
        if (!looks_like_key_type(type)) return std::nullopt;
    }
    const std::string_view b64 = text::next_word(rest);
    if (b64.empty()) return std::nullopt;
    k.key.type = std::string(type);
    k.key.base64 = std::string(b64);
    k.key.comment = std::string(rest);
    k.camera_id = camera_of_comment(rest);
    return k;
}

bool safe_program_path(std::string_view p) {
    if (p.size() < 2 || p.front() != '/' || p.size() > 1024) return false;
    for (char c : p) {
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '/' || c == '.' ||
                  c == '_' || c == '-' || c == '+';
        if (!ok) return false;
    }
    return true;
}

bool safe_value(std::string_view v) {
    if (v.empty()) return false;
    for (char c : v)
        if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) return false;
    return true;
}

}  // namespace

std::string SshPublicKey::fingerprint() const {
    auto blob = decode_key_blob(base64);
    if (!blob) return {};
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    if (EVP_Digest(blob->data(), blob->size(), md, &len, EVP_sha256(), nullptr) != 1) return {};
    // As ssh-keygen -l shows it: standard base64 with the padding left out.
    std::string digest = base64::encode(md, len, base64::Alphabet::standard);
    digest.erase(digest.find_last_not_of('=') + 1);
    return "SHA256:" + digest;
}

SshPublicKey parse_ssh_public_key(std::string_view line) {
    if (line.size() > kMaxPublicKeyLine)
        fail("the public key is over " + std::to_string(kMaxPublicKeyLine) + " bytes; is this really a .pub file?");
    while (!line.empty() && (text::is_blank(line.back()) || line.back() == '\n' || line.back() == '\r'))
        line.remove_suffix(1);
    line = text::trim_blanks(line);
    if (line.empty()) fail("the public key is empty");
    if (line.rfind("-----BEGIN", 0) == 0) {
        if (line.find("PRIVATE KEY") != std::string_view::npos)
            fail("this is a private key; give the public key (the .pub file) and keep the private key on the camera");
        fail("this is a PEM file, not an OpenSSH public key line");
    }
    if (line.rfind("---- BEGIN SSH2 PUBLIC KEY", 0) == 0)
        fail("this is an RFC 4716 public key; convert it with ssh-keygen -i -f FILE");
    if (line.find('\n') != std::string_view::npos || line.find('\r') != std::string_view::npos)
        fail("the public key has several lines; give exactly one key");
    for (char c : line)
        if ((static_cast<unsigned char>(c) < 0x20 && c != '\t') || c == 0x7f)
            fail("the public key contains control characters");

    std::string_view rest = line;
    const std::string_view type = text::next_word(rest);
    if (!accepted_type(type)) {
        if (type == "ssh-dss") fail("DSA keys are refused (OpenSSH disabled them); use ssh-keygen -t ed25519");
        if (looks_like_key_type(type)) fail("'" + std::string(type) + "' keys are not supported for cameras");
        if (type.find_first_of("=\",") != std::string_view::npos || type == "restrict" || type == "cert-authority" ||
            type.rfind("no-", 0) == 0)
            fail("authorized_keys options are not accepted; give the bare public key line (the .pub file)");
        fail("unknown key type '" + std::string(type.substr(0, 64)) + "'");
    }
    const std::string_view b64 = text::next_word(rest);
    if (b64.empty()) fail("the key data is missing after '" + std::string(type) + "'");
    auto blob = decode_key_blob(b64);
    if (!blob) fail("the key data is not valid base64");

    SshPublicKey key;
    key.type = std::string(type);
    key.base64 = std::string(b64);
    key.comment = std::string(rest);
    key.bits = check_blob(key.type, *blob);
    return key;
}

std::string format_authorized_key(const SshPublicKey& key, const CameraAccess& access) {
    if (!valid_camera_id(access.camera_id)) fail("invalid camera id '" + access.camera_id + "'");
    if (access.port < 1024) fail("the tunnel port must be 1024..65535");
    if (!safe_program_path(access.session_program))
        fail("the session program must be an absolute path of [A-Za-z0-9/._+-]: '" + access.session_program + "'");
    if (!accepted_type(key.type) || key.base64.empty() || key.base64.find_first_of(" \t\r\n\"") != std::string::npos)
        fail("not a valid public key");
    std::string port = std::to_string(access.port);
    return "restrict,port-forwarding,permitlisten=\"127.0.0.1:" + port + "\",command=\"" + access.session_program +
           " " + access.camera_id + " " + port + "\" " + key.text() + " " + kCameraCommentPrefix + access.camera_id;
}

std::vector<AuthorizedKey> parse_authorized_keys(std::string_view text) {
    std::vector<AuthorizedKey> out;
    int n = 0;
    for (const auto& l : split_lines(text)) {
        ++n;
        if (auto k = parse_authorized_line(l.body)) {
            k->line = n;
            out.push_back(std::move(*k));
        }
    }
    return out;
}

std::string authorized_keys_add(std::string_view text, const SshPublicKey& key, const CameraAccess& access) {
    std::string line = format_authorized_key(key, access);
    for (const auto& e : parse_authorized_keys(text)) {
        if (e.camera_id == access.camera_id)
            fail("camera " + access.camera_id + " already has a key in authorized_keys (line " +
                 std::to_string(e.line) + ")");
        if (e.key.same_key(key))
            fail("this public key is already in authorized_keys (line " + std::to_string(e.line) +
                 (e.camera_id.empty() ? std::string() : ", camera " + e.camera_id) +
                 "); every camera needs its own key");
    }
    std::string out(text);
    if (!out.empty() && out.back() != '\n') out += '\n';
    out += line;
    out += '\n';
    return out;
}

std::string authorized_keys_remove(std::string_view text, std::string_view camera_id, int* removed) {
    std::string out;
    int count = 0;
    for (const auto& l : split_lines(text)) {
        auto k = parse_authorized_line(l.body);
        if (k && !camera_id.empty() && k->camera_id == camera_id) {
            ++count;
            continue;
        }
        out.append(text.substr(l.begin, l.end - l.begin));
    }
    if (removed) *removed = count;
    return out;
}

std::optional<std::string> camera_with_ssh_key(const Registry& registry, const SshPublicKey& key,
                                               std::string_view except_id) {
    for (const auto& c : registry.cameras) {
        if (c.id == except_id || c.ssh_key.empty()) continue;
        std::string_view rest = trim_line(c.ssh_key);
        const std::string_view type = text::next_word(rest);
        const std::string_view b64 = text::next_word(rest);
        if (type == key.type && b64 == key.base64) return c.id;
    }
    return std::nullopt;
}

bool loopback_port_in_use(std::uint16_t port) {
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return true;
    int one = 1;
    ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int rc = ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
    ::close(fd);
    return rc != 0;
}

namespace {

std::string slurp(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

struct ProcInfo {
    pid_t ppid = 0;
    uid_t uid = static_cast<uid_t>(-1);
    std::string comm;
};

std::optional<ProcInfo> proc_info(pid_t pid) {
    std::string base = "/proc/" + std::to_string(pid);
    std::string stat = slurp(base + "/stat");
    auto open = stat.find('(');
    auto close = stat.rfind(')');
    if (open == std::string::npos || close == std::string::npos || close < open) return std::nullopt;
    ProcInfo info;
    info.comm = stat.substr(open + 1, close - open - 1);
    if (close + 4 >= stat.size()) return std::nullopt;
    info.ppid = static_cast<pid_t>(std::strtol(stat.c_str() + close + 4, nullptr, 10));  // ") S PPID"
    struct stat st {};
    if (::stat(base.c_str(), &st) != 0) return std::nullopt;
    info.uid = st.st_uid;
    return info;
}

}  // namespace

int close_camera_sessions(const std::string& session_program, std::string_view camera_id) {
    if (!valid_camera_id(camera_id)) return 0;
    char resolved[PATH_MAX];
    if (!::realpath(session_program.c_str(), resolved)) return 0;
    const std::string program = resolved;
    int count = 0;
    DIR* d = ::opendir("/proc");
    if (!d) return 0;
    while (dirent* e = ::readdir(d)) {
        char* end = nullptr;
        long pid = std::strtol(e->d_name, &end, 10);
        if (pid <= 1 || *end != '\0') continue;
        std::string base = std::string("/proc/") + e->d_name;
        char exe[PATH_MAX];
        ssize_t n = ::readlink((base + "/exe").c_str(), exe, sizeof exe - 1);
        if (n <= 0) continue;
        std::string_view exe_path(exe, static_cast<std::size_t>(n));
        // a session started before a package upgrade runs the replaced file
        constexpr std::string_view deleted = " (deleted)";
        if (exe_path.size() > deleted.size() && exe_path.substr(exe_path.size() - deleted.size()) == deleted)
            exe_path.remove_suffix(deleted.size());
        if (exe_path != program) continue;
        // argv: [name, ID, PORT] or [name, "-c", "PATH ID PORT"]
        std::string cmdline = slurp(base + "/cmdline");
        std::vector<std::string> argv;
        for (std::size_t i = 0; i < cmdline.size();) {
            auto z = cmdline.find('\0', i);
            if (z == std::string::npos) z = cmdline.size();
            argv.push_back(cmdline.substr(i, z - i));
            i = z + 1;
        }
        std::vector<std::string> words;
        if (argv.size() == 3 && argv[1] == "-c") {
            for (std::string_view word : text::split_blanks(trim_line(argv[2]))) words.emplace_back(word);
            if (!words.empty()) words.erase(words.begin());
        } else {
            words.assign(argv.begin() + (argv.empty() ? 0 : 1), argv.end());
        }
        if (words.size() != 2 || words[0] != camera_id) continue;
        auto self = proc_info(static_cast<pid_t>(pid));
        if (!self || self->uid == 0 || self->ppid <= 1) continue;
        auto parent = proc_info(self->ppid);
        // the account's own sshd process for this connection ("sshd" or, from
        // OpenSSH 9.8, "sshd-session")
        if (!parent || parent->uid != self->uid || parent->comm.rfind("sshd", 0) != 0) continue;
        if (::kill(self->ppid, SIGTERM) == 0) ++count;
    }
    ::closedir(d);
    return count;
}

std::vector<TunnelHolder> tunnel_holders(const Tunnel& tunnel, const std::string& proc_root) {
    std::vector<TunnelHolder> holders;
    const std::vector<std::string> inodes = tunnel_listener_inodes(tunnel, proc_root);
    if (inodes.empty()) return holders;
    std::set<std::string> wanted;
    for (const auto& inode : inodes) wanted.insert("socket:[" + inode + "]");
    DIR* d = ::opendir(proc_root.c_str());
    if (!d) return holders;
    while (dirent* e = ::readdir(d)) {
        char* end = nullptr;
        const long pid = std::strtol(e->d_name, &end, 10);
        if (pid <= 0 || *end != '\0') continue;
        const std::string fd_dir = proc_root + "/" + e->d_name + "/fd";
        DIR* fds = ::opendir(fd_dir.c_str());
        if (!fds) continue;  // gone, or not ours to see
        bool holds = false;
        while (dirent* f = ::readdir(fds)) {
            if (f->d_name[0] == '.') continue;
            char target[64];
            const ssize_t n = ::readlink((fd_dir + "/" + f->d_name).c_str(), target, sizeof target - 1);
            if (n > 0 && wanted.count(std::string(target, static_cast<std::size_t>(n)))) {
                holds = true;
                break;
            }
        }
        ::closedir(fds);
        if (!holds) continue;
        TunnelHolder h;
        h.pid = static_cast<pid_t>(pid);
        if (proc_root == "/proc") {
            if (auto info = proc_info(h.pid)) {
                h.uid = info->uid;
                h.comm = info->comm;
            }
        }
        holders.push_back(h);
    }
    ::closedir(d);
    return holders;
}

ClosedTunnel close_tunnel_holders(const Tunnel& tunnel, std::chrono::milliseconds wait) {
    ClosedTunnel result;
    for (const auto& h : tunnel_holders(tunnel)) {
        if (!h.ssh_connection()) {
            result.others.push_back(h);
        } else if (::kill(h.pid, SIGTERM) == 0) {
            ++result.closed;
        }
    }
    if (result.closed == 0 && result.others.empty()) {
        result.still_listening = !tunnel_listener_inodes(tunnel).empty();  // not ours to see?
        return result;
    }
    const auto deadline = std::chrono::steady_clock::now() + wait;
    while (!tunnel_listener_inodes(tunnel).empty()) {
        if (!result.others.empty() || std::chrono::steady_clock::now() >= deadline) {
            result.still_listening = true;
            break;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return result;
}

std::string authorized_keys_path(const std::string& config_dir) {
    return config_dir + "/" + kSshSubdir + "/" + kAuthorizedKeysName;
}

std::string session_program_path(std::string_view installed) {
    const char* env = std::getenv(kSessionProgramEnv);
    if (env && *env) return env;
    return std::string(installed);
}

std::string format_known_hosts_line(std::string_view host, std::uint16_t port, const SshPublicKey& host_key) {
    if (host.empty() || host.find_first_of(" \t\r\n,#[]") != std::string_view::npos || !safe_value(host))
        fail("invalid relay host name '" + std::string(host) + "'");
    std::string h(host);
    if (port != 22) h = "[" + h + "]:" + std::to_string(port);
    return h + " " + host_key.text();
}

std::uint16_t https_port_from_setup(std::string_view setup_conf) {
    constexpr std::string_view key = "HTTPS_LISTEN=";
    std::uint16_t port = kDefaultHttpsPort;
    for (const auto& l : split_lines(setup_conf)) {
        const std::string_view line = trim_line(l.body);
        if (line.substr(0, key.size()) != key) continue;
        // [ADDR:]PORT, ADDR possibly [IPv6]: the port follows the last ':'
        std::string_view value = line.substr(key.size());
        if (const auto colon = value.rfind(':'); colon != std::string_view::npos) value.remove_prefix(colon + 1);
        const text::Decimal p = text::read_port(value);
        port = p.error == text::DecimalError::none && p.value != 0 ? static_cast<std::uint16_t>(p.value)
                                                                   : kDefaultHttpsPort;
    }
    return port;
}

std::string format_tunnel_config(const TunnelSettings& s) {
    for (const auto* v : {&s.relay, &s.identity, &s.known_hosts, &s.target})
        if (!safe_value(*v)) fail("invalid tunnel setting '" + *v + "'");
    if (s.listen == 0) fail("the tunnel port is missing");
    if (s.https_port == 0) fail("the relay's https port is missing");
    const std::string dir = s.identity.substr(0, s.identity.rfind('/') + 1);
    std::string out = "# camrelay-tunnel settings (KEY=VALUE, no quotes): see camrelay-tunnel --help\n";
    out += "RELAY=" + s.relay + "\n";
    out += "IDENTITY=" + s.identity + "\n";
    out += "KNOWN_HOSTS=" + s.known_hosts + "\n";
    out += "LISTEN=" + std::to_string(s.listen) + "\n";
    out += "TARGET=" + s.target + "\n";
    out +=
        "# How to reach the relay: auto takes the first that works of SSH to RELAY's port, SSH to HTTPS_PORT,\n"
        "# SSH inside TLS there, then the same through the proxy\n"
        "TRANSPORT=auto\n"
        "HTTPS_PORT=" +
        std::to_string(s.https_port) +
        "\n"
        "# Behind an HTTP proxy: remove the '#' and give its address (USER:PASSWORD@ only if it asks for them)\n"
        "#PROXY=http://USER:PASSWORD@PROXY:PORT\n"
        "# For SSH inside TLS when the relay's certificate is not from a CA the camera trusts: it or its CA (PEM)\n"
        "#TLS_CA=" +
        dir + "relay-ca.pem\n";
    return out;
}

}  // namespace camrelay
