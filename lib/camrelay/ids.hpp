// camrelay core: what a camera id and a secret id may look like, as
// specified in vmod_camrelay(3) (vmod/vmod_camrelay.vcc): camera ids in
// section ROUTING, secret ids in section KEYS.
//
// Camera ids are DNS labels in lower case so that the same id works as a
// path prefix (/cam1/), a Host label (cam1.relay.example.com), a query
// value, a key field and part of a file or account name.
#pragma once

#include <cstddef>
#include <string_view>

namespace camrelay {

inline constexpr std::size_t kMaxCameraIdLength = 63;
inline constexpr std::size_t kMaxSecretIdLength = 32;

bool valid_camera_id(std::string_view id);
bool valid_secret_id(std::string_view id);

}  // namespace camrelay
