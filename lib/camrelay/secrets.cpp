// camrelay core: parsing and loading secrets.conf (secrets.hpp).
#include "camrelay/secrets.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <map>
#include <stdexcept>

#include "camrelay/config_lines.hpp"
#include "camrelay/ids.hpp"

namespace camrelay {

using config_lines::Line;
using config_lines::Tokens;

SecretSet parse_secrets(std::string_view text, const std::string& file) {
    SecretSet set;
    std::map<std::string, int, std::less<>> ids;
    int primary_line = 0;
    std::string primary_id;
    for (const Line& l : config_lines::split_lines(text)) {
        config_lines::check_line_bytes(l, file);
        Tokens t = config_lines::tokenize(l.body);
        if (t.list.empty()) continue;
        // Nothing from a secrets.conf line is echoed except a valid id.
        if (t.list.size() < 2) throw ConfigError(file, l.number, "expected \"<secret-id> <64 hex digits> [primary]\"");
        std::string_view id = t.list[0].text;
        if (!valid_secret_id(id))
            throw ConfigError(file, l.number, "invalid secret id (1 to 32 characters of A-Z, a-z, 0-9, '_' and '-')");
        auto bytes = hex_decode(t.list[1].text);
        if (!bytes || bytes->size() != kSecretBytes) {
            if (bytes) OPENSSL_cleanse(bytes->data(), bytes->size());
            throw ConfigError(
                file, l.number,
                "secret " + std::string(id) + " must be " + std::to_string(kSecretBytes * 2) + " hex digits");
        }
        bool primary = false;
        if (t.list.size() == 3 && t.list[2].text == "primary") {
            primary = true;
        } else if (t.list.size() >= 3) {
            OPENSSL_cleanse(bytes->data(), bytes->size());
            throw ConfigError(file, l.number,
                              "unexpected text after secret " + std::string(id) + " (only \"primary\" may follow)");
        }
        if (auto it = ids.find(id); it != ids.end()) {
            OPENSSL_cleanse(bytes->data(), bytes->size());
            throw ConfigError(file, l.number,
                              "duplicate secret id \"" + std::string(id) + "\" (first defined on line " +
                                  std::to_string(it->second) + ")");
        }
        if (primary && primary_line != 0) {
            OPENSSL_cleanse(bytes->data(), bytes->size());
            throw ConfigError(file, l.number,
                              "second primary secret \"" + std::string(id) + "\" (\"" + primary_id + "\" on line " +
                                  std::to_string(primary_line) + " is already primary)");
        }
        if (primary) {
            primary_line = l.number;
            primary_id.assign(id);
        }
        ids.emplace(std::string(id), l.number);
        try {
            set.add(Secret{std::string(id), std::move(*bytes), primary});
        } catch (const std::invalid_argument& e) {
            throw ConfigError(file, l.number, e.what());
        }
    }
    return set;
}

SecretSet load_secrets(const std::string& path) {
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        if (errno == ENOENT) return SecretSet{};  // no secrets: only legacy keys work
        throw ConfigError(path, 0, std::string("cannot open: ") + std::strerror(errno));
    }
    // Check the file we opened, not the name: no race with a rename.
    struct stat st;
    if (::fstat(fd, &st) != 0) {
        int err = errno;
        ::close(fd);
        throw ConfigError(path, 0, std::string("cannot stat: ") + std::strerror(err));
    }
    if (!S_ISREG(st.st_mode)) {
        ::close(fd);
        throw ConfigError(path, 0, "not a regular file");
    }
    if ((st.st_mode & 007) != 0) {
        ::close(fd);
        char mode[8];
        std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(st.st_mode & 07777));
        std::string what = (st.st_mode & 004) && (st.st_mode & 002) ? "world-readable and world-writable"
                           : (st.st_mode & 004)                     ? "world-readable"
                           : (st.st_mode & 002)                     ? "world-writable"
                                                                    : "accessible to others";
        throw ConfigError(path, 0,
                          "secrets file is " + what + " (mode " + mode +
                              "); refusing to use it: chmod 0640 it (owner root, group varnish)");
    }
    std::string text = read_file(fd, path);
    try {
        SecretSet set = parse_secrets(text, path);
        OPENSSL_cleanse(text.data(), text.size());
        return set;
    } catch (...) {
        OPENSSL_cleanse(text.data(), text.size());
        throw;
    }
}

}  // namespace camrelay
