// camrelay core: camera and secret id syntax (see ids.hpp).
#include "camrelay/ids.hpp"

namespace camrelay {

bool valid_camera_id(std::string_view id) {
    if (id.empty() || id.size() > kMaxCameraIdLength) return false;
    if (id.front() == '-' || id.back() == '-') return false;
    for (char c : id) {
        bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
        if (!ok) return false;
    }
    return true;
}

bool valid_secret_id(std::string_view id) {
    if (id.empty() || id.size() > kMaxSecretIdLength) return false;
    for (char c : id) {
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
        if (!ok) return false;
    }
    return true;
}

}  // namespace camrelay
