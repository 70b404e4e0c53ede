#include "ids.hpp"
namespace camrelay {
bool valid_camera_id(std::string_view) { return false; }
bool valid_secret_id(std::string_view) { return false; }
}  // namespace camrelay
